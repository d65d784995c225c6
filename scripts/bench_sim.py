#!/usr/bin/env python
"""Benchmarks of the simulator against the machine's own limits (a benchmark, not a timed test).

    python scripts/bench_sim.py [--vector-paths 10000] [--event-paths 300] [--memory-paths 100000 400000]
    python scripts/bench_sim.py --whole-run [--whole-paths 2000 20000] [--repeat 2]

(a) NumPy's raw standard_normal rate; (b) the vector engine on a 10,000-loan, one-year scenario;
(c) the event engine on the same scenario; (d) a bare SimPy timeout loop, and (d') the trading
centre's SimPy queue alone (the operators' timeouts, no simulator work around them).
Then the peak memory of size_fund at large --paths, and its speed with --workers 1 and 2.
The machine may be shared: each rate is the best of --repeat runs, and ratios are taken within one run.

    python scripts/bench_sim.py --sweep [--sweep-paths 4000] [--repeat 3]

measures instead the sweep of sim/sweeps/province.toml on Dask LocalClusters of one and two workers
(speed-up) and the same cells on a plain pool of two processes (the distributed path's overhead), and
the client process's share of the two-worker sweep's CPU time (what it takes from the workers).
--whole-run measures the whole size_fund script (run, summary, charts, report, paths.csv) on a realistic
book instead (sim/bench_whole.py): its marginal loan-paths/s against NumPy's normals/s, the cost of the
default sensitivity runs, peak memory at two path counts, and identical results across --workers.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
import tomllib
from collections.abc import Callable
from pathlib import Path

import numpy as np
import simpy
from bench_whole import (  # scripts/bench_whole.py: the script's directory is on the path
    format_whole_run,
    identical_across_workers,
    realistic_book,
    whole_run,
)

import sim
from sim import event
from sim.contributions import contributions
from sim.fund_study import size_fund
from sim.parallel import ProcessPool
from sim.runner import Plan, book_of
from sim.scenario import Scenario, parse
from sim.sizing_cli import size_fund_main

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "sim" / "scenarios" / "example.toml"
SWEEP = ROOT / "sim" / "sweeps" / "province.toml"


def main(argv: list[str] | None = None) -> int:
    """Run the benchmarks and print the figures (and write them as JSON with --json)."""
    args = _parser().parse_args(argv)
    if args.measure_memory:
        return _measure_memory(args.measure_memory, args.workers, args.memory_scenario)
    if args.sweep:
        return sweep(args)
    if args.whole_run:
        return whole_run_main(args)
    if args.models:
        figures = model_overhead(args.vector_paths // 4, args.repeat)
        print(format_model_overhead(figures))
        return 0
    figures: dict[str, float] = {"load_average_1min": os.getloadavg()[0]}
    for paths in args.memory_paths:  # first, while this process is small (a child starts from it)
        figures |= _memory(paths, args.workers)
    scenario = bench_scenario(args.loans)
    loans = scenario.portfolio.loans
    a_rates, b_times = [], []
    for _ in range(args.repeat):  # (a) and (b) back to back, so both see the same machine load
        a_rates.append(normal_rate(50_000_000))
        b_times.append(best_time(1, lambda: sim.run(scenario, args.vector_paths, engine="vector")))
    figures["a_normals_per_s"] = max(a_rates)
    figures["b_loan_paths_per_s"] = loans * args.vector_paths / min(b_times)
    c_seconds, c_events = _event_run(scenario, args.event_paths, args.repeat)
    figures["c_loan_paths_per_s"] = loans * args.event_paths / c_seconds
    figures["c_events_per_s"] = c_events / c_seconds
    figures["c_events_per_default"] = c_events / max(1, _defaults(scenario, args.event_paths))
    figures["d_events_per_s"] = best(args.repeat, lambda: bare_timeout_rate(1_000_000))
    figures["d_queue_events_per_s"] = best(args.repeat, lambda: bare_queue_rate(200, 1000))
    figures["ratio_b_over_a"] = figures["b_loan_paths_per_s"] / figures["a_normals_per_s"]
    figures["ratio_c_over_d"] = figures["c_events_per_s"] / figures["d_events_per_s"]
    figures["ratio_c_over_d_queue"] = figures["c_events_per_s"] / figures["d_queue_events_per_s"]
    one, two = (
        best_time(
            1,
            lambda w=w: size_fund(
                sim.load(EXAMPLE), Plan(1, "vector", args.speedup_paths), workers=w
            ),
        )
        for w in (1, 2)
    )
    figures["speedup_paths"] = args.speedup_paths
    figures["workers_1_s"], figures["workers_2_s"], figures["speedup_2_workers"] = (
        one,
        two,
        one / two,
    )
    figures |= model_overhead(args.vector_paths // 4, args.repeat)
    print(format_figures(figures, loans, args))
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2), encoding="utf-8")
    return 0


CITIES = ("beijing", "xiangtan", "jiyuan")


def model_overhead(paths: int, repeat: int) -> dict[str, float]:
    """(e) The default scenarios on the one-factor path against the same scenarios as one sector with
    its own factor (the general path of sim.copula: the very same paths) and with a t copula, and the
    risk contributions' share of a sizing run (sim.contributions)."""
    one = general = fat = whole = contributed = 0.0
    for city in CITIES:
        data = tomllib.loads((ROOT / "sim" / "scenarios" / f"{city}.toml").read_text("utf-8"))
        scenario = parse(data)
        data["default"] |= {"factor_correlation": [[1.0]]}
        sectored = parse(_one_sector(data))
        data["default"] |= {"copula": "t", "degrees_of_freedom": 5}
        heavy = parse(_one_sector(data))
        one += best_time(repeat, lambda s=scenario: sim.run(s, paths))
        general += best_time(repeat, lambda s=sectored: sim.run(s, paths))
        fat += best_time(repeat, lambda s=heavy: sim.run(s, paths))
        sizing = size_fund(scenario, Plan(1, "vector", paths))
        chunks, book = sizing.figures.columns, book_of(scenario)
        whole += best_time(repeat, lambda s=scenario: size_fund(s, Plan(1, "vector", paths)))
        n = sizing.figures.paths
        contributed += best_time(
            repeat, lambda s=scenario, b=book, c=chunks, n=n: contributions(s, b, c, n)
        )
    return {
        "e_paths": paths,
        "e_one_factor_s": one,
        "e_sector_factor_s": general,
        "e_t_copula_s": fat,
        "e_contributions_share": contributed / whole,
    }


