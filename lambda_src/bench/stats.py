"""Summary statistics of one operation's timings (milliseconds, 3 decimals)."""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from typing import Any

NS_PER_MS = 1_000_000
DECIMALS = 3
STAT_NAMES = ("p50", "p90", "p99", "mean", "stdev", "min", "max")


def percentile(sorted_values: Sequence[float], q: float) -> float:
    """The q-th percentile (0..100) by linear interpolation between closest ranks.

    Same as numpy's default ("linear") method: position (n - 1) * q / 100 in the sorted values.
    """
    if not sorted_values:
        raise ValueError("percentile of no values")
    if not 0 <= q <= 100:
        raise ValueError(f"percentile q must be in [0, 100], got {q}")
    pos = (len(sorted_values) - 1) * q / 100
    lo = math.floor(pos)
    hi = min(lo + 1, len(sorted_values) - 1)
    return sorted_values[lo] + (sorted_values[hi] - sorted_values[lo]) * (pos - lo)


def summarize_ms(samples_ms: Sequence[float]) -> dict[str, float | None]:
    """p50/p90/p99/mean/stdev/min/max of the samples; all None when there are none."""
    if not samples_ms:
        return dict.fromkeys(STAT_NAMES)
    ordered = sorted(samples_ms)
    stats = {
        "p50": percentile(ordered, 50),
        "p90": percentile(ordered, 90),
        "p99": percentile(ordered, 99),
        "mean": statistics.fmean(ordered),
        "stdev": statistics.stdev(ordered) if len(ordered) > 1 else 0.0,
        "min": ordered[0],
        "max": ordered[-1],
    }
    return {name: round(value, DECIMALS) for name, value in stats.items()}


def operation_result(
    samples_ns: Sequence[int], error_codes: dict[str, int], count: int
) -> dict[str, Any]:
    """The result entry of one operation: counts, error codes, stats and the samples in ms."""
    samples_ms = [ns / NS_PER_MS for ns in samples_ns]
    return {
        "count": count,
        "errors": sum(error_codes.values()),
        "error_codes": dict(sorted(error_codes.items())),
        **summarize_ms(samples_ms),
        "samples_ms": [round(ms, DECIMALS) for ms in samples_ms],
    }
