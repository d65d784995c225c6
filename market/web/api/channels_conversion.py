"""The conversion API: propose, consent, execute, abandon (conventions in market.web.api.channels)."""

from __future__ import annotations

import sqlalchemy as sa
from flask import jsonify

from market.domain.channels import ProposalStatus
from market.domain.conversion import ConsentParty, ConversionTerms, ExitRoute, share_ppm
from market.domain.roles import Role
from market.models import ConversionProposal, EquityPosition
from market.services import conversion
from market.services.access import Forbidden
from market.web.api import api_user, bp, json_body
from market.web.api.auctions import iso
from market.web.api.channels import (
    AMOUNT,
    IDEMPOTENCY,
    choice,
    flag,
    integer,
    json_answer,
    money,
    path_id,
    pct,
    schema_body,
    text,
    write_errors,
    writer,
    yuan,
)
from market.web.api.idempotency import idempotent
from market.web.api.openapi import COMPONENTS, document
from market.web.context import db, now


def proposal_json(proposal: ConversionProposal) -> dict:
    """A proposal: terms, the equity share, every required consent and the position once executed."""
    terms = conversion.proposal_terms(proposal)
    decided = {c.party: c for c in proposal.consents}
    position = db().scalar(sa.select(EquityPosition).where(EquityPosition.proposal_id == proposal.id))
    share = terms.equity_share
    return {
        "id": proposal.id, "case_id": proposal.case_id, "status": proposal.status.value,
        "aic": {"id": proposal.aic_id, "name": proposal.aic.name},
        "claim_price": yuan(proposal.claim_price_fen), "claim_valuation": yuan(proposal.claim_valuation_fen),
        "valuation_report_ref": proposal.valuation_report_ref,
        "pre_money_valuation": yuan(proposal.pre_money_valuation_fen),
        "equity_share_percent": pct(share_ppm(share)), "equity_share_exact": f"{share.numerator}/{share.denominator}",
        "lockup_months": proposal.lockup_months, "exit_route": proposal.exit_route.value,
        "exit_terms": proposal.exit_terms, "fund_compensation": proposal.fund_compensation,
        "consents": [{"party": party.value,
                      "decision": None if party not in decided else
                      ("consented" if decided[party].consented else "refused"),
                      "reference": decided[party].reference if party in decided else None,
                      "decided_at": iso(decided[party].decided_at) if party in decided else None}
                     for party in conversion.parties_for(proposal)],
        "proposed_at": iso(proposal.proposed_at), "ended_at": iso(proposal.ended_at),
        "outcome_reason": proposal.outcome_reason or None,
        "equity_position": None if position is None else {
            "share_percent": pct(position.share_ppm), "cost": yuan(position.cost_fen),
            "acquired_on": position.acquired_on.isoformat(), "lockup_until": position.lockup_until.isoformat()},
    }


def _answer(proposal_id: int, status: int = 200):
    body = proposal_json(conversion.get_proposal(db(), proposal_id, api_user()))
    return jsonify(body), status


@bp.get("/conversions")
def list_conversions():
    """Proposals the caller may see, newest first."""
    user = api_user()
    proposals = db().scalars(sa.select(ConversionProposal).where(conversion.proposal_visibility(user))
                             .order_by(ConversionProposal.id.desc()).limit(500))
    body = [proposal_json(p) for p in proposals]
    return jsonify(conversions=body)


@bp.get("/conversions/<int:proposal_id>")
def get_conversion(proposal_id: int):
    """One proposal with its consents."""
    return _answer(proposal_id)


@bp.post("/conversions")
@idempotent
def post_conversion():
    """The operator proposes a conversion on a case."""
    user, actor = writer()
    if Role(user.role) != Role.OPERATOR:
        raise Forbidden()
    body = json_body()
    terms = ConversionTerms(
        claim_price_fen=money(body, "claim_price"), claim_valuation_fen=money(body, "claim_valuation"),
        valuation_report_ref=text(body, "valuation_report_ref", limit=80),
        pre_money_valuation_fen=money(body, "pre_money_valuation"),
        lockup_months=integer(body, "lockup_months", high=120), exit_route=choice(body, "exit_route", ExitRoute),
        exit_terms=text(body, "exit_terms", limit=4000),
    )
    proposal = conversion.propose_conversion(db(), integer(body, "case_id", low=1), aic_id=integer(body, "aic_id", low=1),
                                             terms=terms, fund_compensation=flag(body, "fund_compensation", False),
                                             actor=actor, now=now())
    return _answer(proposal.id, 201)


