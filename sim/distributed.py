"""Seed blocks as Dask tasks: the pieces of sim.parallel computed on a cluster (dask.distributed).

A task is one piece (one seed block of one job) computed by sim.parallel.piece_figures, the function the
local process pool runs too, so which worker computes it cannot change a number. The client keeps a few
pieces per worker thread in flight and hands each finished one to run_jobs, which writes it to the job's
file on disk, then releases it on the cluster: memory stays flat on the client and on the workers. A
task carries everything it needs (the job and its range of paths), so a piece lost with its worker is
simply computed again by the scheduler on another one: a killed worker costs time, not results.
"""

from __future__ import annotations

import hashlib
import logging
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from importlib import metadata
from itertools import islice
from pathlib import Path

import dask
from distributed import Client, Future, LocalCluster, as_completed

from sim.parallel import Job, Task, default_workers, piece_figures
from sim.path_figures import Piece

IN_FLIGHT_PER_THREAD = 3  # enough to keep a worker busy while the client writes the last piece
_SOURCES = (
    Path(__file__).resolve().parent,
    Path(__file__).resolve().parents[1] / "market" / "domain",
)
_DRAWING_PACKAGES = ("numpy", "scipy", "simpy")
# Dask starts workers with glibc's trim threshold pinned low, which turns every large NumPy temporary of
# the engines into fresh pages from the kernel: blocks took about a third longer than in a plain process.
# Its statistical profiler (a stack sample every 10 ms in each worker) and its monitors (every 20 ms and
# 500 ms) are for the dashboard: on a LocalCluster they took 6 % of a core in the client and 4 % in each
# worker even when idle, cores the blocks need (scripts/bench_sim.py --sweep).
_LOCAL_CLUSTER = {
    "distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_": None,
    "distributed.worker.profile.enabled": False,
    "distributed.admin.system-monitor.interval": "5s",
    "distributed.admin.tick.interval": "1s",
}


class ClusterMismatch(RuntimeError):
    """Some workers run other simulator code or other versions of the packages that draw the numbers."""


class DaskExecutor:
    """An executor for sim.parallel.run_jobs whose pieces are tasks on a Dask cluster."""

    def __init__(self, client: Client, in_flight_per_thread: int = IN_FLIGHT_PER_THREAD) -> None:
        self.client = client
        self.in_flight_per_thread = in_flight_per_thread

    def describe(self) -> str:
        """Where the work runs, for the closing line of a script."""
        threads = self.client.nthreads()
        return f"{len(threads)} Dask worker(s) at {self.client.scheduler.address}"

    def computed(
        self, jobs: list[Job], tasks: list[Task]
    ) -> Iterator[tuple[int, int, Piece]]:
        """(job index, first path, piece) for every task, as the cluster finishes them."""
        client = self.client
        window = self.in_flight_per_thread * max(1, sum(client.nthreads().values()))
        run = uuid.uuid4().hex[:12]
        placed: dict[Future, tuple[int, int]] = {}
        finished = as_completed()
        waiting = iter(tasks)

        def submit(task: Task) -> None:
            j, first, stop = task
            key = f"sizing-piece-{run}-{j}-{first}"
            future = client.submit(piece_figures, jobs[j], first, stop, key=key)
            placed[future] = (j, first)
            finished.add(future)

        try:
            for task in islice(waiting, window):
                submit(task)
            for future in finished:
                j, first = placed.pop(future)
                piece = future.result()
                future.release()
                for task in islice(waiting, 1):
                    submit(task)
                yield j, first, piece
        finally:  # stopped early (an error, or the caller gave up): nothing left running for nobody
            if placed:
                client.cancel(list(placed))


@contextmanager
def dask_executor(
    scheduler: str | None = None, local_workers: int | None = None
) -> Iterator[DaskExecutor]:
    """A DaskExecutor on the scheduler at `scheduler` (e.g. tcp://10.0.0.5:8786), or on a LocalCluster
    of `local_workers` single-threaded processes (default: all cores); closed on leaving."""
    with ExitStack() as stack:
        if scheduler:
            # waits as long as distributed.comm.timeouts.connect says (30 s unless set)
            client = stack.enter_context(Client(scheduler))
        else:
            with dask.config.set(_LOCAL_CLUSTER):  # read when the scheduler and workers start
                cluster = LocalCluster(
                    n_workers=local_workers or default_workers(),
                    threads_per_worker=1,
                    processes=True,
                    dashboard_address=":0",  # any free port: two clusters may run side by side
                    silence_logs=logging.ERROR,
                )
            stack.enter_context(cluster)
            client = stack.enter_context(Client(cluster))
        check_same_simulator(client)
        yield DaskExecutor(client)


def check_same_simulator(client: Client) -> None:
    """Refuse a cluster whose workers would draw other numbers than this machine (ClusterMismatch)."""
    here = simulator_fingerprint()
    other = sorted(
        worker for worker, found in client.run(simulator_fingerprint).items() if found != here
    )
    if other:
        raise ClusterMismatch(
            f"{len(other)} worker(s) run other simulator code or package versions than this machine "
            f"({', '.join(other)}): install the same project version and {', '.join(_DRAWING_PACKAGES)}"
        )


def simulator_fingerprint() -> str:
    """A digest of the simulator's source (sim/, market/domain/) and of the versions of the packages
    that draw its random numbers: equal digests give equal results for equal seeds."""
    digest = hashlib.sha256()
    for package in _DRAWING_PACKAGES:
        digest.update(f"{package}=={metadata.version(package)}\n".encode())
    for folder in _SOURCES:
        for source in sorted(folder.glob("*.py")):
            digest.update(source.name.encode() + b"\0" + source.read_bytes())
    return digest.hexdigest()
