"""Deterministic Lambda packages: ``lambda_src/<function>/`` -> ``build/<function>.zip``.

The same sources always give the same bytes (sorted entries, fixed timestamp, fixed permissions,
fixed compression level), so the base64 SHA-256 printed here equals Terraform's
``filebase64sha256()`` and only changes when the code does. Pure-Python requirements listed in
``lambda_src/<function>/requirements.txt`` are vendored at the zip root; the installed tree is
cached under ``build/.vendor/<function>-<sha256 of requirements.txt>/``.
"""

from __future__ import annotations

import base64
import hashlib
import io
import os
import shutil
import stat
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from natless.errors import UserError
from natless.paths import BUILD, LAMBDA_SRC

ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)
COMPRESSLEVEL = 9
FILE_MODE = 0o644
REQUIREMENTS = "requirements.txt"
LAMBDA_PYTHON = "3.12"  # the runtime the vendored wheels must suit
LAMBDA_PLATFORMS = ("manylinux2014_aarch64", "manylinux2014_x86_64")
PIP_TIMEOUT_S = 600

SKIP_DIRS = {"__pycache__", "tests", "test"}
SKIP_SOURCE_FILES = {REQUIREMENTS, "conftest.py"}
SKIP_SUFFIXES = (".pyc", ".pyo")
# dist-info files that differ between installs of the same wheel
VOLATILE_DIST_INFO = {"RECORD", "INSTALLER", "REQUESTED", "direct_url.json"}


@dataclass(frozen=True)
class PackageResult:
    path: Path
    sha256_b64: str
    size: int
    files: tuple[str, ...]

    @property
    def function(self) -> str:
        return self.path.stem


def known_functions(src_root: Path = LAMBDA_SRC) -> list[str]:
    """Folders under src_root holding Python code (a handler.py or any *.py), sorted."""
    try:
        if not src_root.is_dir():
            return []
        return sorted(
            p.name
            for p in src_root.iterdir()
            if p.is_dir() and not p.name.startswith((".", "_")) and any(p.glob("*.py"))
        )
    except OSError as exc:
        raise UserError(f"cannot read the function folders in {src_root}: {_reason(exc)}") from None


def _reason(exc: OSError) -> str:
    where = f" ({exc.filename})" if exc.filename else ""
    return f"{exc.strerror or exc}{where}"


def function_dir(function: str, src_root: Path = LAMBDA_SRC) -> Path:
    known = known_functions(src_root)
    if function not in known:
        choices = ", ".join(known) or f"none: {src_root} holds no function folders"
        raise UserError(f"unknown function {function!r}; known functions: {choices}")
    return src_root / function


def build_package(
    function: str, src_root: Path = LAMBDA_SRC, out_dir: Path = BUILD
) -> PackageResult:
    """Build ``out_dir/<function>.zip`` from ``src_root/<function>/`` (plus vendored wheels).

    A folder that cannot be read or written is a UserError naming it, not a traceback.
    """
    try:
        return _build_package(function, src_root, out_dir)
    except OSError as exc:
        raise UserError(
            f"{function}: cannot build {out_dir / (function + '.zip')} from "
            f"{src_root / function}: {_reason(exc)}"
        ) from None


def _build_package(function: str, src_root: Path, out_dir: Path) -> PackageResult:
    src = function_dir(function, src_root)
    entries = dict(_source_files(src))
    requirements = src / REQUIREMENTS
    if requirements.is_file():
        vendored = dict(_vendored_files(vendor_tree(function, requirements, out_dir)))
        clash = sorted(entries.keys() & vendored.keys())
        if clash:
            raise UserError(
                f"{function}: files in lambda_src/{function} clash with vendored packages: "
                f"{', '.join(clash[:5])}"
            )
        entries.update(vendored)
    if not entries:
        raise UserError(f"{function}: nothing to package in {src}")
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / f"{function}.zip"
    data = zip_bytes(entries)
    _write_atomically(path, data)
    return PackageResult(
        path=path,
        sha256_b64=sha256_b64(data),
        size=len(data),
        files=tuple(sorted(entries)),
    )


def sha256_b64(data: bytes) -> str:
    """What Terraform's filebase64sha256() gives for a file with these bytes."""
    return base64.b64encode(hashlib.sha256(data).digest()).decode("ascii")


