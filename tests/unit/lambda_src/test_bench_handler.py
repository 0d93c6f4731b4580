"""The benchmark Lambda function (lambda_src/bench) against moto and local HTTP servers."""

from __future__ import annotations

import http.server
import importlib
import socket
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import boto3
import pytest
from moto import mock_aws
from moto.server import ThreadedMotoServer

from natless.paths import LAMBDA_SRC
from tests.support.net import closed_port

BENCH_DIR = LAMBDA_SRC / "bench"
REGION = "us-east-1"
ALL_OPS = ["dynamodb_put", "dynamodb_query", "sqs_send", "s3_put", "s3_list", "http_get"]
AWS_OPS = ALL_OPS[:-1]


# --- fixtures ---------------------------------------------------------------------------------


@pytest.fixture
def bench_env(fake_aws: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Fake AWS (tests/conftest.py) and none of the function's own settings."""
    for name in (
        "TABLE_NAME",
        "QUEUE_URL",
        "BUCKET_NAME",
        "NATLESS_PLACEMENT",
        "NATLESS_PUBLIC_URL",
        "NATLESS_DUALSTACK_SERVICES",
        "NATLESS_IP_PREFERENCE",
        "NATLESS_CONNECT_TIMEOUT",
    ):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def bench(bench_env: None, monkeypatch: pytest.MonkeyPatch) -> Iterator[ModuleType]:
    """lambda_src/bench/handler.py imported as Lambda does (the folder is the import root)."""
    monkeypatch.syspath_prepend(str(BENCH_DIR))
    handler = importlib.import_module("handler")
    assert Path(handler.__file__).parent == BENCH_DIR
    yield handler
    handler.reset_clients()
    sys.modules["evidence"].uninstall()
    for name, module in list(sys.modules.items()):
        path = getattr(module, "__file__", None)
        if path and Path(path).parent == BENCH_DIR:
            del sys.modules[name]
    assert "handler" not in sys.modules and "evidence" not in sys.modules


def bench_module(name: str) -> ModuleType:
    """Another module of the bench function (only valid while the `bench` fixture is active)."""
    module = sys.modules[name]
    assert Path(module.__file__).parent == BENCH_DIR
    return module


@pytest.fixture
def resources(monkeypatch: pytest.MonkeyPatch) -> Callable[..., dict[str, str]]:
    """Creates the table (pk/sk), queue and bucket and points the function's env at them."""

    def create(endpoint_url: str | None = None, table: bool = True) -> dict[str, str]:
        kw: dict[str, Any] = {"region_name": REGION, "endpoint_url": endpoint_url}
        names = {"TABLE_NAME": "bench-table", "BUCKET_NAME": "bench-bucket"}
        if table:
            boto3.client("dynamodb", **kw).create_table(
                TableName=names["TABLE_NAME"],
                KeySchema=[
                    {"AttributeName": "pk", "KeyType": "HASH"},
                    {"AttributeName": "sk", "KeyType": "RANGE"},
                ],
                AttributeDefinitions=[
                    {"AttributeName": "pk", "AttributeType": "S"},
                    {"AttributeName": "sk", "AttributeType": "S"},
                ],
                BillingMode="PAY_PER_REQUEST",
            )
        names["QUEUE_URL"] = boto3.client("sqs", **kw).create_queue(QueueName="bench-queue")[
            "QueueUrl"
        ]
        boto3.client("s3", **kw).create_bucket(Bucket=names["BUCKET_NAME"])
        for key, value in names.items():
            monkeypatch.setenv(key, value)
        return names

    return create


@pytest.fixture
def moto_inprocess(bench_env: None) -> Iterator[None]:
    with mock_aws():
        yield


@pytest.fixture
def moto_server(bench_env: None, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A real moto server on 127.0.0.1 (sockets, so evidence can be recorded); its URL."""
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    url = f"http://{host}:{port}"
    monkeypatch.setenv("AWS_ENDPOINT_URL", url)
    try:
        yield url
    finally:
        server.stop()


class _Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        status = int(self.path.rsplit("/", 1)[1]) if self.path.startswith("/status/") else 200
        body = b'{"ok": true}'
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


class _V6Server(http.server.ThreadingHTTPServer):
    address_family = socket.AF_INET6


def _serve(address: str) -> Iterator[tuple[str, int]]:
    server_cls = _V6Server if ":" in address else http.server.ThreadingHTTPServer
    server = server_cls((address, 0), _Handler)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield address, server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@pytest.fixture
def http_server() -> Iterator[tuple[str, int]]:
    yield from _serve("127.0.0.1")


@pytest.fixture
def http_server_v6() -> Iterator[tuple[str, int]]:
    try:
        probe = socket.socket(socket.AF_INET6)
        probe.bind(("::1", 0))
        probe.close()
    except OSError as exc:
        pytest.skip(f"no IPv6 loopback here: {exc}")
    yield from _serve("::1")


def assert_all_ok(result: dict[str, Any], ops: list[str], n: int) -> None:
    assert result["ok"] is True, result
    assert list(result["operations"]) == ops
    for name in ops:
        entry = result["operations"][name]
        assert (entry["count"], entry["errors"], entry["error_codes"]) == (n, 0, {}), (name, entry)
        assert len(entry["samples_ms"]) == n
        assert entry["min"] <= entry["p50"] <= entry["p90"] <= entry["p99"] <= entry["max"]


# --- the workload ---------------------------------------------------------------------------


def test_all_operations_succeed_and_leave_their_data(
    bench: ModuleType, moto_inprocess: None, resources: Callable[..., dict[str, str]], http_server
) -> None:
    names = resources()
    url = "http://{}:{}/todos/1".format(*http_server)
    n = 5
    result = bench.handler({"iterations": n, "url": url})
    assert_all_ok(result, ALL_OPS, n)
    assert result["iterations"] == n
    assert result["placement"] == "unknown"
    assert result["cold_start"] is True
    assert result["init_ms"] > 0
    assert result["total_ms"] > 0
    assert result["runtime"]["python"].count(".") == 2

    dynamodb = boto3.client("dynamodb", region_name=REGION)
    items = dynamodb.scan(TableName=names["TABLE_NAME"])["Items"]
    assert len(items) == n
    assert {item["pk"]["S"] for item in items} == {"bench"}
    assert len({item["sk"]["S"] for item in items}) == n
    attrs = boto3.client("sqs", region_name=REGION).get_queue_attributes(
        QueueUrl=names["QUEUE_URL"], AttributeNames=["ApproximateNumberOfMessages"]
    )
    assert int(attrs["Attributes"]["ApproximateNumberOfMessages"]) == n
    listing = boto3.client("s3", region_name=REGION).list_objects_v2(
        Bucket=names["BUCKET_NAME"], Prefix="bench/"
    )
    assert listing["KeyCount"] == n

    # a second invocation in the same container is warm and reuses the clients
    clients, netconf = bench_module("clients"), bench_module("netconf")
    client = clients.get("dynamodb", netconf.load_settings())
    again = bench.handler({"iterations": 1, "operations": ["dynamodb_query"]})
    assert again["cold_start"] is False
    assert again["init_ms"] == result["init_ms"]
    assert clients.get("dynamodb", netconf.load_settings()) is client


def test_default_event_runs_all_six_operations_with_100_iterations(
    bench: ModuleType, moto_inprocess: None, resources, http_server, monkeypatch
) -> None:
    resources()
    monkeypatch.setenv("NATLESS_PUBLIC_URL", "http://{}:{}/".format(*http_server))
    monkeypatch.setenv("NATLESS_PLACEMENT", "vpc")
    monkeypatch.setenv("AWS_EXECUTION_ENV", "AWS_Lambda_python3.12")
    result = bench.handler({})
    assert_all_ok(result, ALL_OPS, 100)  # not xray_put: only on request
    assert result["placement"] == "vpc"
    assert result["runtime"]["execution_env"] == "AWS_Lambda_python3.12"


def test_missing_table_is_counted_and_the_rest_still_runs(
    bench: ModuleType, moto_inprocess: None, resources, http_server
) -> None:
    resources(table=False)
    n = 3
    url = "http://{}:{}/".format(*http_server)
    result = bench.handler({"iterations": n, "url": url})
    assert result["ok"] is True
    for name in ("dynamodb_put", "dynamodb_query"):
        entry = result["operations"][name]
        assert entry["errors"] == n
        assert entry["error_codes"] == {"ResourceNotFoundException": n}
        assert entry["samples_ms"] == []
        assert entry["p50"] is None and entry["stdev"] is None
    for name in ("sqs_send", "s3_put", "s3_list", "http_get"):
        assert result["operations"][name]["errors"] == 0


def test_missing_configuration_fails_fast_without_network(
    bench: ModuleType, moto_inprocess: None, resources, monkeypatch
) -> None:
    resources()
    monkeypatch.delenv("TABLE_NAME")
    n = 10_000
    started = time.perf_counter()
    result = bench.handler({"iterations": n, "operations": ["dynamodb_put", "dynamodb_query"]})
    assert time.perf_counter() - started < 1
    for entry in result["operations"].values():
        assert entry["error_codes"] == {"MissingConfig": n}
        assert "TABLE_NAME" in entry["config_error"]


def test_client_creation_failure_is_counted(bench: ModuleType, monkeypatch) -> None:
    monkeypatch.delenv("AWS_REGION")
    monkeypatch.delenv("AWS_DEFAULT_REGION")
    monkeypatch.setenv("QUEUE_URL", "https://sqs.example/123456789012/q")
    result = bench.handler({"iterations": 3, "operations": ["sqs_send"]})
    assert result["operations"]["sqs_send"]["error_codes"] == {"NoRegionError": 3}


def test_http_status_errors_are_counted_by_status(bench: ModuleType, http_server) -> None:
    url = "http://{}:{}/status/503".format(*http_server)
    result = bench.handler({"iterations": 4, "operations": ["http_get"], "url": url})
    assert result["operations"]["http_get"]["error_codes"] == {"HTTP503": 4}


# --- bad events and bad configuration -------------------------------------------------------


@pytest.mark.parametrize(
    ("event", "expected"),
    [
        ([], "must be a JSON object"),
        ("run", "got str"),
        (None, "got NoneType"),
        ({"operations": ["dynamodb_put", "lambda_invoke"]}, "unknown operation 'lambda_invoke'"),
        ({"operations": "s3_put"}, "operations must be a non-empty list"),
        ({"operations": []}, "operations must be a non-empty list"),
        ({"operations": ["s3_put", "s3_put"]}, "only once"),
        ({"iterations": "5"}, "iterations must be an integer from 1 to 10000 (not str)"),
        ({"iterations": True}, "iterations must be an integer from 1 to 10000 (not bool)"),
        ({"iterations": 2.0}, "(not float)"),
        ({"iterations": 0}, "iterations must be an integer from 1 to 10000, got 0"),
        ({"iterations": 10_001}, "iterations must be an integer from 1 to 10000, got 10001"),
        ({"url": "ftp://example.com/x"}, "url must be an http:// or https:// URL"),
        ({"url": "example.com"}, "url must be an http:// or https:// URL"),
        ({"url": 42}, "url must be a string"),
        ({"url": "http://example.com:99999/"}, "url has an invalid port"),
        ({"iteration": 5}, "unknown event field(s) iteration"),
    ],
)
def test_bad_event_gives_a_clear_error(bench: ModuleType, event: Any, expected: str) -> None:
    result = bench.handler(event)
    assert result["ok"] is False
    assert result["error"]["type"] == "BadEvent"
    assert expected in result["error"]["message"]


@pytest.mark.parametrize(
    ("name", "value", "expected"),
    [
        ("NATLESS_DUALSTACK_SERVICES", "sqs,lambda", "unknown service(s) lambda"),
        ("NATLESS_DUALSTACK_SERVICES", "sdk,sqs", "'sdk' leaves the choice to botocore"),
        ("NATLESS_IP_PREFERENCE", "ipv7first", "use one of: system, ipv6first, ipv4first"),
        ("NATLESS_PLACEMENT", "moon", "use one of: vpc, public, unknown"),
        ("NATLESS_CONNECT_TIMEOUT", "soon", "NATLESS_CONNECT_TIMEOUT='soon'"),
        ("NATLESS_CONNECT_TIMEOUT", "0", "must be a number of seconds"),
        ("NATLESS_PUBLIC_URL", "file:///etc/passwd", "NATLESS_PUBLIC_URL must be an http"),
    ],
)
def test_bad_configuration_gives_a_clear_error(
    bench: ModuleType, monkeypatch: pytest.MonkeyPatch, name: str, value: str, expected: str
) -> None:
    monkeypatch.setenv(name, value)
    result = bench.handler({"iterations": 1})
    assert result == {
        "ok": False,
        "error": {"type": "BadConfig", "message": result["error"]["message"]},
    }
    assert name in result["error"]["message"]
    assert expected in result["error"]["message"]


# --- endpoints, addresses and evidence ------------------------------------------------------


def test_dualstack_is_chosen_per_service(bench: ModuleType, monkeypatch) -> None:
    monkeypatch.setenv("NATLESS_DUALSTACK_SERVICES", " SQS ")
    monkeypatch.setenv("AWS_USE_DUALSTACK_ENDPOINT", "true")  # must not leak to other services
    netconf, clients = bench_module("netconf"), bench_module("clients")
    settings = netconf.load_settings()
    assert settings.dualstack == {"sqs"}
    config = netconf.client_config("sqs", settings)
    assert config.use_dualstack_endpoint is True
    assert config.connect_timeout == 2.0 and config.read_timeout == 5.0
    assert config.retries == {"total_max_attempts": 2, "mode": "standard"}  # 1 retry
    assert netconf.client_config("dynamodb", settings).use_dualstack_endpoint is False
    services = ("sqs", "dynamodb", "s3", "xray")
    hosts = {svc: clients.get(svc, settings).meta.endpoint_url for svc in services}
    assert hosts["sqs"] == "https://sqs.us-east-1.api.aws"
    assert hosts["dynamodb"] == "https://dynamodb.us-east-1.amazonaws.com"
    assert hosts["s3"] == "https://s3.amazonaws.com"  # us-east-1 global host, IPv4 only
    assert hosts["xray"] == "https://xray.us-east-1.amazonaws.com"  # has no dual-stack name
    assert clients.get("sqs", settings) is clients.get("sqs", settings)  # cached


def test_connect_timeout_comes_from_the_environment(bench: ModuleType, monkeypatch) -> None:
    monkeypatch.setenv("NATLESS_CONNECT_TIMEOUT", "0.5")
    netconf = bench_module("netconf")
    assert netconf.client_config("s3", netconf.load_settings()).connect_timeout == 0.5


def _info(family: socket.AddressFamily, address: str) -> tuple[Any, ...]:
    sockaddr = (address, 443, 0, 0) if family == socket.AF_INET6 else (address, 443)
    return (family, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", sockaddr)


def test_address_ordering(bench: ModuleType) -> None:
    order_addresses = bench_module("netconf").order_addresses
    v4a, v4b = _info(socket.AF_INET, "192.0.2.1"), _info(socket.AF_INET, "192.0.2.2")
    v6a, v6b = _info(socket.AF_INET6, "2001:db8::1"), _info(socket.AF_INET6, "2001:db8::2")
    infos = [v4a, v6a, v4b, v6b]
    assert order_addresses(infos, "system") == infos
    assert order_addresses(infos, "ipv6first") == [v6a, v6b, v4a, v4b]
    assert order_addresses(infos, "ipv4first") == [v4a, v4b, v6a, v6b]
    assert order_addresses([v4a], "ipv6first") == [v4a]
    # the connect loop tries the first address of each family, in preference order
    assert bench_module("httpget").candidates(infos, "ipv6first") == [v6a, v4a]


def _fake_resolver(*infos: tuple[Any, ...]) -> Callable[..., list[tuple[Any, ...]]]:
    return lambda host, port, **kw: list(infos)


def test_ip_preference_decides_the_family_used(bench: ModuleType, http_server, http_server_v6):
    """Both families answer; the preference alone decides which one the GET uses."""
    httpget, evidence = bench_module("httpget"), bench_module("evidence")
    (_, port4), (_, port6) = http_server, http_server_v6
    resolver = _fake_resolver(
        (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.0.1", port4)),
        (socket.AF_INET6, socket.SOCK_STREAM, 6, "", ("::1", port6, 0, 0)),
    )
    for preference, family, address, port in [
        ("ipv6first", "ipv6", "::1", port6),
        ("ipv4first", "ipv4", "127.0.0.1", port4),
        ("system", "ipv4", "127.0.0.1", port4),
    ]:
        recorder = evidence.Recorder()
        url = "http://dual.test:8080/x"
        assert httpget.get(url, preference, 2.0, 5.0, recorder, resolver) == 200
        assert recorder.report(["http"])["http"] == {
            "host": "dual.test",
            "family": family,
            "address": address,
            "port": port,
        }, preference


def test_dead_family_falls_back_to_the_other(bench: ModuleType, http_server) -> None:
    httpget, evidence = bench_module("httpget"), bench_module("evidence")
    resolver = _fake_resolver(
        (socket.AF_INET6, socket.SOCK_STREAM, 6, "", ("::1", closed_port(), 0, 0)),
        (socket.AF_INET, socket.SOCK_STREAM, 6, "", http_server),
    )
    recorder = evidence.Recorder()
    assert httpget.get("http://dual.test/", "ipv6first", 1.0, 1.0, recorder, resolver) == 200
    assert recorder.report(["http"])["http"]["family"] == "ipv4"


def test_all_families_dead_raises_the_last_connect_error(bench: ModuleType) -> None:
    httpget, evidence = bench_module("httpget"), bench_module("evidence")
    resolver = _fake_resolver(
        (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.0.1", closed_port())),
        (socket.AF_INET6, socket.SOCK_STREAM, 6, "", ("::1", closed_port(), 0, 0)),
    )
    recorder = evidence.Recorder()
    with pytest.raises(OSError):
        httpget.get("http://dead.test/", "ipv4first", 1.0, 1.0, recorder, resolver)
    assert recorder.report(["http"])["http"] == {
        "host": "dead.test",
        "family": None,
        "address": None,
        "port": None,
    }


def test_evidence_for_the_local_http_server(bench: ModuleType, http_server) -> None:
    host, port = http_server
    result = bench.handler(
        {"iterations": 2, "operations": ["http_get"], "url": f"http://{host}:{port}/"}
    )
    assert result["evidence"] == {
        "http": {
            "host": "127.0.0.1",
            "family": "ipv4",
            "address": "127.0.0.1",
            "port": port,
            "stall_s": 0.0,
            "connections": 2,  # http_get opens a new connection per call
        }
    }


def test_evidence_for_boto3_calls_against_a_moto_server(
    bench: ModuleType, moto_server: str, resources, http_server
) -> None:
    resources(endpoint_url=moto_server)
    moto_port = int(moto_server.rsplit(":", 1)[1])
    http_host, http_port = http_server
    result = bench.handler({"iterations": 2, "url": f"http://{http_host}:{http_port}/"})
    assert_all_ok(result, ALL_OPS, 2)
    evidence = result["evidence"]
    assert set(evidence) == {"dynamodb", "sqs", "s3", "http"}
    for service in ("dynamodb", "sqs", "s3"):
        assert evidence[service]["connections"] >= 1, service
        assert {k: v for k, v in evidence[service].items() if k != "connections"} == {
            "host": "127.0.0.1",
            "family": "ipv4",
            "address": "127.0.0.1",
            "port": moto_port,
            "stall_s": 0.0,
        }, service
    assert evidence["http"]["port"] == http_port


def test_evidence_wrapper_is_installed_once(bench: ModuleType) -> None:
    import urllib3.util.connection

    evidence = bench_module("evidence")
    evidence.install()
    evidence.install()
    wrapped = urllib3.util.connection.create_connection
    assert wrapped.natless_evidence is True
    assert not getattr(wrapped.__wrapped__, "natless_evidence", False)


# --- failing fast -----------------------------------------------------------------------------


def test_dead_address_fails_fast_and_is_counted(bench: ModuleType) -> None:
    url = f"http://127.0.0.1:{closed_port()}/"
    started = time.perf_counter()
    result = bench.handler({"iterations": 20, "operations": ["http_get"], "url": url})
    elapsed = time.perf_counter() - started
    assert result["operations"]["http_get"]["error_codes"] == {"ConnectionRefusedError": 20}
    assert elapsed < 5, elapsed


def test_dead_aws_endpoint_fails_fast_and_is_counted(bench: ModuleType, monkeypatch) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL", f"http://127.0.0.1:{closed_port()}")
    monkeypatch.setenv("TABLE_NAME", "t")
    started = time.perf_counter()
    result = bench.handler({"iterations": 2, "operations": ["dynamodb_put"]})
    elapsed = time.perf_counter() - started
    assert result["operations"]["dynamodb_put"]["error_codes"] == {"EndpointConnectionError": 2}
    assert elapsed < 5, elapsed
    diagnosis = result["evidence"]["dynamodb"]["diagnosis"]
    assert [a["outcome"] for a in diagnosis["attempts"]] == ["ECONNREFUSED"] * 4  # 2 calls x 2
    assert diagnosis["explanation"] == (
        "127.0.0.1 has IPv4 addresses only (127.0.0.1); each connect to it was refused "
        "(ECONNREFUSED) (4 attempts): the address answered with a TCP reset: reachable, but "
        "nothing accepts on this port (or a firewall rejects)"
    )


UNROUTABLE = "192.0.2.1"  # TEST-NET-1: connects either time out or fail at once


def test_unreachable_address_times_out_in_the_connect_timeout(
    bench: ModuleType, monkeypatch
) -> None:
    monkeypatch.setenv("NATLESS_CONNECT_TIMEOUT", "0.3")
    started = time.perf_counter()
    result = bench.handler(
        {"iterations": 3, "operations": ["http_get"], "url": f"http://{UNROUTABLE}:81/"}
    )
    elapsed = time.perf_counter() - started
    entry = result["operations"]["http_get"]
    assert entry["errors"] == 3, entry
    assert elapsed < 3, elapsed


def test_unreachable_aws_endpoint_times_out_quickly(bench: ModuleType, monkeypatch) -> None:
    monkeypatch.setenv("NATLESS_CONNECT_TIMEOUT", "0.3")
    monkeypatch.setenv("AWS_ENDPOINT_URL_SQS", f"http://{UNROUTABLE}:81")
    monkeypatch.setenv("QUEUE_URL", f"http://{UNROUTABLE}:81/123456789012/q")
    started = time.perf_counter()
    result = bench.handler({"iterations": 1, "operations": ["sqs_send"]})
    elapsed = time.perf_counter() - started
    codes = result["operations"]["sqs_send"]["error_codes"]
    assert set(codes) <= {"ConnectTimeoutError", "EndpointConnectionError"}, codes
    assert sum(codes.values()) == 1
    assert elapsed < 5, elapsed


# --- statistics and timing ------------------------------------------------------------------


def test_percentiles_and_stats_on_known_samples(bench: ModuleType) -> None:
    stats = bench_module("stats")
    summary = stats.summarize_ms([float(v) for v in range(10, 0, -1)])
    assert summary == {
        "p50": 5.5,
        "p90": 9.1,
        "p99": 9.91,
        "mean": 5.5,
        "stdev": 3.028,
        "min": 1.0,
        "max": 10.0,
    }
    assert stats.summarize_ms([7.25]) == dict.fromkeys(
        ("p50", "p90", "p99", "mean", "min", "max"), 7.25
    ) | {"stdev": 0.0}
    assert stats.summarize_ms([]) == dict.fromkeys(stats.STAT_NAMES)
    assert stats.percentile([1.0, 2.0], 0) == 1.0
    assert stats.percentile([1.0, 2.0], 100) == 2.0
    assert stats.percentile([1.0, 2.0, 4.0], 75) == 3.0


def test_operation_result_rounds_to_microseconds(bench: ModuleType) -> None:
    stats = bench_module("stats")
    entry = stats.operation_result([1_234_567, 2_000_000], {"X": 1}, 3)
    assert entry["samples_ms"] == [1.235, 2.0]
    assert (entry["count"], entry["errors"], entry["error_codes"]) == (3, 1, {"X": 1})
    assert entry["mean"] == 1.617


def measure_timing_overhead(time_calls: Callable[..., Any], iterations: int) -> dict[str, float]:
    """Per-call cost of the runner's instrumentation, in ms, measured with a no-op call.

    ``recorded``: the mean sample the runner records for a call that does nothing (what the
    instrument adds to every sample). ``loop``: the runner's wall time per call minus a bare
    loop calling the same no-op (what the instrument adds to the run).
    """

    def noop() -> None:
        return None

    run = time_calls(noop, iterations)
    started = time.perf_counter_ns()
    time_calls(noop, iterations)
    instrumented = time.perf_counter_ns() - started
    started = time.perf_counter_ns()
    for _ in range(iterations):
        noop()
    bare = time.perf_counter_ns() - started
    return {
        "recorded": sum(run.samples_ns) / len(run.samples_ns) / 1e6,
        "loop": max(instrumented - bare, 0) / iterations / 1e6,
    }


def test_timing_overhead_per_call_is_small(bench: ModuleType) -> None:
    overhead = measure_timing_overhead(bench_module("runner").time_calls, 20_000)
    print(
        f"\nper-call timing overhead: recorded {overhead['recorded'] * 1000:.3f} us, "
        f"loop {overhead['loop'] * 1000:.3f} us"
    )
    assert overhead["recorded"] < 1.0
    assert overhead["loop"] < 1.0


def test_failed_calls_are_counted_by_code(bench: ModuleType) -> None:
    from botocore.exceptions import ClientError, ConnectTimeoutError

    runner, httpget = bench_module("runner"), bench_module("httpget")
    errors = iter(
        [
            ClientError({"Error": {"Code": "ThrottlingException"}}, "PutItem"),
            ConnectTimeoutError(endpoint_url="https://x"),
            httpget.HttpStatusError(503),
            None,
        ]
    )

    def call() -> None:
        exc = next(errors)
        if exc is not None:
            raise exc

    run = runner.time_calls(call, 4)
    assert dict(run.error_codes) == {
        "ThrottlingException": 1,
        "ConnectTimeoutError": 1,
        "HTTP503": 1,
    }
    assert len(run.samples_ns) == 1
