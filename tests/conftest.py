"""Shared fixtures (one embedded emulator per test process) and the parallel layout.

`make test` runs pytest-xdist with ``--dist loadgroup``. Most of an apply is the provider's fixed
sleeps, so stacks applied side by side overlap almost perfectly even on 2 cores. Each worker
starts its own emulator, so a test's "the emulator holds nothing afterwards" stays exact. Tests
that share a module-scoped fixture (an applied stack, a set of plans) must run in one worker, so
each gets an xdist group: its module, plus the parameters of its module-scoped fixtures, so that
the two stacks of a parametrised fixture can still run on different workers.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from natless.emulator import Emulator

# Order of work handed to the workers: the long applies first, so that none starts last.
_RANK = {"emulator": 0, "plan": 1}


@pytest.fixture(scope="session")
def emulator() -> Iterator[Emulator]:
    """moto on a free loopback port for the whole session (per xdist worker); stopped at the end."""
    with Emulator.start() as emu:
        yield emu


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


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        group = _group(item)
        if group is not None:
            item.add_marker(pytest.mark.xdist_group(group))
    marks = ("emulator", "plan")
    items.sort(key=lambda it: min((_RANK[m] for m in marks if it.get_closest_marker(m)), default=9))
