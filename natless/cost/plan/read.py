"""Reading a Terraform plan (`terraform show -json PLANFILE`) into its billable egress pieces.

The pieces: public and private NAT gateways, Elastic IPs (public IPv4 addresses), egress-only
internet gateways, gateway endpoints (S3, DynamoDB), interface endpoints with the AZs each spans,
and Lambda functions (in a VPC or not, with ``ipv6_allowed_for_dual_stack`` or not). The AZs are
those of the plan's subnets; the region is the root aws provider's, else that of those AZs.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from natless.cost.model import Endpoint, Topology
from natless.cost.plan.config import ConfigCounter
from natless.cost.plan.resources import Resource, live_resources
from natless.cost.services import GATEWAY_SERVICES, Catalog
from natless.errors import UserError

NOT_A_PLAN = (
    "{path} is not a Terraform plan in JSON; make it with "
    "`terraform show -json PLANFILE > plan.json`"
)
_ENDPOINT_SERVICE = re.compile(r"^com\.amazonaws\.[a-z0-9-]+\.(.+)$")
_AZ = re.compile(r"^([a-z]{2}(?:-[a-z]+)+-\d+)[a-z]$")


def check_plan(doc: object, name: str) -> dict[str, Any]:
    """``doc`` itself when it looks like `terraform show -json PLANFILE`, else a UserError."""
    if isinstance(doc, dict) and "format_version" in doc:
        if "resource_changes" in doc or "planned_values" in doc:
            return doc
        if "values" in doc:
            raise UserError(
                NOT_A_PLAN.format(path=name)
                + " (this is state: `terraform show -json` was run without a plan file)"
            )
    raise UserError(NOT_A_PLAN.format(path=name))


def read_plan(path: Path) -> dict[str, Any]:
    """The plan in ``path``; missing, non-JSON or non-plan files are a UserError."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise UserError(
            f"{path}: no such file; make a plan with `terraform show -json PLANFILE > plan.json`"
        ) from None
    except IsADirectoryError:
        raise UserError(NOT_A_PLAN.format(path=path) + " (it is a directory)") from None
    except UnicodeDecodeError:  # e.g. the binary plan file of `terraform plan -out`
        raise UserError(NOT_A_PLAN.format(path=path)) from None
    except OSError as exc:
        raise UserError(f"cannot read {path}: {exc.strerror}") from None
    try:
        doc = json.loads(text)
    except json.JSONDecodeError:
        raise UserError(NOT_A_PLAN.format(path=path)) from None
    return check_plan(doc, str(path))


@dataclass(frozen=True)
class PlannedEndpoint:
    address: str
    service: str
    azs: int | None
    azs_from: str  # "subnet_ids", "after_unknown", "configuration", "subnet_azs" or "unknown"


@dataclass(frozen=True)
class PlannedFunction:
    address: str
    in_vpc: bool
    ipv6_allowed: bool | None


@dataclass(frozen=True)
class PlanSummary:
    """The billable egress pieces a plan creates or keeps."""

    region: str | None
    azs: int | None
    nat_gateways: int
    private_nat_gateways: int
    elastic_ips: int
    egress_only_gateways: int
    gateway_endpoints: frozenset[str]
    interface_endpoints: tuple[PlannedEndpoint, ...]
    functions: tuple[PlannedFunction, ...]

    @property
    def public_ipv4(self) -> int:
        """Public IPv4 addresses: the plan's EIPs, and at least one per public NAT gateway."""
        return max(self.elastic_ips, self.nat_gateways)

    def topology(self, azs: int) -> Topology:
        """The plan as a :class:`Topology`; endpoints of unknown width count ``azs`` AZs."""
        return Topology(
            azs=azs,
            nat_gateways=self.nat_gateways,
            public_ipv4=self.public_ipv4,
            egress_only_gateways=self.egress_only_gateways,
            gateway_endpoints=self.gateway_endpoints,
            interface_endpoints=tuple(
                Endpoint(e.service, e.azs if e.azs is not None else azs)
                for e in self.interface_endpoints
            ),
        )

    def notes(self, azs: int) -> list[str]:
        notes = [
            f"{e.address}: subnet count not in the plan or its configuration; "
            f"assumed one per AZ ({azs}; --azs to change)"
            for e in self.interface_endpoints
            if e.azs is None
        ]
        if self.private_nat_gateways:
            notes.append(
                f"{self.private_nat_gateways} private NAT gateway(s) not counted: they give no "
                "internet egress (they are still billed per hour and per GB)"
            )
        if self.egress_only_gateways:
            notes.extend(
                f"{f.address} is in a VPC without ipv6_allowed_for_dual_stack: its IPv6 traffic "
                "cannot use the egress-only gateway"
                for f in self.functions
                if f.in_vpc and f.ipv6_allowed is False
            )
        return notes

    def as_json(self) -> dict[str, Any]:
        return {
            "region": self.region,
            "azs": self.azs,
            "nat_gateways": self.nat_gateways,
            "private_nat_gateways": self.private_nat_gateways,
            "elastic_ips": self.elastic_ips,
            "public_ipv4": self.public_ipv4,
            "egress_only_gateways": self.egress_only_gateways,
            "gateway_endpoints": sorted(self.gateway_endpoints),
            "interface_endpoints": [
                {"address": e.address, "service": e.service, "azs": e.azs, "azs_from": e.azs_from}
                for e in self.interface_endpoints
            ],
            "lambda_functions": [
                {"address": f.address, "in_vpc": f.in_vpc, "ipv6_allowed": f.ipv6_allowed}
                for f in self.functions
            ],
        }


def _endpoint_service(after: Mapping[str, Any], catalog: Catalog) -> str:
    match = _ENDPOINT_SERVICE.match(str(after.get("service_name") or ""))
    if match is None:
        return "unknown"
    service = catalog.by_endpoint(match.group(1))
    return service.name if service else match.group(1)


