"""summary.json's `centre` and `pending_at_horizon`, and the report's plain sentence on an overloaded centre."""

import numpy as np

import sim
from sim import report
from sim.fund_study import size_fund
from sim.runner import Plan
from sim.sizing import covering


def sized(path):
    return size_fund(sim.load(path), Plan(seed=3, engine="vector", paths=600, chunk_paths=200))


def test_an_overloaded_centre_is_reported_with_its_load_and_the_claims_left_pending(city):
    sizing = sized(city("example"))
    centre, pending = sizing.summary["centre"], sizing.summary["pending_at_horizon"]
    paths = sizing.figures.read()
    assert centre["operators"] == 4 and centre["overloaded"]
    assert np.isclose(centre["utilisation"]["mean"], paths.centre_utilisation.mean(), rtol=1e-12)
    assert centre["utilisation"]["mean"] > 0.9
    assert centre["waiting_at_horizon"]["p99"] == covering(paths.waiting_at_horizon, 0.99)
    assert centre["busy_share"]["p99"] <= 1
    assert pending["claims"]["mean"] == paths.pending_claims.mean() > 0
    assert pending["yuan"]["p99"] == round(covering(paths.pending_fen, 0.99) / 100, 2)
    note = report.centre_note(sizing.summary)
    assert "overloaded" in note and "4" in note
    assert note in report.render(sizing.summary, {})


def test_a_centre_with_room_or_no_centre_adds_no_sentence(city):
    for name in ("beijing", "xiangtan"):
        summary = sized(city(name)).summary
        assert not summary["centre"]["overloaded"] and report.centre_note(summary) == ""
        assert "Trading centre" in report.render(summary, {})
    assert summary["centre"]["operators"] is None  # xiangtan's recoveries come at a rate, no centre
    assert np.isfinite(summary["pending_at_horizon"]["yuan"]["mean"])
