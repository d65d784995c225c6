"""Fixtures for the calibration tests: a marketplace history made from known parameters."""

from __future__ import annotations

import tomllib

import pytest

from market.db import unit_of_work
from market.demo.history import Truth, seed_history

# few bidders, so rounds fail often enough for re-auctions, negotiated sales and conversions to happen
TRUTH = Truth(seed=7, bidders_mean=1.2, value_sigma=0.5)


@pytest.fixture
def history(app, clock):
    """Make `cases` past cases from `truth` through the services, committed."""

    def make(cases: int, truth: Truth = TRUTH) -> Truth:
        with app.extensions["market.sessions"]() as session, unit_of_work(session):
            seed_history(session, clock(), cases, truth)
        return truth

    return make


@pytest.fixture
def export(app, tmp_path):
    """Run flask export-calibration; gives (the CLI result, the fragment as parsed TOML)."""

    def run(*options: str):
        out = tmp_path / "calibration.toml"
        result = app.test_cli_runner().invoke(args=["export-calibration", "--out", str(out), *options])
        assert result.exit_code == 0, result.output
        return result, tomllib.loads(out.read_text(encoding="utf-8"))

    return run
