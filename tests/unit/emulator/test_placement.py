"""The Invoke service's placement API: what it accepts, what it refuses (a namespace that does not
exist), and what a placed invocation's command line and environment become. No namespace is
entered here (tests/emulator/test_lab_invoke.py runs placed functions, as root)."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, make_server

import pytest

from natless.emulator import Emulator
from natless.emulator.invoke_service import (
    LocalInvokeService,
    NatlessWsgi,
    Placement,
    parse_placement,
)
from natless.errors import UserError

PATH = "/natless-api/placement/echo"


@pytest.fixture
def service(tmp_path: Path) -> Iterator[LocalInvokeService]:
    """A service whose namespaces live in a folder of the test's: ``lab-fn0`` exists."""
    svc = LocalInvokeService("http://127.0.0.1:1", "123456789012")
    svc.netns_dir = tmp_path / "netns"
    svc.netns_dir.mkdir()
    (svc.netns_dir / "lab-fn0").touch()
    svc.ip = "/usr/sbin/ip"
    yield svc
    svc.close()


def _call(svc: LocalInvokeService, method: str, body: Any = None) -> tuple[int, Any, str]:
    raw = b"" if body is None else (body if isinstance(body, bytes) else json.dumps(body).encode())
    answer = svc.answer(method, PATH, {}, raw)
    return answer.status, json.loads(answer.body), answer.headers.get("x-amzn-ErrorType", "")


def test_put_get_delete(service: LocalInvokeService) -> None:
    doc = {"netns": "lab-fn0", "env": {"AWS_CA_BUNDLE": "/tmp/ca.pem"}, "unset": ["X"]}
    assert service.handles("PUT", PATH) and service.handles("GET", PATH)
    assert _call(service, "PUT", doc) == (200, doc, "")
    assert _call(service, "GET") == (200, doc, "")
    arn = "/natless-api/placement/arn:aws:lambda:us-east-1:123456789012:function:echo"
    assert json.loads(service.answer("GET", arn, {}, b"").body) == doc  # an ARN names it too
    assert _call(service, "DELETE") == (200, {}, "")
    assert _call(service, "GET") == (200, {}, "")
    assert _call(service, "DELETE") == (200, {}, "")  # idempotent


@pytest.mark.parametrize(
    ("body", "says"),
    [
        ({"netns": "lab-missing"}, "no network namespace"),
        ({"netns": "../../etc"}, "must be a network namespace's name"),
        ({"env": {}}, "must be a network namespace's name"),
        ({"netns": "lab-fn0", "env": {"A": 1}}, "env must map variable names to strings"),
        ({"netns": "lab-fn0", "env": ["A=b"]}, "env must map"),
        ({"netns": "lab-fn0", "env": {"A=B": "c"}}, "env must map"),
        ({"netns": "lab-fn0", "unset": "AWS_ENDPOINT_URL"}, "unset must be a list"),
        ({"netns": "lab-fn0", "unsets": []}, "unknown fields ['unsets']"),
        (["lab-fn0"], "expected a JSON object"),
        (b"{", "not JSON"),
    ],
)
def test_refused(service: LocalInvokeService, body: Any, says: str) -> None:
    status, doc, error = _call(service, "PUT", body)
    assert (status, error) == (400, "InvalidParameterValueException")
    assert says in doc["message"]
    assert _call(service, "GET") == (200, {}, "")  # nothing was placed


def test_a_real_missing_namespace_is_refused() -> None:
    """With the real /run/netns (no root needed to look)."""
    with pytest.raises(ValueError, match="no network namespace /run/netns/natless-no-such-ns"):
        parse_placement(b'{"netns": "natless-no-such-ns"}')


class _Function:
    def get_configuration(self) -> dict[str, Any]:
        return {
            "Environment": {"Variables": {"DB_HOST": "db.internal", "AWS_ENDPOINT_URL_SQS": "x"}},
            "FunctionArn": "arn:aws:lambda:us-east-1:123456789012:function:echo",
            "Handler": "handler.handler",
            "Timeout": 3,
        }


def test_placed_command_and_environment(service: LocalInvokeService, tmp_path: Path) -> None:
    """Placed: `ip netns exec NS python -m natless.emulator.bootstrap ...`, the environment
    without ``unset`` and with ``env`` (over the env overrides too); unplaced: as before."""
    code, result = tmp_path / "code", tmp_path / "result.json"
    plain = service._command(None, code, "handler.handler", result)
    assert plain[1:3] == ["-m", "natless.emulator.bootstrap"]
    placed = Placement(
        "lab-fn0",
        {"AWS_CA_BUNDLE": "/lab/ca.pem", "DB_HOST": "10.0.0.5"},
        ("AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_SQS", "NOT_SET_ANYWAY"),
    )
    assert service._command(placed, code, "handler.handler", result) == [
        "/usr/sbin/ip",
        "netns",
        "exec",
        "lab-fn0",
        *plain,
    ]
    service.overrides["echo"] = {"DB_HOST": "127.0.0.1", "EXTRA": "1"}
    before = service._environment(_Function(), "echo", "us-east-1")
    after = service._environment(_Function(), "echo", "us-east-1", placed)
    assert before["AWS_ENDPOINT_URL"] == "http://127.0.0.1:1" and before["DB_HOST"] == "127.0.0.1"
    assert "AWS_ENDPOINT_URL" not in after and "AWS_ENDPOINT_URL_SQS" not in after
    assert after["AWS_CA_BUNDLE"] == "/lab/ca.pem" and after["DB_HOST"] == "10.0.0.5"
    assert after["EXTRA"] == "1"
    assert {k: v for k, v in after.items() if k not in placed.env} == {
        k: v for k, v in before.items() if k not in (*placed.unset, *placed.env)
    }


def test_a_namespace_gone_since_is_a_502_before_anything_runs(
    service: LocalInvokeService, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(service, "_deployed", lambda name, region: _Function())
    ran: list[str] = []
    monkeypatch.setattr(service, "_run", lambda *args: ran.append("run"))
    assert _call(service, "PUT", {"netns": "lab-fn0"})[0] == 200
    (service.netns_dir / "lab-fn0").unlink()  # the lab was torn down
    for kind in ("RequestResponse", "Event"):
        answer = service.invoke("echo", "us-east-1", b"{}", kind, "None")
        assert answer.status == 502
        assert answer.headers["x-amzn-ErrorType"] == "ResourceNotReadyException"
        assert "'lab-fn0', which no longer exists" in json.loads(answer.body)["message"]
    assert ran == []


def test_the_client_places_and_a_refusal_is_a_user_error(service: LocalInvokeService) -> None:
    """``Emulator.place`` against the service behind its WSGI front, on a loopback port."""
    server = make_server("127.0.0.1", 0, NatlessWsgi(None, service), handler_class=_Quiet)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        emu = Emulator(host="127.0.0.1", port=server.server_port)
        emu.place("echo", "lab-fn0", {"SSL_CERT_FILE": "/lab/ca.pem"}, ["AWS_ENDPOINT_URL"])
        assert service.placements["echo"] == Placement(
            "lab-fn0", {"SSL_CERT_FILE": "/lab/ca.pem"}, ("AWS_ENDPOINT_URL",)
        )
        with pytest.raises(UserError, match="cannot place echo in lab-gone: netns 'lab-gone'"):
            emu.place("echo", "lab-gone")
        assert service.placements["echo"].netns == "lab-fn0"  # a refusal changes nothing
        emu.place("echo", None)
        assert service.placements == {}
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


class _Quiet(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass
