"""boto3 clients, created once per container and reused by every invocation.

This module's cache is the function's only cross-invocation state besides the evidence
records: clients keep their connection pools, so warm invocations skip DNS/TCP/TLS setup.
Endpoints come from botocore itself (regional or dual-stack per ``netconf.client_config``, or
botocore's own AWS_USE_DUALSTACK_ENDPOINT with NATLESS_DUALSTACK_SERVICES=sdk, or the standard
AWS_ENDPOINT_URL / AWS_ENDPOINT_URL_<SERVICE> overrides); no endpoint_url is passed.
"""

from __future__ import annotations

from typing import Any

import boto3
import evidence
from netconf import Settings, client_config


class ClientCache:
    def __init__(self) -> None:
        self._session: boto3.session.Session | None = None
        self._clients: dict[tuple[Any, ...], Any] = {}

    def get(self, service: str, settings: Settings) -> Any:
        key = (
            service,
            settings.region,
            service in settings.dualstack,
            settings.dualstack_by_sdk,
            settings.connect_timeout,
            settings.read_timeout,
        )
        client = self._clients.get(key)
        if client is None:
            if self._session is None:
                self._session = boto3.session.Session()
            client = self._session.client(
                service, region_name=settings.region, config=client_config(service, settings)
            )
            evidence.watch_client(client, service)
            self._clients[key] = client
        return client

    def clear(self) -> None:
        self._clients.clear()
        self._session = None


_CACHE = ClientCache()


def get(service: str, settings: Settings) -> Any:
    return _CACHE.get(service, settings)


def reset() -> None:
    """Forget every cached client and the session (tests; a container never needs it)."""
    _CACHE.clear()
