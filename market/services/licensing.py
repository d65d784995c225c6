"""Licensing as a disposal channel: open a round, take sealed offers, rank, award with the pledgee's
consent, sign, and follow the royalties; each use case owns its transaction."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

import sqlalchemy as sa
import sqlalchemy.orm as so

from market.domain.case_errors import PledgeeConsentMissing
from market.domain.channels import (
    ROUND_STEPS,
    RecordalDateOutOfRange,
    RecordalNumberMissing,
    RecordalOnFile,
    RoundStatus,
    next_status,
    reason_for_ending,
    reason_for_refusing,
)
from market.domain.errors import Kind, PersonRequired
from market.domain.ledger import Movement
from market.domain.licensing import (
    LicenceTerms,
    OfferTerms,
    PaymentEffect,
    PaymentNotPositive,
    RankedOffer,
    SealedOffer,
    apply_payments,
    check_award,
    rank_offers,
    recordal_due_on,
)
from market.domain.money import fen_to_decimal_string
from market.domain.notices import NoticeType
from market.domain.reasons import SystemReason
from market.domain.registry import AssetOnHold
from market.domain.roles import Role
from market.domain.royalty_csv import CsvLineRefused, CsvRejected, parse_payment_csv
from market.domain.rules import DEFAULT_RULES, DisposalRules, RuleBroken
from market.domain.workflow import CaseAction
from market.models import (
    DisposalCase,
    Licence,
    LicenceOffer,
    LicencePayment,
    LicenceRound,
    PaymentKind,
    User,
)
from market.services.access import Forbidden, NotFound, can_see_case, case_visibility, visible
from market.services.audit import Actor, record_event
from market.services.cases import move_case
from market.services.channels import (
    LICENCE_APPLICANT_ROLES,
    add_later_recovery,
    lock,
    lock_case_row,
    require_operator,
    sees_everything,
    user_id,
)
from market.services.ledger import record_movement
from market.services.notices import About, publish
from market.services.registry_holds import held_by_register


class DeadlineRule(RuleBroken):
    """Offers are taken only before the deadline, and sealed until it has passed."""

    code, kind = "deadline_rule", Kind.CONFLICT


class OfferPeriodTooShort(DeadlineRule):
    """Applicants get at least the bidding window to offer."""

    code, fields = "offer_period_too_short", ("hours",)


class WithdrawalTooLate(DeadlineRule):
    """Offers can be withdrawn only before the deadline."""

    code = "withdrawal_too_late"


class OffersSealed(DeadlineRule):
    """Offers stay sealed until the deadline."""

    code = "offers_sealed"


class ApplicantMissing(RuleBroken):
    """An offer names the applicant firm and its credit code."""

    code = "applicant_missing"


class ApplicantOnly(Forbidden):
    """Only an applicant withdraws its offer."""

    code = "applicant_only"


class PledgeeOnly(Forbidden):
    """Only the case's pledgee bank decides on its consent."""

    code = "pledgee_only"


class OwnCollateral(Forbidden):
    """The pledgee bank cannot apply for a licence of its own collateral."""

    code = "own_collateral"


class ConsentAlreadyGiven(RuleBroken):
    """The pledgee consents once."""

    code = "consent_already_given"


class SigningInFuture(RuleBroken):
    """A signing date is not in the future."""

    code = "signing_in_future"


class ContractRefsMismatch(RuleBroken):
    """One distinct contract reference per licensee, in rank order."""

    code, fields = "contract_refs_mismatch", ("count",)


class PaymentRefused(RuleBroken):
    """A licence payment cannot be recorded as entered."""

    code = "payment_refused"


class PaymentReferenceMissing(PaymentRefused):
    """A payment names its bank reference."""

    code = "payment_reference_missing"


class PaymentDateOutOfRange(PaymentRefused):
    """A payment date lies between the signing date and today."""

    code, fields = "payment_date_out_of_range", ("signed_on",)


