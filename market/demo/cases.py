"""Demo disposal cases: three in every state, each walked there through the real services on a past clock,
so its timeline, deadlines and audit trail are what the workflow would have produced."""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta

import sqlalchemy as sa
import sqlalchemy.orm as so

from market.demo import vocabulary
from market.domain.filing import Filing
from market.domain.roles import InstitutionKind
from market.domain.rules import min_first_start_fen, min_next_start_fen
from market.domain.workflow import REVIEW_CHECKS, CaseAction, CaseState, SuspensionGrounds
from market.models import (
    PPM,
    DisposalCase,
    Enterprise,
    Institution,
    IPAsset,
    LegalStatus,
    Loan,
    LoanStatus,
    Pledge,
    User,
)
from market.services import disposal, filing
from market.services.audit import Actor
from market.services.disposal import FirstRefusal, NoticeTerms

MARKER = "DEMO-CASE-"  # contract-number prefix of the loans this module adds
PER_STATE = 3
# The path every demo case follows, with the days each step takes; a case stops where its target state is.
PATH = (("file", 0), ("review", 2), ("verify", 3), ("value", 5), ("publish", 2), ("round1", 31), ("fail1", 4),
        ("round2", 10), ("fail2", 4), ("agree", 20), ("paid", 7), ("settle", 10), ("transfer", 20), ("close", 5))
STOP_AFTER = {
    CaseState.FILED: "file", CaseState.UNDER_REVIEW: "review", CaseState.VERIFIED: "verify",
    CaseState.VALUED: "value", CaseState.NOTICE_PUBLISHED: "publish", CaseState.AUCTION: "round1",
    CaseState.AWAITING_CHANNEL: "fail1", CaseState.NEGOTIATED_SALE: "fail2", CaseState.AWAITING_PAYMENT: "agree",
    CaseState.DISPOSED: "paid", CaseState.SETTLED: "settle", CaseState.TRANSFER_RECORDED: "transfer",
    CaseState.CLOSED: "close",
}
# States reached by one extra step after a point on the path.
DETOURS = {
    CaseState.RETURNED: ("review", "return"), CaseState.REJECTED: ("review", "reject"),
    CaseState.WITHDRAWN: ("publish", "withdraw"), CaseState.SUSPENDED: ("publish", "suspend"),
    CaseState.LICENSING: ("publish", "licensing"), CaseState.CONVERSION: ("publish", "conversion"),
    CaseState.CLAIM_TRANSFER: ("publish", "claim_transfer"),
}
UNIVERSITIES = ["清华大学", "北京航空航天大学", "中国科学院微电子研究所", "苏州大学"]
PRIVATE_BUYERS = ["深圳市华科创新投资有限公司", "杭州海康智能科技有限公司", "北京知产运营基金（有限合伙）",
                  "苏州元禾知识产权运营有限公司", "上海张江科技成果转化有限公司"]
REASONS = {
    "return": "质押登记证明复印件不清晰，请补充国家知识产权局出具的质押登记通知书原件扫描件。",
    "reject": "经核查，该专利已因未缴年费终止，质押标的灭失，不符合处置受理条件。",
    "withdraw": "债务人已与银行达成和解并清偿全部欠款，申请撤回处置。",
    "suspend": "案外人就涉案专利提起权属纠纷诉讼，法院已受理，暂停处置。",
}


def seed(session: so.Session, now: datetime) -> bool:
    """Create the demo cases if missing (the core demo must be loaded first)."""
    if session.scalar(sa.select(Loan.id).where(Loan.contract_number.like(f"{MARKER}%")).limit(1)):
        return False
    operator = session.scalar(sa.select(User).where(User.email == "operator@demo.test"))
    if operator is None:
        return False
    rng = random.Random(20261123)
    world = _World(session, rng)
    targets = [state for state in CaseState for _ in range(PER_STATE)]
    for number, target in enumerate(targets):
        loan = world.defaulted_loan(number)
        _Story(session, rng, world, loan, Actor.of(operator), now).walk_to(target)
    return True


