"""Who may bid for a lot: the lot's page (its audience and conditions; an institution's registration with a
proof per condition), the operator's review desk (approve or refuse with a reason, proofs with their SHA-256)
and the bans desk (strikes, lifting a ban with a reason)."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from market.domain.qualification import QualificationStatus, may_review
from market.domain.roles import Role
from market.models import DisposalCase, Institution
from market.services import qualification, strikes
from market.services.audit import Actor
from market.web.context import db, now, user
from market.web.dashboards import Panel, contributes
from market.web.documents import accepts_documents, document_response, uploaded_file
from market.web.forms.qualification import (
    ConditionForm,
    DecisionForm,
    LiftBanForm,
    ProofForm,
    RemoveConditionForm,
    SubmitRegistrationForm,
)
from market.web.refusals import submitted

bp = Blueprint("qualification", __name__, url_prefix="/lots")



def _reviewer() -> Actor:
    if not may_review(user().role):
        abort(403)
    return Actor.of(user())


def _lot(case_id: int) -> DisposalCase:
    """The lot if the viewer may see it (qualification.visible_lot); 404 otherwise."""
    return qualification.visible_lot(db(), case_id, current_user.caller)


def lot_context(case: DisposalCase, institution_id: int | None, winner_institution_id: int | None = None) -> dict:
    """What the auction page shows about who may bid: the audience, the conditions, the viewer's own
    registration (for its deposit step) and the winner's approved registration (on the award)."""
    return {
        "lot_audience": qualification.audience(db(), case),
        "lot_conditions": qualification.conditions_of(db(), case.id),
        "lot_registration": qualification.registration_for(db(), case.id, institution_id) if institution_id else None,
        "winner_approval": qualification.approved_registration(db(), case.id, winner_institution_id)
        if winner_institution_id else None,
    }


@bp.route("/<int:case_id>")
@login_required
def lot(case_id: int):
    """The lot's audience and conditions; the institution's registration and its proofs; the operator's
    conditions form and the registrations for the lot."""
    case = _lot(case_id)
    me = user()
    reviewing = may_review(me.role)
    return render_template(
        "qualification/lot.html", case=case, me=me, reviewing=reviewing, proof_form=ProofForm(),
        submit_form=SubmitRegistrationForm(), condition_form=ConditionForm(), remove_form=RemoveConditionForm(),
        registrations=qualification.registrations(db(), case_id=case.id) if reviewing else [],
        banned=strikes.ban_in_force(db(), me.institution_id) if not reviewing else None,
        **lot_context(case, None if reviewing else me.institution_id),
    )


@bp.post("/<int:case_id>/proofs/<int:condition_id>")
@login_required
@accepts_documents
def attach(case_id: int, condition_id: int):
    """Upload the proof of one condition (a newer upload replaces the earlier one)."""
    _lot(case_id)
    form = ProofForm()
    if submitted(form):
        filename, data = uploaded_file(form.proof.data)
        qualification.attach_proof(db(), case_id, condition_id, filename=filename, data=data, user=user(), now=now())
        flash(_("The proof is kept."), "success")
    return redirect(url_for(".lot", case_id=case_id))


@bp.post("/<int:case_id>/submit")
@login_required
def submit(case_id: int):
    """Send the registration to the trading centre for approval."""
    _lot(case_id)
    if submitted(SubmitRegistrationForm()):
        qualification.submit_registration(db(), case_id, user=user(), now=now())
        flash(_("Your registration is with the trading centre for approval."), "success")
    return redirect(url_for(".lot", case_id=case_id))


@bp.route("/proofs/<int:proof_id>")
@login_required
def proof(proof_id: int):
    """A proof, for the institution that filed it and the trading centre."""
    found = qualification.visible_proof(db(), proof_id, user())
    return document_response(found.document, inline=request.args.get("inline") == "1")


