"""Seeds fix everything: same seed and engine give identical results, whoever computes which block."""

import re
import subprocess
import sys
from dataclasses import fields
from pathlib import Path

import numpy as np
import pytest

import sim
from market.domain.loss import LAYERS
from sim import vector
from sim.cli import format_summary
from sim.portfolio import build_book
from sim.results import PathTotals
from sim.subsidy import LINES

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "sim" / "scenarios" / "example.toml"


def identical(a: PathTotals, b: PathTotals) -> bool:
    """Every per-path array is equal."""
    return all(np.array_equal(getattr(a, f.name), getattr(b, f.name)) for f in fields(PathTotals))


@pytest.mark.parametrize(("engine", "paths"), [("vector", 300), ("event", 12)])
def test_the_same_seed_gives_identical_results(engine, paths):
    scenario = sim.load(EXAMPLE)
    first = sim.run(scenario, paths, engine=engine, chunk_paths=100)
    again = sim.run(scenario, paths, engine=engine, chunk_paths=100)
    other = sim.run(scenario, paths, engine=engine, chunk_paths=100, seed=scenario.seed + 1)
    assert identical(first.totals, again.totals)
    assert not identical(first.totals, other.totals)


def test_a_block_of_paths_gives_the_same_result_wherever_it_is_computed():
    scenario = sim.load(EXAMPLE)
    whole = sim.run(scenario, paths=250, chunk_paths=100)
    # a worker handed only block 2 (paths 200-249) computes it from that block's own seed
    book = build_book(
        scenario, np.random.default_rng(np.random.SeedSequence(scenario.seed).spawn(2)[0])
    )
    block_seed = np.random.SeedSequence(scenario.seed).spawn(2)[1].spawn(3)[2]
    alone = PathTotals.concat([vector.run_block(scenario, book, block_seed, 50)])
    assert identical(alone, PathTotals.concat([_slice(whole.totals, 200, 250)]))


def test_results_are_read_only_records():
    result = sim.run(sim.load(EXAMPLE), paths=20)
    with pytest.raises(ValueError):
        result.totals.payout_fen[0, 0, 0] = 1
    record = result.path(0)
    assert len(record.defaults) == 3 and set(record.payout_fen[0]) == set(LAYERS)


def test_the_command_line_prints_a_summary():
    done = subprocess.run(
        [sys.executable, "-m", "sim", "run", str(EXAMPLE), "--paths", "200", "--engine", "vector"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert (
        "scenario 'example'" in done.stdout
        and "year 3" in done.stdout
        and "P(short)" in done.stdout
    )


def test_the_summary_table_gives_each_subsidy_line_its_own_column():
    result = sim.run(sim.load(ROOT / "sim" / "scenarios" / "beijing.toml"), 40, engine="vector")
    header, *rows = format_summary(result, 0.95, 1.0).splitlines()[1:-1]
    columns = re.split(r"\s{2,}", header.strip())
    horizon = re.split(r"\s{2,}", rows[-1].strip())[1:]  # the "all" row, its label dropped
    for j, line in enumerate(LINES):
        column = columns.index(f"{line.replace('_', ' ')} subsidy")
        mean = result.totals.subsidy_fen[:, :, j].sum(axis=1).mean()
        assert horizon[column] == f"¥{round(mean / 100):,}"


def _slice(totals: PathTotals, start: int, stop: int) -> PathTotals:
    return PathTotals(**{f.name: getattr(totals, f.name)[start:stop] for f in fields(PathTotals)})
