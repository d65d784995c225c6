"""The channels API: licence rounds and licences (here), conversions and claims (sibling modules).

Same conventions as the auction API: bearer token, amounts as decimal yuan strings, rates as percentage
strings ("5.25" = 5.25 %), times as UTC ISO 8601, an Idempotency-Key on every POST, errors as
{"error": code, "message": ..., "params": {...}} (market.web.refusals): 403 wrong role, 404 not yours or no
such thing, 409 wrong moment, 422 bad input or a broken rule.
"""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from flask import jsonify, request

from market.domain.channels import RoundStatus
from market.domain.licensing import (
    LicenceKind,
    LicenceTerms,
    OfferTerms,
    ReportingPeriod,
    instalment_positions,
    recordal_overdue,
    royalty_schedule,
)
from market.domain.money import fen_to_decimal_string, parse_yuan
from market.domain.roles import Role
from market.models import LicenceRound, PaymentKind
from market.services import licensing
from market.services.access import Forbidden
from market.services.audit import Actor
from market.services.channels import sees_everything
from market.web.api import api_user, bp, json_body
from market.web.api.auctions import iso
from market.web.api.idempotency import idempotent
from market.web.api.openapi import COMPONENTS, document
from market.web.api.problems import (
    InvalidStatus,
    NotChoice,
    NotContractRefs,
    NotDate,
    NotFlag,
    NotIds,
    NotMoment,
    NotPercentText,
    NotText,
    NotWholeNumber,
)
from market.web.context import db, now
from market.web.forms.channels import InvalidPercent, parse_percent, ppm_to_percent_text


def writer() -> tuple:
    """The caller of a write (bearer token required) and its actor."""
    user = api_user(write=True)
    return user, Actor.of(user)


# ---- reading request fields -----------------------------------------------------------------------


def money(body: dict, name: str, *, allow_zero: bool = False, optional: bool = False) -> int | None:
    """A decimal yuan string in fen."""
    value = body.get(name)
    if value is None and optional:
        return None
    return parse_yuan(value, field=name, allow_zero=allow_zero)


def percent(body: dict, name: str) -> int:
    """A percentage string ("5.25") in parts per million."""
    value = body.get(name)
    if not isinstance(value, str | int) or isinstance(value, bool):
        raise NotPercentText(field=name)
    try:
        return parse_percent(str(value))
    except InvalidPercent:
        raise NotPercentText(field=name) from None


def text(body: dict, name: str, *, required: bool = True, limit: int = 2000) -> str:
    """A string field."""
    value = body.get(name, "")
    if value is None:
        value = ""
    if not isinstance(value, str) or len(value) > limit or (required and not value.strip()):
        raise NotText(field=name, limit=limit)
    return value


def integer(body: dict, name: str, *, low: int = 0, high: int = 2**31 - 1) -> int:
    """A whole number field within bounds."""
    value = body.get(name)
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise NotWholeNumber(field=name, low=low, high=high)
    return value


def flag(body: dict, name: str, default: bool | None = None) -> bool:
    """A true/false field."""
    value = body.get(name, default)
    if not isinstance(value, bool):
        raise NotFlag(field=name)
    return value


def day(body: dict, name: str, *, optional: bool = False) -> date | None:
    """A date field, YYYY-MM-DD."""
    value = body.get(name)
    if value is None and optional:
        return None
    try:
        return date.fromisoformat(value)
    except (TypeError, ValueError):
        raise NotDate(field=name) from None


def moment(body: dict, name: str) -> datetime:
    """A timezone-aware ISO 8601 time."""
    value = body.get(name)
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except (AttributeError, TypeError, ValueError):
        parsed = None
    if parsed is None or parsed.tzinfo is None:
        raise NotMoment(field=name)
    return parsed


def choice(body: dict, name: str, enum_cls, default=None):
    """One of an enum's values."""
    value = body.get(name, default.value if default is not None else None)
    try:
        return enum_cls(value)
    except ValueError:
        raise NotChoice(field=name, values=[m.value for m in enum_cls]) from None


def ids(body: dict, name: str) -> list[int]:
    """A list of ids."""
    value = body.get(name)
    if not isinstance(value, list) or not all(isinstance(v, int) and not isinstance(v, bool) for v in value):
        raise NotIds(field=name)
    return value


