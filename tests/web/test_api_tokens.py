"""API tokens people manage: listed and revoked from the command line and from a page; expired or revoked
tokens are refused at once."""

import re
from datetime import timedelta

import sqlalchemy as sa

from market.db import unit_of_work
from market.models import ApiToken, utcnow
from market.services.accounts import create_api_token
from tests.factories import make_institution, make_user


def _bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def _token_row(session, label: str) -> ApiToken:
    return session.scalar(sa.select(ApiToken).where(ApiToken.label == label))


def test_a_token_expires_after_ninety_days_unless_told_otherwise(session):
    user = make_user(session)
    create_api_token(session, user, label="default")
    create_api_token(session, user, label="short", days=7)
    assert _token_row(session, "default").expires_at - _token_row(session, "default").created_at == timedelta(days=90)
    assert _token_row(session, "short").expires_at - _token_row(session, "short").created_at == timedelta(days=7)


def test_an_expired_token_gets_401_at_once(session, client):
    user = make_user(session)
    token = create_api_token(session, user, label="old")
    assert client.get("/api/v1/me", headers=_bearer(token)).status_code == 200
    _token_row(session, "old").expires_at = utcnow() - timedelta(seconds=1)
    response = client.get("/api/v1/me", headers=_bearer(token))
    assert response.status_code == 401
    assert response.get_json()["error"] == "unauthorized"
    assert client.get("/api/v1/auctions", headers=_bearer(token)).status_code == 401


def test_a_token_records_when_it_was_last_used(session, client):
    user = make_user(session)
    token = create_api_token(session, user, label="used")
    assert _token_row(session, "used").last_used_at is None
    client.get("/api/v1/me", headers=_bearer(token))
    session.expire_all()
    assert _token_row(session, "used").last_used_at is not None


def test_the_command_line_lists_and_revokes_a_users_tokens(app, session, client):
    user = make_user(session, email="it@bank.test")
    token = create_api_token(session, user, label="core banking")
    token_id = _token_row(session, "core banking").id
    session.commit()
    runner = app.test_cli_runner()
    context = app.app_context()
    context.push()
    created = runner.invoke(args=["create-token", "it@bank.test", "--label", "batch", "--days", "30"])
    assert created.exit_code == 0 and created.output.startswith("ipd_")
    listed = runner.invoke(args=["list-tokens", "it@bank.test"])
    assert listed.exit_code == 0
    assert "core banking" in listed.output and "batch" in listed.output
    revoked = runner.invoke(args=["revoke-token", str(token_id)])
    assert revoked.exit_code == 0
    assert client.get("/api/v1/me", headers=_bearer(token)).status_code == 401
    assert runner.invoke(args=["revoke-token", "999999"]).exit_code != 0
    context.pop()


def test_a_user_sees_and_revokes_its_own_institutions_tokens_only(csrf_app):
    with csrf_app.extensions["market.sessions"]() as session, unit_of_work(session):
        bank = make_institution(session)
        clerk = make_user(session, institution=bank, email="clerk@bank.test")
        colleague = make_user(session, institution=bank)
        ours = create_api_token(session, colleague, label="colleague system")
        other = create_api_token(session, make_user(session), label="another bank")
    client = csrf_app.test_client()
    login_page = client.get("/login").get_data(as_text=True)
    csrf = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', login_page).group(1)
    client.post("/login", data={"email": clerk.email, "password": "password-123", "csrf_token": csrf})
    page = client.get("/account/tokens").get_data(as_text=True)
    assert "colleague system" in page and "another bank" not in page
    with csrf_app.extensions["market.sessions"]() as session:
        ours_id, other_id = _token_row(session, "colleague system").id, _token_row(session, "another bank").id
    assert client.post(f"/account/tokens/{ours_id}/revoke").status_code == 400  # no CSRF token: refused
    csrf = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    assert client.post(f"/account/tokens/{other_id}/revoke", data={"csrf_token": csrf}).status_code == 404
    assert client.post(f"/account/tokens/{ours_id}/revoke", data={"csrf_token": csrf}).status_code == 302
    api = csrf_app.test_client()
    assert api.get("/api/v1/me", headers=_bearer(ours)).status_code == 401
    assert api.get("/api/v1/me", headers=_bearer(other)).status_code == 200


def test_the_token_page_speaks_chinese_by_default(database_url, clock):
    from market.security import DEFAULTS
    from tests.conftest import make_test_app

    app = make_test_app(database_url, clock, BABEL_DEFAULT_LOCALE=DEFAULTS["BABEL_DEFAULT_LOCALE"])
    with app.extensions["market.sessions"]() as session, unit_of_work(session):
        user = make_user(session)
    client = app.test_client()
    client.post("/login", data={"email": user.email, "password": "password-123"})
    page = client.get("/account/tokens").get_data(as_text=True)
    assert "API 令牌" in page
    app.extensions["market.engine"].dispose()
