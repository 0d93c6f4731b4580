"""The lab's front: what every listener speaks (TLS with the lab CA's certificate, then HTTP).

Every listener of the lab (one per node and ingress interface) accepts on port 443;
:class:`Front` serves them all (the certificate: :mod:`natless.net.labtls`): one selector
thread accepts, and each accepted connection gets a thread of its own (TLS is blocking) that
completes the TLS handshake, reads the first HTTP/1.1 request head and decides by it:

* ``GET /natless-lab/whoami`` (whatever the Host): ``200`` with ``{"node", "via", "peer",
  "server_name"}``, then closed. The lab's probes ask this: which node answered, on which
  interface (so which gateway delivered), from which source address, for which SNI name.
* Host an AWS name (ends with ``.amazonaws.com`` or ``.api.aws``, port stripped): relayed to the
  upstream (the emulator's loopback HTTP endpoint) request by request, Host header and SigV4
  signature as sent, each request over an upstream connection of its own (the emulator's
  server, werkzeug, closes after every answer) and its answer back without that ``Connection:
  close``, so the client keeps its connection as botocore keeps it with AWS (``Expect:
  100-continue`` is answered here; chunked bodies, aws-chunked with a checksum trailer included,
  are read to their end). The thread that opens the upstream connections was started by the
  selector thread, which runs in the host's namespace (never setns'd): so they reach the host's
  loopback, where the emulator is. No upstream: ``502`` and a one-line reason.
* any other Host (the public hosts ``*.natless.example``, an address): answered locally, ``200``
  ``application/json`` ``{"host", "node", "via", "peer"}`` with ``Connection: close`` (the HTTP
  workload opens one connection per GET anyway).

Every connection goes into a log (:meth:`Front.connections`): which node and interface it came
in by, from where, for which name, and how many bytes each way, so a demo can say which path each
service's traffic took. :meth:`Front.stop` shuts every socket down (which wakes every thread),
joins the threads with a bound and closes what is left: no thread and no socket keeps a
namespace alive after the lab.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import selectors
import socket
import ssl
import threading
import time
from dataclasses import dataclass, replace
from urllib.parse import urlsplit

from natless.errors import UserError
from natless.interrupts import deferred

WHOAMI_PATH = "/natless-lab/whoami"
AWS_SUFFIXES = (".amazonaws.com", ".api.aws")
WHOAMI, AWS, PUBLIC, FAILED = "whoami", "aws", "public", "failed"  # Connection.kind
HANDSHAKE_S = 5.0  # a client in the lab completes it in a few ms
HEAD_S = 10.0  # the first request head after the handshake
HEAD_LIMIT = 64 * 1024
UPSTREAM_CONNECT_S = 5.0
SEND_S = 30.0  # one write to a peer that does not read
IDLE_S = 300.0  # a relayed connection nobody uses (botocore's pool keeps them open) is closed
CHUNK = 64 * 1024
JOIN_S = 5.0  # teardown: the bound on joining the threads (shut-down sockets wake them at once)


@dataclass(frozen=True)
class Connection:
    """One accepted connection, as the front saw it (bytes: so far, while it is open)."""

    node: str  # the node whose listener accepted it
    via: str  # that listener's label for its interface (a gateway id, "function", ...)
    peer: str  # the source address it came from
    kind: str  # whoami, aws, public, or failed (TLS or no request)
    started: float  # time.monotonic() at accept
    server_name: str | None = None  # the client's SNI
    host: str | None = None  # the Host header, port stripped
    bytes_up: int = 0  # from the client (decrypted)
    bytes_down: int = 0  # to the client
    error: str | None = None  # failed: why
    closed: bool = False


def upstream_address(url: str) -> tuple[str, int]:
    """``http://HOST:PORT`` (the emulator's endpoint) as a socket address."""
    parts = urlsplit(url)
    if parts.scheme != "http" or not parts.hostname:
        raise UserError(f"lab upstream {url!r}: give http://HOST:PORT (the emulator's endpoint)")
    try:
        port = parts.port or 80
    except ValueError:
        raise UserError(f"lab upstream {url!r}: the port is not a number") from None
    return parts.hostname, port