class PaymentAlreadyRecorded(PaymentRefused):
    """A payment reference is recorded once per licence."""

    code, fields = "payment_already_recorded", ("reference",)


def round_terms(licence_round: LicenceRound) -> LicenceTerms:
    """The published terms of a round, as the domain sees them."""
    r = licence_round
    return LicenceTerms(r.kind, r.field_of_use, r.territory, r.term_months, r.min_upfront_fen,
                        r.min_royalty_rate_ppm, r.reporting_period, r.discount_rate_ppm, r.reference_sales_fen)


def offer_terms(offer: LicenceOffer | Licence) -> OfferTerms:
    """What an offer (or the licence signed from it) promises."""
    return OfferTerms(offer.upfront_fen, offer.royalty_rate_ppm, offer.min_annual_royalty_fen)


def _step(licence_round: LicenceRound, step: str) -> None:
    licence_round.status = next_status(ROUND_STEPS, licence_round.status, step, "licence round")


def _audit(session, actor: Actor, entity: str, entity_id: int, action: str, now: datetime, **detail):
    reason = detail.pop("reason", "")
    record_event(session, actor=actor, entity=entity, entity_id=entity_id, action=action, now=now,
                 reason=reason, detail=detail)


# ---------------------------------------------------------------- the round


def open_licence_round(session: so.Session, case_id: int, terms: LicenceTerms, *, offer_deadline: datetime,
                       actor: Actor, now: datetime, rules: DisposalRules = DEFAULT_RULES) -> LicenceRound:
    """Publish a licence offer on a case and move the case into licensing."""
    require_operator(actor)
    case = lock_case_row(session, case_id)
    terms.check()
    if offer_deadline < now + timedelta(hours=rules.min_bidding_hours):
        raise OfferPeriodTooShort(hours=rules.min_bidding_hours)
    licence_round = LicenceRound(
        case_id=case.id, status=RoundStatus.OPEN, kind=terms.kind, field_of_use=terms.field_of_use.strip(),
        territory=terms.territory.strip(), term_months=terms.term_months,
        min_upfront_fen=terms.min_upfront_fen, min_royalty_rate_ppm=terms.min_royalty_rate_ppm,
        reporting_period=terms.reporting_period, discount_rate_ppm=terms.discount_rate_ppm,
        reference_sales_fen=terms.reference_sales_fen, offer_deadline=offer_deadline, opened_at=now,
    )
    session.add(licence_round)
    session.flush()
    move_case(session, case, CaseAction.START_LICENSING, actor=actor, now=now, rules=rules,
              due_at=offer_deadline, detail={"licence_round_id": licence_round.id})
    _audit(session, actor, "licence_round", licence_round.id, "opened", now, case_id=case.id,
           kind=terms.kind.value, deadline=offer_deadline.isoformat())
    return licence_round


def round_visibility(user: User) -> sa.ColumnElement[bool]:
    """The licence rounds a user may see: open rounds for applicants; otherwise the case's parties and
    those who offered (the one predicate for lists and look-ups)."""
    if sees_everything(user):
        return sa.true()
    offered = sa.exists().where(LicenceOffer.round_id == LicenceRound.id,
                                LicenceOffer.institution_id == user.institution_id)
    seen = [LicenceRound.case_id.in_(sa.select(DisposalCase.id).where(case_visibility(user))), offered]
    if Role(user.role) in LICENCE_APPLICANT_ROLES:
        seen.append(LicenceRound.status == RoundStatus.OPEN)
    return sa.or_(*seen)


def get_round(session: so.Session, round_id: int, user: User) -> LicenceRound:
    """A round the user may see, or NotFound."""
    return visible(session, LicenceRound, round_id, round_visibility(user), "licence round")


