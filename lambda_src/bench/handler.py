"""Lambda entry point ``handler.handler``: validate the event, run the operations, report.

Event: ``{"operations": [...], "iterations": 1..10000, "url": "https://..."}`` (all optional).
The result is a dict: ``{"ok": true, "placement", "operations": {op: stats}, "evidence", ...}``
or ``{"ok": false, "error": {"type": "BadEvent" | "BadConfig", "message"}}``; never raises for
a bad event or a bad environment. ``evidence`` has per service the host, the peer, ``stall_s``,
``connections`` and, when that service's calls failed, a ``diagnosis`` (see diagnosis.py).
"""

import time

_INIT_START_NS = time.perf_counter_ns()

import os  # noqa: E402 - after the clock starts, so init_ms includes every import
import platform  # noqa: E402
from typing import Any  # noqa: E402

import attempts  # noqa: E402
import clients  # noqa: E402
import diagnosis  # noqa: E402
import evidence  # noqa: E402
from event import BadEvent, parse_event  # noqa: E402
from netconf import ConfigError, load_settings  # noqa: E402
from ops import OPERATIONS  # noqa: E402
from runner import run_operation  # noqa: E402

evidence.install()


class _Container:
    """Per-container facts: how long init took and whether an invocation already ran."""

    init_ms = round((time.perf_counter_ns() - _INIT_START_NS) / 1e6, 3)
    invoked = False


def reset_clients() -> None:
    """Drop cached boto3 clients (tests only; Lambda reuses them for the container's life)."""
    clients.reset()


def _error(kind: str, message: str) -> dict[str, Any]:
    return {"ok": False, "error": {"type": kind, "message": message}}


def _runtime() -> dict[str, str]:
    runtime = {"python": platform.python_version()}
    if os.environ.get("AWS_EXECUTION_ENV"):
        runtime["execution_env"] = os.environ["AWS_EXECUTION_ENV"]
    return runtime


def handler(event: Any, context: Any = None) -> dict[str, Any]:
    start = time.perf_counter_ns()
    cold_start, _Container.invoked = not _Container.invoked, True
    try:
        settings = load_settings()
    except ConfigError as exc:
        return _error("BadConfig", str(exc))
    try:
        request = parse_event(event, settings.public_url)
    except BadEvent as exc:
        return _error("BadEvent", str(exc))

    with attempts.watching(settings.ip_preference) as log:
        results = {
            name: run_operation(OPERATIONS[name], settings, request.url, request.iterations)
            for name in request.operations
        }
    services = dict.fromkeys(OPERATIONS[name].service for name in request.operations)
    failed = diagnosis.failed_services(results, {n: op.service for n, op in OPERATIONS.items()})
    targets = {service: evidence.RECORDER.target(service) for service in services}
    return {
        "ok": True,
        "placement": settings.placement,
        "iterations": request.iterations,
        "url": request.url if "http_get" in request.operations else None,
        "dualstack_services": sorted(settings.dualstack),
        "dualstack_by_sdk": settings.dualstack_by_sdk,
        "ip_preference": settings.ip_preference,
        "operations": results,
        "total_ms": round((time.perf_counter_ns() - start) / 1e6, 3),
        "cold_start": cold_start,
        "init_ms": _Container.init_ms,
        "runtime": _runtime(),
        "evidence": diagnosis.annotate(evidence.RECORDER.report(services), targets, log, failed),
    }