def kind_of(method: str, path: str, host: str | None) -> str:
    """What the front does with a request (see the module docstring)."""
    if method == "GET" and path == WHOAMI_PATH:
        return WHOAMI
    if host and host.endswith(AWS_SUFFIXES):
        return AWS
    return PUBLIC


def strip_port(host: str) -> str:
    host = host.strip().lower()
    if host.startswith("["):  # [2001:db8::1]:443
        return host[1 : host.find("]")] if "]" in host else host
    if host.count(":") == 1:
        return host.split(":", 1)[0]
    return host


def parse_head(head: bytes) -> tuple[str, str, str | None]:
    """(method, path, host) of an HTTP/1.x request head; ValueError if it is not one."""
    lines = head.decode("latin-1").split("\r\n")
    method, target, version = lines[0].split(" ")
    if not version.startswith("HTTP/1."):
        raise ValueError(f"not HTTP/1.x: {version!r}")
    host = None
    for line in lines[1:]:
        name, sep, value = line.partition(":")
        if sep and name.strip().lower() == "host":
            host = strip_port(value)
            break
    if target.startswith(("http://", "https://")):  # absolute-form
        parts = urlsplit(target)
        host = host or (parts.hostname or None)
        target = parts.path or "/"
    return method, target.split("?", 1)[0], host


def _header(head: bytes, name: bytes) -> bytes | None:
    """The value of header ``name`` (lower case) in an HTTP head, None if it has none."""
    for line in head.split(b"\r\n")[1:]:
        key, sep, value = line.partition(b":")
        if sep and key.strip().lower() == name:
            return value.strip()
    return None


def body_end(head: bytes, rest: bytes) -> int | None:
    """Where the body of the request with this head ends in ``rest`` (what came after the
    head), None while it has not all come: by its chunks' own framing (:func:`chunks_end`), else
    by its Content-Length (none: no body)."""
    if (_header(head, b"transfer-encoding") or b"").lower() == b"chunked":
        return chunks_end(rest)
    length = _header(head, b"content-length")
    size = int(length) if length is not None and length.isdigit() else 0
    return size if len(rest) >= size else None


def closes(head: bytes) -> bool:
    """Whether the client asks to close after this exchange (``Connection: close``)."""
    return (_header(head, b"connection") or b"").lower() == b"close"


def keep_alive(answer: bytes, client_closes: bool) -> tuple[bytes, bool]:
    """The upstream's answer for a client that keeps its connection: without ``Connection:
    close`` when the answer's length is framed (Content-Length or chunked, or a status without
    a body); else as it came, and the connection ends after it."""
    head, sep, body = answer.partition(b"\r\n\r\n")
    status = head.split(b" ", 2)[1] if head.count(b" ") >= 1 else b""
    framed = (
        _header(head, b"content-length") is not None
        or _header(head, b"transfer-encoding") is not None
        or status in (b"204", b"304")
        or status.startswith(b"1")
    )
    if client_closes or not sep or not framed:
        return answer, False
    return without_header(head, b"connection") + sep + body, True


def without_header(head: bytes, name: bytes) -> bytes:
    """An HTTP head without header ``name`` (lower case)."""
    lines = head.split(b"\r\n")
    kept = [lines[0], *(x for x in lines[1:] if x.partition(b":")[0].strip().lower() != name)]
    return b"\r\n".join(kept)


def response(status: str, body: bytes, content_type: str = "application/json") -> bytes:
    head = (
        f"HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\n"
        f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
    )
    return head.encode() + body


class _Record:
    """A log entry being written by its connection's thread (snapshot: :class:`Connection`)."""

    def __init__(self, node: str, via: str, peer: str) -> None:
        self.value = Connection(node, via, peer, FAILED, time.monotonic())


