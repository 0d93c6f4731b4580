"""Run one operation N times, sequentially, timing each call; failures are counted, not raised."""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import ClientError
from httpget import HttpStatusError
from netconf import Settings
from ops import Call, Operation, missing_config
from stats import operation_result


@dataclass
class OpRun:
    samples_ns: list[int] = field(default_factory=list)
    error_codes: Counter[str] = field(default_factory=Counter)


def error_code(exc: BaseException) -> str:
    """AWS error code, ``HTTP<status>``, or the exception class name (e.g. ConnectTimeoutError)."""
    if isinstance(exc, ClientError):
        return str(exc.response.get("Error", {}).get("Code") or type(exc).__name__)
    if isinstance(exc, HttpStatusError):
        return f"HTTP{exc.status}"
    return type(exc).__name__


def time_calls(call: Call, iterations: int) -> OpRun:
    """Call ``call`` ``iterations`` times; successful calls give a sample in nanoseconds."""
    run = OpRun()
    clock = time.perf_counter_ns
    for _ in range(iterations):
        start = clock()
        try:
            call()
        except Exception as exc:
            run.error_codes[error_code(exc)] += 1
            continue
        run.samples_ns.append(clock() - start)
    return run


def run_operation(op: Operation, settings: Settings, url: str, iterations: int) -> dict[str, Any]:
    """The result entry of one operation (see stats.operation_result)."""
    missing = missing_config(op, settings)
    if missing:
        result = operation_result([], {"MissingConfig": iterations}, iterations)
        result["config_error"] = f"{', '.join(missing)} not set"
        return result
    try:
        call = op.bind(settings, url)  # client creation stays outside the timed calls
    except Exception as exc:
        return operation_result([], {error_code(exc): iterations}, iterations)
    run = time_calls(call, iterations)
    return operation_result(run.samples_ns, run.error_codes, iterations)
