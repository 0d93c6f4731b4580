"""The bench function's X-Ray call, botocore's global dual-stack switch, and why calls fail.

No DNS and no network beyond loopback. Names resolve through a stand-in ``socket.getaddrinfo``
(``names``): a table of answers; any other non-numeric name is NXDOMAIN. A packet that a VPC
drops silently is stood in for by ``blackhole``: urllib3's ``create_connection`` for those
addresses waits the connect timeout it was given and raises ``TimeoutError("timed out")``,
which is exactly what ``socket.connect`` does when no SYN-ACK comes back in time. A real
blackhole (an unroutable address) times out or fails at once depending on the machine's
routes, and a listener with a full backlog may still answer, so neither is deterministic.
"""

from __future__ import annotations

import ipaddress
import json
import re
import socket
import time
from collections.abc import Iterator
from types import ModuleType
from typing import Any

import boto3
import pytest
import urllib3.util.connection
from moto import mock_aws
from moto.server import ThreadedMotoServer

from tests.unit.lambda_src import test_bench_handler as handler_tests

REGION, bench_module = handler_tests.REGION, handler_tests.bench_module
bench, bench_env = handler_tests.bench, handler_tests.bench_env  # the shared fixtures

V4, V6 = socket.AF_INET, socket.AF_INET6
DEAD_V4 = "198.51.100.80"  # documentation range; only ever reached through `blackhole`
SQS_V4_NAME = "sqs.us-east-1.amazonaws.com"
SQS_DUAL_NAME = "sqs.us-east-1.api.aws"
XRAY_DUAL_NAME = "xray.us-east-1.api.aws"
TIMEOUT_S = 0.3


def _numeric(host: str) -> bool:
    try:
        ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        return False
    return True


@pytest.fixture
def names(monkeypatch: pytest.MonkeyPatch) -> dict[str, list[tuple[int, str]]]:
    """name -> [(family, address)] in answer order; numeric hosts resolve as usual."""
    table: dict[str, list[tuple[int, str]]] = {}
    real = socket.getaddrinfo

    def getaddrinfo(host: Any, port: Any, family: int = 0, type: int = 0, *args: Any, **kw: Any):
        if host is None or _numeric(str(host)) or host == "localhost":
            return real(host, port, family, type, *args, **kw)
        answer = table.get(str(host).lower().rstrip("."))
        if not answer:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return [
            (
                fam,
                socket.SOCK_STREAM,
                socket.IPPROTO_TCP,
                "",
                (a, port, 0, 0) if fam == V6 else (a, port),
            )
            for fam, a in answer
        ]

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return table


@pytest.fixture
def blackhole(bench: ModuleType, monkeypatch: pytest.MonkeyPatch) -> dict[str, list[Any]]:
    """Addresses whose connect gets no answer (see the module docstring); the timeouts seen.

    Returns {"dead": [address, ...], "timeouts": [timeout given for each dead connect]}.
    """
    evidence = bench_module("evidence")
    evidence.uninstall()
    real = urllib3.util.connection.create_connection
    state: dict[str, list[Any]] = {"dead": [], "timeouts": []}

    def create_connection(address: tuple[str, int], timeout: Any = None, *args: Any, **kw: Any):
        if address[0] in state["dead"]:
            state["timeouts"].append(timeout)
            time.sleep(timeout)
            raise TimeoutError("timed out")
        return real(address, timeout, *args, **kw)

    monkeypatch.setattr(urllib3.util.connection, "create_connection", create_connection)
    evidence.install()  # the bench's hook now wraps the stand-in
    return state


# --- X-Ray ------------------------------------------------------------------------------------


def test_xray_put_is_an_operation_on_request_only(bench: ModuleType) -> None:
    ops, event = bench_module("ops"), bench_module("event")
    op = ops.OPERATIONS["xray_put"]
    assert (op.service, op.needs) == ("xray", ())
    assert "xray_put" not in ops.DEFAULT_OPERATIONS
    assert event.parse_event({}, "https://x.test/").operations == ops.DEFAULT_OPERATIONS
    assert event.parse_event({"operations": ["xray_put"]}, "https://x.test/").operations == (
        "xray_put",
    )
    segment = json.loads(ops.trace_segment())
    assert set(segment) == {"name", "id", "trace_id", "start_time", "end_time"}
    assert re.fullmatch(r"[0-9a-f]{16}", segment["id"])
    assert re.fullmatch(r"1-[0-9a-f]{8}-[0-9a-f]{24}", segment["trace_id"])
    assert int(segment["trace_id"][2:10], 16) == int(segment["start_time"])
    assert segment["start_time"] < segment["end_time"]


def test_xray_put_sends_segments_that_xray_accepts(bench: ModuleType) -> None:
    with mock_aws():
        result = bench.handler({"iterations": 3, "operations": ["xray_put"]})
        assert result["operations"]["xray_put"]["error_codes"] == {}
        assert result["operations"]["xray_put"]["count"] == 3
        traces = boto3.client("xray", region_name=REGION).get_trace_summaries(
            StartTime=time.time() - 60, EndTime=time.time() + 60
        )
    assert len(traces["TraceSummaries"]) == 3


