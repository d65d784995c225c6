"""Scenario files: the documented keys work as written, and bad files fail with the key named."""

import subprocess
import sys
from pathlib import Path

import pytest

from market.domain.loss import Layer, Shortfall
from sim.distributions import Beta, Fixed, LogNormal
from sim.scenario import ScenarioError, load, parse
from sim.scenario_keys import KEYS

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "sim" / "scenarios" / "example.toml"


def test_the_example_scenario_reads_every_documented_key():
    scenario = load(EXAMPLE)
    assert (scenario.name, scenario.horizon_years, scenario.seed) == ("example", 3, 7)
    assert scenario.portfolio.loans == 2000
    principal = scenario.portfolio.principal_yuan
    assert isinstance(principal, LogNormal) and (principal.median, principal.sigma) == (3e6, 0.6)
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
    "a budget beyond int64 fen": (
        "annual_budget_yuan = 30000000",
        "annual_budget_yuan = 1e17",
        "compensation.annual_budget_yuan",
    ),
    "a loan of 1e30 yuan": (
        'principal_yuan = {dist = "lognormal", median = 3000000, sigma = 0.6}',
        'principal_yuan = {dist = "fixed", value = 1e30}',
        "portfolio.principal_yuan.value",
    ),
    "a lognormal loan above the largest": (
        "median = 3000000",
        "median = 3e12",
        "portfolio.principal_yuan.median",
    ),
    "a book no sum can hold": ("loans = 2000 ", "loans = 100000000 ", "portfolio.loans"),
    "a misspelt key": ("loans = 2000 ", "loan = 1000 ", "portfolio.loan"),
    "a misspelt key beside a bad value": (
        "pd_annual = 0.02 ",
        "pd_annual = -1\npd_anual = 1",
        "default.pd_anual",
    ),
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


def test_an_unknown_key_is_named_with_the_nearest_known_one_before_anything_else(tmp_path):
    path = tmp_path / "typo.toml"
    text = EXAMPLE.read_text(encoding="utf-8").replace("loans = 2000 ", "loan = 1000 ")
    path.write_text(text.replace("pd_annual = 0.02 ", "pd_annual = -1 "), encoding="utf-8")
    done = _cli(path)
    assert done.returncode == 2
    assert done.stderr == f"error: {path}: unknown key portfolio.loan (did you mean loans?)\n"


def test_growth_that_takes_the_book_beyond_what_can_be_summed_is_refused(tmp_path):
    text = EXAMPLE.read_text(encoding="utf-8").replace("growth = 0.20 ", "growth = 3 ")
    path = tmp_path / "growth.toml"
    path.write_text(text.replace("horizon_years = 3", "horizon_years = 8"), encoding="utf-8")
    done = _cli(path)
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert done.stderr.startswith(f"error: {path}: portfolio.growth: 32,768,000 loans over 8 year(s)")


def test_an_empty_file_says_it_is_empty(tmp_path):
    path = tmp_path / "empty.toml"
    path.write_text("# nothing yet\n", encoding="utf-8")
    done = _cli(path)
    assert done.returncode == 2 and done.stderr.strip().endswith(
        "the file is empty (it sets no keys)"
    )


def test_a_block_too_big_for_memory_gets_fewer_paths_and_says_so():
    done = _cli(EXAMPLE, "--max-memory-mb", "121", "--chunk-paths", "1000")
    assert done.returncode == 0, done.stderr
    assert done.stderr.startswith("note: --chunk-paths lowered from 1000 to ")


def test_a_book_too_big_for_memory_even_a_path_at_a_time_is_refused():
    done = _cli(EXAMPLE, "--max-memory-mb", "100")
    assert done.returncode == 2
    assert done.stderr.splitlines() == [
        f"error: {EXAMPLE}: portfolio.loans: 2,880 loans over 3 year(s) need about 121 MB, "
        "above the limit of 100 MB a process (--max-memory-mb)"
    ]


def test_the_memory_estimate_grows_with_loans_pd_and_paths(make_scenario):
    from sim.limits import estimated_bytes, fit_chunk_paths

    small = make_scenario()
    riskier = make_scenario(default={"pd_annual": 0.2})
    assert estimated_bytes(small, 2000) > estimated_bytes(small, 1000)
    assert estimated_bytes(riskier, 1000) > estimated_bytes(small, 1000)
    assert fit_chunk_paths(small, 1000, 1024) == 1000
    assert fit_chunk_paths(riskier, 10**6, 1024) < 10**6


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


def _cli(path: Path, *options: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "sim", "run", str(path), "--paths", "10", *options],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
    )


def test_every_key_of_the_format_can_be_given(make_scenario):
    auction_keys = KEYS["auction"]
    scenario = make_scenario(
        recovery={"model": "auction"},
        auction={"bidder_count": "fixed", "bidders_mean": 2} | {k: 1 for k in ("filing_days", "notice_days", "renotice_days", "round_days", "negotiated_days", "fallback_days", "rounds", "operators")},
        compensation={"joint_pot": True, "claim_days": 90, "payment_lag_days": 5, "settlements_per_year": 12, "annual_contribution_yuan": 1, "cap_per_loan_yuan": 9, "cap_per_institution_year_yuan": 9, "cap_per_layer_yuan": {"bank": 5}},
        subsidy={"interest_share": 0.4, "interest_cap_yuan": 1, "appraisal_fee_rate": 0.01, "appraisal_fee_share": 0.5, "appraisal_fee_cap_yuan": 1, "premium_rate": 0.01, "premium_share": 0.5, "premium_cap_yuan": 1, "eligible_share": 0.5, "eligible_segments": ["all"]},
    )  # fmt: skip
    assert scenario.compensation.joint_pot and scenario.subsidy.eligible_segments == ("all",)
    assert set(auction_keys) >= {"bidder_count", "operators", "fallback_share"}
    with pytest.raises(ScenarioError, match="joint_pot"):
        make_scenario(compensation={"joint_pot": True}, subsidy={"annual_budget_yuan": 1})
