"""The audit's figures and migration plan: what each VPC pays for NAT, where that traffic goes,
what its functions need, and the steps that move the traffic off the NAT, ordered by saving.

Everything here is computation on an :class:`~natless.audit.inventory.Inventory` and one flow-log
:class:`~natless.audit.flowlogs.Breakdown` per VPC (None when the VPC has no readable flow logs),
so tests build both by hand.

Conventions, in one place:

* A window of ``window_days`` is scaled to a month of ``hours_per_month`` (730 h in
  natless/cost/data/pricing.json): x 730 / (window_days x 24).
* GB = 2^30 bytes. natless's cost model counts 1 GB = 1024 MB (``natless.cost.advise``; its
  internet tiers are 10,240 GB = 10 TB), and AWS meters NAT processing and data transfer in
  these binary GB. Were it 10^9 bytes, every per-GB figure here would be 7.4 % higher.
* A NAT gateway's processing is priced from its CloudWatch bytes (``NatGateway.bytes_processed``);
  a step's saving from the flow-log bytes of the traffic classes it moves. Data transfer out to
  the internet is billed the same through a NAT or an egress-only gateway, so no step saves it.
* A removed NAT's AZ keeps reaching the kept NAT across AZs: its share of the IPv4-only bytes
  (pro rata to its CloudWatch bytes) pays ``inter_az_gb`` each way, as ``natless advise`` counts.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from natless.audit.inventory import Function, Inventory, NatGateway, Problem, Vpc
from natless.cost.money import ZERO, plain, usd
from natless.cost.pricing import (
    DEFAULT_NAT_INSTANCE_SIZE,
    RegionPrices,
    nat_gateway_monthly,
    nat_instance_monthly,
    public_ipv4_monthly,
)
from natless.cost.services import GATEWAY_SERVICES, Catalog
from natless.cost.traffic import TRAFFIC_CLASSES

if TYPE_CHECKING:
    from natless.audit.flowlogs import Breakdown

GB = Decimal(2**30)
HOURS_PER_DAY = 24
# Classes that leave the NAT once a function is in dual-stack subnets with per-client
# dual-stack endpoints (S3 and DynamoDB take their gateway endpoints instead).
IPV6_CLASSES = ("aws_ipv6", "internet_ipv6")
IPV4_ONLY_CLASSES = ("aws_ipv4_only", "internet_ipv4_only")
# How each class can leave once the plan is done, for the report.
WAY_OUT = {
    "s3": "S3 gateway endpoint (free)",
    "dynamodb": "DynamoDB gateway endpoint (free)",
    "aws_ipv6": "egress-only gateway over IPv6 (free)",
    "aws_ipv4_only": "NAT, or an interface endpoint per service",
    "internet_ipv6": "egress-only gateway over IPv6 (free; data transfer out still billed)",
    "internet_ipv4_only": "NAT (gateway or instance)",
}
HAS_IPV6 = {"s3": True, "dynamodb": True, "aws_ipv6": True, "aws_ipv4_only": False}
SHOWN_HOSTS = 5  # destinations named in a step's title; the evidence lists them all
CONNECT_TIMEOUT_S = 2
FLOW_LOG_FORMAT_NOTE = "AWS's default format (version 2 fields)"


def month_factor(prices: RegionPrices, window_days: int) -> Decimal:
    """Months per window: 730 h / (days x 24 h)."""
    return prices.hours_per_month / (Decimal(window_days) * HOURS_PER_DAY)


def gb_per_month(bytes_window: int, prices: RegionPrices, window_days: int) -> Decimal:
    """Bytes over the window as GB (2^30 bytes) per month."""
    return Decimal(bytes_window) / GB * month_factor(prices, window_days)


# ---------------------------------------------------------------------------------------------
# Result types
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class NatCost:
    id: str
    az: str
    connectivity: str
    public_ips: int
    fixed_usd: Decimal  # hours + its public IPv4 addresses, a month
    bytes_window: int | None  # CloudWatch, over the window; None: not readable
    gb_month: Decimal | None
    processing_usd: Decimal | None

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "az": self.az,
            "connectivity": self.connectivity,
            "public_ips": self.public_ips,
            "fixed_usd_month": usd(self.fixed_usd),
            "bytes_window": self.bytes_window,
            "gb_month": None if self.gb_month is None else plain(round(self.gb_month, 6)),
            "processing_usd_month": None
            if self.processing_usd is None
            else usd(self.processing_usd),
        }


@dataclass(frozen=True)
class ClassTraffic:
    """One traffic class of the NAT's flow-log bytes."""

    traffic_class: str
    bytes_window: int
    gb_month: Decimal
    nat_usd: Decimal  # its NAT processing a month
    has_ipv6: bool | None  # the class has an IPv6 way out (None: per host, see destinations)
    way_out: str

    def as_json(self) -> dict[str, Any]:
        return {
            "class": self.traffic_class,
            "bytes_window": self.bytes_window,
            "gb_month": plain(round(self.gb_month, 6)),
            "nat_processing_usd_month": usd(self.nat_usd),
            "has_ipv6": self.has_ipv6,
            "way_out": self.way_out,
        }


