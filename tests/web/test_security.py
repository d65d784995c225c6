"""The security baseline: CSRF, cookie flags, logout that really ends a session, rate limits, headers."""

import re

from market.domain.roles import Role
from market.services.accounts import create_api_token
from tests.factories import make_user


def _csrf_token(client, path="/login"):
    page = client.get(path).get_data(as_text=True)
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)


def test_a_form_posted_without_its_csrf_token_is_refused(csrf_app):
    client = csrf_app.test_client()
    response = client.post("/login", data={"email": "a@b.cn", "password": "whatever-123"})
    assert response.status_code == 400


def test_a_form_posted_with_its_csrf_token_is_accepted(csrf_app):
    with csrf_app.extensions["market.sessions"]() as session:
        user = make_user(session)
        session.commit()
        email = user.email
    client = csrf_app.test_client()
    token = _csrf_token(client)
    response = client.post("/login", data={"email": email, "password": "password-123", "csrf_token": token})
    assert response.status_code == 302


def test_the_session_cookie_is_httponly_and_samesite_lax(session, client, auth):
    user = make_user(session)
    session.commit()
    response = auth.login(user.email)
    cookie = next(h for h in response.headers.getlist("Set-Cookie") if h.startswith("ipd_session="))
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie


def test_a_cookie_copied_before_logout_no_longer_works_after_it(app, session, client, auth):
    user = make_user(session)
    session.commit()
    auth.login(user.email)
    stolen = client.get_cookie("ipd_session").value
    assert client.get("/home").status_code == 200
    auth.logout()
    thief = app.test_client()
    thief.set_cookie("ipd_session", stolen)
    response = thief.get("/home")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def test_pages_carry_the_security_headers(client):
    response = client.get("/")
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"


def test_an_inactive_user_cannot_log_in(session, auth):
    user = make_user(session, active=False)
    session.commit()
    assert auth.login(user.email).status_code == 401


def test_a_redirect_after_login_never_leaves_the_site(session, client):
    user = make_user(session)
    session.commit()
    response = client.post("/login?next=//evil.example/x", data={"email": user.email, "password": "password-123"})
    assert response.headers["Location"].endswith("/home")


def test_an_api_token_acts_as_its_user(session, client):
    user = make_user(session, role=Role.BANK)
    session.commit()
    token = create_api_token(session, user)
    response = client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200
    assert response.get_json()["email"] == user.email


def test_a_wrong_api_token_gets_a_json_401(client):
    response = client.get("/api/v1/me", headers={"Authorization": "Bearer nope"})
    assert response.status_code == 401
    assert response.get_json()["error"] == "unauthorized"


def test_unknown_pages_get_a_friendly_404(client):
    response = client.get("/no-such-page")
    assert response.status_code == 404
    assert "404" in response.get_data(as_text=True)


def test_the_interface_speaks_chinese_by_default_and_english_on_request(database_url, clock):
    from market.security import DEFAULTS
    from tests.conftest import make_test_app

    app = make_test_app(database_url, clock, BABEL_DEFAULT_LOCALE=DEFAULTS["BABEL_DEFAULT_LOCALE"])
    client = app.test_client()
    assert "登录" in client.get("/login").get_data(as_text=True)
    client.get("/language/en?next=/login")
    assert "Log in" in client.get("/login").get_data(as_text=True)
    app.extensions["market.engine"].dispose()


def test_a_broken_rule_is_told_in_the_users_language(app):
    from market.domain.rules import StartPriceNotPositive
    from market.web.i18n import error_message

    error = StartPriceNotPositive()
    with app.test_request_context("/?lang=zh"):
        from flask_babel import refresh

        refresh()
        assert error_message(error) == "起拍价必须大于零。"
    with app.test_request_context("/?lang=en"):
        assert error_message(error) == str(error) == "The starting price must be greater than zero."