class Front:
    """The listeners of a lab and what they answer (see the module docstring)."""

    def __init__(self, upstream: str | None = None) -> None:
        self.sockets: list[tuple[socket.socket, str, str]] = []  # socket, node, via
        self.upstream = upstream_address(upstream) if upstream else None
        self._wake_r, self._wake_w = socket.socketpair()
        self._thread: threading.Thread | None = None
        self._context: ssl.SSLContext | None = None
        self._lock = threading.Lock()
        self._stopping = False
        self._log: list[_Record] = []
        self._live: dict[threading.Thread, list[socket.socket]] = {}  # thread -> its sockets

    def add(self, node: str, ifname: str, via: str, sock: socket.socket) -> None:
        self.sockets.append((sock, node, via))

    def start(self, context: ssl.SSLContext) -> None:
        """Serve with this server context (its SNI callback is set here). Call it from a thread
        in the process's own namespace: the serving threads inherit the caller's, and the relay
        must reach the upstream on the host's loopback."""
        if _netns_inode("thread-self") != _netns_inode("self"):
            raise RuntimeError("the lab's front must be started in the host's network namespace")
        context.sni_callback = _remember_sni
        self._context = context
        self._thread = threading.Thread(target=self._serve, name="lab-listeners", daemon=True)
        with deferred():
            self._thread.start()

    def connections(self) -> list[Connection]:
        with self._lock:
            return [r.value for r in self._log]

    def threads(self) -> list[threading.Thread]:
        """The threads serving connections now."""
        with self._lock:
            return list(self._live)

    def _serve(self) -> None:
        sel = selectors.DefaultSelector()
        sel.register(self._wake_r, selectors.EVENT_READ, None)
        for sock, node, via in self.sockets:
            sock.setblocking(False)
            sel.register(sock, selectors.EVENT_READ, (node, via))
        while True:
            for key, _ in sel.select():
                if key.data is None:
                    sel.close()
                    return
                node, via = key.data
                try:
                    conn, peer = key.fileobj.accept()  # type: ignore[union-attr]
                except OSError:
                    continue
                host = str(peer[0]).removeprefix("::ffff:")
                record = _Record(node, via, host)
                thread = threading.Thread(
                    target=self._one, args=(conn, record), name=f"lab-front-{node}", daemon=True
                )
                with self._lock:
                    if self._stopping:
                        conn.close()
                        continue
                    self._log.append(record)
                    self._live[thread] = [conn]
                thread.start()

    def _hold(self, sock: socket.socket) -> bool:
        """Note a socket of the calling thread (closed at stop); False if stopping already."""
        with self._lock:
            if self._stopping:
                return False
            self._live[threading.current_thread()].append(sock)
            return True

    def _update(self, record: _Record, **changes: object) -> None:
        with self._lock:
            record.value = replace(record.value, **changes)  # type: ignore[arg-type]

    def _one(self, conn: socket.socket, record: _Record) -> None:
        held: list[socket.socket] = [conn]
        try:
            assert self._context is not None
            # Small writes (TLS records, "100 Continue") go out at once, not after the peer's
            # delayed ACK: Nagle's 40 ms would otherwise show in the timings (urllib3 sets the
            # same on the function's side).
            conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            conn.settimeout(HANDSHAKE_S)
            tls = self._context.wrap_socket(conn, server_side=True, do_handshake_on_connect=False)
            held.append(tls)  # conn is detached now: tls owns the file descriptor
            if not self._hold(tls):
                return
            try:
                tls.do_handshake()
            except (OSError, ValueError) as exc:
                self._update(record, error=f"TLS: {_reason(exc)}")
                return
            server_name = getattr(tls, "natless_sni", None)
            self._update(record, server_name=server_name)
            tls.settimeout(HEAD_S)
            data = _read_head(tls)
            if data is None:
                self._update(record, error="no HTTP request")
                return
            head = data.split(b"\r\n\r\n", 1)[0]
            try:
                method, path, host = parse_head(head)
            except ValueError:
                self._update(record, error="not an HTTP/1.x request")
                return
            kind = kind_of(method, path, host)
            self._update(record, kind=kind, host=host, bytes_up=len(data))
            value = record.value
            if kind == WHOAMI:
                body = {"node": value.node, "via": value.via, "peer": value.peer}
                reply = response("200 OK", json.dumps(body | {"server_name": server_name}).encode())
            elif kind == PUBLIC:
                body = {"host": host, "node": value.node, "via": value.via, "peer": value.peer}
                reply = response("200 OK", json.dumps(body).encode())
            elif self.upstream is None:
                reply = response(
                    "502 Bad Gateway",
                    f"the lab has no emulator behind it: {host} is not served here\n".encode(),
                    "text/plain",
                )
            else:
                self._requests(tls, data, record, held)
                return
            tls.sendall(reply)
            self._update(record, bytes_down=len(reply))
        except OSError as exc:
            self._update(record, error=_reason(exc))
        finally:
            for sock in reversed(held):
                with contextlib.suppress(OSError):
                    sock.close()
            with self._lock:
                record.value = replace(record.value, closed=True)
                self._live.pop(threading.current_thread(), None)

    def _requests(
        self, tls: ssl.SSLSocket, data: bytes, record: _Record, held: list[socket.socket]
    ) -> None:
        """Request by request, each over a connection of its own to the upstream, whose answer
        goes back without its ``Connection: close``. The emulator's server (werkzeug) closes
        every connection after one response; AWS keeps it, and botocore's pool reuses it (and
        its TLS session) for the next call. So here too a client keeps its connection, and a
        call in the lab costs what it costs in AWS: a connection per pool slot, not per call.
        ``Expect: 100-continue`` (botocore's S3 uploads, whose bodies are chunked, with a
        checksum trailer) is answered here, and the request goes on without it."""
        assert self.upstream is not None
        up_total, down_total = 0, 0
        tls.settimeout(SEND_S)
        while True:
            head, _, rest = data.partition(b"\r\n\r\n")
            if (_header(head, b"expect") or b"").lower() == b"100-continue":
                tls.sendall(b"HTTP/1.1 100 Continue\r\n\r\n")
                head = without_header(head, b"expect")
            while (end := body_end(head, rest)) is None:
                chunk = tls.recv(CHUNK)
                if not chunk:
                    return
                rest += chunk
            request, data = head + b"\r\n\r\n" + rest[:end], rest[end:]
            answer = self._exchange(request, held)
            if answer is None:
                reply = response("502 Bad Gateway", b"the lab's emulator does not answer\n")
                tls.sendall(reply)
                self._update(record, error="upstream: no answer", bytes_down=down_total)
                return
            answer, keep = keep_alive(answer, closes(head))
            tls.sendall(answer)
            up_total, down_total = up_total + len(request), down_total + len(answer)
            self._update(record, bytes_up=up_total, bytes_down=down_total)
            if not keep:
                return
            tls.settimeout(IDLE_S)  # botocore's pool keeps idle connections: wait for the next
            try:
                while b"\r\n\r\n" not in data:
                    chunk = tls.recv(CHUNK)
                    if not chunk or len(data) > HEAD_LIMIT:
                        return
                    data += chunk
            except TimeoutError:
                return
            tls.settimeout(SEND_S)

    def _exchange(self, request: bytes, held: list[socket.socket]) -> bytes | None:
        """One request to the upstream on a new connection; its whole answer (read to the
        upstream's close), or None when it cannot be reached or sends nothing."""
        assert self.upstream is not None
        try:
            up = socket.create_connection(self.upstream, timeout=UPSTREAM_CONNECT_S)
        except OSError:
            return None
        with up:
            held.append(up)
            if not self._hold(up):
                return None
            up.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            up.settimeout(SEND_S)
            up.sendall(request)
            answer = _read_answer(up, request.split(b" ", 1)[0] == b"HEAD")
        held.remove(up)
        with self._lock:  # closed: stop need not shut it down
            self._live[threading.current_thread()].remove(up)
        return answer or None

    def stop(self) -> None:
        """Stop accepting, shut every connection down, join the threads (bounded), close all."""
        with self._lock:
            self._stopping = True
        if self._thread is not None:
            with contextlib.suppress(OSError):
                self._wake_w.send(b"x")
            with deferred():
                self._thread.join(timeout=JOIN_S)
            self._thread = None
        with self._lock:
            live = {t: list(s) for t, s in self._live.items()}
        for sockets in live.values():
            for sock in sockets:
                with contextlib.suppress(OSError):
                    socket.socket.shutdown(sock, socket.SHUT_RDWR)  # wakes a blocked read
        deadline = time.monotonic() + JOIN_S
        for thread in live:
            with deferred():
                thread.join(timeout=max(0.0, deadline - time.monotonic()))
        for sockets in live.values():  # a thread that did not end: its sockets go anyway
            for sock in sockets:
                with contextlib.suppress(OSError):
                    sock.close()
        for sock, _, _ in self.sockets:
            sock.close()
        self.sockets.clear()
        self._wake_r.close()
        self._wake_w.close()