def submit_licence_offer(session: so.Session, round_id: int, terms: OfferTerms, *, actor: Actor, now: datetime,
                         note: str = "", applicant_name: str = "", applicant_credit_code: str = "") -> LicenceOffer:
    """Submit or revise a sealed offer; the centre may record one for a firm that is not on the platform."""
    user = actor.user
    if user is None:
        raise PersonRequired()
    if actor.role == Role.OPERATOR:
        if not applicant_name.strip() or not applicant_credit_code.strip():
            raise ApplicantMissing()
        institution_id, name, code = None, applicant_name.strip(), applicant_credit_code.strip().upper()
    elif actor.role in LICENCE_APPLICANT_ROLES:
        institution_id, name, code = user.institution_id, user.institution.name, user.institution.credit_code
    else:
        raise Forbidden()
    visible(session, LicenceRound, round_id, round_visibility(user), "licence round")
    licence_round = lock(session, LicenceRound, round_id, "licence round")
    if institution_id is not None and institution_id == licence_round.case.bank_id:
        raise OwnCollateral()
    if licence_round.held_at is not None:
        raise AssetOnHold()
    _step(licence_round, "offer")
    if now >= licence_round.offer_deadline:
        raise DeadlineRule()
    round_terms(licence_round).check_offer(terms)
    offer = session.scalar(sa.select(LicenceOffer).where(
        LicenceOffer.round_id == round_id, LicenceOffer.applicant_credit_code == code))
    action = "revised" if offer is not None else "submitted"
    if offer is None:
        offer = LicenceOffer(round_id=round_id, applicant_credit_code=code)
        session.add(offer)
    offer.institution_id, offer.applicant_name = institution_id, name
    offer.upfront_fen, offer.royalty_rate_ppm = terms.upfront_fen, terms.royalty_rate_ppm
    offer.min_annual_royalty_fen, offer.note = terms.min_annual_royalty_fen, note.strip()
    offer.submitted_at, offer.submitted_by_id, offer.withdrawn_at = now, user.id, None
    session.flush()
    _audit(session, actor, "licence_offer", offer.id, action, now, round_id=round_id, applicant=name,
           upfront=fen_to_decimal_string(terms.upfront_fen), royalty_rate_ppm=terms.royalty_rate_ppm,
           min_annual_royalty=fen_to_decimal_string(terms.min_annual_royalty_fen))
    return offer


def own_offer(licence_round: LicenceRound, user: User) -> LicenceOffer | None:
    """The user's institution's offer in a round, if any."""
    return next((o for o in licence_round.offers if o.institution_id == user.institution_id
                 and o.institution_id is not None), None)


def withdraw_licence_offer(session: so.Session, round_id: int, *, actor: Actor, now: datetime) -> LicenceOffer:
    """Withdraw one's own offer before the deadline."""
    if actor.user is None or actor.role not in LICENCE_APPLICANT_ROLES:
        raise ApplicantOnly()
    licence_round = lock(session, LicenceRound, round_id, "licence round")
    offer = own_offer(licence_round, actor.user)
    if offer is None or offer.withdrawn_at is not None:
        raise NotFound()
    if licence_round.held_at is not None:
        raise AssetOnHold()
    _step(licence_round, "offer")
    if now >= licence_round.offer_deadline:
        raise WithdrawalTooLate()
    offer.withdrawn_at = now
    _audit(session, actor, "licence_offer", offer.id, "withdrawn", now, round_id=round_id)
    return offer


def active_offers(licence_round: LicenceRound) -> list[LicenceOffer]:
    """Offers not withdrawn."""
    return [o for o in licence_round.offers if o.withdrawn_at is None]


def close_licence_round(session: so.Session, round_id: int, *, actor: Actor, now: datetime) -> LicenceRound:
    """At the deadline: unseal and rank the offers, or end licensing when there are none."""
    require_operator(actor, system_too=True)
    licence_round = lock(session, LicenceRound, round_id, "licence round")
    if licence_round.held_at is not None:
        raise AssetOnHold()
    if licence_round.status == RoundStatus.OPEN and now < licence_round.offer_deadline:
        raise OffersSealed()
    offers = active_offers(licence_round)
    if not offers:
        _fail(session, licence_round, SystemReason.NO_LICENCE_OFFERS, actor=actor, now=now)
        return licence_round
    _step(licence_round, "close")
    licence_round.closed_at = now
    _audit(session, actor, "licence_round", licence_round.id, "closed", now, offers=len(offers))
    return licence_round


