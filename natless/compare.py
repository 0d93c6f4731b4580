"""VPC vs public placement: per-operation statistics, ratio of medians, bootstrap CI, verdict.

Pure statistics, no I/O. Inputs are two results of the benchmark function (lambda_src/bench):
``{"ok": true, "placement": "vpc" | "public", "operations": {op: {"count", "errors",
"samples_ms", ...}}, ...}``. :func:`compare` takes the VPC result first and the public result
second and checks each one's ``placement``: it never swaps them silently, because a swapped pair
would invert every ratio; a swapped, mislabelled or failed result is a UserError.

Statistics
    Per operation present in both results, each placement's successful calls (``samples_ms``)
    give p50/p90/p99 (linear interpolation between closest ranks, as the function computes them)
    and the mean. The effect size is the ratio of medians, VPC / public: 1.10 means a call from
    inside the VPC took 10 % longer at the median. Medians, not means: one slow TLS handshake or
    retry moves the mean of 100 calls a lot and the median hardly at all.

Confidence interval
    95 % percentile bootstrap: each placement's samples are resampled with replacement,
    independently, ``resamples`` times; each round gives a ratio of resampled medians; the
    2.5th and 97.5th percentiles of those ratios bound the interval. Each operation draws from
    its own ``random.Random`` seeded from ``seed`` and the operation name, so a result is
    reproducible and does not depend on which other operations were run. Medians below the
    samples' resolution (0.001 ms) are raised to it so a ratio is always finite.

Verdict (about the VPC placement, relative to public), first rule that holds:
    ``same``          the whole CI lies within [0.95, 1.05]: any difference is under 5 %, even
                      if it is statistically detectable (large samples detect 2 % shifts; that
                      is not a difference anyone should act on);
    ``slower``        CI lower bound > 1: VPC calls are slower, by more than noise explains;
    ``faster``        CI upper bound < 1: VPC calls are faster;
    ``inconclusive``  the CI contains 1 but reaches outside [0.95, 1.05]: the data cannot tell
                      "same" from a difference of more than 5 % (too few or too noisy samples);
    ``no data``       a placement has no successful call for the operation; ratio and CI None.
    An honest reading therefore never says "same" merely because the CI contains 1.
"""

from __future__ import annotations

import math
import random
import statistics
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from natless.errors import UserError

PLACEMENTS = ("vpc", "public")
OPERATION_ORDER = ("dynamodb_put", "dynamodb_query", "sqs_send", "s3_put", "s3_list", "http_get")
CONFIDENCE = 0.95
SAME_BAND = (0.95, 1.05)
RESOLUTION_MS = 0.001  # samples_ms carry 3 decimals
VERDICTS = ("same", "slower", "faster", "inconclusive", "no data")

# The seed article's table (Node.js 24, arm64, 1024 MB, 100 sequential calls, one warm run per
# placement; "X avg took: Y ms"), keyed by the benchmark's operation names.
SEED_LABELS = {
    "dynamodb_put": "fill database",
    "dynamodb_query": "read database",
    "sqs_send": "send message to queue",
    "s3_put": "write to s3",
    "s3_list": "read from s3",
    "http_get": "fetch public api",
}
SEED_ARTICLE_MEANS_MS = {
    "dynamodb_put": (6.325, 6.335),
    "dynamodb_query": (7.445, 7.376),
    "sqs_send": (6.609, 5.874),
    "s3_put": (23.914, 22.313),
    "s3_list": (18.040, 17.501),
    "http_get": (7.771, 8.287),
}


@dataclass(frozen=True)
class Side:
    """One placement's numbers for one operation (milliseconds; None without samples)."""

    calls: int
    errors: int
    error_codes: dict[str, int]
    samples: int
    p50: float | None
    p90: float | None
    p99: float | None
    mean: float | None


@dataclass(frozen=True)
class OperationComparison:
    operation: str
    vpc: Side
    public: Side
    ratio: float | None  # median VPC / median public
    ci_low: float | None
    ci_high: float | None
    verdict: str


