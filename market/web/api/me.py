"""Who the token belongs to."""

from __future__ import annotations

from flask import jsonify

from market.web.api import api_user, bp
from market.web.api.openapi import document


@bp.get("/me")
def me():
    """The caller's identity and institution."""
    user = api_user()
    return jsonify(
        email=user.email, role=user.role.value, institution=user.institution.name,
        institution_kind=user.institution.kind.value,
    )


document("/me", "get", summary="The caller's identity", responses={"200": "The caller", "401": "No or bad token"})
