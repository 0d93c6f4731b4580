"""The lab's TLS front on a loopback listener (no namespace): whoami, the local public answer,
the byte relay of AWS names to an upstream (keep-alive, chunked bodies, Host as sent), the 502
without upstream, the connection log, and a stop that ends every thread."""

from __future__ import annotations

import json
import socket
import ssl
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from natless.errors import UserError
from natless.net.labfront import (
    AWS,
    FAILED,
    PUBLIC,
    WHOAMI,
    Front,
    body_end,
    kind_of,
    parse_head,
    upstream_address,
)
from natless.net.labtls import LabCA

NAMES = ["sqs.us-east-1.api.aws", "*.s3.us-east-1.amazonaws.com", "ipv4only.natless.example"]


class Echo(BaseHTTPRequestHandler):
    """An upstream that answers every request with what it received (HTTP/1.1 keep-alive)."""

    protocol_version = "HTTP/1.1"

    def _answer(self) -> None:
        body = b""
        if self.headers.get("Transfer-Encoding") == "chunked":
            while True:
                size = int(self.rfile.readline().strip(), 16)
                body += self.rfile.read(size)
                self.rfile.readline()
                if size == 0:
                    break
        elif self.headers.get("Content-Length"):
            body = self.rfile.read(int(self.headers["Content-Length"]))
        out = json.dumps(
            {"host": self.headers["Host"], "path": self.path, "body": body.decode()}
        ).encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(out)))
        self.end_headers()
        self.wfile.write(out)

    do_GET = do_POST = do_PUT = _answer

    def log_message(self, *args: object) -> None:
        pass


class CloseEach(Echo):
    """An upstream that closes every connection after one answer, as werkzeug (moto) does."""

    def end_headers(self) -> None:
        self.send_header("Connection", "close")
        super().end_headers()


@pytest.fixture(scope="module")
def ca(tmp_path_factory: pytest.TempPathFactory) -> LabCA:
    return LabCA.create(tmp_path_factory.mktemp("ca") / "lab", NAMES, ["127.0.0.1"])


@pytest.fixture(scope="module")
def upstream() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Echo)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()


def _front(ca: LabCA, upstream: str | None) -> tuple[Front, int]:
    listener = socket.create_server(("127.0.0.1", 0))
    front = Front(upstream)
    front.add("inet", "eigw0", "eigw-1", listener)
    front.start(ca.server_context())
    return front, listener.getsockname()[1]


@pytest.fixture
def served(ca: LabCA, upstream: str) -> Iterator[tuple[Front, int]]:
    front, port = _front(ca, upstream)
    yield front, port
    front.stop()


def _tls(ca: LabCA, port: int, name: str | None) -> ssl.SSLSocket:
    raw = socket.create_connection(("127.0.0.1", port), timeout=5)
    return ca.client_context().wrap_socket(raw, server_hostname=name or "127.0.0.1")


def _read_reply(tls: ssl.SSLSocket) -> tuple[str, dict[str, str], bytes]:
    data = b""
    while b"\r\n\r\n" not in data:
        data += tls.recv(4096)
    head, _, body = data.partition(b"\r\n\r\n")
    status, *lines = head.decode().split("\r\n")
    headers = {k.lower(): v.strip() for k, _, v in (x.partition(":") for x in lines)}
    while len(body) < int(headers["content-length"]):
        body += tls.recv(4096)
    return status, headers, body


def test_whoami_says_who_answered_and_for_which_name(ca: LabCA, served) -> None:
    _, port = served
    with _tls(ca, port, "sqs.us-east-1.api.aws") as tls:
        tls.sendall(b"GET /natless-lab/whoami HTTP/1.1\r\nHost: sqs.us-east-1.api.aws\r\n\r\n")
        status, headers, body = _read_reply(tls)
    assert status == "HTTP/1.1 200 OK" and headers["connection"] == "close"
    assert json.loads(body) == {
        "node": "inet",
        "via": "eigw-1",
        "peer": "127.0.0.1",
        "server_name": "sqs.us-east-1.api.aws",
    }


