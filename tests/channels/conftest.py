"""The channel tests switch between many users in one test: allow more logins a minute than production."""

import pytest

from tests.conftest import make_test_app


@pytest.fixture
def app(database_url, clock):
    """The marketplace app on a clean database, with a generous login rate limit."""
    app = make_test_app(database_url, clock, LOGIN_RATE_LIMIT="1000 per minute")
    yield app
    app.extensions["market.engine"].dispose()
