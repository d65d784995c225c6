"""The scripts run end to end on the example scenarios, give the same answer on any number of workers,
and turn bad input into a one-line error with exit status 2."""

import csv
import json

import pytest

from sim.sizing_cli import compare_main, size_fund_main

CITIES = ("beijing", "xiangtan", "jiyuan")


@pytest.mark.parametrize("name", CITIES)
def test_each_example_city_is_sized_end_to_end(tmp_path, city, name, capsys):
    out = tmp_path / name
    args = [str(city(name)), "--paths", "300", "--seed", "3", "--out", str(out), "--workers", "1"]
    assert size_fund_main([*args, "--sensitivity-paths", "100", "--no-progress"]) == 0
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary["scenario"] == name and summary["paths"] == 300
    assert set(summary["payout_yuan"]["by_layer"]) == {"bank", "guarantor", "insurer", "agency"}
    assert len(summary["payout_yuan"]["by_year"]) == summary["horizon_years"]
    assert {s["input"] for s in summary["sensitivity"]["inputs"]} == {
        "pd", "correlation", "recovery", "ratios", "growth"
    }  # fmt: skip
    page = (out / "report.html").read_text(encoding="utf-8")
    assert "At 99% confidence over" in page and "compensation: budget ¥" in page
    assert "runs short with probability" in page and "interest subsidy: ¥" in page.lower()
    assert summary["format"] == 2
    assert "data:image/png;base64," in page and "http" not in page  # opens offline
    with (out / "paths.csv").open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 300 and float(rows[0]["total_yuan"]) >= float(rows[0]["subsidy_yuan"])
    for chart in ("distribution", "budget_curve", "by_year", "by_layer", "sensitivity"):
        assert (out / f"{chart}.png").read_bytes()[:4] == b"\x89PNG"
    assert "budget ¥" in capsys.readouterr().out


def test_the_sensitivity_moves_each_budget_line_on_its_own(tmp_path, city):
    out = tmp_path / "beijing"
    args = [
        str(city("beijing")),
        "--paths",
        "200",
        "--seed",
        "4",
        "--out",
        str(out),
        "--workers",
        "1",
    ]
    assert size_fund_main([*args, "--sensitivity-paths", "200", "--no-progress"]) == 0
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    lines = summary["budget"]["lines"]
    by_line = summary["sensitivity"]["by_line"]
    # on as many futures as the main run, a line's base is the line's own recommended budget
    assert [(s["line"], s["base_recommended_yuan"]) for s in by_line] == [
        (line["line"], line["recommended_yuan"]) for line in lines
    ]
    assert len(lines) == 4 and all(len(s["inputs"]) == 5 for s in by_line)
    ratios = {s["line"]: {i["input"]: i for i in s["inputs"]}["ratios"] for s in by_line}
    interest = ratios["interest_subsidy"]  # compensation ratios do not move a subsidy
    assert interest["recommended_low_yuan"] == interest["recommended_high_yuan"]
    assert (
        ratios["compensation"]["recommended_low_yuan"]
        < ratios["compensation"]["recommended_high_yuan"]
    )


def test_the_event_engine_sizes_a_fund_too(tmp_path, city):
    out = tmp_path / "event"
    args = [str(city("jiyuan")), "--paths", "40", "--engine", "event", "--out", str(out)]
    assert size_fund_main([*args, "--workers", "2", "--sensitivity-paths", "0"]) == 0
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary["engine"] == "event" and "sensitivity" not in summary
    assert not (out / "sensitivity.png").exists()


@pytest.mark.parametrize(("engine", "paths"), [("vector", 600), ("event", 50)])
def test_one_worker_and_two_workers_give_the_same_summary(tmp_path, city, engine, paths):
    summaries = []
    for workers in ("1", "2"):
        out = tmp_path / f"w{workers}"
        args = [str(city("beijing")), "--paths", str(paths), "--engine", engine, "--seed", "9"]
        args += ["--chunk-paths", "200", "--out", str(out), "--workers", workers]
        assert size_fund_main([*args, "--sensitivity-paths", "0"]) == 0
        summaries.append((out / "summary.json").read_text(encoding="utf-8"))
        paths_csv = (out / "paths.csv").read_text(encoding="utf-8")
        summaries.append(paths_csv)
    assert summaries[0] == summaries[2] and summaries[1] == summaries[3]


