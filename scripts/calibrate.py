#!/usr/bin/env python
"""Export the simulator's calibration from a marketplace database, without the Flask app.

    python scripts/calibrate.py --database postgresql+psycopg://user@host/db --out calibration.toml \
        [--since 2024-01-01] [--kind patent] [--force] [--level 0.95]

The same implementation as `flask --app market.app export-calibration` (market/cli.py export_to_file);
then `python scripts/size_fund.py SCENARIO --calibration calibration.toml --out DIR`. See docs/fund-sizing.md.
"""

from datetime import UTC, datetime

import click

from market.cli import calibration_options, export_to_file
from market.db import make_engine, make_session_factory


@click.command()
@click.option("--database", required=True, help="SQLAlchemy URL of the marketplace database.")
@calibration_options
def main(database: str, out: str, since, kind: str | None, force: bool, level: float) -> None:
    """Fit the disposal assumptions to the database's disposed cases and write a scenario fragment."""
    engine = make_engine(database)
    try:
        export_to_file(make_session_factory(engine), engine, now=datetime.now(UTC), out=out, since=since,
                       kind=kind, force=force, level=level)
    finally:
        engine.dispose()


if __name__ == "__main__":
    main()
