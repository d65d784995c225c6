"""Measure bidding under load: the real app under gunicorn on loopback, N concurrent bidders through the API.

    .venv/bin/python scripts/load_bids.py                       # SQLite, 50 bidders, 20 s
    .venv/bin/python scripts/load_bids.py --postgres postgresql+psycopg://postgres@127.0.0.1:5432/postgres
    .venv/bin/python scripts/load_bids.py --bidders 50 --seconds 30 --workers 4 --worker-class gthread --threads 2
    .venv/bin/python scripts/load_bids.py --reference --json out/bids.json --postgres postgresql+psycopg://...
    .venv/bin/python scripts/load_bids.py --webhooks            # bidders hear they were outbid by webhook

With --reference each database is also served by scripts/reference_bids.py (the least a bid service on our
stack does: Flask + SQLAlchemy Core, the same gunicorn settings and database kind), driven by the same
client and bidders and checked for the same invariants, run for run interleaved with ours; the figure to
judge is the ratio of accepted bids/s (ours / reference's), which does not depend on the host's speed.

For each database it builds a fresh one (a temp SQLite file; with --postgres a throw-away database made
through that admin URL and dropped afterwards), arranges the auctions, bidder banks, API tokens and paid
deposits, starts gunicorn, then lets every bidder loop for a bounded time: pick an auction it does not
lead, bid the minimum plus 0-2 increments with a fresh Idempotency-Key, and learn the new state from
each answer (201, or the 409 that carries the fresh state); leading every lot it follows, it looks
again at its watch list (one GET for all its lots; --look lot: one GET per lot) and waits a moment
(--poll-seconds) if it still leads them all. Afterwards it reads every auction and its
whole history through the API and checks: every 201 is in the history with its amount and bidder,
the history is gapless and strictly increasing, price = the highest accepted bid, and the history holds
nothing but the 201s. Prints accepted bids/s, p50/p99 latency and the invariants. Loopback only;
requests are bounded in count and time and the script stops by itself.

With --webhooks every bidder bank registers an endpoint for `auction.outbid` on a receiver in its client
process (market.webhook_sink, loopback), `flask deliver --every 0.1` runs beside gunicorn, and a bidder that
leads every lot it follows waits for its outbid event instead of looking again; the event's payload gives the
next minimum, so it bids at once. The report gives the share of requests that were polls (looks) either way,
and how long an outbid event took from the bid to the receiver.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import multiprocessing as mp
import os
import random
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
BIN = Path(sys.executable).parent

from market.domain.money import parse_yuan  # noqa: E402 (after the path above)

OURS, REFERENCE = "market.app:create_app()", "scripts.reference_bids:create_app()"


def main() -> int:
    """Run the load against SQLite and, when asked, PostgreSQL; exit 1 if an invariant failed."""
    args = _arguments()
    targets = [("sqlite", None)]
    if args.postgres:
        targets.append(("postgresql", args.postgres))
    if args.only:
        targets = [t for t in targets if t[0] == args.only]
    report = {}
    for name, admin_url in targets:
        ours = run_one(name, admin_url, args, OURS)
        figures = {key: ours[key] for key in ("accepted_per_s", "p50_ms", "p99_ms", "invariants_ok", "poll_share",
                                              "webhooks_heard", "webhook_p50_ms", "webhook_p99_ms") if key in ours}
        if args.reference:
            reference = run_one(name, admin_url, args, REFERENCE)
            figures |= {"reference_accepted_per_s": reference["accepted_per_s"],
                        "reference_p50_ms": reference["p50_ms"], "reference_p99_ms": reference["p99_ms"],
                        "ratio": round(ours["accepted_per_s"] / reference["accepted_per_s"], 3)
                        if reference["accepted_per_s"] else None,
                        "invariants_ok": ours["invariants_ok"] and reference["invariants_ok"]}
            print(f"== {name}: ours / reference = {figures['ratio']} accepted bids/s; p99 "
                  f"{figures['p99_ms']:.0f} ms / {figures['reference_p99_ms']:.0f} ms", flush=True)
        report[name] = figures
    if args.json:
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json).write_text(json.dumps(report, indent=2) + "\n")
    return 0 if all(f["invariants_ok"] for f in report.values()) else 1


def _arguments():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--bidders", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--auctions", type=int, default=50)
    parser.add_argument("--workers", type=int, default=3, help="gunicorn worker processes")
    parser.add_argument("--worker-class", choices=["sync", "gthread"], default="sync",
                        help="gunicorn worker class (gthread keeps connections alive between requests)")
    parser.add_argument("--threads", type=int, default=1, help="threads per gthread worker")
    parser.add_argument("--clients", type=int, default=5, help="client processes the bidders are spread over")
    parser.add_argument("--postgres", metavar="ADMIN_URL", help="also run on a throw-away PostgreSQL database")
    parser.add_argument("--only", choices=["sqlite", "postgresql"])
    parser.add_argument("--database-name", help="name of the throw-away PostgreSQL database (created and dropped "
                                                "for each run; default ipd_load_<pid>)")
    parser.add_argument("--lots", type=int, default=LOTS_FOLLOWED, help="lots each bidder follows")
    parser.add_argument("--look", choices=["watch-list", "lot"], default="watch-list",
                        help="how a bidder leading every lot it follows looks again: all its lots in one request "
                             "(GET /auctions?id=..&id=..), or one lot (GET /auctions/<id>)")
    parser.add_argument("--poll-seconds", type=float, default=0.25,
                        help="how long a bidder that still leads every lot it follows waits before looking again")
    parser.add_argument("--max-requests", type=int, default=200_000, help="hard cap on bid requests")
    parser.add_argument("--reference", action="store_true",
                        help="also run scripts/reference_bids.py under the same settings and report the ratio")
    parser.add_argument("--json", metavar="FILE", help="write the figures per database to FILE")
    parser.add_argument("--webhooks", action="store_true",
                        help="bidders learn they were outbid from a webhook receiver on loopback instead of polling")
    return parser.parse_args()


# ---- arranging the database ---------------------------------------------------------------------


def arrange(database_url: str, bidders: int, auctions: int) -> tuple[list[int], list[str]]:
    """Auctions open for two days and bidder banks with tokens whose deposits are paid everywhere."""
    from market.db import make_engine, make_session_factory, unit_of_work
    from market.demo.bidding_load import arrange_bidding_load
    from market.migrate import upgrade_to_head

    engine = make_engine(database_url)
    upgrade_to_head(engine)
    with make_session_factory(engine)() as session, unit_of_work(session):
        arranged = arrange_bidding_load(session, datetime.now(UTC), bidders=bidders, auctions=auctions)
    engine.dispose()
    return arranged


def register_hooks(database_url: str, urls: list[str]) -> None:
    """Bidder bank i (the i-th token) registers urls[i] for outbid events."""
    import sqlalchemy as sa

    from market.db import make_engine, make_session_factory, unit_of_work
    from market.domain.notices import NoticeType
    from market.models import User
    from market.services import webhooks

    engine = make_engine(database_url)
    settings = webhooks.Settings(allow_http_loopback=True)
    with make_session_factory(engine)() as session, unit_of_work(session):
        for i, url in enumerate(urls):
            bank = session.scalar(sa.select(User.institution_id).where(User.email == f"bidder{i:03d}@load.test"))
            webhooks.register_endpoint(session, institution_id=bank, url=url, event_types=[NoticeType.OUTBID],
                                       created_by_id=None, now=datetime.now(UTC), settings=settings)
    engine.dispose()


def start_deliverer(database_url: str, workdir: str) -> subprocess.Popen:
    """`flask deliver`, waking every 100 ms, as production runs it beside the app."""
    env = {**os.environ, "MARKET_DATABASE_URL": database_url, "MARKET_INSTANCE_DIR": workdir,
           "MARKET_SECRET_KEY": "load-test-secret-not-for-production", "PYTHONPATH": str(ROOT),
           "MARKET_WEBHOOK_ALLOW_HTTP_LOOPBACK": "1"}
    with open(Path(workdir) / "deliver.log", "wb") as log:  # its errors, if any, without filling a pipe
        return subprocess.Popen([str(BIN / "flask"), "--app", "market.app", "deliver", "--every", "0.1"],
                                env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=log, start_new_session=True)


def free_port() -> int:
    """A loopback port nobody listens on now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


