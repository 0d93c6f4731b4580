"""natless.bench.compare: ratio, bootstrap and run intervals, verdicts, and the published
benchmark's view.

Benchmark results are synthetic (tests/support/bench_results.py), so no emulator or AWS is needed.
"""

from __future__ import annotations

import json
import math

import pytest

from natless.bench import compare as cmp
from natless.bench.report import render_table
from natless.errors import UserError
from tests.support.bench_results import OPS, bench_result, lognormal

# The published benchmark's "X avg took: Y ms" lines (natless.bench.compare.ARTICLE_URL), VPC and
# public handler, at full precision.
ARTICLE_VPC = {
    "dynamodb_put": 6.3251304899999745,
    "dynamodb_query": 7.445211479999998,
    "sqs_send": 6.609118600000001,
    "s3_put": 23.913652559999974,
    "s3_list": 18.040117310000024,
    "http_get": 7.771355969999968,
}

ARTICLE_PUBLIC = {
    "dynamodb_put": 6.3347117899999645,
    "dynamodb_query": 7.3757151899999736,
    "sqs_send": 5.874475230000026,
    "s3_put": 22.31286675000003,
    "s3_list": 17.50143751000003,
    "http_get": 8.28715667000004,
}


def pair(vpc: dict[str, list[float]], public: dict[str, list[float]]) -> cmp.Comparison:
    return cmp.compare(bench_result("vpc", vpc), bench_result("public", public))


# ---------------------------------------------------------------------------------------------
# Ratio, interval, verdict
# ---------------------------------------------------------------------------------------------


def test_identical_distributions_are_the_same() -> None:
    samples = lognormal(1, 200, 8.0, 0.05)
    op = pair({"sqs_send": samples}, {"sqs_send": list(samples)}).get("sqs_send")
    assert op.ratio == pytest.approx(1.0)
    assert op.ci_low is not None and op.ci_high is not None
    assert op.ci_low <= 1.0 <= op.ci_high
    assert op.ci_low >= 0.95 and op.ci_high <= 1.05
    assert op.verdict == "same"


def test_vpc_twice_as_slow_is_slower_with_interval_around_two() -> None:
    public = lognormal(2, 100, 6.0, 0.2)
    op = pair({"dynamodb_put": [2 * v for v in public]}, {"dynamodb_put": public}).get(
        "dynamodb_put"
    )
    assert op.ratio == pytest.approx(2.0)
    assert op.ci_low is not None and op.ci_high is not None
    assert 1.7 < op.ci_low < 2.0 < op.ci_high < 2.3
    assert op.verdict == "slower"


def test_vpc_faster() -> None:
    op = pair(
        {"http_get": lognormal(3, 100, 5.0, 0.15)}, {"http_get": lognormal(4, 100, 8.0, 0.15)}
    ).get("http_get")
    assert op.ratio == pytest.approx(5 / 8, rel=0.1)
    assert op.ci_high is not None and op.ci_high < 1
    assert op.verdict == "faster"


def test_small_noisy_samples_are_inconclusive() -> None:
    op = pair({"s3_put": lognormal(5, 8, 20.0, 0.8)}, {"s3_put": lognormal(6, 8, 20.0, 0.8)}).get(
        "s3_put"
    )
    assert op.ci_low is not None and op.ci_high is not None
    assert op.ci_low < 1 < op.ci_high
    assert op.ci_high - op.ci_low > 0.5
    assert op.verdict == "inconclusive"


@pytest.mark.parametrize(
    ("low", "high", "expected"),
    [
        (0.97, 1.03, "same"),
        (0.96, 0.99, "same"),  # detectable but under 5%: same takes precedence
        (1.01, 1.04, "same"),
        (1.01, 1.2, "slower"),
        (0.7, 0.99, "faster"),
        (0.9, 1.1, "inconclusive"),
        (0.97, 1.08, "inconclusive"),
        (None, None, "no data"),
    ],
)
def test_verdict_rule(low: float | None, high: float | None, expected: str) -> None:
    assert cmp.verdict(low, high) == expected


def test_same_seed_same_interval_and_order_independent() -> None:
    vpc = {op: lognormal(10 + i, 60, 5.0 + i, 0.3) for i, op in enumerate(OPS)}
    public = {op: lognormal(20 + i, 60, 5.0 + i, 0.3) for i, op in enumerate(OPS)}
    first = cmp.compare(bench_result("vpc", vpc), bench_result("public", public), seed=7)
    again = cmp.compare(bench_result("vpc", vpc), bench_result("public", public), seed=7)
    assert first == again
    other = cmp.compare(bench_result("vpc", vpc), bench_result("public", public), seed=8)
    assert [o.ci_low for o in other.operations] != [o.ci_low for o in first.operations]
    # one operation alone gets the same bootstrap interval as inside the full set (the A/A
    # drift estimate behind the run interval is pooled over the operations compared, by design)
    alone = cmp.compare(
        bench_result("vpc", {"s3_list": vpc["s3_list"]}),
        bench_result("public", {"s3_list": public["s3_list"]}),
        seed=7,
    )
    one, full = alone.get("s3_list"), first.get("s3_list")
    assert (one.vpc, one.public, one.ratio, one.ci_low, one.ci_high) == (
        full.vpc,
        full.public,
        full.ratio,
        full.ci_low,
        full.ci_high,
    )


