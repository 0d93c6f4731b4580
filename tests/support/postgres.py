"""A throwaway PostgreSQL server on 127.0.0.1 for tests and demos of the public/private split.

    with LocalPostgres.start(tls=True) as pg:
        pg.seed_sessions(active=7, expired=3)
        # connect to 127.0.0.1:pg.port, database pg.database, user pg.user

What it does:

- finds PostgreSQL's server binaries (``NATLESS_PG_BIN``, ``/usr/lib/postgresql/<v>/bin`` or
  ``initdb`` on PATH); when they are missing and we are root with apt-get, installs the
  ``postgresql`` package (``apt-get update`` first), otherwise raises a UserError saying how;
- runs ``initdb`` into a fresh temporary folder. initdb and postgres refuse to run as root, so a
  root harness runs them as the system user ``natless-pg`` (``NATLESS_PG_USER`` to choose
  another), created with ``useradd --system`` when it does not exist;
- starts ``postgres`` itself (not through pg_ctl, which would detach it) as a child in its own
  session, listening on 127.0.0.1 only, on a free port, without a Unix socket; with ``tls=True``
  it serves a P-256 certificate for ``localhost`` and ``127.0.0.1`` (its SANs) issued by a test
  CA made at start (both valid for two days; the CA's key is never written, so it issues nothing
  else). ``ca_path`` is that CA's certificate, the bundle a ``verify-full`` client trusts;
- pg_hba.conf admits the admin user (setup, seeding) and the application user (``hostssl`` when
  TLS is on, so a plain connection of that user is refused), from 127.0.0.1 only, with
  ``trust``: a local server cannot validate IAM database authentication tokens, so whatever
  password the client sends (the token) is not checked. Nothing else is admitted;
- creates the database, the user (granted an ``rds_iam`` role, as on RDS) and a ``sessions``
  table (id, user_id, created_at, expires_at) the user may read.

Leaving the ``with`` block (normally, by an exception or Ctrl-C) stops the server with a fast
shutdown and deletes the folder. If the harness itself is killed, the kernel sends the server
SIGINT (PR_SET_PDEATHSIG), so no postgres process outlives it; only the temporary folder stays.
Start it from the thread that lives as long as the server: the kernel ties that signal to the
thread that started the process.
"""

from __future__ import annotations

import contextlib
import ctypes
import datetime
import ipaddress
import os
import pwd
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from natless.errors import UserError

PG_BIN_ENV = "NATLESS_PG_BIN"
PG_USER_ENV = "NATLESS_PG_USER"
DEFAULT_RUN_AS = "natless-pg"
ADMIN_USER = "natless_admin"
HOST = "127.0.0.1"
START_TIMEOUT_S = 30.0
STOP_TIMEOUT_S = 15.0
SERVER_BINARIES = ("initdb", "pg_ctl", "postgres")
INSTALL_HINT = (
    "install PostgreSQL's server package (Debian/Ubuntu: `sudo apt-get install postgresql`, "
    "Fedora: `sudo dnf install postgresql-server`, macOS: `brew install postgresql`) "
    f"or point {PG_BIN_ENV} at the folder holding initdb, pg_ctl and postgres"
)

_PR_SET_PDEATHSIG = 1


# --- finding (or installing) the binaries -------------------------------------------------------


def _has_server_binaries(folder: Path) -> bool:
    return all(
        (folder / name).is_file() and os.access(folder / name, os.X_OK) for name in SERVER_BINARIES
    )


def _version_key(folder: Path) -> tuple[int, ...]:
    # /usr/lib/postgresql/<version>/bin
    parts = folder.parent.name.split(".")
    return tuple(int(p) for p in parts if p.isdigit())


def find_bin_dir(search_roots: tuple[Path, ...] = (Path("/usr/lib/postgresql"),)) -> Path | None:
    """The folder of initdb/pg_ctl/postgres: NATLESS_PG_BIN, the newest Debian one, or PATH."""
    explicit = os.environ.get(PG_BIN_ENV)
    if explicit:
        folder = Path(explicit)
        if not _has_server_binaries(folder):
            raise UserError(
                f"{PG_BIN_ENV}={explicit} does not hold {', '.join(SERVER_BINARIES)}; "
                f"point it at PostgreSQL's bin folder or unset it"
            )
        return folder
    candidates = [
        folder
        for root in search_roots
        if root.is_dir()
        for folder in root.glob("*/bin")
        if _has_server_binaries(folder)
    ]
    if candidates:
        return max(candidates, key=_version_key)
    initdb = shutil.which("initdb")
    if initdb and _has_server_binaries(Path(initdb).resolve().parent):
        return Path(initdb).resolve().parent
    return None