# ---- writing answers --------------------------------------------------------------------------------


def yuan(fen: int | None) -> str | None:
    """Fen as a decimal yuan string."""
    return None if fen is None else fen_to_decimal_string(fen)


def pct(ppm: int) -> str:
    """Parts per million as a percentage string."""
    return ppm_to_percent_text(ppm)


def offer_json(offer) -> dict:
    """A licence offer."""
    return {"id": offer.id, "applicant": offer.applicant_name, "upfront": yuan(offer.upfront_fen),
            "royalty_rate_percent": pct(offer.royalty_rate_ppm),
            "min_annual_royalty": yuan(offer.min_annual_royalty_fen), "submitted_at": iso(offer.submitted_at),
            "withdrawn_at": iso(offer.withdrawn_at), "selected": offer.selected}


def round_json(licence_round: LicenceRound, user) -> dict:
    """A licence round as the caller may see it: offers only after close, and only to those who may."""
    terms = licensing.round_terms(licence_round)
    own = licensing.own_offer(licence_round, user)
    body = {
        "id": licence_round.id, "case_id": licence_round.case_id, "title": licence_round.case.title,
        "status": licence_round.status.value, "kind": licence_round.kind.value,
        "field_of_use": licence_round.field_of_use, "territory": licence_round.territory,
        "term_months": licence_round.term_months, "reporting_period": licence_round.reporting_period.value,
        "min_upfront": yuan(licence_round.min_upfront_fen),
        "min_royalty_rate_percent": pct(licence_round.min_royalty_rate_ppm),
        "scoring": {"discount_rate_percent": pct(licence_round.discount_rate_ppm),
                    "reference_yearly_sales": yuan(licence_round.reference_sales_fen),
                    "periods": terms.formula.periods, "periods_per_year": licence_round.reporting_period.per_year,
                    "formula": "score = upfront + sum_{t=1..N} R / (1 + r/m)^t, rounded down to the fen; "
                               "R = max(rate x reference_yearly_sales / m, min_annual_royalty / m); "
                               "equal scores rank by submission time, earlier first"},
        "offer_deadline": iso(licence_round.offer_deadline), "opened_at": iso(licence_round.opened_at),
        "closed_at": iso(licence_round.closed_at), "pledgee_consent_at": iso(licence_round.pledgee_consent_at),
        "outcome_reason": licence_round.outcome_reason or None,
        "your_offer": dict(offer_json(own), score=yuan(terms.formula.score_fen(licensing.offer_terms(own))))
        if own else None,
        "licence_ids": [lic.id for lic in licence_round.licences],
    }
    if sees_everything(user) or user.institution_id == licence_round.case.bank_id:
        body["offers_received"] = len(licensing.active_offers(licence_round))
    if licensing.may_see_ranking(user, licence_round):
        offers = {o.id: o for o in licence_round.offers}
        body["ranking"] = [dict(offer_json(offers[r.key]), rank=r.rank, score=yuan(r.score_fen),
                                royalty_present_value=yuan(r.royalty_value_fen))
                           for r in licensing.ranking(licence_round)]
    return body


