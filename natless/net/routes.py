"""Route matrix: from each subnet of each function, which way does traffic to a destination go?

For every function (Lambda API: its VPC subnets, its security groups and whether it may send IPv6)
and every subnet (EC2 API: the subnet's route table, by explicit association or else the VPC's
main table), the route to each destination is resolved by longest-prefix match, as the VPC router
does. Routes to managed prefix lists (gateway endpoints) are expanded into the lists' CIDRs, IPv4
and IPv6 entries alike. Only EC2 and Lambda read APIs are used, so the same code runs against the
emulator and a real account.

Destinations are represented by one address each. S3 and DynamoDB over IPv4 use an address from
their AWS-managed prefix list in the region (what a client reaching the regional IPv4 name
connects to). Since November 2025 an S3 gateway endpoint of IP address type ``dualstack`` also
carries IPv6 (DynamoDB's gateway endpoint stays IPv4): S3 over IPv6 uses the first IPv6 entry of
S3's prefix list, and its route resolves through the IPv6 entries of the prefix lists the table
sends to the endpoint. When S3's list holds no IPv6 entry (the emulator's lists are IPv4 only) a
fixed S3 dual-stack address stands in, and a table that sends S3's list to a ``dualstack``
gateway endpoint makes the cell *unknown* rather than a guess. An endpoint that reports no
IpAddressType was made without one, and AWS's default is ``ipv4``. The
other destinations (SQS's, the internet's) use documentation addresses (198.51.100.0/24,
2001:db8:ffff::/48): any address outside the VPC and the prefix lists takes the same route unless
a table carries a more specific one, and the lab (:mod:`natless.net.lab`) puts them on
interfaces of its own namespaces.

Two checks beyond the route:

* ``64:ff9b::/96`` (DNS64's NAT64 prefix) ending at an egress-only or internet gateway is a black
  hole: neither translates to IPv4, so connections hang. Only a NAT gateway route translates.
* each cell's address is checked against the function's security-group egress rules (TCP 443):
  a cell the route allows but no egress rule does says so (``security_group == "blocks"``).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from typing import Any

from natless.aws import OTHER_ROUTE_TARGETS
from natless.console.table import aligned
from natless.errors import UserError

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

HTTPS_PORT = 443
NAT64_PREFIX = ipaddress.ip_network("64:ff9b::/96")


@dataclass(frozen=True)
class Destination:
    key: str
    label: str
    family: int
    address: str | None = None  # fixed representative address (family 6: the fallback)
    prefix_list_service: str | None = None  # or: first address of this service's prefix list


DESTINATIONS: tuple[Destination, ...] = (
    Destination("s3-ipv4", "S3 (IPv4)", 4, prefix_list_service="s3"),
    Destination("dynamodb-ipv4", "DynamoDB (IPv4)", 4, prefix_list_service="dynamodb"),
    Destination("s3-ipv6", "S3 (IPv6)", 6, address="2001:db8:ffff::30", prefix_list_service="s3"),
    Destination("sqs-dualstack-ipv6", "SQS dual-stack (IPv6)", 6, address="2001:db8:ffff::80"),
    Destination("internet-ipv6", "IPv6 internet", 6, address="2001:db8:ffff::53"),
    Destination("internet-ipv4", "IPv4 internet", 4, address="198.51.100.53"),
    Destination("nat64", "NAT64 64:ff9b::/96", 6, address="64:ff9b::c633:6435"),
)

# Cell kinds
GATEWAY_ENDPOINT = "gateway-endpoint"
EGRESS_ONLY = "egress-only-gateway"
NAT = "nat-gateway"
INTERNET_GATEWAY = "internet-gateway"
LOCAL = "local"
UNREACHABLE = "unreachable"
BLACK_HOLE = "black-hole"  # a route exists, but nothing at its end delivers (NAT64 to an EIGW)
UNKNOWN = "unknown"  # the read APIs do not say which way it goes (see Cell.note)
AWS_MANAGED = "aws-managed"
OTHER = "other"

# Cell.security_group
SG_ALLOWS = "allows"
SG_BLOCKS = "blocks"

NO_NAT64 = "no NAT64 translator: connections hang"


@dataclass(frozen=True)
class Cell:
    kind: str
    target: str | None = None  # the gateway/endpoint/NAT id, or why unreachable
    destination: str | None = None  # the matched route's destination
    address: str | None = None  # the representative address the route was resolved for
    security_group: str | None = None  # SG_ALLOWS, SG_BLOCKS or None: not evaluated
    note: str | None = None  # why a cell is a black hole, unknown or blocked


@dataclass
class Row:
    function: str
    placement: str  # "vpc" or "aws-managed"
    subnet_id: str | None
    az: str | None
    route_table_id: str | None
    ipv6_allowed: bool | None
    security_group_ids: tuple[str, ...] = ()
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
                    **{
                        k: list(v) if isinstance(v, tuple) else v
                        for k, v in asdict(row).items()
                        if k != "cells"
                    },
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

    def blocked(self, function: str) -> set[str]:
        """Destination keys that some subnet routes but the function's security groups block."""
        return {
            key
            for row in self.rows
            if row.function == function
            for key, cell in row.cells.items()
            if cell.security_group == SG_BLOCKS
        }