# ---- the server ---------------------------------------------------------------------------------


def start_server(database_url: str, workdir: str, workers: int, worker_class: str,
                 threads: int, app: str = OURS) -> tuple[subprocess.Popen, int]:
    """gunicorn on a free loopback port; returns once it answers."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {**os.environ, "MARKET_DATABASE_URL": database_url, "MARKET_INSTANCE_DIR": workdir,
           "MARKET_SECRET_KEY": "load-test-secret-not-for-production", "PYTHONPATH": str(ROOT)}
    command = [str(BIN / "gunicorn"), "--workers", str(workers), "--bind", f"127.0.0.1:{port}",
               "--backlog", "2048", "--log-level", "warning"]
    command += ["--worker-class", worker_class] + (["--threads", str(threads)] if worker_class == "gthread" else [])
    server = subprocess.Popen(command + [app], env=env, cwd=ROOT,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True)
    deadline = time.monotonic() + 120  # three workers importing the app on a busy machine take a while
    while True:
        try:
            status, _ = request(port, "GET", "/api/v1/openapi.json")
            if status == 200:
                return server, port
        except OSError:
            pass
        if server.poll() is not None or time.monotonic() > deadline:
            stop_server(server)  # first: its stderr ends only when it has stopped
            raise RuntimeError("gunicorn did not start: " + server.stderr.read().decode()[-2000:])
        time.sleep(0.2)


def stop_server(server: subprocess.Popen) -> None:
    """Stop the gunicorn we started (its own process group), if still there."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(server.pid, signal.SIGTERM)
    server.wait(timeout=30)


