"""Webhooks for banks' systems: an institution's endpoints, the outbox rows `publish` writes for them, and the
deliverer (`DELIVERY`, one of `delivery.DELIVERIES`) that posts them, signed, with retries.

Outbox: `enqueue` runs inside `notices.publish`, in the unit of work of the action that raised the notice, so a
rolled-back action sends nothing and a committed one is never lost. Sending: a deliverer claims due rows in one
short transaction (PostgreSQL: FOR UPDATE SKIP LOCKED, so two deliverers never take the same row; SQLite: one
writer at a time) by moving them a lease ahead; it posts each outside any transaction, then records the attempt
in its own unit of work. A deliverer killed mid-send leaves its claimed rows to be sent again after the lease,
so a receiver may see an event twice and dedupes by its id (`X-IPD-Event-Id`).
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import repeat

import requests
import sqlalchemy as sa
import sqlalchemy.orm as so

from market.db import unit_of_work
from market.domain import webhooks as rules
from market.domain.errors import NotFound
from market.domain.notices import SIGNATURE_HEADER, NoticeType, sign
from market.models import (
    Notice,
    UTCDateTime,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookSubscription,
)

CLAIM_BATCH = 50
POSTING_THREADS = 8  # deliveries of one batch posted at once: a slow receiver does not hold up the others


@dataclass(frozen=True)
class Settings:
    """The webhook settings of the app's configuration (WEBHOOK_*), with their defaults."""

    allow_http_loopback: bool = False
    failure_limit: int = rules.FAILURE_LIMIT
    timeout_s: float = rules.TIMEOUT_SECONDS
    claim: timedelta = timedelta(seconds=60)

    @classmethod
    def of(cls, config: Mapping) -> Settings:
        """The settings a configuration holds."""
        return cls(allow_http_loopback=bool(config.get("WEBHOOK_ALLOW_HTTP_LOOPBACK", False)),
                   failure_limit=int(config.get("WEBHOOK_FAILURE_LIMIT", rules.FAILURE_LIMIT)),
                   timeout_s=float(config.get("WEBHOOK_TIMEOUT", rules.TIMEOUT_SECONDS)),
                   claim=timedelta(seconds=float(config.get("WEBHOOK_CLAIM_SECONDS", 60))))


# --- an institution's endpoints -------------------------------------------------------------------------------

def event_types_of(values: Iterable[str]) -> list[NoticeType]:
    """The event types named (each a NoticeType value), or the refusal of an unknown or empty list."""
    types = []
    for value in values:
        try:
            types.append(NoticeType(value))
        except ValueError:
            raise rules.UnknownEventType(value=str(value)[:60]) from None
    if not types:
        raise rules.NoEventTypes()
    return sorted(set(types))


def register_endpoint(session: so.Session, *, institution_id: int, url: str, event_types: Iterable[NoticeType],
                      created_by_id: int | None, now: datetime, settings: Settings) -> tuple[WebhookEndpoint, str]:
    """Register an endpoint for the institution; the endpoint and its secret (shown to the caller once)."""
    url = rules.check_endpoint_url(url, allow_http_loopback=settings.allow_http_loopback)
    types = event_types_of(event_types)
    secret = new_secret()
    endpoint = WebhookEndpoint(institution_id=institution_id, url=url, secret=secret, enabled=True,
                               consecutive_failures=0, created_at=now, created_by_id=created_by_id,
                               subscriptions=[WebhookSubscription(event_type=t) for t in types])
    session.add(endpoint)
    session.flush()
    return endpoint, secret


def new_secret() -> str:
    """A fresh signing secret."""
    return rules.SECRET_PREFIX + secrets.token_urlsafe(32)


def endpoint_of(session: so.Session, endpoint_id: int, institution_id: int, *, lock: bool = False) -> WebhookEndpoint:
    """One of the institution's endpoints; another institution's is NotFound, like one that does not exist."""
    query = sa.select(WebhookEndpoint).where(WebhookEndpoint.id == endpoint_id,
                                             WebhookEndpoint.institution_id == institution_id)
    endpoint = session.scalar(query.with_for_update() if lock else query)
    if endpoint is None:
        raise NotFound()
    return endpoint