def ranking(licence_round: LicenceRound) -> list[RankedOffer]:
    """The active offers ranked by the published formula (keys are offer ids)."""
    formula = round_terms(licence_round).formula
    return rank_offers(formula, [SealedOffer(o.id, offer_terms(o), o.submitted_at)
                                 for o in active_offers(licence_round)])


def may_see_ranking(user: User, licence_round: LicenceRound) -> bool:
    """After close, the centre, the bureau and the pledgee bank see every offer; before it, nobody does."""
    if licence_round.status == RoundStatus.OPEN or licence_round.closed_at is None:
        return False
    return sees_everything(user) or (Role(user.role) == Role.BANK
                                     and user.institution_id == licence_round.case.bank_id)


def award_licence(session: so.Session, round_id: int, offer_ids: list[int], *, actor: Actor, now: datetime,
                  reason: str = "") -> LicenceRound:
    """Choose the licensee(s): one for exclusive or sole, one or more for non-exclusive."""
    require_operator(actor)
    licence_round = lock(session, LicenceRound, round_id, "licence round")
    _step(licence_round, "award")
    check_award(licence_round.kind, offer_ids, ranking(licence_round), reason)
    for offer in licence_round.offers:
        offer.selected = offer.id in offer_ids
    licence_round.award_reason = reason.strip()
    _audit(session, actor, "licence_round", licence_round.id, "awarded", now, offer_ids=list(offer_ids),
           reason=reason.strip())
    return licence_round


def decide_pledgee_consent(session: so.Session, round_id: int, *, consent: bool, actor: Actor, now: datetime,
                           reference: str = "", reason: str = "") -> LicenceRound:
    """The pledgee bank consents to the awarded licence(s) (Civil Code art. 444), or refuses and ends the round."""
    if actor.role != Role.BANK or actor.user is None:
        raise PledgeeOnly()
    licence_round = lock(session, LicenceRound, round_id, "licence round")
    if not can_see_case(actor.user, licence_round.case):
        raise PledgeeOnly()
    _step(licence_round, "consent")
    if licence_round.pledgee_consent_at is not None:
        raise ConsentAlreadyGiven()
    if not consent:
        reason = reason_for_refusing(reason)
        _audit(session, actor, "licence_round", licence_round.id, "pledgee_consent_refused", now,
               reason=reason)
        _fail(session, licence_round, SystemReason.PLEDGEE_REFUSED_CONSENT,
              actor=Actor.system(), now=now)
        return licence_round
    licence_round.pledgee_consent_at = now
    licence_round.pledgee_consent_by_id = actor.user.id
    licence_round.pledgee_consent_ref = reference.strip()
    _audit(session, actor, "licence_round", licence_round.id, "pledgee_consented", now,
           reference=reference.strip())
    return licence_round


