"""Auction study: dispose of one asset (appraised value 1) many times and summarise the revenue.

    ipd-simulate-auctions --bidders 3 --values uniform --reserve 0.5 --rounds 1 \
        --cut 0.2 --paths 100000 --seed 1 --out out/auctions

(in a checkout, `python scripts/simulate_auctions.py ...` is the same). Writes OUT/summary.json and OUT/revenue.png, and for one round with uniform values prints the closed
forms of auction theory next to the simulated figures.
"""

from __future__ import annotations

import argparse
import json
import math
from pathlib import Path

import matplotlib
import numpy as np

from sim.auction import AuctionDesign, Bidding, one_round_uniform_theory, run_auctions

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402  (the backend must be chosen first)

BLOCK = 1_000_000  # paths per seed block: memory stays bounded and results do not depend on machine size


def main(argv: list[str] | None = None) -> int:
    """Run the study and write the summary and chart."""
    args = _parser().parse_args(argv)
    design = AuctionDesign(
        start_share=args.reserve,
        cut=args.cut,
        rounds=args.rounds,
        negotiated_sale=args.negotiated,
        bidding=Bidding(args.bidders, args.bidder_count == "fixed", args.values, args.sigma),
    )
    revenue, route, rounds_held = simulate(design, args.paths, args.seed)
    summary = summarise(revenue, route, rounds_held, design)
    summary["settings"] = vars(args) | {"out": str(args.out)}
    theory = closed_form(design)
    if theory is not None:
        summary["closed_form"] = theory
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "summary.json").write_text(json.dumps(summary, indent=2), encoding="utf-8")
    chart(revenue, route, design, args.out / "revenue.png")
    print(report(summary))
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--bidders", type=float, required=True, help="bidders per round (count, or Poisson mean)"
    )
    parser.add_argument("--bidder-count", choices=("fixed", "poisson"), default="fixed")
    parser.add_argument("--values", choices=("uniform", "lognormal"), default="uniform")
    parser.add_argument("--sigma", type=float, default=0.5, help="sigma of lognormal values")
    parser.add_argument(
        "--reserve", type=float, default=0.7, help="first start price / appraised value"
    )
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--cut", type=float, default=0.2, help="price cut after a failed round")
    parser.add_argument(
        "--negotiated", action="store_true", help="add a negotiated sale after the last round"
    )
    parser.add_argument("--paths", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, required=True)
    return parser


def simulate(
    design: AuctionDesign, paths: int, seed: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Revenue (share of appraisal), route and rounds held for each path, in seed blocks of BLOCK paths."""
    seeds = np.random.SeedSequence(seed).spawn(math.ceil(paths / BLOCK))
    parts = []
    for b, block_seed in enumerate(seeds):
        size = min(BLOCK, paths - b * BLOCK)
        outcome = run_auctions(np.random.default_rng(block_seed), np.ones(size), design)
        parts.append((outcome.price_share, outcome.route, outcome.rounds_held))
    return tuple(np.concatenate([p[i] for p in parts]) for i in range(3))


def summarise(
    revenue: np.ndarray, route: np.ndarray, rounds_held: np.ndarray, design: AuctionDesign
) -> dict:
    """The study's figures; revenue counts an unsold asset as 0."""
    p5, p50, p95 = np.percentile(revenue, [5, 50, 95])
    return {
        "expected_revenue": float(revenue.mean()),
        "revenue_se": float(revenue.std(ddof=1) / math.sqrt(revenue.size))
        if revenue.size > 1
        else 0.0,
        "p_sold": float(np.mean(route > 0)),
        "mean_rounds": float(rounds_held.mean()),
        "revenue_p5": float(p5),
        "revenue_p50": float(p50),
        "revenue_p95": float(p95),
        "sold_in_round": {str(k): float(np.mean(route == k)) for k in range(1, design.rounds + 1)},
        "p_negotiated_sale": float(np.mean(route == design.rounds + 1)),
        "paths": int(revenue.size),
    }


def closed_form(design: AuctionDesign) -> dict | None:
    """Auction theory for one round with uniform values: E[revenue] and P(no sale), fixed or Poisson bidders."""
    if design.rounds != 1 or design.bidding.values != "uniform" or design.negotiated_sale:
        return None
    reserve, mean = design.start_share, design.bidding.bidders_mean
    if design.bidding.fixed_count:
        revenue, no_sale = one_round_uniform_theory(int(mean), reserve)
    else:  # average the fixed-n forms over Poisson(mean) bidders; no bidder: no sale
        revenue, no_sale = 0.0, math.exp(-mean)
        for n in range(1, int(mean + 12 * math.sqrt(mean) + 30)):
            weight = math.exp(-mean + n * math.log(mean) - math.lgamma(n + 1))
            r, ns = one_round_uniform_theory(n, reserve)
            revenue, no_sale = revenue + weight * r, no_sale + weight * ns
    return {"expected_revenue": revenue, "p_no_sale": no_sale, "p_sold": 1 - no_sale}


def chart(revenue: np.ndarray, route: np.ndarray, design: AuctionDesign, path: Path) -> None:
    """Histogram of the revenue of sold assets, and where assets sold."""
    figure, (left, right) = plt.subplots(1, 2, figsize=(10, 4))
    left.hist(revenue[route > 0], bins=60, color="tab:blue")
    left.set_xlabel("price / appraised value (sold assets)")
    left.set_ylabel("assets")
    labels = [f"round {k}" for k in range(1, design.rounds + 1)] + ["negotiated", "unsold"]
    shares = [np.mean(route == k) for k in range(1, design.rounds + 2)] + [np.mean(route == 0)]
    right.bar(labels, shares, color="tab:orange")
    right.set_ylabel("share of assets")
    figure.suptitle(
        f"{design.bidding.bidders_mean:g} bidders ({design.bidding.values}), reserve {design.start_share:g}"
    )
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)


def report(summary: dict) -> str:
    """What to print: the figures, and the closed forms beside them when they apply."""
    lines = [
        f"expected revenue {summary['expected_revenue']:.4f} (se {summary['revenue_se']:.4f}), "
        f"P(sold) {summary['p_sold']:.4f}, mean rounds {summary['mean_rounds']:.3f}",
        f"revenue p5 {summary['revenue_p5']:.4f}  p50 {summary['revenue_p50']:.4f}  p95 {summary['revenue_p95']:.4f}",
    ]
    theory = summary.get("closed_form")
    if theory:
        lines.append(
            f"closed form (one round, uniform values): expected revenue {theory['expected_revenue']:.4f}, "
            f"P(no sale) {theory['p_no_sale']:.4f}  [simulated {1 - summary['p_sold']:.4f}]"
        )
    return "\n".join(lines)
