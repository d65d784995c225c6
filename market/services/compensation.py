"""Claims on the fund: drafted from a settlement statement or filed as subsidies, reviewed by the bureau (four eyes)."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
import sqlalchemy.orm as so

from market.domain.errors import Kind, RoleRequired
from market.domain.ledger import Movement
from market.domain.levers import (
    PolicyLevers,
    StopLossResume,
    past_stop_loss,
    policy_for_loan,
    within_annual_cap,
)
from market.domain.loss import (
    Layer,
    cap_for_institution_year,
    compute_claims,
    fen_share,
    interest_subsidy_fen,
)
from market.domain.notices import NoticeType
from market.domain.roles import SEES_EVERYTHING, Role
from market.domain.rules import RuleBroken
from market.domain.settlement import (
    PPM,
    ClaimKind,
    ClaimState,
    ReviewDecision,
    ppm_fraction,
    review_claim,
)
from market.models import (
    ClaimReview,
    CompensationClaim,
    DisposalCase,
    Loan,
    PolicyVersion,
    SettlementStatement,
    User,
)
from market.services.access import Forbidden, NotFound, can_see_case, loan_visibility
from market.services.audit import Actor, record_event
from market.services.claim_notices import tell_claim
from market.services.fund import (
    LOCAL,
    compensation_rule,
    current_policy,
    fund_year_of,
    lock_fund,
    policy_levers,
    require_policy,
)
from market.services.ledger import record_movement
from market.services.settlement import (
    SETTLED_STATES,
    case_layer_institution_id,
    latest_statement,
    layer_institution_id,
    statement_shares,
)

# States in which a claim counts against the yearly caps (approved at some point, not rejected).
COUNTS_AGAINST_CAPS = (ClaimState.APPROVED, ClaimState.PENDING, ClaimState.PAID, ClaimState.LAPSED,
                       ClaimState.CLAWED_BACK)
LAYER_OF_ROLE = {Role.BANK: Layer.BANK, Role.GUARANTOR: Layer.GUARANTOR, Role.INSURER: Layer.INSURER,
                 Role.AGENCY: Layer.AGENCY}
# Who may file which subsidy for a loan (the beneficiary is always the borrowing firm).
SUBSIDY_FILERS = {
    ClaimKind.INTEREST_SUBSIDY: (Layer.BANK,),
    ClaimKind.APPRAISAL_SUBSIDY: (Layer.BANK, Layer.AGENCY),
    ClaimKind.PREMIUM_SUBSIDY: (Layer.GUARANTOR, Layer.INSURER),
}


class ClaimNotFileable(RuleBroken):
    """Only a drafted claim can be filed."""

    code, kind, fields = "claim_not_fileable", Kind.CONFLICT, ("state",)


class NothingToClaim(RuleBroken):
    """The rule gives nothing to claim (no loss, a zero ratio, or a cap used up)."""

    code, kind = "nothing_to_claim", Kind.CONFLICT


class NoDraftClaim(NothingToClaim):
    """The institution has no drafted claim on the case."""

    code = "no_draft_claim"


class SubsidyCapUsedUp(NothingToClaim):
    """The firm's yearly cap for the subsidy is used up."""

    code, fields = "subsidy_cap_used_up", ("cap_fen",)


class SubsidyComesToNothing(NothingToClaim):
    """The subsidy computes to nothing."""

    code = "subsidy_comes_to_nothing"


class NotOnTheLoan(Forbidden):
    """Only an institution on the loan claims on it."""

    code = "not_on_the_loan"


class SubsidyNotOffered(RuleBroken):
    """The current policy gives no share for this subsidy, or this institution cannot file it."""

    code = "subsidy_not_offered"


class SubsidyNotForYou(SubsidyNotOffered):
    """This institution cannot file this subsidy for this loan."""

    code = "subsidy_not_for_you"


class CaseNotSettled(RuleBroken):
    """Claims are drafted from a settlement statement; the case has none yet."""

    code, kind = "case_not_settled", Kind.CONFLICT


# --- reading claims ---------------------------------------------------------------------------------