def endpoints(session: so.Session, institution_id: int) -> list[WebhookEndpoint]:
    """The institution's endpoints, oldest first."""
    return list(session.scalars(sa.select(WebhookEndpoint).where(
        WebhookEndpoint.institution_id == institution_id).order_by(WebhookEndpoint.id)))


def update_endpoint(session: so.Session, endpoint_id: int, *, institution_id: int, url: str,
                    event_types: Iterable[NoticeType], settings: Settings) -> WebhookEndpoint:
    """Change where an endpoint is and which event types it receives (from the next event on)."""
    endpoint = endpoint_of(session, endpoint_id, institution_id, lock=True)
    endpoint.url = rules.check_endpoint_url(url, allow_http_loopback=settings.allow_http_loopback)
    wanted = event_types_of(event_types)
    endpoint.subscriptions = [s for s in endpoint.subscriptions if s.event_type in wanted] + [
        WebhookSubscription(event_type=t) for t in wanted if t not in endpoint.event_types]
    session.flush()
    return endpoint


def rotate_secret(session: so.Session, endpoint_id: int, *, institution_id: int, now: datetime) -> str:
    """Give the endpoint a new secret at once (every later attempt is signed with it); the new secret."""
    endpoint = endpoint_of(session, endpoint_id, institution_id, lock=True)
    endpoint.secret, endpoint.secret_rotated_at = new_secret(), now
    session.flush()
    return endpoint.secret


def set_enabled(session: so.Session, endpoint_id: int, *, institution_id: int, enabled: bool,
                now: datetime) -> WebhookEndpoint:
    """Switch an endpoint off, or on again: its failure count restarts and what waits for it is due at once."""
    endpoint = endpoint_of(session, endpoint_id, institution_id, lock=True)
    if enabled and not endpoint.enabled:
        endpoint.enabled, endpoint.consecutive_failures, endpoint.disabled_at = True, 0, None
        session.execute(sa.update(WebhookDelivery).where(
            WebhookDelivery.endpoint_id == endpoint.id, WebhookDelivery.delivered_at.is_(None),
        ).values(next_attempt_at=now, claimed_by=None))
    elif not enabled and endpoint.enabled:
        endpoint.enabled, endpoint.disabled_at = False, now
    session.flush()
    return endpoint


def attempts_of(institution_id: int, endpoint_id: int | None = None) -> sa.Select:
    """The institution's delivery log, newest attempt first (a statement for the pager)."""
    query = (sa.select(WebhookAttempt).join(WebhookEndpoint, WebhookEndpoint.id == WebhookAttempt.endpoint_id)
             .where(WebhookEndpoint.institution_id == institution_id)
             .order_by(WebhookAttempt.attempted_at.desc(), WebhookAttempt.id.desc()))
    return query if endpoint_id is None else query.where(WebhookAttempt.endpoint_id == endpoint_id)


def pending_count(session: so.Session, endpoint_id: int) -> int:
    """How many events wait to be delivered to the endpoint."""
    return session.scalar(sa.select(sa.func.count()).select_from(WebhookDelivery).where(
        WebhookDelivery.endpoint_id == endpoint_id, WebhookDelivery.delivered_at.is_(None))) or 0


# --- the outbox ---------------------------------------------------------------------------------------------

_delivery = WebhookDelivery.__table__
_endpoint = WebhookEndpoint.__table__
_subscription = WebhookSubscription.__table__


