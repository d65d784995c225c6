"""The bureau's report: the headline sentence and a self-contained HTML page (charts inlined, no CDN)."""

from __future__ import annotations

import base64
import html

from sim import calibration_report

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
    """The answer, a sentence per pot: each budget line with its interval, and whether the money the
    scenario sets aside for the pot paying it runs short (the pot's own lines, nothing else)."""
    budget, years = summary["budget"], summary["horizon_years"]
    span = f"{years} year" + ("s" if years != 1 else "")
    level = f"{budget['recommended_ci_level']:.0%} CI"
    lines = {line["line"]: line for line in budget["lines"]}
    sentences = []
    for pot in budget["pots"]:
        parts = [_line_phrase(lines[name], span, level) for name in pot["lines"]]
        eligible = summary.get("subsidy_eligible_loans")
        if eligible is not None and pot["lines"][-1] != "compensation":
            parts[-1] += f", for {eligible:,} eligible loans"
        if len(pot["lines"]) > 1 and pot["pot"] == "fund":
            parts.append(f"together {_budget_phrase(pot, level)}")
        sentences.append("; ".join(parts) + _pot_phrase(pot, summary["paths"]))
    opening = f"At {budget['confidence']:.0%} confidence over {span}, "
    total = (
        f" All lines together: {yuan(budget['recommended_yuan'])} "
        f"({level} {yuan(budget['recommended_ci_yuan'][0])}–{yuan(budget['recommended_ci_yuan'][1])})."
        if len(lines) > 1 and len(budget["pots"]) > 1  # one joint pot already gave the total
        else ""
    )
    return opening + " ".join(_capitalised(s, i) for i, s in enumerate(sentences)) + total


def _line_phrase(line: dict, span: str, level: str) -> str:
    if line["line"] == "compensation":
        return f"compensation: {_budget_phrase(line, level)}"
    return (
        f"{line['label']}: {yuan(line['recommended_annual_yuan'])} a year "
        f"({yuan(line['recommended_yuan'])} over {span})"
    )


def _budget_phrase(figures: dict, level: str) -> str:
    low, high = figures["recommended_ci_yuan"]
    return f"budget {yuan(figures['recommended_yuan'])} ({level} {yuan(low)}–{yuan(high)})"


def _pot_phrase(pot: dict, paths: int) -> str:
    """Whether the pot's current money runs short, and what for."""
    current = pot["current"]
    what = f" for {pot['label']}"  # the pot the chance is about
    if not pot["limited"]:
        return f"; the scenario sets no budget{what}, so it cannot run short."
    money = []
    if current.get("annual_budget_yuan") is not None:
        money.append(f"{yuan(current['annual_budget_yuan'])} a year")
    if current.get("initial_balance_yuan") is not None:
        money.append(f"a balance of {yuan(current['initial_balance_yuan'])}")
    p = pot["exhaustion_probability"]
    chance = probability(p) + (f" (in none of the {paths:,} futures)" if p == 0 else "")
    return f"; your current {' with '.join(money)}{what} runs short with probability {chance}."


def _capitalised(sentence: str, index: int) -> str:
    return sentence if index == 0 else sentence[:1].upper() + sentence[1:]


def key_figures(summary: dict) -> list[tuple[str, str]]:
    """The numbers under the headline, as (what it is, value) rows: one block per budget line, then
    the pots and the total."""
    payout, budget, se = summary["payout_yuan"], summary["budget"], summary["mc_standard_error"]
    conf, level = f"{budget['confidence']:.0%}", f"{budget['recommended_ci_level']:.0%}"
    leverage = budget["leverage"]
    rows = [
        ("Loans in the programme over the horizon", f"{yuan(summary['exposure_yuan'])}"),
        ("Defaults over the horizon: mean / 99th percentile", f"{summary['defaults']['mean']:.1f} / {summary['defaults']['p99']:.0f}"),
        ("Principal lost: mean / 99th percentile", f"{yuan(summary['principal_loss_yuan']['mean'])} / {yuan(summary['principal_loss_yuan']['p99'])}"),
        ("Compensation paid (after clawbacks): mean (± MC standard error)", f"{yuan(payout['mean'])} (± {yuan(se['payout_mean_yuan'] or 0)})"),
        ("Compensation paid: 95th / 99th / 99.9th percentile", f"{yuan(payout['p95'])} / {yuan(payout['p99'])} / {yuan(payout['p999'])}"),
        ("Compensation paid: expected shortfall at 99%", yuan(payout["es99"])),
    ]  # fmt: skip
    for line in budget["lines"]:
        low, high = line["recommended_ci_yuan"]
        rows += [
            (f"{line['label'].capitalize()}: mean over the horizon", yuan(line["mean_yuan"])),
            (f"{line['label'].capitalize()}: budget over the horizon ({conf}; {level} CI)", f"{yuan(line['recommended_yuan'])} ({yuan(low)}–{yuan(high)})"),
            (f"{line['label'].capitalize()}: budget a year, covering each year ({conf})", yuan(line["recommended_annual_yuan"])),
        ]  # fmt: skip
    if summary.get("subsidy_eligible_loans") is not None and len(budget["lines"]) > 1:
        rows.append(("Loans eligible for subsidies over the horizon", f"{summary['subsidy_eligible_loans']:,}"))  # fmt: skip
    for pot in budget["pots"]:
        chance = probability(pot["exhaustion_probability"]) if pot["limited"] else "no limit set"
        rows.append((f"Current money for {pot['label']} runs short (probability)", chance))
    rows += [
        ("Current fund: mean compensation left unpaid within the horizon", yuan(budget["unpaid_mean_yuan"])),
        (f"All lines together: budget over the horizon ({conf})", yuan(budget["recommended_yuan"])),
        (f"All lines together: the same budget every year, covering each year ({conf})", yuan(budget["recommended_annual_yuan"])),
        ("Leverage: loans backed per yuan of the compensation budget", "—" if leverage is None else f"{leverage:.1f}x"),
    ]  # fmt: skip
    return rows