def route_target(route: dict[str, Any]) -> Cell:
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
    for key in OTHER_ROUTE_TARGETS:
        if route.get(key):
            return Cell(OTHER, route[key])
    return Cell(OTHER, gateway or None)


def _first_address(net: IPNetwork) -> IPAddress:
    return next(iter(net.hosts()), net.network_address)


class Reader:
    """The EC2 reads of the matrix and the lab (:mod:`natless.net.observe`), one place for both.

    Caches what several rows share (prefix lists, endpoints, security groups); route tables and
    subnets are read afresh on every call, so a lab built after a change sees the change.
    """

    def __init__(self, ec2: Any, region: str) -> None:
        self.ec2 = ec2
        self.region = region
        self._prefix_cidrs: dict[str, list[IPNetwork]] = {}
        self._service_lists: dict[str, str | None] = {}
        self._endpoint_types: dict[str, str | None] = {}
        self._groups: dict[tuple[str, ...], list[dict[str, Any]]] = {}

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

    def service_cidrs(self, service: str, family: int) -> list[IPNetwork]:
        pl = self.service_prefix_list(service)
        return [n for n in (self.prefix_list_cidrs(pl) if pl else []) if n.version == family]

    def address(self, dest: Destination) -> IPAddress | None:
        """The destination's representative address; None: the service has no prefix list."""
        if dest.prefix_list_service:
            cidrs = self.service_cidrs(dest.prefix_list_service, dest.family)
            if cidrs:
                return _first_address(cidrs[0])
        return ipaddress.ip_address(dest.address) if dest.address else None

    def endpoint_ip_type(self, endpoint_id: str) -> str | None:
        """A VPC endpoint's IpAddressType ("ipv4", "dualstack", "ipv6"), None if not reported."""
        if endpoint_id not in self._endpoint_types:
            found = self.ec2.describe_vpc_endpoints(VpcEndpointIds=[endpoint_id])["VpcEndpoints"]
            self._endpoint_types[endpoint_id] = found[0].get("IpAddressType") if found else None
        return self._endpoint_types[endpoint_id]

    def security_groups(self, group_ids: tuple[str, ...]) -> list[dict[str, Any]]:
        if group_ids not in self._groups:
            found = self.ec2.describe_security_groups(GroupIds=list(group_ids))
            self._groups[group_ids] = found["SecurityGroups"]
        return self._groups[group_ids]

    def vpc_cidr(self, vpc_id: str) -> str:
        """The VPC's primary IPv4 block (its base + 2 is the Amazon-provided resolver)."""
        (vpc,) = self.ec2.describe_vpcs(VpcIds=[vpc_id])["Vpcs"]
        return str(vpc["CidrBlock"])

    def subnets(self, subnet_ids: list[str]) -> list[dict[str, Any]]:
        """The subnets, in a stable order: by availability zone, then ID."""
        found = self.ec2.describe_subnets(SubnetIds=subnet_ids)["Subnets"]
        return sorted(found, key=lambda s: (s["AvailabilityZone"], s["SubnetId"]))

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


