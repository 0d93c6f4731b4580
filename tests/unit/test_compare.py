"""natless.compare, natless.report, natless.chart and `natless compare`.

Benchmark results are synthetic: :func:`bench_result` builds the JSON the bench function returns
(lambda_src/bench/handler.py) from plain sample lists, so no emulator or AWS is needed.
"""

from __future__ import annotations

import json
import math
import random
import re
import statistics
import time
from pathlib import Path
from typing import Any

import pytest

from natless import compare as cmp
from natless import paths
from natless.cli import main
from natless.errors import UserError
from natless.report import EMULATOR_NOTE, render_table, write_report

pytestmark = pytest.mark.unit

OPS = ("dynamodb_put", "dynamodb_query", "sqs_send", "s3_put", "s3_list", "http_get")

# The seed article's "X avg took: Y ms" lines (001_*.txt), VPC and public handler.
SEED_VPC = {
    "dynamodb_put": 6.3251304899999745,
    "dynamodb_query": 7.445211479999998,
    "sqs_send": 6.609118600000001,
    "s3_put": 23.913652559999974,
    "s3_list": 18.040117310000024,
    "http_get": 7.771355969999968,
}
SEED_PUBLIC = {
    "dynamodb_put": 6.3347117899999645,
    "dynamodb_query": 7.3757151899999736,
    "sqs_send": 5.874475230000026,
    "s3_put": 22.31286675000003,
    "s3_list": 17.50143751000003,
    "http_get": 8.28715667000004,
}


# ---------------------------------------------------------------------------------------------
# Synthetic results
# ---------------------------------------------------------------------------------------------


def bench_result(
    placement: str,
    samples: dict[str, list[float]],
    *,
    errors: dict[str, dict[str, int]] | None = None,
    family: str = "ipv6",
    address: str = "2600:1f18::10",
) -> dict[str, Any]:
    """The handler's result shape for the given per-operation samples (ms) and error codes."""
    errors = errors or {}
    operations = {}
    for name, values in samples.items():
        codes = errors.get(name, {})
        ordered = sorted(values)
        stats: dict[str, float | None] = dict.fromkeys(
            ("p50", "p90", "p99", "mean", "stdev", "min", "max")
        )
        if ordered:
            stats = {
                "p50": cmp.percentile(ordered, 50),
                "p90": cmp.percentile(ordered, 90),
                "p99": cmp.percentile(ordered, 99),
                "mean": statistics.fmean(ordered),
                "stdev": statistics.stdev(ordered) if len(ordered) > 1 else 0.0,
                "min": ordered[0],
                "max": ordered[-1],
            }
        operations[name] = {
            "count": len(values) + sum(codes.values()),
            "errors": sum(codes.values()),
            "error_codes": codes,
            **stats,
            "samples_ms": list(values),
        }
    iterations = max((op["count"] for op in operations.values()), default=0)
    services = {"dynamodb", "sqs", "s3", "http"}
    return {
        "ok": True,
        "placement": placement,
        "iterations": iterations,
        "url": "https://example.org/",
        "dualstack_services": ["sqs"],
        "ip_preference": "ipv6",
        "operations": operations,
        "total_ms": sum(sum(v) for v in samples.values()),
        "cold_start": False,
        "init_ms": 350.0,
        "runtime": {"python": "3.12.8"},
        "evidence": {
            s: {"host": f"{s}.example", "family": family, "address": address, "port": 443}
            for s in sorted(services)
        },
    }


def lognormal(seed: int, n: int, median: float, sigma: float) -> list[float]:
    rng = random.Random(seed)
    return [round(median * rng.lognormvariate(0, sigma), 3) for _ in range(n)]


def pair(vpc: dict[str, list[float]], public: dict[str, list[float]]) -> cmp.Comparison:
    return cmp.compare(bench_result("vpc", vpc), bench_result("public", public))


