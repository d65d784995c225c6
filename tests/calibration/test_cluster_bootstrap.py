"""The calibration's intervals resample whole cases: rounds of one case are not independent observations."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import numpy as np

from sim.calibration import CaseRecord, RoundRecord, fit

FILED = datetime(2023, 3, 1, tzinfo=UTC)
ROUNDS = 4


def a_case(rounds: tuple[RoundRecord, ...]) -> CaseRecord:
    """A disposed case with the given rounds (the rest is what any case needs)."""
    notice = FILED + timedelta(days=10)
    return CaseRecord(
        kind="patent", channel="auction", appraised_fen=1_000_000_00, principal_fen=500_000_00,
        recovery_fen=800_000_00, defaulted_on=date(2023, 1, 1), filed_at=FILED, notice_at=notice,
        disposed_at=notice + timedelta(days=60), rounds=rounds, settled_at=notice + timedelta(days=80),
        gross_proceeds_fen=800_000_00, costs_fen=16_000_00, to_principal_fen=500_000_00, operator_actions=9,
    )


def correlated_history(cases: int = 60) -> list[CaseRecord]:
    """Each case's rounds share their bidders and days (the same asset, the same market): perfectly correlated."""
    rng = np.random.default_rng(5)
    history = []
    for _ in range(cases):
        bidders, days = int(rng.poisson(2)), float(rng.exponential(3)) + 1
        sold = bool(rng.random() < 0.5)
        rounds = tuple(RoundRecord(k, 0.7 * 0.8 ** (k - 1), bidders, sold and k == ROUNDS and bidders > 0,
                                   0.7 if sold and k == ROUNDS and bidders > 0 else None, days, 15.0)
                       for k in range(1, ROUNDS + 1))
        history.append(a_case(rounds))
    return history


def as_independent_cases(history: list[CaseRecord]) -> list[CaseRecord]:
    """The same rounds, each taken for a case of its own (what a round-level bootstrap assumes)."""
    return [a_case((r,)) for c in history for r in c.rounds]


def width(calibration, name: str) -> float:
    low, high = calibration.get(name).interval
    return high - low


def test_correlated_rounds_of_one_case_give_a_wider_interval_than_independent_rounds_would():
    history = correlated_history()

    by_case = fit(history, seed=1)
    by_round = fit(as_independent_cases(history), seed=1)

    for name in ("bidders_per_round", "days_round"):
        assert by_case.get(name).value == by_round.get(name).value
        # four identical rounds per case carry the information of one: about twice (sqrt 4) as wide
        assert width(by_case, name) > 1.5 * width(by_round, name), name
        assert "whole cases resampled" in by_case.get(name).interval_method
        assert "whole cases" not in by_round.get(name).interval_method


def test_a_case_with_one_observation_keeps_the_plain_interval():
    history = [a_case((RoundRecord(1, 0.7, 2 + n % 3, True, 0.8, 2.0 + n % 4, 31.0),)) for n in range(40)]

    calibration = fit(history, seed=1)

    assert calibration.get("bidders_per_round").interval_method == "bootstrap BCa, 999 resamples"
    assert calibration.get("first_round_fails").interval_method == "exact binomial (Clopper-Pearson)"