def install_with_apt() -> None:
    """``apt-get update`` + ``apt-get install postgresql`` (root only)."""
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for command in (
        ["apt-get", "update"],
        ["apt-get", "install", "-y", "--no-install-recommends", "postgresql"],
    ):
        proc = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
        if proc.returncode != 0:
            tail = "\n  ".join((proc.stdout + proc.stderr).strip().splitlines()[-6:])
            raise UserError(f"`{' '.join(command)}` failed:\n  {tail}\n{INSTALL_HINT}")


def ensure_bin_dir() -> Path:
    """The server binaries' folder, installing them with apt-get when possible."""
    folder = find_bin_dir()
    if folder is not None:
        return folder
    if os.geteuid() == 0 and shutil.which("apt-get"):
        install_with_apt()
        folder = find_bin_dir()
        if folder is not None:
            return folder
    raise UserError(
        f"PostgreSQL's server binaries ({', '.join(SERVER_BINARIES)}) are missing: {INSTALL_HINT}"
    )


# --- whom the server runs as --------------------------------------------------------------------


@dataclass(frozen=True)
class RunAs:
    """The account initdb and postgres run as; ``uid is None`` means "as this process"."""

    name: str
    uid: int | None = None
    gid: int | None = None

    def popen_kwargs(self) -> dict[str, object]:
        if self.uid is None:
            return {}
        return {"user": self.uid, "group": self.gid, "extra_groups": []}

    def chown(self, path: Path) -> None:
        if self.uid is not None:
            os.chown(path, self.uid, self.gid if self.gid is not None else -1)


def run_as_account() -> RunAs:
    """This process unless it is root; else a non-root system account (created if need be)."""
    if os.geteuid() != 0:
        return RunAs(pwd.getpwuid(os.geteuid()).pw_name)
    name = os.environ.get(PG_USER_ENV) or DEFAULT_RUN_AS
    try:
        entry = pwd.getpwnam(name)
    except KeyError:
        entry = None
    if entry is None:
        if name != DEFAULT_RUN_AS:
            raise UserError(f"{PG_USER_ENV}={name}: no such user")
        useradd = shutil.which("useradd")
        if useradd is None:
            raise UserError(
                "PostgreSQL refuses to run as root and there is no useradd to create the "
                f"{DEFAULT_RUN_AS} account: run the harness as a normal user, or set "
                f"{PG_USER_ENV} to an existing non-root account"
            )
        proc = subprocess.run(
            [
                useradd, "--system", "--user-group", "--no-create-home",
                "--home-dir", "/nonexistent", "--shell", "/usr/sbin/nologin",
                "--comment", "natless throwaway PostgreSQL servers", DEFAULT_RUN_AS,
            ],
            capture_output=True, text=True, check=False,
        )  # fmt: skip
        if proc.returncode not in (0, 9):  # 9: created meanwhile by a concurrent run
            raise UserError(f"useradd {DEFAULT_RUN_AS} failed: {proc.stderr.strip()}")
        entry = pwd.getpwnam(name)
    if entry.pw_uid == 0:
        raise UserError(f"{PG_USER_ENV}={name} is root; PostgreSQL refuses to run as root")
    return RunAs(name, entry.pw_uid, entry.pw_gid)


# --- TLS ------------------------------------------------------------------------------------------


TLS_DAYS = 2  # the test CA and the server certificate expire soon after the tests
TLS_HOSTS = ("localhost", HOST)


def _write_private_key(path: Path, key: ec.EllipticCurvePrivateKey) -> None:

    path.touch(mode=0o600)
    path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )


def _key_usage(ca: bool) -> x509.KeyUsage:
    """A CA signs certificates (and CRLs); a P-256 TLS server key only signs handshakes."""

    flags = dict.fromkeys(
        (
            "digital_signature", "content_commitment", "key_encipherment", "data_encipherment",
            "key_agreement", "key_cert_sign", "crl_sign", "encipher_only", "decipher_only",
        ),
        False,
    )  # fmt: skip
    flags |= {"key_cert_sign": True, "crl_sign": True} if ca else {"digital_signature": True}
    return x509.KeyUsage(**flags)


