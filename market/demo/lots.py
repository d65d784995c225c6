"""Demo lot in its notice period with the operator's condition and a data room: 江苏银行's lot asks bidders for
an industry licence; 工商银行 proved it and was approved, accepted the NDA, booked an inspection and had its
question answered; 北京银行 uploaded its proof two days ago and waits for the operator (/lots/registrations).
The room holds a public valuation-report summary and a confidential title certificate; a second question waits.

Its own borrower, loan and case (auctions.noticed_case); every step after goes through the services (conditions,
proofs, decisions, room documents, NDA, slots, bookings, questions) on a clock that ends before now.
"""

from __future__ import annotations

import io
from datetime import datetime, timedelta

import sqlalchemy as sa
import sqlalchemy.orm as so
from reportlab.lib.pagesizes import A4
from reportlab.pdfgen import canvas

from market.demo.auctions import noticed_case
from market.domain.data_room import NDA_VERSION, DocumentCategory, InspectionKind
from market.models import DisposalCase, IPKind, User
from market.services import data_room, inspections, lot_questions, qualification
from market.services.audit import Actor
from market.services.confirmation_pdf import FONT  # registers the Chinese CID font with ReportLab

MARKER = "DC-LOT-DEMO-1"
YUAN = 100
CONDITION = "需具备相关行业许可证（医疗器械生产或经营许可证；金融机构可提交受托受让企业的许可证及委托书）"
QUESTIONS = (
    ("该专利组合中是否包含已进入实质审查阶段的PCT申请？", "不包含。本标的仅为已授权的3件中国发明专利，清单见估值报告摘要附表一。"),
    ("受让后原专利权人能否配合完成技术交底？是否可安排发明人现场讲解？", None),
)


def seed(session: so.Session, now: datetime) -> bool:
    """Create the demo lot with its condition, registrations, room, questions and inspections once."""
    if session.scalar(sa.select(DisposalCase.id).where(DisposalCase.reference == MARKER)):
        return False
    people = {u.email.split("@")[0]: u for u in session.scalars(
        sa.select(User).where(User.email.in_([f"{n}@demo.test" for n in ("operator", "bank1", "bank2", "bank3")])))}
    if len(people) < 4:
        return False  # the core demo (institutions and accounts) comes first
    operator, seller = Actor.of(people["operator"]), Actor.of(people["bank3"])
    case = noticed_case(session, 10, MARKER, "一种医用骨科植入物及其专利组合（3件）", IPKind.PATENT,
                        "ZL202210334455.6", "苏州骨康医疗器械科技有限公司", "生物医药", 2_400_000 * YUAN,
                        people["bank3"].institution, notice_ended_at=now + timedelta(days=12))
    clock = case.notice_published_at + timedelta(hours=2)  # 18 days ago: the notice has just been published
    qualification.add_condition(session, case.id, CONDITION, actor=operator, now=clock)
    data_room.add_document(session, case.id, category=DocumentCategory.VALUATION_REPORT, title="资产评估报告（摘要）",
                           confidential=False, filename="估值报告摘要.pdf", actor=operator, now=clock,
                           data=demo_pdf("资产评估报告（摘要）", [
                               f"评估报告编号：{case.valuation_report_ref}",
                               "评估对象：一种医用骨科植入物等3件发明专利",
                               "评估方法：收益法（许可费节省法），以市场法校核",
                               f"评估价值：人民币{case.appraised_value_fen // YUAN:,}元",
                               "评估基准日前12个月内无许可、转让交易记录。"]))
    data_room.add_document(session, case.id, category=DocumentCategory.TITLE_CERTIFICATE, title="专利证书及登记簿副本",
                           confidential=True, filename="专利证书.pdf", actor=seller, now=clock + timedelta(hours=3),
                           data=demo_pdf("专利证书及登记簿副本", [
                               "专利号：ZL202210334455.6", "专利权人：苏州骨康医疗器械科技有限公司",
                               "法律状态：专利权维持；已于2024年3月1日办理专利权质押登记（质权人：江苏银行苏州分行）",
                               "本文件仅供签署保密协议并经同意的意向受让方查阅。"]))
    demo_day = now.replace(hour=2, minute=0, second=0, microsecond=0)  # 10:00 Beijing time
    demonstration, _ = (
        inspections.publish_slot(session, case.id, kind=kind, starts_at=demo_day + timedelta(days=days),
                                 ends_at=demo_day + timedelta(days=days, hours=2), place=place, capacity=capacity,
                                 actor=operator, now=clock + timedelta(days=1))
        for kind, days, place, capacity in (
            (InspectionKind.TECHNOLOGY_DEMONSTRATION, 4, "苏州工业园区星湖街218号生物医药产业园B3栋实验室", 4),
            (InspectionKind.INVENTOR_SESSION, 7, "北京知识产权交易中心3层第二会议室（可视频接入）", 6)))

    # 工商银行 proves the condition, is approved, reads the room, books the demonstration, asks a question
    _register(session, case.id, people["bank1"], clock + timedelta(days=2), "受托企业医疗器械生产许可证及委托书.pdf")
    registration = qualification.registration_for(session, case.id, people["bank1"].institution_id)
    qualification.decide_registration(session, registration.id, approve=True, reason="", actor=operator,
                                      now=clock + timedelta(days=3))
    bank1 = Actor.of(people["bank1"])
    data_room.accept_nda(session, case.id, version=NDA_VERSION, actor=bank1, now=clock + timedelta(days=3, hours=2))
    inspections.book(session, case.id, demonstration.id, actor=bank1, now=clock + timedelta(days=4))
    (asked, answer), (waiting, _) = QUESTIONS
    question = lot_questions.ask(session, case.id, asked, actor=bank1, now=clock + timedelta(days=5))
    lot_questions.answer(session, case.id, question.id, answer, actor=operator, now=clock + timedelta(days=6))

    # 北京银行 asks how the hand-over works, then registers two days ago: its registration waits for the operator
    lot_questions.ask(session, case.id, waiting, actor=Actor.of(people["bank2"]), now=now - timedelta(days=3))
    _register(session, case.id, people["bank2"], now - timedelta(days=2), "受托企业医疗器械经营许可证及委托书.pdf")
    return True


def _register(session: so.Session, case_id: int, user: User, when: datetime, filename: str) -> None:
    """The institution attaches its proof of every condition and submits its registration."""
    for condition in qualification.conditions_of(session, case_id):
        qualification.attach_proof(session, case_id, condition.id, filename=filename, user=user, now=when,
                                   data=demo_pdf("资质证明文件", [f"申请机构：{user.institution.name}",
                                                              f"统一社会信用代码：{user.institution.credit_code}",
                                                              f"证明事项：{condition.text}"]))
    qualification.submit_registration(session, case_id, user=user, now=when + timedelta(minutes=20))


def demo_pdf(title: str, lines: list[str]) -> bytes:
    """A small one-page PDF in Chinese (the same text always gives the same bytes)."""
    buffer = io.BytesIO()
    page = canvas.Canvas(buffer, pagesize=A4, invariant=1)
    page.setTitle(title)
    page.setFont(FONT, 16)
    page.drawString(72, 760, title)
    page.setFont(FONT, 10.5)
    for number, line in enumerate(lines):
        page.drawString(72, 720 - 20 * number, line)
    page.showPage()
    page.save()
    return buffer.getvalue()