def _endpoint_azs(
    res: Resource, counter: ConfigCounter, resources: Sequence[Resource]
) -> tuple[int | None, str]:
    """How many subnets (one per AZ) an interface endpoint sits in, and where that came from.

    1. ``after.subnet_ids`` when the plan knows the list (unknown elements are null in it);
    2. ``after_unknown.subnet_ids`` when it is a list (known length, unknown IDs);
    3. the ``subnet_ids`` expression in ``configuration`` (see :class:`ConfigCounter`);
    4. the AZs of the ``aws_subnet`` resources that expression draws from, through variables
       and module outputs: an endpoint has at most one subnet per AZ, and takes one in each AZ
       of those subnets in the usual ``[for az in local.azs : aws_subnet.this[...].id]`` (the
       shape of real plans, where the list and its length are unknown until apply);
    5. unknown: the caller assumes one per AZ.
    """
    known = res.after.get("subnet_ids")
    if isinstance(known, list) and known:
        return len(known), "subnet_ids"
    unknown = res.after_unknown.get("subnet_ids")
    if isinstance(unknown, list) and unknown:
        return len(unknown), "after_unknown"
    counted = counter.argument(res, "subnet_ids")
    if counted:
        return counted, "configuration"
    sources = counter.sources(res, "subnet_ids")
    zones = {
        zone
        for r in resources
        if r.type == "aws_subnet" and (r.module, r.type, r.name) in sources
        if (zone := _subnet_zone(r)) is not None
    }
    if zones:
        return len(zones), "subnet_azs"
    return None, "unknown"


def _subnet_zone(res: Resource) -> str | None:
    zone = res.after.get("availability_zone") or res.after.get("availability_zone_id")
    return zone if isinstance(zone, str) and zone else None


def _function(res: Resource) -> PlannedFunction:
    blocks = res.after.get("vpc_config")
    unknown_blocks = res.after_unknown.get("vpc_config")
    block = blocks[0] if isinstance(blocks, list) and blocks else None
    if isinstance(block, dict):
        subnets = block.get("subnet_ids")
        in_vpc = subnets is None or bool(subnets)
        allowed = block.get("ipv6_allowed_for_dual_stack")
        return PlannedFunction(res.address, in_vpc, bool(allowed) if allowed is not None else None)
    in_vpc = isinstance(unknown_blocks, list) and bool(unknown_blocks)
    return PlannedFunction(res.address, in_vpc, None)


def _expression_value(plan: Mapping[str, Any], expr: object) -> object:
    if not isinstance(expr, dict):
        return None
    if "constant_value" in expr:
        return expr["constant_value"]
    refs = expr.get("references") or []
    if len(refs) == 1 and refs[0].startswith("var."):
        return ((plan.get("variables") or {}).get(refs[0][4:]) or {}).get("value")
    return None


def _plan_region(plan: Mapping[str, Any], zones: set[str]) -> str | None:
    """The root aws provider's region; else the region of the subnets' AZs; else None."""
    providers = (plan.get("configuration") or {}).get("provider_config") or {}
    root = providers.get("aws") or {}
    value = _expression_value(plan, (root.get("expressions") or {}).get("region"))
    if isinstance(value, str) and value:
        return value
    regions = {m.group(1) for z in zones if (m := _AZ.match(z))}
    return regions.pop() if len(regions) == 1 else None


def summarize_plan(plan: Mapping[str, Any], catalog: Catalog) -> PlanSummary:
    """Count the billable egress pieces in ``plan`` (a `terraform show -json` document)."""
    plan = check_plan(plan, "the document")
    resources = live_resources(plan)
    counter = ConfigCounter(plan, resources)
    nat = private_nat = eips = eigw = 0
    gateways: set[str] = set()
    endpoints: list[PlannedEndpoint] = []
    functions: list[PlannedFunction] = []
    zones: set[str] = set()
    for res in resources:
        after = res.after
        if res.type == "aws_nat_gateway":
            if after.get("connectivity_type") in (None, "public"):
                nat += 1
            else:
                private_nat += 1
        elif res.type == "aws_eip":
            # every EIP is a VPC address since EC2-Classic ended; only "standard" is not
            if after.get("domain") != "standard":
                eips += 1
        elif res.type == "aws_egress_only_internet_gateway":
            eigw += 1
        elif res.type == "aws_vpc_endpoint":
            kind = after.get("vpc_endpoint_type") or "Gateway"  # the provider's default
            service = _endpoint_service(after, catalog)
            if kind == "Interface":
                azs, source = _endpoint_azs(res, counter, resources)
                endpoints.append(PlannedEndpoint(res.address, service, azs, source))
            elif kind == "Gateway" and service in GATEWAY_SERVICES:
                gateways.add(service)
        elif res.type == "aws_lambda_function":
            functions.append(_function(res))
        elif res.type == "aws_subnet" and (zone := _subnet_zone(res)) is not None:
            zones.add(zone)
    if zones:  # an interface endpoint has at most one subnet per AZ
        endpoints = [
            replace(e, azs=len(zones), azs_from=f"{e.azs_from}, capped at the plan's AZs")
            if e.azs_from == "configuration" and e.azs is not None and e.azs > len(zones)
            else e
            for e in endpoints
        ]
    return PlanSummary(
        region=_plan_region(plan, zones),
        azs=len(zones) or None,
        nat_gateways=nat,
        private_nat_gateways=private_nat,
        elastic_ips=eips,
        egress_only_gateways=eigw,
        gateway_endpoints=frozenset(gateways),
        interface_endpoints=tuple(endpoints),
        functions=tuple(functions),
    )
