"""Settlement, claims and the fund for institutions' systems: statements, claims, filing (Idempotency-Key), the fund."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import jsonify

from market.domain.money import fen_to_decimal_string
from market.domain.roles import Role
from market.models import CompensationClaim, DisposalCase
from market.services import compensation, fund, settlement
from market.services.access import Forbidden, NotFound, can_see_case
from market.services.audit import Actor
from market.services.compensation import CaseNotSettled
from market.web.api import api_user, bp
from market.web.api.idempotency import idempotent
from market.web.api.openapi import COMPONENTS, document
from market.web.context import db, now


def _money(fen: int | None) -> str | None:
    return None if fen is None else fen_to_decimal_string(fen)


def _share(ppm: int | None) -> str | None:
    """A share as an exact decimal string: 300000 ppm -> "0.3"."""
    if ppm is None:
        return None
    whole, part = divmod(int(ppm), 1_000_000)
    return f"{whole}.{part:06d}".rstrip("0").rstrip(".")


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def claim_json(claim: CompensationClaim) -> dict:
    """One claim: what it was computed from and where its money stands."""
    return {
        "id": claim.id, "kind": claim.kind.value, "state": claim.state.value, "case_id": claim.case_id,
        "loan": claim.loan.contract_number, "institution": claim.institution.name,
        "layer": claim.layer.value if claim.layer else None, "policy_version": claim.policy_version.version,
        "year": claim.year, "base": _money(claim.base_fen), "ratio": _share(claim.ratio_ppm),
        "uncapped": _money(claim.uncapped_fen), "cap": _money(claim.cap_fen), "loan_cap": _money(claim.loan_cap_fen),
        "year_cap": _money(claim.year_cap_fen), "claimed": _money(claim.claimed_fen),
        "approved": _money(claim.approved_fen), "due": _money(claim.due_fen),
        "paid": _money(claim.paid_fen - claim.clawed_back_fen), "pending": _money(claim.still_owed_fen),
        "lapsed": _money(claim.lapsed_fen), "clawed_back": _money(claim.clawed_back_fen),
        "queue_position": claim.queue_position, "reason": claim.decision_reason or None,
        "filed_at": _iso(claim.filed_at), "approved_at": _iso(claim.approved_at),
    }


@bp.get("/cases/<int:case_id>/settlement")
def case_settlement(case_id: int):
    """The case's settlement statement, with each layer's claim."""
    user = api_user()
    case = db().get(DisposalCase, case_id)
    if case is None or not can_see_case(user, case):
        raise NotFound()
    view = settlement.settlement_view(db(), case)
    if view is None:
        raise CaseNotSettled()
    st = view.statement
    return jsonify(
        case_id=case.id, reference=case.reference, state=case.state.value, revision=st.revision,
        settled_at=_iso(case.settled_at),
        proceeds=_money(st.gross_proceeds_fen), channel_recovery=_money(st.channel_recovery_fen),
        forfeited_deposits=_money(st.forfeited_fen), later_recoveries=_money(st.later_recoveries_fen),
        costs=_money(st.to_costs_fen),
        cost_items={"commission": _money(st.commission_fen), "appraisal": _money(st.appraisal_fen),
                    "taxes": _money(st.taxes_fen), "other": _money(st.other_costs_fen)},
        interest=_money(st.to_interest_fen), unpaid_interest=_money(st.unpaid_interest_fen),
        principal=_money(st.to_principal_fen), principal_outstanding=_money(st.principal_fen),
        surplus=_money(st.surplus_fen), principal_loss=_money(st.principal_loss_fen),
        layers=[{
            "layer": line.layer.value, "institution": line.institution.name if line.institution else None,
            "share": _share(line.share_ppm), "loss": _money(line.loss_fen), "dispersed": _money(line.dispersed_fen),
            "base": _money(line.base_fen), "ratio": _share(line.ratio_ppm), "cap": _money(line.cap_fen),
            "claim": _money(line.claim_fen), "paid": _money(line.paid_fen), "pending": _money(line.pending_fen),
            "clawed_back": _money(line.clawed_back_fen),
            "claim_id": line.claim.id if line.claim else None,
            "claim_state": line.claim.state.value if line.claim else None,
        } for line in view.layers],
    )


@bp.post("/cases/<int:case_id>/settlement/claims")
@idempotent
def file_case_claims(case_id: int):
    """The caller's institution files its compensation claim from the case's statement."""
    user = api_user(write=True)
    case = db().get(DisposalCase, case_id)
    if case is None or not can_see_case(user, case):
        raise NotFound()
    claims = compensation.file_case_claims(db(), case.id, actor=Actor.of(user), now=now())
    return jsonify(claims=[claim_json(c) for c in claims]), 201


@bp.get("/claims")
def my_claims():
    """The claims the caller may see (its own; the bureau and the centre: all), newest first."""
    user = api_user()
    return jsonify(claims=[claim_json(c) for c in compensation.list_claims(db(), user, limit=500)])


@bp.get("/claims/<int:claim_id>")
def one_claim(claim_id: int):
    """One claim."""
    return jsonify(claim_json(compensation.get_claim(db(), api_user(), claim_id)))


@bp.get("/fund")
def fund_state():
    """The fund: budget, balance, paid, pending, policy version, leverage (bureau and trading centre only)."""
    user = api_user()
    if user.role not in (Role.BUREAU, Role.OPERATOR):
        raise Forbidden()
    position = fund.fund_position(db(), now())
    leverage = position.leverage
    return jsonify(
        year=position.year, balance=_money(position.balance_fen), budget=_money(position.budget_fen),
        budget_left=_money(position.budget_left_fen), subsidy_budget=_money(position.subsidy_budget_fen),
        subsidy_budget_left=_money(position.subsidy_budget_left_fen), paid=_money(position.paid_fen),
        pending=_money(position.pending_fen), approved_unpaid=_money(position.approved_unpaid_fen),
        clawed_back=_money(position.clawed_back_fen), clawback_outstanding=_money(position.clawback_outstanding_fen),
        loans_backed=_money(position.loans_backed_fen),
        leverage=None if leverage is None else f"{float(leverage):.2f}",
        policy_version=position.policy_version,
        shortfall=position.shortfall.value if position.shortfall else None,
    )


_AMOUNT = {"$ref": "#/components/schemas/Amount"}
_NULLABLE_AMOUNT = {"anyOf": [_AMOUNT, {"type": "null"}]}
_SHARE = {"type": ["string", "null"], "pattern": r"^(0(\.\d+)?|1)$", "examples": ["0.3"]}
COMPONENTS["schemas"]["SettlementLayer"] = {
    "type": "object",
    "properties": {
        "layer": {"type": "string", "enum": ["bank", "guarantor", "insurer", "agency"]},
        "institution": {"type": ["string", "null"]}, "share": _SHARE, "loss": _AMOUNT, "dispersed": _AMOUNT,
        "base": _AMOUNT, "ratio": _SHARE, "cap": _NULLABLE_AMOUNT, "claim": _AMOUNT, "paid": _AMOUNT,
        "pending": _AMOUNT, "clawed_back": _AMOUNT, "claim_id": {"type": ["integer", "null"]},
        "claim_state": {"type": ["string", "null"]},
    },
}
COMPONENTS["schemas"]["Settlement"] = {
    "type": "object",
    "properties": {
        "case_id": {"type": "integer"}, "reference": {"type": "string"}, "state": {"type": "string"},
        "revision": {"type": "integer"}, "settled_at": {"type": ["string", "null"], "format": "date-time"},
        "proceeds": _AMOUNT, "channel_recovery": _AMOUNT, "forfeited_deposits": _AMOUNT,
        "later_recoveries": _AMOUNT, "costs": _AMOUNT,
        "cost_items": {"type": "object", "additionalProperties": _AMOUNT},
        "interest": _AMOUNT, "unpaid_interest": _AMOUNT, "principal": _AMOUNT, "principal_outstanding": _AMOUNT,
        "surplus": _AMOUNT, "principal_loss": _AMOUNT,
        "layers": {"type": "array", "items": {"$ref": "#/components/schemas/SettlementLayer"}},
    },
}
COMPONENTS["schemas"]["Claim"] = {
    "type": "object",
    "properties": {
        "id": {"type": "integer"}, "kind": {"type": "string"}, "state": {"type": "string"},
        "case_id": {"type": ["integer", "null"]}, "loan": {"type": "string"}, "institution": {"type": "string"},
        "layer": {"type": ["string", "null"]}, "policy_version": {"type": "integer"}, "year": {"type": "integer"},
        "base": _AMOUNT, "ratio": _SHARE, "uncapped": _AMOUNT, "cap": _NULLABLE_AMOUNT, "loan_cap": _NULLABLE_AMOUNT,
        "year_cap": _NULLABLE_AMOUNT, "claimed": _AMOUNT, "approved": _NULLABLE_AMOUNT, "due": _AMOUNT,
        "paid": _AMOUNT, "pending": _AMOUNT, "lapsed": _AMOUNT, "clawed_back": _AMOUNT,
        "queue_position": {"type": ["integer", "null"]}, "reason": {"type": ["string", "null"]},
        "filed_at": {"type": ["string", "null"]}, "approved_at": {"type": ["string", "null"]},
    },
}
COMPONENTS["schemas"]["Fund"] = {
    "type": "object",
    "properties": {
        "year": {"type": "integer"}, "balance": _AMOUNT, "budget": _AMOUNT, "budget_left": _AMOUNT,
        "subsidy_budget": _AMOUNT, "subsidy_budget_left": _AMOUNT, "paid": _AMOUNT, "pending": _AMOUNT,
        "approved_unpaid": _AMOUNT, "clawed_back": _AMOUNT, "clawback_outstanding": _AMOUNT,
        "loans_backed": _AMOUNT, "leverage": {"type": ["string", "null"]},
        "policy_version": {"type": ["integer", "null"]}, "shortfall": {"type": ["string", "null"]},
    },
}


def _json(schema: str, description: str) -> dict:
    return {"description": description,
            "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{schema}"}}}}


_CASE_ID = [{"name": "case_id", "in": "path", "required": True, "schema": {"type": "integer"}}]
_IDEMPOTENCY = {"name": "Idempotency-Key", "in": "header", "required": True, "schema": {"type": "string", "maxLength": 200}}
document("/cases/{case_id}/settlement", "get", summary="A case's settlement statement and each layer's claim",
         parameters=_CASE_ID,
         responses={"200": _json("Settlement", "The statement"), "401": "No or bad token",
                    "404": "No such case (or not yours)", "409": "Not settled yet"})
document("/cases/{case_id}/settlement/claims", "post", summary="File your institution's claim from the statement",
         parameters=[*_CASE_ID, _IDEMPOTENCY],
         responses={"201": {"description": "The claims filed", "content": {"application/json": {"schema": {
             "type": "object", "properties": {"claims": {"type": "array",
                                                         "items": {"$ref": "#/components/schemas/Claim"}}}}}}},
             "400": "Missing Idempotency-Key", "401": "No or bad token", "403": "Not an institution on the loan",
             "404": "No such case", "409": "Nothing to file", "422": "Idempotency-Key reused"})
document("/claims", "get", summary="Your claims (the bureau and the centre: all)",
         responses={"200": {"description": "Claims", "content": {"application/json": {"schema": {
             "type": "object", "properties": {"claims": {"type": "array",
                                                         "items": {"$ref": "#/components/schemas/Claim"}}}}}}},
             "401": "No or bad token"})
document("/claims/{claim_id}", "get", summary="One claim",
         parameters=[{"name": "claim_id", "in": "path", "required": True, "schema": {"type": "integer"}}],
         responses={"200": _json("Claim", "The claim"), "401": "No or bad token", "404": "No such claim"})
document("/fund", "get", summary="The compensation fund (bureau and trading centre only)",
         responses={"200": _json("Fund", "The fund"), "401": "No or bad token", "403": "Not the bureau or the centre"})
