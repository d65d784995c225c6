"""A user's e-mail preferences (linked from the notice list): which kinds of notice are mailed, in which language."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required

from market.domain.notices import NoticeType
from market.services import mail
from market.web.context import db, user
from market.web.forms.mail import MailPreferencesForm
from market.web.refusals import submitted

bp = Blueprint("mail_preferences", __name__, url_prefix="/notices/mail")


@bp.route("/", methods=["GET", "POST"])
@login_required
def index():
    """Show the user's choices; on save, record them."""
    form = MailPreferencesForm()
    if submitted(form):
        mail.choose(db(), user().id, wanted=(NoticeType(value) for value in form.types.data),
                    language=form.language.data)
        flash(_("Your e-mail preferences are saved."), "success")
        return redirect(url_for(".index"))
    if request.method == "GET":
        chosen = mail.preferences(db(), user().id)
        form.types.data = [t.value for t in NoticeType if t in chosen.wanted]
        form.language.data = chosen.language
    return render_template("mail_preferences/index.html", form=form,
                           configured=bool(current_app.config.get("SMTP_URL")), email=user().email)
