"""The risk-compensation fund: policy versions, budget years, contributions, payment runs, year-ends, clawback repayments."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from fractions import Fraction
from zoneinfo import ZoneInfo

import sqlalchemy as sa
import sqlalchemy.orm as so

from market.db import is_postgresql
from market.domain import ledger as accounts
from market.domain.errors import Kind, NotFound, RoleRequired
from market.domain.ledger import BudgetLine, Movement
from market.domain.levers import PolicyLevers, StopLossResume
from market.domain.loss import (
    LAYERS,
    ApprovedClaim,
    CompensationPolicy,
    Fund,
    Shortfall,
    pay_claims,
)
from market.domain.notices import NoticeType
from market.domain.roles import Role
from market.domain.rules import RuleBroken
from market.domain.settlement import PPM, ClaimKind, ClaimState, state_after_payment
from market.models import (
    ClaimPayment,
    Clawback,
    CompensationClaim,
    FundYear,
    Loan,
    LoanStatus,
    PolicyVersion,
)
from market.services.audit import Actor, record_event
from market.services.claim_notices import tell_claim
from market.services.ledger import balance, record_movement

LOCAL = ZoneInfo("Asia/Shanghai")
_FUND_LOCK = 727_020  # PostgreSQL advisory lock serialising every change to claims and the fund


class NoPolicy(RuleBroken):
    """The bureau has not set a compensation policy yet."""

    code, kind = "no_policy", Kind.CONFLICT


class YearNotOpen(RuleBroken):
    """The fund year has no budget yet, or it was closed."""

    code, fields = "year_not_open", ("year",)


class BudgetNotGranted(YearNotOpen):
    """Claims are paid from a granted budget."""

    code = "budget_not_granted"


class YearClosed(YearNotOpen):
    """A closed fund year takes no more budget."""

    code = "year_closed"


class YearNotOver(RuleBroken):
    """A fund year can be closed only after it has ended."""

    code, fields = "year_not_over", ("year",)


class ClawbackAlreadyRepaid(RuleBroken):
    """The clawback was repaid already."""

    code, fields = "clawback_already_repaid", ("repaid_at",)


def fund_year_of(now: datetime) -> int:
    """The fund's budget year of a moment (calendar year in China Standard Time)."""
    return now.astimezone(LOCAL).year


def lock_fund(session: so.Session) -> None:
    """Serialise changes to claims and the fund (PostgreSQL advisory lock; SQLite writers are serial already)."""
    if is_postgresql(session):
        session.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": _FUND_LOCK})


def require_bureau(actor: Actor) -> None:
    """Only the finance bureau manages the fund."""
    if actor.role not in (Role.BUREAU, Role.SYSTEM):
        raise RoleRequired(roles=[Role.BUREAU])


def line_of(kind: ClaimKind) -> BudgetLine:
    """The budget line a claim is paid from."""
    return BudgetLine.SUBSIDY if kind.is_subsidy else BudgetLine.COMPENSATION


# --- the policy ------------------------------------------------------------------------------------


def current_policy(session: so.Session) -> PolicyVersion | None:
    """The newest policy version, or None before the bureau set one."""
    return session.scalar(sa.select(PolicyVersion).order_by(PolicyVersion.version.desc()).limit(1))


def require_policy(session: so.Session) -> PolicyVersion:
    """The newest policy version, or a clear error."""
    policy = current_policy(session)
    if policy is None:
        raise NoPolicy()
    return policy


def compensation_rule(policy: PolicyVersion) -> CompensationPolicy:
    """The pure rule (market.domain.loss) a policy version stands for."""
    return CompensationPolicy(
        ratio={layer: Fraction(getattr(policy, f"ratio_{layer.value}_ppm"), PPM) for layer in LAYERS},
        cap_per_layer_fen={
            layer: cap for layer in LAYERS if (cap := getattr(policy, f"cap_{layer.value}_fen")) is not None
        },
        cap_per_loan_fen=policy.cap_per_loan_fen,
        cap_per_institution_year_fen=policy.cap_per_institution_year_fen,
    )


def policy_levers(policy: PolicyVersion) -> PolicyLevers:
    """The levers (market.domain.levers) a policy version sets: banks are named by institution id."""
    stop_loss = policy.stop_loss_ppm
    return PolicyLevers(
        size_band_edges_fen=tuple(policy.size_band_edges_fen or ()),
        size_band_ratios=tuple(Fraction(ppm, PPM) for ppm in policy.size_band_ratios_ppm or ()),
        bank_ratios={bank: Fraction(ppm, PPM) for bank, ppm in (policy.bank_ratios_ppm or {}).items()},
        annual_cap_fen=policy.annual_cap_fen,
        stop_loss_share=None if stop_loss is None else Fraction(stop_loss, PPM),
        stop_loss_resume=policy.stop_loss_resume or StopLossResume.YEAR_END,
    )


