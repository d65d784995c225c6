"""A sweep's grid file: base scenarios, named policy variants and keys to vary, crossed or zipped.

    name = "province"
    scenarios = ["../scenarios/beijing.toml", "../scenarios/xiangtan.toml"]   # relative to this file
    [run]                       # defaults for the command line's --paths, --seed, ... (optional)
    paths = 20000
    [variants.current]          # a named set of changes to every base scenario (none: as written)
    [variants.cap-500k]
    "compensation.cap_per_loan_yuan" = 500000
    [cross]                     # every combination of these values
    "default.pd_annual" = [0.01, 0.02]
    "portfolio.growth" = {from = 0.1, to = 0.3, by = 0.1}     # or {from, to, count}: both ends included
    [zip]                       # these move together: the n-th value of each key
    "compensation.annual_budget_yuan" = [10000000, 20000000]
    "compensation.initial_balance_yuan" = [0, 30000000]

Cells are scenarios x variants x the crossed keys x the zipped rows, in that order. A key is a dotted path
into the scenario file, so a cell is the base file with a few values replaced, read and checked by
sim.scenario like any file: a cell whose changes make an invalid scenario is a bad cell, named with its
problem, and the others still run. A problem in the grid file itself is a ScenarioError naming its key.
"""

from __future__ import annotations

import copy
import itertools
import math
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sim.errors import ScenarioError
from sim.model import Scenario
from sim.scenario import parse

RUN_KEYS = ("paths", "seed", "engine", "confidence", "sensitivity_paths", "chunk_paths")
_MOST_CELLS = 100_000


@dataclass(frozen=True)
class Cell:
    """One sizing run of a sweep: a base scenario with changes; `problem` says why it cannot run."""

    index: int
    name: str
    base: str  # the base scenario's name (the city)
    variant: str  # the variant's name and the varied values: what distinguishes cells of one city
    changes: dict[str, Any]
    scenario: Scenario | None = None
    document: dict = field(default_factory=dict, repr=False)  # the cell's scenario file, as data
    problem: str | None = None

    @property
    def slug(self) -> str:
        """A file name for the cell: its index and name in plain letters."""
        plain = re.sub(r"[^A-Za-z0-9._=-]+", "-", self.name).strip("-")
        return f"{self.index:03d}-{plain}"[:80]


@dataclass(frozen=True)
class Grid:
    """A grid file read: its name, the run settings it gives, and every cell."""

    name: str
    run: dict[str, Any]
    cells: tuple[Cell, ...]


def load_grid(path: str | Path) -> Grid:
    """Read a grid file and build its cells; a problem with the grid itself is a ScenarioError."""
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ScenarioError("file", f"no such grid file: {path}") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ScenarioError("file", f"{path} is not valid TOML ({exc})") from exc
    except OSError as exc:
        raise ScenarioError("file", f"cannot read {path} ({exc.strerror})") from exc
    return grid_of(data, path.parent, path.stem)


def grid_of(data: dict, base_dir: Path, default_name: str = "sweep") -> Grid:
    """A Grid from an already-parsed grid file (base scenarios relative to `base_dir`)."""
    unknown = set(data) - {"name", "scenarios", "run", "variants", "cross", "zip"}
    if unknown:
        raise ScenarioError(sorted(unknown)[0], "unknown key")
    name = data.get("name", default_name)
    scenarios = data.get("scenarios")
    if (
        not isinstance(scenarios, list)
        or not scenarios
        or not all(isinstance(s, str) for s in scenarios)
    ):
        raise ScenarioError("scenarios", "must be a list of scenario files")
    run = _table(data, "run")
    for key in set(run) - set(RUN_KEYS):
        raise ScenarioError(f"run.{key}", f"unknown key; use {', '.join(RUN_KEYS)}")
    variants = {
        label: _dotted(_table(data["variants"], label, "variants."), f"variants.{label}")
        for label in _table(data, "variants")
    } or {"": {}}
    crossed = [
        [((key, value),) for value in _values(f"cross.{key}", values)]
        for key, values in _dotted(_table(data, "cross"), "cross").items()
    ]
    settings = list(itertools.product(*crossed, _zip_rows(_dotted(_table(data, "zip"), "zip"))))
    cells = len(scenarios) * len(variants) * len(settings)
    if cells > _MOST_CELLS:
        raise ScenarioError("cross", f"makes {cells:,} cells; at most {_MOST_CELLS:,}")
    built: list[Cell] = []
    for file in scenarios:
        base = _base(base_dir / file)
        for label, changes in variants.items():
            for setting in settings:
                varied = dict(pair for part in setting for pair in part)
                built.append(_cell(len(built), base, label, changes | varied, varied))
    return Grid(str(name), run, tuple(built))


@dataclass(frozen=True)
class _Base:
    """A base scenario file: its name and document, or why it cannot be read."""

    file: Path
    name: str
    document: dict | None
    problem: str | None = None


