"""`natless package` (natless.commands.package): its table and JSON, the names it refuses."""

from __future__ import annotations

import json
from pathlib import Path

from natless.cli import main
from natless.deploy import package


def test_cli_prints_the_hash(src_root: Path, tmp_path: Path, capsys) -> None:
    out = tmp_path / "build"
    args = ["package", "--src-root", str(src_root), "--out-dir", str(out)]
    assert main(args) == 0
    table = capsys.readouterr().out
    sha = package.sha256_b64((out / "demo.zip").read_bytes())
    header, row = table.splitlines()
    assert header.split() == ["function", "size", "sha256(base64)", "path"]
    assert row.split() == [
        "demo",
        str((out / "demo.zip").stat().st_size),
        sha,
        str(out / "demo.zip"),
    ]

    assert main([*args, "demo", "--json"]) == 0
    (entry,) = json.loads(capsys.readouterr().out)
    assert entry["function"] == "demo"
    assert entry["sha256_base64"] == sha
    assert entry["files"] == 4


def test_cli_unknown_function_is_a_user_error(src_root: Path, tmp_path: Path, capsys) -> None:
    args = ["package", "nope", "--src-root", str(src_root), "--out-dir", str(tmp_path)]
    assert main(args) == 2
    err = capsys.readouterr().err
    assert "natless: error: unknown function 'nope'; known functions: demo" in err
    assert "Traceback" not in err
    assert not (tmp_path / "nope.zip").exists()


def test_cli_without_functions_is_a_user_error(tmp_path: Path, capsys) -> None:
    assert main(["package", "--src-root", str(tmp_path), "--out-dir", str(tmp_path)]) == 2
    assert "no function folders" in capsys.readouterr().err