def enqueue(session: so.Session, *, notice_id: int, notice_type: NoticeType, occurred_at: datetime,
            institutions: Iterable[int] | sa.Select) -> None:
    """One outbox row per enabled endpoint of these institutions (ids, or a SELECT of one column of ids) that
    receives the notice's type; each due at once."""
    if not isinstance(institutions, sa.Select):
        institutions = sorted(set(institutions))
        if not institutions:
            return
    endpoints_wanting = (
        sa.select(_endpoint.c.id, sa.literal(notice_id, sa.Integer), sa.literal(occurred_at, UTCDateTime),
                  sa.literal(0, sa.Integer))
        .join(_subscription, _subscription.c.endpoint_id == _endpoint.c.id)
        .where(_endpoint.c.institution_id.in_(institutions), _endpoint.c.enabled.is_(True),
               _subscription.c.event_type == NoticeType(notice_type).value)
    )
    session.execute(sa.insert(_delivery).from_select(
        ["endpoint_id", "notice_id", "next_attempt_at", "attempts"], endpoints_wanting))


# --- sending ------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Claimed:
    """A delivery a deliverer holds: what to post where, and the claim that lets it record the outcome."""

    delivery_id: int
    endpoint_id: int
    url: str
    secret: str
    event_id: int
    event_type: str
    body: bytes
    claim: str


@dataclass(frozen=True)
class Outcome:
    """What one POST came to: the receiver's status code, or the error when it did not answer."""

    status_code: int | None
    error: str | None
    duration_ms: int


