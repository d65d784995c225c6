"""Webhook endpoints for institutions' systems: register (the secret answered once), change, rotate the secret,
switch off and on, read the delivery log; and the events themselves, for the document's `webhooks` section."""

from __future__ import annotations

from typing import Any

from flask import current_app
from pydantic import Field

from market.domain.notices import NoticeType
from market.domain.webhooks import URL_MAX_LENGTH
from market.models import WebhookAttempt, WebhookEndpoint
from market.services import webhooks
from market.web.api import api_user, bp
from market.web.api.contract import IdempotencyKey, Model, Moment, QueryNumber, operation
from market.web.api.idempotency import idempotent
from market.web.context import db, now

LOG_LIMIT = 100


class EndpointIn(Model):
    """Where your system receives events (https), and which event types it wants."""

    url: str = Field(min_length=1, max_length=URL_MAX_LENGTH, examples=["https://api.bank.cn/ipd/hooks"])
    event_types: list[NoticeType] = Field(min_length=1, max_length=len(NoticeType))


class Endpoint(Model):
    """One of your institution's endpoints."""

    id: int
    url: str
    event_types: list[NoticeType]
    enabled: bool = Field(description="False once switched off, by you or after the configured run of failures")
    consecutive_failures: int = Field(ge=0)
    waiting: int = Field(ge=0, description="Events not yet delivered to it")
    created_at: Moment
    secret_rotated_at: Moment | None
    disabled_at: Moment | None


class EndpointWithSecret(Endpoint):
    """An endpoint with its signing secret: answered once, when registered or rotated."""

    secret: str = Field(description="Keep it: every delivery's X-IPD-Signature is an HMAC-SHA256 under it")


class Endpoints(Model):
    """Your institution's endpoints, oldest first."""

    endpoints: list[Endpoint]


class Attempt(Model):
    """One POST to an endpoint."""

    id: int
    event_id: int = Field(description="The event's id (X-IPD-Event-Id)")
    event_type: NoticeType
    attempted_at: Moment
    status_code: int | None = Field(description="Your system's answer; null when it did not answer")
    error: str | None = Field(description="Why the attempt failed; null when delivered (2xx)")
    duration_ms: int = Field(ge=0)


class Attempts(Model):
    """The delivery log, newest first (at most 100; `?before=<id>` for older)."""

    attempts: list[Attempt]


class LogQuery(Model):
    """?before=<attempt id> for older attempts."""

    before: QueryNumber("before", 1) | None = None


_READ = {401: "No or bad token"}
_WRITE = {400: "Missing Idempotency-Key, or not a JSON object", 401: "No or bad token"}


def _endpoint(endpoint: WebhookEndpoint, secret: str | None = None) -> Endpoint:
    fields = dict(id=endpoint.id, url=endpoint.url, event_types=endpoint.event_types, enabled=endpoint.enabled,
                  consecutive_failures=endpoint.consecutive_failures,
                  waiting=webhooks.pending_count(db(), endpoint.id), created_at=endpoint.created_at,
                  secret_rotated_at=endpoint.secret_rotated_at, disabled_at=endpoint.disabled_at)
    return Endpoint(**fields) if secret is None else EndpointWithSecret(**fields, secret=secret)


def _settings() -> webhooks.Settings:
    return webhooks.Settings.of(current_app.config)


@bp.get("/webhooks")
@operation("webhooks", {200: (Endpoints, "Your endpoints"), **_READ})
def list_webhooks():
    """Your institution's webhook endpoints"""
    user = api_user()
    return Endpoints(endpoints=[_endpoint(e) for e in webhooks.endpoints(db(), user.institution_id)])


@bp.post("/webhooks")
@idempotent
@operation("webhooks", {201: (EndpointWithSecret, "Registered; the secret is answered this once"), **_WRITE,
                        422: "Refused address (webhook_url_*), unknown event type, or the key was used with "
                             "another body"})
def register_webhook(json: EndpointIn, headers: IdempotencyKey):
    """Register an endpoint"""
    user = api_user(write=True)
    endpoint, secret = webhooks.register_endpoint(db(), institution_id=user.institution_id, url=json.url,
                                                  event_types=json.event_types, created_by_id=user.id, now=now(),
                                                  settings=_settings())
    return _endpoint(endpoint, secret), 201


@bp.get("/webhooks/<int:endpoint_id>")
@operation("webhooks", {200: (Endpoint, "The endpoint"), **_READ, 404: "No such endpoint (or not yours)"})
def one_webhook(endpoint_id: int):
    """One endpoint"""
    return _endpoint(webhooks.endpoint_of(db(), endpoint_id, api_user().institution_id))


