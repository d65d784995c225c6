"""A lot's data room page: its documents (public, or behind the NDA gate), its questions and answers, and its
inspection slots; the seller and the trading centre manage it from the same page."""

from __future__ import annotations

from flask import Blueprint, flash, g, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from market.domain.data_room import NDA_VERSION, Attendance, RoomAccess
from market.domain.roles import Role
from market.models import User
from market.services import data_room, inspections, lot_questions
from market.services.audit import Actor
from market.web.context import db, now, user
from market.web.documents import accepts_documents, document_response, uploaded_file
from market.web.forms.auctions import beijing_to_utc
from market.web.forms.data_room import (
    AnswerForm,
    ApprovalSettingForm,
    AttendanceForm,
    CloseQuestionsForm,
    DecisionForm,
    DocumentForm,
    NdaForm,
    QuestionForm,
    SlotForm,
    with_choices,
)
from market.web.labels import ATTENDANCE_NAMES, DOCUMENT_CATEGORY_NAMES, INSPECTION_KIND_NAMES
from market.web.refusals import submitted

bp = Blueprint("data_room", __name__, url_prefix="/lots")


def _viewer() -> User | None:
    return current_user.record if current_user.is_authenticated else None


def _actor() -> Actor:
    return Actor.of(user())


def _back(case_id: int, anchor: str):
    return redirect(url_for("data_room.show", case_id=case_id, _anchor=anchor))


@bp.route("/<int:case_id>/room")
def show(case_id: int):
    """The lot's data room, questions and inspections."""
    return _page(case_id)


def _page(case_id: int, status: int = 200, **forms):
    session, viewer = db(), _viewer()
    case = data_room.lot_for(session, case_id, viewer)
    manager = data_room.manages(viewer, case)
    operator = viewer is not None and viewer.role == Role.OPERATOR
    room = data_room.room_of(session, case.id)
    closes_at = lot_questions.closes_at(session, case)
    context = {
        "case": case, "me": viewer, "manager": manager, "operator": operator, "room": room,
        "access": data_room.access_of(session, case, viewer), "access_kinds": RoomAccess, "nda_version": NDA_VERSION,
        "documents": data_room.documents(session, case.id),
        "questions": lot_questions.published(session, case.id),
        "my_questions": lot_questions.asked_by(session, case.id, viewer) if viewer else [],
        "questions_close_at": closes_at,
        "questions_open": lot_questions.is_open(case, closes_at, now()),
        "slots": inspections.slots(session, case.id),
        "my_slots": inspections.booked_slot_ids(session, case.id, viewer.institution_id if viewer else None),
        "now": now(),
    }
    if viewer is not None:
        context.update(question_form=QuestionForm(prefix="question"), nda_form=NdaForm(prefix="nda", version=NDA_VERSION),
                       decision_form=DecisionForm())
    if manager:
        document_form = with_choices(DocumentForm(prefix="document"), DOCUMENT_CATEGORY_NAMES)
        context.update(document_form=document_form,
                       approval_form=ApprovalSettingForm(prefix="approval",
                                                         approval_required=bool(room and room.approval_required)),
                       acceptances=data_room.acceptances(session, case.id),
                       downloads=data_room.downloads(session, case.id))
    if operator:
        context.update(waiting=lot_questions.waiting(session, case.id), answer_form=AnswerForm(prefix="answer"),
                       close_form=CloseQuestionsForm(prefix="close"),
                       slot_form=with_choices(SlotForm(prefix="slot"), INSPECTION_KIND_NAMES),
                       attendance_form=with_choices(AttendanceForm(prefix="attendance"), ATTENDANCE_NAMES))
    context.update(forms)
    if g.get("refusal") is not None:  # shown again for a refusal: page_refusal answers with the refusal's status
        status = 200
    return render_template("data_room/show.html", **context), status


# ---- documents -----------------------------------------------------------------------------------


@bp.route("/<int:case_id>/room/documents", methods=["POST"])
@login_required
@accepts_documents
def add_document(case_id: int):
    """The seller or the centre adds a document (kept with its SHA-256)."""
    form = with_choices(DocumentForm(prefix="document"), DOCUMENT_CATEGORY_NAMES)
    if submitted(form):
        filename, data = uploaded_file(form.file.data)
        entry = data_room.add_document(db(), case_id, category=form.category.data, title=form.title.data or "",
                                       confidential=form.confidential.data, filename=filename, data=data,
                                       actor=_actor(), now=now())
        flash(_("“%(title)s” is in the data room; SHA-256 %(sha)s.", title=entry.title, sha=entry.document.sha256),
              "success")
        return _back(case_id, "documents")
    return _page(case_id, 422, document_form=form)


@bp.route("/<int:case_id>/room/documents/<int:entry_id>")
def download(case_id: int, entry_id: int):
    """A document of the room, if the reader may open it; every download is logged."""
    entry = data_room.open_document(db(), case_id, entry_id, viewer=_viewer(), via="page", now=now())
    return document_response(entry.document)


@bp.route("/<int:case_id>/room/documents/<int:entry_id>/withdraw", methods=["POST"])
@login_required
def withdraw_document(case_id: int, entry_id: int):
    """Take a document out of the room."""
    form = DecisionForm()
    if submitted(form):
        data_room.withdraw_document(db(), case_id, entry_id, actor=_actor(), now=now())
        flash(_("The document was withdrawn from the data room."), "success")
    return _back(case_id, "documents")