@bp.post("/conversions/<int:proposal_id>/consents")
@idempotent
def post_conversion_consent(proposal_id: int):
    """The caller's party decides (the operator records the borrower's board resolution)."""
    _user, actor = writer()
    body = json_body()
    conversion.decide_consent(db(), proposal_id, consent=flag(body, "consent"),
                              reference=text(body, "reference", required=False, limit=120),
                              note=text(body, "note", required=False), actor=actor, now=now())
    return _answer(proposal_id, 201)


@bp.post("/conversions/<int:proposal_id>/execute")
@idempotent
def post_conversion_execution(proposal_id: int):
    """The operator executes; a missing consent answers 409 naming it."""
    _user, actor = writer()
    conversion.execute_conversion(db(), proposal_id, actor=actor, now=now())
    return _answer(proposal_id)


@bp.post("/conversions/<int:proposal_id>/abandon")
@idempotent
def post_conversion_abandon(proposal_id: int):
    """The operator abandons the proposal."""
    _user, actor = writer()
    conversion.abandon_conversion(db(), proposal_id, reason=text(json_body(), "reason"), actor=actor, now=now())
    return _answer(proposal_id)


COMPONENTS["schemas"]["Conversion"] = {
    "type": "object", "required": ["id", "case_id", "status", "claim_price", "equity_share_percent", "consents"],
    "properties": {"id": {"type": "integer"}, "case_id": {"type": "integer"},
                   "status": {"type": "string", "enum": [s.value for s in ProposalStatus]},
                   "claim_price": AMOUNT, "equity_share_percent": {"type": "string"},
                   "consents": {"type": "array", "items": {"type": "object", "properties": {
                       "party": {"type": "string", "enum": [p.value for p in ConsentParty]},
                       "decision": {"type": ["string", "null"]}}}}},
}
_P = path_id("proposal_id")
document("/conversions", "get", summary="Conversion proposals you may see", responses={"200": "The proposals",
                                                                                     "401": "No or bad token"})
document("/conversions", "post", summary="Propose a debt-to-equity conversion (operator)", parameters=[IDEMPOTENCY],
         request_body=schema_body(
             ["case_id", "aic_id", "claim_price", "claim_valuation", "valuation_report_ref", "pre_money_valuation",
              "lockup_months", "exit_route", "exit_terms"],
             {"case_id": {"type": "integer"}, "aic_id": {"type": "integer"}, "claim_price": AMOUNT,
              "claim_valuation": AMOUNT, "valuation_report_ref": {"type": "string"}, "pre_money_valuation": AMOUNT,
              "lockup_months": {"type": "integer"}, "exit_route": {"type": "string", "enum": [e.value for e in ExitRoute]},
              "exit_terms": {"type": "string"}, "fund_compensation": {"type": "boolean"}}),
         responses={"201": json_answer("Conversion", "The proposal"), **write_errors()})
document("/conversions/{proposal_id}", "get", summary="One conversion proposal", parameters=[_P],
         responses={"200": json_answer("Conversion", "The proposal"), "401": "No or bad token", "404": "Not found"})
document("/conversions/{proposal_id}/consents", "post", summary="Your party's consent or refusal",
         parameters=[_P, IDEMPOTENCY],
         request_body=schema_body(["consent"], {"consent": {"type": "boolean"}, "reference": {"type": "string"},
                                                "note": {"type": "string"}}),
         responses={"201": json_answer("Conversion", "The proposal"), **write_errors()})
document("/conversions/{proposal_id}/execute", "post", summary="Execute once every consent is in (operator)",
         parameters=[_P, IDEMPOTENCY], responses={"200": json_answer("Conversion", "The proposal"), **write_errors()})
document("/conversions/{proposal_id}/abandon", "post", summary="Abandon the proposal (operator)",
         parameters=[_P, IDEMPOTENCY], request_body=schema_body(["reason"], {"reason": {"type": "string"}}),
         responses={"200": json_answer("Conversion", "The proposal"), **write_errors()})
