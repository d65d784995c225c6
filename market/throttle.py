"""Login throttling in storage every worker shares: Redis when RATELIMIT_STORAGE_URI names one (a URI of the
`limits` library, Flask-Limiter's engine), otherwise the database. Per address: a limit on attempts; per
account: after a few failures, a wait that doubles with each further failure."""

from __future__ import annotations

import hashlib
import math
import time

import limits
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine

from market.models import ThrottleCounter

FREE_FAILURES = 5  # wrong passwords for one account before it must wait
FIRST_WAIT_S = 15  # the wait after the last free failure; it doubles with each further failure
LONGEST_WAIT_S = 15 * 60
FAILURES_REMEMBERED_S = 24 * 3600  # failures count towards the wait for a day after the first


def account_wait_s(failures: int) -> int:
    """Seconds an account waits after this many failures in a row (0 while still free)."""
    if failures < FREE_FAILURES:
        return 0
    return min(LONGEST_WAIT_S, FIRST_WAIT_S * 2 ** (failures - FREE_FAILURES))


class DatabaseCounters:
    """Counters in the throttle_counter table, with the `limits` storage methods the throttle uses. Each call
    is its own short transaction, so a count stands whatever the request's unit of work does."""

    def __init__(self, engine: Engine):
        self.engine = engine
        self._insert = postgresql.insert if engine.dialect.name == "postgresql" else sqlite.insert

    def incr(self, key: str, expiry: float, amount: int = 1) -> int:
        """Add to a counter (a fresh one when expired) and return its count; it expires `expiry` s after it starts."""
        now, table = time.time(), ThrottleCounter.__table__
        expired = table.c.expires_at <= now
        statement = (self._insert(table).values(key=key, count=amount, expires_at=now + expiry)
                     .on_conflict_do_update(index_elements=["key"], set_={
                         "count": sa.case((expired, amount), else_=table.c.count + amount),
                         "expires_at": sa.case((expired, now + expiry), else_=table.c.expires_at)})
                     .returning(table.c.count))
        with self.engine.begin() as connection:
            count = connection.execute(statement).scalar_one()
            # Expired counters of other keys go with the attempt that finds them (attempts are few; rows stay few).
            connection.execute(sa.delete(table).where(expired, table.c.key != key))
            return count

    def get(self, key: str) -> int:
        """The counter's count (0 when absent or expired)."""
        return self._row(key)[0]

    def get_expiry(self, key: str) -> float:
        """When the counter expires (seconds since the epoch)."""
        return self._row(key)[1]

    def clear(self, key: str) -> None:
        """Forget a counter."""
        with self.engine.begin() as connection:
            connection.execute(sa.delete(ThrottleCounter).where(ThrottleCounter.key == key))

    def _row(self, key: str) -> tuple[int, float]:
        now = time.time()
        with self.engine.connect() as connection:
            row = connection.execute(sa.select(ThrottleCounter.count, ThrottleCounter.expires_at)
                                     .where(ThrottleCounter.key == key, ThrottleCounter.expires_at > now)).first()
        return (row.count, row.expires_at) if row else (0, now)


class LoginThrottle:
    """Whether a login attempt may go ahead, and what a failure or success changes."""

    def __init__(self, counters, per_address: str):
        self.counters = counters
        self.per_address = limits.parse(per_address)

    def wait_s(self, address: str, email: str) -> int:
        """Seconds before this address may try this account (0: go ahead); counts the attempt for the address."""
        wait = self._left_s(_account_key("wait", email))
        if wait:
            return wait
        key = f"login:address:{address}"
        if self.counters.incr(key, self.per_address.get_expiry()) > self.per_address.amount:
            return self._left_s(key)
        return 0

    def failed(self, email: str) -> None:
        """A wrong password for the account: count it, and make the account wait once the free ones are used."""
        failures = self.counters.incr(_account_key("failures", email), FAILURES_REMEMBERED_S)
        if wait := account_wait_s(failures):
            self.counters.incr(_account_key("wait", email), wait)

    def succeeded(self, email: str) -> None:
        """The right password: the account's failures are forgotten."""
        self.counters.clear(_account_key("failures", email))

    def _left_s(self, key: str) -> int:
        if not self.counters.get(key):
            return 0
        return max(1, math.ceil(self.counters.get_expiry(key) - time.time()))


def _account_key(kind: str, email: str) -> str:
    # hashed: any string a form sends makes a key of the same, short length
    return f"login:{kind}:{hashlib.sha256(email.strip().lower().encode()).hexdigest()[:40]}"


def login_throttle(storage_uri: str, engine: Engine, per_address: str) -> LoginThrottle:
    """The throttle on the storage the URI names (memory:// only for tests), or on the database when empty."""
    counters = limits.storage.storage_from_string(storage_uri) if storage_uri else DatabaseCounters(engine)
    return LoginThrottle(counters, per_address)