def format_model_overhead(f: dict[str, float]) -> str:
    """(e) as one line: the general copula paths and the contributions against the one-factor path."""
    return (
        f"(e) {', '.join(CITIES)} ({f['e_paths']:,} paths each): one-factor path "
        f"{f['e_one_factor_s']:.2f} s; as one sector with its own factor {f['e_sector_factor_s']:.2f} s "
        f"({f['e_sector_factor_s'] / f['e_one_factor_s'] - 1:+.0%}); t copula "
        f"{f['e_t_copula_s']:.2f} s ({f['e_t_copula_s'] / f['e_one_factor_s'] - 1:+.0%}); risk "
        f"contributions {f['e_contributions_share']:.1%} of a sizing run"
    )


def _one_sector(data: dict) -> dict:
    """A scenario's [default] with its single PD as one named segment (so a factor matrix applies)."""
    default = dict(data["default"])
    if "pd_annual" in default:
        default["segments"] = [{"name": "all", "share": 1, "pd_annual": default.pop("pd_annual")}]
    return data | {"default": default}


def bench_scenario(loans: int) -> Scenario:
    """The example scenario with `loans` loans and a one-year horizon (auction model, 4 operators)."""
    data = tomllib.loads(EXAMPLE.read_text(encoding="utf-8"))
    data["portfolio"]["loans"], data["horizon_years"], data["name"] = loans, 1, "bench"
    return parse(data)


