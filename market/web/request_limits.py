"""What a request may carry, checked before anything reaches a view or the database.

Ids outside the id column's range do not match a path (404) and make a query value malformed (400), on SQLite
as on PostgreSQL; JSON nested too deeply to read is not JSON (400 invalid_json); a body above MAX_BODY_BYTES is
refused (413, JSON on the API).
"""

from __future__ import annotations

from flask import Flask, request
from flask.json.provider import DefaultJSONProvider
from werkzeug.datastructures import FileStorage
from werkzeug.routing import IntegerConverter, Map

from market.domain.errors import Refusal
from market.web.api.problems import InvalidNumber

MAX_ID = 2**31 - 1  # the largest value of an integer column on PostgreSQL (ids and sequence numbers)
MAX_BODY_BYTES = 1024 * 1024  # a bid, a form or a payment CSV of MAX_ROWS lines is far smaller


class DatabaseId(IntegerConverter):
    """`<int:...>` in every route: an id in 1..MAX_ID written in ASCII digits; anything else is not a path."""

    # 1..2147483647 in the pattern itself (no leading zero), so that an id out of range matches no rule at all:
    # a converter refusing it after the match would make werkzeug answer 405 where a rule for another method
    # shares the path.
    regex = (r"(?:[1-9][0-9]{0,8}|1[0-9]{9}|20[0-9]{8}|21[0-3][0-9]{7}|214[0-6][0-9]{6}|2147[0-3][0-9]{5}"
             r"|21474[0-7][0-9]{4}|214748[0-2][0-9]{3}|2147483[0-5][0-9]{2}|21474836[0-3][0-9]|214748364[0-7])")

    def __init__(self, map: Map, fixed_digits: int = 0, min: int = 1, max: int = MAX_ID) -> None:  # noqa: A002
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=max)


def is_database_id(text: str | None) -> bool:
    """Whether `text` names a row: ASCII digits for a number in 1..MAX_ID."""
    return bool(text) and text.isascii() and text.isdigit() and len(text) <= 10 and 1 <= int(text) <= MAX_ID


def query_number(name: str, default: int, *, minimum: int = 0, refusal: Refusal | None = None) -> int:
    """?name= as a whole number in minimum..MAX_ID (default when absent), or raise a 400 naming it."""
    text = request.args.get(name)
    if text is None:
        return default
    if not (text.isascii() and text.isdigit() and len(text) <= 10 and minimum <= int(text) <= MAX_ID):
        raise refusal or InvalidNumber(parameter=name, minimum=minimum, maximum=MAX_ID)
    return int(text)


class ShallowJson(DefaultJSONProvider):
    """Flask's JSON, except that a document nested too deeply to read is a decoding error like any other, and
    an uploaded file is written as its name (spectree lists a refused form's values, files too, in the error
    it builds before the contract's hook answers with our refusal instead)."""

    @staticmethod
    def default(o):
        """What the standard encoder cannot write: an uploaded file by its name, else as Flask writes it."""
        if isinstance(o, FileStorage):
            return o.filename or ""
        return DefaultJSONProvider.default(o)

    def loads(self, s: str | bytes, **kwargs):
        """Parse JSON; nesting beyond Python's recursion limit raises ValueError, not RecursionError."""
        try:
            return super().loads(s, **kwargs)
        except RecursionError:
            raise ValueError("JSON nested too deeply") from None


def init_app(app: Flask) -> None:
    """Register the id converter (before any route), the JSON reader and the body limit."""
    app.url_map.converters["int"] = DatabaseId
    app.json = ShallowJson(app)
    if app.config.get("MAX_CONTENT_LENGTH") is None:  # Flask's default is no limit at all
        app.config["MAX_CONTENT_LENGTH"] = MAX_BODY_BYTES