def licence_json(licence) -> dict:
    """A licence with its schedule, its payments and what each did to the loan."""
    today = now().date()
    formula = licensing.round_terms(licence.round).formula
    schedule = royalty_schedule(formula, licensing.offer_terms(licence), licence.starts_on)
    royalties = sum(p.amount_fen for p in licence.payments if p.kind == PaymentKind.ROYALTY)
    effects = [(p, e) for p, e in licensing.payment_effects(db(), licence.case) if p.licence_id == licence.id]
    return {
        "id": licence.id, "case_id": licence.case_id, "round_id": licence.round_id,
        "contract_ref": licence.contract_ref, "licensee": licence.licensee_name,
        "signed_on": licence.signed_on.isoformat(), "starts_on": licence.starts_on.isoformat(),
        "upfront": yuan(licence.upfront_fen), "royalty_rate_percent": pct(licence.royalty_rate_ppm),
        "min_annual_royalty": yuan(licence.min_annual_royalty_fen),
        "recordal": {"due_on": licence.recordal_due_on.isoformat(),
                     "recorded_on": licence.recorded_on.isoformat() if licence.recorded_on else None,
                     "number": licence.recordal_number or None,
                     "overdue": recordal_overdue(licence.recordal_due_on, licence.recorded_on, today)},
        "received_to_date": yuan(sum(p.amount_fen for p in licence.payments)),
        "case_licence_income_to_date": yuan(licensing.licence_income_to_date(db(), licence.case_id)),
        "schedule": [{"period": pos.instalment.period, "starts_on": pos.instalment.starts_on.isoformat(),
                      "ends_on": pos.instalment.ends_on.isoformat(), "due_on": pos.instalment.due_on.isoformat(),
                      "expected": yuan(pos.instalment.expected_fen), "covered": yuan(pos.covered_fen),
                      "status": pos.status.value}
                     for pos in instalment_positions(schedule, royalties, today)],
        "payments": [{"id": p.id, "kind": p.kind.value, "received_on": p.received_on.isoformat(),
                      "amount": yuan(p.amount_fen), "reference": p.reference,
                      "reported_sales": yuan(p.reported_sales_fen), "to_costs": yuan(e.to_costs),
                      "to_interest": yuan(e.to_interest), "to_principal": yuan(e.to_principal),
                      "surplus": yuan(e.surplus), "principal_unrecovered_after": yuan(e.principal_left_fen)}
                     for p, e in effects],
    }


def _round_answer(round_id: int, status: int = 200):
    user = api_user()
    body = round_json(licensing.get_round(db(), round_id, user), user)
    return jsonify(body), status


# ---- licence rounds -----------------------------------------------------------------------------


@bp.get("/licence-rounds")
def list_licence_rounds():
    """Rounds the caller may see, newest first; ?status=open filters."""
    user = api_user()
    query = sa.select(LicenceRound).where(licensing.round_visibility(user)).order_by(LicenceRound.id.desc()).limit(500)
    status = request.args.get("status")
    if status is not None:
        if status not in {s.value for s in RoundStatus}:
            raise InvalidStatus(allowed=[s.value for s in RoundStatus])
        query = query.where(LicenceRound.status == status)
    body = [round_json(r, user) for r in db().scalars(query)]
    return jsonify(licence_rounds=body)


@bp.get("/licence-rounds/<int:round_id>")
def get_licence_round(round_id: int):
    """One round: terms, formula, your offer; the ranking after close for those who may see it."""
    return _round_answer(round_id)


@bp.post("/licence-rounds")
@idempotent
def post_licence_round():
    """The operator publishes a licence offer on a case."""
    user, actor = writer()
    if Role(user.role) != Role.OPERATOR:
        raise Forbidden()
    body = json_body()
    terms = LicenceTerms(
        kind=choice(body, "kind", LicenceKind), field_of_use=text(body, "field_of_use", limit=300),
        territory=text(body, "territory", limit=200), term_months=integer(body, "term_months", low=1, high=360),
        min_upfront_fen=money(body, "min_upfront", allow_zero=True),
        min_royalty_rate_ppm=percent(body, "min_royalty_rate_percent"),
        reporting_period=choice(body, "reporting_period", ReportingPeriod, ReportingPeriod.QUARTERLY),
        discount_rate_ppm=percent(body, "discount_rate_percent"),
        reference_sales_fen=money(body, "reference_yearly_sales", allow_zero=True),
    )
    licence_round = licensing.open_licence_round(db(), integer(body, "case_id", low=1), terms,
                                                 offer_deadline=moment(body, "offer_deadline"), actor=actor,
                                                 now=now())
    return _round_answer(licence_round.id, 201)


@bp.post("/licence-rounds/<int:round_id>/offers")
@idempotent
def post_licence_offer(round_id: int):
    """Submit or revise the caller's sealed offer (the operator: a firm's offer, with its name and code)."""
    user, actor = writer()
    body = json_body()
    terms = OfferTerms(money(body, "upfront", allow_zero=True), percent(body, "royalty_rate_percent"),
                       money(body, "min_annual_royalty", allow_zero=True, optional=True) or 0)
    extra = {}
    if Role(user.role) == Role.OPERATOR:
        extra = {"applicant_name": text(body, "applicant_name", limit=200),
                 "applicant_credit_code": text(body, "applicant_credit_code", limit=18)}
    offer = licensing.submit_licence_offer(db(), round_id, terms, note=text(body, "note", required=False),
                                           actor=actor, now=now(), **extra)
    answer = offer_json(offer)
    return jsonify(offer=answer), 201