@dataclass(frozen=True)
class Comparison:
    operations: tuple[OperationComparison, ...]
    resamples: int
    seed: int
    confidence: float = CONFIDENCE
    same_band: tuple[float, float] = SAME_BAND
    only_vpc: tuple[str, ...] = field(default=())  # operations run in one placement only
    only_public: tuple[str, ...] = field(default=())

    def get(self, operation: str) -> OperationComparison:
        for op in self.operations:
            if op.operation == operation:
                return op
        raise KeyError(operation)

    def as_json(self) -> dict[str, Any]:
        doc = asdict(self)
        doc["operations"] = {op["operation"]: op for op in doc.pop("operations")}
        doc["same_band"] = list(self.same_band)
        doc["only_vpc"], doc["only_public"] = list(self.only_vpc), list(self.only_public)
        doc["ratio"] = "median vpc / median public"
        return doc


@dataclass(frozen=True)
class SeedRow:
    """One line of the seed article's table: mean per call, per placement."""

    operation: str
    label: str
    vpc_mean_ms: float | None
    public_mean_ms: float | None
    article_vpc_ms: float | None
    article_public_ms: float | None


# ---------------------------------------------------------------------------------------------
# Statistics
# ---------------------------------------------------------------------------------------------


def percentile(sorted_values: Sequence[float], q: float) -> float:
    """q-th percentile (0..100), linear interpolation (numpy's default, the function's method)."""
    pos = (len(sorted_values) - 1) * q / 100
    lo = math.floor(pos)
    hi = min(lo + 1, len(sorted_values) - 1)
    return sorted_values[lo] + (sorted_values[hi] - sorted_values[lo]) * (pos - lo)


def _median_sorted(values: Sequence[float]) -> float:
    n = len(values)
    half = n // 2
    return values[half] if n % 2 else (values[half - 1] + values[half]) / 2


def bootstrap_ratio_ci(
    numerator: Sequence[float],
    denominator: Sequence[float],
    *,
    resamples: int,
    rng: random.Random,
    confidence: float = CONFIDENCE,
) -> tuple[float, float]:
    """Percentile-bootstrap CI of median(numerator) / median(denominator)."""
    num, den = list(numerator), list(denominator)
    n_num, n_den = len(num), len(den)
    choices = rng.choices
    ratios = sorted(
        max(_median_sorted(sorted(choices(num, k=n_num))), RESOLUTION_MS)
        / max(_median_sorted(sorted(choices(den, k=n_den))), RESOLUTION_MS)
        for _ in range(resamples)
    )
    tail = (1 - confidence) / 2 * 100
    return percentile(ratios, tail), percentile(ratios, 100 - tail)


def verdict(ci_low: float | None, ci_high: float | None) -> str:
    """The rule in the module docstring."""
    if ci_low is None or ci_high is None:
        return "no data"
    if SAME_BAND[0] <= ci_low and ci_high <= SAME_BAND[1]:
        return "same"
    if ci_low > 1:
        return "slower"
    if ci_high < 1:
        return "faster"
    return "inconclusive"


def _side(entry: Mapping[str, Any], samples: Sequence[float]) -> Side:
    ordered = sorted(samples)
    codes = {str(k): int(v) for k, v in (entry.get("error_codes") or {}).items()}
    errors = int(entry.get("errors", sum(codes.values())))
    stats: dict[str, float | None] = dict.fromkeys(("p50", "p90", "p99", "mean"))
    if ordered:
        stats = {
            "p50": percentile(ordered, 50),
            "p90": percentile(ordered, 90),
            "p99": percentile(ordered, 99),
            "mean": statistics.fmean(ordered),
        }
    return Side(
        calls=int(entry.get("count", len(ordered) + errors)),
        errors=errors,
        error_codes=codes,
        samples=len(ordered),
        **stats,
    )


def _compare_operation(
    name: str, vpc: Mapping[str, Any], public: Mapping[str, Any], resamples: int, seed: int
) -> OperationComparison:
    vpc_samples, public_samples = vpc["samples_ms"], public["samples_ms"]
    vpc_side, public_side = _side(vpc, vpc_samples), _side(public, public_samples)
    if not vpc_samples or not public_samples:
        return OperationComparison(name, vpc_side, public_side, None, None, None, "no data")
    assert vpc_side.p50 is not None and public_side.p50 is not None
    ratio = max(vpc_side.p50, RESOLUTION_MS) / max(public_side.p50, RESOLUTION_MS)
    low, high = bootstrap_ratio_ci(
        vpc_samples, public_samples, resamples=resamples, rng=random.Random(f"{seed}/{name}")
    )
    return OperationComparison(name, vpc_side, public_side, ratio, low, high, verdict(low, high))


