"""The cost model: fixed and variable USD/month of a configuration carrying a traffic profile.

Prices come from :mod:`natless.cost.pricing`, the services from :mod:`natless.cost.services`,
traffic classes from :mod:`natless.cost.traffic`; a plan becomes a :class:`Topology` in
:mod:`natless.cost.plan.read`, and the patterns side by side are :mod:`natless.cost.patterns`.

Model, in one place:

* Fixed USD/month = NAT gateways x NAT hourly x hours + NAT instances x instance hourly x hours
  + public IPv4 addresses x IPv4 hourly x hours + for every interface endpoint: AZs x endpoint
  hourly x hours. Gateway endpoints and the egress-only internet gateway (EIGW) are priced from
  the data too (both 0).
* A NAT instance (an EC2 instance forwarding for the private subnets, e.g. fck-nat) has no per-GB
  processing charge: traffic through it costs 0/GB before data transfer out, which the internet
  classes still pay as on any internet path. Its public IPv4 address is counted in
  ``public_ipv4``; its root EBS volume is not priced (no sourced gp3 price in the data).
* Traffic is GB/month per destination class (:data:`~natless.cost.traffic.TRAFFIC_CLASSES`).
  Each class takes the cheapest path the configuration offers (:func:`route`); this assumes the
  clients are set up for it (dual-stack endpoints per SDK client, private DNS on interface
  endpoints). A class with no path is *unreachable*: a workload sending it cannot run on that
  configuration.
* S3 and DynamoDB take their gateway endpoint whichever address family the client uses, where the
  endpoint carries it: an S3 gateway endpoint of IP address type ``dualstack`` carries IPv6 too
  (since November 2025, :attr:`~natless.cost.services.Service.gateway_endpoint_ipv6`); DynamoDB's
  carries IPv4 only, so a DynamoDB client on its dual-stack name takes the EIGW instead. Both
  paths are free, so the family changes the path, never the price.
* AWS-service traffic leaving through the EIGW costs 0/GB: the EIGW has no charges and data
  transfer to AWS public endpoints in the same region is free. Only the internet classes pay
  data transfer out (DTO); the free allowance applies once, to their sum, then the tiers.
* Not in the totals: cross-AZ data transfer to a NAT gateway or NAT instance in another AZ
  (``inter_az_gb``; ``natless advise`` states it), request charges of the services themselves.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from natless.cost.money import ZERO, plain, usd
from natless.cost.pricing import (
    ARCHITECTURES,
    DEFAULT_NAT_INSTANCE_SIZE,
    LambdaUsage,
    RegionPrices,
    data_transfer_out,
    hourly_monthly,
    interface_endpoint_monthly,
    lambda_monthly,
    nat_gateway_monthly,
    nat_instance_monthly,
    public_ipv4_monthly,
)
from natless.cost.services import GATEWAY_SERVICES, Catalog
from natless.cost.traffic import INTERNET_CLASSES, TRAFFIC_CLASSES
from natless.errors import UserError

DEFAULT_AZS = 2
# Availability zones of each priced region as AWS's "Regions and Zones" page lists them
# (us-east-1 use1-az1..az6, eu-central-1 euc1-az1..az3, ap-southeast-1 apse1-az1..az3); an
# upper bound for the cost model only: dual-stack-vpc checks the live count at plan time. A region
# that natless/cost/data/pricing.json gains without an entry here is bounded by MAX_AZS.
REGION_AZS = {"us-east-1": 6, "eu-central-1": 3, "ap-southeast-1": 3}
MAX_AZS = max(REGION_AZS.values())
# The split pattern's function: at most 10^12 invocations a month (over 380,000 a second, all
# month; larger counts are typos and overflow the price arithmetic) and Lambda's limits.
MAX_INVOCATIONS = 10**12
MAX_DURATION_MS = Decimal(900_000)  # Lambda's 15-minute timeout
MEMORY_MB = (128, 10240)


def check_azs(azs: int, region: str | None, what: str = "--azs") -> int:
    """``azs`` if it is 1..the AZ count of ``region`` (unknown or None: MAX_AZS); else UserError."""
    if azs < 1:
        raise UserError(f"{what} must be >= 1, got {azs}")
    limit = REGION_AZS.get(region or "", MAX_AZS)
    if azs > limit:
        where = (
            f"{region} has {limit} availability zones"
            if region in REGION_AZS
            else f"no priced region has more than {MAX_AZS} availability zones"
        )
        raise UserError(f"{what} must be 1..{limit} ({where}), got {azs}")
    return azs


def lambda_usage(
    invocations: int, duration_ms: Decimal, memory_mb: int, arch: str, names: Mapping[str, str]
) -> LambdaUsage:
    """A :class:`LambdaUsage` within Lambda's limits; errors name ``names[field]`` (a flag)."""
    if not 0 <= invocations <= MAX_INVOCATIONS:
        raise UserError(
            f"{names['invocations']} must be 0..{MAX_INVOCATIONS:,} per month, got {invocations}"
        )
    duration = Decimal(duration_ms)
    if not duration.is_finite() or not 0 < duration <= MAX_DURATION_MS:
        raise UserError(
            f"{names['duration_ms']} must be more than 0 and at most {MAX_DURATION_MS} ms "
            f"(Lambda's 15-minute timeout), got {duration_ms}"
        )
    if not MEMORY_MB[0] <= memory_mb <= MEMORY_MB[1]:
        raise UserError(
            f"{names['memory_mb']} must be {MEMORY_MB[0]}..{MEMORY_MB[1]} MB (Lambda memory), "
            f"got {memory_mb}"
        )
    if arch not in ARCHITECTURES:
        raise UserError(f"{names['arch']} must be one of {', '.join(ARCHITECTURES)}, got {arch!r}")
    return LambdaUsage(invocations, duration, memory_mb, arch)