def _netns_inode(task: str) -> int:
    """The network namespace of /proc/<task> ("self": the main thread's; "thread-self")."""
    return os.stat(f"/proc/{task}/ns/net").st_ino


def _remember_sni(sock: ssl.SSLSocket | ssl.SSLObject, name: str | None, _: ssl.SSLContext) -> None:
    sock.natless_sni = name  # type: ignore[union-attr]


def _read_head(tls: ssl.SSLSocket) -> bytes | None:
    """Everything read up to and including the end of the first request head (and whatever
    came with it), or None if the client closed or sent no head within HEAD_LIMIT bytes."""
    data = b""
    while b"\r\n\r\n" not in data:
        if len(data) > HEAD_LIMIT:
            return None
        chunk = tls.recv(CHUNK)
        if not chunk:
            return None
        data += chunk
    return data


def _read_answer(up: socket.socket, to_head: bool) -> bytes:
    """One HTTP answer from ``up``: its head, then the body its framing gives (Content-Length,
    chunked, or up to the close); what came before the upstream closed if it closes early."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = up.recv(CHUNK)
        if not chunk:
            return data
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    status = head.split(b" ", 2)[1] if head.count(b" ") else b""
    if to_head or status in (b"204", b"304") or status.startswith(b"1"):
        return head + b"\r\n\r\n"
    length = _header(head, b"content-length")
    chunked = (_header(head, b"transfer-encoding") or b"").lower() == b"chunked"
    while True:
        if length is not None and length.isdigit() and len(body) >= int(length):
            return head + b"\r\n\r\n" + body[: int(length)]
        if chunked and chunks_end(body) is not None:
            return head + b"\r\n\r\n" + body
        chunk = up.recv(CHUNK)
        if not chunk:
            return head + b"\r\n\r\n" + body
        body += chunk


def chunks_end(body: bytes) -> int | None:
    """Where a chunked body ends (after its zero-size chunk and its trailers), None if it has
    not ended yet; a body that is not chunked after all ends where it is."""
    pos = 0
    while True:
        end = body.find(b"\r\n", pos)
        if end < 0:
            return None
        try:
            size = int(body[pos:end].split(b";", 1)[0], 16)
        except ValueError:
            return len(body)
        if size == 0:  # then trailers (aws-chunked's checksum), each a line, and an empty line
            if body[end + 2 : end + 4] == b"\r\n":
                return end + 4
            close = body.find(b"\r\n\r\n", end + 2)
            return None if close < 0 else close + 4
        pos = end + 2 + size + 2
        if pos > len(body):
            return None


def _reason(exc: BaseException) -> str:
    """A short reason: the certificate check's message, OpenSSL's reason, or the errno's name."""
    if isinstance(exc, ssl.SSLCertVerificationError) and exc.verify_message:
        return str(exc.verify_message)
    if isinstance(exc, ssl.SSLError) and exc.reason:
        return str(exc.reason)
    if isinstance(exc, TimeoutError | socket.timeout):
        return "timed out"
    if isinstance(exc, OSError) and exc.errno:
        return errno.errorcode.get(exc.errno, str(exc.errno))
    return str(exc) or type(exc).__name__
