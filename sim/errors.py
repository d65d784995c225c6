"""The one error a scenario file can raise: it names the key and the problem."""

from __future__ import annotations


class ScenarioError(ValueError):
    """A scenario file is wrong; the message names the key (e.g. default.pd_annual) and the problem."""

    def __init__(self, key: str, problem: str) -> None:
        self.key = key
        self.problem = problem
        super().__init__(f"{key}: {problem}")
