"""Webhooks of the user's institution: register an endpoint (its secret shown once), choose its event types,
rotate its secret, switch it off or on, and read its delivery log."""

from __future__ import annotations

import math

import sqlalchemy as sa
from flask import Blueprint, current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import login_required

from market.domain.notices import NoticeType
from market.services import webhooks
from market.web.context import db, now, user
from market.web.forms.fields import choices
from market.web.forms.webhooks import EndpointActionForm, EndpointForm
from market.web.notice_words import NOTICE_NAMES
from market.web.paging import page_links
from market.web.refusals import submitted
from market.web.request_limits import query_number

bp = Blueprint("webhooks", __name__, url_prefix="/account/webhooks")
LOG_PER_PAGE = 50


def _settings() -> webhooks.Settings:
    return webhooks.Settings.of(current_app.config)


def _endpoint_form(endpoint=None) -> EndpointForm:
    form = EndpointForm(obj=None) if endpoint is None else EndpointForm(
        url=endpoint.url, event_types=[t.value for t in endpoint.event_types])
    form.event_types.choices = choices(*((t.value, f"{NOTICE_NAMES[t]} ({t.value})") for t in NoticeType))
    return form


@bp.get("")
@login_required
def index(form: EndpointForm | None = None, status: int = 200):
    """The institution's endpoints and the form to register one."""
    endpoints = webhooks.endpoints(db(), user().institution_id)
    return render_template("webhooks/index.html", endpoints=endpoints, form=form or _endpoint_form(),
                           pending={e.id: webhooks.pending_count(db(), e.id) for e in endpoints}), status


@bp.post("")
@login_required
def register():
    """Register an endpoint; the page shows its secret this once."""
    form = _endpoint_form()
    if submitted(form):
        endpoint, secret = webhooks.register_endpoint(
            db(), institution_id=user().institution_id, url=form.url.data, event_types=form.event_types.data,
            created_by_id=user().id, now=now(), settings=_settings())
        return render_template("webhooks/secret.html", endpoint=endpoint, secret=secret, rotated=False), 201
    return index(form, 422)


@bp.get("/<int:endpoint_id>")
@login_required
def show(endpoint_id: int, form: EndpointForm | None = None, status: int = 200):
    """One endpoint: its settings, its buttons and its delivery log, newest attempt first."""
    endpoint = webhooks.endpoint_of(db(), endpoint_id, user().institution_id)
    query = webhooks.attempts_of(user().institution_id, endpoint.id)
    total = db().scalar(query.with_only_columns(sa.func.count()).order_by(None)) or 0
    pages = max(1, math.ceil(total / LOG_PER_PAGE))
    page_no = min(query_number("page", 1, minimum=1), pages)
    attempts = db().scalars(query.limit(LOG_PER_PAGE).offset((page_no - 1) * LOG_PER_PAGE)).all()
    return render_template(
        "webhooks/show.html", endpoint=endpoint, form=form or _endpoint_form(endpoint), action=EndpointActionForm(),
        attempts=attempts, total=total, page=page_no, pages=pages, links=page_links(page_no, pages),
        args={"endpoint_id": endpoint.id}, pending=webhooks.pending_count(db(), endpoint.id), notice_names=NOTICE_NAMES,
    ), status


@bp.post("/<int:endpoint_id>")
@login_required
def update(endpoint_id: int):
    """Change the endpoint's address or event types."""
    form = _endpoint_form()
    if submitted(form):
        webhooks.update_endpoint(db(), endpoint_id, institution_id=user().institution_id, url=form.url.data,
                                 event_types=form.event_types.data, settings=_settings())
        flash(_("Saved: the next events go to the new settings."), "success")
        return redirect(url_for(".show", endpoint_id=endpoint_id))
    return show(endpoint_id, form, 422)


@bp.post("/<int:endpoint_id>/secret")
@login_required
def rotate(endpoint_id: int):
    """Give the endpoint a new secret; the page shows it this once."""
    if submitted(EndpointActionForm()):
        secret = webhooks.rotate_secret(db(), endpoint_id, institution_id=user().institution_id, now=now())
        endpoint = webhooks.endpoint_of(db(), endpoint_id, user().institution_id)
        return render_template("webhooks/secret.html", endpoint=endpoint, secret=secret, rotated=True)
    return redirect(url_for(".show", endpoint_id=endpoint_id))


@bp.post("/<int:endpoint_id>/<any(enable, disable):switch>")
@login_required
def switch(endpoint_id: int, switch: str):
    """Switch the endpoint on (events waiting for it go at once) or off."""
    if submitted(EndpointActionForm()):
        endpoint = webhooks.set_enabled(db(), endpoint_id, institution_id=user().institution_id,
                                        enabled=switch == "enable", now=now())
        flash(_("Enabled: waiting events are being delivered.") if endpoint.enabled
              else _("Switched off: events wait until you enable it again."), "success")
    return redirect(url_for(".show", endpoint_id=endpoint_id))
