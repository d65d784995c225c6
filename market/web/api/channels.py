"""The channels API: licence rounds and licences (here), conversions and claims (sibling modules).

Same conventions as the auction API: bearer token, amounts as decimal yuan strings, rates as percentage
strings ("5.25" = 5.25 %), times as UTC ISO 8601, an Idempotency-Key on every POST, errors as
{"error": code, "message": ..., "params": {...}} (market.web.refusals): 403 wrong role, 404 not yours or no
such thing, 409 wrong moment, 422 bad input or a broken rule.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated

import sqlalchemy as sa
from pydantic import (
    AwareDatetime,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    StrictBool,
    StrictInt,
    StrictStr,
    WithJsonSchema,
)

from market.domain.channels import RoundStatus
from market.domain.licensing import (
    InstalmentStatus,
    LicenceKind,
    LicenceTerms,
    OfferTerms,
    ReportingPeriod,
    instalment_positions,
    recordal_overdue,
    royalty_schedule,
)
from market.domain.roles import Role
from market.models import LicenceRound, PaymentKind
from market.services import licensing
from market.services.audit import Actor
from market.services.channels import sees_everything
from market.web.api import api_user, bp
from market.web.api.contract import (
    IdempotencyKey,
    Model,
    Moment,
    Yuan,
    YuanIn,
    YuanOrZeroIn,
    absent_when_none,
    operation,
)
from market.web.api.idempotency import idempotent
from market.web.api.problems import InvalidStatus, NotPercentText, NotText
from market.web.context import db, now
from market.web.forms.channels import InvalidPercent, parse_percent, ppm_to_percent_text
from market.web.request_limits import MAX_ID

PERCENT_SCHEMA = {"type": "string", "pattern": r"^\d{1,3}(\.\d{1,4})?$", "examples": ["5.25"],
                  "description": "A percentage: \"5.25\" is 5.25 %"}


def _percent(value: object, info) -> int:
    if not isinstance(value, str | int) or isinstance(value, bool):
        raise NotPercentText(field=info.field_name)
    try:
        return parse_percent(str(value))
    except InvalidPercent:
        raise NotPercentText(field=info.field_name) from None


def _blank(value: object) -> object:
    return "" if value is None else value


Percent = Annotated[int, PlainSerializer(ppm_to_percent_text, return_type=str, when_used="json"), WithJsonSchema(PERCENT_SCHEMA)]
PercentIn = Annotated[int, BeforeValidator(_percent), WithJsonSchema(PERCENT_SCHEMA)]
RefId = Annotated[StrictInt, Field(ge=1, le=MAX_ID)]


def Text(limit: int):  # noqa: N802 - a type
    """A required string: not blank, at most `limit` characters."""
    return Annotated[StrictStr, Field(min_length=1, max_length=limit, pattern=r"\S")]


def Note(limit: int = 2000):  # noqa: N802 - a type
    """An optional string of at most `limit` characters (null is blank)."""
    return Annotated[StrictStr, BeforeValidator(_blank), Field(max_length=limit)]


# ---- the bodies -----------------------------------------------------------------------------------


class LicenceOffer(Model):
    """A licence offer."""

    id: int
    applicant: str = Field(validation_alias="applicant_name")
    upfront: Yuan = Field(validation_alias="upfront_fen")
    royalty_rate_percent: Percent = Field(validation_alias="royalty_rate_ppm")
    min_annual_royalty: Yuan = Field(validation_alias="min_annual_royalty_fen")
    submitted_at: Moment
    withdrawn_at: Moment | None
    selected: bool


class YourOffer(LicenceOffer):
    """Your own offer with its score."""

    score: Yuan


class RankedOffer(LicenceOffer):
    """An offer in the ranking after close."""

    rank: int = Field(ge=1)
    score: Yuan
    royalty_present_value: Yuan


class Scoring(Model):
    """How offers are scored."""

    discount_rate_percent: Percent
    reference_yearly_sales: Yuan
    periods: int
    periods_per_year: int
    formula: str


class LicenceRoundView(Model):
    """A licence round: terms, formula, your offer; offers only after close, and only to those who may."""

    id: int
    case_id: int
    title: str
    status: RoundStatus
    kind: LicenceKind
    field_of_use: str
    territory: str
    term_months: int
    reporting_period: ReportingPeriod
    min_upfront: Yuan
    min_royalty_rate_percent: Percent
    scoring: Scoring
    offer_deadline: Moment
    opened_at: Moment
    closed_at: Moment | None
    pledgee_consent_at: Moment | None
    outcome_reason: str | None
    your_offer: YourOffer | None
    licence_ids: list[int]
    offers_received: int | None = absent_when_none("For the centre and the pledgee bank")
    ranking: list[RankedOffer] | None = absent_when_none("After close, for those who may see it")


class LicenceRounds(Model):
    """Licence rounds, newest first."""

    licence_rounds: list[LicenceRoundView]


class RoundQuery(Model):
    """?status=open filters."""

    status: Annotated[RoundStatus | None, BeforeValidator(lambda value: _round_status(value))] = None


def _round_status(value: object) -> object:
    if value is not None and value not in {s.value for s in RoundStatus}:
        raise InvalidStatus(allowed=[s.value for s in RoundStatus])
    return value


class OfferSubmitted(Model):
    """Your offer as stored."""

    offer: LicenceOffer


class Recordal(Model):
    """The recordal with the IP office."""

    due_on: date
    recorded_on: date | None
    number: str | None
    overdue: bool


class Instalment(Model):
    """One expected royalty and what of it is covered."""

    period: int
    starts_on: date
    ends_on: date
    due_on: date
    expected: Yuan
    covered: Yuan
    status: InstalmentStatus


class Payment(Model):
    """A payment received and what it did to the loan."""

    id: int
    kind: PaymentKind
    received_on: date
    amount: Yuan
    reference: str
    reported_sales: Yuan | None
    to_costs: Yuan
    to_interest: Yuan
    to_principal: Yuan
    surplus: Yuan
    principal_unrecovered_after: Yuan


class Licence(Model):
    """A licence with its schedule, its payments and what each did to the loan."""

    id: int
    case_id: int
    round_id: int
    contract_ref: str
    licensee: str
    signed_on: date
    starts_on: date
    upfront: Yuan
    royalty_rate_percent: Percent
    min_annual_royalty: Yuan
    recordal: Recordal
    received_to_date: Yuan
    case_licence_income_to_date: Yuan
    schedule: list[Instalment]
    payments: list[Payment]


class ImportResult(Model):
    """What an import recorded and skipped."""

    recorded: int
    skipped_references: list[str]


class LicenceImported(Licence):
    """The licence, and what the import did."""

    model_config = ConfigDict(serialize_by_alias=True)
    import_: ImportResult = Field(serialization_alias="import")


class Licences(Model):
    """The licences signed."""

    licences: list[Licence]


class LicenceRoundIn(Model):
    """A licence offer published on a case."""

    case_id: RefId
    kind: LicenceKind
    field_of_use: Text(300)
    territory: Text(200)
    term_months: Annotated[StrictInt, Field(ge=1, le=360)]
    min_upfront: YuanOrZeroIn
    min_royalty_rate_percent: PercentIn
    reporting_period: ReportingPeriod = ReportingPeriod.QUARTERLY
    discount_rate_percent: PercentIn
    reference_yearly_sales: YuanOrZeroIn
    offer_deadline: AwareDatetime


class LicenceOfferIn(Model):
    """A sealed offer (the operator, for a firm: with its name and credit code)."""

    upfront: YuanOrZeroIn
    royalty_rate_percent: PercentIn
    min_annual_royalty: YuanOrZeroIn | None = None
    note: Note() = ""
    applicant_name: Note(200) = Field("", description="Operator only: the firm's name")
    applicant_credit_code: Note(18) = Field("", description="Operator only: the firm's credit code")


class AwardIn(Model):
    """The offers chosen."""

    offer_ids: list[StrictInt]
    reason: Note() = ""


class ConsentIn(Model):
    """A party's consent or refusal."""

    consent: StrictBool
    reference: Note(120) = ""
    reason: Note() = ""


