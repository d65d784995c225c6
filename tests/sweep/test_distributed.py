"""On a Dask LocalCluster a sweep gives every cell the summary size_fund.py gives it alone, on 1, 2 or 4
workers, and with a worker killed halfway; a bad cell is named and the others complete.
(Tiny runs: each test takes a few seconds, most of it starting the cluster.)"""

import json
import os
import signal
from pathlib import Path

import dask
import pytest

from sim.distributed import dask_executor
from sim.parallel import ProcessPool
from sim.sizing_cli import size_fund_main
from sim.sweep import grid_of
from sim.sweep_cli import sweep_main
from sim.sweep_run import Settings, run_sweep

ROOT = Path(__file__).resolve().parents[2]
SCENARIOS = ROOT / "sim" / "scenarios"
SETTINGS = Settings(
    paths=300, seed=5, engine="vector", confidence=0.99, sensitivity_paths=100, chunk_paths=50
)


@pytest.fixture(scope="module")
def small_grid():
    """Two cities by two variants."""
    return grid_of(
        {
            "scenarios": ["xiangtan.toml", "jiyuan.toml"],
            "variants": {"current": {}, "cap": {"compensation.cap_per_loan_yuan": 300_000}},
        },
        SCENARIOS,
    )


@pytest.fixture(scope="module")
def on_one_process(small_grid, tmp_path_factory):
    """The small grid's summaries computed in this process, without Dask."""
    out = tmp_path_factory.mktemp("plain")
    return [o.summary for o in run_sweep(small_grid, SETTINGS, ProcessPool(1), out)]


class KillsAWorker:
    """Passes pieces through, and kills one worker process of the cluster after the first piece."""

    def __init__(self, executor):
        self.executor, self.killed = executor, None

    def computed(self, jobs, tasks):
        """The cluster's pieces; one of its workers is killed while the others are still running."""
        for done, piece in enumerate(self.executor.computed(jobs, tasks)):
            if done == 0 and self.killed is None:
                self.killed = next(iter(self.executor.client.run(os.getpid).values()))
                os.kill(self.killed, signal.SIGKILL)
            yield piece


@pytest.mark.parametrize(("workers", "cells_at_once"), [(1, 1), (2, 2), (4, 3)])
def test_every_number_of_workers_gives_the_same_summaries(
    small_grid, on_one_process, tmp_path, workers, cells_at_once
):
    with dask_executor(local_workers=workers) as executor:
        assert len(executor.client.nthreads()) == workers
        outcomes = run_sweep(small_grid, SETTINGS, executor, tmp_path, cells_at_once=cells_at_once)
    assert [o.cell.index for o in outcomes] == [0, 1, 2, 3]
    assert [o.summary for o in outcomes] == on_one_process
    assert on_one_process[0]["sensitivity"]["paths"] == 100  # the sensitivity runs went through too


def test_each_cell_is_what_size_fund_gives_for_its_scenario_file_alone(small_grid, tmp_path):
    with dask_executor(local_workers=2) as executor:
        outcomes = run_sweep(small_grid, SETTINGS, executor, tmp_path / "sweep")
    for outcome in outcomes:
        cell = tmp_path / "sweep" / "cells" / outcome.cell.slug
        alone = tmp_path / "alone" / outcome.cell.slug
        args = [str(cell / "scenario.toml"), "--out", str(alone), "--workers", "1", "--no-progress"]
        args += [
            "--paths",
            "300",
            "--seed",
            "5",
            "--sensitivity-paths",
            "100",
            "--chunk-paths",
            "50",
        ]
        assert size_fund_main(args) == 0
        summary = json.loads((alone / "summary.json").read_text(encoding="utf-8"))
        assert summary == outcome.summary
        assert json.loads((cell / "summary.json").read_text(encoding="utf-8")) == summary


def test_a_worker_killed_mid_sweep_loses_nothing(small_grid, on_one_process, tmp_path):
    with dask_executor(local_workers=2) as executor:
        killer = KillsAWorker(executor)
        outcomes = run_sweep(small_grid, SETTINGS, killer, tmp_path)
        survivors = set(executor.client.run(os.getpid).values())
    assert killer.killed is not None and killer.killed not in survivors
    assert [o.summary for o in outcomes] == on_one_process


@pytest.mark.parametrize(("engine", "paths"), [("vector", "200"), ("event", "30")])
def test_size_fund_runs_on_a_local_dask_cluster_with_the_same_answer(
    tmp_path, capsys, engine, paths
):
    args = [str(SCENARIOS / "jiyuan.toml"), "--paths", paths, "--seed", "3", "--chunk-paths", "10"]
    args += ["--engine", engine, "--sensitivity-paths", "0", "--no-progress"]
    assert size_fund_main([*args, "--out", str(tmp_path / "dask"), "--local-workers", "2"]) == 0
    assert "2 Dask worker(s)" in capsys.readouterr().out
    assert size_fund_main([*args, "--out", str(tmp_path / "plain"), "--workers", "1"]) == 0
    read = [(tmp_path / d / "summary.json").read_text(encoding="utf-8") for d in ("dask", "plain")]
    assert read[0] == read[1]


def test_a_bad_cell_is_named_and_the_rest_of_the_sweep_completes(tmp_path, capsys):
    grid = tmp_path / "grid.toml"
    grid.write_text(
        f'scenarios = ["{SCENARIOS / "jiyuan.toml"}"]\n'
        "[run]\npaths = 100\nseed = 2\nsensitivity_paths = 0\nchunk_paths = 50\n"
        '[variants.current]\n[variants.impossible]\n"default.pd_annual" = 2\n',
        encoding="utf-8",
    )
    out = tmp_path / "out"
    assert sweep_main([str(grid), "--out", str(out), "--local-workers", "1", "--no-progress"]) == 1
    assert "bad cell jiyuan/impossible: default.pd_annual:" in capsys.readouterr().err
    cells = json.loads((out / "sweep.json").read_text(encoding="utf-8"))["cells"]
    assert [(c["name"], c["status"]) for c in cells] == [
        ("jiyuan/current", "ok"),
        ("jiyuan/impossible", "failed"),
    ]
    assert cells[0]["recommended_yuan"] > 0 and cells[1]["recommended_yuan"] is None
    alone = json.loads((out / "cells" / "000-jiyuan-current" / "summary.json").read_text("utf-8"))
    assert (
        cells[0]["exhaustion_probability_se"]
        == alone["mc_standard_error"]["exhaustion_probability"]
    )
    assert cells[0]["recommended_ci_high_yuan"] == alone["budget"]["recommended_ci_yuan"][1]
    page = (out / "report.html").read_text(encoding="utf-8")
    assert "jiyuan/impossible" in page and "data:image/png;base64," in page and "http" not in page
    assert (out / "sweep.csv").read_text(encoding="utf-8").count("\n") == 3


def test_a_scheduler_that_does_not_answer_is_a_one_line_error(tmp_path, capsys):
    args = [str(SCENARIOS / "jiyuan.toml"), "--paths", "50", "--out", str(tmp_path)]
    with (
        dask.config.set({"distributed.comm.timeouts.connect": "1s"}),
        pytest.raises(SystemExit) as stopped,
    ):
        size_fund_main([*args, "--scheduler", "tcp://127.0.0.1:9", "--no-progress"])
    assert stopped.value.code == 2
    assert capsys.readouterr().err.startswith("error: cannot use the Dask cluster:")
