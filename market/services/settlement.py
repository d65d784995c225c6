"""Settling a disposed case: the statement, the payouts through the ledger, the transfer record, closing."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

import sqlalchemy as sa
import sqlalchemy.orm as so

from market.domain import ledger as accounts
from market.domain.claim_transfer import bank_layer_bearer
from market.domain.errors import NotFound
from market.domain.ledger import Movement
from market.domain.loss import LAYERS, Layer, LayerShares, RecoveryApplied
from market.domain.rules import RuleBroken
from market.domain.settlement import (
    PPM,
    ClaimKind,
    ClaimState,
    CostSettings,
    DisposalCosts,
    LayerLoss,
    Payouts,
    Statement,
    assemble_statement,
    default_costs,
    payouts_due,
    ppm_fraction,
)
from market.domain.workflow import CaseAction, CaseState
from market.models import (
    CompensationClaim,
    DisposalCase,
    Institution,
    Loan,
    LoanStatus,
    SettlementLayer,
    SettlementStatement,
)
from market.services.audit import Actor
from market.services.cases import lock_case, move_case
from market.services.fund import LOCAL, lock_fund
from market.services.ledger import balance, movement_total, record_movement

DEFAULT_COSTS = CostSettings()
SETTLED_STATES = (CaseState.SETTLED, CaseState.TRANSFER_RECORDED, CaseState.CLOSED)


class RecoveryMissing(RuleBroken):
    """The channel has not recorded what the disposal brought in."""

    code = "recovery_missing"


class NotDisposed(RuleBroken):
    """Only a disposed case can be settled."""

    code = "not_disposed"


def loan_shares(loan: Loan) -> LayerShares:
    """Who bears the loan's loss, as exact fractions."""
    return LayerShares(
        bank=ppm_fraction(loan.bank_share_ppm), guarantor=ppm_fraction(loan.guarantor_share_ppm),
        insurer=ppm_fraction(loan.insurer_share_ppm), agency=ppm_fraction(loan.agency_share_ppm),
        reguarantee=ppm_fraction(loan.reguarantee_ppm), reinsurance=ppm_fraction(loan.reinsurance_ppm),
    )


def statement_shares(row: SettlementStatement) -> LayerShares:
    """The shares a statement was computed with (kept on the statement, not read from the loan again)."""
    share = {line.layer: ppm_fraction(line.share_ppm) for line in row.layers}
    return LayerShares(
        bank=share.get(Layer.BANK, 0), guarantor=share.get(Layer.GUARANTOR, 0),
        insurer=share.get(Layer.INSURER, 0), agency=share.get(Layer.AGENCY, 0),
        reguarantee=ppm_fraction(row.reguarantee_ppm), reinsurance=ppm_fraction(row.reinsurance_ppm),
    )


def layer_institution_id(loan: Loan, layer: Layer) -> int | None:
    """The institution that carries a layer of a loan."""
    return {Layer.BANK: loan.bank_id, Layer.GUARANTOR: loan.guarantor_id, Layer.INSURER: loan.insurer_id,
            Layer.AGENCY: loan.agency_id}[layer]


def case_layer_institution_id(case: DisposalCase, layer: Layer) -> int | None:
    """The institution that carries a layer of a case's loss and files its claim: for the bank layer the
    policy loan's lender (the case's bank), even after it sold the claim to another bank."""
    if layer == Layer.BANK:
        return bank_layer_bearer(lender_id=case.bank_id, holder_id=case.loan.bank_id)
    return layer_institution_id(case.loan, layer)


def held_for_case(session: so.Session, case_id: int) -> int:
    """What the trading centre holds for a case's pledgee right now."""
    return -balance(session, accounts.proceeds_payable(case_id))


def forfeited_for_case(session: so.Session, case_id: int) -> int:
    """Forfeited deposits the centre still keeps for a case."""
    return -balance(session, accounts.forfeited(case_id))


def payouts_made(session: so.Session, case_id: int) -> Payouts:
    """What the centre has paid out of a case's proceeds so far."""
    return Payouts(
        commission_fen=movement_total(session, Movement.COMMISSION, case_id=case_id),
        costs_fen=movement_total(session, Movement.COSTS_PAID, case_id=case_id),
        bank_fen=movement_total(session, Movement.PROCEEDS_PAID, case_id=case_id),
        surplus_fen=movement_total(session, Movement.SURPLUS_PAID, case_id=case_id),
    )


