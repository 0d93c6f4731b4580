"""Deterministic Lambda packaging (natless.package) and `natless package`."""

from __future__ import annotations

import base64
import hashlib
import json
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from natless import package
from natless.cli import main
from natless.errors import UserError
from natless.package import build_package, check_pure_tree, check_pure_wheel, known_functions
from natless.paths import LAMBDA_SRC

pytestmark = pytest.mark.unit

BENCH_MODULES = {
    "clients.py",
    "event.py",
    "evidence.py",
    "handler.py",
    "httpget.py",
    "netconf.py",
    "ops.py",
    "runner.py",
    "stats.py",
}


@pytest.fixture
def src_root(tmp_path: Path) -> Path:
    """A lambda_src with one function, plus files that must never be packaged."""
    root = tmp_path / "lambda_src"
    fn = root / "demo"
    (fn / "__pycache__").mkdir(parents=True)
    (fn / "lib" / "__pycache__").mkdir(parents=True)
    (fn / "tests").mkdir()
    (fn / "handler.py").write_text(
        "import lib.util\n\ndef handler(event, context):\n    return 1\n"
    )
    (fn / "lib" / "__init__.py").write_text("")
    (fn / "lib" / "util.py").write_text("X = 1\n")
    (fn / "lib" / "data.json").write_text("{}\n")
    (fn / "__pycache__" / "handler.cpython-312.pyc").write_bytes(b"\x00junk")
    (fn / "lib" / "__pycache__" / "util.cpython-312.pyc").write_bytes(b"\x00junk")
    (fn / "lib" / "stale.pyc").write_bytes(b"\x00junk")
    (fn / "tests" / "test_handler.py").write_text("def test(): pass\n")
    (fn / "test_local.py").write_text("def test(): pass\n")
    (fn / ".env").write_text("SECRET=1\n")
    (root / "not-a-function").mkdir()
    (root / "not-a-function" / "README.md").write_text("docs only\n")
    return root


def test_rebuild_is_byte_identical(src_root: Path, tmp_path: Path) -> None:
    out = tmp_path / "build"
    first = build_package("demo", src_root, out)
    first_bytes = first.path.read_bytes()
    # touch every file: timestamps and the build moment must not matter
    for path in (src_root / "demo").rglob("*.py"):
        path.touch()
    second = build_package("demo", src_root, out)
    assert second.path == out / "demo.zip"
    assert second.path.read_bytes() == first_bytes
    assert second.sha256_b64 == first.sha256_b64
    assert second.size == first.size == len(first_bytes)


def test_entries_are_sorted_with_fixed_time_and_mode(src_root: Path, tmp_path: Path) -> None:
    result = build_package("demo", src_root, tmp_path / "build")
    with zipfile.ZipFile(result.path) as zf:
        infos = zf.infolist()
        names = [i.filename for i in infos]
        assert zf.testzip() is None
    assert names == ["handler.py", "lib/__init__.py", "lib/data.json", "lib/util.py"]
    assert names == sorted(names)
    assert list(result.files) == names
    for info in infos:
        assert info.date_time == (1980, 1, 1, 0, 0, 0)
        assert info.external_attr >> 16 == 0o100644
        assert info.compress_type == zipfile.ZIP_DEFLATED


def test_caches_tests_and_dotfiles_are_excluded(src_root: Path, tmp_path: Path) -> None:
    names = build_package("demo", src_root, tmp_path / "build").files
    assert not [n for n in names if "__pycache__" in n or n.endswith(".pyc")]
    assert not [n for n in names if "test" in n]
    assert ".env" not in names


def test_sha_is_base64_of_the_sha256_of_the_file(src_root: Path, tmp_path: Path) -> None:
    result = build_package("demo", src_root, tmp_path / "build")
    digest = hashlib.sha256(result.path.read_bytes()).digest()
    assert result.sha256_b64 == base64.b64encode(digest).decode()


def test_bench_function_packages_only_its_modules(tmp_path: Path) -> None:
    first = build_package("bench", LAMBDA_SRC, tmp_path / "a")
    again = build_package("bench", LAMBDA_SRC, tmp_path / "b")
    assert set(first.files) == BENCH_MODULES
    assert first.path.read_bytes() == again.path.read_bytes()
    print(f"\nbench.zip: {first.size} bytes, sha256 {first.sha256_b64}")


def test_known_functions(src_root: Path) -> None:
    assert known_functions(src_root) == ["demo"]
    assert "bench" in known_functions()


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


# --- vendoring ------------------------------------------------------------------------------

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


def test_pip_command_targets_the_lambda_runtime(tmp_path: Path) -> None:
    cmd = package.pip_command(tmp_path / "requirements.txt", tmp_path / "t")
    assert cmd[:4] == [sys.executable, "-m", "pip", "install"]
    for flag in ("--no-compile", "--only-binary=:all:", "--implementation", "--python-version"):
        assert flag in cmd
    assert cmd.count("--platform") == 2


def _dist_info(root: Path, name: str, wheel: str) -> Path:
    dist_info = root / f"{name}.dist-info"
    dist_info.mkdir(parents=True)
    (dist_info / "WHEEL").write_text(wheel)
    return dist_info


def test_non_pure_wheel_is_refused(tmp_path: Path) -> None:
    native = _dist_info(
        tmp_path,
        "orjson-3.10.0",
        "Wheel-Version: 1.0\nGenerator: maturin\nRoot-Is-Purelib: false\n"
        "Tag: cp312-cp312-manylinux_2_17_x86_64\n",
    )
    with pytest.raises(UserError, match=r"orjson-3\.10\.0\.dist-info is not a pure-Python wheel"):
        check_pure_wheel(native)
    with pytest.raises(UserError, match="not a pure-Python wheel"):
        check_pure_tree(tmp_path)


@pytest.mark.parametrize(
    "wheel",
    [
        "Root-Is-Purelib: true\nTag: py3-none-manylinux2014_x86_64\n",  # platform-specific
        "Root-Is-Purelib: true\nTag: cp312-abi3-any\n",  # an ABI
        "Root-Is-Purelib: false\nTag: py3-none-any\n",  # platlib
        "Root-Is-Purelib: true\n",  # no tags at all
    ],
)
def test_other_impure_wheel_files_are_refused(tmp_path: Path, wheel: str) -> None:
    with pytest.raises(UserError, match="not a pure-Python wheel"):
        check_pure_wheel(_dist_info(tmp_path, "x-1.0", wheel))


def test_pure_wheels_pass(tmp_path: Path) -> None:
    _dist_info(tmp_path, "a-1", "Wheel-Version: 1.0\nRoot-Is-Purelib: true\nTag: py3-none-any\n")
    _dist_info(tmp_path, "b-1", "Root-Is-Purelib: true\nTag: py2-none-any\nTag: py3-none-any\n")
    _dist_info(tmp_path, "c-1", "Root-Is-Purelib: true\nTag: py2.py3-none-any\n")
    check_pure_tree(tmp_path)


def test_missing_wheel_file_is_refused(tmp_path: Path) -> None:
    (tmp_path / "egg-1.0.dist-info").mkdir()
    with pytest.raises(UserError, match="no WHEEL file"):
        check_pure_tree(tmp_path)