class Connection:
    """A minimal keep-alive HTTP/1.1 client on loopback (http.client parses headers with the email
    package, which costs the load generator more CPU than the server spends on some requests)."""

    def __init__(self, port: int):
        self.port = port
        self.sock: socket.socket | None = None
        self.buffer = b""

    def _connect(self) -> socket.socket:
        sock = socket.create_connection(("127.0.0.1", self.port), timeout=30)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.sock, self.buffer = sock, b""
        return sock

    def close(self) -> None:
        if self.sock is not None:
            self.sock.close()
        self.sock = None

    def request(self, method: str, path: str, body: dict | None = None, headers: dict | None = None):
        """Send one request and read its answer; reconnect once if the server closed an idle connection
        (every request here is safe to resend: GETs, and POSTs carrying an Idempotency-Key)."""
        payload = json.dumps(body).encode() if body is not None else b""
        lines = [f"{method} {path} HTTP/1.1", f"Host: 127.0.0.1:{self.port}"]
        lines += [f"{name}: {value}" for name, value in (headers or {}).items()]
        if body is not None:
            lines += ["Content-Type: application/json", f"Content-Length: {len(payload)}"]
        message = ("\r\n".join(lines) + "\r\n\r\n").encode() + payload
        for attempt in (1, 2):
            fresh = self.sock is None
            sock = self.sock or self._connect()
            try:
                sock.sendall(message)
                return self._response()
            except (ConnectionError, EOFError):
                self.close()
                if fresh or attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def _response(self):
        while b"\r\n\r\n" not in self.buffer:
            self._fill()
        head, _, self.buffer = self.buffer.partition(b"\r\n\r\n")
        status_line, *header_lines = head.decode("latin-1").split("\r\n")
        fields = {}
        for line in header_lines:
            name, _, value = line.partition(":")
            fields[name.strip().lower()] = value.strip()
        length = int(fields.get("content-length", "0"))
        while len(self.buffer) < length:
            self._fill()
        data, self.buffer = self.buffer[:length], self.buffer[length:]
        if fields.get("connection", "").lower() == "close":
            self.close()
        status = int(status_line.split(" ", 2)[1])
        try:
            return status, json.loads(data) if data else None
        except ValueError:
            return status, None

    def _fill(self) -> None:
        chunk = self.sock.recv(65536)
        if not chunk:
            raise EOFError("the server closed the connection")
        self.buffer += chunk