def test_a_rejected_segment_is_a_failed_call(bench: ModuleType, monkeypatch) -> None:
    monkeypatch.setattr(bench_module("ops"), "trace_segment", lambda: json.dumps({"name": "x"}))
    with mock_aws():
        result = bench.handler({"iterations": 2, "operations": ["xray_put"]})
    assert result["operations"]["xray_put"]["error_codes"] == {"UnprocessedSegment": 2}


# --- botocore's global dual-stack switch ----------------------------------------------------


def test_sdk_leaves_the_dual_stack_choice_to_botocore(bench: ModuleType, monkeypatch) -> None:
    netconf, clients = bench_module("netconf"), bench_module("clients")
    monkeypatch.setenv("NATLESS_DUALSTACK_SERVICES", " SDK ")
    settings = netconf.load_settings()
    assert (settings.dualstack, settings.dualstack_by_sdk) == (frozenset(), True)
    assert netconf.client_config("xray", settings).use_dualstack_endpoint is None

    def endpoint(service: str) -> str:
        clients.reset()
        return clients.get(service, netconf.load_settings()).meta.endpoint_url

    assert endpoint("xray") == "https://xray.us-east-1.amazonaws.com"  # switch off: regional
    monkeypatch.setenv("AWS_USE_DUALSTACK_ENDPOINT", "true")
    # botocore builds the dual-stack name even where none exists (natless/cost/data/services.json)
    assert endpoint("xray") == f"https://{XRAY_DUAL_NAME}"
    assert endpoint("dynamodb") == "https://dynamodb.us-east-1.api.aws"
    monkeypatch.setenv("NATLESS_DUALSTACK_SERVICES", "sqs")  # natless's default protects
    assert endpoint("xray") == "https://xray.us-east-1.amazonaws.com"


# --- diagnosis --------------------------------------------------------------------------------


def test_a_name_that_does_not_resolve_is_explained(
    bench: ModuleType, names: dict[str, Any], monkeypatch
) -> None:
    monkeypatch.setenv("NATLESS_DUALSTACK_SERVICES", "sdk")
    monkeypatch.setenv("AWS_USE_DUALSTACK_ENDPOINT", "true")
    result = bench.handler({"iterations": 2, "operations": ["xray_put"]})
    assert result["dualstack_by_sdk"] is True
    assert result["operations"]["xray_put"]["error_codes"] == {"EndpointConnectionError": 2}
    assert result["evidence"]["xray"] == {
        "host": XRAY_DUAL_NAME,
        "family": None,
        "address": None,
        "port": None,
        "stall_s": 0.0,
        "connections": 0,
        "diagnosis": {
            "host": XRAY_DUAL_NAME,
            "port": 443,
            "resolved": None,
            "resolve_error": "EAI_NONAME",
            "attempts": [],
            "attempts_total": 0,
            "explanation": f"{XRAY_DUAL_NAME} does not resolve (NXDOMAIN, EAI_NONAME): "
            "this service has no dual-stack endpoint",
        },
    }
    json.dumps(result)  # stays JSON


def test_a_connect_timeout_is_explained(
    bench: ModuleType, names: dict[str, Any], blackhole: dict[str, list[Any]], monkeypatch
) -> None:
    names[SQS_V4_NAME] = [(V4, DEAD_V4)]
    blackhole["dead"].append(DEAD_V4)
    monkeypatch.setenv("NATLESS_CONNECT_TIMEOUT", str(TIMEOUT_S))
    monkeypatch.setenv("QUEUE_URL", f"https://{SQS_V4_NAME}/123456789012/q")
    result = bench.handler({"iterations": 1, "operations": ["sqs_send"]})
    assert result["operations"]["sqs_send"]["error_codes"] == {"ConnectTimeoutError": 1}
    assert blackhole["timeouts"] == [TIMEOUT_S, TIMEOUT_S]  # botocore: 1 call, 2 attempts
    seen = result["evidence"]["sqs"]
    assert (seen["host"], seen["address"], seen["stall_s"], seen["connections"]) == (
        SQS_V4_NAME,
        None,
        0.0,
        0,
    )
    diagnosis = seen["diagnosis"]
    assert diagnosis["resolved"] == [{"family": "ipv4", "address": DEAD_V4}]
    assert [(a["address"], a["outcome"]) for a in diagnosis["attempts"]] == [
        (DEAD_V4, "timeout")
    ] * 2
    assert all(a["seconds"] >= TIMEOUT_S for a in diagnosis["attempts"])
    assert diagnosis["attempts_total"] == 2
    assert diagnosis["explanation"] == (
        f"{SQS_V4_NAME} has IPv4 addresses only ({DEAD_V4}); each connect to it timed out "
        f"after {TIMEOUT_S:g} s (2 attempts): no answer within the connect timeout: a silently "
        "dropped packet, e.g. no route for this family"
    )


