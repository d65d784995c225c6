"""The conversion API: propose, consent, execute, abandon (conventions in market.web.api.channels)."""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Annotated

import sqlalchemy as sa
from pydantic import Field, StrictBool, StrictInt

from market.domain.channels import ProposalStatus
from market.domain.conversion import ConsentParty, ConversionTerms, ExitRoute, share_ppm
from market.models import ConversionProposal, EquityPosition
from market.services import conversion
from market.web.api import api_user, bp
from market.web.api.channels import (
    OPERATOR,
    Note,
    Percent,
    ReasonIn,
    RefId,
    Text,
    write_errors,
    writer,
)
from market.web.api.contract import IdempotencyKey, Model, Moment, Yuan, YuanIn, operation
from market.web.api.idempotency import idempotent
from market.web.context import db, now


class Decision(StrEnum):
    """A party's decision."""

    CONSENTED = "consented"
    REFUSED = "refused"


class Aic(Model):
    """The financial asset investment company."""

    id: int
    name: str


class ConsentView(Model):
    """A required consent and, once decided, the decision."""

    party: ConsentParty
    decision: Decision | None
    reference: str | None
    decided_at: Moment | None


class EquityPositionView(Model):
    """The equity held once executed."""

    share_percent: Percent = Field(validation_alias="share_ppm")
    cost: Yuan = Field(validation_alias="cost_fen")
    acquired_on: date
    lockup_until: date


class Conversion(Model):
    """A proposal: terms, the equity share, every required consent and the position once executed."""

    id: int
    case_id: int
    status: ProposalStatus
    aic: Aic
    claim_price: Yuan
    claim_valuation: Yuan
    valuation_report_ref: str
    pre_money_valuation: Yuan
    equity_share_percent: Percent
    equity_share_exact: str = Field(description="The share as an exact fraction, e.g. 1/3")
    lockup_months: int
    exit_route: ExitRoute
    exit_terms: str
    fund_compensation: bool
    consents: list[ConsentView]
    proposed_at: Moment
    ended_at: Moment | None
    outcome_reason: str | None
    equity_position: EquityPositionView | None


class Conversions(Model):
    """Proposals, newest first."""

    conversions: list[Conversion]


class ConversionIn(Model):
    """A debt-to-equity conversion proposed on a case."""

    case_id: RefId
    aic_id: RefId
    claim_price: YuanIn
    claim_valuation: YuanIn
    valuation_report_ref: Text(80)
    pre_money_valuation: YuanIn
    lockup_months: Annotated[StrictInt, Field(ge=0, le=120)]
    exit_route: ExitRoute
    exit_terms: Text(4000)
    fund_compensation: StrictBool = False


class ConversionConsentIn(Model):
    """Your party's consent or refusal."""

    consent: StrictBool
    reference: Note(120) = ""
    note: Note() = ""


def proposal_view(proposal: ConversionProposal) -> Conversion:
    """A proposal with its consents and, once executed, the position."""
    terms = conversion.proposal_terms(proposal)
    decided = {c.party: c for c in proposal.consents}
    position = db().scalar(sa.select(EquityPosition).where(EquityPosition.proposal_id == proposal.id))
    share = terms.equity_share
    return Conversion(
        id=proposal.id, case_id=proposal.case_id, status=proposal.status,
        aic=Aic(id=proposal.aic_id, name=proposal.aic.name), claim_price=proposal.claim_price_fen,
        claim_valuation=proposal.claim_valuation_fen, valuation_report_ref=proposal.valuation_report_ref,
        pre_money_valuation=proposal.pre_money_valuation_fen, equity_share_percent=share_ppm(share),
        equity_share_exact=f"{share.numerator}/{share.denominator}", lockup_months=proposal.lockup_months,
        exit_route=proposal.exit_route, exit_terms=proposal.exit_terms, fund_compensation=proposal.fund_compensation,
        consents=[ConsentView(
            party=party,
            decision=None if party not in decided else
            (Decision.CONSENTED if decided[party].consented else Decision.REFUSED),
            reference=decided[party].reference if party in decided else None,
            decided_at=decided[party].decided_at if party in decided else None)
            for party in conversion.parties_for(proposal)],
        proposed_at=proposal.proposed_at, ended_at=proposal.ended_at, outcome_reason=proposal.outcome_reason or None,
        equity_position=None if position is None else EquityPositionView.model_validate(position),
    )


def _answer(proposal_id: int, status: int = 200):
    return proposal_view(conversion.get_proposal(db(), proposal_id, api_user())), status


_PROPOSAL = (Conversion, "The proposal")


@bp.get("/conversions")
@operation("conversion", {200: (Conversions, "The proposals"), 401: "No or bad token"})
def list_conversions():
    """Conversion proposals you may see, newest first"""
    user = api_user()
    proposals = db().scalars(sa.select(ConversionProposal).where(conversion.proposal_visibility(user))
                             .order_by(ConversionProposal.id.desc()).limit(500))
    return Conversions(conversions=[proposal_view(p) for p in proposals])


@bp.get("/conversions/<int:proposal_id>")
@operation("conversion", {200: _PROPOSAL, 401: "No or bad token", 404: "Not found"})
def get_conversion(proposal_id: int):
    """One conversion proposal with its consents"""
    return _answer(proposal_id)


@bp.post("/conversions")
@idempotent
@operation("conversion", {201: _PROPOSAL, **write_errors()}, roles=OPERATOR)
def post_conversion(json: ConversionIn, headers: IdempotencyKey):
    """Propose a debt-to-equity conversion (operator)"""
    _user, actor = writer()
    terms = ConversionTerms(
        claim_price_fen=json.claim_price, claim_valuation_fen=json.claim_valuation,
        valuation_report_ref=json.valuation_report_ref, pre_money_valuation_fen=json.pre_money_valuation,
        lockup_months=json.lockup_months, exit_route=json.exit_route, exit_terms=json.exit_terms,
    )
    proposal = conversion.propose_conversion(db(), json.case_id, aic_id=json.aic_id, terms=terms,
                                             fund_compensation=json.fund_compensation, actor=actor, now=now())
    return _answer(proposal.id, 201)


@bp.post("/conversions/<int:proposal_id>/consents")
@idempotent
@operation("conversion", {201: _PROPOSAL, **write_errors()})
def post_conversion_consent(proposal_id: int, json: ConversionConsentIn, headers: IdempotencyKey):
    """Your party's consent or refusal

    The operator records the borrower's board resolution."""
    _user, actor = writer()
    conversion.decide_consent(db(), proposal_id, consent=json.consent, reference=json.reference, note=json.note,
                              actor=actor, now=now())
    return _answer(proposal_id, 201)


@bp.post("/conversions/<int:proposal_id>/execute")
@idempotent
@operation("conversion", {200: _PROPOSAL, **write_errors()}, roles=OPERATOR)
def post_conversion_execution(proposal_id: int, headers: IdempotencyKey):
    """Execute once every consent is in (operator)

    A missing consent answers 409 naming it."""
    _user, actor = writer()
    conversion.execute_conversion(db(), proposal_id, actor=actor, now=now())
    return _answer(proposal_id)


@bp.post("/conversions/<int:proposal_id>/abandon")
@idempotent
@operation("conversion", {200: _PROPOSAL, **write_errors()}, roles=OPERATOR)
def post_conversion_abandon(proposal_id: int, json: ReasonIn, headers: IdempotencyKey):
    """Abandon the proposal (operator)"""
    _user, actor = writer()
    conversion.abandon_conversion(db(), proposal_id, reason=json.reason, actor=actor, now=now())
    return _answer(proposal_id)
