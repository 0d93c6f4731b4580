"""Configuration from the environment: names, endpoint choice, timeouts, address ordering.

Everything the function reads from its environment is parsed here, once per invocation, into
an immutable ``Settings``. A bad value raises ``ConfigError`` with a message naming the variable.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from botocore.config import Config

DEFAULT_PUBLIC_URL = "https://jsonplaceholder.typicode.com/todos/1"
DUALSTACK_CHOICES = ("dynamodb", "sqs", "s3")
# NATLESS_DUALSTACK_SERVICES=sdk: leave use_dualstack_endpoint unset, so botocore's own
# AWS_USE_DUALSTACK_ENDPOINT / config-file switch decides for every service (the pitfall).
DUALSTACK_SDK = "sdk"
IP_PREFERENCES = ("system", "ipv6first", "ipv4first")
PLACEMENTS = ("vpc", "public", "unknown")
DEFAULT_CONNECT_TIMEOUT = 2.0
MAX_CONNECT_TIMEOUT = 60.0
READ_TIMEOUT = 5.0
# Attempts per call, the first included: one retry at most. botocore's retries "max_attempts"
# counts retries only (it would make 3), "total_max_attempts" counts them all.
MAX_ATTEMPTS = 2

# getaddrinfo() entries: (family, type, proto, canonname, sockaddr)
AddrInfo = tuple[Any, ...]


class ConfigError(ValueError):
    """The function's environment is wrong (reported as BadConfig, never raised to Lambda)."""


@dataclass(frozen=True)
class Settings:
    region: str | None
    placement: str
    table_name: str | None
    queue_url: str | None
    bucket_name: str | None
    public_url: str
    dualstack: frozenset[str]
    ip_preference: str
    connect_timeout: float
    read_timeout: float = READ_TIMEOUT
    dualstack_by_sdk: bool = False  # NATLESS_DUALSTACK_SERVICES=sdk


def load_settings(environ: Mapping[str, str] | None = None) -> Settings:
    env = os.environ if environ is None else environ
    dualstack, by_sdk = _dualstack_services(env)
    return Settings(
        region=_optional(env, "AWS_REGION") or _optional(env, "AWS_DEFAULT_REGION"),
        placement=_choice(env, "NATLESS_PLACEMENT", PLACEMENTS, default="unknown"),
        table_name=_optional(env, "TABLE_NAME"),
        queue_url=_optional(env, "QUEUE_URL"),
        bucket_name=_optional(env, "BUCKET_NAME"),
        public_url=_public_url(env),
        dualstack=dualstack,
        ip_preference=_choice(env, "NATLESS_IP_PREFERENCE", IP_PREFERENCES, default="system"),
        connect_timeout=_connect_timeout(env),
        dualstack_by_sdk=by_sdk,
    )


def client_config(service: str, settings: Settings) -> Config:
    """botocore Config for one service: dual-stack only where asked, short timeouts, 1 retry.

    ``use_dualstack_endpoint`` is set explicitly (True or False) so that a global
    AWS_USE_DUALSTACK_ENDPOINT cannot switch the gateway-endpoint services to IPv6 hosts, nor
    send a service without a dual-stack name (X-Ray) to a name that does not exist. With
    NATLESS_DUALSTACK_SERVICES=sdk it is left unset (None) to reproduce exactly that.
    """
    dualstack = None if settings.dualstack_by_sdk else service in settings.dualstack
    return Config(
        use_dualstack_endpoint=dualstack,
        connect_timeout=settings.connect_timeout,
        read_timeout=settings.read_timeout,
        retries={"total_max_attempts": MAX_ATTEMPTS, "mode": "standard"},
    )


def order_addresses(infos: Iterable[AddrInfo], preference: str) -> list[AddrInfo]:
    """getaddrinfo() results in the order to try them: stable, one family first, or as given."""
    items = list(infos)
    if preference == "system":
        return items
    first = socket.AF_INET6 if preference == "ipv6first" else socket.AF_INET
    return sorted(items, key=lambda info: info[0] != first)  # stable: keeps resolver order


def normalize_host(host: str) -> str:
    """The host as a lookup key: no IPv6 brackets, no trailing dot, lower case."""
    return host.strip("[]").rstrip(".").lower()


def family_name(family: int) -> str:
    if family == socket.AF_INET6:
        return "ipv6"
    if family == socket.AF_INET:
        return "ipv4"
    return str(family)


def check_url(url: object, field: str) -> str:
    """The URL if it is an absolute http(s) URL with a host, else ValueError naming ``field``."""
    if not isinstance(url, str):
        raise ValueError(f"{field} must be a string (an http:// or https:// URL)")
    parts = urlsplit(url)
    try:
        parts.port  # noqa: B018 - raises ValueError on a non-numeric or out-of-range port
    except ValueError:
        raise ValueError(f"{field} has an invalid port: {url!r}") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"{field} must be an http:// or https:// URL with a host, got {url!r}")
    return url


def _optional(env: Mapping[str, str], name: str) -> str | None:
    value = env.get(name, "").strip()
    return value or None


def _choice(env: Mapping[str, str], name: str, allowed: Sequence[str], default: str) -> str:
    value = (_optional(env, name) or default).lower()
    if value not in allowed:
        raise ConfigError(f"{name}={env[name]!r} is not allowed; use one of: {', '.join(allowed)}")
    return value


def _dualstack_services(env: Mapping[str, str]) -> tuple[frozenset[str], bool]:
    """The services to call by their dual-stack names, and whether botocore decides instead."""
    raw = env.get("NATLESS_DUALSTACK_SERVICES", "")
    names = [part.strip().lower() for part in raw.split(",") if part.strip()]
    if DUALSTACK_SDK in names:
        if len(names) > 1:
            raise ConfigError(
                f"NATLESS_DUALSTACK_SERVICES={raw!r}: {DUALSTACK_SDK!r} leaves the choice to "
                "botocore (AWS_USE_DUALSTACK_ENDPOINT) for every service and must stand alone"
            )
        return frozenset(), True
    unknown = [name for name in names if name not in DUALSTACK_CHOICES]
    if unknown:
        raise ConfigError(
            f"NATLESS_DUALSTACK_SERVICES has unknown service(s) {', '.join(unknown)}; "
            f"allowed (comma-separated): {', '.join(DUALSTACK_CHOICES)}, or {DUALSTACK_SDK!r} "
            "alone to let botocore's AWS_USE_DUALSTACK_ENDPOINT decide"
        )
    return frozenset(names), False


def _connect_timeout(env: Mapping[str, str]) -> float:
    raw = _optional(env, "NATLESS_CONNECT_TIMEOUT")
    if raw is None:
        return DEFAULT_CONNECT_TIMEOUT
    try:
        value = float(raw)
    except ValueError:
        value = float("nan")
    if not 0 < value <= MAX_CONNECT_TIMEOUT:  # also false for nan
        raise ConfigError(
            f"NATLESS_CONNECT_TIMEOUT={raw!r} must be a number of seconds in (0, "
            f"{MAX_CONNECT_TIMEOUT:g}]"
        )
    return value


def _public_url(env: Mapping[str, str]) -> str:
    url = _optional(env, "NATLESS_PUBLIC_URL") or DEFAULT_PUBLIC_URL
    try:
        return check_url(url, "NATLESS_PUBLIC_URL")
    except ValueError as exc:
        raise ConfigError(str(exc)) from None