@dataclass(frozen=True)
class DestinationTraffic:
    address: str
    label: str
    traffic_class: str
    ipv6: bool | None
    evidence: str
    bytes_window: int
    gb_month: Decimal

    def as_json(self) -> dict[str, Any]:
        return {
            "address": self.address,
            "label": self.label,
            "class": self.traffic_class,
            "ipv6": self.ipv6,
            "evidence": self.evidence,
            "bytes_window": self.bytes_window,
            "gb_month": plain(round(self.gb_month, 6)),
        }


@dataclass(frozen=True)
class FunctionSubnet:
    id: str
    az: str
    dual_stack: bool
    ipv4_default: str | None  # where 0.0.0.0/0 goes: nat-..., igw-..., None (nowhere)


@dataclass(frozen=True)
class FunctionFinding:
    name: str
    runtime: str | None
    subnets: tuple[FunctionSubnet, ...]
    ipv6_allowed_for_dual_stack: bool
    sg_ipv6_egress: tuple[str, ...]  # IPv6 CIDRs its security groups let out
    uses_nat: bool  # a subnet of it sends 0.0.0.0/0 to a NAT gateway
    ipv6_ready: bool  # dual-stack subnets + ipv6_allowed_for_dual_stack + ::/0 egress
    sdk: tuple[str, ...]  # the SDK settings it needs, one line each

    def as_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "runtime": self.runtime,
            "subnets": [
                {"id": s.id, "az": s.az, "dual_stack": s.dual_stack, "ipv4_default": s.ipv4_default}
                for s in self.subnets
            ],
            "ipv6_allowed_for_dual_stack": self.ipv6_allowed_for_dual_stack,
            "sg_ipv6_egress": list(self.sg_ipv6_egress),
            "uses_nat": self.uses_nat,
            "ipv6_ready": self.ipv6_ready,
            "sdk": list(self.sdk),
        }


@dataclass(frozen=True)
class Step:
    """One migration step: what to do with which module, what it saves, and why we think so."""

    key: str  # "gateway-endpoints", "dual-stack", "nat-remove:nat-...", "nat-instance:nat-..."
    title: str
    saving_usd: Decimal  # net a month: what it removes minus what it adds
    adds_usd: Decimal  # what it adds a month (inter-AZ transfer, a NAT instance), in the net
    module: str | None  # "modules/vpc-endpoints", or None when no natless module does it
    inputs: Mapping[str, Any]  # the module's inputs to set
    evidence: tuple[str, ...]
    requires: tuple[str, ...] = ()  # keys of steps that must come first
    alternative: bool = False  # an option instead of the plan (not in the "after" total)

    def as_json(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "title": self.title,
            "saving_usd_month": usd(self.saving_usd),
            "adds_usd_month": usd(self.adds_usd),
            "module": self.module,
            "inputs": dict(self.inputs),
            "evidence": list(self.evidence),
            "requires": list(self.requires),
            "alternative": self.alternative,
        }


@dataclass(frozen=True)
class VpcPlan:
    vpc_id: str
    ipv4_cidrs: tuple[str, ...]
    ipv6_cidrs: tuple[str, ...]
    nats: tuple[NatCost, ...]
    flow_logs: str  # how the traffic was classified, or why it was not
    traffic: tuple[ClassTraffic, ...] | None  # None: no flow logs read
    destinations: tuple[DestinationTraffic, ...]
    unclassified_bytes_window: int | None  # NAT bytes (CloudWatch) the flow logs do not explain
    functions: tuple[FunctionFinding, ...]
    steps: tuple[Step, ...]
    before_usd: Decimal
    after_usd: Decimal
    notes: tuple[str, ...] = ()

    @property
    def nat_fixed_usd(self) -> Decimal:
        return sum((n.fixed_usd for n in self.nats), ZERO)

    @property
    def nat_processing_usd(self) -> Decimal:
        return sum((n.processing_usd or ZERO for n in self.nats), ZERO)

    @property
    def nat_bytes_window(self) -> int | None:
        known = [n.bytes_window for n in self.nats if n.bytes_window is not None]
        return sum(known) if known else None

    def as_json(self) -> dict[str, Any]:
        return {
            "vpc_id": self.vpc_id,
            "ipv4_cidrs": list(self.ipv4_cidrs),
            "ipv6_cidrs": list(self.ipv6_cidrs),
            "nat_gateways": [n.as_json() for n in self.nats],
            "nat_bytes_window": self.nat_bytes_window,
            "nat_fixed_usd_month": usd(self.nat_fixed_usd),
            "nat_processing_usd_month": usd(self.nat_processing_usd),
            "flow_logs": self.flow_logs,
            "traffic": None if self.traffic is None else [t.as_json() for t in self.traffic],
            "destinations": [d.as_json() for d in self.destinations],
            "unclassified_bytes_window": self.unclassified_bytes_window,
            "functions": [f.as_json() for f in self.functions],
            "steps": [s.as_json() for s in self.steps],
            "before_usd_month": usd(self.before_usd),
            "after_usd_month": usd(self.after_usd),
            "notes": list(self.notes),
        }