def normal_rate(size: int) -> float:
    """Standard normals drawn per second by NumPy's default generator."""
    rng = np.random.default_rng(0)
    started = time.perf_counter()
    rng.standard_normal(size)
    return size / (time.perf_counter() - started)


def bare_timeout_rate(steps: int) -> float:
    """SimPy events per second for one process doing nothing but timeouts."""
    env = simpy.Environment()

    def ticker(env: simpy.Environment):
        for _ in range(steps):
            yield env.timeout(1)

    env.process(ticker(env))
    started = time.perf_counter()
    env.run()
    seconds = time.perf_counter() - started
    return next(env._eid) / seconds


def bare_queue_rate(cases: int, runs: int) -> float:
    """SimPy events per second for the trading centre's queue alone (sim.event.trading_centre), on
    path-sized runs of `cases` cases each keeping 4 operators 70% busy."""
    rng = np.random.default_rng(0)
    work = rng.random((runs, cases)) * 200
    filed = rng.random((runs, cases)) * work.sum(axis=1, keepdims=True) / (4 * 0.7)
    path = np.repeat(np.arange(runs), cases)
    before = event.events_scheduled()
    started = time.perf_counter()
    event.trading_centre(path, filed.ravel(), work.ravel(), operators=4)
    return (event.events_scheduled() - before) / (time.perf_counter() - started)


def best(repeat: int, rate: Callable[[], float]) -> float:
    """The highest of `repeat` measured rates (the run least disturbed by other work)."""
    return max(rate() for _ in range(repeat))


def best_time(repeat: int, call: Callable[[], object]) -> float:
    """The shortest of `repeat` wall-clock timings of a call."""
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        call()
        times.append(time.perf_counter() - started)
    return min(times)


def _event_run(scenario: Scenario, paths: int, repeat: int) -> tuple[float, int]:
    runs = []
    for _ in range(repeat):
        before = event.events_scheduled()
        seconds = best_time(1, lambda: sim.run(scenario, paths, engine="event"))
        runs.append((seconds, event.events_scheduled() - before))
    return min(runs)


def _defaults(scenario: Scenario, paths: int) -> int:
    return int(sim.run(scenario, paths, engine="vector").totals.defaults.sum())


def _memory(paths: int, workers: int, scenario: Path = EXAMPLE) -> dict[str, float]:
    """Peak memory of size_fund at `paths`, measured in a fresh process (its own and its workers')."""
    done = subprocess.run(
        [sys.executable, __file__, "--measure-memory", str(paths), "--workers", str(workers)]
        + ["--memory-scenario", str(scenario)],
        capture_output=True,
        text=True,
        check=True,
    )
    measured = json.loads(done.stdout.strip().splitlines()[-1])
    return {f"memory_{paths}_{key}": value for key, value in measured.items()}


def _measure_memory(paths: int, workers: int, scenario: Path) -> int:
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as out:  # the whole script: run, summary, charts, paths.csv
        args = [str(scenario), "--paths", str(paths), "--seed", "1", "--out", out]
        args += ["--workers", str(workers), "--sensitivity-paths", "0", "--no-progress"]
        with contextlib.redirect_stdout(io.StringIO()):
            size_fund_main(args)
    seconds = time.perf_counter() - started
    own = _peak_rss_mib()
    workers_peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(json.dumps({"main_mib": own, "worker_mib": workers_peak, "seconds": seconds}))
    return 0


