"""The API's own refusals: about the request itself (credentials, body, keys, query values), not a business rule.

Like every refusal they are answered by `market.web.refusals.api_refusal`, in the caller's language.
"""

from __future__ import annotations

from market.domain.errors import Kind, Refusal


class Unauthorized(Refusal):
    """No bearer token, or one the platform does not know (unknown or revoked)."""

    code, kind = "unauthorized", Kind.UNAUTHORIZED


class InvalidJson(Refusal):
    """The body is not a JSON object."""

    code, kind = "invalid_json", Kind.MALFORMED


class IdempotencyKeyRequired(Refusal):
    """Every POST carries an Idempotency-Key."""

    code, kind = "idempotency_key_required", Kind.MALFORMED


class IdempotencyKeyTooLong(Refusal):
    """An Idempotency-Key has at most `max_length` characters."""

    code, kind, fields = "idempotency_key_too_long", Kind.MALFORMED, ("max_length",)


class IdempotencyKeyReused(Refusal):
    """The key was used before with another request."""

    code = "idempotency_key_reused"


class KeyInProgress(Refusal):
    """The first request with this key has not been answered yet."""

    code, kind = "in_progress", Kind.CONFLICT


class InvalidStatus(Refusal, ValueError):
    """?status= is not one of the statuses the list knows."""

    code, kind, fields = "invalid_status", Kind.MALFORMED, ("allowed",)


class InvalidIds(Refusal, ValueError):
    """?id= values are whole numbers, at most `max_ids` of them."""

    code, kind, fields = "invalid_id", Kind.MALFORMED, ("max_ids",)


class InvalidAfter(Refusal, ValueError):
    """?after= is a bid sequence number."""

    code, kind = "invalid_after", Kind.MALFORMED


class InvalidParameter(Refusal, ValueError):
    """A query parameter is unknown or its value is not valid."""

    code, fields = "invalid_parameter", ("parameter", "problem")


class InvalidNumber(Refusal, ValueError):
    """A query value is a whole number in minimum..maximum."""

    code, kind, fields = "invalid_number", Kind.MALFORMED, ("parameter", "minimum", "maximum")


class MethodNotAllowed(Refusal):
    """The path answers other methods only (the answer's Allow header names them)."""

    code, kind, fields = "method_not_allowed", Kind.METHOD_NOT_ALLOWED, ("allowed",)


class BadRequest(Refusal):
    """The request could not be read at all."""

    code, kind = "bad_request", Kind.MALFORMED


class BodyTooLarge(Refusal):
    """The request body is larger than the platform reads."""

    code, kind, fields = "body_too_large", Kind.TOO_LARGE, ("max_bytes",)


class BadInput(Refusal, ValueError):
    """A request field is missing or malformed (a ValueError: raised while a declared body is parsed, it
    comes back as the refusal)."""

    code, fields = "invalid_input", ("field",)


class NotPercentText(BadInput):
    """A percentage comes as a string such as "5.25", between 0 and 100."""

    code = "invalid_percent_input"


class NotText(BadInput):
    """A required string field is non-empty and not too long."""

    code, fields = "invalid_text", ("field", "limit")


class NotWholeNumber(BadInput):
    """A whole number field lies within its bounds."""

    code, fields = "invalid_integer", ("field", "low", "high")


class NotFlag(BadInput):
    """A true/false field."""

    code = "invalid_flag"


class NotDate(BadInput):
    """A date field, YYYY-MM-DD."""

    code = "invalid_date"


class NotMoment(BadInput):
    """A time field with its zone."""

    code = "invalid_moment"


class NotChoice(BadInput):
    """A field that is one of an enum's values."""

    code, fields = "invalid_choice", ("field", "values")


class NotIds(BadInput):
    """A list of ids."""

    code = "invalid_ids"


class NotContractRefs(BadInput):
    """A list of strings, one per licensee."""

    code = "invalid_contract_refs"