class SignIn(Model):
    """The signed licence contracts, one per licensee."""

    contract_refs: list[StrictStr]
    signed_on: date
    starts_on: date | None = None


class ReasonIn(Model):
    """Why."""

    reason: Text(2000)


class RoyaltyIn(Model):
    """A royalty received."""

    received_on: date
    amount: YuanIn
    reference: Text(60)
    reported_sales: YuanOrZeroIn | None = None


class CsvIn(Model):
    """A CSV statement of royalties, as one string."""

    csv: Text(1_000_000)


class RecordalIn(Model):
    """A recordal with the IP office."""

    recordal_number: Text(80)
    recorded_on: date


def writer() -> tuple:
    """The caller of a write (bearer token required) and its actor."""
    user = api_user(write=True)
    return user, Actor.of(user)


# ---- answers --------------------------------------------------------------------------------------

FORMULA = ("score = upfront + sum_{t=1..N} R / (1 + r/m)^t, rounded down to the fen; "
           "R = max(rate x reference_yearly_sales / m, min_annual_royalty / m); "
           "equal scores rank by submission time, earlier first")


def round_view(licence_round: LicenceRound, user) -> LicenceRoundView:
    """A licence round as the caller may see it."""
    terms = licensing.round_terms(licence_round)
    own = licensing.own_offer(licence_round, user)
    view = LicenceRoundView(
        id=licence_round.id, case_id=licence_round.case_id, title=licence_round.case.title,
        status=licence_round.status, kind=licence_round.kind, field_of_use=licence_round.field_of_use,
        territory=licence_round.territory, term_months=licence_round.term_months,
        reporting_period=licence_round.reporting_period, min_upfront=licence_round.min_upfront_fen,
        min_royalty_rate_percent=licence_round.min_royalty_rate_ppm,
        scoring=Scoring(discount_rate_percent=licence_round.discount_rate_ppm,
                        reference_yearly_sales=licence_round.reference_sales_fen, periods=terms.formula.periods,
                        periods_per_year=licence_round.reporting_period.per_year, formula=FORMULA),
        offer_deadline=licence_round.offer_deadline, opened_at=licence_round.opened_at,
        closed_at=licence_round.closed_at, pledgee_consent_at=licence_round.pledgee_consent_at,
        outcome_reason=licence_round.outcome_reason or None,
        your_offer=None if own is None else YourOffer.model_validate(
            LicenceOffer.model_validate(own).model_dump() | {
                "score": terms.formula.score_fen(licensing.offer_terms(own))}),
        licence_ids=[lic.id for lic in licence_round.licences],
    )
    if sees_everything(user) or user.institution_id == licence_round.case.bank_id:
        view.offers_received = len(licensing.active_offers(licence_round))
    if licensing.may_see_ranking(user, licence_round):
        offers = {o.id: o for o in licence_round.offers}
        view.ranking = [RankedOffer.model_validate(LicenceOffer.model_validate(offers[r.key]).model_dump() | {
            "rank": r.rank, "score": r.score_fen, "royalty_present_value": r.royalty_value_fen})
            for r in licensing.ranking(licence_round)]
    return view