def _peak_rss_mib() -> float:
    """This process's peak resident memory (VmHWM: unlike ru_maxrss it does not carry over the
    memory of the process that started it)."""
    status = Path("/proc/self/status")
    if status.is_file():
        for line in status.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def format_figures(f: dict[str, float], loans: int, args: argparse.Namespace) -> str:
    """The figures as a short report."""
    lines = [
        f"(a) numpy standard_normal:            {f['a_normals_per_s']:>14,.0f} normals/s",
        f"(b) vector engine ({loans:,} loans, 1 year, {args.vector_paths:,} paths):"
        f" {f['b_loan_paths_per_s']:,.0f} loan-paths/s",
        f"(c) event engine ({args.event_paths:,} paths): {f['c_loan_paths_per_s']:,.0f} loan-paths/s,"
        f" {f['c_events_per_s']:,.0f} events/s ({f['c_events_per_default']:.1f} events per default)",
        f"(d) bare SimPy timeout loop:          {f['d_events_per_s']:>14,.0f} events/s",
        f"(d') the centre's SimPy queue alone:   {f['d_queue_events_per_s']:>14,.0f} events/s",
        f"ratios: (b)/(a) = {f['ratio_b_over_a']:.2f}   (c)/(d) = {f['ratio_c_over_d']:.2f}"
        f"   (c)/(d') = {f['ratio_c_over_d_queue']:.2f}",
    ]
    for paths in args.memory_paths:
        lines.append(
            f"size_fund.py --paths {paths:,} (example.toml, {args.workers} workers): peak memory "
            f"{f[f'memory_{paths}_main_mib']:,.0f} MiB main, {f[f'memory_{paths}_worker_mib']:,.0f} MiB"
            f" per worker, {f[f'memory_{paths}_seconds']:.1f} s"
        )
    lines.append(
        f"size_fund --paths {args.speedup_paths:,}: {f['workers_1_s']:.1f} s on 1 worker, "
        f"{f['workers_2_s']:.1f} s on 2: speed-up {f['speedup_2_workers']:.2f}x"
    )
    lines.append(format_model_overhead(f))
    lines.append(
        f"(load average when the run started: {f['load_average_1min']:.2f} on this machine)"
    )
    return "\n".join(lines)


def sweep(args: argparse.Namespace) -> int:
    """The example sweep's throughput on Dask with one and two local workers, and on a plain pool of
    two processes (the same cells, the same block function): the speed-up and Dask's overhead."""
    from sim.distributed import dask_executor  # only this benchmark needs Dask
    from sim.sweep import load_grid
    from sim.sweep_cli import CELLS_AT_ONCE
    from sim.sweep_run import Settings, run_sweep

    grid = load_grid(SWEEP)
    settings = Settings(args.sweep_paths, 1, "vector", 0.99, 0, 1000)
    paths = settings.paths * len(grid.cells)
    figures: dict[str, float] = {"load_average_1min": os.getloadavg()[0], "paths": paths}
    # (executor, cells at once): the sweep as scripts/sweep.py runs it, and Dask with cells one at a
    # time like the plain pool (the same scheduling: only the way blocks reach the workers differs)
    runs: dict[str, list[float]] = {"dask_1": [], "dask_2": [], "dask_2_serial": [], "pool_2": []}
    with tempfile.TemporaryDirectory() as out, contextlib.ExitStack() as clusters:
        one = clusters.enter_context(dask_executor(local_workers=1))
        two = clusters.enter_context(dask_executor(local_workers=2))
        ways = {
            "dask_1": (one, CELLS_AT_ONCE),
            "dask_2": (two, CELLS_AT_ONCE),
            "dask_2_serial": (two, 1),
            "pool_2": (ProcessPool(2), 1),
        }
        for executor in (one, two):  # warm: the workers' imports are not part of the work
            run_sweep(grid, settings, executor, Path(out))
        cpu = {"client": 0.0, "workers": 0.0}  # the two-worker sweep's CPU seconds, by process
        for _ in range(args.repeat):  # back to back, so they see the same machine load
            for name, (executor, at_once) in ways.items():
                client, workers = _cpu_seconds(), sum(two.client.run(_cpu_seconds).values())
                started = time.perf_counter()
                run_sweep(grid, settings, executor, Path(out), cells_at_once=at_once)
                runs[name].append(time.perf_counter() - started)
                if name == "dask_2":
                    cpu["client"] += _cpu_seconds() - client
                    cpu["workers"] += sum(two.client.run(_cpu_seconds).values()) - workers
    for name, seconds in runs.items():
        figures[f"{name}_paths_per_s"] = paths / min(seconds)
    figures["speedup_2_workers"] = figures["dask_2_paths_per_s"] / figures["dask_1_paths_per_s"]
    figures["overhead_vs_pool"] = figures["pool_2_paths_per_s"] / figures["dask_2_paths_per_s"] - 1
    figures["overhead_serial_vs_pool"] = (
        figures["pool_2_paths_per_s"] / figures["dask_2_serial_paths_per_s"] - 1
    )
    # what the client's process (the sweep, its summaries, the scheduler) takes from the workers' cores:
    # a share of CPU time, which other users of a shared machine do not change as they do wall time
    figures["client_cpu_share_dask_2"] = cpu["client"] / (cpu["client"] + cpu["workers"])
    print(
        f"sweep {SWEEP.name}: {len(grid.cells)} cells x {settings.paths:,} paths, best of {args.repeat}\n"
        f"Dask LocalCluster, 1 worker:   {figures['dask_1_paths_per_s']:>10,.0f} paths/s\n"
        f"Dask LocalCluster, 2 workers:  {figures['dask_2_paths_per_s']:>10,.0f} paths/s"
        f"   speed-up {figures['speedup_2_workers']:.2f}x (goal >= 1.7)\n"
        f"  the same, one cell at a time: {figures['dask_2_serial_paths_per_s']:>9,.0f} paths/s\n"
        f"plain pool, 2 processes:       {figures['pool_2_paths_per_s']:>10,.0f} paths/s"
        f" (one cell at a time)\n"
        f"Dask's overhead against the pool: {figures['overhead_vs_pool']:+.1%} as the sweep runs, "
        f"{figures['overhead_serial_vs_pool']:+.1%} one cell at a time (goal <= 15%)\n"
        f"the client's process used {figures['client_cpu_share_dask_2']:.1%} of the CPU time of the "
        f"two-worker sweep (the workers the rest)\n"
        f"(load average when the run started: {figures['load_average_1min']:.2f} on this machine)"
    )
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2), encoding="utf-8")
    return 0


