"""The report's "What the marketplace's own history says": each assumption beside its calibrated value, and
the budget with and without the calibration (both sized on the same seed, so on common random numbers)."""

from __future__ import annotations

import html
from fractions import Fraction

from sim.calibration_fragment import Calibrated
from sim.model import Scenario

# the keys a model leaves unread: a calibration of them cannot move that scenario's budget
UNREAD = {"auction": ("recovery.rate", "recovery.delay_days"), "rate": ("auction.",)}


def assumption(scenario: Scenario, key: str) -> str:
    """A scenario's value for a dotted key, as the report shows it (a distribution by its mean)."""
    table, name = key.split(".")
    value = getattr(getattr(scenario, table), name)
    if isinstance(value, str):
        return value
    if isinstance(value, int | float | Fraction):
        return f"{float(value):.4g}"
    if value is None:
        return "unlimited"
    return f"mean {value.mean:.4g}"


def calibration_summary(calibrated: Calibrated, without: dict, with_: dict) -> dict:
    """The summary's "calibration" part: where the figures came from, each row, the two budgets, the notes."""
    record = calibrated.record
    rows = []
    for name, q in record.get("quantities", {}).items():
        key = q.get("key") or None
        rows.append({
            "quantity": name,
            "label": q.get("label", name),
            "key": key,
            "assumption": assumption(calibrated.base, key) if key else None,
            "calibrated": q.get("value"),
            "interval": q.get("interval"),
            "n": q.get("n"),
            "observations": q.get("observations", q.get("n")),
            "unit": q.get("unit", ""),
            "used": bool(q.get("used")),
        })
    notes = list(record.get("notes", []))
    model = calibrated.base.recovery.model
    unread = [row["key"] for row in rows if row["used"] and row["key"].startswith(UNREAD[model])]
    if unread:
        notes.append(f"This scenario uses the {model} recovery model, which does not read "
                     + ", ".join(unread) + "; they are shown but do not move its budget.")
    return {
        "source": record.get("source", ""),
        "cases": record.get("cases"),
        "first_disposed": str(record.get("first_disposed", "")),
        "last_disposed": str(record.get("last_disposed", "")),
        "level": record.get("level", 0.95),
        "min_cases": record.get("min_cases", 30),
        "rows": rows,
        "notes": notes,
        "budget_without_yuan": without["budget"]["recommended_yuan"],
        "budget_without_ci_yuan": without["budget"]["recommended_ci_yuan"],
        "budget_with_yuan": with_["budget"]["recommended_yuan"],
        "budget_with_ci_yuan": with_["budget"]["recommended_ci_yuan"],
        "compensation_without_yuan": _compensation(without)["recommended_yuan"],
        "compensation_with_yuan": _compensation(with_)["recommended_yuan"],
    }


def _compensation(summary: dict) -> dict:
    return next(line for line in summary["budget"]["lines"] if line["line"] == "compensation")


def section(summary: dict, yuan) -> str:
    """The HTML section, or "" when the run had no calibration."""
    calibration = summary.get("calibration")
    if not calibration:
        return ""
    level = f"{calibration['level']:.0%}"
    rows = "".join(_row(row) for row in calibration["rows"])
    low, high = calibration["budget_without_ci_yuan"]
    c_low, c_high = calibration["budget_with_ci_yuan"]
    budget = (
        f"Compensation budget over the horizon with the scenario's own assumptions: "
        f"{yuan(calibration['compensation_without_yuan'])}; with the calibration: "
        f"{yuan(calibration['compensation_with_yuan'])}. All lines together: "
        f"{yuan(calibration['budget_without_yuan'])} ({yuan(low)}–{yuan(high)}) without, "
        f"{yuan(calibration['budget_with_yuan'])} ({yuan(c_low)}–{yuan(c_high)}) with. Both runs use the same "
        "seed (common random numbers), so the difference is the calibration's."
    )
    notes = "".join(f"<li>{html.escape(note)}</li>" for note in calibration["notes"])
    return (
        "<h2>What the marketplace's own history says</h2>"
        f"<p>{calibration['cases']:,} disposed cases ({html.escape(calibration['first_disposed'])} to "
        f"{html.escape(calibration['last_disposed'])}) from {html.escape(calibration['source'])}. "
        f"A quantity from fewer than {calibration['min_cases']} cases keeps the scenario's "
        "assumption.</p>"
        f"<p>{html.escape(budget)}</p>"
        "<table><tr><th>quantity</th><th>scenario key</th><th>assumption</th>"
        f"<th>calibrated ({level} interval)</th><th>observations</th><th>used</th></tr>{rows}</table>"
        f"<ul class='note'>{notes}</ul>"
    )


def _row(row: dict) -> str:
    low, high = row["interval"] or (None, None)
    calibrated = f"{row['calibrated']:.4g}" + (f" ({low:.4g}–{high:.4g})" if low is not None else "")
    cells = (row["label"], row["key"] or "—", row["assumption"] or "—", calibrated, _observed(row),
             "yes" if row["used"] else ("no: too few" if row["key"] else "reported only"))
    return "<tr>" + "".join(f"<td>{html.escape(str(cell))}</td>" for cell in cells) + "</tr>"


def _observed(row: dict) -> str:
    """"300 rounds (280 cases)", or just "280 settled cases" when each case is one observation."""
    if row["unit"].endswith("cases"):
        return f"{row['observations']:,} {row['unit']}"
    return f"{row['observations']:,} {row['unit']} ({row['n']:,} cases)"
