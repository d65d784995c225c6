"""The auction model, stripped down, reproduces auction theory; the study script runs end to end."""

import json
import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from sim.auction import (
    AuctionDesign,
    Bidding,
    one_round_uniform_theory,
    run_auctions,
    start_share_of_round,
)

ROOT = Path(__file__).resolve().parents[2]
PATHS = 200_000


@pytest.mark.parametrize(("bidders", "reserve"), [(1, 0.3), (2, 0.0), (2, 0.5), (3, 0.5), (5, 0.7)])
def test_one_round_with_uniform_values_matches_the_closed_forms(bidders, reserve):
    design = AuctionDesign(
        reserve, cut=0.2, rounds=1, bidding=Bidding(bidders, True, "uniform"), negotiated_sale=False
    )
    outcome = run_auctions(
        np.random.default_rng(bidders * 100 + int(reserve * 10)), np.ones(PATHS), design
    )
    revenue, no_sale = one_round_uniform_theory(bidders, reserve)
    se_revenue = outcome.price_share.std(ddof=1) / math.sqrt(PATHS)
    se_no_sale = math.sqrt(max(no_sale * (1 - no_sale), 1e-12) / PATHS)
    assert abs(outcome.price_share.mean() - revenue) <= 4 * se_revenue
    assert abs(np.mean(outcome.route == 0) - no_sale) <= 4 * se_no_sale + 1e-9


def test_a_failed_round_is_followed_by_one_at_the_cut_price():
    design = AuctionDesign(
        0.7, cut=0.2, rounds=3, bidding=Bidding(1, True, "uniform"), negotiated_sale=False
    )
    assert [round(start_share_of_round(design, k), 6) for k in (1, 2, 3)] == [0.7, 0.56, 0.448]
    outcome = run_auctions(np.random.default_rng(3), np.ones(PATHS), design)
    # one uniform bidder: round k sells with probability 1 - start_k, and always at start_k
    for k, start in enumerate([0.7, 0.56, 0.448], start=1):
        sold = outcome.route == k
        assert np.allclose(outcome.price_share[sold], start)
    expected_first = 1 - 0.7
    assert abs(np.mean(outcome.route == 1) - expected_first) < 4 * math.sqrt(0.21 / PATHS)


def test_bad_years_lower_bidder_values():
    design = AuctionDesign(0.7, 0.2, 2, Bidding(2.5), negotiated_sale=True)
    good = run_auctions(np.random.default_rng(1), np.full(50_000, 1.2), design).price_share.mean()
    bad = run_auctions(np.random.default_rng(1), np.full(50_000, 0.8), design).price_share.mean()
    assert bad < good


def test_the_auction_study_script_writes_a_summary_and_a_chart(tmp_path):
    out = tmp_path / "study"
    done = subprocess.run(
        [
            sys.executable,
            str(ROOT / "scripts" / "simulate_auctions.py"),
            "--bidders",
            "3",
            "--values",
            "uniform",
            "--reserve",
            "0.5",
            "--rounds",
            "1",
            "--cut",
            "0.2",
            "--paths",
            "20000",
            "--seed",
            "4",
            "--out",
            str(out),
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    for key in (
        "expected_revenue",
        "p_sold",
        "mean_rounds",
        "revenue_p5",
        "revenue_p50",
        "revenue_p95",
    ):
        assert key in summary
    assert abs(summary["expected_revenue"] - 0.53125) < 4 * summary["revenue_se"]
    assert (out / "revenue.png").stat().st_size > 1000
    assert "closed form" in done.stdout and "0.5312" in done.stdout
