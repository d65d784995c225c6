"""Money recovered after settlement (royalties, late payments): re-run the statement, revise claims, claw back.

The licensing channel calls `on_later_recovery` whenever a royalty arrives. Before settlement it does
nothing (the royalty is part of the channel's result, case.recovery_fen). After settlement it re-runs
the statement: the statement keeps the channel's result as it was at settlement and adds later
recoveries itself, so whether the caller also raises case.recovery_fen does not matter. If the money
came through the trading centre, post it first (e.g. Movement.LICENCE_INCOME for the case); the hook
then pays it out in the statement's order.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
import sqlalchemy.orm as so

from market.domain.case_states import Channel
from market.domain.claim_transfer import check_later_recovery
from market.domain.errors import NotFound
from market.domain.ledger import Movement
from market.domain.loss import cap_for_institution_year, compute_claims, fen_share
from market.domain.money import AmountZero
from market.domain.notices import NoticeType
from market.domain.reasons import SystemReason
from market.domain.rules import RuleBroken
from market.domain.settlement import (
    ClaimKind,
    ClaimState,
    CostSettings,
    assemble_statement,
    costs_after_later_recovery,
    ppm_fraction,
)
from market.models import (
    Clawback,
    CompensationClaim,
    DisposalCase,
    LaterRecovery,
    SettlementStatement,
)
from market.services.audit import Actor, record_event
from market.services.cases import lock_case
from market.services.claim_notices import tell_claim
from market.services.compensation import used_in_year
from market.services.fund import compensation_rule, lock_fund
from market.services.ledger import record_movement
from market.services.settlement import (
    SETTLED_STATES,
    latest_statement,
    pay_out_proceeds,
    save_statement,
    statement_from_row,
    statement_shares,
)


class CaseNotSettledYet(RuleBroken):
    """Money recovered before settlement belongs in the channel's result, not in a later recovery."""

    code = "case_not_settled_yet"


def on_later_recovery(
    session: so.Session, case: DisposalCase, amount_fen: int, now: datetime, *, memo: str = "",
    actor: Actor | None = None,
) -> SettlementStatement | None:
    """Re-run a settled case's statement with money recovered later; revise its claims and claw back.

    Returns the new statement revision, or None when the case is not settled yet (nothing to re-run).
    """
    if amount_fen <= 0:
        raise AmountZero(field="amount")
    if case.state not in SETTLED_STATES:
        return None
    check_later_recovery(claim_sold=case.channel == Channel.CLAIM_TRANSFER)
    actor = actor or Actor.system()
    lock_fund(session)
    previous = latest_statement(session, case.id)
    old = statement_from_row(previous)
    settings = CostSettings(commission_ppm=previous.commission_ppm, tax_ppm=previous.tax_ppm)
    statement = assemble_statement(
        channel_recovery_fen=old.channel_recovery_fen, forfeited_fen=old.forfeited_fen,
        later_recoveries_fen=old.later_recoveries_fen + amount_fen,
        costs=costs_after_later_recovery(old.costs, amount_fen, settings),
        unpaid_interest_fen=old.unpaid_interest_fen, principal_fen=old.principal_fen,
        shares=statement_shares(previous),
    )
    row = save_statement(session, case, statement, revision=previous.revision + 1, cause="later_recovery",
                         actor=actor, now=now, settings=settings)
    session.add(LaterRecovery(case_id=case.id, amount_fen=amount_fen, received_at=now, memo=memo,
                              statement_id=row.id))
    pay_out_proceeds(session, case.id, statement, now=now, revision=row.revision)
    record_event(session, actor=actor, entity="case", entity_id=case.id, action="later_recovery", now=now,
                 reason=memo, detail={"amount_fen": amount_fen, "revision": row.revision,
                                      "principal_loss_fen": statement.principal_loss_fen})
    revise_claims(session, case, row, now=now, actor=actor)
    session.flush()
    return row


def record_later_recovery(
    session: so.Session, case_id: int, amount_fen: int, *, actor: Actor, now: datetime, memo: str = "",
    through_centre: bool = True,
) -> SettlementStatement:
    """The operator records money recovered after settlement (posting it in when it came through the centre)."""
    case = lock_case(session, case_id)
    if case is None:
        raise NotFound()
    if case.state not in SETTLED_STATES:
        raise CaseNotSettledYet()
    check_later_recovery(claim_sold=case.channel == Channel.CLAIM_TRANSFER)
    if through_centre:
        record_movement(session, Movement.LICENCE_INCOME, amount_fen=amount_fen, now=now, case_id=case.id,
                        memo=memo)
    row = on_later_recovery(session, case, amount_fen, now, memo=memo, actor=actor)
    return row