def sign_licences(session: so.Session, round_id: int, *, contract_refs: list[str], signed_on: date,
                  starts_on: date | None = None, actor: Actor, now: datetime,
                  rules: DisposalRules = DEFAULT_RULES) -> list[Licence]:
    """Sign the awarded licence(s): the upfront fees are the case's recovery; the case is disposed of."""
    require_operator(actor)
    licence_round = lock(session, LicenceRound, round_id, "licence round")
    case = lock_case_row(session, licence_round.case_id)
    _step(licence_round, "sign")
    if licence_round.pledgee_consent_at is None:
        raise PledgeeConsentMissing()
    if signed_on > now.date():
        raise SigningInFuture()
    order = {r.key: r.rank for r in ranking(licence_round)}
    chosen = sorted((o for o in licence_round.offers if o.selected), key=lambda o: order[o.id])
    refs = [ref.strip() for ref in contract_refs if ref.strip()]
    if len(refs) != len(chosen) or len(set(refs)) != len(refs):
        raise ContractRefsMismatch(count=len(chosen))
    licences = []
    for offer, ref in zip(chosen, refs, strict=True):
        licence = Licence(
            case_id=case.id, round_id=licence_round.id, offer_id=offer.id,
            licensee_institution_id=offer.institution_id, licensee_name=offer.applicant_name,
            contract_ref=ref[:80], signed_on=signed_on, starts_on=starts_on or signed_on,
            upfront_fen=offer.upfront_fen, royalty_rate_ppm=offer.royalty_rate_ppm,
            min_annual_royalty_fen=offer.min_annual_royalty_fen,
            recordal_due_on=recordal_due_on(signed_on, rules),
        )
        session.add(licence)
        session.flush()
        licences.append(licence)
        if offer.upfront_fen:
            _receive(session, licence, kind=PaymentKind.UPFRONT, received_on=signed_on,
                     amount_fen=offer.upfront_fen, reference=f"upfront:{ref}"[:60], reported_sales_fen=None,
                     source="signing", actor=actor, now=now)
    licence_round.ended_at = now
    move_case(session, case, CaseAction.LICENCE_GRANTED, actor=actor, now=now, rules=rules,
              recovery_fen=licence_income_to_date(session, case.id),
              buyer_institution_id=chosen[0].institution_id, buyer_name=chosen[0].applicant_name,
              detail={"licence_round_id": licence_round.id, "licence_ids": [lic.id for lic in licences]})
    _audit(session, actor, "licence_round", licence_round.id, "signed", now,
           licence_ids=[lic.id for lic in licences], signed_on=signed_on.isoformat())
    for licence in licences:
        _tell_recordal_due(session, licence, case, now=now)
    return licences


def _tell_recordal_due(session: so.Session, licence: Licence, case: DisposalCase, *, now: datetime,
                       missed: bool = False) -> None:
    """The centre (which records it), the filing bank and the licensee hear when the licence must be recorded."""
    publish(session, NoticeType.RECORDAL_DUE, about=About("licence", licence.id, case.id), now=now,
            institutions=[case.bank_id, licence.licensee_institution_id], roles=[Role.OPERATOR],
            payload={"case_no": case.reference, "title": case.title, "licensee": licence.licensee_name,
                     "due_at": licence.recordal_due_on.isoformat(), "missed": missed})


def abandon_licensing(session: so.Session, round_id: int, *, reason: str, actor: Actor,
                      now: datetime) -> LicenceRound:
    """End the round without a licence; the case goes back to await its next channel."""
    require_operator(actor)
    reason = reason_for_ending(reason)
    licence_round = lock(session, LicenceRound, round_id, "licence round")
    _fail(session, licence_round, reason, actor=actor, now=now)
    return licence_round


def _fail(session, licence_round: LicenceRound, reason: str, *, actor: Actor, now: datetime) -> None:
    _step(licence_round, "fail")
    licence_round.ended_at, licence_round.outcome_reason = now, reason
    case = lock_case_row(session, licence_round.case_id)
    move_case(session, case, CaseAction.LICENSING_FAILED, actor=actor, now=now, reason=reason,
              detail={"licence_round_id": licence_round.id})
    _audit(session, actor, "licence_round", licence_round.id, "failed", now, reason=reason)


# ---------------------------------------------------------------- the licence and its money


def licence_visibility(user: User) -> sa.ColumnElement[bool]:
    """The licences a user may see: the centre, the bureau, the case's parties and the licensee."""
    if sees_everything(user):
        return sa.true()
    return sa.or_(Licence.case_id.in_(sa.select(DisposalCase.id).where(case_visibility(user))),
                  Licence.licensee_institution_id == user.institution_id)


def get_licence(session: so.Session, licence_id: int, user: User) -> Licence:
    """A licence the user may see, or NotFound."""
    return visible(session, Licence, licence_id, licence_visibility(user), "licence")


