"""Licensing pages: publish a licence offer, sealed offers, the ranking at close, consent, signing, royalties."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import login_required

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
from market.domain.roles import Role
from market.domain.workflow import CHANNEL_ENTRY
from market.models import DisposalCase, LicenceRound, PaymentKind
from market.services import licensing
from market.services.channels import LICENCE_APPLICANT_ROLES, sees_everything
from market.web.channels import actor, attempt, bp, case_or_404, form_errors, require_role
from market.web.context import db, now, user
from market.web.forms.auctions import beijing_to_utc, utc_to_beijing_input
from market.web.forms.channels import (
    CSV_MAX_BYTES,
    ActionForm,
    AwardForm,
    CsvImportForm,
    LicenceOfferForm,
    OpenRoundForm,
    PaymentForm,
    PledgeeConsentForm,
    ReasonForm,
    RecordalForm,
    RecordOfferForm,
    SignForm,
)
from market.web.forms.fields import choices
from market.web.refusals import submitted


@bp.route("/licensing")
@login_required
def rounds():
    """Licence offers open to applicants, soonest deadline first."""
    me = user()
    if Role(me.role) not in LICENCE_APPLICANT_ROLES | {Role.OPERATOR, Role.BUREAU}:
        abort(403)
    open_rounds = list(db().scalars(sa.select(LicenceRound).where(LicenceRound.status == RoundStatus.OPEN)
                                    .order_by(LicenceRound.offer_deadline)))
    return render_template("channels/rounds.html", rounds=open_rounds, me=me, now=now())


@bp.route("/cases/<int:case_id>/licensing")
@login_required
def licensing_case(case_id: int):
    """The licensing desk of a case: its latest round, else (for the operator) the form to publish one."""
    case = case_or_404(case_id)
    latest = db().scalar(sa.select(LicenceRound.id).where(LicenceRound.case_id == case.id)
                         .order_by(LicenceRound.id.desc()).limit(1))
    if latest is not None and (Role(user().role) == Role.OPERATOR or latest_round_open(latest)):
        return redirect(url_for(".round_page", round_id=latest))
    if Role(user().role) == Role.OPERATOR:
        return redirect(url_for(".open_round", case_id=case.id))
    return redirect(url_for(".case_channels", case_id=case.id))


def latest_round_open(round_id: int) -> bool:
    """Whether a round is still running (the desk link then leads to it)."""
    licence_round = db().get(LicenceRound, round_id)
    return licence_round is not None and licence_round.status != RoundStatus.FAILED


@bp.route("/cases/<int:case_id>/licensing/new", methods=["GET", "POST"])
@login_required
def open_round(case_id: int):
    """The operator publishes a licence offer on a case ready for a channel."""
    require_role(Role.OPERATOR)
    case = db().get(DisposalCase, case_id)
    if case is None:
        abort(404)
    form = OpenRoundForm()
    if not form.is_submitted():
        form.offer_deadline.data = utc_to_beijing_input(now() + timedelta(days=20))
        form.term_months.data, form.discount_rate.data = 36, 80_000
    if submitted(form):
        terms = LicenceTerms(
            kind=LicenceKind(form.kind.data), field_of_use=form.field_of_use.data, territory=form.territory.data,
            term_months=form.term_months.data, min_upfront_fen=form.min_upfront.data,
            min_royalty_rate_ppm=form.min_royalty_rate.data, reporting_period=ReportingPeriod(form.reporting_period.data),
            discount_rate_ppm=form.discount_rate.data, reference_sales_fen=form.reference_sales.data,
        )
        created = {}

        def publish():
            created["round"] = licensing.open_licence_round(db(), case_id, terms, actor=actor(), now=now(),
                                                            offer_deadline=beijing_to_utc(form.offer_deadline.data))

        if attempt(publish, _("The licence offer is published; offers are sealed until the deadline.")):
            return redirect(url_for(".round_page", round_id=created["round"].id))
    return render_template("channels/round_new.html", form=form, case=case, ready=case.state in CHANNEL_ENTRY), \
        422 if form.is_submitted() else 200


def _render_round(licence_round: LicenceRound, status: int = 200, **forms):
    me = user()
    terms = licensing.round_terms(licence_round)
    role = Role(me.role)
    is_pledgee = role == Role.BANK and me.institution_id == licence_round.case.bank_id
    ranking = licensing.ranking(licence_round) if licensing.may_see_ranking(me, licence_round) else []
    offers = {o.id: o for o in licence_round.offers}
    own = licensing.own_offer(licence_round, me)
    defaults = {
        "offer_form": LicenceOfferForm(formdata=None), "record_form": RecordOfferForm(formdata=None),
        "award_form": AwardForm(formdata=None), "consent_form": PledgeeConsentForm(formdata=None),
        "sign_form": SignForm(formdata=None, signed_on=now().date()), "abandon_form": ReasonForm(formdata=None),
        "action_form": ActionForm(formdata=None),
    }
    defaults.update(forms)
    award = defaults["award_form"]
    award.offer_ids.choices = choices(*((r.key, f"#{r.rank} {offers[r.key].applicant_name}") for r in ranking))
    return render_template(
        "channels/round.html", round=licence_round, case=licence_round.case, terms=terms, me=me, now=now(),
        formula=terms.formula, ranking=ranking, offers=offers, own=own,
        own_score=terms.formula.score_fen(licensing.offer_terms(own)) if own else None,
        active_count=len(licensing.active_offers(licence_round)), is_operator=role == Role.OPERATOR,
        may_apply=role in LICENCE_APPLICANT_ROLES and not is_pledgee, is_pledgee=is_pledgee,
        sees_all=sees_everything(me), **defaults,
    ), status


def _round(round_id: int) -> LicenceRound:
    return licensing.get_round(db(), round_id, user())


@bp.route("/licensing/<int:round_id>")
@login_required
def round_page(round_id: int):
    """A licence round: terms and the published formula; a sealed offer, the ranking, consent and signing."""
    return _render_round(_round(round_id))


def _offer_terms(form: LicenceOfferForm) -> OfferTerms:
    return OfferTerms(form.upfront.data, form.royalty_rate.data, form.min_annual_royalty.data or 0)


@bp.post("/licensing/<int:round_id>/offer")
@login_required
def submit_offer(round_id: int):
    """An applicant submits or revises its sealed offer."""
    require_role(*LICENCE_APPLICANT_ROLES)
    licence_round = _round(round_id)
    form = LicenceOfferForm()
    if submitted(form) and attempt(
        lambda: licensing.submit_licence_offer(db(), round_id, _offer_terms(form), note=form.note.data or "",
                                               actor=actor(), now=now()),
        _("Your sealed offer is in. You can revise or withdraw it until the deadline."),
    ):
        return redirect(url_for(".round_page", round_id=round_id))
    return _render_round(_round(licence_round.id), 422, offer_form=form)


@bp.post("/licensing/<int:round_id>/offer/withdraw")
@login_required
def withdraw_offer(round_id: int):
    """An applicant withdraws its offer before the deadline."""
    require_role(*LICENCE_APPLICANT_ROLES)
    _round(round_id)
    if submitted(ActionForm()):
        attempt(lambda: licensing.withdraw_licence_offer(db(), round_id, actor=actor(), now=now()),
                _("Your offer is withdrawn."))
    return redirect(url_for(".round_page", round_id=round_id))


@bp.post("/licensing/<int:round_id>/offers/record")
@login_required
def record_offer(round_id: int):
    """The centre records a sealed offer received from a firm that is not on the platform."""
    require_role(Role.OPERATOR)
    _round(round_id)
    form = RecordOfferForm()
    if submitted(form) and attempt(
        lambda: licensing.submit_licence_offer(
            db(), round_id, _offer_terms(form), note=form.note.data or "", applicant_name=form.applicant_name.data,
            applicant_credit_code=form.applicant_credit_code.data, actor=actor(), now=now()),
        _("The offer is recorded and sealed."),
    ):
        return redirect(url_for(".round_page", round_id=round_id))
    return _render_round(_round(round_id), 422, record_form=form)


@bp.post("/licensing/<int:round_id>/close")
@login_required
def close_round(round_id: int):
    """The operator closes a round whose deadline has passed (the clock does it too)."""
    require_role(Role.OPERATOR)
    _round(round_id)
    if submitted(ActionForm()):
        attempt(lambda: licensing.close_licence_round(db(), round_id, actor=actor(), now=now()),
                _("The round is closed."))
    return redirect(url_for(".round_page", round_id=round_id))


@bp.post("/licensing/<int:round_id>/award")
@login_required
def award(round_id: int):
    """The operator chooses the licensee(s) from the ranking."""
    require_role(Role.OPERATOR)
    licence_round = _round(round_id)
    form = AwardForm()
    form.offer_ids.choices = choices(*((r.key, str(r.key)) for r in licensing.ranking(licence_round)))
    if submitted(form) and attempt(
        lambda: licensing.award_licence(db(), round_id, form.offer_ids.data, reason=form.reason.data or "",
                                        actor=actor(), now=now()),
        _("Awarded. The pledgee bank is asked for its consent."),
    ):
        return redirect(url_for(".round_page", round_id=round_id))
    form_errors(form)
    return _render_round(_round(round_id), 422, award_form=form)


@bp.post("/licensing/<int:round_id>/consent")
@login_required
def pledgee_consent(round_id: int):
    """The pledgee bank consents to the awarded licence, or refuses (Civil Code art. 444)."""
    require_role(Role.BANK)
    _round(round_id)
    form = PledgeeConsentForm()
    if submitted(form):
        refuse = bool(form.refuse.data)
        if attempt(lambda: licensing.decide_pledgee_consent(
                db(), round_id, consent=not refuse, reference=form.reference.data or "",
                reason=form.reason.data or "", actor=actor(), now=now()),
                _("Consent refused; licensing has ended.") if refuse else _("Consent recorded.")):
            return redirect(url_for(".round_page", round_id=round_id))
    return _render_round(_round(round_id), 422, consent_form=form)


@bp.post("/licensing/<int:round_id>/sign")
@login_required
def sign(round_id: int):
    """The operator records the signed licence(s): the case is disposed of, the upfront fees are its recovery."""
    require_role(Role.OPERATOR)
    _round(round_id)
    form = SignForm()
    if submitted(form) and attempt(
        lambda: licensing.sign_licences(db(), round_id, contract_refs=form.contract_refs.data.splitlines(),
                                        signed_on=form.signed_on.data, starts_on=form.starts_on.data,
                                        actor=actor(), now=now()),
        _("The licence is signed and the case is ready for settlement."),
    ):
        return redirect(url_for(".round_page", round_id=round_id))
    return _render_round(_round(round_id), 422, sign_form=form)


@bp.post("/licensing/<int:round_id>/abandon")
@login_required
def abandon(round_id: int):
    """The operator ends licensing without a licence; the case awaits its next channel."""
    require_role(Role.OPERATOR)
    _round(round_id)
    form = ReasonForm()
    if submitted(form) and attempt(
        lambda: licensing.abandon_licensing(db(), round_id, reason=form.reason.data, actor=actor(), now=now()),
        _("Licensing has ended; the case awaits its next channel."),
    ):
        return redirect(url_for(".round_page", round_id=round_id))
    return _render_round(_round(round_id), 422, abandon_form=form)


# ---------------------------------------------------------------- a licence


def _licence(licence_id: int):
    return licensing.get_licence(db(), licence_id, user())


def _render_licence(licence, status: int = 200, **forms):
    me = user()
    today = now().date()
    formula = licensing.round_terms(licence.round).formula
    schedule = royalty_schedule(formula, licensing.offer_terms(licence), licence.starts_on)
    royalties = sum(p.amount_fen for p in licence.payments if p.kind == PaymentKind.ROYALTY)
    effects = [(p, e) for p, e in licensing.payment_effects(db(), licence.case) if p.licence_id == licence.id]
    defaults = {"payment_form": PaymentForm(formdata=None, received_on=today),
                "import_form": CsvImportForm(formdata=None),
                "recordal_form": RecordalForm(formdata=None, recorded_on=today)}
    defaults.update(forms)
    return render_template(
        "channels/licence.html", licence=licence, case=licence.case, me=me, now=now(),
        positions=instalment_positions(schedule, royalties, today), effects=effects,
        income=sum(p.amount_fen for p in licence.payments), expected=sum(i.expected_fen for i in schedule),
        overdue=recordal_overdue(licence.recordal_due_on, licence.recorded_on, today),
        is_operator=Role(me.role) == Role.OPERATOR, **defaults,
    ), status


@bp.route("/licences/<int:licence_id>")
@login_required
def licence_page(licence_id: int):
    """A licence: its royalty schedule, the payments and what each did to the loan, the recordal."""
    return _render_licence(_licence(licence_id))


@bp.post("/licences/<int:licence_id>/payments")
@login_required
def record_payment(licence_id: int):
    """The operator records a royalty received."""
    require_role(Role.OPERATOR)
    _licence(licence_id)
    form = PaymentForm()
    if submitted(form) and attempt(
        lambda: licensing.record_royalty_payment(
            db(), licence_id, received_on=form.received_on.data, amount_fen=form.amount.data,
            reference=form.reference.data, reported_sales_fen=form.reported_sales.data, actor=actor(), now=now()),
        _("The payment is recorded."),
    ):
        return redirect(url_for(".licence_page", licence_id=licence_id))
    return _render_licence(_licence(licence_id), 422, payment_form=form)


@bp.post("/licences/<int:licence_id>/payments/import")
@login_required
def import_payments(licence_id: int):
    """The operator imports a CSV statement of royalties (all rows or none)."""
    require_role(Role.OPERATOR)
    _licence(licence_id)
    form = CsvImportForm()
    if submitted(form):
        raw = form.statement.data.read(CSV_MAX_BYTES + 1)
        if len(raw) > CSV_MAX_BYTES:
            flash(_("The file is too large (at most 1 MB)."), "error")
        else:
            try:
                text = raw.decode("utf-8-sig")
            except UnicodeDecodeError:
                flash(_("Save the file as UTF-8 CSV and try again."), "error")
            else:
                result = {}

                def run():
                    result["r"] = licensing.import_royalty_csv(db(), licence_id, text, actor=actor(), now=now())

                if attempt(run, _("Import finished.")):
                    done = result["r"]
                    flash(_("%(n)s payments recorded; %(m)s already on file were skipped.",
                            n=len(done.recorded), m=len(done.skipped_references)), "info")
                    return redirect(url_for(".licence_page", licence_id=licence_id))
    return _render_licence(_licence(licence_id), 422, import_form=form)


@bp.post("/licences/<int:licence_id>/recordal")
@login_required
def record_recordal(licence_id: int):
    """The operator records the licence's recordal with the IP office."""
    require_role(Role.OPERATOR)
    _licence(licence_id)
    form = RecordalForm()
    if submitted(form) and attempt(
        lambda: licensing.record_licence_recordal(db(), licence_id, recordal_number=form.recordal_number.data,
                                                  recorded_on=form.recorded_on.data, actor=actor(), now=now()),
        _("The recordal is on file."),
    ):
        return redirect(url_for(".licence_page", licence_id=licence_id))
    return _render_licence(_licence(licence_id), 422, recordal_form=form)