def test_a_public_host_is_answered_locally(ca: LabCA, served) -> None:
    front, port = served
    with _tls(ca, port, "ipv4only.natless.example") as tls:
        tls.sendall(b"GET /x HTTP/1.1\r\nHost: ipv4only.natless.example:443\r\n\r\n")
        status, headers, body = _read_reply(tls)
        assert tls.recv(1) == b""  # Connection: close
    assert (status, headers["content-type"]) == ("HTTP/1.1 200 OK", "application/json")
    assert json.loads(body) == {
        "host": "ipv4only.natless.example",
        "node": "inet",
        "via": "eigw-1",
        "peer": "127.0.0.1",
    }
    (seen,) = front.connections()
    assert (seen.kind, seen.host) == (PUBLIC, "ipv4only.natless.example")
    assert seen.server_name == "ipv4only.natless.example"


def test_aws_names_are_relayed_with_keep_alive_and_chunked_bodies(ca: LabCA, served) -> None:
    front, port = served
    host = "bucket.s3.us-east-1.amazonaws.com"
    with _tls(ca, port, host) as tls:
        tls.sendall(f"GET /key?a=1 HTTP/1.1\r\nHost: {host}\r\n\r\n".encode())
        _, _, first = _read_reply(tls)
        chunked = (
            f"POST /q HTTP/1.1\r\nHost: {host}\r\nTransfer-Encoding: chunked\r\n\r\n"
            "5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n"
        )
        tls.sendall(chunked.encode())  # the same connection: the upstream keeps it alive
        _, _, second = _read_reply(tls)
        (live,) = front.connections()
        assert (live.kind, live.closed) == (AWS, False)
    assert json.loads(first) == {"host": host, "path": "/key?a=1", "body": ""}
    assert json.loads(second) == {"host": host, "path": "/q", "body": "hello world"}
    assert front.threads() == [] or _wait_closed(front)
    (seen,) = front.connections()
    assert (seen.kind, seen.host, seen.server_name, seen.closed) == (AWS, host, host, True)
    assert seen.bytes_up == len(f"GET /key?a=1 HTTP/1.1\r\nHost: {host}\r\n\r\n") + len(chunked)
    assert seen.bytes_down > len(first) + len(second)