def revise_claims(
    session: so.Session, case: DisposalCase, statement: SettlementStatement, *, now: datetime, actor: Actor
) -> list[Clawback]:
    """Recompute each compensation claim on the smaller loss; cut what is owed, then what lapsed, then claw back."""
    clawbacks = []
    claims = session.scalars(
        sa.select(CompensationClaim).where(CompensationClaim.case_id == case.id,
                                           CompensationClaim.kind == ClaimKind.COMPENSATION,
                                           CompensationClaim.state != ClaimState.REJECTED)
        .order_by(CompensationClaim.id).execution_options(populate_existing=True)
    ).all()
    shares = statement_shares(statement)
    for claim in claims:
        rule = compensation_rule(claim.policy_version)
        new_claim = compute_claims(statement.principal_loss_fen, shares, rule).claim_of(claim.layer)
        line = statement.layers[[line.layer for line in statement.layers].index(claim.layer)]
        before = claim.state
        if claim.approved_fen is None:
            # not approved yet: the draft simply follows the new statement
            used = used_in_year(session, year=claim.year, kind=claim.kind, institution_id=claim.institution_id,
                                excluding=claim.id)
            claim.claimed_fen = cap_for_institution_year(new_claim, used, rule)
            claim.loss_fen, claim.dispersed_fen, claim.base_fen = line.loss_fen, line.dispersed_fen, line.base_fen
            claim.uncapped_fen = fen_share(claim.base_fen, ppm_fraction(claim.ratio_ppm))
            claim.statement_id = statement.id
        else:
            clawback = _cut_approved(session, claim, min(claim.due_fen, new_claim), statement, now=now)
            if clawback is not None:
                clawbacks.append(clawback)
        record_event(session, actor=actor, entity="claim", entity_id=claim.id, action="claim_revised", now=now,
                     from_state=before.value, to_state=claim.state.value,
                     detail={"revision": statement.revision, "claimed_fen": claim.claimed_fen,
                             "due_fen": claim.due_fen, "clawed_back_fen": claim.clawed_back_fen})
    return clawbacks


def _cut_approved(
    session: so.Session, claim: CompensationClaim, entitled_fen: int, statement: SettlementStatement, *, now: datetime
) -> Clawback | None:
    cut = claim.due_fen - entitled_fen
    if cut <= 0:
        return None
    owed = claim.still_owed_fen
    from_owed = min(cut, owed)
    from_lapsed = min(cut - from_owed, claim.lapsed_fen)
    back = cut - from_owed - from_lapsed  # never more than paid, as due = net paid + lapsed + owed
    # post first, then change the claim: posting reads balances, which flushes pending changes
    if from_owed:
        record_movement(session, Movement.CLAIM_REDUCED, amount_fen=from_owed, now=now, claim_id=claim.id,
                        institution_id=claim.institution_id, case_id=claim.case_id)
    if back:
        record_movement(session, Movement.CLAWBACK_DEMANDED, amount_fen=back, now=now, claim_id=claim.id,
                        institution_id=claim.institution_id, case_id=claim.case_id)
    claim.due_fen = entitled_fen
    claim.lapsed_fen -= from_lapsed
    claim.clawed_back_fen += back
    clawback = None
    if back:
        clawback = Clawback(claim_id=claim.id, statement_id=statement.id, amount_fen=back, demanded_at=now)
        session.add(clawback)
        claim.state = ClaimState.CLAWED_BACK
    if claim.state == ClaimState.PENDING:
        claim.pending_fen = claim.still_owed_fen
        if claim.pending_fen == 0:
            claim.state = ClaimState.PAID
    elif claim.state == ClaimState.APPROVED and claim.still_owed_fen == 0:
        claim.state = ClaimState.PAID
    elif claim.state == ClaimState.LAPSED and claim.lapsed_fen == 0:
        claim.state = ClaimState.PAID
    if claim.state == ClaimState.CLAWED_BACK:
        claim.pending_fen = 0
    if clawback is not None:  # told once the claim's figures agree again (telling reads, which flushes)
        tell_claim(session, NoticeType.CLAIM_CLAWED_BACK, claim, now=now, amount_fen=back,
                   reason=SystemReason.LATER_RECOVERY.value, revision=statement.revision)
    return clawback
