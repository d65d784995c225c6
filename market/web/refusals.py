"""One answer per audience to a refusal: JSON for the API, the same page with the message for people.

Views raise; they do not catch refusals. `api_refusal` is the API blueprint's error handler (the
idempotency wrapper calls it too); `page_refusal` is the app's: it shows the message (flashed, or under the
form field the refusal names) and runs the view again with `submitted(...)` answering False, so the page comes
back with what the user typed. A view that only takes a POST redirects on that path, as it does for a form
that did not validate.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from enum import Enum
from fractions import Fraction

from flask import Flask, current_app, flash, g, jsonify
from flask_wtf import FlaskForm
from werkzeug import exceptions as http

from market.domain.errors import Kind, Refusal
from market.domain.money import fen_to_decimal_string
from market.domain.rules import RuleBroken
from market.web.i18n import error_message


def api_refusal(error: Refusal):
    """{"error": code, "message": ..., "params": {...}} with the status of the refusal's kind.

    A view may add fields to the answer by setting `error.api_extra` (e.g. the fresh auction on a 409 bid)."""
    body = {"error": error.code, "message": error_message(error), "params": _json_params(error.params)}
    for name in ("field", "parameter"):  # where the problem is, at the top as clients have always read it
        if name in error.params:
            body[name] = error.params[name]
    if "problems" in error.params:
        body["problems"] = [error_message(problem) for problem in error.params["problems"]]
    body.update(getattr(error, "api_extra", {}))
    response = jsonify(body)
    response.status_code = error.kind.value
    return response


def api_http_error(error: http.HTTPException):
    """What werkzeug refuses on an API path (no such path, another method, unreadable), as a refusal."""
    from market.domain.errors import NotFound
    from market.web.api.problems import BadRequest, MethodNotAllowed

    if isinstance(error, http.MethodNotAllowed):
        allowed = sorted(error.valid_methods or ())
        response = api_refusal(MethodNotAllowed(allowed=", ".join(allowed)))
        response.headers["Allow"] = ", ".join(allowed)
        return response
    if error.code == 404:
        return api_refusal(NotFound())
    if error.code == 400:
        return api_refusal(BadRequest())
    response = jsonify(error=(error.name or "error").lower().replace(" ", "_"), message=error.description, params={})
    response.status_code = error.code or 500
    return response


def submitted(form: FlaskForm) -> bool:
    """`form.validate_on_submit()`, except while a refusal is being shown: then False (the page is shown again
    with the input kept, and the refusal under the field it names)."""
    g.submitted_form = form
    refused = g.get("refusal")
    if refused is None:
        return form.validate_on_submit()
    field = refused.params.get("field")
    if isinstance(field, str) and field in form:
        form[field].errors = [error_message(refused)]
    return False


def page_refusal(error: Refusal):
    """A missing record is a 404 page and a role that may not act a 403; a rule broken is shown on the page."""
    if error.kind is Kind.NOT_FOUND:
        return current_app.handle_user_exception(http.NotFound())
    if error.kind is Kind.MALFORMED:  # a query value no page sends (e.g. ?page= beyond any page)
        return current_app.handle_user_exception(http.BadRequest())
    if error.kind is Kind.FORBIDDEN and not isinstance(error, RuleBroken):
        return current_app.handle_user_exception(http.Forbidden())
    if g.get("refusal") is not None:  # the view refused again while being shown (its first message is flashed)
        return current_app.handle_user_exception(http.UnprocessableEntity())
    form, field = g.get("submitted_form"), error.params.get("field")
    if not (form is not None and isinstance(field, str) and field in form):
        flash(error_message(error), "error")
    g.refusal = error
    response = current_app.make_response(current_app.dispatch_request())  # the same view, in a unit of work of its own
    if response.status_code == 200:  # the page again, answering with what the refusal is (422, 409, 403 …)
        response.status_code = error.kind.value
    return response


def init_app(app: Flask) -> None:
    """Register the page handler (the API blueprint registers `api_refusal` for itself)."""
    app.register_error_handler(Refusal, page_refusal)


def _json_params(params: dict) -> dict:
    return {name.removesuffix("_fen") if _is_fen(name, value) else name: _json(name, value)
            for name, value in params.items()}


def _is_fen(name: str, value: object) -> bool:
    return name.endswith("_fen") and isinstance(value, int) and not isinstance(value, bool)


def _json(name: str, value: object):
    """Amounts as decimal yuan strings, times as UTC ISO 8601, enum members by value, as the rest of the API."""
    if isinstance(value, Refusal):
        return {"error": value.code, "message": error_message(value), "params": _json_params(value.params)}
    if isinstance(value, list | tuple | set | frozenset):
        return [_json(name, item) for item in value]
    if isinstance(value, Enum):
        return value.value
    if _is_fen(name, value):
        return fen_to_decimal_string(value)
    if isinstance(value, Fraction):
        return str(float(value))
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    if isinstance(value, date):
        return value.isoformat()
    return value
