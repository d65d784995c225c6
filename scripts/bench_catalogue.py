"""Time the public catalogue on 10,000 listings: p50/p95 of typical filtered, sorted, searched and deep pages.

    .venv/bin/python scripts/bench_catalogue.py                      # a scratch SQLite database
    MARKET_BENCH_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/postgres \\
        .venv/bin/python scripts/bench_catalogue.py                  # also PostgreSQL (a scratch database
                                                                     # is created on that server, then dropped)
Options: --listings N (10000), --runs N (50), --budget-ms N (100: exit 1 if any p95 is above it).
Pages are fetched through the Flask test client, so the figures include routing, validation and rendering.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from market.app import create_app  # noqa: E402
from market.demo.listings import seed_listings  # noqa: E402
from market.migrate import upgrade_to_head  # noqa: E402
from market.models import DisposalCase  # noqa: E402

QUERIES = [
    ("api: newest first", "/api/v1/catalogue"),
    ("api: patents by price", "/api/v1/catalogue?kind=patent&sort=price_asc"),
    ("api: industry + region", "/api/v1/catalogue?industry=集成电路&region=北京"),
    ("api: in auction, deadline first", "/api/v1/catalogue?state=auction&sort=ending"),
    ("api: price range, dearest first", "/api/v1/catalogue?min_price=500000&max_price=2000000&sort=price_desc"),
    ("api: channel, page 5", "/api/v1/catalogue?channel=negotiated_sale&page=5"),
    ("api: search a title word", "/api/v1/catalogue?q=芯片"),
    ("api: search a registry number", "/api/v1/catalogue?q={registry}"),
    ("api: everything at once", "/api/v1/catalogue?kind=patent&state=notice_published&min_price=100000&q=一种&sort=price_desc"),
    ("api: deep page (offset 8,000)", "/api/v1/catalogue?page=401&per_page=20"),
    ("page: trademarks by price", "/catalogue?kind=trademark&sort=price_desc"),
    ("page: search + filters", "/catalogue?q=方法&region=上海&sort=ending"),
]


def bench(url: str, label: str, listings: int, runs: int) -> list[tuple[str, float, float, int]]:
    """Migrate, seed and time every query on one database; returns (name, p50 ms, p95 ms, total)."""
    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "bench", "TESTING": True, "WTF_CSRF_ENABLED": False})
    engine = app.extensions["market.engine"]
    upgrade_to_head(engine)
    with app.extensions["market.sessions"]() as session:
        started = time.perf_counter()
        seed_listings(session, datetime.now(UTC), listings)
        print(f"[{label}] seeded {listings:,} listings in {time.perf_counter() - started:.1f} s")
        registry = session.scalar(sa.select(DisposalCase.registry_numbers).order_by(DisposalCase.id.desc()).limit(1))
    if engine.dialect.name == "postgresql":
        with engine.connect() as connection:
            connection.execution_options(isolation_level="AUTOCOMMIT").execute(sa.text("ANALYZE"))
    client = app.test_client()
    results = []
    for name, path in QUERIES:
        path = path.format(registry=registry.split()[0])
        for _ in range(3):
            response = client.get(path)
        assert response.status_code == 200, (path, response.status_code, response.get_data(as_text=True)[:300])
        total = response.get_json()["total"] if path.startswith("/api") else -1
        times = []
        for _ in range(runs):
            started = time.perf_counter()
            client.get(path)
            times.append((time.perf_counter() - started) * 1000)
        times.sort()
        results.append((name, statistics.median(times), times[max(0, int(len(times) * 0.95) - 1)], total))
    engine.dispose()
    return results


def report(label: str, results, budget_ms: float) -> bool:
    """Print one engine's table; True when every p95 is within the budget."""
    print(f"\n{label}: p50 / p95 per request (ms), {QUERIES and len(results)} queries")
    print(f"{'query':40} {'p50':>8} {'p95':>8} {'matches':>9}")
    for name, p50, p95, total in results:
        print(f"{name:40} {p50:8.1f} {p95:8.1f} {total if total >= 0 else '':>9}{'  SLOW' if p95 > budget_ms else ''}")
    return all(p95 <= budget_ms for _, _, p95, _ in results)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--listings", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--budget-ms", type=float, default=100.0)
    args = parser.parse_args()
    ok = True
    with tempfile.TemporaryDirectory() as scratch:
        results = bench(f"sqlite:///{Path(scratch) / 'bench.sqlite3'}", "SQLite", args.listings, args.runs)
        ok &= report("SQLite", results, args.budget_ms)
    pg_url = os.environ.get("MARKET_BENCH_DATABASE_URL")
    if pg_url:
        name = f"ipd_bench_{uuid.uuid4().hex[:8]}"
        admin = sa.create_engine(pg_url, isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
        try:
            url = sa.engine.make_url(pg_url).set(database=name).render_as_string(hide_password=False)
            ok &= report("PostgreSQL", bench(url, "PostgreSQL", args.listings, args.runs), args.budget_ms)
        finally:
            with admin.connect() as connection:
                connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()
    print("\nAll within budget." if ok else f"\nSome p95 above {args.budget_ms:.0f} ms.")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