@bp.post("/webhooks/<int:endpoint_id>")
@idempotent
@operation("webhooks", {200: (Endpoint, "Changed"), **_WRITE, 404: "No such endpoint (or not yours)",
                        422: "Refused address, unknown event type, or the key was used with another body"})
def change_webhook(endpoint_id: int, json: EndpointIn, headers: IdempotencyKey):
    """Change an endpoint's address and event types (from the next event on)"""
    user = api_user(write=True)
    endpoint = webhooks.update_endpoint(db(), endpoint_id, institution_id=user.institution_id, url=json.url,
                                        event_types=json.event_types, settings=_settings())
    return _endpoint(endpoint)


@bp.post("/webhooks/<int:endpoint_id>/secret")
@idempotent
@operation("webhooks", {200: (EndpointWithSecret, "The new secret, answered this once"), **_WRITE,
                        404: "No such endpoint (or not yours)", 422: "The key was used with another body"})
def rotate_webhook_secret(endpoint_id: int, headers: IdempotencyKey):
    """Rotate the signing secret (every later delivery is signed with the new one)"""
    user = api_user(write=True)
    secret = webhooks.rotate_secret(db(), endpoint_id, institution_id=user.institution_id, now=now())
    return _endpoint(webhooks.endpoint_of(db(), endpoint_id, user.institution_id), secret)


@bp.post("/webhooks/<int:endpoint_id>/enable")
@idempotent
@operation("webhooks", {200: (Endpoint, "Enabled; events waiting for it go at once"), **_WRITE,
                        404: "No such endpoint (or not yours)", 422: "The key was used with another body"})
def enable_webhook(endpoint_id: int, headers: IdempotencyKey):
    """Enable an endpoint again (its failure count restarts)"""
    user = api_user(write=True)
    return _endpoint(webhooks.set_enabled(db(), endpoint_id, institution_id=user.institution_id, enabled=True,
                                          now=now()))


@bp.post("/webhooks/<int:endpoint_id>/disable")
@idempotent
@operation("webhooks", {200: (Endpoint, "Switched off; events wait for it"), **_WRITE,
                        404: "No such endpoint (or not yours)", 422: "The key was used with another body"})
def disable_webhook(endpoint_id: int, headers: IdempotencyKey):
    """Switch an endpoint off"""
    user = api_user(write=True)
    return _endpoint(webhooks.set_enabled(db(), endpoint_id, institution_id=user.institution_id, enabled=False,
                                          now=now()))


@bp.get("/webhooks/<int:endpoint_id>/attempts")
@operation("webhooks", {200: (Attempts, "The delivery log"), **_READ, 400: "Bad ?before",
                        404: "No such endpoint (or not yours)"})
def webhook_attempts(endpoint_id: int, query: LogQuery):
    """An endpoint's delivery log, newest first"""
    user = api_user()
    endpoint = webhooks.endpoint_of(db(), endpoint_id, user.institution_id)
    log = webhooks.attempts_of(user.institution_id, endpoint.id).limit(LOG_LIMIT)
    if query.before is not None:
        log = log.where(WebhookAttempt.id < query.before)
    return Attempts(attempts=[
        Attempt(id=a.id, event_id=a.delivery.notice_id, event_type=a.delivery.notice.type,
                attempted_at=a.attempted_at, status_code=a.status_code, error=a.error, duration_ms=a.duration_ms)
        for a in db().scalars(log)])


# ---- the events (OpenAPI 3.1 `webhooks`) ---------------------------------------------------------------------

class Subject(Model):
    """The record an event is about."""

    kind: str = Field(description="case, auction, compensation_claim, licence_round, licence, claim_listing, "
                                  "conversion_proposal or webhook_endpoint")
    id: int
    case_id: int | None


class Event(Model):
    """What every delivery posts. `id` is the same on every retry: dedupe by it."""

    id: int = Field(description="The event id (also X-IPD-Event-Id)")
    type: NoticeType
    occurred_at: Moment
    subject: Subject
    payload: dict[str, Any] = Field(description="The facts; each amount twice: integer fen under `<name>_fen` "
                                                "and decimal yuan under `<name>`")


