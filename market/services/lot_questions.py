"""Questions about a lot: anyone signed in asks while the notice runs; the centre answers; answered questions
are published on the lot for all with the asker left out. The centre may close questions early."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
import sqlalchemy.orm as so

from market.domain.case_states import CaseState
from market.domain.data_room import (
    MAX_ANSWER_CHARS,
    MAX_QUESTION_CHARS,
    QuestionAlreadyAnswered,
    check_close_time,
    check_question_window,
    clean_text,
    questions_close_at,
)
from market.domain.errors import NotFound
from market.domain.roles import Role
from market.models import DisposalCase, LotQuestion, User
from market.services.access import require_role
from market.services.audit import Actor, record_event
from market.services.data_room import ensure_room, lot_for, room_of


@dataclass(frozen=True)
class PublishedQuestion:
    """A question as everyone reads it: no asker."""

    id: int
    text: str
    asked_at: datetime
    answer: str | None
    answered_at: datetime | None


def closes_at(session: so.Session, case: DisposalCase) -> datetime | None:
    """When the lot's question window closes (None: no notice yet)."""
    room = room_of(session, case.id)
    return questions_close_at(case.notice_ends_at, room.questions_closed_at if room else None)


def is_open(case: DisposalCase, closes: datetime | None, now: datetime) -> bool:
    """Whether the lot takes questions now (its notice runs and the window has not closed)."""
    return case.state == CaseState.NOTICE_PUBLISHED and (closes is None or now < closes)


def published(session: so.Session, case_id: int) -> list[PublishedQuestion]:
    """The lot's answered questions, oldest first, without who asked."""
    rows = session.execute(
        sa.select(LotQuestion.id, LotQuestion.text, LotQuestion.asked_at, LotQuestion.answer, LotQuestion.answered_at)
        .where(LotQuestion.case_id == case_id, LotQuestion.answered_at.is_not(None)).order_by(LotQuestion.id))
    return [PublishedQuestion(*row) for row in rows]


def asked_by(session: so.Session, case_id: int, user: User) -> list[PublishedQuestion]:
    """The user's own questions on the lot still waiting for an answer."""
    rows = session.execute(
        sa.select(LotQuestion.id, LotQuestion.text, LotQuestion.asked_at, LotQuestion.answer, LotQuestion.answered_at)
        .where(LotQuestion.case_id == case_id, LotQuestion.asked_by_user_id == user.id,
               LotQuestion.answered_at.is_(None)).order_by(LotQuestion.id))
    return [PublishedQuestion(*row) for row in rows]


def waiting(session: so.Session, case_id: int) -> list[LotQuestion]:
    """The lot's questions the centre has not answered yet, oldest first (for the centre only)."""
    return list(session.scalars(sa.select(LotQuestion).where(
        LotQuestion.case_id == case_id, LotQuestion.answered_at.is_(None)).order_by(LotQuestion.id)))


def ask(session: so.Session, case_id: int, text: str, *, actor: Actor, now: datetime) -> LotQuestion:
    """Ask a question about a listed lot while its question window is open."""
    case = lot_for(session, case_id, actor.user)
    check_question_window(case.state, case.notice_ends_at, _closed_at(session, case.id), now)
    question = LotQuestion(case_id=case.id, text=clean_text(text, MAX_QUESTION_CHARS), asked_by_user_id=actor.user.id,
                           asker_institution_id=actor.user.institution_id, asked_at=now)
    session.add(question)
    session.flush()
    record_event(session, actor=actor, entity="lot_question", entity_id=question.id, action="question_asked",
                 now=now, detail={"case_id": case.id})
    return question


def answer(session: so.Session, case_id: int, question_id: int, text: str, *, actor: Actor, now: datetime) -> LotQuestion:
    """The centre answers a question; the answer is published at once and is not rewritten."""
    require_role(actor.user, Role.OPERATOR)
    updated = session.execute(
        sa.update(LotQuestion).where(LotQuestion.id == question_id, LotQuestion.case_id == case_id,
                                     LotQuestion.answered_at.is_(None))
        .values(answer=clean_text(text, MAX_ANSWER_CHARS), answered_at=now, answered_by_user_id=actor.user.id)
        .returning(LotQuestion.id, LotQuestion.case_id)).first()
    if updated is None:
        found = session.get(LotQuestion, question_id)
        if found is None or found.case_id != case_id:
            raise NotFound()
        raise QuestionAlreadyAnswered()
    question = session.get(LotQuestion, question_id, populate_existing=True)
    record_event(session, actor=actor, entity="lot_question", entity_id=question.id, action="question_answered",
                 now=now, detail={"case_id": updated.case_id})
    return question


def close_questions(session: so.Session, case_id: int, closes: datetime, *, actor: Actor, now: datetime) -> datetime:
    """The centre closes the lot's questions at a set time before bidding may open; the new close time."""
    require_role(actor.user, Role.OPERATOR)
    case = lot_for(session, case_id, actor.user)
    check_close_time(closes, case.notice_ends_at, now)
    room = ensure_room(session, case.id, now)
    room.questions_closed_at, room.updated_at = closes, now
    record_event(session, actor=actor, entity="data_room", entity_id=room.id, action="questions_close_set", now=now,
                 detail={"case_id": case.id, "closes_at": closes.isoformat()})
    return questions_close_at(case.notice_ends_at, closes)


def _closed_at(session: so.Session, case_id: int) -> datetime | None:
    room = room_of(session, case_id)
    return room.questions_closed_at if room else None
