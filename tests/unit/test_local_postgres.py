"""natless.pg.LocalPostgres and lambda_src/session_counter against a real local PostgreSQL.

Needs PostgreSQL's server binaries (skipped otherwise; these tests never install anything).
Each server takes about a second to create; one is shared by the module, the lifecycle tests
start their own.
"""

from __future__ import annotations

import datetime
import importlib.util
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from natless.package import REQUIREMENTS, vendor_tree
from natless.paths import LAMBDA_SRC, ROOT
from natless.pg import LocalPostgres, find_bin_dir, write_test_ca

pytestmark = [
    pytest.mark.unit,
    pytest.mark.skipif(find_bin_dir() is None, reason="PostgreSQL server binaries not installed"),
]

COUNTER_DIR = LAMBDA_SRC / "session_counter"


def alive(pid: int) -> bool:
    """Whether pid is a live (non-zombie) process."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (FileNotFoundError, ProcessLookupError):
        return False
    return fields[0] not in ("Z", "X")


def children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            if ppid == pid:
                found.append(int(entry.name))
    return found


def wait_gone(pids: list[int], timeout: float = 20.0) -> list[int]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        left = [p for p in pids if alive(p)]
        if not left:
            return []
        time.sleep(0.1)
    return [p for p in pids if alive(p)]


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def pg() -> Iterator[LocalPostgres]:
    with LocalPostgres.start(tls=True) as server:
        yield server


@pytest.fixture
def counter(
    pg: LocalPostgres, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> Iterator[ModuleType]:
    """lambda_src/session_counter/handler.py with its vendored pg8000, pointed at ``pg``."""
    monkeypatch.syspath_prepend(str(vendor_tree("session_counter", COUNTER_DIR / REQUIREMENTS)))
    for name in ("AWS_PROFILE", "AWS_ENDPOINT_URL", "SESSIONS_QUERY", "DB_CA_BUNDLE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("DB_HOST", pg.host)
    monkeypatch.setenv("DB_PORT", str(pg.port))
    monkeypatch.setenv("DB_NAME", pg.database)
    monkeypatch.setenv("DB_USER", pg.user)
    monkeypatch.setenv("DB_SSLMODE", "require")
    monkeypatch.setenv("DB_CONNECT_TIMEOUT_S", "3")
    spec = importlib.util.spec_from_file_location(
        "natless_test_session_counter", COUNTER_DIR / "handler.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    yield module
    del sys.modules[spec.name]


# --- the server -----------------------------------------------------------------------------------


def test_server_runs_unprivileged_on_loopback_only(pg: LocalPostgres) -> None:
    assert pg.pid is not None and alive(pg.pid)
    uid = int(Path(f"/proc/{pg.pid}/status").read_text().split("Uid:")[1].split()[0])
    assert uid != 0  # initdb and postgres refuse root; a root harness uses natless-pg
    assert pg.run_as.uid in (None, uid)
    listening = []
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            local, state = line.split()[1], line.split()[3]
            if state == "0A" and int(local.rsplit(":", 1)[1], 16) == pg.port:
                listening.append(local.rsplit(":", 1)[0])
    assert listening == ["0100007F"]  # 127.0.0.1, nothing on other addresses or IPv6
    assert not list(pg.root.rglob(".s.PGSQL.*"))  # no Unix socket


def test_database_user_and_sessions_table(pg: LocalPostgres) -> None:
    pg.seed_sessions(active=4, expired=6)
    assert pg.psql("SELECT count(*) FROM sessions WHERE expires_at > now()") == "4"
    assert pg.psql("SELECT count(*) FROM sessions") == "10"
    grants = pg.psql(
        "SELECT privilege_type FROM information_schema.role_table_grants "
        f"WHERE grantee = '{pg.user}' AND table_name = 'sessions'"
    )
    assert grants.split() == ["SELECT"]
    assert pg.psql(f"SELECT pg_has_role('{pg.user}', 'rds_iam', 'member')") == "t"
    assert pg.psql("SHOW ssl") == "on"


def test_pg_hba_admits_only_loopback_and_tls_for_the_app_user(pg: LocalPostgres) -> None:
    hba = (pg.data_dir / "pg_hba.conf").read_text()
    rules = [line.split() for line in hba.splitlines() if line and not line.startswith("#")]
    assert rules == [
        ["host", "all", pg.admin_user, "127.0.0.1/32", "trust"],
        ["hostssl", pg.database, pg.user, "127.0.0.1/32", "trust"],
    ]


@pytest.fixture
def own_tempdir(monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A temp folder of this test's own (under xdist other workers create and remove theirs
    meanwhile), readable by the unprivileged user the server runs as."""
    folder = Path(tempfile.mkdtemp(prefix="natless-pgtest-"))
    folder.chmod(0o755)
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