def zip_bytes(entries: dict[str, Path]) -> bytes:
    """A zip of the given archive name -> file mapping, byte-identical for identical input."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=COMPRESSLEVEL) as zf:
        for name in sorted(entries):
            info = zipfile.ZipInfo(name, date_time=ZIP_EPOCH)
            info.create_system = 3  # unix, so external_attr holds the mode everywhere
            info.external_attr = (stat.S_IFREG | FILE_MODE) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, entries[name].read_bytes(), compresslevel=COMPRESSLEVEL)
    return buffer.getvalue()


def _walk(root: Path, skip_dirs: set[str]) -> Iterator[Path]:
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if d not in skip_dirs and not d.startswith("."))
        for name in sorted(filenames):
            if not name.startswith(".") and not name.endswith(SKIP_SUFFIXES):
                yield Path(dirpath, name)


def _source_files(src: Path) -> Iterator[tuple[str, Path]]:
    for path in _walk(src, SKIP_DIRS):
        name = path.name
        if name in SKIP_SOURCE_FILES or name.startswith("test_") or name.endswith("_test.py"):
            continue
        yield path.relative_to(src).as_posix(), path


def _vendored_files(tree: Path) -> Iterator[tuple[str, Path]]:
    for path in _walk(tree, {"__pycache__"}):
        rel = path.relative_to(tree)
        if rel.parts[0] == "bin":
            continue
        if rel.parent.name.endswith(".dist-info") and rel.name in VOLATILE_DIST_INFO:
            continue
        yield rel.as_posix(), path


def vendor_tree(function: str, requirements: Path, out_dir: Path = BUILD) -> Path:
    """The installed requirements of a function, from the cache or freshly installed by pip."""
    digest = hashlib.sha256(requirements.read_bytes()).hexdigest()
    cache_root = out_dir / ".vendor"
    tree = cache_root / f"{function}-{digest}"
    if tree.is_dir():
        return tree
    cache_root.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{function}-", dir=cache_root))
    try:
        _pip_install(function, requirements, staging)
        check_pure_tree(staging)
        try:
            staging.rename(tree)  # atomic: the cache never holds a half-installed tree
        except OSError:
            if not tree.is_dir():  # else a concurrent build cached the same tree first
                raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return tree


def pip_command(requirements: Path, target: Path) -> list[str]:
    platforms = [arg for p in LAMBDA_PLATFORMS for arg in ("--platform", p)]
    return [
        sys.executable, "-m", "pip", "install",
        "--target", str(target),
        "--no-compile",
        "--only-binary=:all:",
        *platforms,
        "--implementation", "py",
        "--python-version", LAMBDA_PYTHON,
        "--disable-pip-version-check",
        "--no-input",
        "-r", str(requirements),
    ]  # fmt: skip


def _pip_install(function: str, requirements: Path, target: Path) -> None:
    try:
        proc = subprocess.run(
            pip_command(requirements, target),
            capture_output=True,
            text=True,
            timeout=PIP_TIMEOUT_S,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise UserError(
            f"{function}: pip did not finish installing {requirements} within {PIP_TIMEOUT_S} s"
        ) from None
    if proc.returncode != 0:
        lines = (proc.stdout + proc.stderr).strip().splitlines()
        tail = "\n  ".join(lines[-8:]) or "(no output)"
        raise UserError(
            f"{function}: pip could not install {requirements} as pure-Python wheels "
            f"for Python {LAMBDA_PYTHON} (exit {proc.returncode}):\n  {tail}"
        )


def check_pure_tree(tree: Path) -> None:
    """UserError unless every installed distribution under ``tree`` is a pure-Python wheel."""
    for dist_info in sorted(tree.glob("*.dist-info")):
        check_pure_wheel(dist_info)


def check_pure_wheel(dist_info: Path) -> None:
    """UserError unless dist_info/WHEEL says Root-Is-Purelib: true with only *-none-any tags."""
    wheel = dist_info / "WHEEL"
    if not wheel.is_file():
        raise UserError(f"{dist_info.name}: no WHEEL file; only wheels can be vendored")
    purelib = False
    tags: list[str] = []
    for line in wheel.read_text(encoding="utf-8", errors="replace").splitlines():
        key, _, value = line.partition(":")
        key, value = key.strip().lower(), value.strip()
        if key == "root-is-purelib":
            purelib = value.lower() == "true"
        elif key == "tag":
            tags.append(value)
    impure = [tag for tag in tags if not _is_pure_tag(tag)]
    if not purelib or not tags or impure:
        shown = ", ".join(tags) or "no tags"
        raise UserError(
            f"{dist_info.name} is not a pure-Python wheel ({shown}; "
            f"Root-Is-Purelib: {str(purelib).lower()}); Lambda packages here vendor only "
            "py3-none-any wheels, so drop it from requirements.txt or use a Lambda layer"
        )


def _is_pure_tag(tag: str) -> bool:
    parts = tag.split("-")
    if len(parts) != 3:
        return False
    pythons, abi, platform = parts
    return (
        abi == "none" and platform == "any" and all(p.startswith("py") for p in pythons.split("."))
    )


def _write_atomically(path: Path, data: bytes) -> None:
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
