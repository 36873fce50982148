"""Real services that a test starts, stops and pauses itself on a spare port, so the machine's
own Redis stays up whatever the test does to its private one."""

from __future__ import annotations

import shutil
import signal
import socket
import subprocess
import time


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class RedisServer:
    """`redis-server` on 127.0.0.1:port without persistence: start, stop, pause, resume."""

    def __init__(self, port: int | None = None) -> None:
        self.port = port or free_port()
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> RedisServer:
        executable = shutil.which("redis-server")
        assert executable, "redis-server is not installed"
        arguments = ["--port", str(self.port), "--bind", "127.0.0.1", "--save", ""]
        self.process = subprocess.Popen(  # noqa: S603
            [executable, *arguments, "--appendonly", "no"],
            stdout=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2) as conn:
                    conn.sendall(b"PING\r\n")
                    if conn.recv(16).startswith(b"+PONG"):
                        return self
            except OSError:
                time.sleep(0.05)
        raise RuntimeError(f"redis-server did not start on port {self.port}")

    def stop(self) -> None:
        if self.process is not None:
            self.resume()
            self.process.terminate()
            self.process.wait(timeout=10)
            self.process = None

    def pause(self) -> None:
        """Hang it: connections are accepted by the kernel, nothing is answered."""
        assert self.process is not None
        self.process.send_signal(signal.SIGSTOP)

    def resume(self) -> None:
        if self.process is not None:
            self.process.send_signal(signal.SIGCONT)

    def llen(self, key: str) -> int:
        import redis

        return redis.Redis(port=self.port).llen(key)


class PlatformStub:
    """A stand-in for the provincial platform on 127.0.0.1:port, in a thread: it checks each
    push's signature as the platform would (outbox/signing.py), keeps the events in the order
    they came, and counts the deliveries of each idempotency key. `fail(n, status)` answers the
    next n pushes with that status; `script(...)` the next pushes one by one, where 0 hangs
    without storing (no answer in the pusher's time) and -1 stores the event, then hangs (the
    answer lost: the pusher sends it again). `delay` slows every answer."""

    def __init__(self, secret: str) -> None:
        import threading
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        self.secret = secret
        self.events: list[dict] = []  # as taken, first delivery of each key
        self.deliveries: dict[str, int] = {}
        self.refused = 0  # bad signatures
        self.failures: list[int] = []
        self.hang_seconds = 0.0
        self.delay = 0.0
        self.requests = 0
        self.lock = threading.Lock()
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                stub._handle(self)

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/events"

    def start(self) -> PlatformStub:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def fail(self, times: int, status: int = 500) -> None:
        self.script(*[status] * times)

    def script(self, *statuses: int, hang_seconds: float = 0.0) -> None:
        with self.lock:
            self.failures = list(statuses)
            self.hang_seconds = hang_seconds

    def _handle(self, request) -> None:
        import json

        from outbox import signing

        body = request.rfile.read(int(request.headers.get("Content-Length", 0)))
        with self.lock:
            self.requests += 1
            status = self.failures.pop(0) if self.failures else None
            hang = self.hang_seconds
        time.sleep(self.delay)
        if status == 0:  # no answer in time
            time.sleep(hang)
            status = 503
        if status is None or status == -1:
            ok = signing.verify(
                self.secret,
                request.headers.get(signing.TIMESTAMP_HEADER, ""),
                body,
                request.headers.get(signing.SIGNATURE_HEADER, ""),
                now=time.time(),
                window=300,
            )
            key = request.headers.get(signing.KEY_HEADER, "")
            with self.lock:
                if not ok:
                    self.refused += 1
                    status = 403
                else:
                    self.deliveries[key] = self.deliveries.get(key, 0) + 1
                    if self.deliveries[key] == 1:
                        self.events.append(json.loads(body))
            if ok and status == -1:  # stored; the answer never reaches the pusher
                time.sleep(hang)
            status = 200 if ok else 403
        try:
            request.send_response(status)
            request.send_header("Content-Length", "0")
            request.end_headers()
        except OSError:  # the pusher gave up waiting
            pass