def _validity(days: int) -> tuple[datetime.datetime, datetime.datetime]:
    now = datetime.datetime.now(datetime.UTC)
    return now - datetime.timedelta(minutes=5), now + datetime.timedelta(days=days)


def new_test_ca(
    common_name: str | None = None, days: int = TLS_DAYS
) -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate]:
    """A throwaway P-256 root CA (key, certificate), named "natless test CA <random>"."""

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "natless tests"),
            x509.NameAttribute(
                NameOID.COMMON_NAME, common_name or f"natless test CA {secrets.token_hex(4)}"
            ),
        ]
    )
    not_before, not_after = _validity(days)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(_key_usage(ca=True), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    return key, cert


def issue_server_certificate(
    ca_key: ec.EllipticCurvePrivateKey,
    ca_cert: x509.Certificate,
    hosts: tuple[str, ...] = TLS_HOSTS,
    days: int = TLS_DAYS,
) -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate]:
    """A P-256 server certificate (key, certificate) from the CA, with ``hosts`` as SANs."""

    sans: list[x509.GeneralName] = []
    for host in hosts:
        try:
            sans.append(x509.IPAddress(ipaddress.ip_address(host)))
        except ValueError:
            sans.append(x509.DNSName(host))
    key = ec.generate_private_key(ec.SECP256R1())
    ca_ski = ca_cert.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
    not_before, not_after = _validity(days)
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, hosts[0])]))
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(max(not_before, ca_cert.not_valid_before_utc))
        .not_valid_after(min(not_after, ca_cert.not_valid_after_utc))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(_key_usage(ca=False), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.SubjectAlternativeName(sans), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ca_ski), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )
    return key, cert


def write_test_ca(ca_path: Path, days: int = TLS_DAYS) -> None:
    """Only the certificate of a new test CA (its key is dropped): a bundle that trusts nothing
    else, e.g. to show that verify-full refuses a server of another CA."""

    _, cert = new_test_ca(days=days)
    ca_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))


def write_test_certificates(
    ca_path: Path,
    cert_path: Path,
    key_path: Path,
    hosts: tuple[str, ...] = TLS_HOSTS,
    days: int = TLS_DAYS,
) -> None:
    """A new test CA's certificate, and a server certificate and key it issued for ``hosts``.

    The CA's key only lives in memory here: nothing else can ever be issued by that CA, so
    trusting ``ca_path`` trusts this one server certificate.
    """

    ca_key, ca_cert = new_test_ca(days=days)
    key, cert = issue_server_certificate(ca_key, ca_cert, hosts, days)
    ca_path.write_bytes(ca_cert.public_bytes(serialization.Encoding.PEM))
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    _write_private_key(key_path, key)


# --- the server ---------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def _die_with_parent() -> None:
    """preexec_fn: the kernel sends SIGINT (fast shutdown) when the harness dies."""
    _LIBC.prctl(_PR_SET_PDEATHSIG, signal.SIGINT, 0, 0, 0)


_LIBC = ctypes.CDLL(None, use_errno=True)


def _quote_literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _quote_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