@dataclass(frozen=True)
class AuditPlan:
    region: str
    window_days: int
    prices_as_of: str
    vpcs: tuple[VpcPlan, ...]
    problems: tuple[Problem, ...]
    context: tuple[str, ...] = ()  # what the figures do and do not show
    details: Mapping[str, Any] = field(default_factory=dict)  # method used, ip-ranges date, ...

    @property
    def before_usd(self) -> Decimal:
        return sum((v.before_usd for v in self.vpcs), ZERO)

    @property
    def after_usd(self) -> Decimal:
        return sum((v.after_usd for v in self.vpcs), ZERO)

    def as_json(self) -> dict[str, Any]:
        return {
            "region": self.region,
            "window_days": self.window_days,
            "gb": "2^30 bytes",
            "month_hours": "730 (window scaled by 730 / (days x 24))",
            "prices_as_of": self.prices_as_of,
            "vpcs": [v.as_json() for v in self.vpcs],
            "before_usd_month": usd(self.before_usd),
            "after_usd_month": usd(self.after_usd),
            "problems": [{"call": p.call, "message": p.message} for p in self.problems],
            "context": list(self.context),
            "details": dict(self.details),
        }


# ---------------------------------------------------------------------------------------------
# NAT gateways and traffic
# ---------------------------------------------------------------------------------------------


def nat_cost(nat: NatGateway, prices: RegionPrices, window_days: int) -> NatCost:
    fixed = nat_gateway_monthly(prices) + public_ipv4_monthly(prices, len(nat.public_ips))
    gb = None
    processing = None
    if nat.bytes_processed is not None:
        gb = gb_per_month(nat.bytes_processed, prices, window_days)
        processing = gb * prices.nat_gateway_gb
    return NatCost(
        nat.id, nat.az, nat.connectivity, len(nat.public_ips), fixed, nat.bytes_processed, gb,
        processing,
    )  # fmt: skip


def class_traffic(
    breakdown: Breakdown, prices: RegionPrices, window_days: int
) -> tuple[ClassTraffic, ...]:
    rows = []
    for name in TRAFFIC_CLASSES:
        count = int(breakdown.bytes_by_class.get(name, 0))
        gb = gb_per_month(count, prices, window_days)
        ipv6 = HAS_IPV6.get(name)
        if name == "internet_ipv6":
            ipv6 = True
        elif name == "internet_ipv4_only":
            ipv6 = False
        rows.append(ClassTraffic(name, count, gb, gb * prices.nat_gateway_gb, ipv6, WAY_OUT[name]))
    return tuple(rows)


def destination_traffic(
    breakdown: Breakdown, prices: RegionPrices, window_days: int
) -> tuple[DestinationTraffic, ...]:
    return tuple(
        DestinationTraffic(
            address,
            dest.label,
            dest.traffic_class,
            dest.ipv6,
            dest.evidence,
            int(count),
            gb_per_month(int(count), prices, window_days),
        )
        for address, dest, count in breakdown.destinations
    )


def flow_log_advice(vpc_id: str, region: str) -> str:
    """How to turn flow logs on: one CLI line (the role lets VPC Flow Logs write the group)."""
    return (
        "turn on VPC flow logs to CloudWatch Logs in AWS's default format: aws ec2 "
        f"create-flow-logs --region {region} --resource-type VPC --resource-ids {vpc_id} "
        "--traffic-type ALL --log-destination-type cloud-watch-logs --log-group-name "
        f"/vpc/flow-logs/{vpc_id} --deliver-logs-permission-arn "
        "arn:aws:iam::ACCOUNT:role/ROLE-VPC-FLOW-LOGS-MAY-ASSUME; then audit again after "
        "traffic has flowed (a VPC made with modules/dual-stack-vpc has them: enable_flow_logs "
        "= true, the default)"
    )


# ---------------------------------------------------------------------------------------------
# Functions
# ---------------------------------------------------------------------------------------------


def _ipv4_default(vpc: Vpc, route_table_id: str) -> str | None:
    for table in vpc.route_tables:
        if table.id == route_table_id:
            for route in table.routes:
                if route.destination == "0.0.0.0/0":
                    return route.target
    return None