class _World:
    """The institutions and firms the demo cases draw on, and the loans it adds for them."""

    def __init__(self, session: so.Session, rng: random.Random):
        self.session, self.rng = session, rng
        by_kind = lambda kind: list(session.scalars(  # noqa: E731
            sa.select(Institution).where(Institution.kind == kind).order_by(Institution.id)))
        self.banks = by_kind(InstitutionKind.BANK)
        self.guarantor = (by_kind(InstitutionKind.GUARANTOR) or [None])[0]
        self.insurer = (by_kind(InstitutionKind.INSURER) or [None])[0]
        self.agencies = by_kind(InstitutionKind.AGENCY)
        self.buyers = self.banks + by_kind(InstitutionKind.AIC)
        self.enterprises = list(session.scalars(sa.select(Enterprise).order_by(Enterprise.id)))
        self.bank_users = {u.institution_id: u for u in session.scalars(
            sa.select(User).where(User.institution_id.in_([b.id for b in self.banks])).order_by(User.id))}

    def defaulted_loan(self, number: int) -> Loan:
        """A new defaulted loan pledged with one to three assets (some jointly owned with a university)."""
        rng, bank = self.rng, self.banks[number % len(self.banks)]
        enterprise = self.enterprises[(number * 7) % len(self.enterprises)]
        principal = rng.choice([300, 500, 600, 800, 1000, 1200, 1500, 2000, 3000]) * 10_000 * 100
        start = date(2024, 1, 15) + timedelta(days=rng.randint(0, 400))
        assets = [self._asset(enterprise, number, k) for k in range(1 + (number % 5 == 0) + (number % 9 == 0))]
        stack = number % 3
        shares = [(400_000, 300_000, 200_000, 100_000), (500_000, 500_000, 0, 0), (PPM, 0, 0, 0)][stack]
        loan = Loan(
            contract_number=f"{MARKER}{bank.credit_code[-4:]}-{start.year}-{number:04d}", bank=bank,
            enterprise=enterprise, principal_fen=principal, outstanding_principal_fen=principal * rng.choice([8, 9, 10]) // 10,
            unpaid_interest_fen=principal * rng.randint(15, 45) // 1000, annual_rate_ppm=rng.choice([38_500, 42_000, 45_500]),
            appraised_value_fen=principal * 2, start_date=start, maturity_date=start + timedelta(days=365),
            defaulted_on=start + timedelta(days=400), status=LoanStatus.DEFAULTED,
            pledge=Pledge(registration_number=f"Y{start.year}98{number:06d}", pledgee=bank, secured_amount_fen=principal,
                          registered_on=start, assets=assets),
            guarantor=self.guarantor if shares[1] else None, insurer=self.insurer if shares[2] else None,
            agency=self.agencies[0] if shares[3] and self.agencies else None,
            bank_share_ppm=shares[0], guarantor_share_ppm=shares[1], insurer_share_ppm=shares[2],
            agency_share_ppm=shares[3], reguarantee_ppm=500_000 if shares[1] else 0,
            reinsurance_ppm=250_000 if shares[2] else 0,
        )
        self.session.add(loan)
        self.session.flush()
        return loan

    def _asset(self, enterprise: Enterprise, number: int, k: int) -> IPAsset:
        kind = vocabulary.pick_kind(enterprise.industry, self.rng)
        title, registry_number = vocabulary.asset_title_and_number(kind, 900_000 + number * 3 + k, self.rng,
                                                                   enterprise.industry)
        return IPAsset(kind=kind, registry_number=registry_number, title=title, owner=enterprise,
                       co_owners=[UNIVERSITIES[number % len(UNIVERSITIES)]] if number % 7 == 3 and k == 0 else [],
                       legal_status=LegalStatus.VALID, expires_on=date(2036 + number % 8, 1 + number % 12, 10))


