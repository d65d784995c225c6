"""The fund simulator: one scenario model (sim.scenario), two engines (vector, event) that agree.

import sim
result = sim.run(sim.scenario.load("sim/scenarios/example.toml"), paths=2000)
result.summary()
"""

from sim import scenario
from sim.results import PathRecord, PathTotals, SimResult, YearFigures
from sim.runner import DEFAULT_CHUNK_PATHS, ENGINES, run
from sim.scenario import Scenario, ScenarioError, load

__all__ = [
    "DEFAULT_CHUNK_PATHS",
    "ENGINES",
    "PathRecord",
    "PathTotals",
    "Scenario",
    "ScenarioError",
    "SimResult",
    "YearFigures",
    "load",
    "run",
    "scenario",
]
