"""A refusal is data: a stable code, its parameters and the kind of answer it is (its words are in the catalogue).

Every refusal the domain or a service raises is a `Refusal`. A class declares its `code`, its `kind` and the
names of its parameters (`fields`); a raise site passes the values only, e.g.
`raise BelowMinimum(minimum_fen=minimum)`. Amounts are integer fen (names end in `_fen`), shares are
Fractions, times are aware datetimes, and enum members stay members: the reader's edge formats them.
The English and Chinese sentences live in `market/translations` (`refusals.py` and `zh_source/`).
"""

from __future__ import annotations

from enum import Enum
from typing import ClassVar


class Kind(Enum):
    """What sort of answer a refusal is (its value is the HTTP status the API gives it)."""

    MALFORMED = 400  # the request itself is not understood (a bad query value, not JSON)
    UNAUTHORIZED = 401  # who is asking is not known
    INVALID = 422  # not like that: the input breaks a rule
    CONFLICT = 409  # not now: the state of things does not allow it
    FORBIDDEN = 403  # not you
    NOT_FOUND = 404  # no such thing (or not one the caller may see)
    TOO_LARGE = 413  # the request is larger than the platform reads
    METHOD_NOT_ALLOWED = 405  # the path exists, not with this method


class Refusal(Exception):
    """Something a user asked for was refused; `code`, `params` and `kind` say what and why."""

    code: ClassVar[str] = "refused"
    kind: ClassVar[Kind] = Kind.INVALID
    fields: ClassVar[tuple[str, ...]] = ()

    def __init__(self, **params: object) -> None:
        if set(params) != set(self.fields):
            raise TypeError(f"{type(self).__name__} takes {self.fields}, got {tuple(params)}")
        super().__init__(self.code)
        self.params = params

    def __str__(self) -> str:
        # For logs only: the catalogue's English, plainly formatted (the reader's edge does better). Imported
        # here: the formatter uses market.domain.money, which defines refusals.
        from market.translations.refusals import english

        return english(self)


class NotFound(Refusal, LookupError):
    """No such record, or not one the caller may know about."""

    code, kind = "not_found", Kind.NOT_FOUND


class Forbidden(Refusal, PermissionError):
    """The caller's role may not do this."""

    code, kind = "forbidden", Kind.FORBIDDEN


class RoleRequired(Forbidden):
    """This needs one of the named roles."""

    code, fields = "role_required", ("roles",)


class PersonRequired(Forbidden):
    """A person, not the system, must do this."""

    code = "person_required"
