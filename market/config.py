"""Configuration from the environment, with safe defaults for a local embedded-SQLite run."""

from __future__ import annotations

import os
import secrets
import sys
from pathlib import Path


def default_instance_dir() -> Path:
    """instance/ in a checkout; when the package is installed, $PREFIX/var/market-instance (where Flask
    puts an installed application's instance folder), so the database does not depend on the working
    directory."""
    checkout = Path(__file__).resolve().parent.parent
    if (checkout / "pyproject.toml").is_file():
        return checkout / "instance"
    return Path(sys.prefix) / "var" / "market-instance"


INSTANCE_DIR = Path(os.environ.get("MARKET_INSTANCE_DIR") or default_instance_dir())


def default_database_url() -> str:
    """The database from MARKET_DATABASE_URL, else an SQLite file under instance/."""
    url = os.environ.get("MARKET_DATABASE_URL")
    if url:
        return url
    INSTANCE_DIR.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{INSTANCE_DIR / 'market.sqlite3'}"


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
    """Settings for create_app when no explicit config is passed."""
    return {
        "DATABASE_URL": default_database_url(),
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
    }
