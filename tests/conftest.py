"""Shared fixtures: one embedded emulator per test session, plus plan-reading helpers."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from natless.emulator import Emulator


@pytest.fixture(scope="session")
def emulator() -> Iterator[Emulator]:
    """moto on a free loopback port for the whole session; stopped at the end."""
    with Emulator.start() as emu:
        yield emu
