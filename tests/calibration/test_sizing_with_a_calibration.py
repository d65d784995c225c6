"""size_fund.py --calibration: the fragment is checked like a scenario, laid over it, and both budgets reported."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from sim.calibration import CaseRecord, RoundRecord, fit
from sim.calibration_fragment import Provenance, calibrated, fragment, to_toml
from sim.errors import ScenarioError
from sim.sizing_cli import size_fund_main

ROOT = Path(__file__).resolve().parents[2]
BEIJING = ROOT / "sim" / "scenarios" / "beijing.toml"
FILED = datetime(2023, 3, 1, tzinfo=UTC)


def a_case(number: int, bidders: int = 3, sold: bool = True) -> CaseRecord:
    """A disposed case sold in its first round (or not at all when `sold` is False)."""
    notice = FILED + timedelta(days=10)
    opened = notice + timedelta(days=31 + number % 5)
    return CaseRecord(
        kind="patent", channel="auction", appraised_fen=1_000_000_00, principal_fen=500_000_00,
        recovery_fen=800_000_00, defaulted_on=date(2023, 1, 1), filed_at=FILED, notice_at=notice,
        disposed_at=opened + timedelta(days=8),
        rounds=(RoundRecord(1, 0.7, bidders + number % 2, sold, 0.8 if sold else None, 8.0, 31.0),),
        settled_at=opened + timedelta(days=20), gross_proceeds_fen=800_000_00, costs_fen=16_000_00 + number,
        to_principal_fen=500_000_00, operator_actions=9,
    )


def write_fragment(tmp_path: Path, cases: list[CaseRecord], forced: bool = False) -> Path:
    calibration = fit(cases)
    provenance = Provenance("sqlite:///history", datetime(2026, 11, 22, tzinfo=UTC), None, None, forced)
    path = tmp_path / "calibration.toml"
    path.write_text(to_toml(fragment(calibration, provenance), calibration), encoding="utf-8")
    return path


def test_a_fragment_sets_only_the_keys_it_fitted_and_the_scenario_keeps_the_rest(tmp_path):
    path = write_fragment(tmp_path, [a_case(n) for n in range(40)])

    result = calibrated(BEIJING, path)

    assert result.calibrated.auction.bidders_mean == pytest.approx(3.5)
    assert result.base.auction.bidders_mean == 1.5
    assert result.calibrated.auction.cut == result.base.auction.cut
    assert result.calibrated.compensation == result.base.compensation
    assert result.record["cases"] == 40


def test_quantities_from_fewer_than_thirty_cases_leave_the_scenarios_assumption(tmp_path):
    path = write_fragment(tmp_path, [a_case(n) for n in range(20)])

    result = calibrated(BEIJING, path)

    assert result.calibrated.auction == result.base.auction
    assert result.record["quantities"]["bidders_per_round"]["flagged"] is True


def test_a_fragment_with_an_unknown_key_is_refused_naming_the_file_and_the_key(tmp_path):
    path = tmp_path / "calibration.toml"
    path.write_text("[auction]\nbidders_maen = 2.0\n", encoding="utf-8")

    with pytest.raises(ScenarioError, match=r"unknown key auction.bidders_maen \(did you mean bidders_mean\?\)"):
        calibrated(BEIJING, path)


def test_size_fund_reports_what_the_marketplaces_history_says_beside_both_budgets(tmp_path, capsys):
    path = write_fragment(tmp_path, [a_case(n, bidders=6) for n in range(40)])
    out = tmp_path / "out"

    status = size_fund_main([str(BEIJING), "--calibration", str(path), "--paths", "300", "--out", str(out),
                             "--workers", "1", "--no-progress", "--sensitivity-paths", "0"])

    assert status == 0
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))["calibration"]
    # more bidders than the scenario assumes: disposals recover more, so less compensation is needed
    assert summary["compensation_with_yuan"] < summary["compensation_without_yuan"]
    row = next(r for r in summary["rows"] if r["quantity"] == "bidders_per_round")
    assert (row["assumption"], row["used"]) == ("1.5", True)
    page = (out / "report.html").read_text(encoding="utf-8")
    assert "<h2>What the marketplace's own history says</h2>" in page
    assert "Compensation budget without the calibration" in capsys.readouterr().out


def test_size_fund_refuses_a_broken_fragment_in_one_line_with_status_2(tmp_path, capsys):
    path = tmp_path / "calibration.toml"
    path.write_text("[auction]\nvalue_sigma = -1\n", encoding="utf-8")

    with pytest.raises(SystemExit) as exit_:
        size_fund_main([str(BEIJING), "--calibration", str(path), "--paths", "10", "--out", str(tmp_path / "o")])

    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "auction.value_sigma" in err
