"""Who the token belongs to."""

from __future__ import annotations

from market.domain.roles import InstitutionKind, Role
from market.web.api import api_user, bp
from market.web.api.contract import Model, operation


class Me(Model):
    """The caller's identity and institution."""

    email: str
    role: Role
    institution: str
    institution_kind: InstitutionKind


@bp.get("/me")
@operation("me", {200: (Me, "The caller"), 401: "No or bad token"})
def me():
    """The caller's identity"""
    user = api_user()
    return Me(email=user.email, role=user.role, institution=user.institution.name,
              institution_kind=user.institution.kind)
