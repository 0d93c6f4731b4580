"""Shared fixtures, the markers each folder gives its tests, and the parallel layout.

Markers: the folder right under tests/ says what a test needs, and pytest_collection_modifyitems
marks every test with it (unit, integration, plan, emulator, aws; the README has the table), so
a test file cannot carry the wrong one: `pytest -m unit` is exactly tests/unit.

`make test` runs pytest-xdist with ``--dist loadgroup``. Most of an apply is the provider's fixed
sleeps, so stacks applied side by side overlap almost perfectly even on 2 cores. Each worker
starts its own emulator, so a test's "the emulator holds nothing afterwards" stays exact. Tests
that share a module-scoped fixture (an applied stack, a set of plans, a PostgreSQL server) must
run in one worker, so each gets an xdist group: its module, plus the parameters of its
module-scoped fixtures, so that the two stacks of a parametrised fixture can still run on
different workers.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from natless.emulator import Emulator

TESTS = Path(__file__).resolve().parent

# The folders under tests/ that hold tests, each named after the marker its tests get.
FOLDER_MARKERS = ("unit", "integration", "plan", "emulator", "aws")

# Order of work handed to the workers: the long applies first, then plans, then the tests that
# start processes, so that none starts last; unit tests fill the gaps.
_RANK = {"emulator": 0, "plan": 1, "integration": 2}

FAKE_REGION = "us-east-1"


# --- fixtures -------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def emulator() -> Iterator[Emulator]:
    """moto on a free loopback port for the whole session (per xdist worker); stopped at the end."""
    with Emulator.start() as emu:
        yield emu


@pytest.fixture
def fake_aws(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> str:
    """Fake credentials and one region for boto3, and nothing of the user's own AWS setup: no
    profile, config or credentials file, endpoint override, dual-stack switch or proxy.

    For code that makes boto3 clients in the test process (moto's ``mock_aws``, botocore's
    Stubber, a local server); returns the region.
    """
    for name in list(os.environ):
        if name.startswith("AWS_ENDPOINT_URL"):
            monkeypatch.delenv(name)
    for name in (
        "AWS_PROFILE",
        "AWS_USE_DUALSTACK_ENDPOINT",
        "AWS_EXECUTION_ENV",
        "HTTP_PROXY",
        "HTTPS_PROXY",
        "http_proxy",
        "https_proxy",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_REGION", FAKE_REGION)
    monkeypatch.setenv("AWS_DEFAULT_REGION", FAKE_REGION)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_SESSION_TOKEN", "testing")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-aws-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-aws-credentials"))
    return FAKE_REGION


@pytest.fixture
def src_root(tmp_path: Path) -> Path:
    """A lambda_src with one function (``demo``), plus files that must never be packaged."""
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


# --- markers and the parallel layout --------------------------------------------------------------


def folder_marker(item: pytest.Item) -> str | None:
    """The marker of the tests/ folder that holds the test (None outside those folders)."""
    try:
        parts = Path(item.path).resolve().relative_to(TESTS).parts
    except ValueError:
        return None
    return parts[0] if len(parts) > 1 and parts[0] in FOLDER_MARKERS else None


def _group(item: pytest.Item) -> str | None:
    """The xdist group of a test that shares a module-scoped fixture, else None."""
    defs = getattr(item, "_fixtureinfo", None)
    if defs is None:
        return None
    shared = [
        name
        for name, fixturedefs in defs.name2fixturedefs.items()
        if fixturedefs and fixturedefs[-1].scope in ("module", "class", "package")
    ]
    if not shared:
        return None
    callspec = getattr(item, "callspec", None)
    params = [
        f"{n}={callspec.params[n]}" for n in sorted(shared) if callspec and n in callspec.params
    ]
    return "::".join([item.nodeid.split("::", 1)[0], *params])


@pytest.hookimpl(tryfirst=True)  # before -m deselects by marker
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    misplaced: dict[tuple[str, str], set[str]] = {}  # (file, its folder's marker) -> other markers
    for item in items:
        kind = folder_marker(item)
        if kind is not None:
            other = {m.name for m in item.iter_markers() if m.name in FOLDER_MARKERS} - {kind}
            if other:
                misplaced.setdefault((item.nodeid.split("::", 1)[0], kind), set()).update(other)
            item.add_marker(kind)
        group = _group(item)
        if group is not None:
            item.add_marker(pytest.mark.xdist_group(group))
    if misplaced:  # a marker that disagrees with its folder would mislabel what a test needs
        raise pytest.UsageError(
            "\n".join(
                f"{path} marks tests {', '.join(sorted(other))}, but its folder makes them "
                f"{kind}: move them to the folder of their marker (tests/<marker>/)"
                for (path, kind), other in sorted(misplaced.items())
            )
        )
    items.sort(
        key=lambda it: min((r for m, r in _RANK.items() if it.get_closest_marker(m)), default=9)
    )