def claim_visibility(user: User) -> sa.ColumnElement[bool]:
    """A WHERE clause for the claims a user may open: the bureau and the centre see all, others their own."""
    if user.role in SEES_EVERYTHING:
        return sa.true()
    if user.role in LAYER_OF_ROLE:
        return CompensationClaim.institution_id == user.institution_id
    return sa.false()


def get_claim(session: so.Session, user: User, claim_id: int) -> CompensationClaim:
    """A claim the user may open, or NotFound."""
    claim = session.scalar(sa.select(CompensationClaim).where(CompensationClaim.id == claim_id,
                                                              claim_visibility(user)))
    if claim is None:
        raise NotFound()
    return claim


def list_claims(
    session: so.Session, user: User, *, states: tuple[ClaimState, ...] | None = None, year: int | None = None,
    kinds: tuple[ClaimKind, ...] | None = None, limit: int | None = None,
) -> list[CompensationClaim]:
    """The claims a user may see, newest first (optionally of some states, kinds and a year)."""
    query = sa.select(CompensationClaim).where(claim_visibility(user))
    if states:
        query = query.where(CompensationClaim.state.in_(states))
    if kinds:
        query = query.where(CompensationClaim.kind.in_(kinds))
    if year is not None:
        query = query.where(CompensationClaim.year == year)
    query = query.order_by(CompensationClaim.id.desc())
    if limit:
        query = query.limit(limit)
    return list(session.scalars(query))


def used_in_year(
    session: so.Session, *, year: int, kind: ClaimKind, institution_id: int | None = None,
    enterprise_id: int | None = None, excluding: int | None = None,
) -> int:
    """What was approved (and is still due) in a year for an institution's compensation or a firm's subsidy."""
    query = sa.select(sa.func.coalesce(sa.func.sum(CompensationClaim.due_fen), 0)).where(
        CompensationClaim.year == year, CompensationClaim.kind == kind,
        CompensationClaim.state.in_(COUNTS_AGAINST_CAPS),
    )
    if institution_id is not None:
        query = query.where(CompensationClaim.institution_id == institution_id)
    if enterprise_id is not None:
        query = query.where(CompensationClaim.enterprise_id == enterprise_id)
    if excluding is not None:
        query = query.where(CompensationClaim.id != excluding)
    return int(session.scalar(query) or 0)


def year_cap_of(policy: PolicyVersion, kind: ClaimKind) -> int | None:
    """The yearly cap: per institution for compensation, per firm for each subsidy."""
    if kind == ClaimKind.COMPENSATION:
        return policy.cap_per_institution_year_fen
    return getattr(policy, f"{kind.value}_cap_fen")


def year_room(session: so.Session, claim: CompensationClaim, year: int) -> int | None:
    """What the yearly cap still leaves for this claim (None: no cap)."""
    cap = year_cap_of(claim.policy_version, claim.kind)
    if cap is None:
        return None
    if claim.kind == ClaimKind.COMPENSATION:
        used = used_in_year(session, year=year, kind=claim.kind, institution_id=claim.institution_id,
                            excluding=claim.id)
    else:
        used = used_in_year(session, year=year, kind=claim.kind, enterprise_id=claim.enterprise_id,
                            excluding=claim.id)
    return max(0, cap - used)


# --- drafting and filing ----------------------------------------------------------------------------