@bp.post("/<int:case_id>/conditions")
@login_required
def add_condition(case_id: int):
    """The operator adds a condition every bidder must prove."""
    actor = _reviewer()
    form = ConditionForm()
    if submitted(form):
        qualification.add_condition(db(), case_id, form.text.data, actor=actor, now=now())
        flash(_("The condition is added: bidders now need an approved registration."), "success")
    return redirect(url_for(".lot", case_id=case_id))


@bp.post("/conditions/<int:condition_id>/remove")
@login_required
def remove_condition(condition_id: int):
    """The operator removes a condition (before anyone registered)."""
    actor = _reviewer()
    condition = qualification.condition(db(), condition_id)
    if submitted(RemoveConditionForm()):
        qualification.remove_condition(db(), condition_id, actor=actor, now=now())
        flash(_("The condition is removed."), "success")
    return redirect(url_for(".lot", case_id=condition.case_id))


@bp.route("/registrations")
@login_required
def registrations():
    """The operator's queue: registrations waiting for a decision (or those decided, by ?status=)."""
    _reviewer()
    asked = request.args.get("status", QualificationStatus.PENDING.value)
    status = QualificationStatus(asked) if asked in {s.value for s in QualificationStatus} else None
    return render_template("qualification/registrations.html", status=status,
                           statuses=[s for s in QualificationStatus if s != QualificationStatus.DRAFT],
                           registrations=qualification.registrations(db(), status=status))


@bp.route("/registrations/<int:registration_id>", methods=["GET", "POST"])
@login_required
def registration(registration_id: int):
    """One registration: credit code, proofs with their SHA-256, the decision (approve, or refuse with reason)."""
    found = qualification.visible_registration(db(), registration_id, user())
    form = DecisionForm()
    if request.method == "POST":
        actor = _reviewer()
        if submitted(form):
            qualification.decide_registration(db(), registration_id, approve=bool(form.approve.data),
                                              reason=form.reason.data or "", actor=actor, now=now())
            flash(_("The registration is approved.") if form.approve.data else
                  _("The registration is refused; the institution reads your reason."), "success")
            return redirect(url_for(".registration", registration_id=registration_id))
    return render_template("qualification/registration.html", registration=found, form=form,
                           case=db().get(DisposalCase, found.case_id),
                           conditions=qualification.conditions_of(db(), found.case_id),
                           reviewing=may_review(user().role))


@bp.route("/bans")
@login_required
def bans():
    """Bans in force and lifted, with each institution's strikes; the lift form."""
    _reviewer()
    listed = strikes.bans(db())
    return render_template("qualification/bans.html", bans=listed, form=LiftBanForm(),
                           strikes={b.institution_id: strikes.strikes_of(db(), b.institution_id) for b in listed})


@bp.post("/bans/<int:ban_id>/lift")
@login_required
def lift(ban_id: int):
    """The operator lifts a ban, saying why."""
    actor = _reviewer()
    if submitted(LiftBanForm()):
        ban = strikes.lift_ban(db(), ban_id, reason=request.form.get("reason", ""), actor=actor, now=now())
        flash(_("The ban on %(name)s is lifted.", name=db().get(Institution, ban.institution_id).name), "success")
    return redirect(url_for(".bans"))


@contributes(Role.OPERATOR)
def operator_panel(me) -> Panel:
    """Registrations waiting for a decision and bans in force."""
    waiting = qualification.registrations(db(), status=QualificationStatus.PENDING, limit=5)
    rows = [(r.institution.name, r.credit_code, url_for("qualification.registration", registration_id=r.id))
            for r in waiting]
    rows += [(b.institution.name, _("Banned from new lots"), url_for("qualification.bans"))
             for b in strikes.bans(db(), in_force=True, limit=5)]
    return Panel(title=_("Bidder registrations"), rows=rows, empty=_("No registration waits for a decision."),
                 action=(_("Open the registrations desk"), url_for("qualification.registrations")))
