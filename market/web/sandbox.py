"""The sandbox for integrators: the banner and headers that mark every answer, and the clock's page where
the operator reads the sandbox's time and jumps it forward (the API's twin is market/web/api/sandbox.py)."""

from __future__ import annotations

from datetime import timedelta

from flask import (
    Blueprint,
    Flask,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import format_datetime
from flask_babel import gettext as _
from flask_login import login_required

from market.domain.roles import Role
from market.services import sandbox
from market.services.audit import Actor
from market.web.api.contract import iso
from market.web.context import db, now, sandbox_anchor, user
from market.web.forms.sandbox import UNITS, JumpForm
from market.web.refusals import submitted

bp = Blueprint("sandbox", __name__, url_prefix="/operator/sandbox")

HEADER = "X-IPD-Sandbox"  # "1" on every answer of a sandbox
TIME_HEADER = "X-IPD-Sandbox-Time"  # the sandbox's time when it answered (UTC ISO 8601)
FACTOR_HEADER = "X-IPD-Sandbox-Factor"  # how many times faster than real time its clock runs


@bp.before_request
@login_required
def _sandbox_only():
    if not current_app.config["SANDBOX"]:
        abort(404)


@bp.route("/")
def clock():
    """The sandbox's time, its speed and anchor; the jump form for the operator."""
    return _page(JumpForm())


@bp.post("/jump")
def jump():
    """Move the sandbox's clock forward (the operator only)."""
    if user().role != Role.OPERATOR:
        abort(403)
    form = JumpForm()
    if submitted(form):
        forward = timedelta(seconds=form.amount.data * UNITS[form.unit.data])
        g.sandbox_anchor = sandbox.jump(db(), actor=Actor.of(user()), real_now=current_app.config["CLOCK"](),
                                        factor=current_app.config["SANDBOX_FACTOR"], forward=forward)
        flash(_("The sandbox's clock now reads %(time)s.", time=format_datetime(now(), "yyyy-MM-dd HH:mm")), "success")
        return redirect(url_for(".clock"))
    return _page(form, 422)


def _page(form: JumpForm, status: int = 200):
    anchor = sandbox_anchor()
    return render_template("sandbox/clock.html", form=form, anchor=anchor, sandbox_time=now(),
                           real_time=current_app.config["CLOCK"](),
                           may_jump=user().role == Role.OPERATOR), status


def _mark_answer(response):
    """Every answer of a sandbox says so, with the sandbox's time (static files: the mark only)."""
    response.headers[HEADER] = "1"
    if request.endpoint != "static":
        response.headers[TIME_HEADER] = iso(now())
        response.headers[FACTOR_HEADER] = str(current_app.config["SANDBOX_FACTOR"])
    return response


def _banner() -> dict:
    """What base.html shows on every page of a sandbox."""
    if not current_app.config["SANDBOX"]:
        return {"sandbox_clock": None}
    return {"sandbox_clock": {"time": now(), "factor": current_app.config["SANDBOX_FACTOR"]}}


def init_app(app: Flask) -> None:
    """In a sandbox, mark every answer and every page."""
    app.context_processor(_banner)
    if app.config["SANDBOX"]:
        app.after_request(_mark_answer)