def _sdk_lines(runtime: str | None, services: Sequence[str], env: Mapping[str, str]) -> list[str]:
    """Per-client dual-stack for ``services`` and a short connect timeout, in the runtime's SDK.

    boto3 has no Happy Eyeballs: when an address family is dead, a call waits for the connect
    timeout (60 s by default) before it tries the next address, so the timeout goes down too.
    """
    names = ", ".join(services) if services else "the dual-stack services it calls"
    lines: list[str] = []
    kind = (runtime or "").rstrip("0123456789.x")
    if kind == "python":
        lines.append(
            f"boto3: clients for {names} with botocore.config.Config("
            f"use_dualstack_endpoint=True, connect_timeout={CONNECT_TIMEOUT_S}, "
            'retries={"max_attempts": 2}); other clients keep Config(connect_timeout='
            f"{CONNECT_TIMEOUT_S}) without dual-stack (boto3 has no Happy Eyeballs: a dead "
            "family waits the 60 s default connect timeout)"
        )
    elif kind == "nodejs":
        lines.append(
            f"AWS SDK for JavaScript v3: clients for {names} with {{ useDualstackEndpoint: true, "
            f"requestHandler: {{ connectionTimeout: {CONNECT_TIMEOUT_S * 1000} }} }} (Node.js 20+ "
            "tries IPv6 and IPv4 side by side: autoSelectFamily)"
        )
    elif kind == "java":
        lines.append(
            f"AWS SDK for Java 2.x: builders for {names} with .dualstackEnabled(true) and an "
            f"HTTP client with connectionTimeout(Duration.ofSeconds({CONNECT_TIMEOUT_S}))"
        )
    elif kind == "dotnet":
        lines.append(
            f"AWS SDK for .NET: client configs for {names} with UseDualstackEndpoint = true "
            f"and a {CONNECT_TIMEOUT_S} s connect timeout"
        )
    elif kind == "ruby":
        lines.append(
            f"AWS SDK for Ruby: clients for {names} with use_dualstack_endpoint: true, "
            f"http_open_timeout: {CONNECT_TIMEOUT_S}"
        )
    else:
        what = "a container image" if runtime is None else f"runtime {runtime}"
        lines.append(
            f"{what}: set dual-stack per SDK client for {names} (each AWS SDK has a "
            f"use-dual-stack client option) and a {CONNECT_TIMEOUT_S} s connect timeout"
        )
    if str(env.get("AWS_USE_DUALSTACK_ENDPOINT", "")).strip().lower() == "true":
        lines.append(
            "remove AWS_USE_DUALSTACK_ENDPOINT=true: it turns dual-stack on for every client, "
            "and services without an IPv6 name (X-Ray, SSM, ...) then fail to connect"
        )
    lines.append(
        "keep the DynamoDB client (and S3, unless its gateway endpoint is dualstack) on its "
        "IPv4 name: the gateway endpoint carries that traffic for free"
    )
    return lines


def function_findings(vpc: Vpc, dual_stack_services: Sequence[str]) -> tuple[FunctionFinding, ...]:
    subnets = {s.id: s for s in vpc.subnets}
    found = []
    for fn in vpc.functions:
        rows = []
        for sid in fn.subnet_ids:
            subnet = subnets.get(sid)
            if subnet is None:
                rows.append(FunctionSubnet(sid, "?", False, None))
                continue
            rows.append(
                FunctionSubnet(
                    sid,
                    subnet.az,
                    subnet.ipv6_cidr is not None,
                    _ipv4_default(vpc, subnet.route_table_id),
                )
            )
        v6_egress = _ipv6_egress(vpc, fn)
        dual = bool(rows) and all(r.dual_stack for r in rows)
        ready = dual and fn.ipv6_allowed_for_dual_stack and "::/0" in v6_egress
        found.append(
            FunctionFinding(
                name=fn.name,
                runtime=fn.runtime,
                subnets=tuple(rows),
                ipv6_allowed_for_dual_stack=fn.ipv6_allowed_for_dual_stack,
                sg_ipv6_egress=v6_egress,
                uses_nat=any((r.ipv4_default or "").startswith("nat-") for r in rows),
                ipv6_ready=ready,
                sdk=tuple(_sdk_lines(fn.runtime, dual_stack_services, fn.environment)),
            )
        )
    return tuple(found)


def _ipv6_egress(vpc: Vpc, fn: Function) -> tuple[str, ...]:
    cidrs: list[str] = []
    for gid in fn.security_group_ids:
        group = vpc.security_groups.get(gid)
        if group is not None:
            cidrs += [c for c in group.ipv6_cidrs if c not in cidrs]
    return tuple(cidrs)


# ---------------------------------------------------------------------------------------------
# The steps
# ---------------------------------------------------------------------------------------------


def _hosts(dests: Sequence[DestinationTraffic], classes: Sequence[str]) -> list[str]:
    """The destinations of ``classes`` by bytes: AWS services by label, hosts by address."""
    names: list[str] = []
    for d in dests:
        if d.traffic_class not in classes:
            continue
        name = d.address if d.traffic_class.startswith("internet") else d.label
        if name not in names:
            names.append(name)
    return names


def _shown(names: Sequence[str]) -> str:
    if len(names) <= SHOWN_HOSTS:
        return ", ".join(names)
    return f"{', '.join(names[:SHOWN_HOSTS])} and {len(names) - SHOWN_HOSTS} more"


def _evidence(dests: Sequence[DestinationTraffic], classes: Sequence[str]) -> list[str]:
    return [
        f"{d.address} ({d.label}): {d.bytes_window:,} bytes in the window, "
        f"{plain(round(d.gb_month, 3))} GB/month; {d.evidence}"
        for d in dests
        if d.traffic_class in classes
    ]


