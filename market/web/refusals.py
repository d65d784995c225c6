"""PLACEHOLDER, replaced by the errors branch's market/web/refusals.py: only api_refusal, built on
today's api_error and the auctions API's status lookup, so the idempotency wrapper can answer a refusal
it catches."""

from __future__ import annotations

from flask import Response

from market.web.api import api_error


def api_refusal(error: Exception) -> Response:
    """The API's answer to a refusal (placeholder: status from the auctions API's STATUS_OF_CODE)."""
    from market.web.api.auctions import (
        STATUS_OF_CODE,  # placeholder: the errors branch drops this look-up
    )

    code = getattr(error, "code", "invalid")
    return api_error(STATUS_OF_CODE.get(code, 422), code, str(error))
