"""Demo settlement, claims and fund: two policy versions, a closed year, settled cases with claims in every state.

Self-contained: it adds its own loans and disposed cases (contract numbers start with MARKER) for the demo
banks, guarantor, insurer and agency, then settles and claims through the real services on a past clock:
last year a case was paid and the year closed; this year the budget runs short, so claims wait; a late
royalty claws back part of a paid case; other claims are drafted, filed, awaiting a second approval,
approved, rejected. Cases other demo modules settled get their claims drafted too.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import sqlalchemy as sa
import sqlalchemy.orm as so

from market.demo.history import MARKER as HISTORY_MARKER
from market.domain.ledger import BudgetLine, Movement
from market.domain.loss import Layer, Shortfall
from market.domain.roles import InstitutionKind
from market.domain.settlement import ClaimKind, ClaimState, ReviewDecision
from market.domain.workflow import REVIEW_CHECKS, CaseState, Channel
from market.models import (
    PPM,
    CompensationClaim,
    DisposalCase,
    Enterprise,
    Institution,
    IPAsset,
    IPKind,
    Loan,
    LoanStatus,
    Pledge,
    User,
)
from market.services import compensation, fund, recoveries, settlement
from market.services.audit import Actor
from market.services.ledger import record_movement
from market.services.settlement import SETTLED_STATES, latest_statement

MARKER = "DEMO-SETTLE-"
YUAN = 100
WAN = 10_000 * YUAN  # 万元
FULL_STACK = dict(bank_share_ppm=400_000, guarantor_share_ppm=300_000, insurer_share_ppm=200_000,
                  agency_share_ppm=100_000, reguarantee_ppm=500_000, reinsurance_ppm=250_000)
# (number, channel, principal, recovery, what happens to the claims)
CASES = (
    (1, Channel.AUCTION, 300 * WAN, 120 * WAN, "paid_last_year"),
    (2, Channel.LICENSING, 400 * WAN, 100 * WAN, "paid_then_clawed_back"),
    (3, Channel.CONVERSION, 500 * WAN, 150 * WAN, "pending"),
    (4, Channel.CLAIM_TRANSFER, 1000 * WAN, 250 * WAN, "under_review"),
    (5, Channel.NEGOTIATED_SALE, 200 * WAN, 60 * WAN, "drafted"),
)


def seed(session: so.Session, now: datetime) -> bool:
    """Create the demo settlement data if missing (the core demo must be loaded first)."""
    if session.scalar(sa.select(Loan.id).where(Loan.contract_number.like(f"{MARKER}%")).limit(1)):
        return False
    users = {u.email: u for u in session.scalars(sa.select(User).where(User.email.like("%@demo.test")))}
    needed = ("operator", "bureau", "bureau2", "bank1", "bank2", "bank3", "guarantor", "insurer", "agency")
    if any(f"{name}@demo.test" not in users for name in needed):
        return False
    _Story(session, now, {name: users[f"{name}@demo.test"] for name in needed}).tell()
    return True


class _Story:
    """The fund's last year and this year, told through the services on a clock that ends before now."""

    def __init__(self, session: so.Session, now: datetime, users: dict[str, User]):
        self.session, self.now, self.users = session, now, users
        self.year = fund.fund_year_of(now)
        self.year_start = datetime(self.year, 1, 1, tzinfo=fund.LOCAL).astimezone(UTC)
        self.operator = Actor.of(users["operator"])
        self.bureau, self.bureau2 = Actor.of(users["bureau"]), Actor.of(users["bureau2"])
        self.enterprises = list(session.scalars(sa.select(Enterprise).order_by(Enterprise.id)))
        self.banks = [users[f"bank{n}"].institution for n in (1, 2, 3)]

    def at(self, fraction: float) -> datetime:
        """A moment this year, a fraction of the way from New Year to a day before now."""
        span = max(timedelta(hours=1), self.now - timedelta(days=1) - self.year_start)
        return self.year_start + span * fraction

    def last_year(self, month: int, day: int) -> datetime:
        """A moment last year (10:00 Beijing time)."""
        return datetime(self.year - 1, month, day, 10, tzinfo=fund.LOCAL).astimezone(UTC)

    def tell(self) -> None:
        s, b = self.session, self.bureau
        # last year: the first policy, money, one case paid in full, year-end
        fund.add_policy_version(s, actor=b, now=self.last_year(1, 10), note="首版：各层补偿比例30%，四眼审批门槛30万元",
                                **self._policy(ratio_guarantor_ppm=300_000))
        fund.contribute(s, 2000 * WAN, actor=b, now=self.last_year(1, 15), memo="市级财政拨款（风险补偿资金池设立）")
        fund.grant_budget(s, self.year - 1, BudgetLine.COMPENSATION, 300 * WAN, actor=b, now=self.last_year(1, 15),
                          memo="年度预算")
        fund.grant_budget(s, self.year - 1, BudgetLine.SUBSIDY, 50 * WAN, actor=b, now=self.last_year(1, 15))
        cases = {number: self._disposed_case(number, channel, principal, recovery)
                 for number, channel, principal, recovery, _ in CASES}
        self._settle(cases[1], self.last_year(6, 20))
        self._file_and_approve(cases[1], self.last_year(7, 1))
        fund.run_payments(s, actor=b, now=self.last_year(7, 15))
        settlement.record_transfer(s, cases[1].id, actor=self.operator, now=self.last_year(7, 20))
        settlement.close_case(s, cases[1].id, actor=self.operator, now=self.last_year(7, 25))
        fund.close_year(s, self.year - 1, actor=b, now=self.at(0.02))

        # this year: a new policy version, a tight budget
        fund.add_policy_version(s, actor=b, now=self.at(0.03), note="第二版：担保机构补偿比例提高至40%",
                                **self._policy(ratio_guarantor_ppm=400_000))
        fund.grant_budget(s, self.year, BudgetLine.COMPENSATION, 120 * WAN, actor=b, now=self.at(0.04),
                          memo="年度预算（紧张）")
        fund.grant_budget(s, self.year, BudgetLine.SUBSIDY, 50 * WAN, actor=b, now=self.at(0.04))
        self._new_loans()

        self._settle(cases[2], self.at(0.10))
        self._file_and_approve(cases[2], self.at(0.15))
        self._subsidy(ClaimKind.INTEREST_SUBSIDY, "bank1", 20 * WAN, "2026年一季度利息清单", self.at(0.16), approve=True)
        fund.run_payments(s, actor=b, now=self.at(0.20))  # case 2 paid in full

        self._settle(cases[3], self.at(0.30))
        self._file_and_approve(cases[3], self.at(0.35))
        fund.run_payments(s, actor=b, now=self.at(0.40))  # the budget runs out: case 3 waits

        # royalties after settlement: the statement is re-run and case 2's claims are clawed back in part
        record_movement(s, Movement.LICENCE_INCOME, amount_fen=60 * WAN, now=self.at(0.50), case_id=cases[2].id,
                        memo="许可使用费（结算后收到）")
        recoveries.on_later_recovery(s, s.get(DisposalCase, cases[2].id), 60 * WAN, self.at(0.50),
                                     memo="被许可人支付的第二期许可使用费", actor=self.operator)
        s.flush()
        agency_claim = self._claim(cases[2], Layer.AGENCY)
        if agency_claim.clawbacks:
            fund.repay_clawback(s, agency_claim.clawbacks[0].id, actor=b, now=self.at(0.55))

        # recent cases: one under review in every way, one just drafted
        self._settle(cases[4], self._recent(12))
        self._review_mixed(cases[4], self._recent(8))
        self._subsidy(ClaimKind.PREMIUM_SUBSIDY, "guarantor", 6 * WAN, "担保费发票 No.04418822", self._recent(6))
        self._subsidy(ClaimKind.APPRAISAL_SUBSIDY, "agency", 4 * WAN, "评估费发票 No.11902231", self._recent(6),
                      approve=True)
        self._settle(cases[5], self._recent(3))
        self._draft_for_other_settled_cases()

    # --- pieces -----------------------------------------------------------------------------------

    def _policy(self, **overrides) -> dict:
        values = dict(
            ratio_bank_ppm=300_000, ratio_insurer_ppm=300_000, ratio_agency_ppm=300_000,
            cap_per_loan_fen=300 * WAN, annual_budget_fen=120 * WAN, subsidy_budget_fen=50 * WAN,
            shortfall=Shortfall.WAIT, four_eyes_above_fen=30 * WAN,
            interest_subsidy_ppm=400_000, interest_subsidy_cap_fen=50 * WAN,
            appraisal_subsidy_ppm=500_000, appraisal_subsidy_cap_fen=10 * WAN,
            premium_subsidy_ppm=500_000, premium_subsidy_cap_fen=20 * WAN,
        )
        values.update(overrides)
        return values

    def _recent(self, days: int) -> datetime:
        return max(self.now - timedelta(days=days), self.at(0.6 + days / 1000))

    def _disposed_case(self, number: int, channel: Channel, principal: int, recovery: int) -> DisposalCase:
        s = self.session
        bank = self.banks[number % len(self.banks)]
        enterprise = self.enterprises[(number * 5 + 2) % len(self.enterprises)]
        by_kind = lambda kind: s.scalar(sa.select(Institution).where(Institution.kind == kind)  # noqa: E731
                                        .order_by(Institution.id).limit(1))
        start = date(self.year - 3, 3, 1) + timedelta(days=37 * number)
        asset = s.scalar(sa.select(IPAsset).where(IPAsset.owner_id == enterprise.id).order_by(IPAsset.id).limit(1))
        loan = Loan(
            contract_number=f"{MARKER}{bank.credit_code[-4:]}-{number:03d}", bank=bank, enterprise=enterprise,
            pledge=Pledge(registration_number=f"{MARKER}Y{start.year}{number:05d}", pledgee=bank,
                          secured_amount_fen=principal, registered_on=start, assets=[asset] if asset else []),
            principal_fen=principal, outstanding_principal_fen=principal, unpaid_interest_fen=principal * 3 // 100,
            annual_rate_ppm=42_000, appraised_value_fen=principal * 2, start_date=start,
            maturity_date=start + timedelta(days=365), defaulted_on=start + timedelta(days=400),
            status=LoanStatus.IN_DISPOSAL, guarantor=by_kind(InstitutionKind.GUARANTOR),
            insurer=by_kind(InstitutionKind.INSURER), agency=by_kind(InstitutionKind.AGENCY), **FULL_STACK,
        )
        s.add(loan)
        s.flush()
        title = asset.title if asset else f"{enterprise.name}知识产权组合"
        filed = datetime.combine(start + timedelta(days=410), datetime.min.time(), tzinfo=UTC)
        case = DisposalCase(
            reference=f"DC-JS-{self.year}-{number:03d}", loan=loan, bank_id=bank.id, state=CaseState.DISPOSED,
            channel=channel, title=title, primary_kind=asset.kind if asset else IPKind.PATENT,
            industry=enterprise.industry, region=enterprise.region, principal_outstanding_fen=principal,
            unpaid_interest_fen=loan.unpaid_interest_fen, pledgee_consent=True, review_checks=list(REVIEW_CHECKS),
            appraised_value_fen=principal * 2, valuation_report_ref=f"京中金评报字[{start.year + 2}]第{number:04d}号",
            valued_on=start + timedelta(days=420), recovery_fen=recovery, assets=[asset] if asset else [],
            filed_at=filed, updated_at=filed,
        )
        s.add(case)
        s.flush()
        return case

    def _settle(self, case: DisposalCase, when: datetime) -> None:
        s = self.session
        case = s.get(DisposalCase, case.id)
        case.disposed_at = when - timedelta(days=5)
        case.loan.defaulted_on = (when - timedelta(days=170 + 20 * (case.id % 5))).date()
        if case.channel in (Channel.AUCTION, Channel.NEGOTIATED_SALE):
            record_movement(s, Movement.BUYER_PAYMENT, amount_fen=case.recovery_fen, now=when - timedelta(days=5),
                            case_id=case.id, memo="买受人支付价款")
        else:
            movement, memo = {Channel.LICENSING: (Movement.LICENCE_INCOME, "许可使用费（首期）"),
                              Channel.CONVERSION: (Movement.CONVERSION_PRICE, "金融资产投资公司支付债权收购价款"),
                              Channel.CLAIM_TRANSFER: (Movement.CLAIM_PRICE, "受让机构支付债权转让价款")}[case.channel]
            record_movement(s, movement, amount_fen=case.recovery_fen, now=when - timedelta(days=5),
                            case_id=case.id, memo=memo)
        s.flush()
        settlement.settle_case(s, case.id, actor=self.operator, now=when)

    def _claim(self, case: DisposalCase, layer: Layer) -> CompensationClaim:
        return self.session.scalar(sa.select(CompensationClaim).where(
            CompensationClaim.case_id == case.id, CompensationClaim.layer == layer,
            CompensationClaim.kind == ClaimKind.COMPENSATION))

    def _filer(self, claim: CompensationClaim) -> Actor:
        name = {Layer.GUARANTOR: "guarantor", Layer.INSURER: "insurer", Layer.AGENCY: "agency"}.get(claim.layer)
        if name is None:
            name = next(n for n in ("bank1", "bank2", "bank3") if self.users[n].institution_id == claim.institution_id)
        return Actor.of(self.users[name])

    def _approve(self, claim: CompensationClaim, when: datetime, *, second: bool = True) -> None:
        compensation.review(self.session, claim.id, actor=self.bureau, decision=ReviewDecision.APPROVE, now=when)
        if second and claim.state == ClaimState.AWAITING_SECOND_APPROVAL:
            compensation.review(self.session, claim.id, actor=self.bureau2, decision=ReviewDecision.APPROVE,
                                now=when + timedelta(hours=3))

    def _file_and_approve(self, case: DisposalCase, when: datetime) -> None:
        for layer in Layer:
            claim = self._claim(case, layer)
            if claim is None:
                continue
            compensation.file_claim(self.session, claim.id, actor=self._filer(claim), now=when)
            self._approve(claim, when + timedelta(days=2))

    def _review_mixed(self, case: DisposalCase, when: datetime) -> None:
        s = self.session
        bank, guarantor = self._claim(case, Layer.BANK), self._claim(case, Layer.GUARANTOR)
        insurer, agency = self._claim(case, Layer.INSURER), self._claim(case, Layer.AGENCY)
        for claim in (bank, guarantor, insurer, agency):
            compensation.file_claim(s, claim.id, actor=self._filer(claim), now=when)
        # the bank's claim waits for review; the guarantor's waits for a second approval
        self._approve(guarantor, when + timedelta(days=1), second=False)
        compensation.review(s, insurer.id, actor=self.bureau, decision=ReviewDecision.REDUCE,
                            amount_fen=insurer.claimed_fen * 9 // 10, now=when + timedelta(days=1),
                            reason="再保险分出比例按再保险合同核定，核减10%")
        if insurer.state == ClaimState.AWAITING_SECOND_APPROVAL:
            compensation.review(s, insurer.id, actor=self.bureau2, decision=ReviewDecision.APPROVE,
                                now=when + timedelta(days=2))
        compensation.review(s, agency.id, actor=self.bureau, decision=ReviewDecision.REJECT,
                            now=when + timedelta(days=1), reason="评估机构未按协议承担风险分担份额，不予补偿")

    def _subsidy(self, kind: ClaimKind, who: str, base_fen: int, evidence: str, when: datetime,
                 approve: bool = False) -> None:
        user = self.users[who]
        column = {"bank1": Loan.bank_id, "guarantor": Loan.guarantor_id, "agency": Loan.agency_id}[who]
        loan = self.session.scalar(sa.select(Loan).where(column == user.institution_id,
                                                         Loan.status == LoanStatus.PERFORMING)
                                   .order_by(Loan.id).limit(1))
        if loan is None:
            return
        claim = compensation.file_subsidy_claim(self.session, actor=Actor.of(user), loan_id=loan.id, kind=kind,
                                                base_fen=base_fen, evidence=evidence, now=when)
        if approve:
            self._approve(claim, when + timedelta(days=1))

    def _new_loans(self) -> None:
        """A few loans granted this quarter, so the quarter's statistics have new lending to show."""
        s = self.session
        quarter_start = date(self.now.year, 3 * ((self.now.month - 1) // 3) + 1, 1)
        for k in range(6):
            bank = self.banks[k % 3]
            enterprise = self.enterprises[(k * 4 + 1) % len(self.enterprises)]
            start = min(self.now.date(), quarter_start + timedelta(days=3 + 9 * k))
            principal = (300 + 150 * k) * WAN
            asset = s.scalar(sa.select(IPAsset).where(IPAsset.owner_id == enterprise.id).order_by(IPAsset.id.desc())
                             .limit(1))
            s.add(Loan(
                contract_number=f"{MARKER}NEW-{bank.credit_code[-4:]}-{k:03d}", bank=bank, enterprise=enterprise,
                pledge=Pledge(registration_number=f"{MARKER}YN{start.year}{k:05d}", pledgee=bank,
                              secured_amount_fen=principal, registered_on=start, assets=[asset] if asset else []),
                principal_fen=principal, outstanding_principal_fen=principal, unpaid_interest_fen=0,
                annual_rate_ppm=39_500, appraised_value_fen=principal * 5 // 2, start_date=start,
                maturity_date=start + timedelta(days=730), status=LoanStatus.PERFORMING, bank_share_ppm=PPM,
            ))
        s.flush()

    def _draft_for_other_settled_cases(self) -> None:
        """Cases settled before there was a policy get their claims drafted now (not the calibration history's:
        those closed years ago, before the fund)."""
        s = self.session
        history = sa.select(Loan.id).where(Loan.contract_number.like(f"{HISTORY_MARKER}%"))
        for case in s.scalars(sa.select(DisposalCase).where(DisposalCase.state.in_(SETTLED_STATES),
                                                            DisposalCase.loan_id.not_in(history))):
            statement = latest_statement(s, case.id)
            if statement is not None:
                compensation.draft_case_claims(s, case, statement, now=self._recent(1))
        s.flush()