def test_no_successful_samples_is_no_data() -> None:
    comparison = cmp.compare(
        bench_result("vpc", {"http_get": lognormal(1, 10, 7.0, 0.1), "sqs_send": [1.0, 1.1]}),
        bench_result(
            "public",
            {"http_get": [], "sqs_send": [1.0, 1.2]},
            errors={"http_get": {"ConnectTimeoutError": 10}},
        ),
    )
    op = comparison.get("http_get")
    assert (op.verdict, op.ratio, op.ci_low, op.ci_high) == ("no data", None, None, None)
    assert (op.vpc.calls, op.vpc.errors, op.public.calls, op.public.errors) == (10, 0, 10, 10)
    assert op.public.p50 is None and op.public.mean is None
    assert op.public.error_codes == {"ConnectTimeoutError": 10}
    table = render_table(comparison)
    assert "no data" in table
    assert "ConnectTimeoutError x10" in table


def test_stats_and_operation_order() -> None:
    samples = [float(v) for v in range(1, 101)]
    comparison = pair(
        {"http_get": samples, "dynamodb_put": samples, "s3_put": samples, "xray_put": samples},
        {"s3_put": samples, "dynamodb_put": samples, "http_get": samples},
    )
    assert [o.operation for o in comparison.operations] == ["dynamodb_put", "s3_put", "http_get"]
    assert comparison.only_vpc == ("xray_put",)
    side = comparison.get("s3_put").vpc
    assert (side.p50, side.p90, side.p99, side.mean) == pytest.approx((50.5, 90.1, 99.01, 50.5))
    json.dumps(comparison.as_json())  # serialisable


def test_bootstrap_over_six_operations_is_reproducible() -> None:
    """Same samples, same intervals: the resampling is seeded (its speed is a benchmark's
    business, `make profile`, not a timed assert's)."""
    vpc = {op: lognormal(30 + i, 100, 6.0 + i, 0.3) for i, op in enumerate(OPS)}
    public = {op: lognormal(40 + i, 100, 6.0 + i, 0.3) for i, op in enumerate(OPS)}
    vpc_result, public_result = bench_result("vpc", vpc), bench_result("public", public)
    first = cmp.compare(vpc_result, public_result, resamples=2000)
    again = cmp.compare(vpc_result, public_result, resamples=2000)
    assert len(first.operations) == 6
    assert first.as_json() == again.as_json()


def test_run_interval_widens_the_bootstrap_interval() -> None:
    assert cmp.run_interval(1.1, 1.0, 1.2, 1.0) == pytest.approx((1.0, 1.2))
    low, high = cmp.run_interval(1.1, 1.0, 1.2, 1.1)
    assert low < 1.0 and high > 1.2
    assert cmp.noise_floor(None, None) == 1.0
    assert cmp.noise_floor(0.01, 0.01) == pytest.approx(math.exp(1.959964 * math.sqrt(0.04)))
    comparison = pair({"sqs_send": lognormal(1, 100, 8.0, 0.2)}, {"sqs_send": [8.0] * 100})
    doc = comparison.as_json()
    assert {"noise_floor", "run_ci_low", "run_ci_high"} <= set(doc["operations"]["sqs_send"])
    assert "drift_vpc" in doc and "intervals" in doc
    json.dumps(doc)


# ---------------------------------------------------------------------------------------------
# The published benchmark's view
# ---------------------------------------------------------------------------------------------


def test_article_view_reproduces_the_article_table() -> None:
    def around(mean: float) -> list[float]:
        return [mean * 0.8, mean * 0.9, mean, mean * 1.1, mean * 1.2]

    comparison = pair(
        {op: around(m) for op, m in ARTICLE_VPC.items()},
        {op: around(m) for op, m in ARTICLE_PUBLIC.items()},
    )
    rows = cmp.article_view(comparison)
    assert [r.label for r in rows] == [
        "fill database",
        "read database",
        "send message to queue",
        "write to s3",
        "read from s3",
        "fetch public api",
    ]
    for row in rows:
        assert row.vpc_mean_ms == pytest.approx(ARTICLE_VPC[row.operation], abs=1e-9)
        assert row.public_mean_ms == pytest.approx(ARTICLE_PUBLIC[row.operation], abs=1e-9)
        assert row.article_vpc_ms == pytest.approx(ARTICLE_VPC[row.operation], abs=5e-4)
        assert row.article_public_ms == pytest.approx(ARTICLE_PUBLIC[row.operation], abs=5e-4)


# ---------------------------------------------------------------------------------------------
# Bad inputs
# ---------------------------------------------------------------------------------------------


def test_no_common_operation_and_too_few_resamples() -> None:
    with pytest.raises(UserError, match="share no operation"):
        pair({"sqs_send": [1.0]}, {"s3_put": [1.0]})
    with pytest.raises(UserError, match="resamples"):
        cmp.compare(
            bench_result("vpc", {"sqs_send": [1.0]}),
            bench_result("public", {"sqs_send": [1.0]}),
            resamples=10,
        )
