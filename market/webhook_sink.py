"""A webhook receiver on loopback, as a bank's system would run one: it checks each delivery's signature, dedupes
by event id and answers 2xx (or fails on purpose). Used by the tests, `scripts/load_bids.py --webhooks` and a
sandbox; its check is the README's recipe (`market.domain.notices.verify`)."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from market.domain.notices import SIGNATURE_HEADER, verify


class WebhookSink:
    """Receive deliveries at `url` in a background thread; `events` holds each event id's first body.

    `fail_first`: answer 500 to that many deliveries before accepting; `delay_s`: take this long per delivery;
    `on_event(event, path)`: called once per new event id with the path it was posted to (the receiver's own
    work, e.g. bid again); `clock`: the receiver's time, which the signature's timestamp must be near; `port`:
    where to listen (0: any free port); `keep_raw`: keep every POST's headers and body in `raw`."""

    def __init__(self, secret: str = "", *, fail_first: int = 0, delay_s: float = 0.0,
                 on_event: Callable[[dict, str], None] | None = None,
                 clock: Callable[[], datetime] = lambda: datetime.now(UTC), port: int = 0, keep_raw: bool = True):
        self.secret = secret
        self.clock = clock
        self.keep_raw = keep_raw
        self.fail_first = fail_first
        self.delay_s = delay_s
        self.on_event = on_event
        self.events: dict[int, dict] = {}
        self.received = 0  # every POST, duplicates and refusals included
        self.raw: list[tuple[dict[str, str], bytes]] = []  # each POST's headers and body, as received
        self.refused = 0  # bad or missing signature
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", port), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        """Where to register the endpoint."""
        return f"http://127.0.0.1:{self._server.server_address[1]}/hooks"

    def __enter__(self) -> WebhookSink:
        self._thread.start()
        return self

    def __exit__(self, *_exc) -> None:
        self._server.shutdown()
        self._server.server_close()

    def wait_for(self, count: int, timeout_s: float = 30.0) -> bool:
        """Wait until `count` distinct events arrived; whether they did in time."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if len(self.events) >= count:
                return True
            time.sleep(0.02)
        return len(self.events) >= count

    def _accept(self, path: str, headers: dict[str, str], body: bytes) -> int:
        header = headers.get(SIGNATURE_HEADER, "")
        with self._lock:
            self.received += 1
            if self.keep_raw:
                self.raw.append((headers, body))
            if self.secret and not verify(self.secret, header, body, self.clock()):
                self.refused += 1
                return 401
            if self.fail_first > 0:
                self.fail_first -= 1
                return 500
            event = json.loads(body)
            new = event["id"] not in self.events
            if new:
                self.events[event["id"]] = event
        if new and self.on_event is not None:
            self.on_event(event, path)
        return 204

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        sink = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - http.server's name
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                if sink.delay_s:
                    time.sleep(sink.delay_s)
                status = sink._accept(self.path, dict(self.headers.items()), body)
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *_args):  # quiet
                pass

        return Handler