class _Story:
    """One case walked along PATH on a clock that ends a few days before now."""

    def __init__(self, session, rng, world: _World, loan: Loan, operator: Actor, now: datetime):
        self.session, self.rng, self.world, self.loan, self.operator = session, rng, world, loan, operator
        self.bank = Actor.of(world.bank_users[loan.bank_id])
        self.now, self.case_id, self.clock = now, None, now

    def walk_to(self, target: CaseState) -> None:
        """Take the steps to the target state, timed so the last one lands one to four days ago."""
        stop, detour = (DETOURS[target][0], DETOURS[target][1]) if target in DETOURS else (STOP_AFTER[target], None)
        names = [name for name, _ in PATH]
        steps = list(PATH[: names.index(stop) + 1])
        if detour:
            steps.append((detour, 33 if detour in ("licensing", "conversion", "claim_transfer") else 6))
        gaps = [timedelta(days=days, minutes=self.rng.randint(0, 300)) for _, days in steps]
        # the walk ends one to four days (and a few hours) before now, never after it
        self.clock = self.now - sum(gaps, timedelta()) - timedelta(days=self.rng.randint(1, 4),
                                                                    hours=self.rng.randint(0, 8))
        for (name, _), gap in zip(steps, gaps, strict=True):
            self.clock += gap
            getattr(self, f"_{name}")()

    def _act(self, action: CaseAction, reason: str = "", **params):
        disposal.take_action(self.session, self.case_id, action, actor=self.operator, now=self.clock, reason=reason,
                             **params)

    def _file(self):
        assets = tuple(a.id for a in self.loan.pledge.assets)
        co_owners = tuple(sorted({n for a in self.loan.pledge.assets for n in a.co_owners}))
        case = filing.file_case(self.session, loan_id=self.loan.id, actor=self.bank, now=self.clock,
                                summary="借款企业经营困难，贷款逾期超过90天，经催收无果，申请对质押知识产权进行处置。",
                                filing=Filing(assets, self.loan.outstanding_principal_fen, self.loan.unpaid_interest_fen,
                                              self.rng.choice([0, 1_500_000, 3_800_000]), True, co_owners))
        self.case_id = case.id

    def _review(self):
        self._act(CaseAction.START_REVIEW)

    def _verify(self):
        disposal.verify_case(self.session, self.case_id, checks=REVIEW_CHECKS, actor=self.operator, now=self.clock)

    def _value(self):
        value = self.loan.outstanding_principal_fen * self.rng.randint(60, 130) // 100 // 100_000 * 100_000
        agency = self.world.agencies[0].id if self.world.agencies else None
        disposal.record_valuation(self.session, self.case_id, appraised_value_fen=value, appraiser_id=agency,
                                  report_ref=f"中金浩评报字[{self.clock.year}]第{self.case_id:04d}号",
                                  valued_on=(self.clock - timedelta(days=2)).date(), actor=self.operator, now=self.clock)

    def _publish(self):
        case = self.session.get(DisposalCase, self.case_id)
        holders = tuple(FirstRefusal(name, "共有人") for a in case.assets for name in a.co_owners)
        encumbrances = "该专利存在一项普通实施许可（许可期限至2027年12月31日），受让后继续有效。" \
            if self.case_id % 4 == 1 else "无其他质押、查封或许可。"
        disposal.publish_notice(self.session, self.case_id, NoticeTerms(
            start_price_fen=min_first_start_fen(case.appraised_value_fen), deposit_share_ppm=100_000,
            encumbrances=encumbrances, first_refusal_holders=holders), actor=self.operator, now=self.clock)

    def _round1(self):
        case = self.session.get(DisposalCase, self.case_id)
        self._act(CaseAction.OPEN_AUCTION, start_price_fen=case.list_price_fen, due_at=self.clock + timedelta(days=7))

    def _round2(self):
        case = self.session.get(DisposalCase, self.case_id)
        self._act(CaseAction.OPEN_AUCTION, start_price_fen=min_next_start_fen(case.last_start_price_fen),
                  due_at=self.clock + timedelta(days=7))

    def _fail1(self):
        self._act(CaseAction.AUCTION_FAILED)

    _fail2 = _fail1

    def _agree(self):
        case = self.session.get(DisposalCase, self.case_id)
        if self.rng.random() < 0.5:
            buyer, name = self.rng.choice(self.world.buyers).id, ""
        else:
            buyer, name = None, self.rng.choice(PRIVATE_BUYERS)
        disposal.agree_negotiated_sale(self.session, self.case_id, buyer_name=name, buyer_institution_id=buyer,
                                       price_fen=case.last_start_price_fen, actor=self.operator, now=self.clock)

    def _paid(self):
        disposal.record_buyer_payment(self.session, self.case_id, actor=self.operator, now=self.clock)

    def _settle(self):
        disposal.settlement_step(self.session, self.case_id, CaseAction.SETTLE, actor=self.operator, now=self.clock)

    def _transfer(self):
        disposal.settlement_step(self.session, self.case_id, CaseAction.RECORD_TRANSFER, actor=self.operator,
                                 now=self.clock)

    def _close(self):
        disposal.settlement_step(self.session, self.case_id, CaseAction.CLOSE, actor=self.operator, now=self.clock)

    def _return(self):
        self._act(CaseAction.RETURN_TO_BANK, REASONS["return"])

    def _reject(self):
        self._act(CaseAction.REJECT, REASONS["reject"])

    def _withdraw(self):
        disposal.withdraw_case(self.session, self.case_id, paid_by_debtor_fen=self.loan.outstanding_principal_fen,
                               reason=REASONS["withdraw"], actor=self.bank, now=self.clock)

    def _suspend(self):
        disposal.suspend_case(self.session, self.case_id, grounds=SuspensionGrounds.DISPUTE, reason=REASONS["suspend"],
                              actor=self.operator, now=self.clock)

    def _licensing(self):
        self._act(CaseAction.START_LICENSING, due_at=self.clock + timedelta(days=20))

    def _conversion(self):
        self._act(CaseAction.START_CONVERSION)

    def _claim_transfer(self):
        self._act(CaseAction.START_CLAIM_TRANSFER, due_at=self.clock + timedelta(days=15))

