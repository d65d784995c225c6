"""A sweep fits each cell's blocks to the memory a process may use, as size_fund.py does for one
scenario: a big city runs fewer paths a block, a small one keeps them, and each answer is the one
size_fund.py gives alone with the same limit."""

import json
from pathlib import Path

from sim.parallel import ProcessPool
from sim.sizing_cli import size_fund_main
from sim.sweep import grid_of
from sim.sweep_run import Settings, run_sweep

SCENARIOS = Path(__file__).resolve().parents[2] / "sim" / "scenarios"
TIGHT = Settings(
    paths=40, seed=3, engine="vector", confidence=0.99, sensitivity_paths=0, chunk_paths=50,
    max_memory_mb=122,
)  # fmt: skip


def test_a_cell_too_big_for_the_memory_runs_fewer_paths_a_block_like_size_fund(tmp_path, capsys):
    grid = grid_of({"scenarios": ["beijing.toml", "jiyuan.toml"]}, SCENARIOS)
    outcomes = run_sweep(grid, TIGHT, ProcessPool(1), tmp_path / "sweep")
    assert [o.summary["chunk_paths"] for o in outcomes] == [12, 50]
    alone = tmp_path / "alone"
    args = [str(SCENARIOS / "beijing.toml"), "--out", str(alone), "--workers", "1", "--paths", "40"]
    args += ["--seed", "3", "--chunk-paths", "50", "--max-memory-mb", "122"]
    assert size_fund_main([*args, "--sensitivity-paths", "0", "--no-progress"]) == 0
    assert "lowered from 50 to 12" in capsys.readouterr().err
    assert json.loads((alone / "summary.json").read_text(encoding="utf-8")) == outcomes[0].summary


def test_a_cell_that_cannot_fit_one_path_fails_by_name_and_the_others_run(tmp_path):
    grid = grid_of({"scenarios": ["beijing.toml", "jiyuan.toml"]}, SCENARIOS)
    tighter = Settings(**{**vars(TIGHT), "max_memory_mb": 121})
    outcomes = run_sweep(grid, tighter, ProcessPool(1), tmp_path)
    assert outcomes[0].summary is None and "--max-memory-mb" in outcomes[0].problem
    assert outcomes[1].summary is not None
