"""The example scenario files say where every number comes from, and what they quote of the model
("# model: name ≈ value" lines) is what the model gives, to within 10%."""

import re
from pathlib import Path

import numpy as np
import pytest

import sim
from sim import vector
from sim.runner import block_seed, book_of

SCENARIOS = sorted((Path(__file__).resolve().parents[2] / "sim" / "scenarios").glob("*.toml"))
SOURCES = ("seed 00", "DOMAIN.md", "rules.py", "assumption")
QUOTE = re.compile(r"(\w+) ≈ ([\d.]+)")


@pytest.mark.parametrize("path", SCENARIOS, ids=[p.stem for p in SCENARIOS])
def test_every_number_says_where_it_comes_from(path):
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        value, _, comment = line.partition("#")
        if "=" in value and re.search(r"\d", value.partition("=")[2]):
            assert any(source in comment for source in SOURCES), f"{path.name}:{number}: {line}"


@pytest.mark.parametrize("path", SCENARIOS, ids=[p.stem for p in SCENARIOS])
def test_the_model_gives_the_numbers_the_comments_quote(path):
    quoted = {
        name: float(value)
        for line in path.read_text(encoding="utf-8").splitlines()
        if line.startswith("# model:")
        for name, value in QUOTE.findall(line)
    }
    assert quoted, f"{path.name} quotes nothing of the model"
    found = model_figures(sim.load(path))
    for name, value in quoted.items():
        assert found[name] == pytest.approx(value, rel=0.1), name


def model_figures(scenario: sim.Scenario, paths: int = 4000) -> dict[str, float]:
    """What the comments may quote, from one block of `paths` paths of the vector engine."""
    book, seed, years = book_of(scenario), block_seed(scenario.seed, 0), scenario.horizon_years
    cases = vector.draw_cases(scenario, book, seed, paths)
    totals = vector.run_block(scenario, book, seed, paths)
    defaults_per_year = cases.loan.size / paths / years
    operator_days = float(np.mean(cases.disposals.operator_days)) if cases.loan.size else 0.0
    return {
        "loans_over_horizon": book.size,
        "exposure_yuan": book.exposure_fen(years - 1) / 100,
        "eligible_loans": int(book.eligible.sum()),
        "defaults_per_year": defaults_per_year,
        "operator_days": operator_days,
        "operators_busy": defaults_per_year * operator_days / 365,
        "loss_given_default": totals.principal_loss_fen.sum()
        / book.principal_fen[cases.loan].sum(),
    }
