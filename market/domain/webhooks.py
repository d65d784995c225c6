"""Webhooks for banks' systems: which endpoint URLs the platform posts to, the retry schedule, when an
endpoint is switched off, and the body every delivery carries (signed with `notices.sign`).

The body of a delivery (`event_body`) is the same JSON for every notice type:
`{"id", "type", "occurred_at", "subject": {"kind", "id", "case_id"}, "payload"}`. `id` is the notice's id:
a retry, or a resend after a crash, carries the same id, so a receiver dedupes by it. In `payload` every
amount is given twice: integer fen under its `*_fen` key, as the platform keeps it, and decimal yuan as the
API sends amounts, under the key without `_fen` (`"price_fen": 2230000, "price": "22300.00"`).
"""

from __future__ import annotations

import ipaddress
import json
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

from market.domain.errors import Kind, Refusal
from market.domain.money import fen_to_decimal_string

FAILURE_LIMIT = 8  # consecutive failed attempts after which an endpoint is disabled (setting WEBHOOK_FAILURE_LIMIT)
TIMEOUT_SECONDS = 5.0  # how long one POST may take (setting WEBHOOK_TIMEOUT)
FIRST_RETRY = timedelta(seconds=30)
LAST_RETRY = timedelta(hours=6)  # the backoff doubles up to this
URL_MAX_LENGTH = 500
SECRET_PREFIX = "whsec_"
EVENT_ID_HEADER = "X-IPD-Event-Id"
EVENT_TYPE_HEADER = "X-IPD-Event-Type"
LOOPBACK_NAMES = frozenset({"localhost", "127.0.0.1", "::1"})


class EndpointUrlRefused(Refusal):
    """An endpoint URL the platform will not post to; each subclass says why."""

    code, kind = "webhook_url_refused", Kind.INVALID


class UrlNotHttps(EndpointUrlRefused):
    """Deliveries go over https only (plain http to this machine where a setting allows it)."""

    code = "webhook_url_not_https"


class UrlMalformed(EndpointUrlRefused):
    """Not an http(s) URL with a host (a bad port, spaces, a fragment)."""

    code = "webhook_url_malformed"


class UrlWithCredentials(EndpointUrlRefused):
    """A user name or password in the URL would be kept and logged: the signature authenticates instead."""

    code = "webhook_url_credentials"


class UrlPrivateAddress(EndpointUrlRefused):
    """An address inside a private network (or this machine): the platform does not post into one."""

    code = "webhook_url_private"


class UrlTooLong(EndpointUrlRefused):
    """Longer than the platform keeps."""

    code, fields = "webhook_url_too_long", ("limit",)


class NoEventTypes(Refusal):
    """An endpoint must ask for at least one type of event."""

    code, kind = "webhook_no_event_types", Kind.INVALID


class UnknownEventType(Refusal):
    """An event type that does not exist."""

    code, kind, fields = "webhook_unknown_event_type", Kind.INVALID, ("value",)


def check_endpoint_url(url: str, *, allow_http_loopback: bool = False) -> str:
    """The URL, trimmed, if the platform may post to it; else EndpointUrlRefused saying why.

    https to a public host; plain http only to this machine (127.0.0.1, ::1, localhost) and only where the
    setting allows it (tests, a sandbox). Private, link-local and loopback addresses given as IP literals are
    refused over https too (unless loopback is allowed): the platform does not post into its own network.
    """
    url = url.strip()
    if len(url) > URL_MAX_LENGTH:
        raise UrlTooLong(limit=URL_MAX_LENGTH)
    try:
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
        parts.port  # noqa: B018 - a bad port raises here
    except ValueError:
        raise UrlMalformed() from None
    if parts.scheme not in ("https", "http") or not host or parts.fragment or any(c.isspace() for c in url):
        raise UrlMalformed()
    if parts.username or parts.password:
        raise UrlWithCredentials()
    loopback = _is_loopback(host)
    if loopback and allow_http_loopback:
        return url
    if parts.scheme != "https":
        raise UrlNotHttps()
    if loopback or _is_internal_address(host):
        raise UrlPrivateAddress()
    return url


def _is_loopback(host: str) -> bool:
    if host in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _is_internal_address(host: str) -> bool:
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return host.endswith((".localhost", ".local", ".internal"))
    return not address.is_global


def retry_delay(failures: int) -> timedelta:
    """How long to wait after the `failures`-th failed attempt of a delivery: 30 s, 1 min, 2 min, … up to 6 h."""
    if failures < 1:
        return timedelta(0)
    return min(FIRST_RETRY * 2 ** min(failures - 1, 20), LAST_RETRY)


def is_delivered(status_code: int | None) -> bool:
    """Whether the receiver's answer counts as delivered (any 2xx)."""
    return status_code is not None and 200 <= status_code < 300


def should_disable(consecutive_failures: int, limit: int = FAILURE_LIMIT) -> bool:
    """Whether an endpoint that failed this many times in a row is switched off."""
    return consecutive_failures >= limit


def event_body(*, event_id: int, event_type: str, occurred_at: datetime, subject: str, subject_id: int,
               case_id: int | None, payload: dict) -> bytes:
    """The JSON a delivery posts (compact, UTF-8): the same bytes on every retry of one event."""
    document = {
        "id": event_id,
        "type": event_type,
        "occurred_at": _iso(occurred_at),
        "subject": {"kind": subject, "id": subject_id, "case_id": case_id},
        "payload": with_yuan(payload),
    }
    return json.dumps(document, ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode()


def with_yuan(payload: dict) -> dict:
    """The payload with each integer `x_fen` also given as decimal yuan under `x` (the API's wire format)."""
    extra = {key.removesuffix("_fen"): fen_to_decimal_string(value) for key, value in payload.items()
             if key.endswith("_fen") and isinstance(value, int) and not isinstance(value, bool)}
    return {**payload, **{key: value for key, value in extra.items() if key not in payload}}


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