POLICY_FIELDS = (
    "ratio_bank_ppm", "ratio_guarantor_ppm", "ratio_insurer_ppm", "ratio_agency_ppm",
    "cap_bank_fen", "cap_guarantor_fen", "cap_insurer_fen", "cap_agency_fen",
    "cap_per_loan_fen", "cap_per_institution_year_fen", "annual_budget_fen", "subsidy_budget_fen",
    "shortfall", "four_eyes_above_fen",
    "interest_subsidy_ppm", "interest_subsidy_cap_fen", "appraisal_subsidy_ppm", "appraisal_subsidy_cap_fen",
    "premium_subsidy_ppm", "premium_subsidy_cap_fen",
    "size_band_edges_fen", "size_band_ratios_ppm", "bank_ratios_ppm", "annual_cap_fen", "stop_loss_ppm",
    "stop_loss_resume",
)


def add_policy_version(session: so.Session, *, actor: Actor, now: datetime, note: str = "", **settings) -> PolicyVersion:
    """Save the bureau's policy as a new version (earlier versions stay, claims keep theirs)."""
    require_bureau(actor)
    unknown = set(settings) - set(POLICY_FIELDS)
    if unknown:
        raise ValueError(f"Unknown policy settings: {', '.join(sorted(unknown))}.")
    lock_fund(session)
    previous = current_policy(session)
    values = {name: getattr(previous, name) for name in POLICY_FIELDS} if previous else {}
    values.update(settings)
    values["shortfall"] = Shortfall(values.get("shortfall", Shortfall.WAIT))
    values["stop_loss_resume"] = StopLossResume(values.get("stop_loss_resume") or StopLossResume.YEAR_END)
    policy = PolicyVersion(version=(previous.version + 1 if previous else 1), created_at=now,
                           created_by_id=actor.user.id if actor.user else None, note=note.strip(), **values)
    compensation_rule(policy)  # refuses ratios outside [0, 1] and negative caps with a clear message
    policy_levers(policy)  # and levers that do not fit together
    session.add(policy)
    session.flush()
    record_event(session, actor=actor, entity="policy", entity_id=policy.id, action="policy_version_added",
                 now=now, reason=note, detail={"version": policy.version})
    return policy


# --- money in: contributions, budgets, year-ends ----------------------------------------------------


def contribute(session: so.Session, amount_fen: int, *, actor: Actor, now: datetime, memo: str = "") -> None:
    """Money put into the fund (a top-up of its balance), then pays waiting claims."""
    require_bureau(actor)
    lock_fund(session)
    transaction = record_movement(session, Movement.FUND_CONTRIBUTION, amount_fen=amount_fen, now=now, memo=memo)
    record_event(session, actor=actor, entity="fund", entity_id=transaction.id, action="fund_contribution",
                 now=now, reason=memo, detail={"amount_fen": amount_fen})


def open_year(session: so.Session, year: int, now: datetime) -> FundYear:
    """The fund year's record, created on first use (inside the caller's transaction)."""
    fund_year = session.scalar(sa.select(FundYear).where(FundYear.year == year))
    if fund_year is None:
        fund_year = FundYear(year=year, opened_at=now)
        session.add(fund_year)
        session.flush()
    return fund_year


def grant_budget(
    session: so.Session, year: int, line: BudgetLine, amount_fen: int, *, actor: Actor, now: datetime, memo: str = ""
) -> None:
    """Grant a year's budget line, or top it up."""
    require_bureau(actor)
    lock_fund(session)
    fund_year = open_year(session, year, now)
    if fund_year.closed_at is not None:
        raise YearClosed(year=year)
    transaction = record_movement(session, Movement.BUDGET_GRANTED, amount_fen=amount_fen, now=now,
                                  year=year, line=line, memo=memo)
    record_event(session, actor=actor, entity="fund", entity_id=transaction.id, action="budget_granted",
                 now=now, reason=memo, detail={"year": year, "line": line.value, "amount_fen": amount_fen})


