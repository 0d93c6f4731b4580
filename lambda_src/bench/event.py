"""Validation of the invocation event into a ``Request``; mistakes raise ``BadEvent``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from netconf import check_url
from ops import DEFAULT_OPERATIONS, OPERATIONS

DEFAULT_ITERATIONS = 100
MIN_ITERATIONS, MAX_ITERATIONS = 1, 10_000
FIELDS = ("operations", "iterations", "url")


class BadEvent(ValueError):
    """The event is not a valid benchmark request."""


@dataclass(frozen=True)
class Request:
    operations: tuple[str, ...]
    iterations: int
    url: str


def parse_event(event: Any, default_url: str) -> Request:
    if not isinstance(event, dict):
        raise BadEvent(
            f"the event must be a JSON object with optional fields {', '.join(FIELDS)}; "
            f"got {type(event).__name__}"
        )
    unknown = sorted(str(key) for key in event if key not in FIELDS)
    if unknown:
        raise BadEvent(f"unknown event field(s) {', '.join(unknown)}; allowed: {', '.join(FIELDS)}")
    return Request(
        operations=_operations(event.get("operations")),
        iterations=_iterations(event.get("iterations", DEFAULT_ITERATIONS)),
        url=_url(event.get("url"), default_url),
    )


def _operations(value: Any) -> tuple[str, ...]:
    allowed = ", ".join(OPERATIONS)
    if value is None:
        return DEFAULT_OPERATIONS
    if not isinstance(value, list) or not value:
        raise BadEvent(f"operations must be a non-empty list of names from: {allowed}")
    for name in value:
        if not isinstance(name, str) or name not in OPERATIONS:
            raise BadEvent(f"operations: unknown operation {name!r}; allowed: {allowed}")
    if len(set(value)) != len(value):
        raise BadEvent("operations: each operation may appear only once")
    return tuple(value)


def _iterations(value: Any) -> int:
    allowed = f"an integer from {MIN_ITERATIONS} to {MAX_ITERATIONS}"
    if isinstance(value, bool) or not isinstance(value, int):
        raise BadEvent(f"iterations must be {allowed} (not {type(value).__name__}), got {value!r}")
    if not MIN_ITERATIONS <= value <= MAX_ITERATIONS:
        raise BadEvent(f"iterations must be {allowed}, got {value}")
    return value


def _url(value: Any, default: str) -> str:
    if value is None:
        return default
    try:
        return check_url(value, "url")
    except ValueError as exc:
        raise BadEvent(str(exc)) from None
