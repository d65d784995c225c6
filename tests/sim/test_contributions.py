"""Risk contributions: each bank's, sector's and size band's share of the payout's mean, p99 and
ES99 (Euler allocation on the tail paths), against shares and a semi-analytic computation."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest
from numpy.polynomial.hermite_e import hermegauss
from scipy.special import ndtr, ndtri
from scipy.stats import binom

import sim
from sim.column_stats import in_memory
from sim.contributions import column_names, contributions
from sim.fund_study import size_fund, write_outputs
from sim.runner import Plan, book_of

FIGURES = ("mean", "p99", "es99")


def contributions_of(scenario, paths: int, seed: int = 3) -> dict:
    result = sim.run(scenario, paths=paths, seed=seed)
    payout = result.net_payout_fen.sum(axis=1)
    groups = result.totals.group_payout_fen
    columns = {name: groups[:, i] for i, name in enumerate(column_names(scenario))}
    return contributions(scenario, book_of(scenario), in_memory(payout=payout, **columns), paths)


def test_each_kind_of_group_adds_up_to_the_payouts_own_mean_p99_and_es99():
    scenario = sim.load(Path(__file__).parents[2] / "sim" / "scenarios" / "beijing.toml")
    summary = size_fund(scenario, Plan(seed=4, engine="vector", paths=600)).summary
    payout, found = summary["payout_yuan"], summary["contributions"]
    for kind in ("bank", "sector", "size_band"):
        rows = found[f"by_{kind}"]
        for figure in FIGURES:
            assert sum(r[f"{figure}_yuan"] for r in rows) == pytest.approx(payout[figure], abs=0.05)
    assert sum(r["loans"] for r in found["by_size_band"]) == len(book_of(scenario).principal_fen)


def test_identical_independent_loans_split_between_two_banks_contribute_their_shares(
    make_scenario,
):
    scenario = make_scenario(
        portfolio={"banks": [{"name": "A", "share": 0.7}, {"name": "B", "share": 0.3}]},
        default={"pd_annual": 0.05, "asset_correlation": 0},
    )
    found = contributions_of(scenario, paths=20_000)
    a, b = found["by_bank"]
    assert (a["name"], a["loans"], b["loans"]) == ("A", 700, 300)
    for figure in FIGURES:
        total = a[f"{figure}_yuan"] + b[f"{figure}_yuan"]
        for row, share in ((a, 0.7), (b, 0.3)):
            assert row[f"{figure}_se_yuan"] > 0
            assert abs(row[f"{figure}_yuan"] - share * total) < 4 * row[f"{figure}_se_yuan"]


def semi_analytic(n: tuple[int, int], pd: tuple[float, float], rho: float, alpha: float = 0.01):
    """Defaults D1 + D2 of two sectors in the one-factor Gaussian model, by quadrature over Z:
    the p99 of D, and sector 1's expected defaults at the p99 and in the worst alpha (ES)."""
    z, w = hermegauss(120)
    w = w / w.sum()
    joint = np.zeros((n[0] + 1, n[1] + 1))
    for zi, wi in zip(z, w, strict=True):
        p = [ndtr((ndtri(q) - np.sqrt(rho) * zi) / np.sqrt(1 - rho)) for q in pd]
        joint += wi * np.outer(binom.pmf(np.arange(n[0] + 1), n[0], p[0]),
                               binom.pmf(np.arange(n[1] + 1), n[1], p[1]))  # fmt: skip
    d1 = np.arange(n[0] + 1)[:, None] + 0 * joint
    total = np.add.outer(np.arange(n[0] + 1), np.arange(n[1] + 1))
    pmf = np.bincount(total.ravel(), weights=joint.ravel())
    first = np.bincount(total.ravel(), weights=(d1 * joint).ravel())  # E[D1; D = d]
    var = int(np.searchsorted(np.cumsum(pmf), 1 - alpha - 1e-12))
    beyond = pmf[var + 1 :].sum()
    at_var = first[var] / pmf[var]
    es1 = (first[var + 1 :].sum() + (alpha - beyond) * at_var) / alpha
    return var, at_var, es1


def test_a_two_sector_portfolio_matches_the_semi_analytic_contributions(make_scenario):
    rho, pd = 0.2, (0.02, 0.06)
    scenario = make_scenario(
        portfolio={"loans": 200},
        default={
            "pd_annual": None,
            "asset_correlation": rho,
            "segments": [
                {"name": "software", "share": 0.5, "pd_annual": pd[0]},
                {"name": "biotech", "share": 0.5, "pd_annual": pd[1]},
            ],
        },
    )
    per_default = 600_000  # a ¥1m loan recovering 40%, compensated in full
    found = contributions_of(scenario, paths=40_000)
    software = found["by_sector"][0]
    var, at_var, es1 = semi_analytic((100, 100), pd, rho)
    p99 = sum(row["p99_yuan"] for row in found["by_sector"])
    assert p99 == pytest.approx(var * per_default, rel=0.1)
    expected_p99 = at_var / var * p99  # sector 1's share of the defaults at the p99
    assert abs(software["p99_yuan"] - expected_p99) < 4 * software["p99_se_yuan"] + 0.02 * p99
    assert abs(software["es99_yuan"] - es1 * per_default) < 4 * software["es99_se_yuan"]
    assert software["mean_yuan"] == pytest.approx(100 * pd[0] * per_default, rel=0.05)


def test_paths_csv_gives_each_banks_payout_when_asked(make_scenario, tmp_path):
    scenario = make_scenario(
        portfolio={"banks": [{"name": "ICBC", "share": 0.5}, {"name": "BOC", "share": 0.5}]},
    )
    sizing = size_fund(scenario, Plan(seed=1, engine="vector", paths=300))
    written = write_outputs(sizing, tmp_path, by=["bank"])
    with written["paths"].open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    for row in rows:
        by_bank = float(row["payout_bank_ICBC_yuan"]) + float(row["payout_bank_BOC_yuan"])
        assert by_bank == pytest.approx(float(row["payout_yuan"]), abs=0.01)
    assert "Who uses the fund" in written["report"].read_text(encoding="utf-8")
    assert written["contributions"].stat().st_size > 0
