"""A minimal DNS client: one A or AAAA question over UDP, the addresses of the answer.

Why not dnspython: the lab asks two record types of one server and reads addresses back; that is
~50 lines of RFC 1035 with the standard library, while a dependency would be installed on every
machine that only ever computes costs. Why not ``socket.getaddrinfo``: it asks the resolver of
``/etc/resolv.conf`` (the host's, whatever namespace the thread is in), never the lab's; a socket
made inside a function's namespace sends this query from the function's own address, so the
packet takes that subnet's routes to the lab's resolver.
"""

from __future__ import annotations

import ipaddress
import secrets
import socket
import struct
import time
from dataclasses import dataclass

A, AAAA = 1, 28
NOERROR, SERVFAIL, NXDOMAIN = 0, 2, 3
RCODES = {0: "NOERROR", 1: "FORMERR", 2: "SERVFAIL", 3: "NXDOMAIN", 4: "NOTIMP", 5: "REFUSED"}
DNS_PORT = 53
_HEADER = struct.Struct("!HHHHHH")
_RR = struct.Struct("!HHIH")


@dataclass(frozen=True)
class Answer:
    rcode: int  # NOERROR, NXDOMAIN, ...; -1: no reply within the timeout
    addresses: tuple[str, ...]
    seconds: float

    @property
    def status(self) -> str:
        return "no reply" if self.rcode < 0 else RCODES.get(self.rcode, str(self.rcode))


def encode_query(name: str, rtype: int, ident: int) -> bytes:
    """A query with recursion desired for ``name`` (absolute or not) and ``rtype``."""
    labels = [label.encode("idna") for label in name.rstrip(".").split(".") if label]
    qname = b"".join(bytes([len(label)]) + label for label in labels) + b"\0"
    return _HEADER.pack(ident, 0x0100, 1, 0, 0, 0) + qname + struct.pack("!HH", rtype, 1)


def _skip_name(data: bytes, offset: int) -> int:
    while True:
        length = data[offset]
        if length & 0xC0 == 0xC0:  # a compression pointer ends the name
            return offset + 2
        offset += 1 + length
        if length == 0:
            return offset


def decode_reply(data: bytes, ident: int, rtype: int) -> tuple[int, tuple[str, ...]] | None:
    """(rcode, addresses of type ``rtype``), or None when it is not the reply to ``ident``."""
    if len(data) < _HEADER.size:
        return None
    got, flags, qdcount, ancount, _, _ = _HEADER.unpack_from(data)
    if got != ident or not flags & 0x8000:
        return None
    offset = _HEADER.size
    for _ in range(qdcount):
        offset = _skip_name(data, offset) + 4
    found: list[str] = []
    for _ in range(ancount):
        offset = _skip_name(data, offset)
        kind, _, _, length = _RR.unpack_from(data, offset)
        offset += _RR.size
        if kind == rtype and length in (4, 16):
            found.append(str(ipaddress.ip_address(data[offset : offset + length])))
        offset += length
    return flags & 0x000F, tuple(found)


def query(server: str, name: str, rtype: int, timeout: float, port: int = DNS_PORT) -> Answer:
    """Ask ``server`` (an IPv4 or IPv6 address) once; the socket is made in the calling thread's
    network namespace. No reply within ``timeout`` is rcode -1, not an exception."""
    ident = secrets.randbelow(0x10000)
    family = socket.AF_INET6 if ":" in server else socket.AF_INET
    started = time.monotonic()
    with socket.socket(family, socket.SOCK_DGRAM) as sock:
        sock.settimeout(timeout)
        try:
            sock.connect((server, port))
            sock.send(encode_query(name, rtype, ident))
            while True:
                remaining = timeout - (time.monotonic() - started)
                if remaining <= 0:
                    raise TimeoutError
                sock.settimeout(remaining)
                decoded = decode_reply(sock.recv(4096), ident, rtype)
                if decoded is not None:
                    rcode, addresses = decoded
                    return Answer(rcode, addresses, time.monotonic() - started)
        except OSError:  # TimeoutError, and ICMP errors surfacing on a connected socket
            return Answer(-1, (), time.monotonic() - started)