# ---------------------------------------------------------------------------------------------
# Topology and paths
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Endpoint:
    """An interface endpoint: one service, network interfaces in ``azs`` AZs."""

    service: str
    azs: int


@dataclass(frozen=True)
class Topology:
    """What a configuration offers for egress: read from a plan or built for a pattern."""

    azs: int
    in_vpc: bool = True
    nat_gateways: int = 0
    public_ipv4: int = 0
    egress_only_gateways: int = 0
    gateway_endpoints: frozenset[str] = frozenset()
    interface_endpoints: tuple[Endpoint, ...] = ()
    split: LambdaUsage | None = None  # a public function outside the VPC makes IPv4-only calls
    nat_instances: int = 0  # EC2 NAT instances (each needs its public IPv4: count it there)
    nat_instance_size: str = DEFAULT_NAT_INSTANCE_SIZE


@dataclass(frozen=True)
class EgressPath:
    """How one traffic class leaves, and what it costs per GB before data transfer out."""

    via: str
    usd_per_gb: Decimal
    internet: bool = False

    def describe(self) -> str:
        return f"{self.via} + internet DTO" if self.internet else self.via


def _interface_for(topology: Topology, catalog: Catalog, *, ipv6: bool) -> bool:
    """Whether an interface endpoint exists for some non-gateway service with(out) IPv6."""
    for endpoint in topology.interface_endpoints:
        service = catalog.get(endpoint.service)
        if service and service.name not in GATEWAY_SERVICES and service.ipv6 == ipv6:
            return True
    return False


def _paths(
    topology: Topology, traffic_class: str, prices: RegionPrices, catalog: Catalog
) -> Iterator[EgressPath]:
    internet = traffic_class in INTERNET_CLASSES
    if not topology.in_vpc:
        yield EgressPath("Lambda service network (no VPC)", ZERO, internet)
        return
    eigw = topology.egress_only_gateways > 0
    if traffic_class in GATEWAY_SERVICES:
        if traffic_class in topology.gateway_endpoints:
            yield EgressPath("gateway endpoint", prices.gateway_endpoint_gb)
        if eigw and catalog.service(traffic_class).ipv6:
            yield EgressPath(
                "egress-only gateway (dual-stack endpoint)", prices.egress_only_gateway_gb
            )
        if any(e.service == traffic_class for e in topology.interface_endpoints):
            yield EgressPath("interface endpoint", prices.interface_endpoint_gb)
    elif traffic_class == "aws_ipv6":
        if eigw:
            yield EgressPath("egress-only internet gateway", prices.egress_only_gateway_gb)
        if _interface_for(topology, catalog, ipv6=True):
            yield EgressPath("interface endpoint", prices.interface_endpoint_gb)
    elif traffic_class == "aws_ipv4_only":
        if _interface_for(topology, catalog, ipv6=False):
            yield EgressPath("interface endpoint", prices.interface_endpoint_gb)
    elif traffic_class == "internet_ipv6":
        if eigw:
            yield EgressPath("egress-only internet gateway", prices.egress_only_gateway_gb, True)
    elif traffic_class == "internet_ipv4_only" and topology.split is not None:
        yield EgressPath("public function outside the VPC", ZERO, True)
    if topology.nat_instances:
        # no per-GB processing charge; listed after the free paths above so they win a tie
        yield EgressPath(f"NAT instance ({topology.nat_instance_size})", ZERO, internet)
    if topology.nat_gateways:
        yield EgressPath("NAT gateway", prices.nat_gateway_gb, internet)


def route(
    topology: Topology, traffic_class: str, prices: RegionPrices, catalog: Catalog
) -> EgressPath | None:
    """The cheapest path for ``traffic_class`` (first listed wins a tie), or None: unreachable."""
    if traffic_class not in TRAFFIC_CLASSES:
        raise ValueError(f"unknown traffic class {traffic_class!r}")
    candidates = list(_paths(topology, traffic_class, prices, catalog))
    return min(candidates, key=lambda path: path.usd_per_gb) if candidates else None


# ---------------------------------------------------------------------------------------------
# Estimate
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LineItem:
    label: str
    count: int
    azs: int | None
    usd: Decimal


