"""tests.support.postgres.LocalPostgres: a real local PostgreSQL, its TLS, and its cleanup.

Needs PostgreSQL's server binaries (skipped otherwise; these tests never install anything).
Each server takes about a second to create; one is shared by the module (tests/integration/
conftest.py), the lifecycle tests start their own.
"""

from __future__ import annotations

import datetime
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from natless.paths import ROOT
from tests.support.postgres import LocalPostgres, find_bin_dir
from tests.support.processes import alive, children, descends_from, wait_gone

pytestmark = pytest.mark.skipif(
    find_bin_dir() is None, reason="PostgreSQL server binaries not installed"
)


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


def test_without_tls(monkeypatch, tmp_path: Path) -> None:
    with LocalPostgres.start(tls=False) as server:
        assert server.cert_path is None and server.ca_path is None
        assert server.psql("SHOW ssl") == "off"
        hba = (server.data_dir / "pg_hba.conf").read_text()
        assert f"host     {server.database}  {server.user}  127.0.0.1/32  trust" in hba


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


# --- no orphans ----------------------------------------------------------------------------------


SCRIPT = """
import json, sys, time
from tests.support.postgres import LocalPostgres
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
        proc.wait(timeout=120)  # a guard, not a speed claim: a loaded CI machine is slow
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
