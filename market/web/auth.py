"""Logging in and out, and the language switch."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import (
    Blueprint,
    after_this_request,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from market.security import SignedInUser
from market.services import accounts, mail
from market.web.context import db
from market.web.forms.auth import LoginForm
from market.web.i18n import LANGUAGES

bp = Blueprint("auth", __name__)


@bp.route("/login", methods=["GET", "POST"])
def login():
    """Show the login form; on success start a revocable login and go to the user's home. Attempts are
    throttled per address and, after repeated failures, per account (market.throttle)."""
    throttle = current_app.extensions["market.login_throttle"]
    email = request.form.get("email", "")
    if request.method == "POST" and (wait := throttle.wait_s(request.remote_addr or "", email)):
        flash(_("Too many login attempts. Try again in %(seconds)s seconds.", seconds=wait), "error")
        return render_template("auth/login.html", form=LoginForm()), 429, {"Retry-After": str(wait)}
    if current_user.is_authenticated:
        return redirect(url_for("main.home"))
    form = LoginForm()
    if form.validate_on_submit():
        user = accounts.authenticate(db(), form.email.data, form.password.data)
        outcome = throttle.failed if user is None else throttle.succeeded

        @after_this_request
        def _count(response):  # after the unit of work has ended (on SQLite it holds the write lock)
            outcome(email)
            return response

        if user is None:
            flash(_("Wrong email or password."), "error")
            return render_template("auth/login.html", form=form), 401
        token = accounts.start_login_session(db(), user)
        login_user(SignedInUser(user, login_token=token))
        return redirect(_safe_next(request.args.get("next")))
    return render_template("auth/login.html", form=form)


@bp.route("/logout", methods=["POST"])
@login_required
def logout():
    """Revoke the login in the database, so a copied cookie stops working too."""
    if current_user.login_token:
        accounts.end_login_session(db(), current_user.login_token)
    logout_user()
    flash(_("You have logged out."), "info")
    return redirect(url_for("main.index"))


@bp.route("/language/<lang>")
def language(lang: str):
    """Switch the interface language and go back; a logged-in user's mail follows it."""
    from flask import session

    if lang in LANGUAGES:
        session["lang"] = lang
        if current_user.is_authenticated:
            mail.remember_language(db(), current_user.record.id, lang)
    return redirect(_safe_next(request.args.get("next")))


def _safe_next(target: str | None) -> str:
    if target and not urlsplit(target).netloc and target.startswith("/") and not target.startswith("//"):
        return target
    return url_for("main.home")