def draft_case_claims(
    session: so.Session, case: DisposalCase, statement: SettlementStatement, *, now: datetime,
    layers: tuple[Layer, ...] | None = None,
) -> list[CompensationClaim]:
    """Draft each layer's compensation claim from a statement under the current policy (caller's transaction)."""
    policy = current_policy(session)
    if policy is None:
        return []
    levers = policy_levers(policy)
    # the levers (market.domain.levers): the loan's ratio by its size band or its lending bank
    rule = policy_for_loan(compensation_rule(policy), levers, case.loan.principal_fen, str(case.bank_id))
    breakdown = compute_claims(statement.principal_loss_fen, statement_shares(statement), rule)
    existing = {
        claim.layer for claim in session.scalars(
            sa.select(CompensationClaim).where(CompensationClaim.case_id == case.id,
                                               CompensationClaim.kind == ClaimKind.COMPENSATION)
        )
    }
    year = fund_year_of(now)
    if bank_past_stop_loss(session, case, levers, year):
        record_event(session, actor=Actor.system(), entity="case", entity_id=case.id, action="claims_paused",
                     now=now, detail={"bank_id": case.bank_id, "policy_version": policy.version})
        return []
    fund_used = used_in_year(session, year=year, kind=ClaimKind.COMPENSATION)  # for the annual cap
    drafted = []
    for line in breakdown.lines:
        institution_id = case_layer_institution_id(case, line.layer)
        if institution_id is None or line.layer in existing or line.claim_fen <= 0:
            continue
        if layers is not None and line.layer not in layers:
            continue
        used = used_in_year(session, year=year, kind=ClaimKind.COMPENSATION, institution_id=institution_id)
        claim = CompensationClaim(
            kind=ClaimKind.COMPENSATION, state=ClaimState.DRAFTED, loan_id=case.loan_id,
            enterprise_id=case.loan.enterprise_id, case_id=case.id, statement_id=statement.id,
            institution_id=institution_id, layer=line.layer, policy_version_id=policy.id, year=year,
            share_ppm=int(line.share * PPM), loss_fen=line.loss_fen, dispersed_fen=line.dispersed_fen,
            base_fen=line.base_fen, ratio_ppm=int(line.ratio * PPM),
            uncapped_fen=fen_share(line.base_fen, line.ratio), cap_fen=line.cap_fen,
            loan_cap_fen=policy.cap_per_loan_fen, year_cap_fen=policy.cap_per_institution_year_fen,
            year_used_fen=used,
            claimed_fen=within_annual_cap(cap_for_institution_year(line.claim_fen, used, rule), fund_used, levers),
            drafted_at=now,
        )
        fund_used += claim.claimed_fen
        session.add(claim)
        drafted.append(claim)
    session.flush()
    for claim in drafted:
        record_event(session, actor=Actor.system(), entity="claim", entity_id=claim.id, action="claim_drafted",
                     now=now, to_state=ClaimState.DRAFTED.value,
                     detail={"case_id": case.id, "layer": claim.layer.value, "claimed_fen": claim.claimed_fen,
                             "policy_version": policy.version})
        tell_claim(session, NoticeType.CLAIM_DRAFTED, claim, now=now, amount_fen=claim.claimed_fen)
    return drafted


def bank_past_stop_loss(session: so.Session, case: DisposalCase, levers: PolicyLevers, year: int) -> bool:
    """Whether the case's lending bank is past the policy's stop-loss line (levers.past_stop_loss): the
    principal losses of its settled cases (latest statements; within the fund year, or ever, as the
    policy says) over the principal of its loans."""
    if levers.stop_loss_share is None:
        return False
    latest = (
        sa.select(SettlementStatement.case_id, sa.func.max(SettlementStatement.revision).label("revision"))
        .group_by(SettlementStatement.case_id)
        .subquery()
    )
    losses = (
        sa.select(sa.func.coalesce(sa.func.sum(SettlementStatement.principal_fen
                                               - SettlementStatement.to_principal_fen), 0))
        .join(latest, sa.and_(SettlementStatement.case_id == latest.c.case_id,
                              SettlementStatement.revision == latest.c.revision))
        .join(DisposalCase, DisposalCase.id == SettlementStatement.case_id)
        .where(DisposalCase.bank_id == case.bank_id)
    )
    if levers.stop_loss_resume is StopLossResume.YEAR_END:
        losses = losses.where(SettlementStatement.created_at >= datetime(year, 1, 1, tzinfo=LOCAL),
                              SettlementStatement.created_at < datetime(year + 1, 1, 1, tzinfo=LOCAL))
    lent = sa.select(sa.func.coalesce(sa.func.sum(Loan.principal_fen), 0)).where(Loan.bank_id == case.bank_id)
    return past_stop_loss(int(session.scalar(losses) or 0), int(session.scalar(lent) or 0), levers)


def _claimant_check(claim: CompensationClaim, actor: Actor) -> None:
    if actor.user is None or actor.user.institution_id != claim.institution_id or actor.role not in LAYER_OF_ROLE:
        raise NotFound()