def send_due(session: so.Session, now: datetime, config: Mapping) -> int:
    """Post every delivery due at `now` to its enabled endpoint; how many were delivered (a 2xx answer)."""
    settings = Settings.of(config)
    started = time.monotonic()

    def moment() -> datetime:  # `now`, moved on by the time this pass has taken
        return now + timedelta(seconds=time.monotonic() - started)

    # a batch fits in its claim even when every POST times out, so no other deliverer takes a row still queued here
    limit = max(1, min(CLAIM_BATCH, int(settings.claim.total_seconds() // (settings.timeout_s + 1))))
    delivered = 0
    with requests.Session() as http, ThreadPoolExecutor(POSTING_THREADS) as posting:
        http.mount("https://", requests.adapters.HTTPAdapter(pool_maxsize=POSTING_THREADS))
        http.mount("http://", requests.adapters.HTTPAdapter(pool_maxsize=POSTING_THREADS))
        while batch := claim_due(session, moment(), settings, limit=limit, due_by=now):
            sent_at = moment()
            outcomes = posting.map(post, repeat(http), batch, repeat(sent_at), repeat(settings.timeout_s))
            for claimed, outcome in zip(batch, outcomes, strict=True):  # recorded one by one, in order
                with unit_of_work(session):
                    delivered += record(session, claimed, outcome, now=sent_at, settings=settings)
    return delivered


def claim_due(session: so.Session, now: datetime, settings: Settings, limit: int = CLAIM_BATCH,
              due_by: datetime | None = None) -> list[Claimed]:
    """Take up to `limit` deliveries of enabled endpoints due by `due_by` (default `now`) for this deliverer,
    in their own transaction; the claim runs from `now` for the settings' lease."""
    token = secrets.token_hex(16)
    with unit_of_work(session):
        due = session.execute(
            sa.select(_delivery.c.id).join(_endpoint, _endpoint.c.id == _delivery.c.endpoint_id)
            .where(_delivery.c.delivered_at.is_(None), _delivery.c.next_attempt_at <= (due_by or now),
                   _endpoint.c.enabled.is_(True))
            .order_by(_delivery.c.next_attempt_at, _delivery.c.id).limit(limit)
            .with_for_update(of=_delivery, skip_locked=True)
        ).scalars().all()
        if not due:
            return []
        session.execute(sa.update(_delivery).where(_delivery.c.id.in_(due)).values(
            next_attempt_at=now + settings.claim, claimed_by=token))
        rows = session.execute(
            sa.select(_delivery.c.id, _delivery.c.endpoint_id, _endpoint.c.url, _endpoint.c.secret, Notice)
            .join(_endpoint, _endpoint.c.id == _delivery.c.endpoint_id)
            .join(Notice, Notice.id == _delivery.c.notice_id)
            .where(_delivery.c.id.in_(due)).order_by(_delivery.c.next_attempt_at, _delivery.c.id)
        ).all()
    return [Claimed(row.id, row.endpoint_id, row.url, row.secret, row.Notice.id, NoticeType(row.Notice.type).value,
                    body_of(row.Notice), token) for row in rows]


def body_of(notice: Notice) -> bytes:
    """The JSON a delivery of this notice posts."""
    return rules.event_body(event_id=notice.id, event_type=NoticeType(notice.type).value,
                            occurred_at=notice.occurred_at, subject=notice.subject, subject_id=notice.subject_id,
                            case_id=notice.case_id, payload=notice.payload or {})


def post(http: requests.Session, claimed: Claimed, now: datetime, timeout_s: float) -> Outcome:
    """POST one delivery, signed at `now`; never raises for the receiver's faults (they are the outcome)."""
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "IPD-Webhooks/1",
        SIGNATURE_HEADER: sign(claimed.secret, int(now.timestamp()), claimed.body),
        rules.EVENT_ID_HEADER: str(claimed.event_id),
        rules.EVENT_TYPE_HEADER: claimed.event_type,
    }
    started = time.monotonic()
    try:
        response = http.post(claimed.url, data=claimed.body, headers=headers, timeout=timeout_s,
                             allow_redirects=False)
        response.close()
        error = None if rules.is_delivered(response.status_code) else f"HTTP {response.status_code}"
        status = response.status_code
    except requests.RequestException as failure:
        status, error = None, f"{type(failure).__name__}: {failure}"
    return Outcome(status, error[:300] if error else None, int((time.monotonic() - started) * 1000))


def record(session: so.Session, claimed: Claimed, outcome: Outcome, *, now: datetime, settings: Settings) -> int:
    """Log one attempt and settle its delivery: delivered, or due again after the backoff; an endpoint that
    failed `failure_limit` times in a row is disabled and its institution told. 1 if delivered, else 0.

    Guarded by the claim: when this deliverer's lease ran out and another deliverer took the row over, the row
    is the other's to settle (the attempt is still logged)."""
    from market.services.notices import About, publish  # publish enqueues through this module

    session.add(WebhookAttempt(delivery_id=claimed.delivery_id, endpoint_id=claimed.endpoint_id, attempted_at=now,
                               status_code=outcome.status_code, error=outcome.error,
                               duration_ms=outcome.duration_ms))
    ok = rules.is_delivered(outcome.status_code)
    ours = (_delivery.c.id == claimed.delivery_id) & (_delivery.c.claimed_by == claimed.claim) \
        & _delivery.c.delivered_at.is_(None)
    settled = session.execute(sa.update(_delivery).where(ours).values(
        attempts=_delivery.c.attempts + 1, claimed_by=None,
        **({"delivered_at": now} if ok else {}),
    ).returning(_delivery.c.attempts)).first()
    if settled is not None and not ok:
        session.execute(sa.update(_delivery).where(_delivery.c.id == claimed.delivery_id).values(
            next_attempt_at=now + rules.retry_delay(settled.attempts)))
    endpoint = _endpoint.c
    if ok:
        session.execute(sa.update(_endpoint).where(endpoint.id == claimed.endpoint_id, endpoint.consecutive_failures > 0)
                        .values(consecutive_failures=0))
        return 1 if settled is not None else 0
    failures = session.execute(sa.update(_endpoint).where(endpoint.id == claimed.endpoint_id).values(
        consecutive_failures=endpoint.consecutive_failures + 1).returning(endpoint.consecutive_failures)).scalar_one()
    if rules.should_disable(failures, settings.failure_limit):
        switched_off = session.execute(sa.update(_endpoint).where(endpoint.id == claimed.endpoint_id, endpoint.enabled)
                                       .values(enabled=False, disabled_at=now)
                                       .returning(endpoint.institution_id, endpoint.url)).first()
        if switched_off is not None:
            publish(session, NoticeType.WEBHOOK_DISABLED, about=About("webhook_endpoint", claimed.endpoint_id),
                    now=now, institutions=[switched_off.institution_id],
                    payload={"url": switched_off.url, "failures": failures, "last_error": outcome.error or ""})
    return 0
