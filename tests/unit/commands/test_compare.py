"""`natless compare` (natless.commands.compare): the report it writes, the table it prints, the
inputs it refuses.

Benchmark results are synthetic (tests/support/bench_results.py).
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from natless import paths
from natless.cli import main
from tests.support.bench_results import OPS, ROUTES, bench_result, lognormal


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


def test_emulator_mode_reaches_the_terminal_table(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    vpc, public = _good_pair(tmp_path)
    out = tmp_path / "r"
    assert main(["compare", str(vpc), str(public), "--out", str(out), "--mode", "emulator"]) == 0
    assert "CAUTION: emulator run" in capsys.readouterr().out
    assert main(["compare", str(vpc), str(public), "--out", str(out), "--mode", "aws"]) == 0
    assert "CAUTION" not in capsys.readouterr().out
