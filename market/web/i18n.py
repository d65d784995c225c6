"""Language and time zone: Simplified Chinese by default, English on request; Asia/Shanghai."""

from __future__ import annotations

from datetime import date, datetime
from enum import Enum
from fractions import Fraction

from flask import Flask, current_app, request, session
from flask_babel import format_date, format_datetime, gettext

from market.domain.errors import Refusal
from market.domain.money import format_yuan
from market.domain.roles import Role
from market.models.core import LoanStatus
from market.translations.refusals import TEXTS
from market.web.labels import LOAN_STATUS_NAMES, ROLE_NAMES, label, reason_text

LANGUAGES = ("zh", "en")


def error_message(error: Refusal) -> str:
    """A refusal in the reader's language: the catalogue's words, its parameters formatted for the reader."""
    shown = {name: _shown(name, value) for name, value in error.params.items()}
    return gettext(TEXTS.get(error.code, TEXTS["refused"])) % shown


def _shown(name: str, value: object) -> str:
    """Money as ¥1,234.50, shares as percentages, times in Beijing time, enum members by their labels."""
    if isinstance(value, Refusal):
        return error_message(value)
    if isinstance(value, list | tuple | set | frozenset):
        return gettext(", ").join(_shown(name, item) for item in value)  # zh: 、
    if isinstance(value, Enum):
        return label(value)
    if isinstance(value, int) and not isinstance(value, bool) and name.endswith("_fen"):
        return format_yuan(value)
    if isinstance(value, Fraction):
        return f"{float(value) * 100:g}%"
    if isinstance(value, datetime):
        return format_datetime(value, "yyyy-MM-dd HH:mm")
    if isinstance(value, date):
        return format_date(value, "yyyy-MM-dd")
    return str(value)


def select_locale() -> str:
    """The API: the Accept-Language, else English. Pages: the language chosen with the switch (kept in the
    session), else Chinese."""
    if request.blueprint == "api":
        return request.accept_languages.best_match(LANGUAGES, default="en")
    lang = request.args.get("lang")
    if lang in LANGUAGES:
        session["lang"] = lang
    return session.get("lang", current_app.config["BABEL_DEFAULT_LOCALE"])


def select_timezone() -> str:
    """Everyone works in China Standard Time."""
    return "Asia/Shanghai"


def init_app(app: Flask) -> None:
    """Template filters for money and local dates."""
    app.jinja_env.filters["yuan"] = format_yuan
    app.jinja_env.filters["loan_status"] = lambda status: LOAN_STATUS_NAMES.get(LoanStatus(str(status)), str(status))
    app.jinja_env.filters["role_name"] = lambda role: ROLE_NAMES.get(Role(str(role)), str(role))
    app.jinja_env.filters["label"] = label
    app.jinja_env.filters["reason"] = reason_text
    app.jinja_env.filters["local_dt"] = _local_dt
    app.jinja_env.filters["local_date"] = _local_date
    app.jinja_env.filters["pct"] = lambda ppm: f"{(ppm or 0) / 10_000:.2f}%"

    @app.context_processor
    def _language():
        return {
            "current_lang": session.get("lang", app.config["BABEL_DEFAULT_LOCALE"]),
            "languages": LANGUAGES,
        }


def _local_dt(value: datetime | None, fmt: str = "yyyy-MM-dd HH:mm") -> str:
    return format_datetime(value, fmt) if value else "—"


def _local_date(value: date | None) -> str:
    return format_date(value, "yyyy-MM-dd") if value else "—"
