"""The AWS services natless knows (``natless/cost/data/services.json``) as a typed catalog.

For each service: whether it has a dual-stack (IPv6) endpoint, a gateway endpoint (S3 and
DynamoDB only), whether that gateway endpoint also carries IPv6 (S3's with IP address type
``dualstack``, since November 2025; DynamoDB's is IPv4 only) and the PrivateLink name of its
interface endpoint.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from importlib import resources

from natless.errors import UserError

GATEWAY_SERVICES = ("s3", "dynamodb")


@dataclass(frozen=True)
class Service:
    name: str
    title: str
    dualstack_host: str | None
    gateway_endpoint: bool
    interface_endpoint: str | None
    source: str
    note: str | None = None
    gateway_endpoint_ipv6: bool = False  # a dual-stack gateway endpoint also carries IPv6

    @property
    def ipv6(self) -> bool:
        """True when the service has a dual-stack (IPv6) endpoint."""
        return self.dualstack_host is not None

    @property
    def traffic_class(self) -> str:
        if self.name in GATEWAY_SERVICES:
            return self.name
        return "aws_ipv6" if self.ipv6 else "aws_ipv4_only"


@dataclass(frozen=True)
class Catalog:
    """The AWS services natless knows, by canonical name, with their aliases."""

    services: Mapping[str, Service]
    aliases: Mapping[str, str]

    def names(self) -> tuple[str, ...]:
        return tuple(sorted(self.services))

    def get(self, name: str) -> Service | None:
        key = name.strip().lower()
        return self.services.get(self.aliases.get(key, key))

    def service(self, name: str) -> Service:
        """The service called ``name`` (or an alias of it), or a UserError listing known ones."""
        found = self.get(name)
        if found is None:
            raise UserError(
                f"unknown AWS service {name!r}; known services: {', '.join(self.names())} "
                "(aliases: "
                + ", ".join(f"{a}={c}" for a, c in sorted(self.aliases.items()))
                + "; add others to natless/cost/data/services.json)"
            )
        return found

    def by_endpoint(self, suffix: str) -> Service | None:
        """The service whose PrivateLink name ends in ``suffix`` (``ecr.api`` -> ecr)."""
        return next((s for s in self.services.values() if s.interface_endpoint == suffix), None)


def load_catalog(text: str | None = None) -> Catalog:
    """The catalog of ``natless/cost/data/services.json`` (or of ``text``, the same format)."""
    if text is None:
        text = resources.files("natless.cost").joinpath("data", "services.json").read_text("utf-8")
    doc = json.loads(text)
    services: dict[str, Service] = {}
    aliases: dict[str, str] = {}
    for name, entry in doc["services"].items():
        if entry["gateway_endpoint_ipv6"] and not entry["gateway_endpoint"]:
            raise ValueError(
                f"services.json: {name} has gateway_endpoint_ipv6 but no gateway endpoint"
            )
        services[name] = Service(
            name=name,
            title=entry["title"],
            dualstack_host=entry["dualstack_host"],
            gateway_endpoint=bool(entry["gateway_endpoint"]),
            interface_endpoint=entry["interface_endpoint"],
            source=entry["source"],
            note=entry.get("note"),
            gateway_endpoint_ipv6=bool(entry["gateway_endpoint_ipv6"]),
        )
        for alias in entry.get("aliases", []):
            aliases[alias] = name
    return Catalog(services=services, aliases=aliases)


def parse_services(spec: str | Sequence[str], catalog: Catalog) -> tuple[str, ...]:
    """Canonical service names from ``"xray,ssm"`` or a list; unknown names are a UserError."""
    items = spec.split(",") if isinstance(spec, str) else list(spec)
    names: list[str] = []
    for item in items:
        if not isinstance(item, str) or not item.strip():
            continue
        name = catalog.service(item).name
        if name not in names:
            names.append(name)
    return tuple(names)
