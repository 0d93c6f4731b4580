"""A tiny HTTP API on loopback, standing in for the public API (jsonplaceholder) when there is
no internet: the emulator runs use it as the benchmark's ``http_get`` target."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType

from natless.interrupts import deferred

TODO = json.dumps({"userId": 1, "id": 1, "title": "delectus aut autem", "completed": False})


class _Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = TODO.encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:  # keep the terminal clean
        pass


class LocalApi:
    """``with LocalApi() as api: api.url`` -> http://127.0.0.1:PORT/todos/1"""

    def __init__(self) -> None:
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}/todos/1"

    def __enter__(self) -> LocalApi:
        with deferred():  # a signal inside Thread.start can break its lock (natless.interrupts)
            self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        with deferred():
            self._server.shutdown()
        self._server.server_close()