@pytest.fixture
def moto_v6(bench_env: None) -> Iterator[int]:
    """A moto server on [::1] (skips where the machine has no IPv6 loopback); its port."""
    try:
        with socket.socket(V6) as probe:
            probe.bind(("::1", 0))
    except OSError as exc:
        pytest.skip(f"no IPv6 loopback here: {exc}")
    server = ThreadedMotoServer(ip_address="::1", port=0, verbose=False)
    server.start()
    try:
        yield server.get_host_and_port()[1]
    finally:
        server.stop()


def test_the_ip_preference_orders_boto3_addresses_and_a_dead_first_one_stalls(
    bench: ModuleType,
    names: dict[str, Any],
    blackhole: dict[str, list[Any]],
    moto_v6: int,
    monkeypatch,
) -> None:
    """Happy Eyeballs missing: IPv4 first, its path dead, the first connect waits it out."""
    queue_url = boto3.client(
        "sqs", region_name=REGION, endpoint_url=f"http://[::1]:{moto_v6}"
    ).create_queue(QueueName="q")["QueueUrl"]
    names[SQS_DUAL_NAME] = [(V6, "::1"), (V4, DEAD_V4)]  # the resolver's order: IPv6 first
    blackhole["dead"].append(DEAD_V4)
    monkeypatch.setenv("AWS_ENDPOINT_URL_SQS", f"http://{SQS_DUAL_NAME}:{moto_v6}")
    monkeypatch.setenv("QUEUE_URL", queue_url)
    monkeypatch.setenv("NATLESS_CONNECT_TIMEOUT", str(TIMEOUT_S))
    event = {"iterations": 1, "operations": ["sqs_send"]}

    def run(preference: str) -> dict[str, Any]:
        monkeypatch.setenv("NATLESS_IP_PREFERENCE", preference)
        bench.reset_clients()  # a new connection pool: the first call dials again
        result = bench.handler(event)
        assert result["operations"]["sqs_send"]["error_codes"] == {}, result
        return result["evidence"]["sqs"]

    system = run("system")
    assert (system["family"], system["address"], system["stall_s"]) == ("ipv6", "::1", 0.0)
    assert blackhole["timeouts"] == []
    ipv4first = run("ipv4first")
    assert (ipv4first["family"], ipv4first["address"]) == ("ipv6", "::1")
    assert ipv4first["connections"] == 1
    assert ipv4first["stall_s"] >= TIMEOUT_S  # one dead connect before ::1
    assert blackhole["timeouts"] == [TIMEOUT_S]
    assert "diagnosis" not in ipv4first  # every call succeeded


def test_a_stall_before_a_failure_after_connecting_is_explained(bench: ModuleType) -> None:
    attempts, diagnosis = bench_module("attempts"), bench_module("diagnosis")
    with attempts.watching("ipv4first") as log:
        log.resolved("h.test", 443, [(V4, 1, 6, "", (DEAD_V4, 443)), (V6, 1, 6, "", ("::1", 443))])
        log.attempted("h.test", 443, attempts.Attempt("ipv4", DEAD_V4, 2.0, "timeout"), 2.0)
        log.attempted(
            "h.test", 443, attempts.Attempt("ipv6", "::1", 0.001, "connected"), 2.0, stall=2.0
        )
    report = diagnosis.diagnose(("h.test", 443), log.get("H.test.", 443))
    assert report["attempts_total"] == 2
    assert report["explanation"] == (
        f"h.test has IPv4 and IPv6 addresses ({DEAD_V4}, ::1); connects: 1 timed out after 2 s "
        "(ipv4), 1 connected (ipv6) after 2.000 s lost to the failed ones (addresses are tried "
        "one at a time: no Happy Eyeballs); failed: no answer within the connect timeout: a "
        "silently dropped packet, e.g. no route for this family"
    )


def test_outcomes_are_named_by_errno(bench: ModuleType) -> None:
    outcome_of = bench_module("attempts").outcome_of
    assert outcome_of(TimeoutError("timed out")) == "timeout"
    assert outcome_of(ConnectionRefusedError(111, "refused")) == "ECONNREFUSED"
    assert outcome_of(OSError(101, "Network is unreachable")) == "ENETUNREACH"
    assert outcome_of(OSError("no errno")) == "OSError"


def test_a_client_that_cannot_be_made_sends_nothing(bench: ModuleType, monkeypatch) -> None:
    monkeypatch.delenv("AWS_REGION")
    monkeypatch.delenv("AWS_DEFAULT_REGION")
    result = bench.handler({"iterations": 1, "operations": ["xray_put"]})
    assert result["operations"]["xray_put"]["error_codes"] == {"NoRegionError": 1}
    assert result["evidence"]["xray"]["diagnosis"]["explanation"] == (
        "no request was sent: the call failed before reaching the network"
    )
