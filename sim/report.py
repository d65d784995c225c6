"""The bureau's report: the headline sentence and a self-contained HTML page (charts inlined, no CDN)."""

from __future__ import annotations

import base64
import html

STYLE = """
body { font-family: system-ui, sans-serif; max-width: 60rem; margin: 2rem auto; color: #1a202c; }
.headline { font-size: 1.25rem; background: #ebf8ff; border-left: 4px solid #2b6cb0; padding: 1rem; }
table { border-collapse: collapse; margin: 1rem 0; }
td, th { border-bottom: 1px solid #e2e8f0; padding: 0.3rem 0.8rem; text-align: right; }
td:first-child, th:first-child { text-align: left; }
img { max-width: 100%; }
.note { color: #4a5568; font-size: 0.9rem; }
"""


def yuan(amount: float) -> str:
    """Whole yuan with thousands separators: 1234567.8 -> "¥1,234,568"."""
    return f"¥{amount:,.0f}"


def probability(p: float) -> str:
    """A probability as a percentage, with more digits when it is small but not zero."""
    if p == 0:
        return "0%"
    return f"{p:.2%}" if p < 0.001 else f"{p:.1%}"


def headline(summary: dict) -> str:
    """The answer in one sentence: the budget, its interval, and whether the current budget suffices."""
    budget, years = summary["budget"], summary["horizon_years"]
    low, high = budget["recommended_ci_yuan"]
    span = f"{years} year" + ("s" if years != 1 else "")
    answer = (
        f"To pay all compensation and subsidies in {budget['confidence']:.0%} of simulated futures, "
        f"budget {yuan(budget['recommended_yuan'])} over {span} "
        f"({budget['recommended_ci_level']:.0%} CI {yuan(low)}–{yuan(high)}); "
    )
    current = budget["current"]
    if current["annual_budget_yuan"] is None and current["initial_balance_yuan"] is None:
        return (
            answer + "your scenario sets no budget or balance for the fund, so it cannot run out."
        )
    parts = []
    if current["annual_budget_yuan"] is not None:
        parts.append(f"budget of {yuan(current['annual_budget_yuan'])} a year")
    if current["initial_balance_yuan"] is not None:
        parts.append(f"balance of {yuan(current['initial_balance_yuan'])}")
    p = budget["exhaustion_probability"]
    chance = probability(p) + (f" (in none of the {summary['paths']:,} futures)" if p == 0 else "")
    return answer + f"your current {' with a '.join(parts)} runs out with probability {chance}."


def key_figures(summary: dict) -> list[tuple[str, str]]:
    """The numbers under the headline, as (what it is, value) rows."""
    payout, budget, se = summary["payout_yuan"], summary["budget"], summary["mc_standard_error"]
    conf = f"{budget['confidence']:.0%}"
    leverage = budget["leverage"]
    return [
        ("Loans in the programme over the horizon", f"{yuan(summary['exposure_yuan'])}"),
        ("Defaults over the horizon: mean / 99th percentile", f"{summary['defaults']['mean']:.1f} / {summary['defaults']['p99']:.0f}"),
        ("Principal lost: mean / 99th percentile", f"{yuan(summary['principal_loss_yuan']['mean'])} / {yuan(summary['principal_loss_yuan']['p99'])}"),
        ("Fund payouts: mean (± MC standard error)", f"{yuan(payout['mean'])} (± {yuan(se['payout_mean_yuan'] or 0)})"),
        ("Fund payouts: 95th / 99th / 99.9th percentile", f"{yuan(payout['p95'])} / {yuan(payout['p99'])} / {yuan(payout['p999'])}"),
        ("Fund payouts: expected shortfall at 99%", yuan(payout["es99"])),
        ("Interest subsidies: mean / 99th percentile", f"{yuan(summary['subsidy_yuan']['mean'])} / {yuan(summary['subsidy_yuan']['p99'])}"),
        (f"Recommended budget over the horizon ({conf})", yuan(budget["recommended_yuan"])),
        (f"Same budget every year, covering each year ({conf})", yuan(budget["recommended_annual_yuan"])),
        ("Current fund runs out (probability)", probability(budget["exhaustion_probability"])),
        ("Current fund: mean left unpaid within the horizon", yuan(budget["unpaid_mean_yuan"])),
        ("Leverage: loans backed per yuan of recommended budget", "—" if leverage is None else f"{leverage:.1f}x"),
    ]  # fmt: skip