def _undecided_ipv6_endpoint(
    resolver: Reader, dest: Destination, table: dict[str, Any]
) -> tuple[str, str] | None:
    """(why, endpoint id) when an IPv6 service destination cannot be resolved; else None.

    The gateway endpoint's route is the service's prefix list. When that list holds no IPv6
    entry, an IPv6 address can only be resolved if the endpoint carries IPv4 only: IpAddressType
    "ipv4", or none reported (made without one: AWS's default is "ipv4"). A "dualstack"
    endpoint leaves the cell unknown.
    """
    if dest.family != 6 or not dest.prefix_list_service:
        return None
    pl = resolver.service_prefix_list(dest.prefix_list_service)
    if not pl or resolver.service_cidrs(dest.prefix_list_service, 6):
        return None
    for route in table.get("Routes", []):
        endpoint = route.get("GatewayId", "")
        if route.get("DestinationPrefixListId") != pl or not endpoint.startswith("vpce-"):
            continue
        ip_type = resolver.endpoint_ip_type(endpoint) or "ipv4"
        if ip_type == "ipv4":
            continue
        why = f"{endpoint} is a {ip_type} gateway endpoint and prefix list {pl} lists no IPv6 CIDR"
        return f"{why} (as on the emulator)", endpoint
    return None


def _https_rule(permission: dict[str, Any]) -> bool:
    protocol = str(permission.get("IpProtocol", "")).lower()
    if protocol in ("-1", "all"):
        return True
    if protocol not in ("tcp", "6"):
        return False
    low, high = permission.get("FromPort"), permission.get("ToPort")
    if low is None or high is None or (low == -1 and high == -1):
        return True
    return int(low) <= HTTPS_PORT <= int(high)


def rule_networks(resolver: Reader, permission: dict[str, Any]) -> Iterable[IPNetwork]:
    for item in permission.get("IpRanges", []):
        yield ipaddress.ip_network(item["CidrIp"], strict=False)
    for item in permission.get("Ipv6Ranges", []):
        yield ipaddress.ip_network(item["CidrIpv6"], strict=False)
    for item in permission.get("PrefixListIds", []):
        yield from resolver.prefix_list_cidrs(item["PrefixListId"])


def egress_allows(resolver: Reader, groups: list[dict[str, Any]], address: IPAddress) -> bool:
    """Whether some egress rule of ``groups`` allows TCP 443 to ``address``.

    Security groups are allow-lists: with several groups, any group's rule is enough. Rules that
    name another security group only reach network interfaces in that group, never a service or
    internet address, so they are not counted.
    """
    for group in groups:
        for permission in group.get("IpPermissionsEgress", []):
            if not _https_rule(permission):
                continue
            for net in rule_networks(resolver, permission):
                if net.version == address.version and address in net:
                    return True
    return False


def subnet_ipv6(subnet: dict[str, Any]) -> IPNetwork | None:
    """The subnet's associated IPv6 block (its /64), None without one."""
    for assoc in subnet.get("Ipv6CidrBlockAssociationSet", []):
        if assoc.get("Ipv6CidrBlockState", {}).get("State") == "associated":
            return ipaddress.ip_network(assoc["Ipv6CidrBlock"], strict=False)
    return None


def _resolve_row(
    resolver: Reader,
    row: Row,
    subnet: dict[str, Any],
    table: dict[str, Any],
    destinations: tuple[Destination, ...],
) -> None:
    routes = resolver.expand(table)
    groups = resolver.security_groups(row.security_group_ids) if row.security_group_ids else None
    has_ipv6 = subnet_ipv6(subnet) is not None
    for dest in destinations:
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
            cell, destination = Cell(UNREACHABLE, "no matching route"), None
            otherwise = "no route at all"
        else:
            net, route = match
            cell = route_target(route)
            destination = route.get("DestinationPrefixListId") or str(net)
            otherwise = f"{destination} -> {cell.target}"
        note = None
        kind = cell.kind
        if address in NAT64_PREFIX and kind in (EGRESS_ONLY, INTERNET_GATEWAY):
            kind, note = BLACK_HOLE, f"{cell.target}: {NO_NAT64}"
        elif kind != GATEWAY_ENDPOINT and (
            found := _undecided_ipv6_endpoint(resolver, dest, table)
        ):
            why, endpoint = found
            kind, note = UNKNOWN, f"{why}: it may take {endpoint}, or else {otherwise}"
        elif match is None:
            row.cells[dest.key] = Cell(UNREACHABLE, cell.target, address=str(address))
            continue
        security_group = None
        if groups is not None and kind not in (UNREACHABLE, BLACK_HOLE):
            if egress_allows(resolver, groups, address):
                security_group = SG_ALLOWS
            else:
                security_group = SG_BLOCKS
                blocked = (
                    f"route allows, security group blocks: no egress rule of "
                    f"{', '.join(row.security_group_ids)} allows TCP {HTTPS_PORT} to {address}"
                )
                note = f"{note}; {blocked}" if note else blocked
        row.cells[dest.key] = Cell(
            kind, cell.target, destination, str(address), security_group, note
        )