def licence_income_to_date(session: so.Session, case_id: int) -> int:
    """Everything licensees of a case have paid so far (upfront fees and royalties), in fen.

    Until settlement this is also the case's recovery_fen; after it, settlement's statement adds the
    royalties received since as later recoveries.
    """
    return session.scalar(sa.select(sa.func.coalesce(sa.func.sum(LicencePayment.amount_fen), 0))
                          .where(LicencePayment.case_id == case_id)) or 0


def case_payments(session: so.Session, case_id: int) -> list[LicencePayment]:
    """A case's licence payments in the order they were received (the order the recovery applies them)."""
    return list(session.scalars(sa.select(LicencePayment).where(LicencePayment.case_id == case_id)
                                .order_by(LicencePayment.received_on, LicencePayment.id)))


def payment_effects(session: so.Session, case: DisposalCase) -> list[tuple[LicencePayment, PaymentEffect]]:
    """Each licence payment of a case with what it did to the loan: costs, then interest, then principal."""
    payments = case_payments(session, case.id)
    effects = apply_payments([p.amount_fen for p in payments], costs_fen=case.costs_so_far_fen,
                             unpaid_interest_fen=case.unpaid_interest_fen,
                             principal_fen=case.principal_outstanding_fen)
    return list(zip(payments, effects, strict=True))


def _receive(session, licence: Licence, *, kind: PaymentKind, received_on: date, amount_fen: int, reference: str,
             reported_sales_fen: int | None, source: str, actor: Actor, now: datetime) -> LicencePayment:
    if amount_fen <= 0:
        raise PaymentNotPositive()
    reference = reference.strip()
    if not reference:
        raise PaymentReferenceMissing()
    if received_on < licence.signed_on or received_on > now.date():
        raise PaymentDateOutOfRange(signed_on=licence.signed_on)
    duplicate = session.scalar(sa.select(LicencePayment.id).where(
        LicencePayment.licence_id == licence.id, LicencePayment.reference == reference))
    if duplicate is not None:
        raise PaymentAlreadyRecorded(reference=reference)
    payment = LicencePayment(licence_id=licence.id, case_id=licence.case_id, kind=kind, received_on=received_on,
                             amount_fen=amount_fen, reference=reference, reported_sales_fen=reported_sales_fen,
                             source=source, recorded_at=now, recorded_by_id=user_id(actor))
    session.add(payment)
    session.flush()
    record_movement(session, Movement.LICENCE_INCOME, amount_fen=amount_fen, now=now, case_id=licence.case_id,
                    institution_id=licence.licensee_institution_id,
                    reference=f"licence-payment:{payment.id}")
    _audit(session, actor, "licence", licence.id, f"{kind.value}_received", now,
           amount=fen_to_decimal_string(amount_fen), reference=reference, received_on=received_on.isoformat())
    return payment


def record_royalty_payment(session: so.Session, licence_id: int, *, received_on: date, amount_fen: int,
                           reference: str, reported_sales_fen: int | None = None, actor: Actor,
                           now: datetime) -> LicencePayment:
    """Record a royalty received: before settlement the case's recovery grows; after it, settlement re-runs."""
    require_operator(actor)
    licence = lock(session, Licence, licence_id, "licence")
    payment = _royalty(session, licence, received_on, amount_fen, reference, reported_sales_fen,
                       "entered", actor, now)
    return payment


def _royalty(session, licence, received_on, amount_fen, reference, sales, source, actor, now) -> LicencePayment:
    case = lock_case_row(session, licence.case_id)
    payment = _receive(session, licence, kind=PaymentKind.ROYALTY, received_on=received_on, amount_fen=amount_fen,
                       reference=reference, reported_sales_fen=sales, source=source, actor=actor, now=now)
    add_later_recovery(session, case, amount_fen, now, actor=actor)
    return payment


@dataclass(frozen=True)
class ImportResult:
    """What a CSV import did: the payments recorded and the references already on file (skipped)."""

    recorded: list[LicencePayment]
    skipped_references: list[str]


