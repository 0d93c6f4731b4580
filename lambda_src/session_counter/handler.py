"""The private side of the public/private split: count the active sessions in the database.

Runs inside the VPC, in subnets without any route to the internet. It needs no AWS API at run
time: the IAM authentication token is a SigV4 presigned string that boto3 computes locally
(``generate_db_auth_token`` makes no network call), and the token is the password of a normal
PostgreSQL login over TLS. The only connection it opens is the one to the database.

Environment:
    DB_HOST, DB_PORT, DB_NAME, DB_USER   where and as whom to connect (set by the module)
    DB_SSLMODE       require (default: encrypted, certificate not verified, like libpq)
                     | verify-full (certificate checked against DB_CA_BUNDLE and the host name)
                     | disable (plain TCP: only for a local test server)
    DB_CA_BUNDLE     PEM file for verify-full; a relative path is taken from the package root.
                     The package ships "rds-ca-bundle.pem", Amazon RDS's CAs (see its header;
                     refreshed by ``python -m tests.tools.rds_ca``)
    DB_CONNECT_TIMEOUT_S  seconds for connecting and for each socket operation (default 5)
    SESSIONS_QUERY   the count; default ``SELECT count(*) FROM sessions WHERE expires_at > now()``

Returns ``{"active_sessions": N}``. Any failure raises: Lambda reports it to the synchronous
caller as a function error (``FunctionError: Unhandled``), which the public side logs.
"""

from __future__ import annotations

import json
import os
import ssl
import time
from pathlib import Path
from typing import Any

import boto3
import pg8000.native
from pg8000.exceptions import DatabaseError, InterfaceError

DEFAULT_QUERY = "SELECT count(*) FROM sessions WHERE expires_at > now()"
SSL_MODES = ("require", "verify-full", "disable")
PACKAGE_ROOT = Path(__file__).resolve().parent

# Created once per execution environment; only used for local signing.
_rds = boto3.client("rds")


class ConfigurationError(Exception):
    """The function's environment is incomplete or invalid."""


class DatabaseConnectError(Exception):
    """The database could not be reached or refused the login."""


class QueryError(Exception):
    """The query failed or did not return one non-negative integer."""


def log(level: str, message: str, **fields: Any) -> None:
    print(json.dumps({"level": level, "message": message, **fields}, default=str), flush=True)


def _settings() -> dict[str, Any]:
    missing = [k for k in ("DB_HOST", "DB_NAME", "DB_USER") if not os.environ.get(k)]
    if missing:
        raise ConfigurationError(f"missing environment variables: {', '.join(missing)}")
    sslmode = os.environ.get("DB_SSLMODE", "require")
    if sslmode not in SSL_MODES:
        raise ConfigurationError(f"DB_SSLMODE={sslmode!r}; use one of {', '.join(SSL_MODES)}")
    try:
        port = int(os.environ.get("DB_PORT", "5432"))
        timeout = float(os.environ.get("DB_CONNECT_TIMEOUT_S", "5"))
    except ValueError as exc:
        raise ConfigurationError(f"DB_PORT/DB_CONNECT_TIMEOUT_S must be numbers: {exc}") from None
    return {
        "host": os.environ["DB_HOST"],
        "port": port,
        "database": os.environ["DB_NAME"],
        "user": os.environ["DB_USER"],
        "sslmode": sslmode,
        "timeout": timeout,
        "query": os.environ.get("SESSIONS_QUERY") or DEFAULT_QUERY,
    }


def ssl_context(sslmode: str, ca_bundle: str | None = None) -> ssl.SSLContext | bool:
    """What pg8000 takes as ssl_context: a context (TLS required) or False (no TLS).

    pg8000 treats None as "prefer" (silently falls back to plain TCP), so None is never used.
    """
    if sslmode == "disable":
        return False
    if sslmode == "require":
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        return context
    if not ca_bundle:
        raise ConfigurationError("DB_SSLMODE=verify-full needs DB_CA_BUNDLE (a PEM file)")
    path = Path(ca_bundle)
    if not path.is_absolute():
        path = PACKAGE_ROOT / path
    if not path.is_file():
        raise ConfigurationError(f"DB_CA_BUNDLE {path} does not exist")
    return ssl.create_default_context(cafile=str(path))  # verifies chain and host name


def auth_token(host: str, port: int, user: str) -> str:
    """An IAM database authentication token (valid 15 minutes), signed locally."""
    return _rds.generate_db_auth_token(DBHostname=host, Port=port, DBUsername=user)


def _certificate_error(exc: BaseException) -> ssl.SSLCertVerificationError | None:
    """The certificate verification failure behind a connection error, if that is what it was."""
    for candidate in (exc, exc.__cause__, exc.__context__):
        if isinstance(candidate, ssl.SSLCertVerificationError):
            return candidate
    return None


def count_active_sessions(settings: dict[str, Any]) -> int:
    context = ssl_context(settings["sslmode"], os.environ.get("DB_CA_BUNDLE"))
    target = f"{settings['host']}:{settings['port']}/{settings['database']}"
    try:
        conn = pg8000.native.Connection(
            user=settings["user"],
            password=auth_token(settings["host"], settings["port"], settings["user"]),
            host=settings["host"],
            port=settings["port"],
            database=settings["database"],
            ssl_context=context,
            timeout=settings["timeout"],
            application_name="natless-session-counter",
        )
    except (InterfaceError, DatabaseError, OSError) as exc:
        refused = _certificate_error(exc)
        if refused is not None:
            raise DatabaseConnectError(
                f"cannot connect to {target} as {settings['user']}: certificate verification "
                f"failed: {refused.verify_message} (sslmode=verify-full: the server's certificate "
                f"must be issued by a CA of DB_CA_BUNDLE={os.environ.get('DB_CA_BUNDLE')} and "
                f"name the host {settings['host']})"
            ) from exc
        cause = f" ({exc.__cause__})" if exc.__cause__ is not None else ""
        raise DatabaseConnectError(
            f"cannot connect to {target} as {settings['user']} "
            f"(sslmode={settings['sslmode']}): {exc}{cause}"
        ) from exc
    try:
        rows = conn.run(settings["query"])
    except DatabaseError as exc:
        raise QueryError(f"SESSIONS_QUERY failed on {target}: {exc}") from exc
    finally:
        conn.close()
    if len(rows) != 1 or len(rows[0]) != 1 or not isinstance(rows[0][0], int) or rows[0][0] < 0:
        raise QueryError(
            f"SESSIONS_QUERY must return one row with one non-negative integer, got {rows[:3]!r}"
        )
    return rows[0][0]


def handler(event: Any, context: Any) -> dict[str, int]:
    started = time.monotonic()
    settings = _settings()
    count = count_active_sessions(settings)
    log(
        "INFO",
        "counted active sessions",
        active_sessions=count,
        host=settings["host"],
        sslmode=settings["sslmode"],
        duration_ms=round((time.monotonic() - started) * 1000, 1),
    )
    return {"active_sessions": count}