def _nat_tables(vpc: Vpc) -> list[str]:
    """Route tables whose IPv4 default route goes to a NAT gateway."""
    return [
        t.id
        for t in vpc.route_tables
        if any(r.destination == "0.0.0.0/0" and r.target.startswith("nat-") for r in t.routes)
    ]


def free_cidrs(vpc: Vpc, azs: Sequence[str]) -> dict[str, str]:
    """A free IPv4 block per AZ inside the VPC's CIDRs, the size of its largest subnet (at most
    /20, at least /28), for the new dual-stack subnets."""
    used = [ipaddress.ip_network(s.ipv4_cidr) for s in vpc.subnets]
    prefix = min((n.prefixlen for n in used), default=24)
    prefix = min(max(prefix, 20), 28)
    taken = list(used)
    chosen: dict[str, str] = {}
    for az in azs:
        for block in vpc.ipv4_cidrs:
            net = ipaddress.ip_network(block)
            if net.prefixlen > prefix:
                continue
            candidate = next(
                (
                    c
                    for c in net.subnets(new_prefix=prefix)
                    if not any(c.overlaps(t) for t in taken)
                ),
                None,
            )
            if candidate is not None:
                taken.append(candidate)
                chosen[az] = str(candidate)
                break
    return chosen


def _class_usd(traffic: Mapping[str, ClassTraffic], classes: Sequence[str]) -> Decimal:
    return sum((traffic[c].nat_usd for c in classes), ZERO)


def _class_bytes(traffic: Mapping[str, ClassTraffic], classes: Sequence[str]) -> int:
    return sum(traffic[c].bytes_window for c in classes)


def _gateway_step(
    vpc: Vpc,
    traffic: Mapping[str, ClassTraffic],
    dests: Sequence[DestinationTraffic],
    prefix_list_ids: Mapping[str, str],
    prices: RegionPrices,
) -> Step | None:
    services = [s for s in GATEWAY_SERVICES if traffic[s].bytes_window > 0]
    if not services:
        return None
    tables = []
    for tid in _nat_tables(vpc):
        table = next(t for t in vpc.route_tables if t.id == tid)
        destinations = {r.destination for r in table.routes}
        if any(prefix_list_ids.get(s, f"pl-{s}") not in destinations for s in services):
            tables.append(tid)
    if not tables:
        return None
    names = " and ".join("S3" if s == "s3" else "DynamoDB" for s in services)
    saving = _class_usd(traffic, services)
    evidence = [
        f"{s}: {traffic[s].bytes_window:,} bytes through the NAT in the window = "
        f"{plain(round(traffic[s].gb_month, 3))} GB/month x USD {plain(prices.nat_gateway_gb)}/GB"
        f" = USD {usd(traffic[s].nat_usd)}/month"
        for s in services
    ]
    evidence += _evidence(dests, services)
    evidence.append("gateway endpoints cost USD 0 (no hourly or per-GB charge)")
    return Step(
        key="gateway-endpoints",
        title=(
            f"add {names} gateway endpoints to {', '.join(tables)} (modules/vpc-endpoints, "
            f"route_table_ids) saves USD {usd(saving)}/month"
        ),
        saving_usd=saving,
        adds_usd=ZERO,
        module="modules/vpc-endpoints",
        inputs={"vpc_id": vpc.id, "gateway_services": services, "route_table_ids": tables},
        evidence=tuple(evidence),
    )


