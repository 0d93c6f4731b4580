"""The egress patterns side by side for the same traffic, and where one overtakes another.

A pattern is a :class:`~natless.cost.model.Topology` (:data:`PATTERNS`); each is priced with
:func:`natless.cost.model.estimate`. A break-even is the GB/month of one traffic class at which two
patterns cost the same, the other classes held fixed.

The NAT instance comes in the same two shapes as the NAT gateway, for the same reason: one
(cheapest; its AZ is a single point of failure and the other AZs pay cross-AZ transfer to it) or
one per AZ (survives an AZ failure, no cross-AZ transfer). Each instance has its public IPv4.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from itertools import combinations
from typing import Any

from natless.cost.model import Endpoint, Estimate, Topology, estimate
from natless.cost.money import ZERO, usd
from natless.cost.pricing import DEFAULT_NAT_INSTANCE_SIZE, LambdaUsage, RegionPrices
from natless.cost.services import GATEWAY_SERVICES, Catalog
from natless.cost.traffic import TRAFFIC_CLASSES
from natless.errors import UserError

PATTERNS: Mapping[str, str] = {
    "egress-only": "egress-only gateway + S3/DynamoDB gateway endpoints",
    "nat-single": "one NAT gateway (plus the egress-only base)",
    "nat-per-az": "a NAT gateway in every AZ (plus the egress-only base)",
    "nat-instance-single": "one NAT instance, e.g. fck-nat (plus the egress-only base)",
    "nat-instance-per-az": "a NAT instance in every AZ (plus the egress-only base)",
    "interface-endpoints": "interface endpoints for the IPv4-only services (plus the base)",
    "split": "public function outside the VPC invokes the private one (plus the base)",
}
DEFAULT_ENDPOINT_SERVICES = ("xray", "ssm")


def base_topology(azs: int, **extra: Any) -> Topology:
    """The dual-stack VPC every in-VPC pattern starts from: EIGW + free gateway endpoints."""
    return Topology(
        azs=azs, egress_only_gateways=1, gateway_endpoints=frozenset(GATEWAY_SERVICES), **extra
    )


def egress_topology(
    azs: int,
    *,
    nat_gateways: int = 0,
    endpoint_services: Sequence[str] = (),
    split: LambdaUsage | None = None,
    nat_instances: int = 0,
    nat_instance_size: str = DEFAULT_NAT_INSTANCE_SIZE,
) -> Topology:
    """The base plus what every other pattern adds to it, alone or combined: NAT gateways and NAT
    instances (each with its public IPv4 address), an interface endpoint in every AZ for each of
    ``endpoint_services``, the split's public function."""
    return base_topology(
        azs,
        nat_gateways=nat_gateways,
        public_ipv4=nat_gateways + nat_instances,
        interface_endpoints=tuple(Endpoint(s, azs) for s in endpoint_services),
        split=split,
        nat_instances=nat_instances,
        nat_instance_size=nat_instance_size,
    )


def pattern_topology(
    name: str,
    azs: int,
    services: Sequence[str] = DEFAULT_ENDPOINT_SERVICES,
    split: LambdaUsage | None = None,
    nat_instance_size: str = DEFAULT_NAT_INSTANCE_SIZE,
) -> Topology:
    """Pattern ``name`` of :data:`PATTERNS` in ``azs`` AZs.

    ``services``: the interface-endpoints pattern's endpoints; ``split``: the split pattern's
    public function (default :class:`LambdaUsage`'s defaults); ``nat_instance_size``: the EC2
    size of the NAT instance patterns.
    """
    if azs < 1:
        raise UserError(f"the AZ count must be >= 1, got {azs}")
    if name == "egress-only":
        return egress_topology(azs)
    if name == "nat-single":
        return egress_topology(azs, nat_gateways=1)
    if name == "nat-per-az":
        return egress_topology(azs, nat_gateways=azs)
    if name in ("nat-instance-single", "nat-instance-per-az"):
        count = 1 if name == "nat-instance-single" else azs
        return egress_topology(azs, nat_instances=count, nat_instance_size=nat_instance_size)
    if name == "interface-endpoints":
        return egress_topology(azs, endpoint_services=services)
    if name == "split":
        return egress_topology(azs, split=split or LambdaUsage())
    raise UserError(f"unknown pattern {name!r}; known: {', '.join(PATTERNS)}")


def pattern_topologies(
    azs: int,
    services: Sequence[str],
    split: LambdaUsage,
    nat_instance_size: str = DEFAULT_NAT_INSTANCE_SIZE,
) -> dict[str, Topology]:
    """Every pattern of :data:`PATTERNS`, in its order."""
    return {
        name: pattern_topology(name, azs, services, split, nat_instance_size) for name in PATTERNS
    }


