"""The whole size_fund run on a realistic book, against NumPy's raw normal rate (bench_sim.py --whole-run).

The book: example.toml with 10,000 loans at PD 2.5%, its four layers with re-guarantee and reinsurance and
its interest subsidy, claims filed 180 days after default, and a trading centre with 50 operators (about
70% busy). The marginal rate is loans x (many - few paths) / (t_many - t_few): start-up, charts and the
report cancel. Each size_fund run is timed between two NumPy normal draws (A, B, A, B, ...), so both see
the same machine; each figure is the best of --repeat.
"""

from __future__ import annotations

import contextlib
import filecmp
import io
import re
import tempfile
import time
from pathlib import Path

import numpy as np

from sim.sizing_cli import size_fund_main

EXAMPLE = Path(__file__).resolve().parents[1] / "sim" / "scenarios" / "example.toml"
LOANS = 10_000
BOOK = {
    "name": '"realistic"',
    "horizon_years": None,  # from --whole-years
    "loans": str(LOANS),
    "pd_annual": "0.025",
    "operators": "50",
}
NORMALS = 20_000_000


def realistic_book(directory: Path, years: int) -> Path:
    """Write the realistic book (example.toml with the BOOK keys changed) and return its path."""
    text = EXAMPLE.read_text(encoding="utf-8")
    for key, value in (BOOK | {"horizon_years": str(years)}).items():
        text, found = re.subn(rf"(?m)^{key}\s*=\s*[^#\n]*", f"{key} = {value} ", text)
        if found != 1:
            raise ValueError(f"example.toml has no single {key} line to change")
    text, found = re.subn(r"(?m)^\[compensation\]", "[compensation]\nclaim_days = 180", text)
    if found != 1:
        raise ValueError("example.toml has no [compensation] table")
    path = directory / "realistic.toml"
    path.write_text(text, encoding="utf-8")
    return path


def size_fund_seconds(book: Path, paths: int, out: Path, *options: str) -> float:
    """Wall-clock seconds of one whole size_fund run in this process (one worker unless told)."""
    args = [str(book), "--paths", str(paths), "--seed", "1", "--out", str(out), "--no-progress"]
    args += ["--workers", "1", *options]
    started = time.perf_counter()
    with contextlib.redirect_stdout(io.StringIO()):
        size_fund_main(args)
    return time.perf_counter() - started


def normals_per_second() -> float:
    """NumPy standard normals drawn per second (default generator, one call)."""
    rng = np.random.default_rng(0)
    started = time.perf_counter()
    rng.standard_normal(NORMALS)
    return NORMALS / (time.perf_counter() - started)


def whole_run(book: Path, few: int, many: int, repeat: int) -> dict[str, float]:
    """Marginal loan-paths/s of size_fund and normals/s, interleaved; and the sensitivity's cost."""
    normals, t_few, t_many, t_sens = [], [], [], []
    with tempfile.TemporaryDirectory() as out:
        for _ in range(repeat):
            normals.append(normals_per_second())
            t_few.append(size_fund_seconds(book, few, Path(out), "--sensitivity-paths", "0"))
            normals.append(normals_per_second())
            t_many.append(size_fund_seconds(book, many, Path(out), "--sensitivity-paths", "0"))
            normals.append(normals_per_second())
            t_sens.append(size_fund_seconds(book, many, Path(out)))  # default sensitivity
    marginal = LOANS * (many - few) / (min(t_many) - min(t_few))
    return {
        "normals_per_s": max(normals),
        "size_fund_few_s": min(t_few),
        "size_fund_many_s": min(t_many),
        "marginal_loan_paths_per_s": marginal,
        "ratio_marginal_over_normals": marginal / max(normals),
        "size_fund_many_with_sensitivity_s": min(t_sens),
        "sensitivity_extra_share": min(t_sens) / min(t_many) - 1,
    }


def identical_across_workers(book: Path, paths: int, scratch: Path) -> bool:
    """The same run on 1 and 2 workers writes the same summary.json and paths.csv, byte for byte."""
    outs = [scratch / f"workers_{w}" for w in (1, 2)]
    for workers, out in zip((1, 2), outs, strict=True):
        size_fund_seconds(book, paths, out, "--sensitivity-paths", "0", "--workers", str(workers))
    return all(
        filecmp.cmp(outs[0] / f, outs[1] / f, shallow=False) for f in ("summary.json", "paths.csv")
    )


def format_whole_run(f: dict, few: int, many: int, workers: int) -> str:
    """The whole-run figures as a short report."""
    return "\n".join(
        [
            f"numpy standard_normal (interleaved):   {f['normals_per_s']:>14,.0f} normals/s",
            f"size_fund, {LOANS:,} loans, {f['horizon_years']} year(s), 1 worker: "
            f"{few:,} paths {f['size_fund_few_s']:.2f} s, "
            f"{many:,} paths {f['size_fund_many_s']:.2f} s",
            f"marginal rate: {f['marginal_loan_paths_per_s']:,.0f} loan-paths/s = "
            f"{f['ratio_marginal_over_normals']:.2f} x the normal rate (goal >= 1.0)",
            f"default sensitivity runs: {many:,} paths take {f['size_fund_many_with_sensitivity_s']:.2f} s"
            f" with them, +{f['sensitivity_extra_share']:.0%} (goal <= 30%)",
            *(
                f"peak memory at {p:,} paths ({workers} workers): {f[f'memory_{p}_main_mib']:,.0f} MiB "
                f"main, {f[f'memory_{p}_worker_mib']:,.0f} MiB per worker"
                for p in (few, many)
            ),
            f"summary.json and paths.csv identical on 1 and 2 workers: {f['identical_across_workers']}",
        ]
    )