def render(summary: dict, charts: dict[str, bytes]) -> str:
    """The whole report as one HTML page (the charts inlined as PNG)."""
    title = f"Fund sizing: {summary['scenario']}"
    rows = "".join(
        f"<tr><td>{html.escape(name)}</td><td>{html.escape(value)}</td></tr>"
        for name, value in key_figures(summary)
    )
    captions = {
        "distribution": "How much each budget line costs over the horizon, across simulated futures.",
        "budget_curve": "Read off a budget for each line: the chance that the line's cost exceeds it.",
        "by_year": "Fund payouts year by year.",
        "by_layer": "Who is compensated: payouts by layer.",
        "sensitivity": "What moves each line's recommended budget most (each input moved by 20%, same seed).",
        "convergence": "How the budget settles as futures are added: on the first n futures, with its interval.",
        "contributions": "Which banks, sectors and loan sizes use the fund: shares of the mean payout and of ES99.",
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
{_contributions_table(summary.get("contributions"))}
{_sensitivity_table(summary.get("sensitivity"))}
{_centre_section(summary)}
{calibration_report.section(summary, yuan)}
<p class="note">{html.escape(_how_run(summary))}</p>
</body></html>
"""


def _contributions_table(found: dict | None) -> str:
    """Per bank, sector and size band: exposure, and the contribution to mean, p99 and ES99 (± MC error)."""
    if not found:
        return ""
    labels = {"bank": "Bank", "sector": "Sector", "size_band": "Loan size"}
    body = ""
    for kind, label in labels.items():
        body += f"<tr><th>{label}</th><th>loans</th><th>exposure</th><th>mean</th><th>p99</th><th>ES99</th></tr>"
        for row in found[f"by_{kind}"]:
            cells = [
                html.escape(row["name"]),
                f"{row['loans']:,}",
                yuan(row["exposure_yuan"]),
                *(
                    f"{yuan(row[f'{m}_yuan'])} ± {yuan(row[f'{m}_se_yuan'])}"
                    for m in ("mean", "p99", "es99")
                ),
            ]
            body += "<tr>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>"
    return (
        "<h2>Who uses the fund</h2><p>Each group's contribution to the fund's payout over the horizon "
        "(no limit on the fund): its mean, and its share of the 99th percentile and of the expected "
        f"shortfall at 99% (Euler allocation over the {found['tail_paths']:,} worst futures and the "
        f"{found['window_paths']:,} around the percentile; ± one Monte Carlo standard error). Each "
        f"kind's rows add up to the payout's own figures.</p><table>{body}</table>"
    )


def _sensitivity_table(sensitivity: dict | None) -> str:
    if not sensitivity:
        return ""
    step = sensitivity["step"]
    parts = [
        f"<h2>Sensitivity</h2><p>On {sensitivity['paths']:,} futures with the same seed, each input "
        f"moved down and up by {step:.0%}: the recommended budget of each line, and of all lines "
        "together.</p>"
    ]
    together = {"label": "all lines together"} | sensitivity
    for line in [*sensitivity.get("by_line", []), together]:
        rows = "".join(
            f"<tr><td>{html.escape(row['label'])}</td><td>{yuan(row['recommended_low_yuan'])}</td>"
            f"<td>{yuan(row['recommended_high_yuan'])}</td></tr>"
            for row in line["inputs"]
        )
        parts.append(
            f"<h3>{html.escape(line['label'])}: {yuan(line['base_recommended_yuan'])} with the inputs "
            f"as given</h3><table><tr><th>input</th><th>x {1 - step:g}</th><th>x {1 + step:g}</th>"
            f"</tr>{rows}</table>"
        )
    return "".join(parts)


def _how_run(summary: dict) -> str:
    return (
        f"{summary['paths']:,} simulated futures, {summary['engine']} engine, seed {summary['seed']} "
        f"(seed blocks of {summary['chunk_paths']} paths); the same command gives the same numbers. "
        "Payouts are read with no limit on the fund (what it would have to pay); each pot's chance of "
        "running short is read for the lines it pays, the fund's simulated with its own budget and "
        "balance on the same futures."
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