def _cpu_seconds() -> float:
    """CPU time used by this process so far (all its threads), user and system."""
    used = resource.getrusage(resource.RUSAGE_SELF)
    return used.ru_utime + used.ru_stime


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--loans", type=int, default=10_000)
    parser.add_argument("--vector-paths", type=int, default=10_000)
    parser.add_argument("--event-paths", type=int, default=300)
    parser.add_argument("--memory-paths", type=int, nargs="*", default=[100_000, 400_000])
    parser.add_argument("--speedup-paths", type=int, default=100_000)
    parser.add_argument("--workers", type=int, default=2, help="workers for the memory runs")
    parser.add_argument("--repeat", type=int, default=3, help="runs per rate; the best is kept")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    parser.add_argument("--measure-memory", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--sweep", action="store_true", help="benchmark the Dask sweep instead")
    parser.add_argument(
        "--models",
        action="store_true",
        help="only (e): the copula's general paths and the risk contributions against the one-factor path",
    )
    parser.add_argument("--sweep-paths", type=int, default=4000, help="paths per cell of the sweep")
    parser.add_argument("--memory-scenario", type=Path, default=EXAMPLE, help=argparse.SUPPRESS)
    parser.add_argument("--whole-run", action="store_true", help="measure the whole size_fund run")
    parser.add_argument("--whole-paths", type=int, nargs=2, default=[2_000, 20_000])
    parser.add_argument("--whole-years", type=int, default=1, help="horizon of the realistic book")
    return parser


def whole_run_main(args: argparse.Namespace) -> int:
    """--whole-run: the whole size_fund run against NumPy's normal rate, sensitivity, memory, workers."""
    with tempfile.TemporaryDirectory() as scratch:
        book = realistic_book(Path(scratch), args.whole_years)
        few, many = args.whole_paths
        figures = {"horizon_years": args.whole_years} | whole_run(book, few, many, args.repeat)
        for paths in (few, many):
            figures |= _memory(paths, args.workers, book)
        figures["identical_across_workers"] = identical_across_workers(book, few, Path(scratch))
    print(format_whole_run(figures, few, many, args.workers))
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
