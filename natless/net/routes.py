"""Route matrix: from each subnet of each function, which way does traffic to a destination go?

For every function (Lambda API: its VPC subnets and whether it may send IPv6) and every subnet
(EC2 API: the subnet's route table, by explicit association or else the VPC's main table), the
route to each destination is resolved by longest-prefix match, as the VPC router does. Routes to
managed prefix lists (gateway endpoints) are expanded into the lists' CIDRs. Only EC2 and Lambda
read APIs are used, so the same code runs against the emulator and a real account.

Destinations are represented by one address each. S3 and DynamoDB over IPv4 use an address from
their AWS-managed prefix list in the region (what a client reaching the regional IPv4 name
connects to); IPv6 destinations use addresses from Amazon's 2600:1f00::/24 and a public resolver
address: any global address takes the same route unless a table carries a more specific one.
"""

from __future__ import annotations

import ipaddress
from dataclasses import asdict, dataclass, field
from typing import Any

from natless.console.table import aligned
from natless.errors import UserError

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


@dataclass(frozen=True)
class Destination:
    key: str
    label: str
    family: int
    address: str | None = None  # fixed representative address
    prefix_list_service: str | None = None  # or: first address of this service's prefix list


DESTINATIONS: tuple[Destination, ...] = (
    Destination("s3-ipv4", "S3 (IPv4)", 4, prefix_list_service="s3"),
    Destination("dynamodb-ipv4", "DynamoDB (IPv4)", 4, prefix_list_service="dynamodb"),
    Destination("s3-dualstack-ipv6", "S3 dual-stack (IPv6)", 6, address="2600:1fa0:4000::1"),
    Destination("sqs-dualstack-ipv6", "SQS dual-stack (IPv6)", 6, address="2600:1f18:4000::1"),
    Destination("internet-ipv6", "IPv6 internet", 6, address="2001:4860:4860::8888"),
    Destination("internet-ipv4", "IPv4 internet", 4, address="8.8.8.8"),
    Destination("nat64", "NAT64 64:ff9b::/96", 6, address="64:ff9b::808:808"),
)

# Cell kinds
GATEWAY_ENDPOINT = "gateway-endpoint"
EGRESS_ONLY = "egress-only-gateway"
NAT = "nat-gateway"
INTERNET_GATEWAY = "internet-gateway"
LOCAL = "local"
UNREACHABLE = "unreachable"
AWS_MANAGED = "aws-managed"
OTHER = "other"


@dataclass(frozen=True)
class Cell:
    kind: str
    target: str | None = None  # the gateway/endpoint/NAT id, or why unreachable
    destination: str | None = None  # the matched route's destination


@dataclass
class Row:
    function: str
    placement: str  # "vpc" or "aws-managed"
    subnet_id: str | None
    az: str | None
    route_table_id: str | None
    ipv6_allowed: bool | None
    cells: dict[str, Cell] = field(default_factory=dict)


@dataclass
class RouteMatrix:
    destinations: tuple[Destination, ...]
    rows: list[Row]

    def as_json(self) -> dict[str, Any]:
        return {
            "columns": [d.label for d in self.destinations],
            "destinations": [asdict(d) for d in self.destinations],
            "rows": [
                {
                    **{k: v for k, v in asdict(row).items() if k != "cells"},
                    "cells": {d.label: asdict(row.cells[d.key]) for d in self.destinations},
                }
                for row in self.rows
            ],
        }

    def kinds(self, function: str) -> dict[str, set[str]]:
        """For one function: destination key -> the set of cell kinds over its subnets."""
        out: dict[str, set[str]] = {d.key: set() for d in self.destinations}
        for row in self.rows:
            if row.function == function:
                for key, cell in row.cells.items():
                    out[key].add(cell.kind)
        return out


