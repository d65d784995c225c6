"""Login throttling holds across workers: counted in Redis or the database, per address and, after repeated
failures, per account with a wait that doubles."""

import http.cookiejar
import re
import socket
import urllib.error
import urllib.parse
import urllib.request

import pytest
import sqlalchemy as sa

from market import throttle
from tests.conftest import make_test_app
from tests.factories import make_user
from tests.live_server import gunicorn_serving

REDIS_URL = "redis://127.0.0.1:6379/15"


def _redis_or_skip() -> None:
    try:
        socket.create_connection(("127.0.0.1", 6379), timeout=1).close()
    except OSError:
        pytest.skip("no Redis server on 127.0.0.1:6379")
    import redis

    redis.Redis.from_url(REDIS_URL).flushdb()


@pytest.fixture(params=["database", "redis"])
def shared_app(request, database_url, clock):
    """The app with login attempts counted where every worker sees them."""
    if request.param == "redis":
        _redis_or_skip()
    uri = REDIS_URL if request.param == "redis" else ""
    app = make_test_app(database_url, clock, RATELIMIT_STORAGE_URI=uri)
    yield app
    app.extensions["market.engine"].dispose()


def _login(client, email: str, password: str = "wrong-password"):
    return client.post("/login", data={"email": email, "password": password})


def test_an_address_gets_ten_attempts_a_minute(shared_app):
    client = shared_app.test_client()
    statuses = [_login(client, f"someone{n}@bank.test").status_code for n in range(11)]
    assert statuses == [401] * 10 + [429]


def test_an_account_waits_after_five_failures_even_with_the_right_password(shared_app):
    with shared_app.extensions["market.sessions"]() as session:
        user = make_user(session)
        session.commit()
    client = shared_app.test_client()
    assert [_login(client, user.email).status_code for _ in range(5)] == [401] * 5
    refused = _login(client, user.email, "password-123")
    assert refused.status_code == 429 and 1 <= int(refused.headers["Retry-After"]) <= 15
    assert _login(shared_app.test_client(), user.email.upper(), "password-123").status_code == 429


def test_the_accounts_wait_doubles_with_each_further_failure_and_success_forgets(app, session, monkeypatch):
    now = [1_000_000.0]
    monkeypatch.setattr(throttle.time, "time", lambda: now[0])
    app.config["LOGIN_RATE_LIMIT"] = "1000 per minute"
    app.extensions["market.login_throttle"] = throttle.login_throttle("", app.extensions["market.engine"],
                                                                      "1000 per minute")
    user = make_user(session)
    session.commit()
    client = app.test_client()
    waits = []
    for _ in range(3):
        while (answer := _login(client, user.email)).status_code == 401:
            pass
        waits.append(int(answer.headers["Retry-After"]))
        now[0] += waits[-1]
    assert waits == [15, 30, 60]
    assert _login(client, user.email, "password-123").status_code == 302
    assert [_login(app.test_client(), user.email).status_code for _ in range(5)] == [401] * 5  # forgotten


def test_the_wait_grows_to_a_quarter_of_an_hour_at_most():
    assert [throttle.account_wait_s(n) for n in (1, 4, 5, 6, 7, 10, 30)] == [0, 0, 15, 30, 60, 480, 900]


def _arrange_one_user(database_url: str) -> str:
    from market.db import make_engine, make_session_factory, unit_of_work

    engine = make_engine(database_url)
    with make_session_factory(engine)() as session, unit_of_work(session):
        email = make_user(session).email
    engine.dispose()
    return email


def _browser(base: str):
    """A cookie-keeping client that posts the login form with its CSRF token, as a browser would."""
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))

    def login(email: str, password: str = "wrong-password") -> int:
        with opener.open(f"{base}/login", timeout=10) as page:
            token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page.read().decode()).group(1)
        form = urllib.parse.urlencode({"email": email, "password": password, "csrf_token": token}).encode()
        try:
            with opener.open(f"{base}/login", data=form, timeout=10) as answer:
                return answer.status
        except urllib.error.HTTPError as error:
            return error.code

    return login


@pytest.mark.slow
@pytest.mark.parametrize("store", ["database", "redis"])
def test_three_gunicorn_workers_share_the_limits(tmp_path, store):
    environment = {}
    if store == "redis":
        _redis_or_skip()
        environment["MARKET_REDIS_URL"] = REDIS_URL
    with gunicorn_serving(tmp_path, _arrange_one_user, workers=3, environment=environment) as (base, email):
        login = _browser(base)
        assert [login(email) for _ in range(6)] == [401] * 5 + [429]  # the account waits
        assert [login(f"other{n}@bank.test") for n in range(6)] == [401] * 5 + [429]


def test_expired_counters_are_deleted_when_the_next_attempt_is_counted(app, monkeypatch):
    now = [1_000_000.0]
    monkeypatch.setattr(throttle.time, "time", lambda: now[0])
    counters, table = throttle.DatabaseCounters(app.extensions["market.engine"]), throttle.ThrottleCounter.__table__
    counters.incr("address:192.0.2.1", expiry=60)
    counters.incr("address:192.0.2.2", expiry=600)
    now[0] += 61
    assert counters.incr("address:192.0.2.3", expiry=60) == 1
    with app.extensions["market.engine"].connect() as connection:
        kept = set(connection.scalars(sa.select(table.c.key)))
    assert kept == {"address:192.0.2.2", "address:192.0.2.3"}
