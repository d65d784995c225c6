"""A lot's data room and questions for institutions' systems: the documents (each with its SHA-256), a document's
bytes (base64, the download logged), the NDA, adding a document (seller or centre), the published questions and
answers, asking, and the centre's answers."""

from __future__ import annotations

import base64

from flask import request
from flask_login import current_user
from pydantic import Field, StrictBool, StrictStr

from market.domain.data_room import (
    MAX_ANSWER_CHARS,
    MAX_QUESTION_CHARS,
    MAX_TITLE_CHARS,
    NDA_VERSION,
    DocumentCategory,
    RoomAccess,
)
from market.domain.documents import MAX_FILENAME_CHARS
from market.domain.roles import Role
from market.models import RoomDocument, User
from market.services import data_room, lot_questions
from market.services.audit import Actor
from market.web.api import api_user, bp
from market.web.api.contract import IdempotencyKey, Model, Moment, operation
from market.web.api.idempotency import idempotent
from market.web.api.problems import BadInput
from market.web.context import db, now
from market.web.documents import accepts_documents

_READ = {404: "No such lot, or not one you may see"}
_WRITE = {400: "Missing Idempotency-Key, or not a JSON object", 401: "No or bad token"}


class RoomDocumentView(Model):
    """A document of the lot's room as any reader sees it listed."""

    id: int
    category: DocumentCategory
    title: str
    confidential: bool
    filename: str
    media_type: str
    size_bytes: int = Field(ge=1)
    sha256: str = Field(description="SHA-256 of the document's bytes, 64 hex digits")
    added_at: Moment
    may_open: bool = Field(description="Whether you may download it now")


class RoomDocuments(Model):
    """The lot's documents and how far you may go in its room."""

    access: RoomAccess = Field(description="full: every document; otherwise what is missing before confidential "
                                           "ones open (needs_registration, needs_nda, awaiting_approval)")
    nda_version: str = Field(description="The NDA in force: accept it with POST /lots/{case_id}/nda")
    approval_required: bool = Field(description="The seller approves each institution after its NDA")
    items: list[RoomDocumentView]


class DocumentContent(Model):
    """One document's bytes, base64-encoded, with the fingerprint to check them against."""

    id: int
    filename: str
    media_type: str
    size_bytes: int = Field(ge=1)
    sha256: str
    content_base64: str


class NdaAcceptanceIn(Model):
    """Accept the lot's NDA for your institution, naming the version you accept."""

    version: StrictStr = Field(min_length=1, max_length=20, description="The nda_version of the documents list")


class NdaAccepted(Model):
    """Your institution's acceptance, as recorded."""

    version: str
    accepted_at: Moment
    access: RoomAccess


class DocumentIn(Model):
    """A document for the room (the seller or the trading centre): the file as base64 in JSON. The body is read up
    to about 10 MB, so a file of up to about 7.5 MB fits."""

    category: DocumentCategory
    title: StrictStr = Field("", max_length=MAX_TITLE_CHARS, description="Empty: the file's name")
    confidential: StrictBool = Field(description="Only for registered institutions that accepted the NDA")
    filename: StrictStr = Field(min_length=1, max_length=MAX_FILENAME_CHARS, description="e.g. 估值报告.pdf")
    content_base64: StrictStr = Field(min_length=4, description="The file's bytes, base64 (PDF, PNG or JPEG)")


class QuestionView(Model):
    """A question and, once published, its answer; who asked is never shown."""

    id: int
    text: str
    asked_at: Moment
    answer: str | None
    answered_at: Moment | None


class Questions(Model):
    """The lot's answered questions and whether more are taken."""

    open: bool = Field(description="Whether questions are taken now")
    closes_at: Moment | None = Field(description="When questions close (null: no notice yet)")
    items: list[QuestionView]


class QuestionIn(Model):
    """A question about the lot."""

    text: StrictStr = Field(min_length=1, max_length=MAX_QUESTION_CHARS)


class AnswerIn(Model):
    """The trading centre's answer."""

    text: StrictStr = Field(min_length=1, max_length=MAX_ANSWER_CHARS)


def _reader() -> User | None:
    # public reads: a bearer token or a signed-in browser say who reads; nobody is the public
    if request.headers.get("Authorization") or current_user.is_authenticated:
        return api_user()
    return None


def _view(entry: RoomDocument, access: RoomAccess) -> RoomDocumentView:
    document = entry.document
    return RoomDocumentView(id=entry.id, category=entry.category, title=entry.title, confidential=entry.confidential,
                            filename=document.filename, media_type=document.media_type,
                            size_bytes=document.size_bytes, sha256=document.sha256, added_at=entry.added_at,
                            may_open=not entry.confidential or access is RoomAccess.FULL)


def _documents(case_id: int, reader: User | None) -> RoomDocuments:
    session = db()
    case = data_room.lot_for(session, case_id, reader)
    room, access = data_room.room_of(session, case.id), data_room.access_of(session, case, reader)
    return RoomDocuments(access=access, nda_version=NDA_VERSION, approval_required=bool(room and room.approval_required),
                         items=[_view(entry, access) for entry in data_room.documents(session, case.id)])


@bp.get("/lots/<int:case_id>/documents")
@operation("data room", {200: (RoomDocuments, "The lot's documents"), 401: "Bad token", **_READ}, public=True)
def lot_documents(case_id: int):
    """A lot's data room: its documents with their SHA-256, and what you still need to open confidential ones"""
    return _documents(case_id, _reader())