def file_claim(session: so.Session, claim_id: int, *, actor: Actor, now: datetime) -> CompensationClaim:
    """The claimant files its drafted claim for the bureau's review."""
    lock_fund(session)
    claim = session.get(CompensationClaim, claim_id, populate_existing=True)
    if claim is None:
        raise NotFound()
    _claimant_check(claim, actor)
    _file(session, claim, actor=actor, now=now)
    return claim


def _file(session: so.Session, claim: CompensationClaim, *, actor: Actor, now: datetime) -> None:
    if claim.state != ClaimState.DRAFTED:
        raise ClaimNotFileable(state=claim.state)
    if claim.claimed_fen <= 0:
        raise NothingToClaim()
    claim.state = ClaimState.FILED
    claim.filed_at = now
    claim.filed_by_id = actor.user.id if actor.user else None
    record_event(session, actor=actor, entity="claim", entity_id=claim.id, action="claim_filed", now=now,
                 from_state=ClaimState.DRAFTED.value, to_state=ClaimState.FILED.value,
                 detail={"claimed_fen": claim.claimed_fen})


def file_case_claims(session: so.Session, case_id: int, *, actor: Actor, now: datetime) -> list[CompensationClaim]:
    """The institution files its claim from a case's statement (drafting it first if needed)."""
    lock_fund(session)
    case = session.get(DisposalCase, case_id)
    if case is None or actor.user is None or not can_see_case(actor.user, case):
        raise NotFound()
    if actor.role not in LAYER_OF_ROLE:
        raise NotOnTheLoan()
    statement = latest_statement(session, case.id)
    if statement is None or case.state not in SETTLED_STATES:
        raise CaseNotSettled()
    require_policy(session)
    mine = tuple(layer for layer in Layer
                 if case_layer_institution_id(case, layer) == actor.user.institution_id)
    draft_case_claims(session, case, statement, now=now, layers=mine)
    claims = list(session.scalars(
        sa.select(CompensationClaim).where(
            CompensationClaim.case_id == case.id, CompensationClaim.kind == ClaimKind.COMPENSATION,
            CompensationClaim.institution_id == actor.user.institution_id,
            CompensationClaim.state == ClaimState.DRAFTED,
        )
    ))
    if not claims:
        raise NoDraftClaim()
    for claim in claims:
        _file(session, claim, actor=actor, now=now)
    return claims


def file_subsidy_claim(
    session: so.Session, *, actor: Actor, loan_id: int, kind: ClaimKind, base_fen: int, evidence: str, now: datetime
) -> CompensationClaim:
    """File a subsidy (interest, appraisal fee, premium) for a loan's borrower: a share of the cost within the firm's yearly cap."""
    if not kind.is_subsidy:
        raise ValueError("Compensation claims come from a settlement statement.")
    lock_fund(session)
    if actor.user is None or actor.role not in LAYER_OF_ROLE:
        raise NotOnTheLoan()
    loan = session.scalar(sa.select(Loan).where(Loan.id == loan_id, loan_visibility(actor.user)))
    if loan is None:
        raise NotFound()
    mine = [layer for layer in SUBSIDY_FILERS[kind] if layer_institution_id(loan, layer) == actor.user.institution_id]
    if not mine:
        raise SubsidyNotForYou()
    policy = require_policy(session)
    share_ppm = getattr(policy, f"{kind.value}_ppm")
    if share_ppm <= 0:
        raise SubsidyNotOffered()
    cap = year_cap_of(policy, kind)
    year = fund_year_of(now)
    used = used_in_year(session, year=year, kind=kind, enterprise_id=loan.enterprise_id)
    amount = interest_subsidy_fen(base_fen, ppm_fraction(share_ppm), cap, used)
    if amount <= 0:
        raise SubsidyCapUsedUp(cap_fen=cap) if cap is not None else SubsidyComesToNothing()
    claim = CompensationClaim(
        kind=kind, state=ClaimState.FILED, loan_id=loan.id, enterprise_id=loan.enterprise_id,
        institution_id=actor.user.institution_id, layer=mine[0], policy_version_id=policy.id, year=year,
        base_fen=base_fen, ratio_ppm=share_ppm, uncapped_fen=fen_share(base_fen, ppm_fraction(share_ppm)),
        cap_fen=cap, year_cap_fen=cap, year_used_fen=used, claimed_fen=amount, evidence=evidence.strip(),
        drafted_at=now, filed_at=now, filed_by_id=actor.user.id,
    )
    session.add(claim)
    session.flush()
    record_event(session, actor=actor, entity="claim", entity_id=claim.id, action="subsidy_filed", now=now,
                 to_state=ClaimState.FILED.value,
                 detail={"kind": kind.value, "base_fen": base_fen, "claimed_fen": amount,
                         "policy_version": policy.version})
    return claim