@bp.route("/<int:case_id>/room/nda", methods=["POST"])
@login_required
def accept_nda(case_id: int):
    """Accept the lot's NDA for the user's institution."""
    form = NdaForm(prefix="nda")
    if submitted(form):
        data_room.accept_nda(db(), case_id, version=form.version.data or "", actor=_actor(), now=now())
        flash(_("Your institution accepted the NDA; the acceptance is recorded with your name and the time."),
              "success")
        return _back(case_id, "documents")
    return _page(case_id, 422, nda_form=form)


@bp.route("/<int:case_id>/room/approval", methods=["POST"])
@login_required
def approval_setting(case_id: int):
    """The seller decides whether each institution needs approval."""
    form = ApprovalSettingForm(prefix="approval")
    if submitted(form):
        data_room.require_approval(db(), case_id, bool(form.approval_required.data), actor=_actor(), now=now())
        flash(_("The data room's approval setting was saved."), "success")
    return _back(case_id, "access")


@bp.route("/<int:case_id>/room/approvals/<int:institution_id>/<any(approve, revoke):decision>", methods=["POST"])
@login_required
def decide_approval(case_id: int, institution_id: int, decision: str):
    """Approve an institution for the confidential documents, or revoke it."""
    form = DecisionForm()
    if submitted(form):
        data_room.approve_institution(db(), case_id, institution_id, approve=decision == "approve", actor=_actor(),
                                      now=now())
        flash(_("The institution was approved.") if decision == "approve" else _("The approval was revoked."),
              "success")
    return _back(case_id, "access")


# ---- questions -----------------------------------------------------------------------------------


@bp.route("/<int:case_id>/questions", methods=["POST"])
@login_required
def ask(case_id: int):
    """Ask a question about the lot."""
    form = QuestionForm(prefix="question")
    if submitted(form):
        lot_questions.ask(db(), case_id, form.text.data, actor=_actor(), now=now())
        flash(_("Your question was sent to the trading centre; its answer will be published here, without your "
                "name."), "success")
        return _back(case_id, "questions")
    return _page(case_id, 422, question_form=form)


@bp.route("/<int:case_id>/questions/<int:question_id>/answer", methods=["POST"])
@login_required
def answer(case_id: int, question_id: int):
    """The centre answers a question (published at once)."""
    form = AnswerForm(prefix="answer")
    if submitted(form):
        lot_questions.answer(db(), case_id, question_id, form.text.data, actor=_actor(), now=now())
        flash(_("The answer is published on the lot."), "success")
        return _back(case_id, "questions")
    return _page(case_id, 422, answer_form=form)


@bp.route("/<int:case_id>/questions/close", methods=["POST"])
@login_required
def close_questions(case_id: int):
    """The centre sets when questions close."""
    form = CloseQuestionsForm(prefix="close")
    if submitted(form):
        lot_questions.close_questions(db(), case_id, beijing_to_utc(form.closes_at.data), actor=_actor(), now=now())
        flash(_("The question close was set."), "success")
        return _back(case_id, "questions")
    return _page(case_id, 422, close_form=form)


# ---- inspections ---------------------------------------------------------------------------------


@bp.route("/<int:case_id>/inspections", methods=["POST"])
@login_required
def publish_slot(case_id: int):
    """The centre publishes an inspection slot."""
    form = with_choices(SlotForm(prefix="slot"), INSPECTION_KIND_NAMES)
    if submitted(form):
        inspections.publish_slot(db(), case_id, kind=form.kind.data, starts_at=beijing_to_utc(form.starts_at.data),
                                 ends_at=beijing_to_utc(form.ends_at.data), place=form.place.data,
                                 capacity=form.capacity.data, actor=_actor(), now=now())
        flash(_("The inspection slot is published."), "success")
        return _back(case_id, "inspections")
    return _page(case_id, 422, slot_form=form)


@bp.route("/<int:case_id>/inspections/<int:slot_id>/<any(book, unbook, cancel):step>", methods=["POST"])
@login_required
def slot_step(case_id: int, slot_id: int, step: str):
    """Book a place, give it back, or (the centre) cancel the slot."""
    form = DecisionForm()
    if submitted(form):
        verb = {"book": inspections.book, "unbook": inspections.cancel_booking, "cancel": inspections.cancel_slot}[step]
        verb(db(), case_id, slot_id, actor=_actor(), now=now())
        flash({"book": _("Your place is booked."), "unbook": _("Your booking was cancelled."),
               "cancel": _("The slot was cancelled.")}[step], "success")
    return _back(case_id, "inspections")


@bp.route("/<int:case_id>/inspections/bookings/<int:booking_id>/attendance", methods=["POST"])
@login_required
def attendance(case_id: int, booking_id: int):
    """The centre records whether a booked institution came."""
    form = with_choices(AttendanceForm(prefix="attendance"), ATTENDANCE_NAMES)
    if submitted(form):
        inspections.record_attendance(db(), case_id, booking_id, Attendance(form.attendance.data), actor=_actor(), now=now())
        flash(_("Attendance recorded."), "success")
    return _back(case_id, "inspections")
