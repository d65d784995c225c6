"""First-refusal holders named in a notice: the trading centre links each to its institution on the platform."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
import sqlalchemy.orm as so

from market.domain.auction import NEVER_BUYERS, AlreadyAnswered, check_holder_institution
from market.domain.errors import NotFound
from market.models import FirstRefusalAnswer, FirstRefusalHolder, Institution
from market.services.audit import Actor, record_event
from market.services.cases import lock_case
from market.services.channels import require_operator
from market.services.round_notices import tell_linked_holder


def holder_institutions(session: so.Session) -> list[Institution]:
    """The institutions a holder may be linked to (everyone but the trading centre and the bureau), by name."""
    return list(session.scalars(sa.select(Institution).where(Institution.kind.not_in(NEVER_BUYERS))
                                .order_by(Institution.name)))


def link_holder(session: so.Session, holder_id: int, institution_id: int, *, actor: Actor,
                now: datetime) -> FirstRefusalHolder:
    """The operator links a holder named in the notice to its institution, so that it can match or decline."""
    require_operator(actor)
    holder = session.get(FirstRefusalHolder, holder_id)
    institution = session.get(Institution, institution_id)
    if holder is None or institution is None:
        raise NotFound()
    lock_case(session, holder.case_id)
    check_holder_institution(institution.kind)
    if session.scalar(sa.select(FirstRefusalAnswer.id).where(FirstRefusalAnswer.holder_id == holder.id)):
        raise AlreadyAnswered()
    before = holder.institution_id
    holder.institution_id = institution.id
    record_event(session, actor=actor, entity="case", entity_id=holder.case_id, action="first_refusal_holder_linked",
                 now=now, from_state=str(before) if before else None, to_state=str(institution.id),
                 detail={"holder_id": holder.id, "holder": holder.name, "institution": institution.name})
    session.flush()
    tell_linked_holder(session, holder.case_id, institution.id, now=now)
    return holder
