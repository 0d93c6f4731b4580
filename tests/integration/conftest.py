"""Fixtures of the integration tests: one local PostgreSQL per test module that asks for it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.postgres import LocalPostgres


@pytest.fixture(scope="module")
def pg() -> Iterator[LocalPostgres]:
    """A PostgreSQL server with TLS (tests.support.postgres), shared by the module's tests."""
    with LocalPostgres.start(tls=True) as server:
        yield server
