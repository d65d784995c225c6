"""Scenario factories for the simulator tests: the textbook case, with any section overridden."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest

from sim.scenario import Scenario, parse

TEXTBOOK = {
    "name": "textbook",
    "horizon_years": 1,
    "seed": 11,
    "portfolio": {
        "loans": 1000,
        "principal_yuan": {"dist": "fixed", "value": 1_000_000},
        "rate": 0,
        "pledge_rate": 0.5,
        "growth": 0,
    },
    "default": {"pd_annual": 0.02, "asset_correlation": 0.15},
    "recovery": {
        "model": "rate",
        "rate": {"dist": "fixed", "value": 0.4},
        "costs_rate": 0,
        "delay_days": 0,
    },
    "layers": {"bank": 1},
    "compensation": {"ratio": {"bank": 1}},
}


def scenario_dict(**sections: dict | int | str) -> dict:
    """The textbook scenario as a TOML-like dict with some sections (or top-level keys) changed."""
    data = copy.deepcopy(TEXTBOOK)
    for name, value in sections.items():
        if isinstance(value, dict) and isinstance(data.get(name), dict):
            data[name].update(value)
            data[name] = {
                k: v for k, v in data[name].items() if v is not None
            }  # None removes a key
        else:
            data[name] = value
    return data


@pytest.fixture
def make_scenario():
    """Build a Scenario from the textbook case with overrides, e.g. make_scenario(default={"pd_annual": 0.1})."""

    def build(base_dir: Path = Path("."), **sections: dict | int | str) -> Scenario:
        return parse(scenario_dict(**sections), base_dir=base_dir)

    return build
