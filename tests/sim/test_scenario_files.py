"""Scenario files: the documented keys work as written, and bad files fail with the key named."""

import subprocess
import sys
from pathlib import Path

import pytest

from market.domain.loss import Layer, Shortfall
from sim.distributions import Beta, Fixed, LogNormal
from sim.scenario import ScenarioError, load, parse

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "sim" / "scenarios" / "example.toml"


def test_the_example_scenario_reads_every_documented_key():
    scenario = load(EXAMPLE)
    assert (scenario.name, scenario.horizon_years, scenario.seed) == ("example", 3, 7)
    assert scenario.portfolio.loans == 2000
    assert scenario.portfolio.principal_yuan == LogNormal(median=3_000_000, sigma=0.6)
    assert scenario.default.segments[0].pd_annual == 0.02
    assert scenario.recovery.rate == Beta(mean=0.35, sd=0.2)
    assert scenario.recovery.delay_days == Fixed(180)
    assert scenario.auction.operators == 4 and scenario.auction.rounds == 2
    assert float(scenario.layers.reinsurance) == 0.25
    assert scenario.compensation.policy.cap_per_loan_fen == 1_000_000 * 100
    assert scenario.compensation.annual_budget_fen == 30_000_000 * 100
    assert scenario.compensation.shortfall is Shortfall.WAIT
    assert scenario.subsidy.interest_cap_fen == 500_000 * 100


def test_the_textbook_case_can_be_stated(make_scenario):
    scenario = make_scenario()
    assert scenario.recovery.rate == Fixed(0.4)
    assert scenario.compensation.policy.ratio_of(Layer.BANK) == 1
    assert scenario.compensation.policy.ratio_of(Layer.AGENCY) == 0


def test_segments_can_replace_a_single_pd(make_scenario):
    segments = [
        {"name": "patents", "share": 0.75, "pd_annual": 0.01},
        {"name": "trademarks", "share": 0.25, "pd_annual": 0.05},
    ]
    scenario = make_scenario(default={"pd_annual": None, "segments": segments})
    assert [s.name for s in scenario.default.segments] == ["patents", "trademarks"]


def test_a_loan_file_is_read_relative_to_the_scenario(tmp_path):
    (tmp_path / "loans.csv").write_text(
        "principal_yuan,rate\n1000000,0.05\n2500000.50,\n", encoding="utf-8"
    )
    text = EXAMPLE.read_text(encoding="utf-8").replace("loans = 2000 ", 'file = "loans.csv"')
    (tmp_path / "book.toml").write_text(text, encoding="utf-8")
    rows = load(tmp_path / "book.toml").portfolio.rows
    assert [(r.principal_fen, r.rate) for r in rows] == [(100_000_000, 0.05), (250_000_050, 0.045)]


BAD_FILES = {
    "unknown key": ("[portfolio]", "[portfolio]\ncolour = 3", "portfolio.colour"),
    "shares not summing to 1": ("bank = 0.4", "bank = 0.5", "layers"),
    "negative PD": ("pd_annual = 0.02 ", "pd_annual = -0.02", "default.pd_annual"),
    "correlation of 1": (
        "asset_correlation = 0.15",
        "asset_correlation = 1.0",
        "default.asset_correlation",
    ),
    "negative correlation": (
        "asset_correlation = 0.15",
        "asset_correlation = -0.1",
        "default.asset_correlation",
    ),
    "start price below the rules": (
        "start_share = 0.7",
        "start_share = 0.5",
        "auction.start_share",
    ),
    "unknown distribution": ('dist = "beta"', 'dist = "gamma"', "recovery.rate.dist"),
    "bad shortfall policy": ('shortfall = "wait"', 'shortfall = "queue"', "compensation.shortfall"),
    "missing loan file": ("loans = 2000 ", 'file = "nowhere.csv"', "portfolio.file"),
}


@pytest.mark.parametrize("case", BAD_FILES, ids=list(BAD_FILES))
def test_a_bad_scenario_file_names_the_key_and_exits_with_2(tmp_path, case):
    old, new, key = BAD_FILES[case]
    text = EXAMPLE.read_text(encoding="utf-8")
    assert old in text
    path = tmp_path / "bad.toml"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    with pytest.raises(ScenarioError) as error:
        load(path)
    assert error.value.key == key
    done = _cli(path)
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
    assert key in done.stderr


def test_a_missing_scenario_file_exits_with_2(tmp_path):
    done = _cli(tmp_path / "absent.toml")
    assert done.returncode == 2
    assert "no such scenario file" in done.stderr and "Traceback" not in done.stderr


def test_a_file_that_is_not_toml_exits_with_2(tmp_path):
    path = tmp_path / "broken.toml"
    path.write_text("name = \n", encoding="utf-8")
    done = _cli(path)
    assert (
        done.returncode == 2 and "not valid TOML" in done.stderr and "Traceback" not in done.stderr
    )


def test_both_pd_and_segments_is_an_error():
    data = {
        "portfolio": {"loans": 1, "principal_yuan": 1},
        "default": {"pd_annual": 0.1, "segments": []},
    }
    with pytest.raises(ScenarioError, match="default.pd_annual"):
        parse(data)


def _cli(path: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "sim", "run", str(path), "--paths", "10"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
    )