def _order(names: set[str]) -> list[str]:
    known = [n for n in OPERATION_ORDER if n in names]
    return known + sorted(names - set(OPERATION_ORDER))


def compare(
    vpc: Mapping[str, Any],
    public: Mapping[str, Any],
    *,
    resamples: int = 2000,
    seed: int = 0,
) -> Comparison:
    """Compare a VPC-placement result (first) with a public-placement result (second)."""
    if resamples < 100:
        raise UserError(f"resamples must be >= 100 for a 95% interval, got {resamples}")
    vpc_ops = check_result(vpc, "vpc", "the VPC result")
    public_ops = check_result(public, "public", "the public result")
    common = set(vpc_ops) & set(public_ops)
    if not common:
        raise UserError(
            "the two results share no operation: VPC ran "
            f"{', '.join(_order(set(vpc_ops))) or 'none'}; public ran "
            f"{', '.join(_order(set(public_ops))) or 'none'}"
        )
    return Comparison(
        operations=tuple(
            _compare_operation(name, vpc_ops[name], public_ops[name], resamples, seed)
            for name in _order(common)
        ),
        resamples=resamples,
        seed=seed,
        only_vpc=tuple(_order(set(vpc_ops) - common)),
        only_public=tuple(_order(set(public_ops) - common)),
    )


def seed_view(comparison: Comparison) -> list[SeedRow]:
    """The seed article's table: mean ms per call per placement, with the article's numbers."""
    rows = []
    for op in comparison.operations:
        article = SEED_ARTICLE_MEANS_MS.get(op.operation, (None, None))
        rows.append(
            SeedRow(
                operation=op.operation,
                label=SEED_LABELS.get(op.operation, op.operation),
                vpc_mean_ms=op.vpc.mean,
                public_mean_ms=op.public.mean,
                article_vpc_ms=article[0],
                article_public_ms=article[1],
            )
        )
    return rows


# ---------------------------------------------------------------------------------------------
# Input checks
# ---------------------------------------------------------------------------------------------


def check_result(doc: Any, placement: str, what: str) -> dict[str, dict[str, Any]]:
    """The ``operations`` of a benchmark result, after checking its shape; else a UserError."""
    if not isinstance(doc, Mapping):
        raise UserError(f"{what} is not a benchmark result: expected a JSON object")
    if doc.get("ok") is False:
        error = doc.get("error") if isinstance(doc.get("error"), Mapping) else {}
        kind, message = error.get("type", "error"), error.get("message", "no message")
        raise UserError(f"{what} is a failed run of the benchmark function: {kind}: {message}")
    operations = doc.get("operations")
    if not isinstance(operations, Mapping):
        raise UserError(f"{what} is not a benchmark result: it has no 'operations' object")
    actual = doc.get("placement")
    if actual != placement:
        hint = (
            "; the files look swapped: give the VPC result first, the public one second"
            if actual in PLACEMENTS
            else ""
        )
        raise UserError(f"{what} must have placement {placement!r}, it has {actual!r}{hint}")
    return {
        str(name): _check_operation(entry, f"{what}, operation {name}")
        for name, entry in operations.items()
    }


def _check_operation(entry: Any, what: str) -> dict[str, Any]:
    if not isinstance(entry, Mapping):
        raise UserError(f"{what}: expected an object with samples_ms")
    samples = entry.get("samples_ms")
    if not isinstance(samples, list):
        raise UserError(f"{what}: no samples_ms list")
    for value in samples:
        if (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or not math.isfinite(value)
            or value < 0
        ):
            raise UserError(f"{what}: samples_ms holds {value!r}, not a duration in ms")
    for key in ("count", "errors"):
        value = entry.get(key, 0)
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise UserError(f"{what}: {key} must be a whole number >= 0, got {value!r}")
    codes = entry.get("error_codes", {})
    if not isinstance(codes, Mapping):
        raise UserError(f"{what}: error_codes must be an object")
    return {**entry, "samples_ms": [float(v) for v in samples]}
