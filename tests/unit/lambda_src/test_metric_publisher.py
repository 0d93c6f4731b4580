"""lambda_src/metric_publisher: each failure is one ERROR line, ok: false and no metric.

The Lambda and CloudWatch clients are real boto3 clients with botocore's Stubber, so requests
are validated against the service models; a call the test did not queue fails the test (which is
how "no metric written" is checked: nothing is queued for PutMetricData).
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from types import ModuleType, SimpleNamespace
from typing import Any

import boto3
import pytest
from botocore.exceptions import ReadTimeoutError
from botocore.response import StreamingBody
from botocore.stub import Stubber

from tests.support.lambda_src import handler_module

REGION = "us-east-1"
PRIVATE = "natless-split-private"
NAMESPACE = "Natless/Test"
SCHEDULED_EVENT = {
    "version": "0",
    "id": "53dc4d37-cffa-4f76-80c9-8b7d4a4d2eaa",
    "detail-type": "Scheduled Event",
    "source": "aws.events",
    "account": "123456789012",
    "time": "2026-01-01T12:00:00Z",
    "region": REGION,
    "resources": ["arn:aws:events:us-east-1:123456789012:rule/natless-split-schedule"],
    "detail": {},
}


@pytest.fixture
def publisher(fake_aws: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[ModuleType]:
    monkeypatch.setenv("PRIVATE_FUNCTION_NAME", PRIVATE)
    monkeypatch.setenv("PRIVATE_FUNCTION_TIMEOUT_S", "30")
    monkeypatch.setenv("METRIC_NAMESPACE", NAMESPACE)
    monkeypatch.setenv("METRIC_NAME", "ActiveSessions")
    with handler_module("metric_publisher") as module:
        yield module


@pytest.fixture
def clients(publisher: ModuleType, monkeypatch: pytest.MonkeyPatch) -> Iterator[SimpleNamespace]:
    lam = boto3.client("lambda", region_name=REGION)
    cw = boto3.client("cloudwatch", region_name=REGION)
    with Stubber(lam) as lam_stub, Stubber(cw) as cw_stub:
        monkeypatch.setattr(publisher, "lambda_client", lambda read_timeout: lam)
        monkeypatch.setattr(publisher, "cloudwatch_client", lambda: cw)
        yield SimpleNamespace(lam=lam_stub, cw=cw_stub)
        lam_stub.assert_no_pending_responses()
        cw_stub.assert_no_pending_responses()


def body(data: bytes) -> StreamingBody:
    return StreamingBody(io.BytesIO(data), len(data))


def invoke_answer(payload: Any, function_error: str | None = None) -> dict[str, Any]:
    data = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    answer: dict[str, Any] = {"StatusCode": 200, "Payload": body(data)}
    if function_error:
        answer["FunctionError"] = function_error
    return answer


INVOKE_PARAMS = {
    "FunctionName": PRIVATE,
    "InvocationType": "RequestResponse",
    "Payload": json.dumps(
        {"trigger": "metric_publisher", "scheduled_time": SCHEDULED_EVENT["time"]}
    ).encode(),
}


def log_lines(capsys: pytest.CaptureFixture[str]) -> list[dict[str, Any]]:
    return [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.strip()]


def the_error_line(capsys: pytest.CaptureFixture[str]) -> dict[str, Any]:
    lines = log_lines(capsys)
    errors = [line for line in lines if line["level"] == "ERROR"]
    assert len(errors) == 1, lines
    assert errors[0]["message"] == "no metric published"
    assert errors[0]["private_function"] == PRIVATE
    return errors[0]


def test_success_publishes_the_count(publisher, clients, capsys) -> None:
    clients.lam.add_response("invoke", invoke_answer({"active_sessions": 7}), INVOKE_PARAMS)
    clients.cw.add_response(
        "put_metric_data",
        {},
        {
            "Namespace": NAMESPACE,
            "MetricData": [{"MetricName": "ActiveSessions", "Value": 7.0, "Unit": "Count"}],
        },
    )
    result = publisher.handler(SCHEDULED_EVENT, None)
    assert result["ok"] is True and result["active_sessions"] == 7
    (line,) = log_lines(capsys)
    assert (line["level"], line["value"], line["namespace"]) == ("INFO", 7, NAMESPACE)


ERRORS = {
    # case: (invoke answer, reason, text the detail must contain)
    "response-too-large": (
        invoke_answer(
            {
                "errorType": "Function.ResponseSizeTooLarge",
                "errorMessage": "Response payload size exceeded maximum allowed payload size "
                "(6291556 bytes).",
            },
            "Unhandled",
        ),
        "response_too_large",
        "Function.ResponseSizeTooLarge",
    ),
    "sandbox-timeout": (
        invoke_answer(
            {"errorType": "Sandbox.Timedout", "errorMessage": "Task timed out after 30.00 seconds"},
            "Unhandled",
        ),
        "timeout",
        "Task timed out",
    ),
    "old-style-timeout": (
        invoke_answer(
            {"errorMessage": "2026-01-01T12:00:30Z abc Task timed out after 30.00 seconds"},
            "Unhandled",
        ),
        "timeout",
        "Task timed out",
    ),
    "private-raised": (
        invoke_answer(
            {
                "errorType": "DatabaseConnectError",
                "errorMessage": "cannot connect to db:5432/app as natless_reader",
                "stackTrace": [],
            },
            "Unhandled",
        ),
        "private_function_error",
        "DatabaseConnectError: cannot connect",
    ),
    "handled-error-non-json": (
        invoke_answer(b"plain text", "Handled"),
        "private_function_error",
        "plain text",
    ),
    "count-is-a-string": (
        invoke_answer({"active_sessions": "7"}),
        "bad_response",
        "expected",
    ),
    "count-negative": (invoke_answer({"active_sessions": -1}), "bad_response", "expected"),
    "count-bool": (invoke_answer({"active_sessions": True}), "bad_response", "expected"),
    "count-missing": (invoke_answer([1, 2, 3]), "bad_response", "expected"),
    "not-json": (invoke_answer(b"<html>"), "bad_response", "non-JSON"),
}


@pytest.mark.parametrize("case", sorted(ERRORS))
def test_private_failures_publish_nothing(publisher, clients, capsys, case: str) -> None:
    answer, reason, detail = ERRORS[case]
    clients.lam.add_response("invoke", answer, INVOKE_PARAMS)
    result = publisher.handler(SCHEDULED_EVENT, None)
    assert result["ok"] is False
    assert result["reason"] == reason
    assert detail in result["detail"]
    line = the_error_line(capsys)
    assert line["reason"] == reason and detail in line["detail"]


def test_invoke_api_error(publisher, clients, capsys) -> None:
    clients.lam.add_client_error(
        "invoke",
        service_error_code="ResourceNotFoundException",
        service_message=f"Function not found: {PRIVATE}",
        http_status_code=404,
    )
    result = publisher.handler(SCHEDULED_EVENT, None)
    assert (result["ok"], result["reason"]) == (False, "invoke_failed")
    line = the_error_line(capsys)
    assert line["error_code"] == "ResourceNotFoundException"


def test_metric_api_error(publisher, clients, capsys) -> None:
    clients.lam.add_response("invoke", invoke_answer({"active_sessions": 3}), INVOKE_PARAMS)
    clients.cw.add_client_error(
        "put_metric_data", service_error_code="AccessDenied", http_status_code=403
    )
    result = publisher.handler(SCHEDULED_EVENT, None)
    assert (result["ok"], result["reason"]) == (False, "metric_publish_failed")
    assert the_error_line(capsys)["reason"] == "metric_publish_failed"


def test_read_timeout_is_a_timeout(publisher, monkeypatch, capsys) -> None:
    class NoAnswer:
        def invoke(self, **kwargs: Any) -> Any:
            raise ReadTimeoutError(endpoint_url="https://lambda.us-east-1.amazonaws.com")

    class NoMetrics:
        def put_metric_data(self, **kwargs: Any) -> Any:
            raise AssertionError("no metric may be written")

    monkeypatch.setattr(publisher, "lambda_client", lambda read_timeout: NoAnswer())
    monkeypatch.setattr(publisher, "cloudwatch_client", lambda: NoMetrics())
    result = publisher.handler(SCHEDULED_EVENT, None)
    assert (result["ok"], result["reason"]) == (False, "timeout")
    assert "33.0 s" in result["detail"]  # 30 s private timeout + 3 s margin
    assert the_error_line(capsys)["reason"] == "timeout"


def test_missing_configuration(publisher, monkeypatch, capsys) -> None:
    monkeypatch.delenv("PRIVATE_FUNCTION_NAME")
    result = publisher.handler(SCHEDULED_EVENT, None)
    assert (result["ok"], result["reason"]) == (False, "configuration_error")
    (line,) = log_lines(capsys)
    assert line["level"] == "ERROR" and "PRIVATE_FUNCTION_NAME" in line["detail"]


def test_read_timeout_follows_private_timeout_and_own_deadline(publisher) -> None:
    assert publisher.read_timeout_for(30, None) == 33.0
    context = SimpleNamespace(get_remaining_time_in_millis=lambda: 20_000)
    assert publisher.read_timeout_for(30, context) == 18.0  # keeps 2 s to log and publish
    context = SimpleNamespace(get_remaining_time_in_millis=lambda: 500)
    assert publisher.read_timeout_for(30, context) == 1.0


def test_lambda_client_makes_one_attempt(publisher, monkeypatch) -> None:
    client = publisher.lambda_client(12.5)
    assert client.meta.config.read_timeout == 12.5
    assert client.meta.config.retries["total_max_attempts"] == 1
    assert client.meta.endpoint_url == "https://lambda.us-east-1.amazonaws.com"
    assert publisher.lambda_client(12.5) is client  # cached per timeout
