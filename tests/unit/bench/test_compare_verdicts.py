"""Do the verdicts of natless.bench.compare mean what they say? Simulated runs with drift.

A run of the benchmark function is 100 sequential calls per operation, for the six operations
the bench runs. Real runs are not a stationary sample: the level of a run wanders (warm caches,
the other placement's run or another process on the box). The noise model here:

- calls are lognormal around the operation's median (sigma 0.2), 3 % of them three times slower
  (TLS handshakes, retries);
- each placement's run of each operation is made of 2 or 3 segments, cut at random points, whose
  medians differ: each segment's median is the operation's median times exp(N(0, 0.025)), drawn
  anew for every run (a segment-to-segment drift of a few percent, as warm AWS runs show; the
  emulator drifts much more, where the honest verdict is mostly "inconclusive").

One simulated comparison is a VPC result and a public result with the six operations each, so
the drift estimate is pooled over six operations as in a real run (natless.bench.compare). With 100
pairs of results per test, that is 600 pairs of samples per test.

``pytest -s`` prints the measured rates, next to the old rule's (bootstrap interval only).
"""

from __future__ import annotations

import math
import random
from bisect import bisect_right
from typing import Any

import pytest

from natless.bench import compare as cmp

CALLS = 100
SIGMA = 0.2
OUTLIER_SHARE, OUTLIER_FACTOR = 0.03, 3.0
SEGMENT_SD = 0.025
PAIRS = 100  # pairs of results per test, 6 operations each
RESAMPLES = 200  # the bootstrap's minimum is 100; the CLI uses 2000
EFFECT = 1.2  # the true difference the power test injects (VPC 20 % slower)

# the published benchmark's means (natless.bench.compare.ARTICLE_MEANS_MS), as medians (ms)
MEDIANS_MS = {
    "dynamodb_put": 6.3,
    "dynamodb_query": 7.4,
    "sqs_send": 6.6,
    "s3_put": 23.9,
    "s3_list": 18.0,
    "http_get": 7.8,
}


def drifting_run(rng: random.Random, median: float) -> list[float]:
    """One placement's calls of one operation, in call order: 2-3 segments of other medians."""
    segments = rng.choice((2, 3))
    cuts = sorted(rng.sample(range(10, CALLS - 10), segments - 1))
    levels = [median * math.exp(rng.gauss(0, SEGMENT_SD)) for _ in range(segments)]
    samples = []
    for call in range(CALLS):
        value = levels[bisect_right(cuts, call)] * rng.lognormvariate(0, SIGMA)
        if rng.random() < OUTLIER_SHARE:
            value *= OUTLIER_FACTOR
        samples.append(round(value, 3))
    return samples


def result(placement: str, samples: dict[str, list[float]]) -> dict[str, Any]:
    operations = {
        name: {"count": len(values), "errors": 0, "error_codes": {}, "samples_ms": values}
        for name, values in samples.items()
    }
    return {"ok": True, "placement": placement, "operations": operations}


def verdicts(seed: int, vpc_factor: float) -> tuple[list[str], list[str]]:
    """Verdicts of PAIRS simulated comparisons: (new rule, old bootstrap-only rule)."""
    rng = random.Random(seed)
    new: list[str] = []
    old: list[str] = []
    for i in range(PAIRS):
        vpc = {op: drifting_run(rng, m * vpc_factor) for op, m in MEDIANS_MS.items()}
        public = {op: drifting_run(rng, m) for op, m in MEDIANS_MS.items()}
        comparison = cmp.compare(
            result("vpc", vpc), result("public", public), resamples=RESAMPLES, seed=i
        )
        for op in comparison.operations:
            new.append(op.verdict)
            old.append(cmp.verdict(op.ci_low, op.ci_high))
    return new, old


def share(found: list[str], wanted: set[str]) -> float:
    return sum(v in wanted for v in found) / len(found)


def test_one_distribution_is_rarely_called_slower_or_faster() -> None:
    new, old = verdicts(seed=2024, vpc_factor=1.0)
    false_rate = share(new, {"slower", "faster"})
    print(
        f"\nA/A with drift: {len(new)} comparisons; false verdicts (slower/faster) "
        f"{false_rate:.1%}; the bootstrap interval alone: {share(old, {'slower', 'faster'}):.1%}"
    )
    assert share(new, {"same", "inconclusive"}) >= 0.95


def test_a_true_20_percent_difference_is_found() -> None:
    new, old = verdicts(seed=4048, vpc_factor=EFFECT)
    power = share(new, {"slower"})
    print(
        f"\nVPC 20% slower, with drift: {len(new)} comparisons; found (slower) {power:.1%}; "
        f"called faster {share(new, {'faster'}):.1%}; the bootstrap interval alone found "
        f"{share(old, {'slower'}):.1%}"
    )
    assert share(new, {"faster"}) == 0
    assert power >= 0.80


def test_without_drift_the_run_interval_is_the_bootstrap_interval() -> None:
    """A perfectly steady run: the A/A drift estimate is zero, nothing is widened."""
    steady = [8.0, 9.0, 10.0, 11.0, 12.0] * 24  # every batch, in order or interleaved: median 10
    comparison = cmp.compare(
        result("vpc", {"sqs_send": steady}), result("public", {"sqs_send": list(steady)})
    )
    op = comparison.get("sqs_send")
    assert comparison.drift_vpc == 0 and comparison.drift_public == 0
    assert op.noise_floor == 1.0
    assert (op.run_ci_low, op.run_ci_high) == pytest.approx((op.ci_low, op.ci_high))


def test_a_shift_inside_a_run_widens_the_interval() -> None:
    """Half the run at 10 ms, half at 13 ms: the level moved, so the floor is above 1.3/1.0."""
    rng = random.Random(5)
    shifted = [round(m * rng.lognormvariate(0, 0.05), 3) for m in [10.0] * 60 + [13.0] * 60]
    steady = [round(11.4 * rng.lognormvariate(0, 0.05), 3) for _ in range(120)]
    op = cmp.compare(result("vpc", {"s3_put": shifted}), result("public", {"s3_put": steady})).get(
        "s3_put"
    )
    assert op.noise_floor is not None and op.noise_floor > 1.2
    assert op.run_ci_low is not None and op.ci_low is not None and op.run_ci_low < op.ci_low
    assert op.verdict == "inconclusive"
