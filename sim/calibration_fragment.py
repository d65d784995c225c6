"""A calibration as a scenario fragment (TOML with provenance), and a scenario with a fragment laid over it.

The fragment holds scenario keys ([auction], [recovery]) for the quantities that had enough cases, and
a [calibration] table that the scenario reader never sees: where the figures came from, every fitted
quantity with its estimator, interval, number of observations and date range, and notes on what the
simulator's model cannot express. `calibrated` checks the fragment's keys with the scenario's own
strict checks, lays it over the scenario's document and validates the result like any scenario.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import tomli_w

from sim.calibration import MIN_CASES, Calibration, Fitted
from sim.errors import ScenarioError
from sim.model import Scenario
from sim.scenario import parse, read
from sim.scenario_keys import check_keys

PROVENANCE = "calibration"
FALLBACK_OF_CHANNEL = {"licensing": "licence", "conversion": "conversion"}


@dataclass(frozen=True)
class Provenance:
    """Where a calibration's cases came from."""

    source: str  # the database, without credentials
    exported_at: datetime
    since: str | None
    kind: str | None
    forced: bool


def fragment(calibration: Calibration, provenance: Provenance) -> dict:
    """The fragment's document: scenario keys for the quantities used, and the [calibration] table."""
    document: dict = {}
    used = set()
    for quantity in calibration.quantities:
        if quantity.key is None or (quantity.flagged and not provenance.forced):
            continue
        table, name = quantity.key.split(".")
        document.setdefault(table, {})[name] = _scenario_value(quantity)
        used.add(quantity.name)
        if quantity.key == "auction.bidders_mean":
            document[table]["bidder_count"] = "poisson"  # what the fit assumes
    fallback = _dominant_fallback(calibration)
    if "fallback_share" in used and fallback:
        document["auction"]["fallback"] = fallback
    document[PROVENANCE] = {
        "source": provenance.source,
        "exported_at": provenance.exported_at.replace(microsecond=0),
        "since": provenance.since or "",
        "kind": provenance.kind or "all",
        "cases": calibration.cases,
        "first_disposed": calibration.first or "",
        "last_disposed": calibration.last or "",
        "min_cases": MIN_CASES,
        "forced": provenance.forced,
        "level": calibration.level,
        "notes": list(calibration.notes),
        "quantities": {q.name: _provenance_of(q, q.name in used) for q in calibration.quantities},
    }
    return document


def to_toml(document: dict, calibration: Calibration) -> str:
    """The fragment as TOML text, with a header saying what it is and what was left to the scenario."""
    flagged = [q.name for q in calibration.quantities if q.key and q.flagged]
    head = [
        "# Scenario fragment calibrated from the marketplace's own disposed cases (flask export-calibration).",
        "# Lay it over a scenario: python scripts/size_fund.py SCENARIO --calibration THIS_FILE --out DIR",
        "# [calibration] records where every figure came from; the simulator reads only the other tables.",
    ]
    if flagged and not document[PROVENANCE]["forced"]:
        head.append(f"# Fewer than {MIN_CASES} cases, so the scenario keeps its own assumption: "
                    + ", ".join(flagged) + " (export with --force to use them anyway).")
    return "\n".join(head) + "\n\n" + tomli_w.dumps(document)


def warnings(calibration: Calibration, forced: bool) -> list[str]:
    """One line per quantity from too few cases (what happens to it depends on --force)."""
    then = "used anyway (--force)" if forced else "the scenario keeps its own assumption"
    return [f"{q.name}: only {q.n} cases (fewer than {MIN_CASES}); {then}"
            for q in calibration.quantities if q.key and q.flagged]


def _scenario_value(quantity: Fitted) -> object:
    extra = quantity.extra or {}
    if quantity.key == "recovery.rate":
        mean, sd = quantity.value, extra.get("sd", 0.0)
        if 0 < mean < 1 and 0 < sd and sd**2 < mean * (1 - mean):
            return {"dist": "beta", "mean": _round(mean), "sd": _round(sd)}
        return {"dist": "fixed", "value": _round(min(max(mean, 0.0), 1.0))}
    if quantity.key == "recovery.delay_days":
        sigma = extra.get("sigma", 0.0)
        if sigma > 0:
            return {"dist": "lognormal", "median": _round(quantity.value), "sigma": _round(sigma)}
        return {"dist": "fixed", "value": _round(quantity.value)}
    return _round(quantity.value)


def _round(value: float) -> float:
    return float(f"{value:.4g}")


def _dominant_fallback(calibration: Calibration) -> str | None:
    shares = {channel: calibration.get(f"share_{channel}") for channel in FALLBACK_OF_CHANNEL}
    present = {c: q.value for c, q in shares.items() if q is not None and q.value > 0}
    if not present:
        return None
    return FALLBACK_OF_CHANNEL[max(present, key=present.get)]


def _provenance_of(quantity: Fitted, used: bool) -> dict:
    record = {
        "label": quantity.label,
        "key": quantity.key or "",
        "estimator": quantity.estimator,
        "value": _round(quantity.value),
        "interval": [_round(quantity.interval[0]), _round(quantity.interval[1])],
        "interval_method": quantity.interval_method,
        "n": quantity.n,
        "observations": quantity.observations,
        "unit": quantity.unit,
        "first": quantity.first or "",
        "last": quantity.last or "",
        "flagged": quantity.flagged,
        "used": used,
    }
    record |= {name: _round(value) for name, value in (quantity.extra or {}).items()}
    return record


# ---- reading a fragment back and laying it over a scenario -------------------------------------


@dataclass(frozen=True)
class Calibrated:
    """A scenario as written, the same scenario with the fragment over it, and the fragment's record."""

    base: Scenario
    calibrated: Scenario
    base_document: dict
    record: dict  # the fragment's [calibration] table
    overlaid: dict  # the scenario keys the fragment set, table by table


def overlay(document: dict, fragment_document: dict) -> dict:
    """The scenario document with the fragment's scenario keys replacing its own (tables merged)."""
    merged = copy.deepcopy(document)
    for table, values in fragment_document.items():
        if table == PROVENANCE:
            continue
        if isinstance(values, dict):
            merged.setdefault(table, {}).update(copy.deepcopy(values))
        else:
            merged[table] = copy.deepcopy(values)
    return merged


def calibrated(scenario_path: str | Path, fragment_path: str | Path) -> Calibrated:
    """Read a scenario and a fragment; check the fragment like a scenario; validate both results."""
    scenario_path, fragment_path = Path(scenario_path), Path(fragment_path)
    document = read(scenario_path)
    base = parse(document, base_dir=scenario_path.parent, default_name=scenario_path.stem)
    try:
        fragment_document = read(fragment_path)
        record = fragment_document.get(PROVENANCE, {})
        if not isinstance(record, dict):
            raise ScenarioError(PROVENANCE, "must be a table")
        scenario_keys = {k: v for k, v in fragment_document.items() if k != PROVENANCE}
        check_keys(scenario_keys)
        result = parse(overlay(document, fragment_document), base_dir=scenario_path.parent,
                       default_name=scenario_path.stem)
    except ScenarioError as exc:
        raise ScenarioError(f"calibration {fragment_path}", str(exc)) from exc
    return Calibrated(base, result, document, record, scenario_keys)