ROUTES = {
    "columns": ["0.0.0.0/0", "::/0", "s3 prefix list"],
    "rows": [
        {
            "function": "natless-bench-vpc",
            "placement": "vpc",
            "subnet_id": "subnet-0abc",
            "az": "us-east-1a",
            "route_table_id": "rtb-0def",
            "cells": {
                "0.0.0.0/0": {"kind": "blackhole", "target": None},
                "::/0": {"kind": "egress-only-igw", "target": "eigw-0123"},
                "s3 prefix list": {"kind": "gateway-endpoint", "target": "vpce-0s3"},
            },
        },
        {
            "function": "natless-bench-public",
            "placement": "public",
            "subnet_id": None,
            "az": None,
            "route_table_id": None,
            "cells": {},
        },
    ],
}


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


def test_bootstrap_is_fast_enough() -> None:
    vpc = {op: lognormal(30 + i, 100, 6.0 + i, 0.3) for i, op in enumerate(OPS)}
    public = {op: lognormal(40 + i, 100, 6.0 + i, 0.3) for i, op in enumerate(OPS)}
    vpc_result, public_result = bench_result("vpc", vpc), bench_result("public", public)
    start = time.perf_counter()
    comparison = cmp.compare(vpc_result, public_result, resamples=2000)
    elapsed = time.perf_counter() - start
    print(f"bootstrap: 6 ops x 100 samples x 2000 resamples in {elapsed:.3f} s")
    assert len(comparison.operations) == 6
    assert elapsed < 2.0


# ---------------------------------------------------------------------------------------------
# Seed view
# ---------------------------------------------------------------------------------------------


def test_seed_view_reproduces_the_seed_table() -> None:
    def around(mean: float) -> list[float]:
        return [mean * 0.8, mean * 0.9, mean, mean * 1.1, mean * 1.2]

    comparison = pair(
        {op: around(m) for op, m in SEED_VPC.items()},
        {op: around(m) for op, m in SEED_PUBLIC.items()},
    )
    rows = cmp.seed_view(comparison)
    assert [r.label for r in rows] == [
        "fill database",
        "read database",
        "send message to queue",
        "write to s3",
        "read from s3",
        "fetch public api",
    ]
    for row in rows:
        assert row.vpc_mean_ms == pytest.approx(SEED_VPC[row.operation], abs=1e-9)
        assert row.public_mean_ms == pytest.approx(SEED_PUBLIC[row.operation], abs=1e-9)
        assert row.article_vpc_ms == pytest.approx(SEED_VPC[row.operation], abs=5e-4)
        assert row.article_public_ms == pytest.approx(SEED_PUBLIC[row.operation], abs=5e-4)


# ---------------------------------------------------------------------------------------------
# Bad inputs
# ---------------------------------------------------------------------------------------------


def _write(path: Path, doc: Any) -> Path:
    path.write_text(doc if isinstance(doc, str) else json.dumps(doc), encoding="utf-8")
    return path


def _good_pair(tmp_path: Path) -> tuple[Path, Path]:
    vpc = {op: lognormal(50 + i, 30, 5.0 + i, 0.2) for i, op in enumerate(OPS)}
    public = {op: lognormal(60 + i, 30, 5.0 + i, 0.2) for i, op in enumerate(OPS)}
    return (
        _write(tmp_path / "vpc.json", bench_result("vpc", vpc)),
        _write(tmp_path / "public.json", bench_result("public", public)),
    )


def _bad_cases(tmp_path: Path) -> dict[str, tuple[list[str], str]]:
    vpc, public = _good_pair(tmp_path)
    failed = _write(
        tmp_path / "failed.json",
        {"ok": False, "error": {"type": "BadConfig", "message": "TABLE_NAME is empty"}},
    )
    no_ops = _write(tmp_path / "noops.json", {"ok": True, "placement": "vpc"})
    not_json = _write(tmp_path / "notjson.json", "{ nope")
    array = _write(tmp_path / "array.json", [1, 2])
    bad_sample = _write(
        tmp_path / "badsample.json",
        bench_result("vpc", {"sqs_send": [1.0]})
        | {"operations": {"sqs_send": {"samples_ms": ["x"]}}},
    )
    bad_routes = _write(tmp_path / "routes.json", {"rows": "nope"})
    return {
        "missing file": ([str(tmp_path / "absent.json"), str(public)], "no such file"),
        "not json": ([str(not_json), str(public)], "not valid JSON"),
        "not an object": ([str(array), str(public)], "not a benchmark result"),
        "failed run": ([str(failed), str(public)], "TABLE_NAME is empty"),
        "no operations": ([str(no_ops), str(public)], "no 'operations'"),
        "swapped": ([str(public), str(vpc)], "swapped"),
        "same placement": ([str(vpc), str(vpc)], "must have placement 'public'"),
        "bad sample": ([str(bad_sample), str(public)], "not a duration"),
        "bad routes": ([str(vpc), str(public), "--routes", str(bad_routes)], "columns"),
    }