def request(port: int, method: str, path: str, body: dict | None = None, headers: dict | None = None):
    """One request on a connection of its own; returns (status, parsed JSON or None)."""
    connection = Connection(port)
    try:
        return connection.request(method, path, body, headers)
    finally:
        connection.close()


# ---- the bidders --------------------------------------------------------------------------------


def process_tree_cpu(root_pid: int | None = None, name: str | None = None) -> float:
    """CPU seconds (user + system) used so far by a process and its children, or by every process with
    this command name (Linux /proc; processes that ended in between are not counted)."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as handle:
                command, _, rest = handle.read().partition("(")[2].rpartition(")")
        except OSError:
            continue
        fields = rest.split()
        pid, ppid = int(entry), int(fields[1])
        if (name is not None and command == name) or (root_pid is not None and root_pid in (pid, ppid)):
            total += (int(fields[11]) + int(fields[12])) / tick
    return total


LOTS_FOLLOWED = 3


def bidder_process(port, jobs, auction_ids, deadline, max_requests, seed, poll_seconds, lots_followed, look_at,
                   results, hooks=None):
    """Run some bidders as threads in this process; send back what they saw and did. `hooks`: (receiver port,
    the global index of each job) when bidders hear of being outbid by webhook."""
    import queue
    import threading

    accepted, latencies, statuses, lock = [], [], {}, threading.Lock()
    budget, looks, waited, lags = [max_requests], [0], [0.0], []
    inboxes = [queue.SimpleQueue() for _ in jobs]
    sink = None
    if hooks is not None:
        from market.webhook_sink import WebhookSink

        hook_port, indexes = hooks
        local = {index: k for k, index in enumerate(indexes)}

        def outbid(event: dict, path: str) -> None:
            occurred = datetime.fromisoformat(event["occurred_at"].replace("Z", "+00:00"))
            with lock:
                lags.append((datetime.now(UTC) - occurred).total_seconds())
            inboxes[local[int(path.rsplit("/", 1)[1])]].put(event)

        sink = WebhookSink(port=hook_port, on_event=outbid, keep_raw=False).__enter__()

    def bidder(token: str, rng: random.Random, inbox) -> None:
        # A bank's system follows a few lots: it bids on one it does not lead, and when outbid it bids
        # again at once from the fresh state the 409 carries. Leading every lot as far as it knows, it
        # looks again (at its whole watch list in one request, or with --look lot at one lot), and
        # waits a moment if it still leads them all.
        auth = {"Authorization": f"Bearer {token}"}
        lots = rng.sample(auction_ids, min(lots_followed, len(auction_ids)))
        watch_list = "/api/v1/auctions?" + "&".join(f"id={a}" for a in lots)
        known: dict[int, dict] = {}  # auction id -> last state seen
        connection = Connection(port)
        retry: int | None = None

        def leads(auction_id: int) -> bool:
            state = known.get(auction_id)
            return state is not None and state["leader"] is not None and state["leader"] == state["your_code"]

        def look(auction_id: int) -> None:
            with lock:
                looks[0] += 1
            if look_at == "lot":
                known[auction_id] = connection.request("GET", f"/api/v1/auctions/{auction_id}", headers=auth)[1]
                return
            for state in connection.request("GET", watch_list, headers=auth)[1]["auctions"]:
                known[state["id"]] = state

        def heard(event: dict) -> None:  # an outbid webhook: the lot's next minimum, without asking
            auction_id = event["subject"]["id"]
            if auction_id in known and "minimum" in event["payload"]:
                known[auction_id] = {**known[auction_id], "leader": "(outbid)",
                                     "minimum_bid": event["payload"]["minimum"]}

        while time.time() < deadline:
            with lock:
                if budget[0] <= 0:
                    return
                budget[0] -= 1
            while hooks is not None and not inbox.empty():
                heard(inbox.get())
            free = [a for a in lots if not leads(a)]
            auction_id = retry or (rng.choice(free) if free else rng.choice(lots))
            if hooks is not None and auction_id in known and leads(auction_id):
                started = time.perf_counter()
                try:  # every followed lot is ours as far as we know: wait to hear otherwise
                    heard(inbox.get(timeout=max(0.0, min(1.0, deadline - time.time()))))
                except queue.Empty:
                    pass
                with lock:
                    waited[0] += time.perf_counter() - started
                    budget[0] += 1
                continue
            if auction_id not in known or leads(auction_id):  # unknown, or we led it when we last looked
                look(auction_id)
                free = [a for a in lots if not leads(a)]
                if look_at == "watch-list" and free and auction_id not in free:
                    auction_id = rng.choice(free)
            if leads(auction_id):
                retry = None
                time.sleep(poll_seconds)  # every followed lot is ours for now: look again later
                with lock:
                    waited[0] += poll_seconds
                continue
            state = known[auction_id]
            minimum, increment = parse_yuan(state["minimum_bid"]), parse_yuan(state["increment"])
            amount = minimum + rng.choice((0, 0, 1, 2)) * increment
            started = time.perf_counter()
            try:
                status, body = connection.request("POST", f"/api/v1/auctions/{auction_id}/bids",
                                                  body={"amount": f"{amount // 100}.{amount % 100:02d}"},
                                                  headers={**auth, "Idempotency-Key": str(uuid.uuid4())})
            except (OSError, EOFError):
                status, body = 0, None
                connection.close()
            elapsed = time.perf_counter() - started
            with lock:
                latencies.append(elapsed)
                statuses[status] = statuses.get(status, 0) + 1
                if status == 201:
                    bid = body["bid"]
                    accepted.append((auction_id, bid["seq"], bid["amount"], bid["bidder"]))
            if body and "auction" in body:
                known[auction_id] = body["auction"]
            else:
                known.pop(auction_id, None)
            retry = auction_id if status == 409 and body and body.get("error") == "outbid" else None

    threads = [threading.Thread(target=bidder, args=(token, random.Random(seed + i), inboxes[i]))
               for i, token in enumerate(jobs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if sink is not None:
        sink.__exit__(None, None, None)
    times = os.times()
    results.put((accepted, latencies, statuses, looks[0], waited[0], times.user + times.system, lags))


# ---- one run ------------------------------------------------------------------------------------


def run_one(name: str, admin_url: str | None, args, app: str = OURS) -> dict:
    """Arrange a fresh database, serve it with `app`, load, check and report; returns the figures."""
    workdir = tempfile.mkdtemp(prefix=f"load-bids-{name}-")
    database = None
    if admin_url:
        import sqlalchemy as sa

        database = args.database_name or f"ipd_load_{os.getpid()}"
        admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(sa.text(f'CREATE DATABASE "{database}"'))
        database_url = sa.engine.make_url(admin_url).set(database=database).render_as_string(hide_password=False)
    else:
        database_url = f"sqlite:///{workdir}/load.sqlite3"
    try:
        print(f"== {name}, {'reference' if app == REFERENCE else 'marketplace'} ({os.popen('uptime').read().strip()})")
        print(f"   arranging {args.auctions} auctions, {args.bidders} bidders with paid deposits ...",
              flush=True)
        auction_ids, tokens = arrange(database_url, args.bidders, args.auctions)
        hook_ports, deliverer = None, None
        hooks = args.webhooks and app == OURS  # the reference service raises no events
        if hooks:
            hook_ports = [free_port() for _ in range(client_processes(args, tokens))]
            register_hooks(database_url, [f"http://127.0.0.1:{hook_ports[i % len(hook_ports)]}/hooks/{i}"
                                          for i in range(len(tokens))])
        server, port = start_server(database_url, workdir, args.workers, args.worker_class, args.threads, app)
        if hooks:
            deliverer = start_deliverer(database_url, workdir)
        try:
            kind = f"gthread x{args.threads}" if args.worker_class == "gthread" else "sync"
            print(f"   gunicorn: {args.workers} {kind} workers on 127.0.0.1:{port}; bidding for {args.seconds:.0f} s",
                  flush=True)
            before, server_cpu = os.getloadavg()[0], process_tree_cpu(server.pid)
            database_cpu = process_tree_cpu(name="postgres") if admin_url else 0.0
            deliverer_cpu = process_tree_cpu(deliverer.pid) if deliverer else 0.0
            accepted, latencies, statuses, looks, waiting, wall, client_cpu, lags = load(
                port, auction_ids, tokens, args, hook_ports)
            server_cpu = process_tree_cpu(server.pid) - server_cpu
            if deliverer:  # the deliverer's CPU is the app's too
                server_cpu += process_tree_cpu(deliverer.pid) - deliverer_cpu
            database_cpu = process_tree_cpu(name="postgres") - database_cpu if admin_url else 0.0
            print(f"   machine load average (1 min) before/after: {before:.1f} / {os.getloadavg()[0]:.1f} "
                  f"on {os.cpu_count()} cores (other work on the machine skews the wall-clock figures)")
            if accepted:
                per_bid = (server_cpu + client_cpu + database_cpu) / len(accepted)
                print(f"   CPU: app {server_cpu:.1f} s + load client {client_cpu:.1f} s"
                      + (f" + PostgreSQL {database_cpu:.1f} s" if admin_url else "")
                      + f" = {per_bid * 1000:.1f} ms per accepted bid; an otherwise idle {os.cpu_count()}-core "
                      f"machine could take about {os.cpu_count() / per_bid:.0f} accepted bids/s")
            print(f"   bidders: {args.bidders}, each following {args.lots} lots and looking again by "
                  f"{args.look}; they spent {waiting:.0%} of their time "
                  + ("waiting for an outbid event" if hooks else f"waiting {args.poll_seconds:g} s to look again")
                  + " because they led every lot they follow (offered load, not the server, limits a run where "
                  "this is high and the CPU is not all used)")
            figures = check_and_report(port, tokens[0], auction_ids, accepted, latencies, statuses, looks, wall)
            figures["poll_share"] = round(looks / (looks + len(latencies)), 3) if looks + len(latencies) else None
            print(f"   polls: {looks} of {looks + len(latencies)} requests ({figures['poll_share']:.0%}) were looks at "
                  "lots the bidder led" + (f"; {len(lags)} outbid webhooks heard, bid to receiver p50 "
                                          f"{_at(lags, 0.5) * 1000:.0f} ms, p99 {_at(lags, 0.99) * 1000:.0f} ms"
                                          if hooks else ""))
            if hooks:
                figures |= {"webhooks_heard": len(lags), "webhook_p50_ms": round(_at(lags, 0.5) * 1000, 1),
                            "webhook_p99_ms": round(_at(lags, 0.99) * 1000, 1)}
        finally:
            if deliverer:
                stop_server(deliverer)
            stop_server(server)
    finally:
        if database:
            admin.dispose()
            admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
            with admin.connect() as connection:
                connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'))
            admin.dispose()
    return figures


def client_processes(args, tokens) -> int:
    """How many client processes the bidders are spread over (bidder i runs in process i % that)."""
    return max(1, min(args.clients, len(tokens)))


def _at(ordered: list[float], q: float) -> float:
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


def load(port, auction_ids, tokens, args, hook_ports=None):
    """Spread the bidders over a few client processes (so the client's GIL does not skew latency)."""
    context = mp.get_context("fork")
    results = context.Queue()
    processes = client_processes(args, tokens)
    started = time.time()
    deadline = started + args.seconds
    workers = [context.Process(target=bidder_process, args=(port, tokens[i::processes], auction_ids, deadline,
                                                             args.max_requests // processes, 1000 * i, args.poll_seconds,
                                                             args.lots, args.look, results,
                                                             None if hook_ports is None else
                                                             (hook_ports[i], list(range(i, len(tokens), processes)))))
               for i in range(processes)]
    for worker in workers:
        worker.start()
    accepted, latencies, statuses, looks, waited, client_cpu, lags = [], [], {}, 0, 0.0, 0.0, []
    for _ in workers:
        part_accepted, part_latencies, part_statuses, part_looks, part_waited, part_cpu, part_lags = results.get(
            timeout=args.seconds + 120)
        client_cpu += part_cpu
        lags += part_lags
        looks += part_looks
        waited += part_waited
        accepted += part_accepted
        latencies += part_latencies
        for status, count in part_statuses.items():
            statuses[status] = statuses.get(status, 0) + count
    for worker in workers:
        worker.join(timeout=30)
    wall = time.time() - started
    return accepted, latencies, statuses, looks, waited / (len(tokens) * wall), wall, client_cpu, sorted(lags)


def check_and_report(port, token, auction_ids, accepted, latencies, statuses, looks, wall) -> dict:
    """Read back every auction and history through the API and check the invariants; print and return the
    figures."""
    auth = {"Authorization": f"Bearer {token}"}
    problems = []
    history_total = 0
    by_auction: dict[int, dict[int, tuple[str, str]]] = {}
    for auction_id, seq, amount, bidder in accepted:
        if seq in by_auction.setdefault(auction_id, {}):
            problems.append(f"auction {auction_id}: two 201s with seq {seq}")
        by_auction[auction_id][seq] = (amount, bidder)
    for auction_id in auction_ids:
        _, auction = request(port, "GET", f"/api/v1/auctions/{auction_id}", headers=auth)
        _, page = request(port, "GET", f"/api/v1/auctions/{auction_id}/bids", headers=auth)
        bids = page["bids"]
        history_total += len(bids)
        seqs = [b["seq"] for b in bids]
        amounts = [parse_yuan(b["amount"]) for b in bids]
        if seqs != list(range(1, len(bids) + 1)):
            problems.append(f"auction {auction_id}: the sequence has gaps")
        if any(a >= b for a, b in zip(amounts, amounts[1:], strict=False)):
            problems.append(f"auction {auction_id}: prices do not strictly increase")
        if bids and (parse_yuan(auction["current_price"]) != max(amounts) or auction["bid_count"] != len(bids)):
            problems.append(f"auction {auction_id}: price {auction['current_price']} is not the highest bid")
        recorded = {b["seq"]: (b["amount"], b["bidder"]) for b in bids}
        for seq, expected in by_auction.get(auction_id, {}).items():
            if recorded.get(seq) != expected:
                problems.append(f"auction {auction_id}: accepted bid {seq} {expected} is not in the history")
        if len(recorded) != len(by_auction.get(auction_id, {})):
            problems.append(f"auction {auction_id}: the history holds bids nobody was told were accepted")
    latencies.sort()
    quantile = (lambda q: latencies[min(len(latencies) - 1, int(q * len(latencies)))] * 1000) if latencies \
        else (lambda q: float("nan"))
    print(f"   requests: {len(latencies)} bid POSTs in {wall:.1f} s; statuses {dict(sorted(statuses.items()))}; "
          f"{looks} looks ({looks / wall:.0f} GETs/s) by bidders looking again at lots they led")
    print(f"   accepted: {len(accepted)} bids = {len(accepted) / wall:.0f} accepted bids/s "
          f"({len(latencies) / wall:.0f} bid requests/s)")
    print(f"   latency of a bid POST: p50 {quantile(0.50):.1f} ms, p90 {quantile(0.90):.1f} ms, "
          f"p99 {quantile(0.99):.1f} ms, max {quantile(1.0):.1f} ms"
          + (f", mean {statistics.fmean(latencies) * 1000:.1f} ms" if latencies else ""))
    print(f"   invariants over {len(auction_ids)} auctions / {history_total} bids in the histories: "
          + ("OK (every 201 in the history; gapless; strictly increasing; price = highest accepted bid)"
             if not problems else "FAILED"))
    for problem in problems[:20]:
        print("     -", problem)
    return {"accepted_per_s": round(len(accepted) / wall, 1), "p50_ms": round(quantile(0.50), 1),
            "p99_ms": round(quantile(0.99), 1), "invariants_ok": not problems and len(accepted) == history_total}


if __name__ == "__main__":
    sys.exit(main())
