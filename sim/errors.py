"""The one error a scenario file can raise: it names the key and the problem."""

from __future__ import annotations


class ScenarioError(ValueError):
    """A scenario file is wrong; the message names the key (e.g. default.pd_annual) and the problem."""

    def __init__(self, key: str, problem: str) -> None:
        self.key = key
        self.problem = problem
        super().__init__(f"{key}: {problem}")

    @classmethod
    def unknown(cls, key: str, nearest: list[str]) -> ScenarioError:
        """An unknown key: "unknown key portfolio.loan (did you mean loans?)"."""
        error = cls(key, "unknown key")
        hint = f" (did you mean {nearest[0]}?)" if nearest else ""
        error.args = (f"unknown key {key}{hint}",)
        return error
