"""Language and time zone: Simplified Chinese by default, English on request; Asia/Shanghai."""

from __future__ import annotations

from datetime import date, datetime

from flask import Flask, current_app, flash, request, session
from flask_babel import format_date, format_datetime, gettext
from flask_babel import lazy_gettext as _l

from market.domain.money import format_yuan
from market.domain.roles import Role
from market.models.core import LoanStatus

LANGUAGES = ("zh", "en")

ROLE_NAMES = {
    Role.OPERATOR: _l("Trading centre"),
    Role.BANK: _l("Bank"),
    Role.GUARANTOR: _l("Guarantor"),
    Role.INSURER: _l("Insurer"),
    Role.AGENCY: _l("IP service agency"),
    Role.BUREAU: _l("Finance bureau"),
    Role.AIC: _l("Financial asset investment company"),
    Role.SYSTEM: _l("System"),
}

LOAN_STATUS_NAMES = {
    LoanStatus.PERFORMING: _l("Performing"),
    LoanStatus.OVERDUE: _l("Overdue"),
    LoanStatus.DEFAULTED: _l("Defaulted"),
    LoanStatus.IN_DISPOSAL: _l("In disposal"),
    LoanStatus.SETTLED: _l("Settled"),
    LoanStatus.REPAID: _l("Repaid"),
    LoanStatus.TRANSFERRED: _l("Transferred"),
}


def error_message(error: Exception) -> str:
    """A rule's message in the user's language (constant messages are in the catalogue; see babel.cfg)."""
    return gettext(str(error))


def flash_error(error: Exception) -> None:
    """Flash a broken rule's message, translated."""
    flash(error_message(error), "error")


def select_locale() -> str:
    """The language chosen with the switch (kept in the session), else Chinese."""
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
    app.jinja_env.filters["local_dt"] = _local_dt
    app.jinja_env.filters["local_date"] = _local_date
    app.jinja_env.filters["pct"] = lambda ppm: f"{(ppm or 0) / 10_000:.2f}%"

    @app.context_processor
    def _language():
        return {
            "current_lang": session.get("lang", app.config["BABEL_DEFAULT_LOCALE"]),
            "languages": LANGUAGES,
            "has_endpoint": lambda name: name in app.view_functions,
        }


def _local_dt(value: datetime | None, fmt: str = "yyyy-MM-dd HH:mm") -> str:
    return format_datetime(value, fmt) if value else "—"


def _local_date(value: date | None) -> str:
    return format_date(value, "yyyy-MM-dd") if value else "—"