@dataclass
class LocalPostgres:
    """A running local server. Use ``LocalPostgres.start()`` (a context manager)."""

    root: Path
    bin_dir: Path
    run_as: RunAs
    port: int
    database: str
    user: str
    tls: bool
    host: str = HOST
    admin_user: str = ADMIN_USER
    process: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    @property
    def data_dir(self) -> Path:
        return self.root / "data"

    @property
    def ca_path(self) -> Path | None:
        """The test CA's certificate: the DB_CA_BUNDLE (sslrootcert) for verify-full."""
        return self.root / "tls" / "ca.crt" if self.tls else None

    @property
    def cert_path(self) -> Path | None:
        """The server certificate, issued by the test CA for localhost and 127.0.0.1."""
        return self.root / "tls" / "server.crt" if self.tls else None

    @property
    def log_path(self) -> Path:
        return self.root / "postgres.log"

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process is not None else None

    @classmethod
    def start(
        cls,
        *,
        tls: bool = True,
        database: str = "app",
        user: str = "natless_reader",
        port: int = 0,
    ) -> LocalPostgres:
        """initdb, start, create database/user/table; everything is undone if a step fails."""
        bin_dir = ensure_bin_dir()
        run_as = run_as_account()
        root = Path(tempfile.mkdtemp(prefix="natless-pg-"))
        root.chmod(0o755)  # the server account must reach data/ and tls/
        server = cls(
            root=root, bin_dir=bin_dir, run_as=run_as, port=port,
            database=database, user=user, tls=tls,
        )  # fmt: skip
        try:
            server._initdb()
            server._configure()
            server._launch(port)
            server._setup()
        except BaseException:
            server.stop()
            raise
        return server

    def _run_server_tool(self, args: list[str]) -> None:
        proc = subprocess.run(
            args,
            capture_output=True,
            text=True,
            cwd=self.root,
            env={"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LANG": "C", "LC_ALL": "C"},
            check=False,
            **self.run_as.popen_kwargs(),  # type: ignore[arg-type]
        )
        if proc.returncode != 0:
            raise UserError(
                f"{Path(args[0]).name} failed (exit {proc.returncode}) as {self.run_as.name}:\n"
                f"{(proc.stdout + proc.stderr).strip()[-1500:]}"
            )

    def _initdb(self) -> None:
        self.data_dir.mkdir(mode=0o700)
        self.run_as.chown(self.data_dir)
        self._run_server_tool(
            [
                str(self.bin_dir / "initdb"),
                "--pgdata", str(self.data_dir),
                "--username", self.admin_user,
                "--auth", "reject",
                "--encoding", "UTF8",
                "--no-locale",
                "--no-sync",
            ]
        )  # fmt: skip

    def _configure(self) -> None:
        settings = {
            "listen_addresses": HOST,
            "unix_socket_directories": "",
            "max_connections": "20",
            "shared_buffers": "16MB",
            "fsync": "off",
            "synchronous_commit": "off",
            "full_page_writes": "off",
            "log_connections": "on",
            "log_min_messages": "warning",
        }
        if self.tls:
            tls_dir = self.root / "tls"
            tls_dir.mkdir(mode=0o755)
            key = tls_dir / "server.key"
            assert self.ca_path is not None and self.cert_path is not None
            write_test_certificates(self.ca_path, self.cert_path, key)
            self.run_as.chown(key)  # postgres wants its key owned by itself, mode 0600
            settings |= {
                "ssl": "on",
                "ssl_cert_file": str(self.cert_path),
                "ssl_key_file": str(key),
            }
        conf = self.data_dir / "postgresql.conf"
        lines = [f"{k} = {_quote_literal(v)}" for k, v in settings.items()]
        with conf.open("a", encoding="utf-8") as fh:
            fh.write("\n# natless LocalPostgres\n" + "\n".join(lines) + "\n")
        app_line = "hostssl" if self.tls else "host"
        (self.data_dir / "pg_hba.conf").write_text(
            "# natless LocalPostgres: loopback only. A local server cannot validate IAM database\n"
            "# authentication tokens, so the application user is trusted (the token it sends as\n"
            "# its password is not checked), from 127.0.0.1 only"
            + (", over TLS only" if self.tls else "")
            + ".\n"
            f"host     all  {self.admin_user}  {HOST}/32  trust\n"
            f"{app_line:<8} {self.database}  {self.user}  {HOST}/32  trust\n",
            encoding="utf-8",
        )

    def _launch(self, port: int) -> None:
        attempts = 1 if port else 3  # a free port may be taken before postgres binds it
        for attempt in range(attempts):
            self.port = port or _free_port()
            log = self.log_path.open("ab")
            try:
                self.process = subprocess.Popen(
                    [
                        str(self.bin_dir / "postgres"),
                        "-D",
                        str(self.data_dir),
                        "-p",
                        str(self.port),
                    ],
                    stdin=subprocess.DEVNULL,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    cwd=self.root,
                    env={
                        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
                        "LANG": "C",
                        "LC_ALL": "C",
                    },
                    start_new_session=True,  # Ctrl-C goes to the harness, which stops it cleanly
                    preexec_fn=_die_with_parent,  # a PR_SET_PDEATHSIG, after the uid switch
                    **self.run_as.popen_kwargs(),  # type: ignore[arg-type]
                )
            finally:
                log.close()
            if self._wait_ready():
                return
            text = self.log_path.read_text(errors="replace")
            self.process = None
            if "could not bind" not in text or attempt == attempts - 1:
                raise UserError(f"PostgreSQL did not start:\n{text.strip()[-1500:]}")

    def _wait_ready(self) -> bool:
        """True once postmaster.pid says "ready"; False if the process exited."""
        assert self.process is not None
        pid_file = self.data_dir / "postmaster.pid"
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                return False
            with contextlib.suppress(OSError):
                lines = pid_file.read_text().splitlines()
                if len(lines) >= 8 and lines[7].strip() == "ready":
                    return True
            time.sleep(0.05)
        self.stop()
        raise UserError(f"PostgreSQL did not become ready within {START_TIMEOUT_S:.0f} s")

    def _setup(self) -> None:
        self.psql(
            f"CREATE ROLE rds_iam;\n"
            f"CREATE ROLE {_quote_ident(self.user)} LOGIN;\n"
            f"GRANT rds_iam TO {_quote_ident(self.user)};\n"
            f"CREATE DATABASE {_quote_ident(self.database)};\n",
            database="postgres",
        )
        self.psql(
            "CREATE TABLE sessions (\n"
            "  id bigserial PRIMARY KEY,\n"
            "  user_id text NOT NULL,\n"
            "  created_at timestamptz NOT NULL DEFAULT now(),\n"
            "  expires_at timestamptz NOT NULL\n"
            ");\n"
            "CREATE INDEX sessions_expires_at ON sessions (expires_at);\n"
            f"GRANT SELECT ON sessions TO {_quote_ident(self.user)};\n"
        )

    # --- using it -------------------------------------------------------------------------------

    def psql_path(self) -> str:
        for candidate in (self.bin_dir / "psql", shutil.which("psql")):
            if candidate and os.access(candidate, os.X_OK):
                return str(candidate)
        raise UserError(
            "psql is missing (Debian/Ubuntu: `apt-get install postgresql-client`); "
            "LocalPostgres uses it to create the database and seed it"
        )

    def psql(self, sql: str, database: str | None = None) -> str:
        """Run SQL as the admin user over TCP; returns psql's unaligned, tuples-only output."""
        proc = subprocess.run(
            [
                self.psql_path(), "--no-psqlrc", "--quiet", "--tuples-only", "--no-align",
                "--set", "ON_ERROR_STOP=1",
                "--host", self.host, "--port", str(self.port),
                "--username", self.admin_user, "--dbname", database or self.database,
            ],
            input=sql,
            capture_output=True,
            text=True,
            env={**os.environ, "PGSSLMODE": "prefer", "PGCONNECT_TIMEOUT": "5"},
            timeout=60,
            check=False,
        )  # fmt: skip
        if proc.returncode != 0:
            raise UserError(f"psql failed (exit {proc.returncode}): {proc.stderr.strip()[-1500:]}")
        return proc.stdout.strip()

    def seed_sessions(self, active: int, expired: int) -> None:
        """Replace the sessions table's rows: ``active`` unexpired and ``expired`` expired ones."""
        self.psql(
            "TRUNCATE sessions;\n"
            "INSERT INTO sessions (user_id, expires_at)\n"
            "  SELECT 'active-' || i, now() + interval '1 hour'\n"
            f"  FROM generate_series(1, {int(active)}) i;\n"
            "INSERT INTO sessions (user_id, created_at, expires_at)\n"
            "  SELECT 'expired-' || i, now() - interval '2 hours', now() - interval '1 hour'\n"
            f"  FROM generate_series(1, {int(expired)}) i;\n"
        )

    # --- stopping -------------------------------------------------------------------------------

    def stop(self) -> None:
        """Fast shutdown (SIGINT), then SIGQUIT/SIGKILL if needed; delete the folder. Idempotent."""
        proc, self.process = self.process, None
        if proc is not None and proc.poll() is None:
            for sig, wait_s in ((signal.SIGINT, STOP_TIMEOUT_S), (signal.SIGQUIT, 5.0)):
                with contextlib.suppress(ProcessLookupError):
                    proc.send_signal(sig)
                try:
                    proc.wait(timeout=wait_s)
                    break
                except subprocess.TimeoutExpired:
                    continue
            else:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=5)
        shutil.rmtree(self.root, ignore_errors=True)

    def __enter__(self) -> LocalPostgres:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
