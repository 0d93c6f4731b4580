"""Every new TCP connection, attempt by attempt: what the name resolved to, how each connect ended.

Python has no Happy Eyeballs (RFC 8305): urllib3, under botocore, tries the getaddrinfo()
answers one at a time with the whole connect timeout each, and so does ``httpget``. A dropped
SYN therefore costs a full connect timeout before the next address is tried. This module
records that per (host, port): the answer, each attempt (address, seconds, outcome), and the
seconds lost to failed attempts before one connected (the *stall*).

For boto3, ``dial`` replaces urllib3's address loop, not its connect: it resolves the host once
(recorded), orders the answers by NATLESS_IP_PREFERENCE (``netconf.order_addresses``, so the
preference applies to boto3 as it does to ``httpget``), then calls urllib3's own
``create_connection`` once per *numeric* address, timing each call. Resolving a numeric
address needs no DNS, and socket options, source address and timeout stay urllib3's; with the
preference "system" the attempts and their order are exactly urllib3's.

Records go to the ``Log`` of the current invocation (``watching``, a context variable);
outside one nothing is recorded. The preference lives in the same context.
"""

from __future__ import annotations

import errno
import socket
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

import urllib3.util.connection
from netconf import AddrInfo, family_name, normalize_host, order_addresses

MAX_KEPT = 8  # attempts and addresses kept per host: enough to show the pattern, bounded
CONNECTED = "connected"
TIMEOUT = "timeout"
GAI_ERRORS = {
    getattr(socket, name): name
    for name in ("EAI_NONAME", "EAI_NODATA", "EAI_AGAIN", "EAI_FAIL", "EAI_FAMILY", "EAI_SERVICE")
    if hasattr(socket, name)
}


@dataclass(frozen=True)
class Attempt:
    family: str
    address: str
    seconds: float
    outcome: str  # "connected", "timeout", an errno name (ECONNREFUSED) or an exception class

    def as_dict(self) -> dict[str, Any]:
        return {
            "address": self.address,
            "family": self.family,
            "seconds": round(self.seconds, 3),
            "outcome": self.outcome,
        }


@dataclass
class HostLog:
    """What this invocation saw for one (host, port)."""

    addresses: list[tuple[str, str]] | None = None  # (family, address) of the latest answer
    resolve_error: str | None = None  # EAI_NONAME ... of the latest failed resolution
    connect_timeout: float | None = None
    attempts: list[Attempt] = field(default_factory=list)  # the first MAX_KEPT
    outcomes: Counter[str] = field(default_factory=Counter)  # of every attempt
    stall_s: float = 0.0  # failed attempts before a successful one, summed

    @property
    def total_attempts(self) -> int:
        return sum(self.outcomes.values())