def import_royalty_csv(session: so.Session, licence_id: int, text: str, *, actor: Actor,
                       now: datetime) -> ImportResult:
    """Import a statement of royalties: every row is checked first; one bad row imports nothing.

    Rows whose reference is already recorded are skipped, so importing the same file twice is harmless.
    """
    require_operator(actor)
    rows = parse_payment_csv(text)
    licence = lock(session, Licence, licence_id, "licence")
    known = set(session.scalars(sa.select(LicencePayment.reference)
                                .where(LicencePayment.licence_id == licence.id)))
    recorded, skipped, problems = [], [], []
    for row in rows:
        if row.reference in known:
            skipped.append(row.reference)
            continue
        try:
            recorded.append(_royalty(session, licence, row.received_on, row.amount_fen, row.reference,
                                     row.reported_sales_fen, "csv", actor, now))
        except RuleBroken as error:
            problems.append(CsvLineRefused(line=row.line, problem=error))
    if problems:
        raise CsvRejected(problems=problems)
    return ImportResult(recorded, skipped)


def record_licence_recordal(session: so.Session, licence_id: int, *, recordal_number: str, recorded_on: date,
                            actor: Actor, now: datetime) -> Licence:
    """Record that the licence was recorded with the IP office."""
    require_operator(actor)
    licence = lock(session, Licence, licence_id, "licence")
    if licence.recorded_on is not None:
        raise RecordalOnFile()
    if not recordal_number.strip():
        raise RecordalNumberMissing()
    if recorded_on < licence.signed_on or recorded_on > now.date():
        raise RecordalDateOutOfRange(earliest=licence.signed_on)
    licence.recorded_on, licence.recordal_number = recorded_on, recordal_number.strip()[:80]
    _audit(session, actor, "licence", licence.id, "recorded", now, recordal_number=licence.recordal_number,
           recorded_on=recorded_on.isoformat(), late=recorded_on > licence.recordal_due_on)
    return licence


# ---------------------------------------------------------------- the clock


def rounds_past_deadline(session: so.Session, now: datetime) -> list[int]:
    """Open licence rounds whose offer deadline has passed."""
    return list(session.scalars(sa.select(LicenceRound.id).where(
        LicenceRound.status == RoundStatus.OPEN, LicenceRound.offer_deadline <= now,
        LicenceRound.held_at.is_(None))))


def close_round_at_deadline(session: so.Session, round_id: int, *, now: datetime) -> bool:
    """The clock closes a round at its deadline (close_licence_round refuses one already closed), unless the
    register now holds its case: then the round is held, not closed."""
    licence_round = lock(session, LicenceRound, round_id, "licence round")
    if licence_round.held_at is not None:
        return False
    if held_by_register(session, lock_case_row(session, licence_round.case_id), now=now):
        return False
    close_licence_round(session, round_id, actor=Actor.system(), now=now)
    return True


def missed_licence_recordals(session: so.Session, now: datetime) -> list[int]:
    """Licences whose recordal deadline passed without a recordal, not flagged yet."""
    return list(session.scalars(sa.select(Licence.id).where(
        Licence.recorded_on.is_(None), Licence.recordal_missed_at.is_(None),
        Licence.recordal_due_on < now.date())))


def flag_missed_licence_recordal(session: so.Session, licence_id: int, *, now: datetime) -> bool:
    """Flag (once, in the audit trail) a licence whose recordal deadline passed without a recordal."""
    licence = lock(session, Licence, licence_id, "licence")
    if licence.recordal_missed_at is not None or licence.recorded_on is not None:
        return False
    licence.recordal_missed_at = now
    _audit(session, Actor.system(), "licence", licence.id, "recordal_missed", now,
           due_on=licence.recordal_due_on.isoformat())
    _tell_recordal_due(session, licence, session.get(DisposalCase, licence.case_id), now=now, missed=True)
    return True
