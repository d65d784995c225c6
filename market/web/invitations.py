"""The page a first-refusal holder opens from its invitation link: register, be linked, go to the auction."""

from __future__ import annotations

from flask import Blueprint, flash, g, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import login_user

from market.domain.invitations import SELF_REGISTERED_KINDS, InvitationExpired, InvitationUsed
from market.domain.roles import ROLE_OF_INSTITUTION, InstitutionKind
from market.security import SignedInUser
from market.services import accounts, holder_invitations
from market.web.context import db, now
from market.web.forms.auth import HolderRegistrationForm
from market.web.labels import ROLE_NAMES
from market.web.refusals import submitted

bp = Blueprint("invitations", __name__, url_prefix="/invitations")


@bp.route("/<token>", methods=["GET", "POST"])
def accept(token: str):
    """Show who is invited to what; on a valid form register the user, link the holder and log it in."""
    refused = g.get("refusal")
    if isinstance(refused, InvitationExpired | InvitationUsed):  # the flashed message says why; nothing to fill in
        return render_template("invitations/closed.html"), refused.kind.value
    invitation = holder_invitations.open_invitation(db(), token, now=now())
    form = HolderRegistrationForm()
    form.kind.choices = [(kind.value, str(ROLE_NAMES[ROLE_OF_INSTITUTION[kind]])) for kind in SELF_REGISTERED_KINDS]
    if submitted(form):
        user = holder_invitations.accept_invitation(
            db(), token, email=form.email.data, password=form.password.data, display_name=form.display_name.data or "",
            credit_code=form.credit_code.data, kind=InstitutionKind(form.kind.data), now=now())
        login_user(SignedInUser(user, login_token=accounts.start_login_session(db(), user)))
        flash(_("You are registered and linked as the holder named in the notice: you may now match the price or "
                "decline."), "success")
        return redirect(url_for("auctions.show", auction_id=invitation.auction_id))
    return render_template("invitations/accept.html", form=form, invitation=invitation), \
        200 if g.get("refusal") is None and not form.errors else 422
