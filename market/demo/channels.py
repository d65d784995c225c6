"""Demo licence rounds, a signed licence with royalties, a conversion collecting consents and claims for sale.

Self-contained: it makes its own disposal cases from the core demo loans (those without a case) and walks
them through the channel services with times in the past, so every step is in the audit trail.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa
import sqlalchemy.orm as so

from market.domain.conversion import ConsentParty, ConversionTerms, ExitRoute
from market.domain.licensing import LicenceKind, LicenceTerms, OfferTerms, ReportingPeriod
from market.domain.roles import Role
from market.domain.workflow import CaseState
from market.models import DisposalCase, Institution, Loan, LoanStatus, User
from market.services import claim_transfer, conversion, licensing
from market.services.audit import Actor

MARKER = "DC-CH-"
YUAN = 100
REVIEWED = ["title", "pledge_registration", "legal_status", "co_owner_consent", "pledgee_consent"]


def seed(session: so.Session, now: datetime) -> bool:
    """Create the channel demo once (safe to run again)."""
    if session.scalar(sa.select(DisposalCase.id).where(DisposalCase.reference.like(f"{MARKER}%")).limit(1)):
        return False
    people = _People(session)
    if people.operator is None:
        return False
    loans = _free_loans(session)
    full_stack = [loan for loan in loans if loan.guarantor_id and loan.insurer_id]
    if len(loans) < 5 or not full_stack:
        return False
    conversion_loan = full_stack[-1]
    others = [loan for loan in loans if loan is not conversion_loan]
    open_case, signed_case, closed_case, claim_case = (_case(session, loan, i, now) for i, loan in
                                                       enumerate(others[:4], start=1))
    conversion_case = _case(session, conversion_loan, 5, now)
    session.flush()

    _open_round(session, people, open_case, now)
    _signed_licence(session, people, signed_case, now)
    _closed_round(session, people, closed_case, now)
    _conversion(session, people, conversion_case, now)
    _claims(session, people, claim_case, now)
    return True


class _People:
    """The demo accounts the stories act as."""

    def __init__(self, session: so.Session):
        self.session = session
        self.operator = self._user("operator@demo.test")
        self.aic = self._user("aic@demo.test")
        self.bureau = self._user("bureau@demo.test")

    def _user(self, email: str) -> User | None:
        return self.session.scalar(sa.select(User).where(User.email == email))

    def of(self, institution_id: int | None, role: Role) -> Actor | None:
        """The first demo user of an institution."""
        user = self.session.scalar(sa.select(User).where(User.institution_id == institution_id, User.role == role)
                                   .order_by(User.id).limit(1))
        return Actor.of(user) if user else None

    def other_bank(self, not_id: int) -> Actor:
        """A licensed bank other than the given one."""
        user = self.session.scalar(sa.select(User).join(Institution).where(
            User.role == Role.BANK, User.institution_id != not_id, Institution.licensed_financial.is_(True))
            .order_by(User.id).limit(1))
        return Actor.of(user)


def _free_loans(session: so.Session) -> list[Loan]:
    """Core demo defaulted loans that no case uses yet, newest contract first."""
    used = sa.select(DisposalCase.loan_id)
    return list(session.scalars(sa.select(Loan).where(
        Loan.status == LoanStatus.DEFAULTED, Loan.id.not_in(used), Loan.pledge_id.is_not(None))
        .order_by(Loan.id.desc())))


def _case(session: so.Session, loan: Loan, number: int, now: datetime) -> DisposalCase:
    """A case whose review, valuation and public notice are behind it: ready for a channel."""
    assets = list(loan.pledge.assets)
    asset = assets[0]
    reference = f"{MARKER}{now.year}-{number:03d}"
    fields = dict(
        reference=reference, loan=loan, bank_id=loan.bank_id, state=CaseState.AWAITING_CHANNEL, title=asset.title,
        primary_kind=asset.kind, industry=loan.enterprise.industry, region=loan.enterprise.region or "北京",
        summary=f"{loan.enterprise.name}以{asset.title}出质，贷款违约，可许可、债转股或转让债权。",
        principal_outstanding_fen=loan.outstanding_principal_fen, unpaid_interest_fen=loan.unpaid_interest_fen,
        costs_so_far_fen=20_000 * YUAN, pledgee_consent=True, review_checks=REVIEWED,
        appraised_value_fen=loan.appraised_value_fen, valuation_report_ref=f"京中金评报字[2026]第{700 + number}号",
        valued_on=(now - timedelta(days=240)).date(), list_price_fen=(loan.appraised_value_fen or 0) * 7 // 10,
        notice_published_at=now - timedelta(days=230), notice_ends_at=now - timedelta(days=200),
        assets=assets, owner_name=loan.enterprise.name, listed=True, encumbrances="无",
        filed_at=now - timedelta(days=260), updated_at=now - timedelta(days=230),
        registry_numbers=" ".join(a.registry_number for a in assets),
        search_text=" ".join([asset.title, reference, loan.enterprise.name,
                              *(a.registry_number for a in assets)]).lower(),
    )
    loan.status = LoanStatus.IN_DISPOSAL
    case = DisposalCase(**{key: value for key, value in fields.items() if hasattr(DisposalCase, key)})
    session.add(case)
    session.flush()
    return case


def _terms(kind: LicenceKind = LicenceKind.EXCLUSIVE) -> LicenceTerms:
    return LicenceTerms(kind=kind, field_of_use="工业机器视觉检测设备的制造与销售", territory="中国大陆",
                        term_months=36, min_upfront_fen=300_000 * YUAN, min_royalty_rate_ppm=30_000,
                        reporting_period=ReportingPeriod.QUARTERLY, discount_rate_ppm=80_000,
                        reference_sales_fen=20_000_000 * YUAN)


def _open_round(session, people: _People, case: DisposalCase, now: datetime) -> None:
    op = Actor.of(people.operator)
    opened = now - timedelta(days=5)
    licence_round = licensing.open_licence_round(session, case.id, _terms(), offer_deadline=now + timedelta(days=10),
                                                 actor=op, now=opened)
    licensing.submit_licence_offer(session, licence_round.id, OfferTerms(450_000 * YUAN, 40_000), actor=op,
                                   now=opened + timedelta(days=2), applicant_name="苏州慧视智能科技有限公司",
                                   applicant_credit_code="91320594MA1XCH001Y")
    licensing.submit_licence_offer(session, licence_round.id, OfferTerms(300_000 * YUAN, 50_000, 200_000 * YUAN),
                                   actor=Actor.of(people.aic), now=opened + timedelta(days=3))


def _signed_licence(session, people: _People, case: DisposalCase, now: datetime) -> None:
    op, bank = Actor.of(people.operator), people.of(case.bank_id, Role.BANK)
    opened = now - timedelta(days=130)
    licence_round = licensing.open_licence_round(session, case.id, _terms(LicenceKind.SOLE),
                                                 offer_deadline=opened + timedelta(days=20), actor=op, now=opened)
    licensing.submit_licence_offer(session, licence_round.id, OfferTerms(600_000 * YUAN, 35_000), actor=op,
                                   now=opened + timedelta(days=4), applicant_name="北京京仪视觉装备有限公司",
                                   applicant_credit_code="91110108MA1XCH002Y")
    licensing.submit_licence_offer(session, licence_round.id, OfferTerms(400_000 * YUAN, 45_000),
                                   actor=people.other_bank(case.bank_id), now=opened + timedelta(days=6))
    closed = opened + timedelta(days=21)
    licensing.close_licence_round(session, licence_round.id, actor=Actor.system(), now=closed)
    best = licensing.ranking(licence_round)[0].key
    licensing.award_licence(session, licence_round.id, [best], actor=op, now=closed + timedelta(hours=3))
    licensing.decide_pledgee_consent(session, licence_round.id, consent=True, reference="质权人同意函〔2026〕31号",
                                     actor=bank, now=closed + timedelta(days=2))
    signed = closed + timedelta(days=5)
    [licence] = licensing.sign_licences(session, licence_round.id, contract_refs=["BJIPX-XK-2026-0031"],
                                        signed_on=signed.date(), actor=op, now=signed)
    for days, amount, ref in ((40, 150_000, "ICBC-20260115-8841"), (100, 175_500, "ICBC-20260420-1290")):
        when = signed + timedelta(days=days)
        if when < now:
            licensing.record_royalty_payment(session, licence.id, received_on=when.date(), amount_fen=amount * YUAN,
                                             reference=ref, reported_sales_fen=amount * 25 * YUAN, actor=op, now=when)
    for licence_id in licensing.missed_licence_recordals(session, now):
        licensing.flag_missed_licence_recordal(session, licence_id, now=now)


def _closed_round(session, people: _People, case: DisposalCase, now: datetime) -> None:
    op = Actor.of(people.operator)
    opened = now - timedelta(days=22)
    licence_round = licensing.open_licence_round(session, case.id, _terms(LicenceKind.NON_EXCLUSIVE),
                                                 offer_deadline=now - timedelta(days=1), actor=op, now=opened)
    offers = ((op, OfferTerms(500_000 * YUAN, 30_000), "深圳视拓科技有限公司", "91440300MA5XCH003Y"),
              (op, OfferTerms(320_000 * YUAN, 45_000), "杭州明眸智能有限公司", "91330106MA2XCH004Y"),
              (Actor.of(people.aic), OfferTerms(380_000 * YUAN, 40_000), "", ""))
    for day, (who, terms, name, code) in enumerate(offers, start=2):
        licensing.submit_licence_offer(session, licence_round.id, terms, actor=who, now=opened + timedelta(days=day),
                                       applicant_name=name, applicant_credit_code=code)
    licensing.close_licence_round(session, licence_round.id, actor=Actor.system(), now=now - timedelta(hours=20))


def _conversion(session, people: _People, case: DisposalCase, now: datetime) -> None:
    op = Actor.of(people.operator)
    face = case.principal_outstanding_fen + case.unpaid_interest_fen
    price = face * 55 // 100 // (10_000 * YUAN) * (10_000 * YUAN)
    terms = ConversionTerms(claim_price_fen=price, claim_valuation_fen=price * 108 // 100,
                            valuation_report_ref="中资评报字[2026]第1207号", pre_money_valuation_fen=price * 9,
                            lockup_months=36, exit_route=ExitRoute.BUYBACK,
                            exit_terms="锁定期满后由控股股东按投资成本加年化6%回购；三年内未回购的，AIC可对外转让。")
    proposed = now - timedelta(days=12)
    proposal = conversion.propose_conversion(session, case.id, aic_id=people.aic.institution_id, terms=terms,
                                             fund_compensation=True, actor=op, now=proposed)
    decided = ((ConsentParty.BANK, people.of(case.bank_id, Role.BANK), ""),
               (ConsentParty.AIC, Actor.of(people.aic), "工银投〔2026〕88号"))
    for day, (_party, who, ref) in enumerate(decided, start=2):  # borrower, guarantor, insurer, bureau still to come
        conversion.decide_consent(session, proposal.id, consent=True, reference=ref, actor=who,
                                  now=proposed + timedelta(days=day))


def _claims(session, people: _People, case: DisposalCase, now: datetime) -> None:
    op = Actor.of(people.operator)
    seller = people.of(case.bank_id, Role.BANK)
    listed = now - timedelta(days=6)
    listing = claim_transfer.list_claim(session, case.loan_id, asking_price_fen=case.principal_outstanding_fen * 6 // 10,
                                        offer_deadline=now + timedelta(days=14), actor=seller, now=listed,
                                        data_room_notes="借款合同、质押合同、质押登记通知书、评估报告、催收记录已上传至数据室。")
    claim_transfer.open_claim_listing(session, listing.id, actor=op, now=listed + timedelta(days=1))
    claim_transfer.submit_claim_offer(session, listing.id, price_fen=case.principal_outstanding_fen * 52 // 100,
                                      terms="签约后5个工作日内付清", actor=people.other_bank(case.bank_id),
                                      now=listed + timedelta(days=3))
    claim_transfer.submit_claim_offer(session, listing.id, price_fen=case.principal_outstanding_fen * 55 // 100,
                                      terms="需补充借款人近两年财报", actor=Actor.of(people.aic),
                                      now=listed + timedelta(days=4))
    performing = session.scalar(sa.select(Loan).where(
        Loan.status == LoanStatus.PERFORMING, Loan.id.not_in(sa.select(DisposalCase.loan_id)))
        .order_by(Loan.id.desc()).limit(1))
    if performing is not None:
        owner = people.of(performing.bank_id, Role.BANK)
        claim_transfer.list_claim(session, performing.id, asking_price_fen=performing.outstanding_principal_fen,
                                  offer_deadline=now + timedelta(days=20), actor=owner, now=now - timedelta(days=1),
                                  data_room_notes="正常类贷款，按期还本付息，拟整体转让以调整授信集中度。")
