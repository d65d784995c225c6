"""Logins, bearer tokens, security headers and error pages: the security baseline of every request."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from flask import Flask, jsonify, render_template, request
from flask.sessions import SecureCookieSessionInterface
from flask_login import UserMixin
from werkzeug.exceptions import HTTPException
from werkzeug.middleware.proxy_fix import ProxyFix

from market.domain.sandbox import DEFAULT_FACTOR
from market.extensions import login_manager
from market.models import User
from market.services import accounts
from market.services.accounts import Caller
from market.web.api.problems import Unauthorized
from market.web.context import db
from market.web.refusals import api_http_error

DEFAULTS = {
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SAMESITE": "Lax",
    "SESSION_COOKIE_NAME": "ipd_session",
    "PERMANENT_SESSION_LIFETIME": timedelta(hours=8),
    "REMEMBER_COOKIE_HTTPONLY": True,
    "WTF_CSRF_TIME_LIMIT": 8 * 3600,
    "BABEL_DEFAULT_LOCALE": "zh",
    "BABEL_DEFAULT_TIMEZONE": "Asia/Shanghai",
    "WTF_I18N_ENABLED": True,  # WTForms' own field messages in the reader's language (Flask-Babel's locale)
    "RATELIMIT_STORAGE_URI": "",  # login throttling: a Redis URI (MARKET_REDIS_URL), or empty for the database
    "LOGIN_RATE_LIMIT": "10 per minute",  # login attempts per client address
    "TRUSTED_PROXIES": 0,  # proxies whose X-Forwarded-* headers are believed (ProxyFix)
    "CLOCK": lambda: datetime.now(UTC),  # real time (tests inject one); a sandbox's time runs from it
    "SANDBOX": False,  # MARKET_SANDBOX=1: the clock runs SANDBOX_FACTOR times faster and jumps (market/web/sandbox.py)
    "SANDBOX_FACTOR": DEFAULT_FACTOR,
    "JSON_SORT_KEYS": False,
}

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; "
    "frame-ancestors 'none'"
)


class SignedInUser(UserMixin):
    """The Flask-Login face of a browser login, identified by its revocable login token. (Bearer tokens are
    the API's own: market.web.api.api_caller.)"""

    def __init__(self, record: User, login_token: str):
        self.record = record
        self.login_token = login_token
        self.caller = Caller.of(record)

    def get_id(self) -> str | None:
        return self.login_token

    @property
    def is_active(self) -> bool:
        return self.record.active

    def __getattr__(self, name):
        return getattr(self.record, name)


@login_manager.user_loader
def _load_login(token: str) -> SignedInUser | None:
    user = accounts.user_for_login_session(db(), token)
    return SignedInUser(user, login_token=token) if user else None


class CookieSessions(SecureCookieSessionInterface):
    """Flask's signed-cookie sessions, with the signing serializer built once per key (Flask builds one for
    every request, cookie or not)."""

    def get_signing_serializer(self, app: Flask):
        keys = (app.secret_key, tuple(app.config["SECRET_KEY_FALLBACKS"] or ()))
        built = app.extensions.get("market.cookie_serializer")
        if built is None or built[0] != keys:
            built = app.extensions["market.cookie_serializer"] = (keys, super().get_signing_serializer(app))
        return built[1]

    def get_cookie_secure(self, app: Flask) -> bool:
        """Secure when configured so, or when the request came over HTTPS (through a trusted proxy too)."""
        return super().get_cookie_secure(app) or request.is_secure


def served_over_https(app: Flask) -> bool:
    """Whether this request came over HTTPS, or the app is configured as HTTPS-only."""
    return bool(app.config.get("SESSION_COOKIE_SECURE")) or request.is_secure


def wants_json() -> bool:
    """Whether the caller is an API client (JSON errors instead of pages)."""
    return request.path.startswith("/api/")


def init_app(app: Flask) -> None:
    """Install login settings, security headers and error handlers."""
    app.session_interface = CookieSessions()
    if app.config["TRUSTED_PROXIES"]:
        hops = app.config["TRUSTED_PROXIES"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops, x_port=hops)
    login_manager.login_view = "auth.login"
    login_manager.session_protection = "basic"
    login_manager.login_message = None

    @login_manager.unauthorized_handler
    def _unauthorized():
        if wants_json():
            raise Unauthorized()
        from flask import redirect, url_for

        return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))

    @app.after_request
    def _security_headers(response):
        response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
        response.headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
        if served_over_https(app):
            response.headers.setdefault("Strict-Transport-Security", "max-age=31536000")
        return response

    @app.errorhandler(HTTPException)
    def _http_error(error: HTTPException):
        if wants_json():
            return api_http_error(error)
        return render_template("errors/error.html", error=error), error.code

    @app.errorhandler(Exception)
    def _server_error(error: Exception):
        app.logger.exception("Unhandled error")
        if wants_json():
            return jsonify(error="server_error", message="Something went wrong on our side.", params={}), 500
        return render_template("errors/error.html", error=None), 500