def preview_statement(
    session: so.Session, case: DisposalCase, *, costs: DisposalCosts | None = None,
    settings: CostSettings = DEFAULT_COSTS,
) -> Statement:
    """The statement settling the case now would produce (nothing is written)."""
    if case.state != CaseState.DISPOSED:
        raise NotDisposed()
    if case.recovery_fen is None:
        raise RecoveryMissing()
    forfeited = forfeited_for_case(session, case.id)
    if costs is None:
        costs = default_costs(case.recovery_fen + forfeited, case.appraised_value_fen, case.costs_so_far_fen, settings)
    return assemble_statement(
        channel_recovery_fen=case.recovery_fen, forfeited_fen=forfeited, later_recoveries_fen=0, costs=costs,
        unpaid_interest_fen=case.unpaid_interest_fen, principal_fen=case.principal_outstanding_fen,
        shares=loan_shares(case.loan),
    )


def settle_case(
    session: so.Session, case_id: int, *, actor: Actor, now: datetime, costs: DisposalCosts | None = None,
    settings: CostSettings = DEFAULT_COSTS,
) -> SettlementStatement:
    """Settle a disposed case: statement, payouts of what the centre holds, claims drafted."""
    from market.services.compensation import draft_case_claims

    case = lock_case(session, case_id)  # lock order everywhere: case, then fund, then audit chain
    if case is None:
        raise NotFound()
    lock_fund(session)
    statement = preview_statement(session, case, costs=costs, settings=settings)
    if statement.forfeited_fen:
        record_movement(session, Movement.FORFEIT_USED, amount_fen=statement.forfeited_fen, now=now,
                        case_id=case.id, reference=f"settle:{case.id}:forfeit")
    move_case(session, case, CaseAction.SETTLE, actor=actor, now=now,
              detail={"principal_loss_fen": statement.principal_loss_fen,
                      "gross_proceeds_fen": statement.gross_proceeds_fen})
    case.settled_at = now
    case.loan.status = LoanStatus.SETTLED
    row = save_statement(session, case, statement, revision=1, cause="settlement", actor=actor, now=now,
                         settings=settings)
    pay_out_proceeds(session, case.id, statement, now=now, revision=1)
    draft_case_claims(session, case, row, now=now)
    return row


def save_statement(
    session: so.Session, case: DisposalCase, statement: Statement, *, revision: int, cause: str, actor: Actor | None,
    now: datetime, settings: CostSettings,
) -> SettlementStatement:
    """Write one revision of a case's statement and its layer lines."""
    applied = statement.applied
    row = SettlementStatement(
        case_id=case.id, revision=revision, created_at=now, cause=cause,
        created_by_id=actor.user.id if actor and actor.user else None,
        channel_recovery_fen=statement.channel_recovery_fen, forfeited_fen=statement.forfeited_fen,
        later_recoveries_fen=statement.later_recoveries_fen, commission_fen=statement.costs.commission_fen,
        appraisal_fen=statement.costs.appraisal_fen, taxes_fen=statement.costs.taxes_fen,
        other_costs_fen=statement.costs.other_fen, commission_ppm=settings.commission_ppm,
        tax_ppm=settings.tax_ppm, unpaid_interest_fen=statement.unpaid_interest_fen,
        principal_fen=statement.principal_fen, to_costs_fen=applied.to_costs, to_interest_fen=applied.to_interest,
        to_principal_fen=applied.to_principal, surplus_fen=applied.surplus, principal_loss_fen=applied.principal_loss,
        reguarantee_ppm=case.loan.reguarantee_ppm, reinsurance_ppm=case.loan.reinsurance_ppm,
    )
    for line in statement.layers:
        row.layers.append(SettlementLayer(
            layer=line.layer, institution_id=case_layer_institution_id(case, line.layer),
            share_ppm=int(line.share * PPM), loss_fen=line.loss_fen, dispersed_fen=line.dispersed_fen,
            base_fen=line.base_fen,
        ))
    session.add(row)
    session.flush()
    return row


def pay_out_proceeds(session: so.Session, case_id: int, statement: Statement, *, now: datetime, revision: int) -> Payouts:
    """Pay out of what the centre holds for the case: commission, costs, the bank, then any surplus."""
    due = payouts_due(statement, payouts_made(session, case_id), held_for_case(session, case_id))
    for movement, amount in (
        (Movement.COMMISSION, due.commission_fen),
        (Movement.COSTS_PAID, due.costs_fen),
        (Movement.PROCEEDS_PAID, due.bank_fen),
        (Movement.SURPLUS_PAID, due.surplus_fen),
    ):
        if amount > 0:
            record_movement(session, movement, amount_fen=amount, now=now, case_id=case_id,
                            reference=f"settle:{case_id}:{revision}:{movement.value}")
    return due