def _dual_stack_step(
    vpc: Vpc,
    traffic: Mapping[str, ClassTraffic],
    dests: Sequence[DestinationTraffic],
    functions: Sequence[FunctionFinding],
    prices: RegionPrices,
) -> Step | None:
    classes = [c for c in IPV6_CLASSES if traffic[c].bytes_window > 0]
    if not classes:
        return None
    movers = [f for f in functions if f.uses_nat and not f.ipv6_ready]
    saving = _class_usd(traffic, classes)
    targets = _hosts(dests, classes)
    evidence = [
        f"{c}: {traffic[c].bytes_window:,} bytes through the NAT in the window = "
        f"{plain(round(traffic[c].gb_month, 3))} GB/month x USD {plain(prices.nat_gateway_gb)}/GB"
        f" = USD {usd(traffic[c].nat_usd)}/month"
        for c in classes
    ]
    evidence += _evidence(dests, classes)
    evidence.append(
        "the egress-only gateway costs USD 0; internet data transfer out is billed either way"
    )
    if not movers:
        ready = [f.name for f in functions if f.uses_nat]
        return Step(
            key="dual-stack",
            title=(
                f"turn on per-client dual-stack endpoints in {', '.join(ready) or 'the functions'}"
                f" for {_shown(targets)} (already in dual-stack subnets) saves USD "
                f"{usd(saving)}/month"
            ),
            saving_usd=saving,
            adds_usd=ZERO,
            module=None,
            inputs={},
            evidence=tuple(evidence),
        )
    azs = sorted({s.az for f in movers for s in f.subnets if s.az != "?"})
    nat_by_az = {n.az: n.id for n in vpc.nat_gateways if n.connectivity == "public"}
    inputs: dict[str, Any] = {
        "vpc_id": vpc.id,
        "subnets": free_cidrs(vpc, azs),
        "nat_gateway_ids": {az: nat_by_az[az] for az in azs if az in nat_by_az},
    }
    if vpc.ipv6_cidrs:
        inputs["assign_ipv6_cidr_block"] = False
    if vpc.egress_only_gateway_ids:
        inputs["egress_only_internet_gateway_id"] = vpc.egress_only_gateway_ids[0]
    evidence.append(
        "the new subnets keep 0.0.0.0/0 to the NAT of their AZ (nat_gateway_ids), so IPv4-only "
        "calls keep working while the functions move; in each function set "
        "ipv6_allowed_for_dual_stack = true and allow ::/0 on 443 in its security group"
    )
    evidence.append(
        "give the new route tables (the module's private_route_table_ids) the S3 and DynamoDB "
        "gateway endpoints too: modules/vpc-endpoints route_table_ids"
    )
    action = "add IPv6 to" if not vpc.ipv6_cidrs else "add dual-stack subnets to"
    return Step(
        key="dual-stack",
        title=(
            f"{action} {vpc.id} with modules/dual-stack-subnets, move functions "
            f"{', '.join(f.name for f in movers)} (their IPv6-capable destinations "
            f"{_shown(targets)} leave through the egress-only gateway) saves USD "
            f"{usd(saving)}/month"
        ),
        saving_usd=saving,
        adds_usd=ZERO,
        module="modules/dual-stack-subnets",
        inputs=inputs,
        evidence=tuple(evidence),
    )


def _tables_to(vpc: Vpc, nat_id: str) -> list[str]:
    """The route tables that send 0.0.0.0/0 to ``nat_id``."""
    return [
        t.id
        for t in vpc.route_tables
        if any(r.destination == "0.0.0.0/0" and r.target == nat_id for r in t.routes)
    ]


def _repoint(
    vpc: Vpc, nat_id: str, keep_id: str | None, moved: bool
) -> tuple[str | None, dict[str, Any], str]:
    """Where a NAT's routes go when it is removed: module, inputs and the instruction.

    After the dual-stack step the functions sit in subnets of ``modules/dual-stack-subnets``,
    whose ``nat_gateway_ids`` says which NAT each AZ uses. Without it they stay in the VPC's own
    subnets, whose route tables natless did not make: their 0.0.0.0/0 route moves to the kept
    NAT (or goes, with no NAT kept) by hand or in the tool that made the VPC.
    """
    tables = _tables_to(vpc, nat_id)
    if moved:
        az = next(n.az for n in vpc.nat_gateways if n.id == nat_id)
        if keep_id is None:
            return (
                "modules/dual-stack-subnets",
                {"nat_gateway_ids": {}},
                f"drop {az} from nat_gateway_ids",
            )
        return (
            "modules/dual-stack-subnets",
            {"nat_gateway_ids": {az: keep_id}},
            f"nat_gateway_ids: {az} uses {keep_id}",
        )
    if keep_id is None:
        command = "aws ec2 delete-route --route-table-id RTB --destination-cidr-block 0.0.0.0/0"
        inputs: dict[str, Any] = {"route_table_ids": tables}
    else:
        command = (
            "aws ec2 replace-route --route-table-id RTB --destination-cidr-block 0.0.0.0/0 "
            f"--nat-gateway-id {keep_id}"
        )
        inputs = {"route_table_ids": tables, "nat_gateway_id": keep_id}
    return None, inputs, f"for RTB in {', '.join(tables) or 'none'}: {command}"