def _cell(index: int, base: _Base, label: str, changes: dict, varied: dict) -> Cell:
    """One cell: the base document with the changes, named, read and checked like a scenario file."""
    variant = "/".join([label] * bool(label) + [f"{k}={_shown(v)}" for k, v in varied.items()])
    name = "/".join(part for part in (base.name, variant) if part)
    if base.document is None:
        return Cell(index, name, base.name, variant, changes, problem=base.problem)
    document = copy.deepcopy(base.document)
    try:
        for key, value in changes.items():
            set_key(document, key, value)
        document["name"] = name
        portfolio = document.get("portfolio")
        if isinstance(portfolio, dict) and isinstance(portfolio.get("file"), str):
            # a loan file stays found wherever the cell's own scenario file is written
            portfolio["file"] = str((base.file.parent / portfolio["file"]).resolve())
        scenario = parse(document, base_dir=base.file.parent, default_name=name)
    except ScenarioError as exc:
        return Cell(index, name, base.name, variant, changes, document=document, problem=str(exc))
    return Cell(index, name, base.name, variant, changes, scenario, document)


def set_key(document: dict, key: str, value: Any) -> None:
    """Set a dotted key (e.g. "compensation.ratio.bank") in a scenario document, making tables as needed."""
    *tables, last = key.split(".")
    at = document
    for i, part in enumerate(tables):
        at = at.setdefault(part, {})
        if not isinstance(at, dict):
            raise ScenarioError(
                ".".join(tables[: i + 1]), f"is not a table, so {key} cannot be set"
            )
    at[last] = copy.deepcopy(value)


def _base(file: Path) -> _Base:
    """A base scenario file read as data (every cell made from an unreadable one is a bad cell)."""
    try:
        document = tomllib.loads(file.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        return _Base(file, file.stem, None, f"file: cannot read {file} as a scenario ({exc})")
    return _Base(file, str(document.get("name", file.stem)), document)


def _table(data: dict, key: str, prefix: str = "") -> dict:
    value = data.get(key, {})
    if not isinstance(value, dict):
        raise ScenarioError(f"{prefix}{key}", "must be a table")
    return value


def _dotted(table: dict, where: str, prefix: str = "") -> dict[str, Any]:
    """A table of changes by dotted key. A quoted key ("a.b" = ...) is kept whole with its value, so a
    table value replaces a whole table; unquoted dotted keys (a.b = ...) arrive nested and are walked."""
    flat: dict[str, Any] = {}
    for key, value in table.items():
        if isinstance(value, dict) and "." not in key and not _is_range(value):
            flat |= _dotted(value, where, f"{prefix}{key}.")
        else:
            flat[f"{prefix}{key}"] = value
    if not flat and prefix:
        raise ScenarioError(f"{where}.{prefix.rstrip('.')}", "is an empty table")
    return flat


def _is_range(value: dict) -> bool:
    return "from" in value and set(value) <= {"from", "to", "by", "count"}


def _values(key: str, spec: Any) -> list[Any]:
    """A key's values: a list as written, or a range {from, to, by} / {from, to, count}, ends included."""
    if isinstance(spec, list):
        if not spec:
            raise ScenarioError(key, "must list at least one value")
        return spec
    if not isinstance(spec, dict):
        raise ScenarioError(key, "must be a list of values or a range {from, to, by|count}")
    if set(spec) not in ({"from", "to", "by"}, {"from", "to", "count"}):
        raise ScenarioError(key, "a range has from, to and either by or count")
    low, high = spec["from"], spec["to"]
    numbers = (low, high, spec.get("by", spec.get("count")))
    if not all(isinstance(n, int | float) and not isinstance(n, bool) for n in numbers):
        raise ScenarioError(key, "a range's from, to, by and count must be numbers")
    if "count" in spec:
        count = spec["count"]
        if not isinstance(count, int) or count < 1:
            raise ScenarioError(key, "count must be a whole number of at least 1")
        step = (high - low) / (count - 1) if count > 1 else 0
    else:
        step = spec["by"]
        if step <= 0 or high < low:
            raise ScenarioError(key, "by must be above 0, and from at most to")
        count = math.floor((high - low) / step + 1e-9) + 1
    values = [low + i * step for i in range(count)]
    whole = all(isinstance(n, int) for n in (low, high, spec.get("by", 0))) and step == int(step)
    return [int(round(v)) if whole else round(v, 12) for v in values]


def _zip_rows(spec: dict) -> list[tuple[tuple[str, Any], ...]]:
    """The zipped keys as rows of (key, value) pairs; one empty row when nothing is zipped."""
    columns = {key: _values(f"zip.{key}", values) for key, values in spec.items()}
    lengths = {len(values) for values in columns.values()}
    if len(lengths) > 1:
        raise ScenarioError("zip", f"every key must list as many values (got {sorted(lengths)})")
    if not columns:
        return [()]
    return [tuple(zip(columns, row, strict=True)) for row in zip(*columns.values(), strict=True)]


def _shown(value: Any) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)