def test_the_script_runs_from_the_command_line(tmp_path, run_script, city):
    done = run_script(
        "size_fund.py", city("jiyuan"), "--paths", "200", "--seed", "1", "--out", tmp_path,
        "--workers", "2", "--sensitivity-paths", "50",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("At 99% confidence over 2 years, compensation: budget ¥")
    assert (tmp_path / "report.html").is_file()


def test_scenarios_are_compared_side_by_side(tmp_path, city, capsys):
    files = [str(city(name)) for name in CITIES]
    assert compare_main([*files, "--paths", "200", "--out", str(tmp_path), "--workers", "1"]) == 0
    table = capsys.readouterr().out
    assert all(name in table for name in CITIES) and "recommended_yuan" in table
    with (tmp_path / "comparison.csv").open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert [row["scenario"] for row in rows] == list(CITIES)
    assert (tmp_path / "comparison.png").is_file()
    assert "data:image/png;base64," in (tmp_path / "comparison.html").read_text(encoding="utf-8")


BAD_INPUT = {
    "missing file": (lambda tmp, city: [tmp / "absent.toml"], "no such scenario file"),
    "unknown key": (lambda tmp, city: [_broken(tmp, city, "[default]", "[default]\nhue = 1")], "default.hue"),
    "negative PD": (lambda tmp, city: [_broken(tmp, city, "pd_annual = 0.03", "pd_annual = -1")], "default.pd_annual"),
    "zero paths": (lambda tmp, city: [city("xiangtan"), "--paths", "0"], "--paths"),
    "a budget beyond int64 fen": (lambda tmp, city: [_broken(tmp, city, "annual_budget_yuan = 3000000", "annual_budget_yuan = 1e17")], "compensation.annual_budget_yuan"),
    "a misspelt key": (lambda tmp, city: [_broken(tmp, city, "[portfolio]", "[portfolio]\nloan = 1")], "unknown key portfolio.loan (did you mean loans?)"),
    "a book beyond memory": (lambda tmp, city: [city("xiangtan"), "--max-memory-mb", "100"], "portfolio.loans"),
}  # fmt: skip


def _broken(tmp_path, city, old, new):
    text = city("xiangtan").read_text(encoding="utf-8")
    assert old in text
    path = tmp_path / "bad.toml"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return path


@pytest.mark.parametrize("case", BAD_INPUT, ids=list(BAD_INPUT))
@pytest.mark.parametrize("script", ["size_fund.py", "compare_scenarios.py"])
def test_bad_input_is_one_line_and_exit_status_2(tmp_path, run_script, city, case, script):
    make_args, named = BAD_INPUT[case]
    done = run_script(script, *make_args(tmp_path, city), "--out", tmp_path / "out")
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1, done.stderr
    assert named in done.stderr
    assert not (tmp_path / "out").exists()


def test_policy_variants_show_the_change_in_budget_chance_and_each_banks_share(
    tmp_path, city, capsys
):
    base = city("xiangtan").read_text(encoding="utf-8")
    assert "[compensation]\n" in base
    variant = base.replace('name = "xiangtan"', 'name = "xiangtan-capped"').replace(
        "[compensation]\n", "[compensation]\nannual_cap_yuan = 1000000\n"
    )
    (tmp_path / "variant.toml").write_text(variant, encoding="utf-8")
    args = [city("xiangtan"), tmp_path / "variant.toml", "--paths", "300", "--workers", "1"]
    assert compare_main([*map(str, args), "--out", str(tmp_path / "out")]) == 0
    assert "Change against xiangtan:" in capsys.readouterr().out
    with (tmp_path / "out" / "changes.csv").open(encoding="utf-8") as handle:
        (change,) = list(csv.DictReader(handle))
    assert change["scenario"] == "xiangtan-capped"
    assert float(change["compensation_change_yuan"]) < 0
    assert float(change["bank_all_es99_change_yuan"]) < 0
    assert {"exhaustion_change", "bank_all_mean_change_yuan"} <= set(change)
