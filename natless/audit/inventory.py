"""What the audit reads from an account, as plain data: one :class:`Inventory` per region.

:mod:`natless.audit.collect` fills it with read-only calls; the plan and the report only read it,
so both run on data a test can build by hand.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Subnet:
    id: str
    az: str
    ipv4_cidr: str
    ipv6_cidr: str | None  # None: the subnet is IPv4 only
    route_table_id: str  # the explicit association, else the VPC's main table


@dataclass(frozen=True)
class Route:
    destination: str  # a CIDR (IPv4 or IPv6) or a prefix list id (pl-...)
    target: str  # the target's id: igw-, eigw-, nat-, vpce-, local, ...


@dataclass(frozen=True)
class RouteTable:
    id: str
    routes: tuple[Route, ...]
    subnet_ids: tuple[str, ...]
    main: bool


@dataclass(frozen=True)
class NatGateway:
    id: str
    subnet_id: str
    az: str
    private_ips: tuple[str, ...]
    public_ips: tuple[str, ...]
    network_interface_ids: tuple[str, ...]
    connectivity: str  # "public" or "private"
    # Bytes it processed over the window (CloudWatch AWS/NATGateway), None when unreadable.
    bytes_processed: int | None = None


@dataclass(frozen=True)
class SecurityGroupEgress:
    group_id: str
    ipv4_cidrs: tuple[str, ...]
    ipv6_cidrs: tuple[str, ...]
    prefix_list_ids: tuple[str, ...]
    # (protocol, from_port, to_port): "-1" for all protocols, ports None for all ports
    ports: tuple[tuple[str, int | None, int | None], ...]


@dataclass(frozen=True)
class Function:
    name: str
    arn: str
    runtime: str | None  # None for container images
    subnet_ids: tuple[str, ...]
    security_group_ids: tuple[str, ...]
    ipv6_allowed_for_dual_stack: bool
    environment: dict[str, str] = field(default_factory=dict)  # names and values as configured


@dataclass(frozen=True)
class FlowLog:
    id: str
    resource_id: str  # the VPC, subnet or network interface it watches
    destination_type: str  # "cloud-watch-logs", "s3", "kinesis-data-firehose"
    log_group: str | None  # for cloud-watch-logs
    log_format: str  # the format string; AWS's default when the user set none
    traffic_type: str  # ACCEPT, REJECT or ALL


@dataclass(frozen=True)
class Vpc:
    id: str
    ipv4_cidrs: tuple[str, ...]
    ipv6_cidrs: tuple[str, ...]
    subnets: tuple[Subnet, ...]
    route_tables: tuple[RouteTable, ...]
    nat_gateways: tuple[NatGateway, ...]
    gateway_endpoints: dict[str, str]  # service short name ("s3", "dynamodb") -> vpce id
    flow_logs: tuple[FlowLog, ...]
    functions: tuple[Function, ...]
    security_groups: dict[str, SecurityGroupEgress]  # of the functions, by group id
    egress_only_gateway_ids: tuple[str, ...] = ()


@dataclass(frozen=True)
class Problem:
    """A call the audit could not make; it goes on without what that call would have told."""

    call: str  # "ec2:DescribeFlowLogs"
    message: str  # AWS's error code and message


@dataclass(frozen=True)
class Inventory:
    region: str
    window_days: int
    vpcs: tuple[Vpc, ...]
    prefix_lists: dict[str, tuple[str, ...]]  # "s3"/"dynamodb" -> CIDRs of the managed list
    prefix_list_ids: dict[str, str]  # "s3"/"dynamodb" -> pl- id
    problems: tuple[Problem, ...] = ()
