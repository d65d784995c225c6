"""The public front page and each role's home page."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask_login import login_required

from market.web import dashboards
from market.web.context import user

bp = Blueprint("main", __name__)


@bp.route("/")
def index():
    """The trading centre's public front page."""
    return render_template("index.html")


@bp.route("/home")
@login_required
def home():
    """The signed-in user's dashboard: what needs doing now for their role."""
    me = user()
    return render_template("home.html", me=me, panels=dashboards.panels_for(me))