@bp.post("/licence-rounds/<int:round_id>/offers/withdraw")
@idempotent
def post_licence_offer_withdrawal(round_id: int):
    """Withdraw the caller's offer before the deadline."""
    _user, actor = writer()
    licensing.withdraw_licence_offer(db(), round_id, actor=actor, now=now())
    return _round_answer(round_id)


@bp.post("/licence-rounds/<int:round_id>/close")
@idempotent
def post_licence_round_close(round_id: int):
    """The operator closes a round after its deadline: unsealed and ranked, or failed without offers."""
    _user, actor = writer()
    licensing.close_licence_round(db(), round_id, actor=actor, now=now())
    return _round_answer(round_id)


@bp.post("/licence-rounds/<int:round_id>/award")
@idempotent
def post_licence_award(round_id: int):
    """The operator chooses the licensee(s)."""
    _user, actor = writer()
    body = json_body()
    licensing.award_licence(db(), round_id, ids(body, "offer_ids"), reason=text(body, "reason", required=False),
                            actor=actor, now=now())
    return _round_answer(round_id)


@bp.post("/licence-rounds/<int:round_id>/consent")
@idempotent
def post_licence_consent(round_id: int):
    """The pledgee bank consents (or refuses, with a reason) to the awarded licence."""
    _user, actor = writer()
    body = json_body()
    licensing.decide_pledgee_consent(db(), round_id, consent=flag(body, "consent"),
                                     reference=text(body, "reference", required=False, limit=120),
                                     reason=text(body, "reason", required=False), actor=actor, now=now())
    return _round_answer(round_id)


@bp.post("/licence-rounds/<int:round_id>/sign")
@idempotent
def post_licence_signing(round_id: int):
    """The operator records the signing: licences, upfront fees received, the case disposed of."""
    _user, actor = writer()
    body = json_body()
    refs = body.get("contract_refs")
    if not isinstance(refs, list) or not all(isinstance(r, str) for r in refs):
        raise NotContractRefs(field="contract_refs")
    licences = licensing.sign_licences(db(), round_id, contract_refs=refs, signed_on=day(body, "signed_on"),
                                       starts_on=day(body, "starts_on", optional=True), actor=actor, now=now())
    answer = [licence_json(lic) for lic in licences]
    return jsonify(licences=answer), 201


@bp.post("/licence-rounds/<int:round_id>/abandon")
@idempotent
def post_licence_abandon(round_id: int):
    """The operator ends licensing without a licence."""
    _user, actor = writer()
    licensing.abandon_licensing(db(), round_id, reason=text(json_body(), "reason"), actor=actor, now=now())
    return _round_answer(round_id)


# ---- licences -----------------------------------------------------------------------------------


def _licence_answer(licence_id: int, status: int = 200):
    body = licence_json(licensing.get_licence(db(), licence_id, api_user()))
    return jsonify(body), status


@bp.get("/licences/<int:licence_id>")
def get_licence(licence_id: int):
    """A licence: schedule, payments and their effect on the loan, recordal."""
    return _licence_answer(licence_id)


@bp.post("/licences/<int:licence_id>/payments")
@idempotent
def post_licence_payment(licence_id: int):
    """The operator records a royalty received."""
    _user, actor = writer()
    body = json_body()
    licensing.record_royalty_payment(db(), licence_id, received_on=day(body, "received_on"),
                                     amount_fen=money(body, "amount"),
                                     reference=text(body, "reference", limit=60),
                                     reported_sales_fen=money(body, "reported_sales", allow_zero=True, optional=True),
                                     actor=actor, now=now())
    return _licence_answer(licence_id, 201)


