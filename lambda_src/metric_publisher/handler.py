"""The public side of the public/private split: ask the private function, publish the metric.

Runs outside any VPC, so it reaches the Lambda and CloudWatch APIs without a NAT gateway. On
each (scheduled) invocation it invokes PRIVATE_FUNCTION_NAME synchronously, and when that answers
``{"active_sessions": N}`` it publishes N as METRIC_NAMESPACE/METRIC_NAME (unit Count).

Failures are answered, not raised. Each failure writes one JSON log line with ``"level":
"ERROR"`` and a ``reason``, publishes no datapoint, and returns ``{"ok": false, "reason": ...}``:

    response_too_large      the private answer exceeded Lambda's 6 MB synchronous response limit
                            (FunctionError, errorType Function.ResponseSizeTooLarge)
    timeout                 the private function timed out (errorType Sandbox.Timedout) or gave
                            no answer within its timeout plus a margin (botocore ReadTimeoutError)
    private_function_error  the private function raised (FunctionError, e.g. the database refused)
    bad_response            the answer was not {"active_sessions": <non-negative integer>}
    invoke_failed           the Invoke call itself failed (not found, throttled, access denied)
    metric_publish_failed   PutMetricData failed
    configuration_error     the function's own environment is incomplete

Why not raise: the schedule invokes this function asynchronously, so a raised error would make
Lambda retry it (re-running the database query) and add nothing the log line does not say. The
missing datapoint is the signal to alarm on (an alarm on the metric with treat_missing_data =
"breaching"), and the ERROR line says why.

Environment: PRIVATE_FUNCTION_NAME, PRIVATE_FUNCTION_TIMEOUT_S (default 30), METRIC_NAMESPACE,
METRIC_NAME (default ActiveSessions). The clients use the SDK's normal endpoint resolution
(AWS_ENDPOINT_URL works), no endpoint_url is set here.
"""

from __future__ import annotations

import json
import os
import time
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError, ReadTimeoutError

# Seconds the Invoke call waits beyond the private function's own timeout before giving up.
READ_TIMEOUT_MARGIN_S = 3.0
# Seconds this function keeps for logging and publishing after the Invoke call.
OWN_RESERVE_S = 2.0
CONNECT_TIMEOUT_S = 5.0
MAX_LOGGED_CHARS = 500

_lambda_clients: dict[float, Any] = {}
_cloudwatch: Any = None


class ConfigurationError(Exception):
    pass


class Failure(Exception):
    """A reason not to publish: logged as one ERROR line and returned as ok: false."""

    def __init__(self, reason: str, detail: str, **fields: Any) -> None:
        super().__init__(detail)
        self.reason = reason
        self.detail = detail
        self.fields = fields


def log(level: str, message: str, **fields: Any) -> None:
    print(json.dumps({"level": level, "message": message, **fields}, default=str), flush=True)


def lambda_client(read_timeout: float) -> Any:
    """A Lambda client that makes exactly one attempt and waits read_timeout for the answer."""
    client = _lambda_clients.get(read_timeout)
    if client is None:
        config = Config(
            read_timeout=read_timeout,
            connect_timeout=CONNECT_TIMEOUT_S,
            retries={"total_max_attempts": 1, "mode": "standard"},
        )
        client = _lambda_clients[read_timeout] = boto3.client("lambda", config=config)
    return client


def cloudwatch_client() -> Any:
    global _cloudwatch
    if _cloudwatch is None:
        _cloudwatch = boto3.client("cloudwatch")
    return _cloudwatch


def _settings() -> dict[str, Any]:
    missing = [k for k in ("PRIVATE_FUNCTION_NAME", "METRIC_NAMESPACE") if not os.environ.get(k)]
    if missing:
        raise ConfigurationError(f"missing environment variables: {', '.join(missing)}")
    try:
        private_timeout = float(os.environ.get("PRIVATE_FUNCTION_TIMEOUT_S", "30"))
    except ValueError:
        raise ConfigurationError("PRIVATE_FUNCTION_TIMEOUT_S must be a number") from None
    return {
        "function": os.environ["PRIVATE_FUNCTION_NAME"],
        "private_timeout": private_timeout,
        "namespace": os.environ["METRIC_NAMESPACE"],
        "metric": os.environ.get("METRIC_NAME") or "ActiveSessions",
    }