@pytest.mark.parametrize(
    "case",
    [
        "missing file",
        "not json",
        "not an object",
        "failed run",
        "no operations",
        "swapped",
        "same placement",
        "bad sample",
        "bad routes",
    ],
)
def test_bad_inputs_exit_2_with_a_message(
    case: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv, message = _bad_cases(tmp_path)[case]
    assert main(["compare", *argv, "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("natless: error: ")
    assert message in err
    assert "Traceback" not in err
    assert not (tmp_path / "out").exists()


def test_no_common_operation_and_too_few_resamples() -> None:
    with pytest.raises(UserError, match="share no operation"):
        pair({"sqs_send": [1.0]}, {"s3_put": [1.0]})
    with pytest.raises(UserError, match="resamples"):
        cmp.compare(
            bench_result("vpc", {"sqs_send": [1.0]}),
            bench_result("public", {"sqs_send": [1.0]}),
            resamples=10,
        )


# ---------------------------------------------------------------------------------------------
# Report files and the command
# ---------------------------------------------------------------------------------------------


def _report_inputs() -> tuple[cmp.Comparison, dict[str, Any], dict[str, Any]]:
    vpc = bench_result(
        "vpc",
        {op: lognormal(70 + i, 100, 4.0 + 3 * i, 0.25) for i, op in enumerate(OPS)},
    )
    public = bench_result(
        "public",
        {op: lognormal(80 + i, 100, 4.0 + 3 * i, 0.25) for i, op in enumerate(OPS[:-1])}
        | {"http_get": []},
        errors={"http_get": {"ConnectTimeoutError": 100}},
        family="ipv4",
        address="127.0.0.1",
    )
    return cmp.compare(vpc, public), vpc, public


def test_write_report_writes_four_files(tmp_path: Path) -> None:
    comparison, vpc, public = _report_inputs()
    meta = {"example": "dualstack-no-nat", "mode": "emulator", "timestamp": "2026-01-01T00:00:00Z"}
    written = write_report(tmp_path / "r", comparison, vpc, public, routes=ROUTES, meta=meta)
    names = sorted(p.name for p in (tmp_path / "r").iterdir())
    assert names == ["latency.png", "report.md", "results.json", "routes.json"]
    assert set(written) == {"results", "report", "chart", "routes"}

    results = json.loads(written["results"].read_text())
    assert results["results"]["vpc"] == vpc
    assert results["results"]["public"] == public
    assert results["meta"] == meta
    assert results["routes"] == ROUTES
    assert results["comparison"]["operations"]["http_get"]["verdict"] == "no data"
    assert json.loads(written["routes"].read_text()) == ROUTES

    md = written["report"].read_text()
    assert EMULATOR_NOTE in md
    assert "| function | placement | subnet | AZ | route table | 0.0.0.0/0 | ::/0 |" in md
    assert "| natless-bench-vpc | vpc | subnet-0abc | us-east-1a | rtb-0def |" in md
    assert "egress-only-igw (eigw-0123)" in md
    assert "| operation | calls vpc/public |" in md
    assert "fill database" in md
    assert "| public | http | http.example | ipv4 | 127.0.0.1 port 443 |" in md
    assert "ConnectTimeoutError x100" in md

    png = written["chart"].read_bytes()
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    assert 10_000 < len(png) < 200_000


def test_write_report_without_routes_and_on_aws(tmp_path: Path) -> None:
    comparison, vpc, public = _report_inputs()
    written = write_report(tmp_path, comparison, vpc, public, meta={"mode": "aws"})
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "latency.png",
        "report.md",
        "results.json",
    ]
    md = written["report"].read_text()
    assert EMULATOR_NOTE not in md
    assert "Route matrix" not in md
    assert "routes" not in json.loads(written["results"].read_text())


def test_render_table_columns() -> None:
    comparison, _, _ = _report_inputs()
    lines = render_table(comparison).splitlines()
    header = lines[0].split()
    for column in ("operation", "p50", "p90", "p99", "ratio", "CI", "verdict"):
        assert column in header
    assert "calls vpc/public" in lines[0] and "errors vpc/public" in lines[0]
    assert [line.split()[0] for line in lines[1:7]] == list(OPS)
    assert "0/100" in lines[6]  # http_get errors vpc/public


def test_command_writes_report_and_prints_table(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    vpc, public = _good_pair(tmp_path)
    routes = _write(tmp_path / "routes-in.json", ROUTES)
    out = tmp_path / "report"
    assert main(["compare", str(vpc), str(public), "--out", str(out), "--routes", str(routes)]) == 0
    stdout = capsys.readouterr().out
    assert "verdict" in stdout and "dynamodb_put" in stdout
    assert str(out / "report.md") in stdout
    assert sorted(p.name for p in out.iterdir()) == [
        "latency.png",
        "report.md",
        "results.json",
        "routes.json",
    ]


def test_command_json_and_default_folder(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    vpc, public = _good_pair(tmp_path)
    monkeypatch.setattr(paths, "REPORTS", tmp_path / "reports")
    assert main(["compare", str(vpc), str(public), "--json"]) == 0
    captured = capsys.readouterr()
    doc = json.loads(captured.out)
    assert doc["results"]["vpc"]["placement"] == "vpc"
    assert set(doc["comparison"]["operations"]) == set(OPS)
    (folder,) = (tmp_path / "reports").iterdir()
    assert re.fullmatch(r"\d{8}T\d{6}Z", folder.name)
    assert doc["meta"]["run_id"] == folder.name
    assert "report:" in captured.err


def test_report_md_shows_no_python_dicts(tmp_path: Path) -> None:
    comparison, vpc, public = _report_inputs()
    vpc["runtime"] = {"python": "3.12.8", "lambda": {"arch": "arm64", "memory_mb": 1024}}
    meta = {
        "run_id": "20260101T000000Z-abc123",
        "example": "egress-only",
        "mode": "emulator",
        "iterations": 100,
        "functions": {"vpc": "natless-abc123-vpc", "public": "natless-abc123-public"},
        "timings_s": {"apply": 12.5, "run": 3.25},
        "notes": ["first", {"nested": True}],
    }
    written = write_report(tmp_path, comparison, vpc, public, routes=ROUTES, meta=meta)
    md = written["report"].read_text()
    assert "{'" not in md and "{}" not in md and "['" not in md
    assert "  - vpc: natless-abc123-vpc" in md
    assert "  - apply: 12.5" in md
    assert "lambda arch: arm64, memory_mb: 1024" in md
    assert "| A/A noise | bootstrap CI | verdict |" in md
    assert "A/A drift within each run" in md


def test_render_table_carries_the_emulator_caveat_on_screen() -> None:
    comparison, _, _ = _report_inputs()
    plain = render_table(comparison)
    assert "CAUTION" not in plain and "CAUTION" not in render_table(comparison, mode="aws")
    on_emulator = render_table(comparison, mode="emulator")
    assert on_emulator.startswith(plain)
    caveat = on_emulator.removeprefix(plain)
    assert "emulator" in caveat and "harness" in caveat and "not AWS" in caveat
    assert len(caveat.strip().splitlines()) <= 2
    assert "not AWS" in render_table(comparison, mode="endpoint")


def test_emulator_mode_reaches_the_terminal_table(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    vpc, public = _good_pair(tmp_path)
    out = tmp_path / "r"
    assert main(["compare", str(vpc), str(public), "--out", str(out), "--mode", "emulator"]) == 0
    assert "CAUTION: emulator run" in capsys.readouterr().out
    assert main(["compare", str(vpc), str(public), "--out", str(out), "--mode", "aws"]) == 0
    assert "CAUTION" not in capsys.readouterr().out


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
