"""DNS for `natless audit --resolve`: which AWS service an address belongs to, and whether an
internet host has IPv6.

Lookups go through :class:`SocketResolver` (the system resolver, each lookup bounded); tests
inject their own :class:`Resolver`.
"""

from __future__ import annotations

import socket
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from typing import Protocol, TypeVar

DNS_TIMEOUT_S = 2.0
T = TypeVar("T")


class Resolver(Protocol):
    def addresses(self, name: str) -> list[str]:
        """The IPv4 addresses (A records) of ``name``; [] when none or on timeout."""
        ...

    def has_ipv6(self, address: str) -> bool | None:
        """Does the host at ``address`` have IPv6: its PTR name has an AAAA record?
        None when there is no PTR name (or the lookup timed out)."""
        ...


class SocketResolver:
    """DNS through the system resolver, each lookup bounded by ``timeout_s``.

    ``socket`` lookups take no timeout of their own, so each runs in a worker thread and is
    abandoned (not waited for) when it overruns.
    """

    def __init__(self, timeout_s: float = DNS_TIMEOUT_S) -> None:
        self.timeout_s = timeout_s
        self._pool = ThreadPoolExecutor(max_workers=8, thread_name_prefix="natless-dns")

    def _bounded(self, call: Callable[[], T], default: T) -> T:
        future = self._pool.submit(call)
        try:
            return future.result(timeout=self.timeout_s)
        except (FutureTimeout, OSError, UnicodeError):
            return default

    def addresses(self, name: str) -> list[str]:
        def lookup() -> list[str]:
            infos = socket.getaddrinfo(name, 443, socket.AF_INET, socket.SOCK_STREAM)
            return sorted({str(info[4][0]) for info in infos})

        return self._bounded(lookup, [])

    def has_ipv6(self, address: str) -> bool | None:
        host = self._bounded(lambda: socket.gethostbyaddr(address)[0], None)
        if not host:
            return None

        def aaaa() -> bool:
            return bool(socket.getaddrinfo(host, 443, socket.AF_INET6, socket.SOCK_STREAM))

        try:
            return self._pool.submit(aaaa).result(timeout=self.timeout_s)
        except socket.gaierror:
            return False  # the name exists and has no AAAA record
        except (FutureTimeout, OSError, UnicodeError):
            return None

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