@dataclass(frozen=True)
class ClassCost:
    traffic_class: str
    gb: Decimal
    path: EgressPath | None
    usd: Decimal  # along the path, before data transfer out


@dataclass(frozen=True)
class Estimate:
    fixed: tuple[LineItem, ...]
    classes: tuple[ClassCost, ...]
    internet_gb: Decimal
    dto_free_gb: Decimal
    dto_usd: Decimal
    split_usd: Decimal  # the extra public function of the split pattern, per month
    split: LambdaUsage | None = None

    @property
    def fixed_usd(self) -> Decimal:
        return sum((item.usd for item in self.fixed), ZERO)

    @property
    def variable_usd(self) -> Decimal:
        return sum((c.usd for c in self.classes), ZERO) + self.dto_usd + self.split_usd

    @property
    def total_usd(self) -> Decimal:
        return self.fixed_usd + self.variable_usd

    @property
    def cannot_serve(self) -> tuple[str, ...]:
        """Classes this configuration has no path for, whatever the volume."""
        return tuple(c.traffic_class for c in self.classes if c.path is None)

    @property
    def unreachable(self) -> tuple[str, ...]:
        """Classes with traffic and no path: the workload cannot run on this configuration."""
        return tuple(c.traffic_class for c in self.classes if c.path is None and c.gb > 0)

    def path_of(self, traffic_class: str) -> EgressPath | None:
        return next(c.path for c in self.classes if c.traffic_class == traffic_class)

    def as_json(self) -> dict[str, Any]:
        return {
            "fixed": [
                {"item": i.label, "count": i.count, "azs": i.azs, "usd": usd(i.usd)}
                for i in self.fixed
            ],
            "traffic": [
                {
                    "class": c.traffic_class,
                    "gb": plain(c.gb),
                    "path": c.path.describe() if c.path else None,
                    "usd_per_gb": plain(c.path.usd_per_gb) if c.path else None,
                    "usd": usd(c.usd),
                }
                for c in self.classes
            ],
            "data_transfer_out": {
                "gb": plain(self.internet_gb),
                "free_gb": plain(self.dto_free_gb),
                "usd": usd(self.dto_usd),
            },
            "split_function": (
                {"usage": self.split.describe(), "usd": usd(self.split_usd)} if self.split else None
            ),
            "fixed_usd": usd(self.fixed_usd),
            "variable_usd": usd(self.variable_usd),
            "total_usd": usd(self.total_usd),
            "cannot_serve": list(self.cannot_serve),
            "unreachable": list(self.unreachable),
        }


def fixed_items(topology: Topology, prices: RegionPrices) -> tuple[LineItem, ...]:
    items: list[LineItem] = []
    if topology.nat_gateways:
        count = topology.nat_gateways
        items.append(LineItem("NAT gateway", count, None, nat_gateway_monthly(prices, count)))
    if topology.nat_instances:
        count, size = topology.nat_instances, topology.nat_instance_size
        cost = nat_instance_monthly(prices, count, size)
        items.append(LineItem(f"NAT instance {size}", count, None, cost))
    if topology.public_ipv4:
        count = topology.public_ipv4
        items.append(
            LineItem("public IPv4 address", count, None, public_ipv4_monthly(prices, count))
        )
    for endpoint in topology.interface_endpoints:
        cost = interface_endpoint_monthly(prices, endpoint.azs)
        items.append(LineItem(f"interface endpoint {endpoint.service}", 1, endpoint.azs, cost))
    for service in sorted(topology.gateway_endpoints):
        cost = hourly_monthly(prices, prices.gateway_endpoint_hour)
        items.append(LineItem(f"gateway endpoint {service}", 1, None, cost))
    if topology.egress_only_gateways:
        count = topology.egress_only_gateways
        cost = hourly_monthly(prices, prices.egress_only_gateway_hour, count)
        items.append(LineItem("egress-only internet gateway", count, None, cost))
    return tuple(items)


def estimate(
    topology: Topology,
    traffic: Mapping[str, Decimal],
    prices: RegionPrices,
    catalog: Catalog,
) -> Estimate:
    """Fixed and variable USD/month of ``topology`` carrying ``traffic`` (GB/month per class)."""
    classes: list[ClassCost] = []
    internet_gb = ZERO
    for traffic_class in TRAFFIC_CLASSES:
        gb = traffic.get(traffic_class, ZERO)
        path = route(topology, traffic_class, prices, catalog)
        cost = gb * path.usd_per_gb if path else ZERO
        if path and path.internet:
            internet_gb += gb
        classes.append(ClassCost(traffic_class, gb, path, cost))
    split_usd = lambda_monthly(prices, topology.split) if topology.split else ZERO
    return Estimate(
        fixed=fixed_items(topology, prices),
        classes=tuple(classes),
        internet_gb=internet_gb,
        dto_free_gb=prices.dto_free_gb,
        dto_usd=data_transfer_out(prices, internet_gb),
        split_usd=split_usd,
        split=topology.split,
    )
