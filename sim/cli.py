"""The command line: `python -m sim run SCENARIO.toml --paths N --engine vector|event`."""

from __future__ import annotations

import argparse
import sys
import time

from market.domain.money import format_yuan
from sim.limits import DEFAULT_MEMORY_MB, estimated_bytes, fit_chunk_paths
from sim.results import SimResult
from sim.runner import DEFAULT_CHUNK_PATHS, ENGINES, run
from sim.scenario import Scenario, ScenarioError, load
from sim.subsidy import LINES as SUBSIDY_LINES
from sim.subsidy import used_lines

EXIT_BAD_INPUT = 2


def main(argv: list[str] | None = None) -> int:
    """Parse the arguments, run the scenario and print a short summary; a bad scenario exits with 2."""
    args = _parser().parse_args(argv)
    try:
        scenario = load(args.scenario)
        chunk_paths = fitted_chunk_paths(scenario, args.chunk_paths, args.max_memory_mb)
    except ScenarioError as exc:
        print(f"error: {args.scenario}: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    started = time.perf_counter()
    result = run(scenario, args.paths, seed=args.seed, engine=args.engine, chunk_paths=chunk_paths)
    print(format_summary(result, args.confidence, time.perf_counter() - started))
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m sim", description="Simulate a risk-compensation fund."
    )
    commands = parser.add_subparsers(dest="command", required=True)
    run_cmd = commands.add_parser("run", help="run a scenario file and print a summary")
    run_cmd.add_argument("scenario", help="scenario TOML file")
    run_cmd.add_argument(
        "--paths", type=positive_int, default=1000, help="number of simulated paths"
    )
    run_cmd.add_argument("--engine", choices=ENGINES, default="vector")
    run_cmd.add_argument(
        "--seed", type=non_negative_int, default=None, help="overrides the scenario's seed"
    )
    run_cmd.add_argument(
        "--chunk-paths",
        type=positive_int,
        default=DEFAULT_CHUNK_PATHS,
        help="paths per seed block (part of what fixes the random draws)",
    )
    memory_option(run_cmd)
    run_cmd.add_argument(
        "--confidence",
        type=open_probability,
        default=0.95,
        help="for expected shortfall and budget needed",
    )
    return parser


def memory_option(parser: argparse.ArgumentParser) -> None:
    """--max-memory-mb: what one process may use; --chunk-paths is lowered to fit it."""
    parser.add_argument(
        "--max-memory-mb",
        type=positive_int,
        default=DEFAULT_MEMORY_MB,
        help="memory a process may use; fewer paths per block when needed (default %(default)s)",
    )


def fitted_chunk_paths(scenario: Scenario, chunk_paths: int, memory_mb: int, what: str = "") -> int:
    """`chunk_paths`, or fewer (saying so on stderr, about `what` if given) when a block would not
    fit in `memory_mb`; a ScenarioError naming the key when even one path at a time would not."""
    fitted = fit_chunk_paths(scenario, chunk_paths, memory_mb)
    if fitted < chunk_paths:
        print(
            f"note: {what + ': ' if what else ''}--chunk-paths lowered from {chunk_paths} to {fitted} so a block of paths fits "
            f"in {memory_mb:,} MB (about {estimated_bytes(scenario, fitted) / 2**20:,.0f} MB); "
            f"the draws differ from a run with --chunk-paths {chunk_paths}",
            file=sys.stderr,
        )
    return fitted


def non_negative_int(text: str) -> int:
    """An argparse type: a whole number, 0 or more."""
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError("must be 0 or more")
    return value


def open_probability(text: str) -> float:
    """An argparse type: a probability strictly between 0 and 1."""
    value = float(text)
    if not 0 < value < 1:
        raise argparse.ArgumentTypeError("must lie strictly between 0 and 1")
    return value


def positive_int(text: str) -> int:
    """An argparse type: a whole number, 1 or more."""
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def format_summary(result: SimResult, confidence: float, seconds: float) -> str:
    """A short table of what the bureau reads, per year and for the horizon."""
    s = result.scenario
    lines = [
        f"scenario {s.name!r}: {s.portfolio.loans} loans, {s.horizon_years} year(s), "
        f"engine {result.engine}, {result.paths} paths, seed {result.seed} ({seconds:.2f} s)",
    ]
    pct = f"{confidence:.0%}"
    paid = used_lines(s.subsidy) or ("interest",)  # one subsidy column even when none is paid
    header = (
        "",
        "defaults",
        "loss",
        "payout mean",
        "p95",
        "p99",
        f"ES{pct}",
        *(f"{line.replace('_', ' ')} subsidy" for line in paid),
        "P(short)",
        f"budget@{pct}",
    )
    rows = [header]
    for f, subsidies in zip(result.summary(confidence), _subsidy_means(result, paid), strict=True):
        rows.append(
            (
                f.label,
                f"{f.mean_defaults:.1f}",
                _yuan(f.mean_loss_fen),
                _yuan(f.mean_payout_fen),
                _yuan(f.payout_p95_fen),
                _yuan(f.payout_p99_fen),
                _yuan(f.payout_es_fen),
                *(_yuan(mean) for mean in subsidies),
                f"{f.p_budget_exhausted:.3f}",
                _yuan(f.budget_needed_fen),
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    lines += ["  ".join(cell.rjust(w) for cell, w in zip(row, widths, strict=True)) for row in rows]
    t = result.totals
    lines.append(
        f"at the horizon: waiting {_yuan(t.waiting_fen.mean())}, lapsed {_yuan(t.lapsed_fen.mean())}, "
        f"not yet approved {_yuan(t.pending_fen.mean())} (means per path); "
        f"mean days default->cash {t.disposal_days.sum() / max(1, t.disposals.sum()):.0f}"
    )
    return "\n".join(lines)


def _subsidy_means(result: SimResult, lines: tuple[str, ...]) -> list[list[float]]:
    """Mean subsidy per path of each line, per year and then over the horizon (summary()'s rows)."""
    subsidy = result.totals.subsidy_fen[:, :, [SUBSIDY_LINES.index(line) for line in lines]]
    per_year = subsidy.mean(axis=0).tolist()  # (years, lines)
    return [*per_year, subsidy.sum(axis=1).mean(axis=0).tolist()]


def _yuan(fen: float) -> str:
    """Whole yuan for a summary table: 123456789.4 fen -> "¥1,234,568"."""
    return format_yuan(int(round(fen / 100)) * 100).removesuffix(".00")
