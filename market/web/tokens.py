"""API tokens of the user's institution: who has one, when it was last used and when it expires; revoke one."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import login_required

from market.models import utcnow
from market.services import accounts
from market.web.context import db, user
from market.web.forms.auth import RevokeTokenForm
from market.web.refusals import submitted

bp = Blueprint("tokens", __name__, url_prefix="/account/tokens")


@bp.get("")
@login_required
def index():
    """The institution's API tokens, newest first, each with a revoke button."""
    tokens = accounts.api_tokens(db(), user().institution_id)
    return render_template("auth/tokens.html", tokens=tokens, form=RevokeTokenForm(), now=utcnow())


@bp.post("/<int:token_id>/revoke")
@login_required
def revoke(token_id: int):
    """Revoke one of the institution's tokens at once."""
    if submitted(RevokeTokenForm()):
        token = accounts.revoke_api_token(db(), token_id, institution_id=user().institution_id)
        flash(_("Token %(label)s is revoked; it no longer works.", label=token.label or f"#{token.id}"), "success")
    return redirect(url_for(".index"))