@bp.post("/licences/<int:licence_id>/payments/import")
@idempotent
def post_licence_payment_import(licence_id: int):
    """The operator imports a CSV statement (sent as the "csv" string): all rows or none."""
    _user, actor = writer()
    result = licensing.import_royalty_csv(db(), licence_id, text(json_body(), "csv", limit=1_000_000),
                                          actor=actor, now=now())
    recorded, skipped = len(result.recorded), result.skipped_references
    response, status = _licence_answer(licence_id, 201)
    body = response.get_json()
    body["import"] = {"recorded": recorded, "skipped_references": skipped}
    return jsonify(body), status


@bp.post("/licences/<int:licence_id>/recordal")
@idempotent
def post_licence_recordal(licence_id: int):
    """The operator records the licence's recordal with the IP office."""
    _user, actor = writer()
    body = json_body()
    licensing.record_licence_recordal(db(), licence_id, recordal_number=text(body, "recordal_number", limit=80),
                                      recorded_on=day(body, "recorded_on"), actor=actor, now=now())
    return _licence_answer(licence_id)


# ---- the OpenAPI document -----------------------------------------------------------------------

AMOUNT = {"$ref": "#/components/schemas/Amount"}
PERCENT = {"type": "string", "pattern": r"^\d{1,3}(\.\d{1,4})?$", "examples": ["5.25"]}
TIME = {"type": "string", "format": "date-time"}
DATE = {"type": "string", "format": "date"}
COMPONENTS["schemas"].update({
    "LicenceRound": {"type": "object", "required": ["id", "case_id", "status", "kind", "scoring", "offer_deadline"],
                     "properties": {"id": {"type": "integer"}, "case_id": {"type": "integer"},
                                    "status": {"type": "string", "enum": [s.value for s in RoundStatus]},
                                    "kind": {"type": "string", "enum": [k.value for k in LicenceKind]},
                                    "min_upfront": AMOUNT, "min_royalty_rate_percent": PERCENT,
                                    "scoring": {"type": "object"}, "offer_deadline": TIME,
                                    "your_offer": {"type": ["object", "null"]},
                                    "ranking": {"type": "array", "items": {"type": "object"}}}},
    "Licence": {"type": "object", "required": ["id", "case_id", "contract_ref", "schedule", "payments"],
                "properties": {"id": {"type": "integer"}, "case_id": {"type": "integer"},
                               "contract_ref": {"type": "string"}, "upfront": AMOUNT,
                               "received_to_date": AMOUNT, "schedule": {"type": "array", "items": {"type": "object"}},
                               "payments": {"type": "array", "items": {"type": "object"}},
                               "recordal": {"type": "object"}}},
})


def schema_body(required: list[str], properties: dict) -> dict:
    """A JSON request body for the document."""
    return {"required": True, "content": {"application/json": {"schema": {
        "type": "object", "required": required, "properties": properties}}}}


def json_answer(ref: str, description: str) -> dict:
    """A JSON response referring to a component schema."""
    return {"description": description,
            "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{ref}"}}}}


IDEMPOTENCY = {"name": "Idempotency-Key", "in": "header", "required": True, "schema": {"type": "string"}}


def path_id(name: str) -> dict:
    """An integer path parameter."""
    return {"name": name, "in": "path", "required": True, "schema": {"type": "integer"}}


def write_errors(extra: dict | None = None) -> dict:
    """The errors every write may answer."""
    errors = {"400": "No Idempotency-Key, or not a JSON object", "401": "No or bad bearer token",
              "403": "Your role cannot do this", "404": "No such object, or not yours",
              "409": "Not possible at this step or time", "422": "Bad input or a broken rule"}
    errors.update(extra or {})
    return errors


_R = path_id("round_id")
_L = path_id("licence_id")
document("/licence-rounds", "get", summary="Licence rounds you may see",
         parameters=[{"name": "status", "in": "query", "schema": {"type": "string"}}],
         responses={"200": "The rounds", "401": "No or bad token"})
