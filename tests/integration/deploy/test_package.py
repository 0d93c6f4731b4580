"""Vendoring a function's requirements (natless.deploy.package) with a real pip run, from PyPI or a
configured mirror (skipped when neither answers).
"""

from __future__ import annotations

import hashlib
import subprocess
import sys
from pathlib import Path

import pytest

from natless.deploy import package
from natless.deploy.package import build_package
from natless.errors import UserError

SIX = "six==1.17.0"


@pytest.fixture
def pypi(tmp_path: Path) -> None:
    """Skip unless pip can fetch the test requirement (PyPI or a configured mirror)."""
    proc = subprocess.run(
        [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
         "--timeout", "15", "--retries", "1", "-d", str(tmp_path / "probe"), SIX],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    if proc.returncode != 0:
        last = (proc.stdout + proc.stderr).strip().splitlines()[-1:]
        pytest.skip(f"PyPI unreachable (pip download {SIX} failed: {' '.join(last)})")


def test_pure_requirements_are_vendored_and_cached(
    src_root: Path, tmp_path: Path, pypi: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    requirements = src_root / "demo" / "requirements.txt"
    requirements.write_text(f"{SIX}\n")
    out = tmp_path / "build"
    first = build_package("demo", src_root, out)
    assert "six.py" in first.files
    dist_info = "six-1.17.0.dist-info"
    assert f"{dist_info}/METADATA" in first.files
    assert f"{dist_info}/LICENSE" in first.files
    for volatile in ("RECORD", "INSTALLER", "REQUESTED", "direct_url.json"):
        assert f"{dist_info}/{volatile}" not in first.files
    assert "requirements.txt" not in first.files
    assert not [n for n in first.files if n.startswith("bin/") or n.endswith(".pyc")]
    digest = hashlib.sha256(requirements.read_bytes()).hexdigest()
    assert (out / ".vendor" / f"demo-{digest}" / "six.py").is_file()

    def no_pip(*args: object, **kwargs: object) -> None:
        raise AssertionError("pip must not run when the vendored tree is cached")

    monkeypatch.setattr(package.subprocess, "run", no_pip)
    second = build_package("demo", src_root, out)
    assert second.path.read_bytes() == first.path.read_bytes()


def test_pip_failure_is_a_user_error_with_pips_last_lines(src_root: Path, tmp_path: Path) -> None:
    (src_root / "demo" / "requirements.txt").write_text("this is not a requirement!!\n")
    with pytest.raises(UserError) as info:
        build_package("demo", src_root, tmp_path / "build")
    message = str(info.value)
    assert "pip could not install" in message
    assert "not a requirement" in message or "Invalid requirement" in message
    assert not list((tmp_path / "build" / ".vendor").glob("demo-*"))  # nothing half-cached