def licence_view(licence) -> dict:
    """A licence's fields, for Licence (or LicenceImported)."""
    today = now().date()
    formula = licensing.round_terms(licence.round).formula
    schedule = royalty_schedule(formula, licensing.offer_terms(licence), licence.starts_on)
    royalties = sum(p.amount_fen for p in licence.payments if p.kind == PaymentKind.ROYALTY)
    effects = [(p, e) for p, e in licensing.payment_effects(db(), licence.case) if p.licence_id == licence.id]
    return dict(
        id=licence.id, case_id=licence.case_id, round_id=licence.round_id, contract_ref=licence.contract_ref,
        licensee=licence.licensee_name, signed_on=licence.signed_on, starts_on=licence.starts_on,
        upfront=licence.upfront_fen, royalty_rate_percent=licence.royalty_rate_ppm,
        min_annual_royalty=licence.min_annual_royalty_fen,
        recordal=Recordal(due_on=licence.recordal_due_on, recorded_on=licence.recorded_on,
                          number=licence.recordal_number or None,
                          overdue=recordal_overdue(licence.recordal_due_on, licence.recorded_on, today)),
        received_to_date=sum(p.amount_fen for p in licence.payments),
        case_licence_income_to_date=licensing.licence_income_to_date(db(), licence.case_id),
        schedule=[Instalment(period=pos.instalment.period, starts_on=pos.instalment.starts_on,
                             ends_on=pos.instalment.ends_on, due_on=pos.instalment.due_on,
                             expected=pos.instalment.expected_fen, covered=pos.covered_fen, status=pos.status)
                  for pos in instalment_positions(schedule, royalties, today)],
        payments=[Payment(id=p.id, kind=p.kind, received_on=p.received_on, amount=p.amount_fen, reference=p.reference,
                          reported_sales=p.reported_sales_fen, to_costs=e.to_costs, to_interest=e.to_interest,
                          to_principal=e.to_principal, surplus=e.surplus,
                          principal_unrecovered_after=e.principal_left_fen)
                  for p, e in effects],
    )


def _round_answer(round_id: int, status: int = 200):
    user = api_user()
    return round_view(licensing.get_round(db(), round_id, user), user), status


READ_ERRORS = {401: "No or bad token", 404: "Not found"}