document("/licence-rounds", "post", summary="Publish a licence offer on a case (operator)", parameters=[IDEMPOTENCY],
         request_body=schema_body(
             ["case_id", "kind", "field_of_use", "territory", "term_months", "min_upfront", "min_royalty_rate_percent",
              "discount_rate_percent", "reference_yearly_sales", "offer_deadline"],
             {"case_id": {"type": "integer"}, "kind": {"type": "string", "enum": [k.value for k in LicenceKind]},
              "field_of_use": {"type": "string"}, "territory": {"type": "string"}, "term_months": {"type": "integer"},
              "reporting_period": {"type": "string", "enum": [p.value for p in ReportingPeriod]},
              "min_upfront": AMOUNT, "min_royalty_rate_percent": PERCENT, "discount_rate_percent": PERCENT,
              "reference_yearly_sales": AMOUNT, "offer_deadline": TIME}),
         responses={"201": json_answer("LicenceRound", "The round"), **write_errors()})
document("/licence-rounds/{round_id}", "get", summary="One licence round", parameters=[_R],
         responses={"200": json_answer("LicenceRound", "The round"), "401": "No or bad token", "404": "Not found"})
document("/licence-rounds/{round_id}/offers", "post", summary="Submit or revise your sealed offer",
         parameters=[_R, IDEMPOTENCY],
         request_body=schema_body(["upfront", "royalty_rate_percent"], {
             "upfront": AMOUNT, "royalty_rate_percent": PERCENT, "min_annual_royalty": AMOUNT,
             "note": {"type": "string"}, "applicant_name": {"type": "string"},
             "applicant_credit_code": {"type": "string"}}),
         responses={"201": "Your offer", **write_errors()})
for _path, _summary, _body in (
    ("offers/withdraw", "Withdraw your offer", None),
    ("close", "Close the round after its deadline (operator)", None),
    ("award", "Award the licence (operator)", schema_body(["offer_ids"], {
        "offer_ids": {"type": "array", "items": {"type": "integer"}}, "reason": {"type": "string"}})),
    ("consent", "The pledgee bank's consent (Civil Code art. 444)", schema_body(["consent"], {
        "consent": {"type": "boolean"}, "reference": {"type": "string"}, "reason": {"type": "string"}})),
    ("abandon", "End licensing without a licence (operator)", schema_body(["reason"], {"reason": {"type": "string"}})),
):
    document(f"/licence-rounds/{{round_id}}/{_path}", "post", summary=_summary, parameters=[_R, IDEMPOTENCY],
             request_body=_body, responses={"200": json_answer("LicenceRound", "The round"), **write_errors()})
document("/licence-rounds/{round_id}/sign", "post", summary="Record the signed licence(s) (operator)",
         parameters=[_R, IDEMPOTENCY],
         request_body=schema_body(["contract_refs", "signed_on"], {
             "contract_refs": {"type": "array", "items": {"type": "string"}}, "signed_on": DATE, "starts_on": DATE}),
         responses={"201": "The licences", **write_errors()})
document("/licences/{licence_id}", "get", summary="A licence with its royalty schedule and payments",
         parameters=[_L], responses={"200": json_answer("Licence", "The licence"), "401": "No or bad token",
                                     "404": "Not found"})
document("/licences/{licence_id}/payments", "post", summary="Record a royalty received (operator)",
         parameters=[_L, IDEMPOTENCY],
         request_body=schema_body(["received_on", "amount", "reference"], {
             "received_on": DATE, "amount": AMOUNT, "reference": {"type": "string"}, "reported_sales": AMOUNT}),
         responses={"201": json_answer("Licence", "The licence"), **write_errors()})
document("/licences/{licence_id}/payments/import", "post", summary="Import a CSV statement of royalties (operator)",
         parameters=[_L, IDEMPOTENCY], request_body=schema_body(["csv"], {"csv": {"type": "string"}}),
         responses={"201": json_answer("Licence", "The licence and what was imported"), **write_errors()})
document("/licences/{licence_id}/recordal", "post", summary="Record the licence's recordal (operator)",
         parameters=[_L, IDEMPOTENCY],
         request_body=schema_body(["recordal_number", "recorded_on"], {
             "recordal_number": {"type": "string"}, "recorded_on": DATE}),
         responses={"200": json_answer("Licence", "The licence"), **write_errors()})

# The conversion and claim-transfer endpoints register themselves on import.
from market.web.api import channels_claims, channels_conversion  # noqa: E402,F401