def _nat_steps(
    vpc: Vpc,
    nats: Sequence[NatCost],
    traffic: Mapping[str, ClassTraffic],
    dests: Sequence[DestinationTraffic],
    unclassified: int,
    prices: RegionPrices,
    window_days: int,
    requires: tuple[str, ...],
) -> tuple[list[Step], list[str]]:
    """Remove every NAT no traffic needs; keep one for IPv4-only traffic (or a NAT instance)."""
    notes: list[str] = []
    public = [n for n in nats if n.connectivity == "public"]
    if not public:
        return [], notes
    remaining = _class_bytes(traffic, IPV4_ONLY_CLASSES) + unclassified
    remaining_gb = gb_per_month(remaining, prices, window_days)
    hosts = _hosts(dests, IPV4_ONLY_CLASSES)
    steps: list[Step] = []
    moved = any(key.startswith("dual-stack") for key in requires)
    if remaining == 0:
        for nat in public:
            module, inputs, how = _repoint(vpc, nat.id, None, moved)
            steps.append(
                Step(
                    key=f"nat-remove:{nat.id}",
                    title=(
                        f"then the NAT {nat.id} in {nat.az} can go (USD {usd(nat.fixed_usd)}"
                        "/month): after the steps above no traffic needs a NAT"
                    ),
                    saving_usd=nat.fixed_usd,
                    adds_usd=ZERO,
                    module=module,
                    inputs=inputs,
                    evidence=(
                        "0 bytes to IPv4-only destinations in the window",
                        f"fixed: USD {usd(nat_gateway_monthly(prices))} hours + USD "
                        f"{usd(public_ipv4_monthly(prices, nat.public_ips))} for "
                        f"{nat.public_ips} public IPv4 address(es) a month",
                        f"{how}; then delete the NAT gateway and release its Elastic IP where "
                        "it is managed (e.g. terraform-aws-modules/vpc: enable_nat_gateway = "
                        "false)",
                    ),
                    requires=requires,
                )
            )
        return steps, notes
    weights = {n.id: n.bytes_window for n in public}
    known = all(w is not None for w in weights.values()) and sum(w or 0 for w in weights.values())
    keep = max(public, key=lambda n: (n.bytes_window or 0, -public.index(n)))
    total_bytes = sum(w or 0 for w in weights.values())
    what = f"the IPv4-only destinations {_shown(hosts)}" if hosts else "unclassified traffic"
    removed: list[str] = []
    for nat in public:
        if nat is keep:
            continue
        share = (
            Decimal(nat.bytes_window or 0) / Decimal(total_bytes)
            if known
            else Decimal(1) / len(public)
        )
        cross = remaining_gb * share * prices.inter_az_gb * 2
        saving = nat.fixed_usd - cross
        if saving <= 0:
            notes.append(
                f"keep {nat.id} in {nat.az}: its AZ's IPv4-only traffic would cost USD "
                f"{usd(cross)}/month across AZs, more than its USD {usd(nat.fixed_usd)} fixed cost"
            )
            continue
        removed.append(nat.id)
        module, inputs, how = _repoint(vpc, nat.id, keep.id, moved)
        steps.append(
            Step(
                key=f"nat-remove:{nat.id}",
                title=(
                    f"then the NAT {nat.id} in {nat.az} can go (USD {usd(saving)}/month net): "
                    f"keep one NAT, {keep.id} in {keep.az}, for {what}"
                ),
                saving_usd=saving,
                adds_usd=cross,
                module=module,
                inputs=inputs,
                evidence=(
                    f"IPv4-only traffic left after the steps above: {remaining:,} bytes in the "
                    f"window = {plain(round(remaining_gb, 3))} GB/month"
                    + (f" (of it {unclassified:,} bytes unclassified)" if unclassified else ""),
                    f"{nat.id}'s share of it, pro rata to its CloudWatch bytes: "
                    f"{plain(round(share * 100, 1))} %, crosses to {keep.az}: USD "
                    f"{plain(prices.inter_az_gb)}/GB each way = USD {usd(cross)}/month",
                    f"fixed: USD {usd(nat.fixed_usd)}/month (hours + public IPv4)",
                    f"{how}; then delete {nat.id} and release its Elastic IP",
                    f"availability: with one NAT, IPv4-only egress stops in every AZ if {keep.az} "
                    "fails",
                    *_evidence(dests, IPV4_ONLY_CLASSES),
                ),
                requires=requires,
            )
        )
    # The kept NAT, or a NAT instance instead of it: no per-GB charge.
    instance = nat_instance_monthly(prices, 1, DEFAULT_NAT_INSTANCE_SIZE) + public_ipv4_monthly(
        prices, 1
    )
    kept_cost = keep.fixed_usd + remaining_gb * prices.nat_gateway_gb
    saving = kept_cost - instance
    if saving > 0:
        steps.append(
            Step(
                key=f"nat-instance:{keep.id}",
                title=(
                    f"or replace the kept NAT {keep.id} with a NAT instance "
                    f"({DEFAULT_NAT_INSTANCE_SIZE}, USD {usd(instance)}/month) for {what}: saves "
                    f"USD {usd(saving)}/month"
                ),
                saving_usd=saving,
                adds_usd=instance,
                module=None,
                inputs={"size": DEFAULT_NAT_INSTANCE_SIZE},
                evidence=(
                    f"NAT gateway: USD {usd(keep.fixed_usd)} fixed + "
                    f"{plain(round(remaining_gb, 3))} GB/month x USD "
                    f"{plain(prices.nat_gateway_gb)}/GB = USD {usd(kept_cost)}/month",
                    f"NAT instance {DEFAULT_NAT_INSTANCE_SIZE}: USD "
                    f"{plain(prices.instance_hour(DEFAULT_NAT_INSTANCE_SIZE))}/h + one public "
                    f"IPv4 = USD {usd(instance)}/month, no per-GB processing charge",
                    "trade-offs: you run and patch it (e.g. fck-nat), its bandwidth is capped by "
                    "its size, and it is one instance in one AZ (`natless cost` compares sizes)",
                ),
                requires=(*requires, *(f"nat-remove:{r}" for r in removed)),
                alternative=True,
            )
        )
    return steps, notes