class Log:
    """Per (host, port) records of one invocation. Thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._hosts: dict[tuple[str, int], HostLog] = {}

    def get(self, host: str, port: int) -> HostLog | None:
        with self._lock:
            return self._hosts.get((normalize_host(host), int(port)))

    def _entry(self, host: str, port: int) -> HostLog:
        return self._hosts.setdefault((normalize_host(host), int(port)), HostLog())

    def resolved(self, host: str, port: int, infos: list[AddrInfo]) -> None:
        with self._lock:
            entry = self._entry(host, port)
            entry.addresses = [(family_name(i[0]), str(i[4][0])) for i in infos[:MAX_KEPT]]
            entry.resolve_error = None

    def resolve_failed(self, host: str, port: int, error: str) -> None:
        with self._lock:
            self._entry(host, port).resolve_error = error

    def attempted(
        self, host: str, port: int, attempt: Attempt, timeout: float | None, stall: float = 0.0
    ) -> None:
        with self._lock:
            entry = self._entry(host, port)
            if len(entry.attempts) < MAX_KEPT:
                entry.attempts.append(attempt)
            entry.outcomes[attempt.outcome] += 1
            entry.connect_timeout = timeout
            entry.stall_s += stall


_LOG: ContextVar[Log | None] = ContextVar("natless_bench_attempts", default=None)
_PREFERENCE: ContextVar[str] = ContextVar("natless_bench_ip_preference", default="system")


@contextmanager
def watching(preference: str) -> Iterator[Log]:
    """Record every connection made inside the block, ordering addresses by ``preference``."""
    log = Log()
    log_token, preference_token = _LOG.set(log), _PREFERENCE.set(preference)
    try:
        yield log
    finally:
        _PREFERENCE.reset(preference_token)
        _LOG.reset(log_token)


def outcome_of(exc: BaseException) -> str:
    """``timeout`` for a connect that got no answer in time, else the errno or class name."""
    number = getattr(exc, "errno", None)
    if isinstance(number, int) and number in errno.errorcode:
        return errno.errorcode[number]
    if isinstance(exc, TimeoutError):
        return TIMEOUT
    return type(exc).__name__


def resolve(
    host: str, port: int, resolver: Callable[..., list[AddrInfo]], **kw: Any
) -> list[AddrInfo]:
    """``resolver(host, port, **kw)``, its answer or its error recorded for (host, port)."""
    log = _LOG.get()
    try:
        infos = list(resolver(host, port, **kw))
    except socket.gaierror as exc:
        if log is not None:
            log.resolve_failed(host, port, GAI_ERRORS.get(exc.errno, f"EAI {exc.errno}"))
        raise
    if log is not None:
        log.resolved(host, port, infos)
    return infos


def connect_in_order(
    host: str,
    port: int,
    infos: list[AddrInfo],
    connect_one: Callable[[AddrInfo], socket.socket],
    timeout: float | None,
) -> socket.socket:
    """The first socket ``connect_one`` opens, trying ``infos`` in order; else the last error."""
    log = _LOG.get()
    lost = 0.0
    last_error: OSError | None = None
    for info in infos:
        start = time.perf_counter()
        try:
            sock = connect_one(info)
        except OSError as exc:
            seconds = time.perf_counter() - start
            lost += seconds
            last_error = exc
            if log is not None:
                log.attempted(host, port, _attempt(info, seconds, outcome_of(exc)), timeout)
            continue
        if log is not None:
            seconds = time.perf_counter() - start
            log.attempted(host, port, _attempt(info, seconds, CONNECTED), timeout, stall=lost)
        return sock
    if last_error is None:
        raise OSError(f"getaddrinfo returned no address for {host}:{port}")
    raise last_error


def dial(
    original: Callable[..., socket.socket], address: tuple[str, int], *args: Any, **kw: Any
) -> socket.socket:
    """urllib3's ``create_connection(address, timeout, ...)`` with recorded, ordered attempts."""
    host, port = address
    host = host.strip("[]")
    try:
        host.encode("idna")
    except UnicodeError:  # urllib3 raises its own LocationParseError for this: let it
        return original(address, *args, **kw)
    timeout = args[0] if args else kw.get("timeout")
    infos = resolve(
        host,
        port,
        socket.getaddrinfo,  # looked up per call, like urllib3 does
        family=urllib3.util.connection.allowed_gai_family(),
        type=socket.SOCK_STREAM,
    )

    def connect_one(info: AddrInfo) -> socket.socket:
        return original((_numeric(info), port), *args, **kw)

    ordered = order_addresses(infos, _PREFERENCE.get())
    return connect_in_order(host, port, ordered, connect_one, _seconds(timeout))


def _attempt(info: AddrInfo, seconds: float, outcome: str) -> Attempt:
    return Attempt(family_name(info[0]), str(info[4][0]), seconds, outcome)


def _numeric(info: AddrInfo) -> str:
    sockaddr = info[4]
    if info[0] == socket.AF_INET6 and len(sockaddr) >= 4 and sockaddr[3]:
        return f"{sockaddr[0]}%{sockaddr[3]}"  # a link-local address keeps its scope
    return str(sockaddr[0])


def _seconds(timeout: Any) -> float | None:
    return float(timeout) if isinstance(timeout, int | float) else None  # not urllib3's sentinel