def close_year(session: so.Session, year: int, *, actor: Actor, now: datetime) -> dict[BudgetLine, int]:
    """Year-end: what is left of each budget line lapses (a ledger event); waiting claims carry over. Commits."""
    require_bureau(actor)
    lock_fund(session)
    if fund_year_of(now) <= year:
        raise YearNotOver(year=year)
    fund_year = session.scalar(sa.select(FundYear).where(FundYear.year == year))
    if fund_year is None or fund_year.closed_at is not None:
        raise YearNotOpen(year=year)
    lapsed = {}
    for line in BudgetLine:
        left = budget_left_fen(session, year, line)
        lapsed[line] = left
        if left > 0:
            record_movement(session, Movement.BUDGET_LAPSED, amount_fen=left, now=now, year=year, line=line)
    fund_year.closed_at = now
    fund_year.closed_by_id = actor.user.id if actor.user else None
    record_event(session, actor=actor, entity="fund", entity_id=fund_year.id, action="year_closed", now=now,
                 detail={"year": year, **{f"lapsed_{k.value}_fen": v for k, v in lapsed.items()}})
    return lapsed


def budget_left_fen(session: so.Session, year: int, line: BudgetLine) -> int:
    """What is left of a year's budget line."""
    return -balance(session, accounts.budget_left(year, line))


def budget_granted_fen(session: so.Session, year: int, line: BudgetLine) -> int:
    """The total granted to a year's budget line."""
    return balance(session, accounts.budget_granted(year, line))


def fund_balance_fen(session: so.Session) -> int:
    """The money the fund holds."""
    return balance(session, accounts.FUND_CASH)


# --- money out: payment runs ------------------------------------------------------------------------


@dataclass(frozen=True)
class PaymentRun:
    """What one payment run did."""

    paid_fen: int
    claims_paid: int
    pending_fen: int
    lapsed_fen: int


def payment_queue(session: so.Session) -> list[CompensationClaim]:
    """Approved claims still owed something, in order of approval."""
    return list(session.scalars(
        sa.select(CompensationClaim)
        .where(CompensationClaim.state.in_([ClaimState.APPROVED, ClaimState.PENDING]))
        .order_by(CompensationClaim.queue_position)
        .execution_options(populate_existing=True)  # read fresh under the fund lock
    ))


def run_payments(session: so.Session, *, actor: Actor, now: datetime) -> PaymentRun:
    """Pay approved claims in order of approval while this year's budget and the balance last."""
    require_bureau(actor)
    lock_fund(session)
    result = pay_queue(session, actor=actor, now=now)
    return result


def pay_queue(session: so.Session, *, actor: Actor, now: datetime) -> PaymentRun:
    """The payment run inside the caller's locked transaction (market.domain.loss.pay_claims, claim by claim)."""
    year = fund_year_of(now)
    fund_year = session.scalar(sa.select(FundYear).where(FundYear.year == year))
    if fund_year is None or fund_year.closed_at is not None:
        raise BudgetNotGranted(year=year)
    shortfall = require_policy(session).shortfall
    cash = fund_balance_fen(session)
    left = {line: budget_left_fen(session, year, line) for line in BudgetLine}
    paid_total = count = pending_total = lapsed_total = 0
    for claim in payment_queue(session):
        line = line_of(claim.kind)
        owed = claim.still_owed_fen
        settled = pay_claims(Fund(balance_fen=cash, budget_left_fen=left[line]), [ApprovedClaim(claim.id, owed)],
                             shortfall)
        payment = settled.payments[0]
        if payment.paid_fen:
            transaction = record_movement(session, Movement.CLAIM_PAID, amount_fen=payment.paid_fen, now=now,
                                          claim_id=claim.id, year=year, line=line,
                                          institution_id=claim.institution_id, case_id=claim.case_id)
            session.add(ClaimPayment(claim_id=claim.id, amount_fen=payment.paid_fen, year=year, paid_at=now,
                                     ledger_transaction_id=transaction.id))
            cash -= payment.paid_fen
            left[line] -= payment.paid_fen
            claim.paid_fen += payment.paid_fen
            paid_total += payment.paid_fen
            count += 1
        if payment.lapsed_fen:
            record_movement(session, Movement.CLAIM_LAPSED, amount_fen=payment.lapsed_fen, now=now,
                            claim_id=claim.id, institution_id=claim.institution_id, case_id=claim.case_id)
            claim.lapsed_fen += payment.lapsed_fen
            lapsed_total += payment.lapsed_fen
        claim.pending_fen = payment.waiting_fen
        pending_total += payment.waiting_fen
        before = claim.state
        claim.state = state_after_payment(due_fen=claim.due_fen, paid_fen=claim.paid_fen - claim.clawed_back_fen,
                                          pending_fen=claim.pending_fen, lapsed_fen=claim.lapsed_fen)
        if payment.paid_fen or claim.state != before:
            record_event(session, actor=actor, entity="claim", entity_id=claim.id, action="claim_payment",
                         now=now, from_state=before.value, to_state=claim.state.value,
                         detail={"paid_fen": payment.paid_fen, "pending_fen": payment.waiting_fen,
                                 "lapsed_fen": payment.lapsed_fen})
        if payment.paid_fen:  # told once the claim's figures agree again (telling reads, which flushes)
            tell_claim(session, NoticeType.CLAIM_PAID, claim, now=now, amount_fen=payment.paid_fen,
                       waiting_fen=payment.waiting_fen)
    session.flush()
    return PaymentRun(paid_total, count, pending_total, lapsed_total)


