"""The operator invites a first-refusal holder to register on the platform; the holder's link registers a user
for its institution and links it as the holder (the other way to `first_refusal.link_holder`)."""

from __future__ import annotations

import secrets
from datetime import datetime

import sqlalchemy as sa
import sqlalchemy.orm as so

from market.domain.auction import AlreadyAnswered, check_holder_institution
from market.domain.errors import NotFound
from market.domain.invitations import (
    INVITATION_VALID_FOR,
    HolderAlreadyLinked,
    InstitutionNotTheHolder,
    InvitationUnknown,
    check_invitation,
    check_self_registered_kind,
)
from market.domain.roles import InstitutionKind
from market.models import (
    Auction,
    FirstRefusalAnswer,
    FirstRefusalHolder,
    HolderInvitation,
    Institution,
    User,
)
from market.services import accounts
from market.services.audit import Actor, record_event
from market.services.cases import lock_case
from market.services.channels import require_operator
from market.services.round_notices import tell_linked_holder


def invite_holder(session: so.Session, auction_id: int, holder_id: int, *, actor: Actor,
                  now: datetime) -> tuple[HolderInvitation, str]:
    """The operator issues a one-time link for an unlinked holder; returns the invitation and its token (shown
    once, to the operator, who sends it: only its hash is kept)."""
    require_operator(actor)
    auction = session.get(Auction, auction_id)
    holder = session.get(FirstRefusalHolder, holder_id)
    if auction is None or holder is None or holder.case_id != auction.case_id:
        raise NotFound()
    lock_case(session, holder.case_id)
    _check_open(session, holder)
    token = secrets.token_urlsafe(32)
    invitation = HolderInvitation(token_hash=accounts.token_digest(token), holder=holder, auction=auction,
                                  created_by_user_id=actor.user.id, created_at=now,
                                  expires_at=now + INVITATION_VALID_FOR)
    session.add(invitation)
    session.flush()
    record_event(session, actor=actor, entity="case", entity_id=holder.case_id, action="first_refusal_holder_invited",
                 now=now, detail={"holder_id": holder.id, "holder": holder.name, "invitation_id": invitation.id,
                                  "expires_at": invitation.expires_at.isoformat()})
    return invitation, token


def open_invitation(session: so.Session, token: str, *, now: datetime) -> HolderInvitation:
    """The invitation behind a link, if it may still be used (else the refusal that says why)."""
    invitation = session.scalar(sa.select(HolderInvitation).where(HolderInvitation.token_hash == accounts.token_digest(token)))
    if invitation is None:
        raise InvitationUnknown()
    check_invitation(expires_at=invitation.expires_at, used_at=invitation.used_at, now=now)
    return invitation


def accept_invitation(session: so.Session, token: str, *, email: str, password: str, display_name: str,
                      credit_code: str, kind: InstitutionKind, now: datetime) -> User:
    """Register the holder's user (for the institution on the platform with this credit code, which must bear
    the holder's name, or else a new institution named as in the notice), link it as the holder, use the link."""
    invitation = open_invitation(session, token, now=now)
    holder = invitation.holder
    lock_case(session, holder.case_id)
    _check_open(session, holder)
    # one use: the conditional update matches nothing if another request used the link first
    used = session.execute(sa.update(HolderInvitation).where(
        HolderInvitation.id == invitation.id, HolderInvitation.used_at.is_(None)).values(used_at=now)).rowcount
    if not used:
        session.refresh(invitation)
        check_invitation(expires_at=invitation.expires_at, used_at=invitation.used_at, now=now)
    institution = session.scalar(sa.select(Institution).where(Institution.credit_code == credit_code.strip().upper()))
    if institution is None:
        check_self_registered_kind(kind)
        institution = Institution(name=holder.name, kind=kind, credit_code=credit_code.strip().upper(), region="",
                                  licensed_financial=False)
        session.add(institution)
        session.flush()
    elif institution.name != holder.name:
        raise InstitutionNotTheHolder(holder=holder.name)
    check_holder_institution(institution.kind)
    user = accounts.create_user(session, email=email, password=password, institution=institution,
                                display_name=display_name)
    user.created_at = now
    holder.institution_id = institution.id
    session.execute(sa.update(HolderInvitation).where(HolderInvitation.id == invitation.id)
                    .values(used_by_user_id=user.id))
    record_event(session, actor=Actor.of(user), entity="case", entity_id=holder.case_id,
                 action="first_refusal_holder_linked", now=now, from_state=None, to_state=str(institution.id),
                 detail={"holder_id": holder.id, "holder": holder.name, "institution": institution.name,
                         "invitation_id": invitation.id})
    session.flush()
    tell_linked_holder(session, holder.case_id, institution.id, now=now)
    return user


def _check_open(session: so.Session, holder: FirstRefusalHolder) -> None:
    if holder.institution_id is not None:
        raise HolderAlreadyLinked()
    if session.scalar(sa.select(FirstRefusalAnswer.id).where(FirstRefusalAnswer.holder_id == holder.id)):
        raise AlreadyAnswered()