def test_a_client_keeps_its_connection_when_the_upstream_closes_after_each_answer(
    ca: LabCA,
) -> None:
    """botocore reuses a connection in AWS; the emulator closes each one: the front keeps the
    client's and opens one upstream connection per request."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), CloseEach)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    front, port = _front(ca, f"http://127.0.0.1:{server.server_port}")
    host = "sqs.us-east-1.api.aws"
    try:
        with _tls(ca, port, host) as tls:
            answers = []
            for n in range(2):
                body = f"call {n}"
                tls.sendall(
                    f"POST / HTTP/1.1\r\nHost: {host}\r\nContent-Length: {len(body)}\r\n\r\n"
                    f"{body}".encode()
                )
                answers.append(_read_reply(tls))
            # botocore's S3 upload: the headers, then the body once "100 Continue" came back
            tls.sendall(
                f"PUT /k HTTP/1.1\r\nHost: {host}\r\nExpect: 100-continue\r\n"
                "Content-Length: 6\r\n\r\n".encode()
            )
            continued = tls.recv(64)
            tls.sendall(b"call 2")
            answers.append(_read_reply(tls))
        (seen,) = front.connections()
    finally:
        front.stop()
        server.shutdown()
        server.server_close()
    assert [json.loads(body)["body"] for _, _, body in answers] == ["call 0", "call 1", "call 2"]
    assert continued == b"HTTP/1.1 100 Continue\r\n\r\n"
    assert all("connection" not in headers for _, headers, _ in answers)
    assert (seen.kind, seen.host, seen.error) == (AWS, host, None)


def _wait_closed(front: Front) -> bool:
    for thread in front.threads():
        thread.join(timeout=5)
    return front.threads() == []


def test_without_upstream_an_aws_name_gets_a_502(ca: LabCA) -> None:
    front, port = _front(ca, None)
    try:
        with _tls(ca, port, "sqs.us-east-1.api.aws") as tls:
            tls.sendall(b"POST / HTTP/1.1\r\nHost: sqs.us-east-1.api.aws\r\n\r\n")
            status, _, body = _read_reply(tls)
    finally:
        front.stop()
    assert status == "HTTP/1.1 502 Bad Gateway"
    assert body == b"the lab has no emulator behind it: sqs.us-east-1.api.aws is not served here\n"


def test_a_client_that_refuses_the_certificate_is_logged(ca: LabCA, served, tmp_path: Path) -> None:
    front, port = served
    other = LabCA.create(tmp_path / "other", NAMES, [])
    raw = socket.create_connection(("127.0.0.1", port), timeout=5)
    with pytest.raises(ssl.SSLCertVerificationError):
        other.client_context().wrap_socket(raw, server_hostname=NAMES[0])
    raw.close()
    assert _wait_closed(front)
    (seen,) = front.connections()
    assert seen.kind == FAILED and seen.error is not None and seen.error.startswith("TLS: ")


def test_stop_ends_every_thread_even_with_idle_connections(ca: LabCA, upstream: str) -> None:
    front, port = _front(ca, upstream)
    host = "sqs.us-east-1.api.aws"
    idle = [_tls(ca, port, host) for _ in range(3)]  # handshaken, no request yet
    relayed = _tls(ca, port, host)
    relayed.sendall(f"GET / HTTP/1.1\r\nHost: {host}\r\n\r\n".encode())
    _read_reply(relayed)  # now held open by the relay (keep-alive)
    threads = front.threads()
    assert len(threads) == 4
    front.stop()
    assert [t for t in threads if t.is_alive()] == []
    assert not [t for t in threading.enumerate() if t.name.startswith("lab-")]
    assert relayed.recv(1) == b""  # the lab closed it
    for tls in [*idle, relayed]:
        tls.close()


@pytest.mark.parametrize(
    ("head", "kind"),
    [
        (b"GET /natless-lab/whoami HTTP/1.1\r\nHost: sqs.us-east-1.api.aws", WHOAMI),
        (b"POST / HTTP/1.1\r\nHost: sqs.us-east-1.api.aws", AWS),
        (b"PUT /k HTTP/1.1\r\nhost: B.S3.DUALSTACK.us-east-1.amazonaws.com:443", AWS),
        (b"POST / HTTP/1.1\r\nHost: dynamodb.us-east-1.api.aws", AWS),
        (b"GET / HTTP/1.1\r\nHost: dualstack.natless.example", PUBLIC),
        (b"GET / HTTP/1.1\r\nHost: [2001:db8::1]:443", PUBLIC),
        (b"GET / HTTP/1.1", PUBLIC),  # no Host: not an AWS name
        (b"POST /natless-lab/whoami HTTP/1.1\r\nHost: sqs.us-east-1.api.aws", AWS),
    ],
)
def test_what_the_front_does_with_a_request(head: bytes, kind: str) -> None:
    assert kind_of(*parse_head(head)) == kind


def test_a_head_that_is_not_http_is_refused() -> None:
    with pytest.raises(ValueError):
        parse_head(b"\x16\x03\x01 hello")


@pytest.mark.parametrize("url", ["https://127.0.0.1:5000", "127.0.0.1:5000", "http://h:port"])
def test_an_upstream_that_is_not_plain_http_is_a_user_error(url: str) -> None:
    with pytest.raises(UserError, match="lab upstream"):
        upstream_address(url)


AWS_CHUNKED = b'7\r\n{"a":1}\r\n0\r\nx-amz-checksum-crc32:AAAAAA==\r\n\r\n'


@pytest.mark.parametrize(
    ("head", "rest", "end"),
    [
        (b"GET / HTTP/1.1\r\nHost: h", b"", 0),
        (b"PUT / HTTP/1.1\r\nContent-Length: 5", b"hel", None),
        (b"PUT / HTTP/1.1\r\nContent-Length: 5", b"helloGET", 5),
        (b"PUT / HTTP/1.1\r\nTransfer-Encoding: chunked", b"5\r\nhello\r\n0\r\n\r\n", 15),
        (b"PUT / HTTP/1.1\r\nTransfer-Encoding: chunked", b"5\r\nhello\r\n", None),
        # botocore's S3 upload: aws-chunked, its checksum in a trailer after the last chunk
        (b"PUT / HTTP/1.1\r\nTransfer-Encoding: chunked", AWS_CHUNKED, len(AWS_CHUNKED)),
        (b"PUT / HTTP/1.1\r\nTransfer-Encoding: chunked", AWS_CHUNKED[:-2], None),
    ],
)
def test_where_a_request_body_ends(head: bytes, rest: bytes, end: int | None) -> None:
    assert body_end(head, rest) == end