@bp.get("/lots/<int:case_id>/documents/<int:document_id>")
@operation("data room", {200: (DocumentContent, "The document's bytes, base64"), 401: "Bad token",
                         403: "Confidential: register for the lot, accept the NDA or wait for the seller's approval "
                              "(the error says which)", **_READ}, public=True)
def lot_document(case_id: int, document_id: int):
    """Download one document of a lot's room (the download is logged)"""
    entry = data_room.open_document(db(), case_id, document_id, viewer=_reader(), via="api", now=now())
    document = entry.document
    return DocumentContent(id=entry.id, filename=document.filename, media_type=document.media_type,
                           size_bytes=document.size_bytes, sha256=document.sha256,
                           content_base64=base64.b64encode(document.content).decode("ascii"))


@bp.post("/lots/<int:case_id>/documents")
@accepts_documents(check_csrf=False)
@idempotent
@operation("data room", {201: (RoomDocumentView, "In the room, with its SHA-256"), **_WRITE,
                         403: "Only the filing bank and the trading centre add documents", **_READ,
                         413: "The body is larger than the platform reads",
                         422: "Not base64, or not a PDF, PNG or JPEG of at most 10 MB"},
           roles=(Role.BANK, Role.OPERATOR))
def add_lot_document(case_id: int, json: DocumentIn, headers: IdempotencyKey):
    """Add a document to a lot's room (filing bank or trading centre)"""
    user = api_user(write=True)
    try:
        data = base64.b64decode(json.content_base64, validate=True)
    except ValueError:
        raise BadInput(field="content_base64") from None
    entry = data_room.add_document(db(), case_id, category=json.category, title=json.title,
                                   confidential=json.confidential, filename=json.filename, data=data,
                                   actor=Actor.of(user), now=now())
    return _view(entry, RoomAccess.FULL), 201


@bp.post("/lots/<int:case_id>/nda")
@idempotent
@operation("data room", {200: (NdaAccepted, "Accepted (or accepted before), with the time recorded"), **_WRITE,
                         403: "Your institution is not registered for the lot", **_READ,
                         409: "Not the NDA in force", 422: "version is missing"})
def accept_lot_nda(case_id: int, json: NdaAcceptanceIn, headers: IdempotencyKey):
    """Accept a lot's NDA for your institution (recorded with your name and the time)"""
    user = api_user(write=True)
    acceptance = data_room.accept_nda(db(), case_id, version=json.version, actor=Actor.of(user), now=now())
    case = data_room.lot_for(db(), case_id, user)
    return NdaAccepted(version=acceptance.nda_version, accepted_at=acceptance.accepted_at,
                       access=data_room.access_of(db(), case, user))


def _question(question) -> QuestionView:
    return QuestionView(id=question.id, text=question.text, asked_at=question.asked_at, answer=question.answer,
                        answered_at=question.answered_at)


@bp.get("/lots/<int:case_id>/questions")
@operation("data room", {200: (Questions, "Answered questions, oldest first"), 401: "Bad token", **_READ},
           public=True)
def lot_questions_published(case_id: int):
    """A lot's published questions and answers (who asked is never shown)"""
    session = db()
    case = data_room.lot_for(session, case_id, _reader())
    closes = lot_questions.closes_at(session, case)
    return Questions(open=lot_questions.is_open(case, closes, now()), closes_at=closes,
                     items=[_question(q) for q in lot_questions.published(session, case.id)])


@bp.get("/lots/<int:case_id>/questions/waiting")
@operation("data room", {200: (Questions, "Questions waiting for an answer, oldest first"), 401: "No or bad token",
                         403: "Not the trading centre", **_READ}, roles=(Role.OPERATOR,))
def lot_questions_waiting(case_id: int):
    """A lot's questions waiting for an answer (trading centre)"""
    session = db()
    case = data_room.lot_for(session, case_id, api_user())
    closes = lot_questions.closes_at(session, case)
    return Questions(open=lot_questions.is_open(case, closes, now()), closes_at=closes,
                     items=[_question(q) for q in lot_questions.waiting(session, case.id)])


@bp.post("/lots/<int:case_id>/questions")
@idempotent
@operation("data room", {201: (QuestionView, "Sent; the answer will be published on the lot"), **_WRITE, **_READ,
                         409: "Questions are not taken now", 422: "text is missing or too long"})
def ask_lot_question(case_id: int, json: QuestionIn, headers: IdempotencyKey):
    """Ask a question about a lot during its notice period"""
    user = api_user(write=True)
    return _question(lot_questions.ask(db(), case_id, json.text, actor=Actor.of(user), now=now())), 201


@bp.post("/lots/<int:case_id>/questions/<int:question_id>/answer")
@idempotent
@operation("data room", {200: (QuestionView, "Answered and published"), **_WRITE, 403: "Not the trading centre",
                         404: "No such question of this lot", 409: "Already answered",
                         422: "text is missing or too long"}, roles=(Role.OPERATOR,))
def answer_lot_question(case_id: int, question_id: int, json: AnswerIn, headers: IdempotencyKey):
    """Answer a question (trading centre); the answer is published at once"""
    user = api_user(write=True)
    return _question(lot_questions.answer(db(), case_id, question_id, json.text, actor=Actor.of(user), now=now()))