def order_steps(steps: Sequence[Step]) -> tuple[Step, ...]:
    """By saving, largest first, but never before a step it requires."""
    pending = list(steps)
    placed: list[Step] = []
    keys = {s.key for s in steps}
    while pending:
        ready = [
            s
            for s in pending
            if all(r in {p.key for p in placed} or r not in keys for r in s.requires)
        ]
        pick = max(ready or pending, key=lambda s: (s.saving_usd, -pending.index(s)))
        placed.append(pick)
        pending.remove(pick)
    return tuple(placed)


# ---------------------------------------------------------------------------------------------
# Per VPC and per audit
# ---------------------------------------------------------------------------------------------


def plan_vpc(
    vpc: Vpc,
    breakdown: Breakdown | None,
    *,
    prices: RegionPrices,
    catalog: Catalog,
    window_days: int,
    region: str,
    prefix_list_ids: Mapping[str, str],
    flow_logs: str = "",
) -> VpcPlan:
    """The figures and the plan of one VPC. ``flow_logs``: how its breakdown was read, or why
    there is none (the report prints it)."""
    nats = tuple(nat_cost(n, prices, window_days) for n in vpc.nat_gateways)
    before = sum((n.fixed_usd + (n.processing_usd or ZERO) for n in nats), ZERO)
    notes: list[str] = []
    if breakdown is None:
        no_flows = flow_logs or "no flow logs of this VPC could be read"
        if vpc.nat_gateways:
            known = [n.bytes_window for n in nats if n.bytes_window is not None]
            notes.append(
                f"cannot classify the NAT traffic ({sum(known):,} bytes in the window) by "
                f"destination: {no_flows}; {flow_log_advice(vpc.id, region)}"
            )
        functions = function_findings(vpc, ())
        return VpcPlan(
            vpc.id, vpc.ipv4_cidrs, vpc.ipv6_cidrs, nats, no_flows, None, (), None, functions,
            (), before, before, tuple(notes),
        )  # fmt: skip
    traffic_rows = class_traffic(breakdown, prices, window_days)
    traffic = {t.traffic_class: t for t in traffic_rows}
    dests = destination_traffic(breakdown, prices, window_days)
    classified = sum(t.bytes_window for t in traffic_rows)
    nat_bytes = sum(n.bytes_window for n in nats if n.bytes_window is not None)
    unclassified = max(nat_bytes - classified, 0)
    if unclassified:
        notes.append(
            f"the NAT gateways processed {nat_bytes:,} bytes (CloudWatch) but the flow logs "
            f"explain {classified:,}: {unclassified:,} bytes are unclassified (flow logs "
            "turned on during the window, or records not delivered); they stay on the NAT in "
            "this plan"
        )
    dual_services = [d.label for d in dests if d.traffic_class == "aws_ipv6"]
    functions = function_findings(vpc, list(dict.fromkeys(dual_services)))
    steps: list[Step] = []
    gateway = _gateway_step(vpc, traffic, dests, prefix_list_ids, prices)
    if gateway is not None:
        steps.append(gateway)
    elif any(traffic[s].bytes_window for s in GATEWAY_SERVICES):
        notes.append(
            "S3/DynamoDB traffic crosses the NAT although every NAT route table has the "
            "gateway endpoint: it goes to another region, or the clients use dual-stack names "
            "an IPv4 gateway endpoint does not carry"
        )
    dual = _dual_stack_step(vpc, traffic, dests, functions, prices)
    if dual is not None:
        steps.append(dual)
    nat_steps, nat_notes = _nat_steps(
        vpc, nats, traffic, dests, unclassified, prices, window_days, tuple(s.key for s in steps)
    )
    notes += nat_notes
    ordered = order_steps([*steps, *nat_steps])
    after = before - sum((s.saving_usd for s in ordered if not s.alternative), ZERO)
    return VpcPlan(
        vpc.id, vpc.ipv4_cidrs, vpc.ipv6_cidrs, nats, flow_logs, traffic_rows, dests,
        unclassified, functions, ordered, before, after, tuple(notes),
    )  # fmt: skip


def plan_audit(
    inventory: Inventory,
    breakdowns: Mapping[str, Breakdown | None],
    prices: RegionPrices,
    catalog: Catalog,
    *,
    flow_logs: Mapping[str, str] | None = None,
    context: Sequence[str] = (),
    details: Mapping[str, Any] | None = None,
) -> AuditPlan:
    """Every VPC of ``inventory``; ``breakdowns`` and ``flow_logs`` are keyed by VPC id."""
    flow_logs = flow_logs or {}
    vpcs = tuple(
        plan_vpc(
            vpc,
            breakdowns.get(vpc.id),
            prices=prices,
            catalog=catalog,
            window_days=inventory.window_days,
            region=inventory.region,
            prefix_list_ids=inventory.prefix_list_ids,
            flow_logs=flow_logs.get(vpc.id, ""),
        )
        for vpc in inventory.vpcs
    )
    return AuditPlan(
        region=inventory.region,
        window_days=inventory.window_days,
        prices_as_of=prices.as_of,
        vpcs=vpcs,
        problems=inventory.problems,
        context=tuple(context),
        details=dict(details or {}),
    )