def repay_clawback(session: so.Session, clawback_id: int, *, actor: Actor, now: datetime) -> Clawback:
    """Record that a claimant repaid a clawback into the fund."""
    require_bureau(actor)
    lock_fund(session)
    clawback = session.get(Clawback, clawback_id, populate_existing=True)
    if clawback is None:
        raise NotFound()
    if clawback.repaid_at is not None:
        raise ClawbackAlreadyRepaid(repaid_at=clawback.repaid_at)
    claim = clawback.claim
    record_movement(session, Movement.CLAWBACK_REPAID, amount_fen=clawback.amount_fen, now=now,
                    claim_id=claim.id, institution_id=claim.institution_id, case_id=claim.case_id,
                    reference=f"clawback-repaid:{clawback.id}")
    clawback.repaid_at = now
    record_event(session, actor=actor, entity="claim", entity_id=claim.id, action="clawback_repaid", now=now,
                 detail={"clawback_id": clawback.id, "amount_fen": clawback.amount_fen})
    return clawback


# --- what the bureau reads --------------------------------------------------------------------------


@dataclass(frozen=True)
class FundPosition:
    """The fund at a glance for one year."""

    year: int
    year_open: bool
    balance_fen: int
    budget_fen: int
    budget_left_fen: int
    subsidy_budget_fen: int
    subsidy_budget_left_fen: int
    paid_fen: int  # this year
    pending_fen: int  # waiting for money
    approved_unpaid_fen: int  # approved, not yet through a payment run
    clawed_back_fen: int  # demanded this year
    clawback_outstanding_fen: int
    loans_backed_fen: int
    policy_version: int | None
    shortfall: Shortfall | None

    @property
    def leverage(self) -> Fraction | None:
        """Loans backed per yuan in the fund (None when the fund is empty)."""
        return Fraction(self.loans_backed_fen, self.balance_fen) if self.balance_fen > 0 else None


BACKED_STATUSES = (LoanStatus.PERFORMING, LoanStatus.OVERDUE, LoanStatus.DEFAULTED, LoanStatus.IN_DISPOSAL)


def fund_position(session: so.Session, now: datetime, year: int | None = None) -> FundPosition:
    """Balance, budgets, paid / pending / clawed back this year, and leverage (loans backed / balance)."""
    year = year or fund_year_of(now)
    fund_year = session.scalar(sa.select(FundYear).where(FundYear.year == year))
    policy = current_policy(session)
    paid = session.scalar(sa.select(sa.func.coalesce(sa.func.sum(ClaimPayment.amount_fen), 0))
                          .where(ClaimPayment.year == year)) or 0
    queue = payment_queue(session)
    clawed = session.execute(
        sa.select(Clawback.amount_fen, Clawback.demanded_at, Clawback.repaid_at)
    ).all()
    clawed_this_year = sum(amount for amount, demanded, _ in clawed if fund_year_of(demanded) == year)
    outstanding = sum(amount for amount, _, repaid in clawed if repaid is None)
    backed = session.scalar(
        sa.select(sa.func.coalesce(sa.func.sum(Loan.outstanding_principal_fen), 0))
        .where(Loan.status.in_(BACKED_STATUSES))
    ) or 0
    return FundPosition(
        year=year,
        year_open=fund_year is not None and fund_year.closed_at is None,
        balance_fen=fund_balance_fen(session),
        budget_fen=budget_granted_fen(session, year, BudgetLine.COMPENSATION),
        budget_left_fen=budget_left_fen(session, year, BudgetLine.COMPENSATION),
        subsidy_budget_fen=budget_granted_fen(session, year, BudgetLine.SUBSIDY),
        subsidy_budget_left_fen=budget_left_fen(session, year, BudgetLine.SUBSIDY),
        paid_fen=int(paid),
        pending_fen=sum(c.pending_fen for c in queue if c.state == ClaimState.PENDING),
        approved_unpaid_fen=sum(c.still_owed_fen for c in queue if c.state == ClaimState.APPROVED),
        clawed_back_fen=clawed_this_year,
        clawback_outstanding_fen=outstanding,
        loans_backed_fen=int(backed),
        policy_version=policy.version if policy else None,
        shortfall=policy.shortfall if policy else None,
    )
