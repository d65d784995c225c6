"""Settlement, claims and the fund for institutions' systems: statements, claims, filing (Idempotency-Key), the fund."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, PlainSerializer, WithJsonSchema

from market.domain.loss import Layer, Shortfall
from market.domain.roles import Role
from market.domain.settlement import ClaimKind, ClaimState
from market.models import CompensationClaim, DisposalCase
from market.services import compensation, fund, settlement
from market.services.access import Forbidden, NotFound, can_see_case
from market.services.audit import Actor
from market.services.compensation import CaseNotSettled
from market.web.api import api_user, bp
from market.web.api.contract import IdempotencyKey, Model, Moment, Yuan, operation
from market.web.api.idempotency import idempotent
from market.web.context import db, now


def _share(ppm: int) -> str:
    """A share as an exact decimal string: 300000 ppm -> "0.3"."""
    whole, part = divmod(int(ppm), 1_000_000)
    return f"{whole}.{part:06d}".rstrip("0").rstrip(".")


Share = Annotated[int, PlainSerializer(_share, return_type=str, when_used="json"),
                  WithJsonSchema({"type": "string", "pattern": r"^(0(\.\d+)?|1)$", "examples": ["0.3"],
                                  "description": "A share between 0 and 1"})]


class Claim(Model):
    """One compensation claim: what it was computed from and where its money stands."""

    id: int
    kind: ClaimKind
    state: ClaimState
    case_id: int | None
    loan: str
    institution: str
    layer: Layer | None
    policy_version: int
    year: int
    base: Yuan
    ratio: Share
    uncapped: Yuan
    cap: Yuan | None
    loan_cap: Yuan | None
    year_cap: Yuan | None
    claimed: Yuan
    approved: Yuan | None
    due: Yuan
    paid: Yuan
    pending: Yuan
    lapsed: Yuan
    clawed_back: Yuan
    queue_position: int | None
    reason: str | None
    filed_at: Moment | None
    approved_at: Moment | None


class Claims(Model):
    """Claims, newest first."""

    claims: list[Claim]


class CostItems(Model):
    """The disposal's costs, item by item."""

    commission: Yuan
    appraisal: Yuan
    taxes: Yuan
    other: Yuan


class SettlementLayer(Model):
    """One layer's line: its share of the loss and where its claim stands."""

    layer: Layer
    institution: str | None
    share: Share
    loss: Yuan
    dispersed: Yuan
    base: Yuan
    ratio: Share | None
    cap: Yuan | None
    claim: Yuan
    paid: Yuan
    pending: Yuan
    clawed_back: Yuan
    claim_id: int | None
    claim_state: ClaimState | None


class Settlement(Model):
    """A case's settlement statement (costs, then interest, then principal) and each layer's claim."""

    case_id: int
    reference: str
    state: str
    revision: int = Field(ge=1)
    settled_at: Moment | None
    proceeds: Yuan
    channel_recovery: Yuan
    forfeited_deposits: Yuan
    later_recoveries: Yuan
    costs: Yuan
    cost_items: CostItems
    interest: Yuan
    unpaid_interest: Yuan
    principal: Yuan
    principal_outstanding: Yuan
    surplus: Yuan
    principal_loss: Yuan
    layers: list[SettlementLayer]


class Fund(Model):
    """The compensation fund this year."""

    year: int
    balance: Yuan
    budget: Yuan
    budget_left: Yuan
    subsidy_budget: Yuan
    subsidy_budget_left: Yuan
    paid: Yuan
    pending: Yuan
    approved_unpaid: Yuan
    clawed_back: Yuan
    clawback_outstanding: Yuan
    loans_backed: Yuan
    leverage: str | None = Field(description="Loans backed per yuan in the fund, two decimals")
    policy_version: int | None
    shortfall: Shortfall | None


def claim_answer(claim: CompensationClaim) -> Claim:
    """One claim."""
    return Claim(
        id=claim.id, kind=claim.kind, state=claim.state, case_id=claim.case_id, loan=claim.loan.contract_number,
        institution=claim.institution.name, layer=claim.layer, policy_version=claim.policy_version.version,
        year=claim.year, base=claim.base_fen, ratio=claim.ratio_ppm, uncapped=claim.uncapped_fen, cap=claim.cap_fen,
        loan_cap=claim.loan_cap_fen, year_cap=claim.year_cap_fen, claimed=claim.claimed_fen,
        approved=claim.approved_fen, due=claim.due_fen, paid=claim.paid_fen - claim.clawed_back_fen,
        pending=claim.still_owed_fen, lapsed=claim.lapsed_fen, clawed_back=claim.clawed_back_fen,
        queue_position=claim.queue_position, reason=claim.decision_reason or None, filed_at=claim.filed_at,
        approved_at=claim.approved_at,
    )


