"""Configuration from the environment, with safe defaults for a local embedded-SQLite run."""

from __future__ import annotations

import os
import secrets
import sys
from pathlib import Path

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from market.domain.mail import smtp_server
from market.domain.sandbox import DEFAULT_FACTOR, MAX_FACTOR


def default_instance_dir() -> Path:
    """instance/ in a checkout; when the package is installed, $PREFIX/var/market-instance (where Flask
    puts an installed application's instance folder), so the database does not depend on the working
    directory."""
    checkout = Path(__file__).resolve().parent.parent
    if (checkout / "pyproject.toml").is_file():
        return checkout / "instance"
    return Path(sys.prefix) / "var" / "market-instance"


INSTANCE_DIR = Path(os.environ.get("MARKET_INSTANCE_DIR") or default_instance_dir())


def default_database_url(sandbox: bool = False) -> str:
    """The database from MARKET_DATABASE_URL, else an SQLite file under instance/ (a sandbox's own file)."""
    url = os.environ.get("MARKET_DATABASE_URL")
    if url:
        return url
    INSTANCE_DIR.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{INSTANCE_DIR / ('sandbox.sqlite3' if sandbox else 'market.sqlite3')}"


class SandboxRefused(RuntimeError):
    """MARKET_SANDBOX=1 was asked for where it must not run (a production setting or database); the app
    does not start."""


SANDBOX_MARK = "sandbox"


def sandbox_problem(database_url: str, environment: str) -> str | None:
    """Why a sandbox may not run on this database in this environment, or None when it may.

    A sandbox's clock runs fast and jumps, so it must never touch real data: it is refused with
    MARKET_ENV=production, and on any database whose name (PostgreSQL's database, SQLite's file) does not
    contain "sandbox", since any other database may be the production one.
    """
    if environment.strip().lower() == "production":
        return "MARKET_SANDBOX=1 is refused with MARKET_ENV=production: a sandbox never runs as the real market."
    try:
        url = make_url(database_url)
    except ArgumentError:
        return "MARKET_SANDBOX=1 is refused: MARKET_DATABASE_URL is not a database URL."
    name = Path(url.database or "").name
    if SANDBOX_MARK not in name.lower():
        return (f"MARKET_SANDBOX=1 is refused with the database {url.render_as_string(hide_password=True)}: a "
                f"sandbox runs only on a database whose name contains \"{SANDBOX_MARK}\" (e.g. .../ipd_sandbox or "
                f"sandbox.sqlite3), so it can never be pointed at the production database.")
    return None


def sandbox_settings(environ: dict[str, str]) -> dict:
    """SANDBOX and SANDBOX_FACTOR from MARKET_SANDBOX (1 or 0) and MARKET_SANDBOX_FACTOR (default 1440)."""
    switch = environ.get("MARKET_SANDBOX", "").strip()
    if switch not in ("", "0", "1"):
        raise SandboxRefused(f"MARKET_SANDBOX must be 1 (a sandbox) or 0 (the real market), not {switch!r}.")
    text = environ.get("MARKET_SANDBOX_FACTOR", "").strip() or str(DEFAULT_FACTOR)
    if not (text.isascii() and text.isdigit() and 1 <= int(text) <= MAX_FACTOR):
        raise SandboxRefused(f"MARKET_SANDBOX_FACTOR must be a whole number from 1 to {MAX_FACTOR}, not {text!r}.")
    return {"SANDBOX": switch == "1", "SANDBOX_FACTOR": int(text)}


def secret_key() -> str:
    """MARKET_SECRET_KEY from the environment, else one generated once and kept in instance/."""
    key = os.environ.get("MARKET_SECRET_KEY")
    if key:
        return key
    INSTANCE_DIR.mkdir(parents=True, exist_ok=True)
    path = INSTANCE_DIR / "secret_key"
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text().strip()
    with os.fdopen(fd, "w") as handle:
        handle.write(secrets.token_hex(32))
    return path.read_text().strip()


def load_config() -> dict:
    """Settings for create_app when no explicit config is passed; raises SandboxRefused for a sandbox that may
    not run here."""
    sandbox = sandbox_settings(dict(os.environ))
    database_url = default_database_url(sandbox["SANDBOX"])
    if sandbox["SANDBOX"]:
        problem = sandbox_problem(database_url, os.environ.get("MARKET_ENV", ""))
        if problem:
            raise SandboxRefused(problem)
    return {
        "DATABASE_URL": database_url,
        **sandbox,
        "SECRET_KEY": secret_key(),
        "SESSION_COOKIE_SECURE": os.environ.get("MARKET_HTTPS", "") == "1",
        # reverse proxies in front of the app whose X-Forwarded-For/-Proto/-Host are believed (0: none)
        "TRUSTED_PROXIES": int(os.environ.get("MARKET_TRUSTED_PROXIES", "0")),
        "RATELIMIT_STORAGE_URI": os.environ.get("MARKET_REDIS_URL", ""),  # empty: the database
        "AUDIT_KEY": os.environ.get("MARKET_AUDIT_KEY", ""),  # signs audit anchors; never in the database
        # webhooks (market/services/webhooks.py): plain http to this machine only where allowed (tests, sandbox)
        "WEBHOOK_ALLOW_HTTP_LOOPBACK": os.environ.get("MARKET_WEBHOOK_ALLOW_HTTP_LOOPBACK", "") == "1",
        "WEBHOOK_FAILURE_LIMIT": int(os.environ.get("MARKET_WEBHOOK_FAILURE_LIMIT", "8")),
        "WEBHOOK_TIMEOUT": float(os.environ.get("MARKET_WEBHOOK_TIMEOUT", "5")),
        "WEBHOOK_CLAIM_SECONDS": float(os.environ.get("MARKET_WEBHOOK_CLAIM_SECONDS", "60")),
        **mail_settings(),
    }


def mail_settings() -> dict:
    """E-mail of notices: MARKET_SMTP_URL (empty: no mail), MARKET_MAIL_FROM (required with it) and
    MARKET_BASE_URL (the platform's address, for links in mail). A wrong URL stops the app at start."""
    settings = {"SMTP_URL": os.environ.get("MARKET_SMTP_URL", ""), "MAIL_FROM": os.environ.get("MARKET_MAIL_FROM", ""),
                "BASE_URL": os.environ.get("MARKET_BASE_URL", "")}
    smtp_server(settings)
    return settings