def statement_from_row(row: SettlementStatement) -> Statement:
    """The pure statement a stored revision stands for."""
    costs = DisposalCosts(row.commission_fen, row.appraisal_fen, row.taxes_fen, row.other_costs_fen)
    applied = RecoveryApplied(row.to_costs_fen, row.to_interest_fen, row.to_principal_fen, row.surplus_fen,
                              row.principal_loss_fen)
    layers = tuple(
        LayerLoss(line.layer, ppm_fraction(line.share_ppm), line.loss_fen, line.dispersed_fen, line.base_fen)
        for line in sorted(row.layers, key=lambda line: LAYERS.index(line.layer))
    )
    return Statement(row.channel_recovery_fen, row.forfeited_fen, row.later_recoveries_fen, costs,
                     row.unpaid_interest_fen, row.principal_fen, applied, layers)


def record_transfer(
    session: so.Session, case_id: int, *, actor: Actor, now: datetime, released_on: date | None = None
) -> DisposalCase:
    """Record the transfer (or licence recordal) and release the pledge."""
    case = lock_case(session, case_id)
    if case is None:
        raise NotFound()
    released_on = released_on or now.astimezone(LOCAL).date()
    move_case(session, case, CaseAction.RECORD_TRANSFER, actor=actor, now=now,
              detail={"pledge_released_on": released_on.isoformat()})
    case.transfer_recorded_at = now
    if case.loan.pledge is not None and case.loan.pledge.released_on is None:
        case.loan.pledge.released_on = released_on
    return case


def close_case(session: so.Session, case_id: int, *, actor: Actor, now: datetime) -> DisposalCase:
    """Close a settled case whose transfer is recorded."""
    case = lock_case(session, case_id)
    if case is None:
        raise NotFound()
    move_case(session, case, CaseAction.CLOSE, actor=actor, now=now)
    case.closed_at = now
    return case


def latest_statement(session: so.Session, case_id: int) -> SettlementStatement | None:
    """The newest revision of a case's statement."""
    return session.scalar(
        sa.select(SettlementStatement).where(SettlementStatement.case_id == case_id)
        .order_by(SettlementStatement.revision.desc()).limit(1)
    )


def statement_history(session: so.Session, case_id: int) -> list[SettlementStatement]:
    """Every revision of a case's statement, oldest first."""
    return list(session.scalars(
        sa.select(SettlementStatement).where(SettlementStatement.case_id == case_id)
        .order_by(SettlementStatement.revision)
    ))


@dataclass(frozen=True)
class LayerView:
    """One layer's line of a settlement as everyone sees it: loss, base, and where its claim stands."""

    layer: Layer
    institution: Institution | None
    share_ppm: int
    loss_fen: int
    dispersed_fen: int
    base_fen: int
    claim: CompensationClaim | None

    @property
    def ratio_ppm(self) -> int | None:
        """The fund's ratio for this layer (from the claim's policy version)."""
        return self.claim.ratio_ppm if self.claim else None

    @property
    def cap_fen(self) -> int | None:
        """The per-loan cap of this layer, if any."""
        return self.claim.cap_fen if self.claim else None

    @property
    def claim_fen(self) -> int:
        """What is claimed (or, once approved, due)."""
        if self.claim is None or self.claim.state == ClaimState.REJECTED:
            return 0
        return self.claim.due_fen if self.claim.approved_fen is not None else self.claim.claimed_fen

    @property
    def paid_fen(self) -> int:
        """Paid by the fund, net of clawbacks."""
        return (self.claim.paid_fen - self.claim.clawed_back_fen) if self.claim else 0

    @property
    def pending_fen(self) -> int:
        """Approved and still owed by the fund."""
        return self.claim.still_owed_fen if self.claim else 0

    @property
    def clawed_back_fen(self) -> int:
        """Demanded back after later recoveries."""
        return self.claim.clawed_back_fen if self.claim else 0


@dataclass(frozen=True)
class SettlementView:
    """A case's current statement with each layer's claim."""

    case: DisposalCase
    statement: SettlementStatement
    layers: tuple[LayerView, ...]
    held_fen: int
    payouts: Payouts


def settlement_view(session: so.Session, case: DisposalCase) -> SettlementView | None:
    """The case's newest statement and where each layer's claim stands (None before settlement)."""
    row = latest_statement(session, case.id)
    if row is None:
        return None
    claims = {
        claim.layer: claim for claim in session.scalars(
            sa.select(CompensationClaim).where(CompensationClaim.case_id == case.id,
                                               CompensationClaim.kind == ClaimKind.COMPENSATION)
            .order_by(CompensationClaim.id)
        )
    }
    layers = tuple(
        LayerView(line.layer, line.institution, line.share_ppm, line.loss_fen, line.dispersed_fen, line.base_fen,
                  claims.get(line.layer))
        for line in sorted(row.layers, key=lambda line: LAYERS.index(line.layer))
    )
    return SettlementView(case, row, layers, held_for_case(session, case.id), payouts_made(session, case.id))