_READ = {401: "No or bad token"}


@bp.get("/cases/<int:case_id>/settlement")
@operation("settlement", {200: (Settlement, "The statement"), **_READ, 404: "No such case (or not yours)",
                          409: "Not settled yet"})
def case_settlement(case_id: int):
    """A case's settlement statement and each layer's claim"""
    user = api_user()
    case = db().get(DisposalCase, case_id)
    if case is None or not can_see_case(user, case):
        raise NotFound()
    view = settlement.settlement_view(db(), case)
    if view is None:
        raise CaseNotSettled()
    st = view.statement
    return Settlement(
        case_id=case.id, reference=case.reference, state=case.state.value, revision=st.revision,
        settled_at=case.settled_at, proceeds=st.gross_proceeds_fen, channel_recovery=st.channel_recovery_fen,
        forfeited_deposits=st.forfeited_fen, later_recoveries=st.later_recoveries_fen, costs=st.to_costs_fen,
        cost_items=CostItems(commission=st.commission_fen, appraisal=st.appraisal_fen, taxes=st.taxes_fen,
                             other=st.other_costs_fen),
        interest=st.to_interest_fen, unpaid_interest=st.unpaid_interest_fen, principal=st.to_principal_fen,
        principal_outstanding=st.principal_fen, surplus=st.surplus_fen, principal_loss=st.principal_loss_fen,
        layers=[SettlementLayer(
            layer=line.layer, institution=line.institution.name if line.institution else None,
            share=line.share_ppm, loss=line.loss_fen, dispersed=line.dispersed_fen, base=line.base_fen,
            ratio=line.ratio_ppm, cap=line.cap_fen, claim=line.claim_fen, paid=line.paid_fen,
            pending=line.pending_fen, clawed_back=line.clawed_back_fen,
            claim_id=line.claim.id if line.claim else None, claim_state=line.claim.state if line.claim else None,
        ) for line in view.layers],
    )


@bp.post("/cases/<int:case_id>/settlement/claims")
@idempotent
@operation("settlement", {201: (Claims, "The claims filed"), 400: "Missing Idempotency-Key", **_READ,
                          403: "Not an institution on the loan", 404: "No such case", 409: "Nothing to file",
                          422: "Idempotency-Key reused"})
def file_case_claims(case_id: int, headers: IdempotencyKey):
    """File your institution's claim from the statement"""
    user = api_user(write=True)
    case = db().get(DisposalCase, case_id)
    if case is None or not can_see_case(user, case):
        raise NotFound()
    claims = compensation.file_case_claims(db(), case.id, actor=Actor.of(user), now=now())
    return Claims(claims=[claim_answer(c) for c in claims]), 201


@bp.get("/claims")
@operation("settlement", {200: (Claims, "Claims"), **_READ})
def my_claims():
    """Your claims (the bureau and the centre: all), newest first"""
    user = api_user()
    return Claims(claims=[claim_answer(c) for c in compensation.list_claims(db(), user, limit=500)])


@bp.get("/claims/<int:claim_id>")
@operation("settlement", {200: (Claim, "The claim"), **_READ, 404: "No such claim"})
def one_claim(claim_id: int):
    """One claim"""
    return claim_answer(compensation.get_claim(db(), api_user(), claim_id))


@bp.get("/fund")
@operation("fund", {200: (Fund, "The fund"), **_READ, 403: "Not the bureau or the centre"})
def fund_state():
    """The compensation fund (bureau and trading centre only)

    Budget, balance, paid, pending, policy version, leverage."""
    user = api_user()
    if user.role not in (Role.BUREAU, Role.OPERATOR):
        raise Forbidden()
    position = fund.fund_position(db(), now())
    leverage = position.leverage
    return Fund(
        year=position.year, balance=position.balance_fen, budget=position.budget_fen,
        budget_left=position.budget_left_fen, subsidy_budget=position.subsidy_budget_fen,
        subsidy_budget_left=position.subsidy_budget_left_fen, paid=position.paid_fen, pending=position.pending_fen,
        approved_unpaid=position.approved_unpaid_fen, clawed_back=position.clawed_back_fen,
        clawback_outstanding=position.clawback_outstanding_fen, loans_backed=position.loans_backed_fen,
        leverage=None if leverage is None else f"{float(leverage):.2f}", policy_version=position.policy_version,
        shortfall=position.shortfall,
    )