def route_matrix(
    ec2: Any,
    lambda_client: Any,
    functions: list[str],
    destinations: tuple[Destination, ...] = DESTINATIONS,
    reader: Reader | None = None,
) -> RouteMatrix:
    """Resolve the matrix for the named functions (clients for the same account and region).

    ``destinations`` adds columns (the lab's extra destinations); ``reader`` shares its cache
    with a caller that reads the same account afterwards (the lab).
    """
    if not functions:
        raise UserError("no functions given: name at least one (--function NAME)")
    resolver = reader or Reader(ec2, ec2.meta.region_name)
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
            row.cells = {d.key: Cell(AWS_MANAGED, "Lambda-managed network") for d in destinations}
            rows.append(row)
            continue
        ipv6_allowed = bool(vpc.get("Ipv6AllowedForDualStack"))
        group_ids = tuple(sorted(vpc.get("SecurityGroupIds") or ()))
        for subnet in resolver.subnets(subnet_ids):
            table = resolver.route_table(subnet)
            row = Row(
                name,
                "vpc",
                subnet["SubnetId"],
                subnet["AvailabilityZone"],
                table["RouteTableId"],
                ipv6_allowed,
                group_ids,
            )
            _resolve_row(resolver, row, subnet, table, destinations)
            rows.append(row)
    if all(row.placement == AWS_MANAGED for row in rows):
        raise UserError(
            f"{', '.join(functions)}: not attached to any VPC. Such functions use the "
            "Lambda-managed network (internet access, no private resources); there are no "
            "subnet routes to resolve. Name a function that has a VPC configuration."
        )
    return RouteMatrix(destinations, rows)


_WITH_ID = (GATEWAY_ENDPOINT, EGRESS_ONLY, NAT, INTERNET_GATEWAY, OTHER)
_SHOUTED = {UNREACHABLE: "UNREACHABLE", BLACK_HOLE: "BLACK HOLE", UNKNOWN: "UNKNOWN"}


def cell_text(cell: Cell) -> str:
    """The target's ID where there is one (vpce-, eigw-, nat-, igw- say what it is)."""
    if cell.kind in _WITH_ID and cell.target:
        text = cell.target
    else:
        text = _SHOUTED.get(cell.kind, cell.kind)
    if cell.security_group == SG_BLOCKS:
        text += " (SG blocks)"
    return text


def notes(matrix: RouteMatrix) -> list[str]:
    """One line per distinct explanation (black hole, unknown, blocked), with the subnets."""
    found: dict[tuple[str, str], list[str]] = {}
    for dest in matrix.destinations:
        for row in matrix.rows:
            note = row.cells[dest.key].note
            if note:
                found.setdefault((dest.label, note), []).append(row.subnet_id or row.function)
    return [f"- {label}: {note} ({', '.join(where)})" for (label, note), where in found.items()]


def table_start(matrix: RouteMatrix) -> tuple[list[str], list[list[str]]]:
    """The table's header (one column per function subnet) and its first lines: subnet, AZ,
    route table."""
    header = ["", *(row.function for row in matrix.rows)]
    lines = [
        ["subnet", *(row.subnet_id or "(no VPC)" for row in matrix.rows)],
        ["az", *(row.az or "-" for row in matrix.rows)],
        ["route table", *(row.route_table_id or "-" for row in matrix.rows)],
    ]
    return header, lines


def render(matrix: RouteMatrix) -> str:
    """A terminal table (one column per function subnet, one line per destination) and notes."""
    header, lines = table_start(matrix)
    for dest in matrix.destinations:
        lines.append([dest.label, *(cell_text(row.cells[dest.key]) for row in matrix.rows)])
    return "\n".join([*aligned(header, lines, rule="-"), *notes(matrix)])