# The payload of each event type, by the convention its services follow (market/web/notice_words.py).
_TEXT, _WHOLE, _TIME = {"type": "string"}, {"type": "integer"}, {"type": "string", "format": "date-time"}
PAYLOAD_KEYS: dict[NoticeType, tuple[str, ...]] = {
    NoticeType.OUTBID: ("title", "round_no", "auction_id", "price_fen", "minimum_fen", "ends_at"),
    NoticeType.ROUND_EXTENDED: ("title", "round_no", "auction_id", "price_fen", "ends_at"),
    NoticeType.ROUND_CLOSING_SOON: ("title", "round_no", "ends_at"),
    NoticeType.ROUND_WON: ("title", "round_no", "price_fen", "due_at"),
    NoticeType.ROUND_LOST: ("title", "round_no", "price_fen"),
    NoticeType.ROUND_FAILED: ("title", "round_no"),
    NoticeType.SECOND_BIDDER_OFFERED: ("title", "price_fen", "due_at"),
    NoticeType.PAYMENT_DUE: ("title", "amount_fen", "due_at"),
    NoticeType.PAYMENT_OVERDUE: ("title", "due_at"),
    NoticeType.DEPOSIT_REFUNDED: ("title", "amount_fen"),
    NoticeType.DEPOSIT_FORFEITED: ("title", "amount_fen"),
    NoticeType.FIRST_REFUSAL_OPEN: ("title", "price_fen", "ends_at"),
    NoticeType.CASE_STATE_CHANGED: ("case_no", "from_state", "to_state"),
    NoticeType.CASE_ON_HOLD: ("case_no", "status"),
    NoticeType.RECORDAL_DUE: ("case_no", "due_at"),
    NoticeType.CLAIM_DRAFTED: ("case_no", "amount_fen"),
    NoticeType.CLAIM_FIRST_APPROVED: ("case_no", "amount_fen"),
    NoticeType.CLAIM_SECOND_APPROVED: ("case_no", "amount_fen"),
    NoticeType.CLAIM_PAID: ("case_no", "amount_fen"),
    NoticeType.CLAIM_REDUCED: ("case_no", "amount_fen", "reason"),
    NoticeType.CLAIM_REJECTED: ("case_no", "reason"),
    NoticeType.CLAIM_CLAWED_BACK: ("case_no", "amount_fen", "reason"),
    NoticeType.WEBHOOK_DISABLED: ("url", "failures", "last_error"),
}
REQUIRED_KEYS = {NoticeType.OUTBID: ("price_fen", "minimum_fen")}  # a bank's system bids again from these


def _payload_schema(notice_type: NoticeType) -> dict:
    properties: dict[str, dict] = {}
    for key in PAYLOAD_KEYS[notice_type]:
        if key.endswith("_fen"):
            properties[key] = {**_WHOLE, "description": "Integer fen"}
            properties[key.removesuffix("_fen")] = {"type": "string", "pattern": r"^-?\d+\.\d{2}$",
                                                    "description": "The same amount in decimal yuan"}
        elif key.endswith("_at"):
            properties[key] = _TIME
        elif key in ("round_no", "auction_id", "failures"):
            properties[key] = _WHOLE
        else:
            properties[key] = _TEXT
    required = [k for key in REQUIRED_KEYS.get(notice_type, ()) for k in (key, key.removesuffix("_fen"))]
    return {"type": "object", "properties": properties, "additionalProperties": True,
            **({"required": required} if required else {})}


def webhooks_section() -> dict:
    """The OpenAPI 3.1 `webhooks`: one POST per event type, its headers and body."""
    headers = [
        {"name": "X-IPD-Signature", "in": "header", "required": True, "schema": {"type": "string"},
         "description": "t=<unix seconds>,v1=<hex HMAC-SHA256 of \"<t>.\" + the raw body under the endpoint's "
                        "secret>; refuse a t more than 5 minutes from your clock"},
        {"name": "X-IPD-Event-Id", "in": "header", "required": True, "schema": {"type": "integer"},
         "description": "The event id: the same on every retry"},
        {"name": "X-IPD-Event-Type", "in": "header", "required": True, "schema": {"type": "string"}},
    ]
    section = {}
    for notice_type in NoticeType:
        body = {"allOf": [{"$ref": "#/components/schemas/WebhookEvent"}, {
            "type": "object", "properties": {"type": {"const": notice_type.value},
                                             "payload": _payload_schema(notice_type)}}]}
        section[notice_type.value] = {"post": {
            "operationId": "webhook_" + notice_type.value.replace(".", "_"),
            "summary": f"{notice_type.value}, posted to your endpoint",
            "tags": ["webhooks"], "security": [], "parameters": headers,
            "requestBody": {"required": True, "content": {"application/json": {"schema": body}}},
            "responses": {"2XX": {"description": "Received (anything else is retried with backoff)"}},
        }}
    return section


def event_schemas() -> dict:
    """The components the section refers to."""
    schema = Event.model_json_schema(ref_template="#/components/schemas/{model}")
    definitions = schema.pop("$defs", {})
    schema["properties"]["occurred_at"] = {"type": "string", "format": "date-time"}
    return {"WebhookEvent": schema, **definitions}