@dataclass(frozen=True)
class BreakEven:
    """Where two options cost the same as one class's GB/month grows (others held fixed)."""

    traffic_class: str
    first: str
    second: str
    gb: Decimal | None  # None: no crossing at a positive volume (parallel, or one always cheaper)
    cheaper_below: str | None  # None only for a tie at every volume
    cheaper_above: str | None

    def describe(self) -> str:
        if self.gb is None:
            if self.cheaper_below is None:
                return f"{self.first} and {self.second} cost the same at every volume"
            return f"{self.cheaper_below} is cheaper at every volume of {self.traffic_class}"
        return (
            f"{self.cheaper_below} is cheaper below {usd(self.gb)} GB/month of "
            f"{self.traffic_class}, {self.cheaper_above} above"
        )

    def as_json(self) -> dict[str, Any]:
        return {
            "class": self.traffic_class,
            "first": self.first,
            "second": self.second,
            "gb": None if self.gb is None else usd(self.gb),  # two places, like money
            "cheaper_below": self.cheaper_below,
            "cheaper_above": self.cheaper_above,
        }


def break_even(
    named: tuple[tuple[str, Topology], tuple[str, Topology]],
    traffic_class: str,
    traffic: Mapping[str, Decimal],
    prices: RegionPrices,
    catalog: Catalog,
) -> BreakEven | None:
    """Solve a1 + b1*x = a2 + b2*x for the GB/month x of ``traffic_class``.

    a = the option's total with that class at 0 and the rest of ``traffic`` as given; b = its
    per-GB rate for the class before data transfer out. DTO is the same for both options (same
    internet volume, same free allowance), so it cancels. None when either option cannot carry
    the class or any other class that has traffic.
    """
    (name1, top1), (name2, top2) = named
    rest = {**traffic, traffic_class: ZERO}
    lines = []
    for top in (top1, top2):
        est = estimate(top, rest, prices, catalog)
        path = est.path_of(traffic_class)
        if path is None or est.unreachable:
            return None
        lines.append((est.total_usd, path.usd_per_gb))
    (a1, b1), (a2, b2) = lines
    lower_fixed = name1 if a1 < a2 else name2 if a2 < a1 else None
    if b1 == b2:
        return BreakEven(traffic_class, name1, name2, None, lower_fixed, lower_fixed)
    crossing = (a2 - a1) / (b1 - b2)
    lower_rate = name1 if b1 < b2 else name2
    if crossing <= 0:
        return BreakEven(traffic_class, name1, name2, None, lower_rate, lower_rate)
    return BreakEven(traffic_class, name1, name2, crossing, lower_fixed, lower_rate)


@dataclass(frozen=True)
class Comparison:
    azs: int
    services: tuple[str, ...]
    split: LambdaUsage
    estimates: Mapping[str, Estimate]
    break_evens: tuple[BreakEven, ...]
    nat_instance_size: str = DEFAULT_NAT_INSTANCE_SIZE

    def as_json(self) -> dict[str, Any]:
        return {
            "azs": self.azs,
            "endpoint_services": list(self.services),
            "split_function": self.split.describe(),
            "nat_instance_size": self.nat_instance_size,
            "patterns": [
                {"pattern": name, "description": PATTERNS[name], **est.as_json()}
                for name, est in self.estimates.items()
            ],
            "break_even": [b.as_json() for b in self.break_evens],
        }


def compare_patterns(
    azs: int,
    traffic: Mapping[str, Decimal],
    prices: RegionPrices,
    catalog: Catalog,
    *,
    services: Sequence[str] = DEFAULT_ENDPOINT_SERVICES,
    split: LambdaUsage | None = None,
    nat_instance_size: str = DEFAULT_NAT_INSTANCE_SIZE,
) -> Comparison:
    """Every pattern of :data:`PATTERNS` for the same traffic, with pairwise break-evens."""
    split = split or LambdaUsage()
    topologies = pattern_topologies(azs, services, split, nat_instance_size)
    estimates = {name: estimate(top, traffic, prices, catalog) for name, top in topologies.items()}
    evens = [
        found
        for pair in combinations(topologies.items(), 2)
        for traffic_class in TRAFFIC_CLASSES
        if (found := break_even(pair, traffic_class, traffic, prices, catalog)) is not None
    ]
    return Comparison(azs, tuple(services), split, estimates, tuple(evens), nat_instance_size)