def render(summary: dict, charts: dict[str, bytes]) -> str:
    """The whole report as one HTML page (the charts inlined as PNG)."""
    title = f"Fund sizing: {summary['scenario']}"
    rows = "".join(
        f"<tr><td>{html.escape(name)}</td><td>{html.escape(value)}</td></tr>"
        for name, value in key_figures(summary)
    )
    captions = {
        "distribution": "How much the programme costs over the horizon, across simulated futures.",
        "budget_curve": "Read off a budget: the chance that payouts plus subsidies exceed it.",
        "by_year": "Fund payouts year by year.",
        "by_layer": "Who is compensated: payouts by layer.",
        "sensitivity": "What moves the recommended budget most (each input moved by 20%, same seed).",
    }
    figures = "".join(
        f"<figure><img alt='{name}' src='data:image/png;base64,{base64.b64encode(png).decode()}'>"
        f"<figcaption>{html.escape(captions.get(name, name))}</figcaption></figure>"
        for name, png in charts.items()
    )
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}</title>
<style>{STYLE}</style></head><body>
<h1>{html.escape(title)}</h1>
<p class="headline">{html.escape(headline(summary))}</p>
<table>{rows}</table>
{figures}
{_sensitivity_table(summary.get("sensitivity"))}
{_centre_section(summary)}
<p class="note">{html.escape(_how_run(summary))}</p>
</body></html>
"""


def _sensitivity_table(sensitivity: dict | None) -> str:
    if not sensitivity:
        return ""
    rows = "".join(
        f"<tr><td>{html.escape(row['label'])}</td><td>{yuan(row['recommended_low_yuan'])}</td>"
        f"<td>{yuan(row['recommended_high_yuan'])}</td></tr>"
        for row in sensitivity["inputs"]
    )
    step = sensitivity["step"]
    return (
        f"<h2>Sensitivity</h2><p>On {sensitivity['paths']:,} futures with the same seed, the "
        f"recommended budget is {yuan(sensitivity['base_recommended_yuan'])} with the inputs as "
        f"given; each input moved down and up by {step:.0%}:</p>"
        f"<table><tr><th>input</th><th>x {1 - step:g}</th><th>x {1 + step:g}</th></tr>{rows}</table>"
    )


def _how_run(summary: dict) -> str:
    return (
        f"{summary['paths']:,} simulated futures, {summary['engine']} engine, seed {summary['seed']} "
        f"(seed blocks of {summary['chunk_paths']} paths); the same command gives the same numbers. "
        "Payouts are read with no limit on the fund (what it would have to pay); the current fund's "
        "chance of running out is simulated with its own budget and balance on the same futures."
    )


def centre_note(summary: dict) -> str:
    """One plain sentence when the trading centre is overloaded (mean utilisation above 0.9), else ""."""
    centre = summary.get("centre")
    if not centre or not centre["overloaded"]:
        return ""
    needed = centre["utilisation"]["mean"] * centre["operators"]
    return (
        f"The trading centre is overloaded: its cases need {needed:.1f} operators on average and it "
        f"has {centre['operators']}, so disposals and the claims that follow them are late, and "
        f"{summary['pending_at_horizon']['claims']['mean']:.1f} claims a future are still pending at "
        "the horizon."
    )


def _centre_section(summary: dict) -> str:
    centre, pending = summary.get("centre"), summary.get("pending_at_horizon")
    if not pending:
        return ""
    claims, amount = pending["claims"], pending["yuan"]
    rows = [
        (
            "Claims still pending at the horizon: mean / 99th percentile",
            f"{claims['mean']:.1f} / {claims['p99']:.0f}",
        ),
        ("Their amount: mean / 99th percentile", f"{yuan(amount['mean'])} / {yuan(amount['p99'])}"),
    ]
    if centre and centre["operators"] is not None:
        rows = [
            ("Operators", f"{centre['operators']}"),
            (
                "Utilisation (work filed / capacity): mean / 99th percentile",
                f"{centre['utilisation']['mean']:.2f} / {centre['utilisation']['p99']:.2f}",
            ),
            (
                "Wait for an operator, days: mean / 95th percentile (path means)",
                f"{centre['wait_mean_days']['mean']:.0f} / {centre['wait_p95_days']['mean']:.0f}",
            ),
            (
                "Cases still waiting at the horizon: mean / 99th percentile",
                f"{centre['waiting_at_horizon']['mean']:.1f} / {centre['waiting_at_horizon']['p99']:.0f}",
            ),
            *rows,
        ]
    table = "".join(f"<tr><td>{html.escape(k)}</td><td>{html.escape(v)}</td></tr>" for k, v in rows)
    note = centre_note(summary)
    return f"<h2>Trading centre</h2>{f'<p>{html.escape(note)}</p>' if note else ''}<table>{table}</table>"