def _target(route: dict[str, Any]) -> Cell:
    if route.get("State") == "blackhole":
        return Cell(UNREACHABLE, "blackhole route")
    gateway = route.get("GatewayId", "")
    if gateway == "local":
        return Cell(LOCAL, "local")
    if gateway.startswith("igw-"):
        return Cell(INTERNET_GATEWAY, gateway)
    if gateway.startswith("vpce-"):
        return Cell(GATEWAY_ENDPOINT, gateway)
    if route.get("EgressOnlyInternetGatewayId"):
        return Cell(EGRESS_ONLY, route["EgressOnlyInternetGatewayId"])
    if route.get("NatGatewayId"):
        return Cell(NAT, route["NatGatewayId"])
    for key in (
        "TransitGatewayId",
        "VpcPeeringConnectionId",
        "NetworkInterfaceId",
        "InstanceId",
        "CarrierGatewayId",
        "LocalGatewayId",
        "CoreNetworkArn",
    ):
        if route.get(key):
            return Cell(OTHER, route[key])
    return Cell(OTHER, gateway or None)


class _Resolver:
    """Caches what several rows share: prefix lists, route tables, subnets."""

    def __init__(self, ec2: Any, region: str) -> None:
        self.ec2 = ec2
        self.region = region
        self._prefix_cidrs: dict[str, list[IPNetwork]] = {}
        self._service_lists: dict[str, str | None] = {}

    def prefix_list_cidrs(self, prefix_list_id: str) -> list[IPNetwork]:
        if prefix_list_id not in self._prefix_cidrs:
            entries = self.ec2.get_managed_prefix_list_entries(PrefixListId=prefix_list_id)
            self._prefix_cidrs[prefix_list_id] = [
                ipaddress.ip_network(e["Cidr"], strict=False) for e in entries["Entries"]
            ]
        return self._prefix_cidrs[prefix_list_id]

    def service_prefix_list(self, service: str) -> str | None:
        if service not in self._service_lists:
            name = f"com.amazonaws.{self.region}.{service}"
            found = self.ec2.describe_managed_prefix_lists(
                Filters=[{"Name": "prefix-list-name", "Values": [name]}]
            )["PrefixLists"]
            self._service_lists[service] = found[0]["PrefixListId"] if found else None
        return self._service_lists[service]

    def address(self, dest: Destination) -> IPAddress | None:
        if dest.address:
            return ipaddress.ip_address(dest.address)
        pl = self.service_prefix_list(dest.prefix_list_service or "")
        cidrs = self.prefix_list_cidrs(pl) if pl else []
        return next(iter(cidrs[0].hosts()), cidrs[0].network_address) if cidrs else None

    def route_table(self, subnet: dict[str, Any]) -> dict[str, Any]:
        explicit = self.ec2.describe_route_tables(
            Filters=[{"Name": "association.subnet-id", "Values": [subnet["SubnetId"]]}]
        )["RouteTables"]
        if explicit:
            return explicit[0]
        main = self.ec2.describe_route_tables(
            Filters=[
                {"Name": "vpc-id", "Values": [subnet["VpcId"]]},
                {"Name": "association.main", "Values": ["true"]},
            ]
        )["RouteTables"]
        if not main:
            raise UserError(f"no route table found for {subnet['SubnetId']} (nor a main table)")
        return main[0]

    def expand(self, table: dict[str, Any]) -> list[tuple[IPNetwork, dict[str, Any]]]:
        """Every (destination network, route) of a table, prefix lists expanded."""
        out: list[tuple[IPNetwork, dict[str, Any]]] = []
        for route in table.get("Routes", []):
            if route.get("DestinationCidrBlock"):
                out.append(
                    (ipaddress.ip_network(route["DestinationCidrBlock"], strict=False), route)
                )
            elif route.get("DestinationIpv6CidrBlock"):
                net = ipaddress.ip_network(route["DestinationIpv6CidrBlock"], strict=False)
                out.append((net, route))
            elif route.get("DestinationPrefixListId"):
                for net in self.prefix_list_cidrs(route["DestinationPrefixListId"]):
                    out.append((net, route))
        return out


def longest_prefix_match(
    routes: list[tuple[IPNetwork, dict[str, Any]]], address: IPAddress
) -> tuple[IPNetwork, dict[str, Any]] | None:
    matches = [(net, r) for net, r in routes if net.version == address.version and address in net]
    return max(matches, key=lambda m: m[0].prefixlen, default=None)


