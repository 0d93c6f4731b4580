"""HTTP(S) GET with its own connect loop, so the address-family preference really applies.

The host is resolved with getaddrinfo(), the addresses are ordered by NATLESS_IP_PREFERENCE
and tried in that order with the short connect timeout, at most one address per family: a dead
family costs one connect timeout (or an instant refusal) and then the other family is tried.
Each GET opens a new connection (``Connection: close``), so every sample includes DNS, TCP and,
for https, TLS; the peer of every connection goes to the evidence recorder and each attempt to
``attempts`` (for the diagnosis of failures and the stall before a connection).
"""

from __future__ import annotations

import functools
import http.client
import socket
import ssl
from collections.abc import Callable
from urllib.parse import urlsplit

import attempts
from evidence import RECORDER, Recorder
from netconf import AddrInfo, order_addresses

Resolver = Callable[..., list[AddrInfo]]
USER_AGENT = "natless-bench/1"


class HttpStatusError(Exception):
    """The server answered with a status >= 400 (error code ``HTTP<status>``)."""

    def __init__(self, status: int) -> None:
        super().__init__(f"HTTP status {status}")
        self.status = status


@functools.cache
def _tls_context() -> ssl.SSLContext:
    return ssl.create_default_context()  # loading the CA bundle is slow: once per container


def candidates(infos: list[AddrInfo], preference: str) -> list[AddrInfo]:
    """The addresses to try: in preference order, the first of each address family."""
    seen: set[int] = set()
    picked = []
    for info in order_addresses(infos, preference):
        if info[0] not in seen:
            seen.add(info[0])
            picked.append(info)
    return picked


def connect(
    host: str,
    port: int,
    preference: str,
    timeout: float,
    resolver: Resolver = socket.getaddrinfo,
) -> socket.socket:
    """A TCP socket connected to host:port; raises the last connect error if all fail."""
    infos = attempts.resolve(host, port, resolver, type=socket.SOCK_STREAM)

    def connect_one(info: AddrInfo) -> socket.socket:
        family, type_, proto, _, sockaddr = info
        sock = socket.socket(family, type_, proto)
        sock.settimeout(timeout)
        try:
            sock.connect(sockaddr)
        except OSError:
            sock.close()
            raise
        return sock

    return attempts.connect_in_order(
        host, port, candidates(infos, preference), connect_one, timeout
    )


def get(
    url: str,
    preference: str,
    connect_timeout: float,
    read_timeout: float,
    recorder: Recorder = RECORDER,
    resolver: Resolver = socket.getaddrinfo,
) -> int:
    """GET the URL, read the whole body, return the status; raise HttpStatusError on >= 400."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    tls = parts.scheme == "https"
    port = parts.port or (443 if tls else 80)
    recorder.note_request("http", host, port)
    sock = connect(host, port, preference, connect_timeout, resolver)
    recorder.note_peer(host, port, sock)
    sock.settimeout(read_timeout)
    conn = http.client.HTTPConnection(host, port, timeout=read_timeout)
    try:
        conn.sock = _tls_context().wrap_socket(sock, server_hostname=host) if tls else sock
        target = parts.path or "/"
        if parts.query:
            target += "?" + parts.query
        host_header = parts.netloc.rpartition("@")[2]
        conn.request(
            "GET",
            target,
            headers={"Host": host_header, "User-Agent": USER_AGENT, "Connection": "close"},
        )
        response = conn.getresponse()
        response.read()
        status = response.status
    finally:
        conn.close()
        sock.close()
    if status >= 400:
        raise HttpStatusError(status)
    return status
