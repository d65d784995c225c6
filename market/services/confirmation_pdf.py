"""Render the confirmation of sale (成交确认书) as a PDF, in Chinese, the language of the contract.

ReportLab's built-in CID font STSong-Light draws the Chinese text, so no font file ships with the platform (a
reader supplies the glyphs, as it does for every CJK PDF that does not embed them). Rendering is invariant (no
creation time or random document id in the file): the same facts always give the same bytes, hence the same
SHA-256.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from zoneinfo import ZoneInfo

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from market.domain.confirmation import RULE_REFERENCES, Party, SaleFacts, SignedBy
from market.domain.money import format_yuan

FONT = "STSong-Light"
BEIJING = ZoneInfo("Asia/Shanghai")
PARTY_NAMES = {Party.SELLER: "出让方", Party.BUYER: "买受人"}

pdfmetrics.registerFont(UnicodeCIDFont(FONT))
_TITLE = ParagraphStyle("title", fontName=FONT, fontSize=18, leading=26, alignment=1, spaceAfter=6 * mm)
_BODY = ParagraphStyle("body", fontName=FONT, fontSize=10.5, leading=16, wordWrap="CJK")
_HEADING = ParagraphStyle("heading", parent=_BODY, fontSize=12, leading=18, spaceBefore=4 * mm, spaceAfter=2 * mm)
_SMALL = ParagraphStyle("small", parent=_BODY, fontSize=8.5, leading=12)


def _when(moment) -> str:
    return moment.astimezone(BEIJING).strftime("%Y年%m月%d日 %H:%M（北京时间）")


def render_confirmation(facts: SaleFacts, *, signed_by: Sequence[SignedBy] = (), original_sha256: str = "") -> bytes:
    """The confirmation as PDF bytes; with `signed_by`, the signed version, whose last part records each
    party's signature over the original's SHA-256."""
    buffer = io.BytesIO()
    document = SimpleDocTemplate(buffer, pagesize=A4, invariant=1, title="成交确认书",
                                 author=facts.centre_name, subject=facts.case_reference,
                                 leftMargin=20 * mm, rightMargin=20 * mm, topMargin=20 * mm, bottomMargin=20 * mm)
    story = [Paragraph("成交确认书", _TITLE),
             Paragraph(f"编号：{facts.case_reference}-{facts.round_no}", _BODY), Spacer(1, 4 * mm),
             _table(_lines(facts))]
    story += [Paragraph("确认事项", _HEADING)]
    story += [Paragraph(text, _BODY) for text in _terms(facts)]
    story += [Paragraph("依据", _HEADING)] + [Paragraph(rule, _BODY) for rule in RULE_REFERENCES]
    story += [Paragraph("签署", _HEADING)]
    if signed_by:
        story += [Paragraph(f"原文 SHA-256：{original_sha256}", _SMALL), Spacer(1, 2 * mm), _table(
            [["签署方", "机构", "授权用户", "签署时间", "方式", "签署凭证 SHA-256"]]
            + [[PARTY_NAMES[s.party], s.institution_name, s.user_name, _when(s.signed_at), "电子确认",
                Paragraph(s.evidence_sha256, _SMALL)] for s in signed_by], header=True,
            widths=(16 * mm, 34 * mm, 26 * mm, 34 * mm, 16 * mm, 44 * mm))]
    else:
        story += [Paragraph("本确认书由出让方、买受人各自的授权用户在平台上以电子方式确认签署；"
                            "签署对象为本文件的 SHA-256 摘要。", _BODY)]
    document.build(story)
    return buffer.getvalue()


def _lines(facts: SaleFacts) -> list[list[str]]:
    return [
        ["标的", facts.lot_title],
        ["权利登记号", "、".join(facts.registry_numbers) or "—"],
        ["案件编号", facts.case_reference],
        ["拍卖轮次", f"第 {facts.round_no} 轮"],
        ["竞价结束时间", _when(facts.bidding_ended_at)],
        ["成交价款", f"{format_yuan(facts.price_fen)}（人民币）"],
        ["已抵作价款的保证金", format_yuan(facts.deposit_applied_fen)],
        ["价款付清时间", _when(facts.paid_at)],
        ["出让方（质权人）", f"{facts.seller.name}（统一社会信用代码 {facts.seller.credit_code}）"],
        ["买受人", f"{facts.buyer.name}（统一社会信用代码 {facts.buyer.credit_code}）"],
        ["交易平台", facts.centre_name],
    ]


def _terms(facts: SaleFacts) -> list[str]:
    how = ("原竞得人未在期限内支付价款，经交易中心决定，本标的按买受人本人的最后出价向其转让，买受人已在期限内接受。"
           if facts.via_second_bidder else "买受人在上述拍卖中以最高有效出价竞得本标的。")
    return [
        f"一、{how}",
        f"二、买受人已于 {_when(facts.paid_at)} 付清成交价款 {format_yuan(facts.price_fen)}，其保证金已抵作价款。",
        "三、出让方应配合买受人向国家知识产权局办理权利转移登记及质押登记注销手续；权利自登记之日起转移。",
        "四、本确认书经出让方与买受人签署后生效，其电子文本与纸质文本具有同等效力。",
    ]


def _table(rows: list[list], *, header: bool = False, widths: Sequence[float] | None = None) -> Table:
    cells = [[Paragraph(c, _BODY) if isinstance(c, str) else c for c in row] for row in rows]
    table = Table(cells, colWidths=widths or (40 * mm, 130 * mm))
    style = [("FONTNAME", (0, 0), (-1, -1), FONT), ("GRID", (0, 0), (-1, -1), 0.5, colors.grey),
             ("VALIGN", (0, 0), (-1, -1), "TOP")]
    if header:
        style.append(("BACKGROUND", (0, 0), (-1, 0), colors.whitesmoke))
    table.setStyle(TableStyle(style))
    return table