# --- the bureau's review ----------------------------------------------------------------------------


def review(
    session: so.Session, claim_id: int, *, actor: Actor, decision: ReviewDecision, now: datetime,
    amount_fen: int | None = None, reason: str = "",
) -> CompensationClaim:
    """A bureau user approves, reduces (with reason) or rejects (with reason); four eyes above the threshold."""
    if actor.role != Role.BUREAU or actor.user is None:
        raise RoleRequired(roles=[Role.BUREAU])
    lock_fund(session)
    claim = session.get(CompensationClaim, claim_id, populate_existing=True)
    if claim is None:
        raise NotFound()
    year = fund_year_of(now)
    first = session.scalar(sa.select(ClaimReview).where(ClaimReview.claim_id == claim.id, ClaimReview.step == 1))
    outcome = review_claim(
        state=claim.state, claimed_fen=claim.claimed_fen,
        first_reviewer_id=first.reviewer_id if first else None,
        first_amount_fen=min(first.amount_fen, claim.claimed_fen) if first else None,
        reviewer_id=actor.user.id, decision=decision, amount_fen=amount_fen, reason=reason,
        four_eyes_above_fen=claim.policy_version.four_eyes_above_fen, year_room_fen=year_room(session, claim, year),
    )
    session.add(ClaimReview(claim_id=claim.id, step=outcome.step, reviewer_id=actor.user.id, decision=decision,
                            amount_fen=outcome.amount_fen, reason=reason.strip(), decided_at=now))
    before = claim.state
    claim.state = outcome.next_state
    if reason.strip():
        claim.decision_reason = reason.strip()
    if outcome.next_state == ClaimState.APPROVED:
        claim.approved_fen = claim.due_fen = outcome.amount_fen
        claim.year = year
        claim.approved_at = now
        claim.queue_position = (session.scalar(sa.select(sa.func.max(CompensationClaim.queue_position))) or 0) + 1
        record_movement(session, Movement.CLAIM_APPROVED, amount_fen=outcome.amount_fen, now=now,
                        claim_id=claim.id, institution_id=claim.institution_id, case_id=claim.case_id,
                        reference=f"claim-approved:{claim.id}")
    record_event(session, actor=actor, entity="claim", entity_id=claim.id, action=f"claim_{decision.value}",
                 now=now, from_state=before.value, to_state=claim.state.value, reason=reason.strip(),
                 detail={"step": outcome.step, "amount_fen": outcome.amount_fen})
    _tell_review(session, claim, decision, outcome.step, outcome.amount_fen, reason.strip(), now=now)
    return claim


def _tell_review(session: so.Session, claim: CompensationClaim, decision: ReviewDecision, step: int,
                 amount_fen: int, reason: str, *, now: datetime) -> None:
    """One notice per review: the claimant hears the decision; a claim that waits for a second approval is
    also for every bureau user (one of them must give it)."""
    if claim.state == ClaimState.AWAITING_SECOND_APPROVAL:
        tell_claim(session, NoticeType.CLAIM_FIRST_APPROVED, claim, now=now, amount_fen=amount_fen,
                   roles=[Role.BUREAU], step=step)
        return
    notice_type = {ReviewDecision.REJECT: NoticeType.CLAIM_REJECTED, ReviewDecision.REDUCE: NoticeType.CLAIM_REDUCED,
                   ReviewDecision.APPROVE: NoticeType.CLAIM_SECOND_APPROVED}[decision]
    tell_claim(session, notice_type, claim, now=now, amount_fen=amount_fen, step=step, reason=reason or None)
