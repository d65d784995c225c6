"""export-calibration on a history made from known parameters finds them again, within its stated intervals."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

from market.demo.history import expected

ROOT = Path(__file__).resolve().parents[2]
# fen rounding of each case's commission makes the costs ratio a hair below the rate it was made from
ROUNDING = 1e-4
# about a dozen intervals checked at once: each at 1 - 0.01/12 (Bonferroni), so together they all cover
# the truth with probability at least 99% (tests/calibration/test_coverage.py checks the 95% level itself)
SIMULTANEOUS = "0.999"


def test_export_calibration_recovers_each_parameter_of_a_history_within_its_interval(history, export):
    truth = history(200)

    _, fragment = export("--level", SIMULTANEOUS)

    quantities = fragment["calibration"]["quantities"]
    checked = {name: value for name, value in expected(truth).items() if not quantities[name]["flagged"]}
    for name, true_value in checked.items():
        low, high = quantities[name]["interval"]
        slack = ROUNDING * abs(true_value)
        assert low - slack <= true_value <= high + slack, (name, true_value, quantities[name])
    # the rarer steps (conversions after a lapsed negotiated sale) have too few cases to be trusted: a
    # bootstrap of a handful is too narrow, which is why they are flagged and the scenario keeps its own
    assert len(checked) >= 9
    assert all(quantities[name]["n"] < 30 for name in set(expected(truth)) - set(checked))
    assert fragment["auction"]["bidders_mean"] == quantities["bidders_per_round"]["value"]
    assert fragment["recovery"]["costs_rate"] == quantities["costs_rate"]["value"]
    assert fragment["calibration"]["cases"] == 200


def test_with_twenty_cases_export_warns_and_leaves_the_scenarios_assumptions(history, export):
    history(20)

    result, fragment = export()

    assert "warning: bidders_per_round: only" in result.output
    assert "bidders_mean" not in fragment.get("auction", {})
    assert fragment["calibration"]["quantities"]["bidders_per_round"]["flagged"] is True
    assert fragment["calibration"]["quantities"]["bidders_per_round"]["used"] is False


def test_with_force_twenty_cases_are_used_anyway_and_still_flagged(history, export):
    history(20)

    result, fragment = export("--force")

    assert "used anyway (--force)" in result.output
    assert fragment["auction"]["bidders_mean"] > 0
    assert fragment["calibration"]["quantities"]["bidders_per_round"]["flagged"] is True


def test_an_export_of_one_ip_kind_reads_only_its_cases(history, export):
    history(20)

    _, everything = export()
    _, patents = export("--kind", "patent")

    assert 0 < patents["calibration"]["cases"] < everything["calibration"]["cases"]
    assert patents["calibration"]["kind"] == "patent"


def test_the_calibrate_script_writes_the_same_fragment_from_a_database_url(history, export, database_url, tmp_path):
    history(20)
    _, from_flask = export()
    out = tmp_path / "script.toml"

    run = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "calibrate.py"), "--database", database_url, "--out", str(out)],
        capture_output=True, text=True, cwd=ROOT, timeout=300,
    )

    assert run.returncode == 0, run.stderr
    from_script = tomllib.loads(out.read_text(encoding="utf-8"))
    assert from_script["calibration"]["quantities"] == from_flask["calibration"]["quantities"]


def test_seed_demo_refuses_a_truth_file_with_an_unknown_key(app, tmp_path):
    truth = tmp_path / "truth.toml"
    truth.write_text("bidders_maen = 2\n", encoding="utf-8")

    result = app.test_cli_runner().invoke(args=["seed-demo", "--history", "5", "--truth", str(truth)])

    assert result.exit_code == 2
    assert "unknown key bidders_maen (did you mean bidders_mean?)" in result.output
