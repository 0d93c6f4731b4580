"""natless.bench.report and natless.bench.chart: the report files and the terminal table.

Benchmark results are synthetic (tests/support/bench_results.py).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from natless.bench import compare as cmp
from natless.bench.report import EMULATOR_NOTE, render_table, write_report
from tests.support.bench_results import OPS, ROUTES, bench_result, lognormal


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


def test_report_md_says_why_calls_failed_and_stalled(tmp_path: Path) -> None:
    comparison, vpc, public = _report_inputs()
    explanation = "sqs.example has IPv4 addresses only (198.51.100.80); each connect timed out"
    vpc["evidence"]["sqs"] |= {"stall_s": 2.004, "connections": 1}
    public["evidence"]["http"] |= {"stall_s": 0.0, "diagnosis": {"explanation": explanation}}
    md = write_report(tmp_path, comparison, vpc, public)["report"].read_text()
    assert "What the function observed where calls failed or stalled:" in md
    assert f"- public http: {explanation}" in md
    assert "- vpc sqs: 2.004 s lost to failed connect attempts before 1 connection(s)" in md
    assert "- vpc dynamodb" not in md  # no stall, no failure: nothing to say


def test_report_md_has_no_diagnosis_section_without_failures(tmp_path: Path) -> None:
    comparison, vpc, public = _report_inputs()
    md = write_report(tmp_path, comparison, vpc, public)["report"].read_text()
    assert "What the function observed" not in md