def read_timeout_for(private_timeout: float, context: Any) -> float:
    """Private timeout + margin, but never past this function's own deadline."""
    wanted = private_timeout + READ_TIMEOUT_MARGIN_S
    remaining_ms = getattr(context, "get_remaining_time_in_millis", None)
    if remaining_ms is not None:
        wanted = min(wanted, max(1.0, remaining_ms() / 1000 - OWN_RESERVE_S))
    return round(wanted, 1)


def _short(text: Any) -> str:
    text = str(text)
    return text if len(text) <= MAX_LOGGED_CHARS else text[:MAX_LOGGED_CHARS] + "..."


def invoke_private(client: Any, function: str, event: Any, read_timeout: float) -> int:
    """The private function's count, or a Failure saying why there is none."""
    payload = {"trigger": "metric_publisher", "scheduled_time": (event or {}).get("time")}
    try:
        response = client.invoke(
            FunctionName=function,
            InvocationType="RequestResponse",
            Payload=json.dumps(payload).encode(),
        )
    except ReadTimeoutError:
        raise Failure(
            "timeout", f"no answer from {function} within {read_timeout} s (read timeout)"
        ) from None
    except ClientError as exc:
        error = exc.response.get("Error", {})
        raise Failure(
            "invoke_failed",
            f"Invoke {function} failed: {error.get('Code')}: {_short(error.get('Message'))}",
            error_code=error.get("Code"),
        ) from None
    except BotoCoreError as exc:
        raise Failure("invoke_failed", f"Invoke {function} failed: {_short(exc)}") from None

    body = response["Payload"].read()
    function_error = response.get("FunctionError")
    if function_error:
        try:
            error = json.loads(body)
        except ValueError:
            error = {"errorMessage": body.decode("utf-8", "replace")}
        if not isinstance(error, dict):
            error = {"errorMessage": error}
        error_type = str(error.get("errorType", ""))
        message = _short(error.get("errorMessage", ""))
        if error_type == "Function.ResponseSizeTooLarge":
            reason = "response_too_large"
        elif error_type == "Sandbox.Timedout" or "Task timed out" in message:
            reason = "timeout"
        else:
            reason = "private_function_error"
        raise Failure(
            reason,
            f"{function} failed ({function_error}): {error_type or 'no errorType'}: {message}",
            error_type=error_type,
        )
    status = response.get("StatusCode")
    if status != 200:
        raise Failure("invoke_failed", f"Invoke {function} answered status {status}")
    try:
        result = json.loads(body)
    except ValueError:
        raise Failure("bad_response", f"{function} answered non-JSON: {_short(body)}") from None
    count = result.get("active_sessions") if isinstance(result, dict) else None
    if isinstance(count, bool) or not isinstance(count, int) or count < 0:
        raise Failure(
            "bad_response",
            f'{function} answered {_short(result)}; expected {{"active_sessions": N >= 0}}',
        )
    return count


def publish(client: Any, namespace: str, metric: str, value: int) -> None:
    try:
        client.put_metric_data(
            Namespace=namespace,
            MetricData=[{"MetricName": metric, "Value": float(value), "Unit": "Count"}],
        )
    except (ClientError, BotoCoreError) as exc:
        raise Failure("metric_publish_failed", f"PutMetricData failed: {_short(exc)}") from None


def handler(event: Any, context: Any) -> dict[str, Any]:
    started = time.monotonic()
    try:
        settings = _settings()
    except ConfigurationError as exc:
        log("ERROR", "not publishing", reason="configuration_error", detail=str(exc))
        return {"ok": False, "reason": "configuration_error", "detail": str(exc)}
    read_timeout = read_timeout_for(settings["private_timeout"], context)
    where = {
        "private_function": settings["function"],
        "namespace": settings["namespace"],
        "metric": settings["metric"],
    }
    try:
        count = invoke_private(
            lambda_client(read_timeout), settings["function"], event, read_timeout
        )
        publish(cloudwatch_client(), settings["namespace"], settings["metric"], count)
    except Failure as failure:
        log(
            "ERROR",
            "no metric published",
            reason=failure.reason,
            detail=failure.detail,
            **failure.fields,
            **where,
            duration_ms=round((time.monotonic() - started) * 1000, 1),
        )
        return {"ok": False, "reason": failure.reason, "detail": failure.detail}
    log(
        "INFO",
        "metric published",
        value=count,
        **where,
        duration_ms=round((time.monotonic() - started) * 1000, 1),
    )
    return {"ok": True, "active_sessions": count, **where}
