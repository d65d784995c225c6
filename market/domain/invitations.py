"""Inviting a first-refusal holder that is not on the platform: a one-time link, valid for a week.

The holder opens the link, registers a user for its institution (a new one, named as in the notice, or the
one already on the platform under that name) and is linked as the holder; it then matches or declines.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from market.domain.errors import Kind, NotFound, Refusal
from market.domain.roles import InstitutionKind

INVITATION_VALID_FOR = timedelta(days=7)
# What a holder registering itself may be: never the trading centre or the bureau (they sell and supervise),
# nor a bank or AIC (licensed institutions are set up by the platform, not by a link).
SELF_REGISTERED_KINDS = (InstitutionKind.GUARANTOR, InstitutionKind.INSURER, InstitutionKind.AGENCY)


class InvitationUnknown(NotFound):
    """No invitation has this token."""

    code = "invitation_unknown"


class InvitationExpired(Refusal):
    """The link is older than its validity."""

    code, kind, fields = "invitation_expired", Kind.CONFLICT, ("expired_at",)


class InvitationUsed(Refusal):
    """A link registers one user only."""

    code, kind, fields = "invitation_used", Kind.CONFLICT, ("used_at",)


class HolderAlreadyLinked(Refusal):
    """A holder already linked to an institution needs no invitation."""

    code, kind = "holder_already_linked", Kind.CONFLICT


class InstitutionNotTheHolder(Refusal):
    """The credit code belongs to an institution on the platform under another name than the holder's."""

    code, kind, fields = "institution_not_the_holder", Kind.INVALID, ("holder",)


class KindNotSelfRegistered(Refusal):
    """A holder registering itself cannot open a bank, AIC, trading centre or bureau."""

    code, kind = "kind_not_self_registered", Kind.FORBIDDEN


def check_invitation(*, expires_at: datetime, used_at: datetime | None, now: datetime) -> None:
    """Raise unless the invitation may still be used now."""
    if used_at is not None:
        raise InvitationUsed(used_at=used_at)
    if now >= expires_at:
        raise InvitationExpired(expired_at=expires_at)


def check_self_registered_kind(kind: InstitutionKind) -> None:
    """Raise KindNotSelfRegistered unless a holder may register its institution as this kind."""
    if kind not in SELF_REGISTERED_KINDS:
        raise KindNotSelfRegistered()