def write_errors(extra: dict | None = None) -> dict:
    """The errors every write may answer."""
    errors = {400: "No Idempotency-Key, or not a JSON object", 401: "No or bad bearer token",
              403: "Your role cannot do this", 404: "No such object, or not yours",
              409: "Not possible at this step or time", 422: "Bad input or a broken rule"}
    errors.update(extra or {})
    return errors


_ROUND = (LicenceRoundView, "The round")
_LICENCE = (Licence, "The licence")
OPERATOR = (Role.OPERATOR,)


# ---- licence rounds -----------------------------------------------------------------------------


@bp.get("/licence-rounds")
@operation("licensing", {200: (LicenceRounds, "The rounds"), 400: "Unknown status", 401: "No or bad token"})
def list_licence_rounds(query: RoundQuery):
    """Licence rounds you may see, newest first; ?status=open filters"""
    user = api_user()
    rounds = sa.select(LicenceRound).where(licensing.round_visibility(user)).order_by(LicenceRound.id.desc()).limit(500)
    if query.status is not None:
        rounds = rounds.where(LicenceRound.status == query.status)
    return LicenceRounds(licence_rounds=[round_view(r, user) for r in db().scalars(rounds)])


@bp.get("/licence-rounds/<int:round_id>")
@operation("licensing", {200: _ROUND, **READ_ERRORS})
def get_licence_round(round_id: int):
    """One licence round

    Terms, formula, your offer; the ranking after close for those who may see it."""
    return _round_answer(round_id)


@bp.post("/licence-rounds")
@idempotent
@operation("licensing", {201: _ROUND, **write_errors()}, roles=OPERATOR)
def post_licence_round(json: LicenceRoundIn, headers: IdempotencyKey):
    """Publish a licence offer on a case (operator)"""
    _user, actor = writer()
    terms = LicenceTerms(
        kind=json.kind, field_of_use=json.field_of_use, territory=json.territory, term_months=json.term_months,
        min_upfront_fen=json.min_upfront, min_royalty_rate_ppm=json.min_royalty_rate_percent,
        reporting_period=json.reporting_period, discount_rate_ppm=json.discount_rate_percent,
        reference_sales_fen=json.reference_yearly_sales,
    )
    licence_round = licensing.open_licence_round(db(), json.case_id, terms, offer_deadline=json.offer_deadline,
                                                 actor=actor, now=now())
    return _round_answer(licence_round.id, 201)


@bp.post("/licence-rounds/<int:round_id>/offers")
@idempotent
@operation("licensing", {201: (OfferSubmitted, "Your offer"), **write_errors()})
def post_licence_offer(round_id: int, json: LicenceOfferIn, headers: IdempotencyKey):
    """Submit or revise your sealed offer

    The operator submits a firm's offer, with its name and credit code."""
    user, actor = writer()
    terms = OfferTerms(json.upfront, json.royalty_rate_percent, json.min_annual_royalty or 0)
    extra = {}
    if Role(user.role) == Role.OPERATOR:
        for name, limit in (("applicant_name", 200), ("applicant_credit_code", 18)):
            if not getattr(json, name).strip():
                raise NotText(field=name, limit=limit)
        extra = {"applicant_name": json.applicant_name, "applicant_credit_code": json.applicant_credit_code}
    offer = licensing.submit_licence_offer(db(), round_id, terms, note=json.note, actor=actor, now=now(), **extra)
    return OfferSubmitted(offer=LicenceOffer.model_validate(offer)), 201


@bp.post("/licence-rounds/<int:round_id>/offers/withdraw")
@idempotent
@operation("licensing", {200: _ROUND, **write_errors()})
def post_licence_offer_withdrawal(round_id: int, headers: IdempotencyKey):
    """Withdraw your offer before the deadline"""
    _user, actor = writer()
    licensing.withdraw_licence_offer(db(), round_id, actor=actor, now=now())
    return _round_answer(round_id)


@bp.post("/licence-rounds/<int:round_id>/close")
@idempotent
@operation("licensing", {200: _ROUND, **write_errors()}, roles=OPERATOR)
def post_licence_round_close(round_id: int, headers: IdempotencyKey):
    """Close the round after its deadline (operator)

    Unsealed and ranked, or failed without offers."""
    _user, actor = writer()
    licensing.close_licence_round(db(), round_id, actor=actor, now=now())
    return _round_answer(round_id)


