"""Demo auctions: two rounds open for days (the demo banks can pay deposits and bid), one awarded and
awaiting payment, one failed and ready for its re-run. Its own borrowers, loans and cases; every round
goes through the auction services, with past server times where the story needs them."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import sqlalchemy as sa
import sqlalchemy.orm as so

from market.domain.workflow import CaseState
from market.models import (
    PPM,
    DisposalCase,
    Enterprise,
    FirstRefusalHolder,
    Institution,
    IPAsset,
    IPKind,
    LegalStatus,
    Loan,
    LoanStatus,
    Pledge,
    User,
)
from market.services.auctions import open_auction, pay_deposit
from market.services.audit import Actor
from market.services.bidding import place_bid
from market.services.closing import close_auction

YUAN = 100
MARKER = "DC-AUC-DEMO-1"

# reference, title, kind, registry number, borrower, industry, appraisal (yuan), filing bank, story
LOTS = [
    ("DC-AUC-DEMO-1", "一种低功耗神经网络加速芯片及其专利组合（3件）", IPKind.PATENT, "ZL202110887766.1",
     "北京芯算智能科技有限公司", "集成电路", 3_000_000, "bank1", "open_with_bids"),
    ("DC-AUC-DEMO-2", "“星海”注册商标（第9、41类）", IPKind.TRADEMARK, "TM59887001",
     "苏州星海数字文化有限公司", "文化创意", 800_000, "bank2", "open"),
    ("DC-AUC-DEMO-3", "工业视觉检测软件V4.0著作权", IPKind.COPYRIGHT, "2024SR0771234",
     "北京慧眼视觉软件有限公司", "人工智能", 1_200_000, "bank3", "awarded"),
    ("DC-AUC-DEMO-4", "一种可降解医用支架材料及其制备方法", IPKind.PATENT, "ZL202010554433.7",
     "北京康复新材科技有限公司", "生物医药", 1_500_000, "bank1", "failed"),
]


def seed(session: so.Session, now: datetime) -> bool:
    """Create the demo auctions once (a second run changes nothing)."""
    if session.scalar(sa.select(DisposalCase.id).where(DisposalCase.reference == MARKER)):
        return False
    people = {u.email.split("@")[0]: u for u in session.scalars(
        sa.select(User).where(User.email.like("%@demo.test")))}
    if "operator" not in people:
        return False  # the core demo (institutions and accounts) comes first
    operator = Actor.of(people["operator"])
    for index, (reference, title, kind, number, borrower, industry, appraisal, bank, story) in enumerate(LOTS):
        bank_institution = people[bank].institution
        # the finished stories started days ago; the open ones this morning (their bids are in the past)
        opened_at = now - timedelta(days=3) if story in ("awarded", "failed") else now - timedelta(hours=6)
        case = noticed_case(session, index, reference, title, kind, number, borrower, industry, appraisal * YUAN,
                            bank_institution, notice_ended_at=opened_at - timedelta(hours=1))
        if story == "open":
            session.add(FirstRefusalHolder(case_id=case.id, name="苏州星海动漫有限公司",
                                           basis="独占被许可人", rank=1))
        session.flush()
        start = appraisal * 7 // 10 * YUAN
        increment = max(1_000, appraisal // 100 // 1_000 * 1_000) * YUAN
        ends_at = {"open_with_bids": now + timedelta(days=3), "open": now + timedelta(days=2)}.get(
            story, opened_at + timedelta(days=2))
        auction = open_auction(session, case.id, starting_price_fen=start, increment_fen=increment,
                               deposit_fen=start // 10, starts_at=opened_at, ends_at=ends_at, actor=operator,
                               now=opened_at)
        bidders = {"open_with_bids": ["aic", "guarantor"], "awarded": ["bank1", "bank2"]}.get(story, [])
        for who in bidders:
            pay_deposit(session, auction.id, people[who].institution_id, now=opened_at + timedelta(minutes=5),
                        user=people[who])
        for step, who in enumerate(bidders * 2):
            place_bid(session, auction.id, institution_id=people[who].institution_id,
                      amount_fen=start + step * increment, now=opened_at + timedelta(hours=2 + step))
        if story in ("awarded", "failed"):
            close_auction(session, auction.id, now=now)
    return True


def noticed_case(session, index, reference, title, kind, number, borrower, industry, appraisal_fen,
                 bank: Institution, *, notice_ended_at: datetime) -> DisposalCase:
    """A case of the bank's, its own borrower, loan and asset, whose public notice ended at notice_ended_at
    (an auction round may open); index keeps its registry numbers apart from other cases'."""
    enterprise = Enterprise(name=borrower, credit_code=f"91110108AUCDEMO{index:03d}", industry=industry,
                            region=bank.region or "北京")
    asset = IPAsset(kind=kind, registry_number=number, title=title, owner=enterprise,
                    legal_status=LegalStatus.VALID, expires_on=date(2040, 6, 30))
    principal = appraisal_fen // 2
    pledge = Pledge(registration_number=f"Y2024AUC{index:05d}", pledgee=bank, secured_amount_fen=principal,
                    registered_on=date(2024, 3, 1), assets=[asset])
    loan = Loan(contract_number=f"AUC-DEMO-{index:04d}", bank=bank, enterprise=enterprise, pledge=pledge,
                principal_fen=principal, outstanding_principal_fen=principal, unpaid_interest_fen=principal // 40,
                annual_rate_ppm=42_000, appraised_value_fen=appraisal_fen, start_date=date(2024, 3, 1),
                maturity_date=date(2025, 3, 1), defaulted_on=date(2025, 6, 1), status=LoanStatus.IN_DISPOSAL,
                bank_share_ppm=PPM)
    fields = dict(
        reference=reference, loan=loan, bank_id=bank.id, state=CaseState.NOTICE_PUBLISHED, title=title,
        primary_kind=kind, industry=industry, region=enterprise.region, summary=f"{borrower}质押{title}，违约后处置。",
        principal_outstanding_fen=principal, unpaid_interest_fen=principal // 40, pledgee_consent=True,
        review_checks=["title", "pledge_registration", "legal_status", "co_owner_consent", "pledgee_consent"],
        appraised_value_fen=appraisal_fen, valuation_report_ref=f"京中金评报字[2026]第{400 + index}号",
        valued_on=(notice_ended_at - timedelta(days=40)).date(), list_price_fen=appraisal_fen * 7 // 10,
        notice_published_at=notice_ended_at - timedelta(days=30), notice_ends_at=notice_ended_at,
        deposit_share_ppm=100_000, assets=[asset],
        filed_at=notice_ended_at - timedelta(days=50), updated_at=notice_ended_at - timedelta(days=30),
        # columns the catalogue reads, where the model has them
        owner_name=borrower, registry_numbers=number, encumbrances="无", listed=True,
        search_text=f"{title} {number} {reference} {borrower}".lower(),
    )
    case = DisposalCase(**{k: v for k, v in fields.items() if hasattr(DisposalCase, k)})
    session.add(case)
    session.flush()
    return case

