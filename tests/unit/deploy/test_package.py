"""Deterministic Lambda packaging (natless.deploy.package): the zip, its hash, pure-Python wheels.

Vendoring with a real pip run is in tests/integration/deploy/test_package.py.
"""

from __future__ import annotations

import base64
import hashlib
import sys
import zipfile
from pathlib import Path

import pytest

from natless.deploy import package
from natless.deploy.package import build_package, check_pure_tree, check_pure_wheel, known_functions
from natless.errors import UserError
from natless.paths import LAMBDA_SRC

BENCH_MODULES = {
    "attempts.py",
    "clients.py",
    "diagnosis.py",
    "event.py",
    "evidence.py",
    "handler.py",
    "httpget.py",
    "netconf.py",
    "ops.py",
    "runner.py",
    "stats.py",
}


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


# --- vendoring ------------------------------------------------------------------------------


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
