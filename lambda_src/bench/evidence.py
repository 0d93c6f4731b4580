"""Network evidence: which host each service called and which remote address it connected to.

botocore sends through urllib3, and urllib3 opens every socket with
``urllib3.util.connection.create_connection`` (``urllib3.connection`` looks it up on that
module at call time). ``install()`` wraps that function once per container so that every new
connection goes through ``attempts.dial`` (address order, attempts recorded) and records
``sock.getpeername()`` for its (host, port). A ``before-send`` hook on each
boto3 client records the (host, port) each service's requests go to. Together they say, per
service: host, address family and the remote address:port actually used.

The records live as long as the container, like the pooled connections they describe: the
latest connection per (host, port) is kept, so a warm invocation that reuses a pooled
connection still reports the address that connection went to.
"""

from __future__ import annotations

import functools
import socket
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import attempts
import urllib3.connection
import urllib3.util.connection
from netconf import family_name, normalize_host

DEFAULT_PORTS = {"http": 80, "https": 443}


@dataclass(frozen=True)
class Peer:
    family: str
    address: str
    port: int


class Recorder:
    """Latest peer per (host, port) and latest (host, port) per service. Thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._peers: dict[tuple[str, int], Peer] = {}
        self._targets: dict[str, tuple[str, int]] = {}

    def note_request(self, service: str, host: str, port: int) -> None:
        with self._lock:
            self._targets[service] = (normalize_host(host), port)

    def target(self, service: str) -> tuple[str, int] | None:
        """The (host, port) this service's latest request went to."""
        with self._lock:
            return self._targets.get(service)

    def note_url(self, service: str, url: str) -> None:
        parts = urlsplit(url)
        if parts.hostname:
            self.note_request(
                service, parts.hostname, parts.port or DEFAULT_PORTS.get(parts.scheme, 443)
            )

    def note_peer(self, host: str, port: int, sock: socket.socket) -> None:
        try:
            sockaddr = sock.getpeername()
        except OSError:  # not connected after all: nothing to prove
            return
        peer = Peer(family_name(sock.family), str(sockaddr[0]), int(sockaddr[1]))
        with self._lock:
            self._peers[(normalize_host(host), int(port))] = peer

    def report(self, services: Iterable[str]) -> dict[str, dict[str, Any]]:
        """Per service: host called and the peer connected to (None where nothing was seen)."""
        out: dict[str, dict[str, Any]] = {}
        with self._lock:
            for service in services:
                target = self._targets.get(service)
                peer = self._peers.get(target) if target else None
                out[service] = {
                    "host": target[0] if target else None,
                    "family": peer.family if peer else None,
                    "address": peer.address if peer else None,
                    "port": peer.port if peer else None,
                }
        return out


RECORDER = Recorder()


def watch_client(client: Any, service: str) -> None:
    """Record the (host, port) of every request this boto3 client sends."""
    client.meta.events.register("before-send", functools.partial(_on_send, service))


def _on_send(service: str, request: Any = None, **_: Any) -> None:
    if request is not None:
        RECORDER.note_url(service, request.url)
    # returning None: never short-circuits the send


def _wrap(original: Callable[..., socket.socket]) -> Callable[..., socket.socket]:
    @functools.wraps(original)
    def create_connection(address: tuple[str, int], *args: Any, **kwargs: Any) -> socket.socket:
        sock = attempts.dial(original, address, *args, **kwargs)
        RECORDER.note_peer(address[0], address[1], sock)
        return sock

    create_connection.natless_evidence = True  # type: ignore[attr-defined]
    return create_connection


def _unwrapped(func: Callable[..., socket.socket]) -> Callable[..., socket.socket]:
    while getattr(func, "natless_evidence", False):
        func = func.__wrapped__  # type: ignore[attr-defined]
    return func


def _modules() -> list[Any]:
    # urllib3 1.26/2.x call util.connection.create_connection through the module attribute;
    # patch urllib3.connection too in case a version imports the name directly.
    mods = [urllib3.util.connection]
    if hasattr(urllib3.connection, "create_connection"):
        mods.append(urllib3.connection)
    return mods


def install() -> None:
    """Wrap urllib3's create_connection (idempotent: never wraps twice)."""
    for mod in _modules():
        mod.create_connection = _wrap(_unwrapped(mod.create_connection))


def uninstall() -> None:
    """Restore urllib3's own create_connection (tests)."""
    for mod in _modules():
        mod.create_connection = _unwrapped(mod.create_connection)
