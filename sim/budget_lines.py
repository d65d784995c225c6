"""The bureau's budget lines and pots: compensation and each subsidy apart, and which pot pays which.

A budget line is one thing the bureau pays for (compensation, the interest subsidy, ...); each gets
its own recommended amount at the chosen confidence, with the same order-statistic interval as the
total. A pot is money the scenario sets aside: the fund's budget and balance ([compensation]) pay
compensation, the subsidy budget ([subsidy] annual_budget_yuan) pays the subsidies, or, with
`[compensation] joint_pot = true`, the fund pays both. A pot's chance of running short is read for
exactly the lines it pays, and its recommended amount is read for the same quantity (their sum).
"""

from __future__ import annotations

import math

from sim.column_stats import Chunks, Moments, Tally, above, order_statistics
from sim.model import Scenario
from sim.subsidy import used_lines

LABELS = {
    "compensation": "compensation",
    "interest_subsidy": "interest subsidy",
    "appraisal_fee_subsidy": "appraisal-fee subsidy",
    "premium_subsidy": "premium subsidy",
    "subsidies": "subsidies",
    "fund": "the fund (compensation and subsidies)",
}


def line_columns(scenario: Scenario) -> dict[str, str]:
    """The budget lines the scenario has, each with the per-path column it is read from."""
    names = ["compensation", *(f"{line}_subsidy" for line in used_lines(scenario.subsidy))]
    return {name: column_of(name) for name in names}


def column_of(line: str) -> str:
    """The per-path column (sim.path_figures) a budget line is read from."""
    return "payout" if line == "compensation" else f"subsidy {line.removesuffix('_subsidy')}"


def pot_columns(scenario: Scenario) -> dict[str, tuple[str, list[str]]]:
    """The pots: each with the column of what it pays (the sum of its lines) and those lines."""
    lines = list(line_columns(scenario))
    if scenario.compensation.joint_pot:
        return {"fund": ("total", lines)}
    pots = {"compensation": ("payout", ["compensation"])}
    if len(lines) > 1:
        pots["subsidies"] = ("subsidy", lines[1:])
    return pots


def budget_lines(
    scenario: Scenario,
    chunks: Chunks,
    m: dict[str, Moments],
    confidence: float,
    ranks: tuple[int, int, int],
    tally: Tally | None = None,
) -> dict[str, list[dict]]:
    """Each line's and each pot's recommended amount (over the horizon and a year) and interval,
    and each pot's current money and its chance of running short (`ranks`: cover, low, high;
    `tally`: the columns' sketches, see sim.column_stats.order_statistics)."""
    n = m["payout"].n
    cover, low, high = ranks
    lines, pots = line_columns(scenario), pot_columns(scenario)
    columns = set(lines.values()) | {column for column, _ in pots.values()}
    wanted = {c: [cover, low, high] for c in columns}
    wanted |= {_worst(c): [cover] for c in columns}
    at = order_statistics(chunks, wanted, tally=tally)

    def figures(column: str) -> dict:
        return {
            "mean_yuan": _yuan(m[column].mean),
            "recommended_yuan": _yuan(at[column][cover]),
            "recommended_ci_yuan": [_yuan(at[column][low]), _yuan(at[column][high])],
            "recommended_annual_yuan": _yuan(at[_worst(column)][cover]),
        }

    return {
        "lines": [
            {"line": name, "label": LABELS[name], "pot": _pot_of(name, pots)} | figures(column)
            for name, column in lines.items()
        ],
        "pots": [
            {"pot": name, "label": LABELS[name], "lines": paid}
            | figures(column)
            | _current(scenario, name, chunks, m, n)
            for name, (column, paid) in pots.items()
        ],
    }


def _current(scenario: Scenario, pot: str, chunks: Chunks, m: dict[str, Moments], n: int) -> dict:
    """The pot's current money in the scenario and the share of futures in which it runs short."""
    comp = scenario.compensation
    if pot == "subsidies":
        budget = scenario.subsidy.annual_budget_fen
        current = {"annual_budget_yuan": _optional_yuan(budget)}
        if budget is None:
            return {"current": current, "limited": False, "exhaustion_probability": 0.0}
        p = above(chunks, {"subsidy worst_year": budget})["subsidy worst_year"][0] / n
        return {
            "current": current,
            "limited": True,
            "exhaustion_probability": p,
            "exhaustion_se": math.sqrt(p * (1 - p) / n),
        }
    p = m["exhausted"].mean
    return {
        "current": {
            "annual_budget_yuan": _optional_yuan(comp.annual_budget_fen),
            "initial_balance_yuan": _optional_yuan(comp.initial_balance_fen),
            "annual_contribution_yuan": _yuan(comp.annual_contribution_fen),
        },
        "limited": comp.annual_budget_fen is not None or comp.initial_balance_fen is not None,
        "exhaustion_probability": p,
        "exhaustion_se": math.sqrt(p * (1 - p) / n),
        "unpaid_mean_yuan": _yuan(m["unpaid"].mean),
    }


def _pot_of(line: str, pots: dict[str, tuple[str, list[str]]]) -> str:
    return next(name for name, (_, paid) in pots.items() if line in paid)


def _worst(column: str) -> str:
    return "worst_year" if column == "total" else f"{column} worst_year"


def _yuan(fen: float) -> float:
    return round(float(fen) / 100, 2)


def _optional_yuan(fen: int | None) -> float | None:
    return None if fen is None else _yuan(fen)