@bp.post("/licence-rounds/<int:round_id>/award")
@idempotent
@operation("licensing", {200: _ROUND, **write_errors()}, roles=OPERATOR)
def post_licence_award(round_id: int, json: AwardIn, headers: IdempotencyKey):
    """Award the licence (operator)"""
    _user, actor = writer()
    licensing.award_licence(db(), round_id, json.offer_ids, reason=json.reason, actor=actor, now=now())
    return _round_answer(round_id)


@bp.post("/licence-rounds/<int:round_id>/consent")
@idempotent
@operation("licensing", {200: _ROUND, **write_errors()})
def post_licence_consent(round_id: int, json: ConsentIn, headers: IdempotencyKey):
    """The pledgee bank's consent (Civil Code art. 444)

    Consent, or refuse with a reason, to the awarded licence."""
    _user, actor = writer()
    licensing.decide_pledgee_consent(db(), round_id, consent=json.consent, reference=json.reference,
                                     reason=json.reason, actor=actor, now=now())
    return _round_answer(round_id)


@bp.post("/licence-rounds/<int:round_id>/sign")
@idempotent
@operation("licensing", {201: (Licences, "The licences"), **write_errors()}, roles=OPERATOR)
def post_licence_signing(round_id: int, json: SignIn, headers: IdempotencyKey):
    """Record the signed licence(s) (operator)

    Licences, upfront fees received, the case disposed of."""
    _user, actor = writer()
    licences = licensing.sign_licences(db(), round_id, contract_refs=json.contract_refs, signed_on=json.signed_on,
                                       starts_on=json.starts_on, actor=actor, now=now())
    return Licences(licences=[Licence(**licence_view(lic)) for lic in licences]), 201


@bp.post("/licence-rounds/<int:round_id>/abandon")
@idempotent
@operation("licensing", {200: _ROUND, **write_errors()}, roles=OPERATOR)
def post_licence_abandon(round_id: int, json: ReasonIn, headers: IdempotencyKey):
    """End licensing without a licence (operator)"""
    _user, actor = writer()
    licensing.abandon_licensing(db(), round_id, reason=json.reason, actor=actor, now=now())
    return _round_answer(round_id)


# ---- licences -----------------------------------------------------------------------------------


def _licence_answer(licence_id: int, status: int = 200):
    return Licence(**licence_view(licensing.get_licence(db(), licence_id, api_user()))), status


@bp.get("/licences/<int:licence_id>")
@operation("licensing", {200: _LICENCE, **READ_ERRORS})
def get_licence(licence_id: int):
    """A licence with its royalty schedule and payments

    Schedule, payments and their effect on the loan, recordal."""
    return _licence_answer(licence_id)


@bp.post("/licences/<int:licence_id>/payments")
@idempotent
@operation("licensing", {201: _LICENCE, **write_errors()}, roles=OPERATOR)
def post_licence_payment(licence_id: int, json: RoyaltyIn, headers: IdempotencyKey):
    """Record a royalty received (operator)"""
    _user, actor = writer()
    licensing.record_royalty_payment(db(), licence_id, received_on=json.received_on, amount_fen=json.amount,
                                     reference=json.reference, reported_sales_fen=json.reported_sales,
                                     actor=actor, now=now())
    return _licence_answer(licence_id, 201)


@bp.post("/licences/<int:licence_id>/payments/import")
@idempotent
@operation("licensing", {201: (LicenceImported, "The licence and what was imported"), **write_errors()},
           roles=OPERATOR)
def post_licence_payment_import(licence_id: int, json: CsvIn, headers: IdempotencyKey):
    """Import a CSV statement of royalties (operator)

    Sent as the "csv" string: all rows or none."""
    _user, actor = writer()
    result = licensing.import_royalty_csv(db(), licence_id, json.csv, actor=actor, now=now())
    imported = ImportResult(recorded=len(result.recorded), skipped_references=list(result.skipped_references))
    licence = licensing.get_licence(db(), licence_id, api_user())
    return LicenceImported(**licence_view(licence), import_=imported), 201


@bp.post("/licences/<int:licence_id>/recordal")
@idempotent
@operation("licensing", {200: _LICENCE, **write_errors()}, roles=OPERATOR)
def post_licence_recordal(licence_id: int, json: RecordalIn, headers: IdempotencyKey):
    """Record the licence's recordal with the IP office (operator)"""
    _user, actor = writer()
    licensing.record_licence_recordal(db(), licence_id, recordal_number=json.recordal_number,
                                      recorded_on=json.recorded_on, actor=actor, now=now())
    return _licence_answer(licence_id)


# The conversion and claim-transfer endpoints register themselves on import.
from market.web.api import channels_claims, channels_conversion  # noqa: E402,F401
