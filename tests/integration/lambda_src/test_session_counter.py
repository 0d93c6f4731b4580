"""lambda_src/session_counter against a real local PostgreSQL (tests.support.postgres), over TLS.

Needs PostgreSQL's server binaries (skipped otherwise; these tests never install anything).
One server is shared by the module (tests/integration/conftest.py).
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from natless.deploy.package import REQUIREMENTS, vendor_tree
from natless.paths import LAMBDA_SRC
from tests.support.lambda_src import handler_module
from tests.support.net import closed_port
from tests.support.postgres import LocalPostgres, find_bin_dir, write_test_ca

pytestmark = pytest.mark.skipif(
    find_bin_dir() is None, reason="PostgreSQL server binaries not installed"
)

COUNTER_DIR = LAMBDA_SRC / "session_counter"


@pytest.fixture
def counter(
    pg: LocalPostgres, fake_aws: str, monkeypatch: pytest.MonkeyPatch
) -> Iterator[ModuleType]:
    """lambda_src/session_counter/handler.py with its vendored pg8000, pointed at ``pg``."""
    monkeypatch.syspath_prepend(str(vendor_tree("session_counter", COUNTER_DIR / REQUIREMENTS)))
    for name in ("SESSIONS_QUERY", "DB_CA_BUNDLE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("DB_HOST", pg.host)
    monkeypatch.setenv("DB_PORT", str(pg.port))
    monkeypatch.setenv("DB_NAME", pg.database)
    monkeypatch.setenv("DB_USER", pg.user)
    monkeypatch.setenv("DB_SSLMODE", "require")
    monkeypatch.setenv("DB_CONNECT_TIMEOUT_S", "3")
    with handler_module("session_counter") as module:
        yield module


def test_counts_active_sessions_over_tls(pg: LocalPostgres, counter: ModuleType) -> None:
    pg.seed_sessions(active=7, expired=5)
    assert counter.handler({}, None) == {"active_sessions": 7}


def test_verify_full_with_the_test_ca(
    pg: LocalPostgres, counter: ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    pg.seed_sessions(active=2, expired=1)
    monkeypatch.setenv("DB_SSLMODE", "verify-full")
    monkeypatch.setenv("DB_CA_BUNDLE", str(pg.ca_path))
    assert counter.handler({}, None) == {"active_sessions": 2}
    monkeypatch.setenv("DB_HOST", "localhost")  # the DNS name of the certificate
    assert counter.handler({}, None) == {"active_sessions": 2}


def test_verify_full_refuses_a_server_of_another_ca(
    counter: ModuleType, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    other_ca = tmp_path / "other-ca.crt"
    write_test_ca(other_ca)
    monkeypatch.setenv("DB_SSLMODE", "verify-full")
    monkeypatch.setenv("DB_CA_BUNDLE", str(other_ca))
    with pytest.raises(counter.DatabaseConnectError) as refused:
        counter.handler({}, None)
    assert "certificate verification failed: unable to get local issuer certificate" in str(
        refused.value
    )
    assert f"DB_CA_BUNDLE={other_ca}" in str(refused.value)


def test_verify_full_with_the_rds_bundle_refuses_the_test_server(
    counter: ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The example's default bundle (relative to the package root) trusts only Amazon RDS."""
    monkeypatch.setenv("DB_SSLMODE", "verify-full")
    monkeypatch.setenv("DB_CA_BUNDLE", "rds-ca-bundle.pem")
    with pytest.raises(counter.DatabaseConnectError, match="certificate verification failed"):
        counter.handler({}, None)


def test_verify_full_refuses_a_host_name_the_certificate_does_not_name(
    pg: LocalPostgres, counter: ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A name that resolves to the server but is not among its certificate's SANs."""
    real_getaddrinfo = socket.getaddrinfo

    def resolve(host: Any, *args: Any, **kwargs: Any) -> Any:
        return real_getaddrinfo(pg.host if host == "db.other-name.test" else host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", resolve)
    monkeypatch.setenv("DB_SSLMODE", "verify-full")
    monkeypatch.setenv("DB_CA_BUNDLE", str(pg.ca_path))
    monkeypatch.setenv("DB_HOST", "db.other-name.test")
    with pytest.raises(counter.DatabaseConnectError) as refused:
        counter.handler({}, None)
    assert "certificate verification failed: Hostname mismatch" in str(refused.value)
    assert "'db.other-name.test'" in str(refused.value)
    monkeypatch.setenv("DB_SSLMODE", "require")  # the same name without verification connects
    assert counter.handler({}, None)["active_sessions"] >= 0


def test_verify_full_needs_a_bundle(counter: ModuleType, monkeypatch) -> None:
    monkeypatch.setenv("DB_SSLMODE", "verify-full")
    with pytest.raises(counter.ConfigurationError, match="DB_CA_BUNDLE"):
        counter.handler({}, None)


def test_plain_connection_is_refused_when_tls_is_on(counter: ModuleType, monkeypatch) -> None:
    monkeypatch.setenv("DB_SSLMODE", "disable")
    with pytest.raises(counter.DatabaseConnectError, match="no encryption"):
        counter.handler({}, None)


def test_closed_port_raises(counter: ModuleType, monkeypatch) -> None:
    monkeypatch.setenv("DB_PORT", str(closed_port()))
    with pytest.raises(counter.DatabaseConnectError, match=r"cannot connect to 127\.0\.0\.1"):
        counter.handler({}, None)


def test_custom_and_broken_queries(pg: LocalPostgres, counter: ModuleType, monkeypatch) -> None:
    pg.seed_sessions(active=3, expired=3)
    monkeypatch.setenv("SESSIONS_QUERY", "SELECT count(DISTINCT user_id) FROM sessions")
    assert counter.handler({}, None) == {"active_sessions": 6}
    monkeypatch.setenv("SESSIONS_QUERY", "SELECT count(*) FROM no_such_table")
    with pytest.raises(counter.QueryError, match="no_such_table"):
        counter.handler({}, None)
    monkeypatch.setenv("SESSIONS_QUERY", "SELECT 'many'")
    with pytest.raises(counter.QueryError, match="one non-negative integer"):
        counter.handler({}, None)


def test_bad_sslmode(counter: ModuleType, monkeypatch) -> None:
    monkeypatch.setenv("DB_SSLMODE", "prefer")
    with pytest.raises(counter.ConfigurationError, match="DB_SSLMODE"):
        counter.handler({}, None)
