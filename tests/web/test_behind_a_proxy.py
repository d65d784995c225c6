"""Behind an HTTPS proxy: X-Forwarded-Proto from a trusted proxy gives the Secure cookie and HSTS."""

import pytest

from tests.conftest import make_test_app
from tests.factories import make_user

HTTPS = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.7"}


@pytest.fixture
def proxied_app(database_url, clock):
    """The app behind one trusted reverse proxy."""
    app = make_test_app(database_url, clock, TRUSTED_PROXIES=1)
    yield app
    app.extensions["market.engine"].dispose()


def _log_in(app, headers=None):
    with app.extensions["market.sessions"]() as session:
        user = make_user(session)
        session.commit()
    return app.test_client().post("/login", data={"email": user.email, "password": "password-123"},
                                  headers=headers or {})


def test_https_at_the_proxy_makes_the_cookie_secure_and_sends_hsts(proxied_app):
    response = _log_in(proxied_app, HTTPS)
    assert response.status_code == 302
    assert "Secure" in response.headers["Set-Cookie"]
    assert response.headers["Strict-Transport-Security"] == "max-age=31536000"


def test_plain_http_at_the_proxy_gets_neither(proxied_app):
    response = _log_in(proxied_app, {"X-Forwarded-Proto": "http"})
    assert "Secure" not in response.headers["Set-Cookie"]
    assert "Strict-Transport-Security" not in response.headers


def test_without_a_trusted_proxy_the_header_is_not_believed(app):
    response = _log_in(app, HTTPS)
    assert "Secure" not in response.headers["Set-Cookie"]
    assert "Strict-Transport-Security" not in response.headers


def test_the_login_throttle_counts_the_client_address_the_proxy_names(proxied_app):
    client = proxied_app.test_client()
    for n in range(10):
        client.post("/login", data={"email": f"a{n}@bank.test", "password": "wrong-password"}, headers=HTTPS)
    assert client.post("/login", data={"email": "b@bank.test", "password": "wrong-password"},
                       headers=HTTPS).status_code == 429
    other = {**HTTPS, "X-Forwarded-For": "198.51.100.9"}
    assert client.post("/login", data={"email": "b@bank.test", "password": "wrong-password"},
                       headers=other).status_code == 401
