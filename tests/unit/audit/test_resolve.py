"""natless.audit.resolve: DNS answers become service addresses and IPv6 verdicts; a lookup that
hangs or fails gives "unknown", never an error or a wait beyond the bound."""

from __future__ import annotations

import socket
import threading

import pytest

from natless.audit import resolve
from natless.audit.resolve import SocketResolver

A = (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("192.0.2.10", 443))
A2 = (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("192.0.2.11", 443))


@pytest.fixture
def dns(monkeypatch: pytest.MonkeyPatch) -> dict[str, object]:
    """name -> answers (a list of getaddrinfo tuples, or an exception); 'ptr:ADDR' -> a name."""
    table: dict[str, object] = {}
    release = threading.Event()

    def getaddrinfo(host: str, port: int, family: int, kind: int) -> list[object]:
        answer = table.get(f"{family}:{host}")
        if answer == "hang":
            release.wait(5)
        if isinstance(answer, BaseException):
            raise answer
        if not answer:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return answer  # type: ignore[return-value]

    def gethostbyaddr(address: str) -> tuple[str, list[str], list[str]]:
        name = table.get(f"ptr:{address}")
        if name is None:
            raise socket.herror(1, "Unknown host")
        return str(name), [], [address]

    monkeypatch.setattr(resolve.socket, "getaddrinfo", getaddrinfo)
    monkeypatch.setattr(resolve.socket, "gethostbyaddr", gethostbyaddr)
    yield table
    release.set()


def test_a_records_of_a_name(dns: dict[str, object]) -> None:
    dns[f"{socket.AF_INET}:sqs.us-east-1.amazonaws.com"] = [A2, A, A]
    resolver = SocketResolver(timeout_s=1)
    assert resolver.addresses("sqs.us-east-1.amazonaws.com") == ["192.0.2.10", "192.0.2.11"]
    assert resolver.addresses("no-such.example") == []


def test_ipv6_of_an_internet_host(dns: dict[str, object]) -> None:
    dns["ptr:198.51.100.10"] = "v4only.example"
    dns["ptr:203.0.113.10"] = "dual.example"
    dns[f"{socket.AF_INET6}:dual.example"] = [A]  # the address is not read, only that one exists
    resolver = SocketResolver(timeout_s=1)
    assert resolver.has_ipv6("203.0.113.10") is True
    assert resolver.has_ipv6("198.51.100.10") is False  # a name without AAAA
    assert resolver.has_ipv6("198.51.100.99") is None  # no PTR name: unknown


def test_a_hanging_lookup_is_unknown_after_the_bound(dns: dict[str, object]) -> None:
    dns[f"{socket.AF_INET}:slow.example"] = "hang"
    dns["ptr:203.0.113.20"] = "slow.example"
    dns[f"{socket.AF_INET6}:slow.example"] = "hang"
    resolver = SocketResolver(timeout_s=0.2)
    try:
        assert resolver.addresses("slow.example") == []
        assert resolver.has_ipv6("203.0.113.20") is None
    finally:
        resolver.close()