def test_start_cleans_up_after_a_failed_setup(
    monkeypatch: pytest.MonkeyPatch, own_tempdir: Path
) -> None:
    tmp_path = own_tempdir
    before = set(tmp_path.glob("natless-pg-*"))

    def broken(self: LocalPostgres) -> None:
        raise RuntimeError("setup failed")

    monkeypatch.setattr(LocalPostgres, "_setup", broken)
    pids_before = set(os.listdir("/proc"))
    with pytest.raises(RuntimeError, match="setup failed"):
        LocalPostgres.start(tls=False)
    assert set(tmp_path.glob("natless-pg-*")) == before
    new = [int(p) for p in set(os.listdir("/proc")) - pids_before if p.isdigit()]
    # Only this process's own descendants: under xdist other workers start servers meanwhile.
    mine = [p for p in new if alive(p) and descends_from(p, os.getpid())]
    assert not [p for p in mine if "postgres" in Path(f"/proc/{p}/comm").read_text()]


def descends_from(pid: int, ancestor: int) -> bool:
    """Whether ``ancestor`` is ``pid``'s parent, grandparent, ... (False once pid is gone)."""
    while pid > 1:
        try:
            status = Path(f"/proc/{pid}/status").read_text()
        except OSError:
            return False
        pid = int(next(line.split()[1] for line in status.splitlines() if line.startswith("PPid:")))
        if pid == ancestor:
            return True
    return False


# --- no orphans ----------------------------------------------------------------------------------

SCRIPT = """
import json, sys, time
from natless.pg import LocalPostgres
with LocalPostgres.start(tls=False) as pg:
    print(json.dumps({"pid": pg.pid, "root": str(pg.root)}), flush=True)
    if sys.argv[1] == "raise":
        sys.stdin.readline()  # the test has seen the server's processes
        raise RuntimeError("boom")
    time.sleep(120)
"""


@pytest.mark.parametrize("ending", ["raise", "ctrl-c", "sigkill"])
def test_no_postgres_outlives_the_harness(ending: str) -> None:
    """An exception, Ctrl-C (SIGINT) or SIGKILL of the harness leaves no postgres running."""
    proc = subprocess.Popen(
        [sys.executable, "-c", SCRIPT, ending],
        cwd=ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        info = json.loads(proc.stdout.readline())  # type: ignore[union-attr]

        def server_pids() -> list[int]:
            # live ones only: the backends of the setup connections may still be exiting
            return [p for p in [info["pid"], *children(info["pid"])] if alive(p)]

        deadline = time.monotonic() + 10
        while len(server_pids()) < 4 and time.monotonic() < deadline:
            time.sleep(0.05)  # the background workers start just after "ready"
        pids = server_pids()
        assert len(pids) >= 4 and info["pid"] in pids
        if ending == "raise":
            proc.stdin.write("go\n")  # type: ignore[union-attr]
            proc.stdin.flush()  # type: ignore[union-attr]
        elif ending == "ctrl-c":
            proc.send_signal(signal.SIGINT)
        elif ending == "sigkill":
            proc.kill()
        proc.wait(timeout=30)
        assert wait_gone(pids) == []
        if ending == "sigkill":
            shutil.rmtree(info["root"], ignore_errors=True)  # only the folder stays behind
        else:
            assert not Path(info["root"]).exists()
            assert proc.returncode != 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        for stream in (proc.stdin, proc.stdout, proc.stderr):
            if stream:
                stream.close()


# --- session_counter against it -----------------------------------------------------------------


def test_counts_active_sessions_over_tls(pg: LocalPostgres, counter: ModuleType) -> None:
    pg.seed_sessions(active=7, expired=5)
    assert counter.handler({}, None) == {"active_sessions": 7}


def test_server_certificate_is_issued_by_a_test_ca(pg: LocalPostgres) -> None:
    from cryptography import x509

    assert pg.ca_path is not None and pg.cert_path is not None
    ca = x509.load_pem_x509_certificate(pg.ca_path.read_bytes())
    server = x509.load_pem_x509_certificate(pg.cert_path.read_bytes())
    assert ca.extensions.get_extension_for_class(x509.BasicConstraints).value.ca is True
    assert ca.subject == ca.issuer and server.issuer == ca.subject != server.subject
    server.verify_directly_issued_by(ca)
    assert server.extensions.get_extension_for_class(x509.BasicConstraints).value.ca is False
    sans = server.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert sans.get_values_for_type(x509.DNSName) == ["localhost"]
    assert [str(ip) for ip in sans.get_values_for_type(x509.IPAddress)] == ["127.0.0.1"]
    for cert in (ca, server):  # short-lived
        assert cert.not_valid_after_utc - cert.not_valid_before_utc < datetime.timedelta(days=3)
    assert not list(pg.root.rglob("ca.key"))  # the CA's key is never written
    settings = (pg.data_dir / "postgresql.conf").read_text()
    assert f"ssl_cert_file = '{pg.cert_path}'" in settings


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


def test_without_tls(monkeypatch, tmp_path: Path) -> None:
    with LocalPostgres.start(tls=False) as server:
        assert server.cert_path is None and server.ca_path is None
        assert server.psql("SHOW ssl") == "off"
        hba = (server.data_dir / "pg_hba.conf").read_text()
        assert f"host     {server.database}  {server.user}  127.0.0.1/32  trust" in hba