def _resolve_row(
    resolver: _Resolver, row: Row, subnet: dict[str, Any], table: dict[str, Any]
) -> None:
    routes = resolver.expand(table)
    has_ipv6 = bool(
        [
            a
            for a in subnet.get("Ipv6CidrBlockAssociationSet", [])
            if a.get("Ipv6CidrBlockState", {}).get("State") == "associated"
        ]
    )
    for dest in DESTINATIONS:
        if dest.family == 6 and not row.ipv6_allowed:
            row.cells[dest.key] = Cell(UNREACHABLE, "function: Ipv6AllowedForDualStack is off")
            continue
        if dest.family == 6 and not has_ipv6:
            row.cells[dest.key] = Cell(UNREACHABLE, "subnet has no IPv6 block")
            continue
        address = resolver.address(dest)
        if address is None:
            row.cells[dest.key] = Cell(
                UNREACHABLE, f"no prefix list for {dest.prefix_list_service}"
            )
            continue
        match = longest_prefix_match(routes, address)
        if match is None:
            row.cells[dest.key] = Cell(UNREACHABLE, "no matching route")
            continue
        net, route = match
        cell = _target(route)
        destination = route.get("DestinationPrefixListId") or str(net)
        row.cells[dest.key] = Cell(cell.kind, cell.target, destination)


def route_matrix(ec2: Any, lambda_client: Any, functions: list[str]) -> RouteMatrix:
    """Resolve the matrix for the named functions (clients for the same account and region)."""
    if not functions:
        raise UserError("no functions given: name at least one (--function NAME)")
    resolver = _Resolver(ec2, ec2.meta.region_name)
    rows: list[Row] = []
    for name in functions:
        try:
            config = lambda_client.get_function_configuration(FunctionName=name)
        except lambda_client.exceptions.ResourceNotFoundException:
            raise UserError(f"function {name!r} not found in {ec2.meta.region_name}") from None
        vpc = config.get("VpcConfig") or {}
        subnet_ids = vpc.get("SubnetIds") or []
        if not subnet_ids:
            row = Row(name, AWS_MANAGED, None, None, None, None)
            row.cells = {d.key: Cell(AWS_MANAGED, "Lambda-managed network") for d in DESTINATIONS}
            rows.append(row)
            continue
        ipv6_allowed = bool(vpc.get("Ipv6AllowedForDualStack"))
        subnets = ec2.describe_subnets(SubnetIds=subnet_ids)["Subnets"]
        for subnet in sorted(subnets, key=lambda s: (s["AvailabilityZone"], s["SubnetId"])):
            table = resolver.route_table(subnet)
            row = Row(
                name,
                "vpc",
                subnet["SubnetId"],
                subnet["AvailabilityZone"],
                table["RouteTableId"],
                ipv6_allowed,
            )
            _resolve_row(resolver, row, subnet, table)
            rows.append(row)
    if all(row.placement == AWS_MANAGED for row in rows):
        raise UserError(
            f"{', '.join(functions)}: not attached to any VPC. Such functions use the "
            "Lambda-managed network (internet access, no private resources); there are no "
            "subnet routes to resolve. Name a function that has a VPC configuration."
        )
    return RouteMatrix(DESTINATIONS, rows)


_WITH_ID = (GATEWAY_ENDPOINT, EGRESS_ONLY, NAT, INTERNET_GATEWAY, OTHER)


def _cell_text(cell: Cell) -> str:
    """The target's ID where there is one (vpce-, eigw-, nat-, igw- say what it is)."""
    if cell.kind in _WITH_ID and cell.target:
        return cell.target
    return "UNREACHABLE" if cell.kind == UNREACHABLE else cell.kind


def render(matrix: RouteMatrix) -> str:
    """A terminal table: one column per function subnet, one line per destination."""
    header = ["", *(row.function for row in matrix.rows)]
    lines = [
        ["subnet", *(row.subnet_id or "(no VPC)" for row in matrix.rows)],
        ["az", *(row.az or "-" for row in matrix.rows)],
        ["route table", *(row.route_table_id or "-" for row in matrix.rows)],
    ]
    for dest in matrix.destinations:
        lines.append([dest.label, *(_cell_text(row.cells[dest.key]) for row in matrix.rows)])
    return "\n".join(aligned(header, lines, rule="-"))
