"""Recommend an egress pattern for a workload, with prices: each way out priced, not asserted.

The rules, each priced with :mod:`natless.cost.model` rather than asserted:

* no private VPC resources at all: run the function outside any VPC (nothing to pay for egress);
* S3 and DynamoDB: free gateway endpoints (S3's, when dual-stack, carries IPv6 too; DynamoDB's
  carries IPv4 only);
* AWS services with a dual-stack endpoint and IPv6-capable public APIs: the free egress-only
  internet gateway (EIGW);
* AWS services without IPv6 (X-Ray, SSM, ...): an interface endpoint per service per AZ, or a NAT
  gateway, whichever is cheaper at the given volumes (both prices are stated);
* IPv4-only public APIs: a NAT gateway (one, or one per AZ for availability) or the public/private
  split, where a function outside the VPC makes the IPv4 call and invokes the private one (or is
  invoked by it). The split needs the call to be one a function outside the VPC can make, and the
  data crossing between the two functions to fit Lambda's 6 MB synchronous Invoke payload.
* A NAT instance (an EC2 instance such as fck-nat, one or one per AZ) reaches what a NAT gateway
  reaches with no per-GB processing charge, but it is yours to run and patch, a single instance
  per AZ, and its bandwidth is capped by its size. It is always priced and its trade-offs stated
  for IPv4-only traffic; it is recommended only when the workload allows it
  (``nat_instance_allowed``), as the split only when the split is allowed.

Every candidate configuration is priced for the workload; the cheapest that reaches every
destination and meets the constraints (private resources, high availability, split allowed,
NAT instance allowed) wins.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from natless.cost.model import (
    DEFAULT_AZS,
    Estimate,
    Topology,
    check_azs,
    estimate,
    lambda_usage,
)
from natless.cost.money import ZERO, plain, usd
from natless.cost.patterns import break_even, egress_topology, pattern_topology
from natless.cost.pricing import (
    DEFAULT_NAT_INSTANCE_SIZE,
    DEFAULT_REGION,
    LambdaUsage,
    RegionPrices,
    check_instance_size,
    instance_sizes,
    interface_endpoint_monthly,
    nat_instance_monthly,
    public_ipv4_monthly,
)
from natless.cost.services import GATEWAY_SERVICES, Catalog
from natless.cost.traffic import parse_volume
from natless.errors import UserError

SPLIT_PAYLOAD_LIMIT_MB = Decimal(6)
IPV4_CLASSES = frozenset({"aws_ipv4_only", "internet_ipv4_only"})
WORKLOAD_KEYS = (
    "aws",
    "ipv6_api_gb",
    "ipv4_api_gb",
    "private",
    "azs",
    "region",
    "high_availability",
    "split_allowed",
    "nat_instance_allowed",
    "nat_instance_size",
    "invocations",
    "duration_ms",
    "memory_mb",
    "arch",
)


@dataclass(frozen=True)
class Workload:
    """The destinations a function needs, with rough GB/month each."""

    aws: Mapping[str, Decimal] = field(default_factory=dict)  # canonical service name -> GB
    ipv6_api_gb: Decimal | None = None  # None: no IPv6-capable public API needed
    ipv4_api_gb: Decimal | None = None  # None: no IPv4-only public API needed
    private: tuple[str, ...] = ()  # private VPC resources (rds, elasticache, ...)
    azs: int = DEFAULT_AZS
    region: str = DEFAULT_REGION
    high_availability: bool = False
    split_allowed: bool = True
    usage: LambdaUsage = field(default_factory=LambdaUsage)
    # A NAT instance is priced always, recommended only when allowed: running and patching an
    # instance is a choice the user makes, not one a price decides.
    nat_instance_allowed: bool = False
    nat_instance_size: str = DEFAULT_NAT_INSTANCE_SIZE

    def __post_init__(self) -> None:
        if self.azs < 1:
            raise UserError(f"the AZ count must be >= 1, got {self.azs}")

    def ipv4_only_services(self, catalog: Catalog) -> tuple[str, ...]:
        return tuple(s for s in self.aws if catalog.service(s).traffic_class == "aws_ipv4_only")

    def traffic(self, catalog: Catalog) -> dict[str, Decimal]:
        traffic: dict[str, Decimal] = {}
        for name, gb in self.aws.items():
            key = catalog.service(name).traffic_class
            traffic[key] = traffic.get(key, ZERO) + gb
        if self.ipv6_api_gb is not None:
            traffic["internet_ipv6"] = self.ipv6_api_gb
        if self.ipv4_api_gb is not None:
            traffic["internet_ipv4_only"] = self.ipv4_api_gb
        return traffic

    def needed(self, catalog: Catalog) -> frozenset[str]:
        """Classes the function must reach, whatever their volume."""
        return frozenset(self.traffic(catalog))


def parse_destinations(spec: object, catalog: Catalog) -> dict[str, Decimal]:
    """AWS services with GB/month: ``"sqs,xray=2"``, ``["sqs", "xray"]`` or ``{"xray": 2}``.

    An empty list is a UserError: leave ``aws`` out when the function calls no AWS service.
    """
    if isinstance(spec, str):
        parts = [item.partition("=") for item in spec.split(",") if item.strip()]
        items: list[tuple[object, object]] = [(k, v if sep else "0") for k, sep, v in parts]
    elif isinstance(spec, list):
        items = [(name, 0) for name in spec]
    elif isinstance(spec, dict):
        items = list(spec.items())
    else:
        raise UserError(f"aws services must be a list or NAME=GB pairs, got {spec!r}")
    if not items:
        raise UserError(
            f"aws is empty ({spec!r}): name the AWS services the function calls, e.g. "
            "sqs,xray=0.5, or leave it out"
        )
    found: dict[str, Decimal] = {}
    for name, volume in items:
        if not isinstance(name, str):
            raise UserError(f"an AWS service name must be text, got {name!r}")
        service = catalog.service(name)
        if service.name in found:
            raise UserError(f"AWS service {service.name!r} is listed twice")
        found[service.name] = parse_volume(volume, f"aws volume for {service.name}")
    return found


def _names(value: object, what: str) -> tuple[str, ...]:
    if isinstance(value, str):
        names = tuple(v.strip() for v in value.split(",") if v.strip())
    elif isinstance(value, list) and all(isinstance(v, str) for v in value):
        names = tuple(v.strip() for v in value if v.strip())
    else:
        raise UserError(f"{what} must be a list of names, got {value!r}")
    if not names:
        raise UserError(
            f"{what} is empty ({value!r}): name at least one, e.g. rds,elasticache, or leave it out"
        )
    return names


def _integer(value: object, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int | Decimal | str):
        raise UserError(f"{what} must be a whole number, got {value!r}")
    try:
        number = Decimal(str(value))
    except ArithmeticError:
        raise UserError(f"{what} must be a whole number, got {value!r}") from None
    if not number.is_finite() or number != number.to_integral_value():
        raise UserError(f"{what} must be a whole number, got {value}")
    if number.adjusted() > 15:  # int() of 1e999999999 would take forever
        raise UserError(f"{what} is too large: {value}")
    return int(number)


def _milliseconds(value: object) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, int | Decimal | str | float):
        raise UserError(f"duration_ms must be a number of milliseconds, got {value!r}")
    try:
        number = Decimal(str(value))
    except ArithmeticError:
        raise UserError(f"duration_ms must be a number of milliseconds, got {value!r}") from None
    if not number.is_finite():
        raise UserError(f"duration_ms must be a finite number of milliseconds, got {value}")
    return number


_USAGE_KEYS = {k: k for k in ("invocations", "duration_ms", "memory_mb", "arch")}


def _instance_size(value: object) -> str:
    if not isinstance(value, str):
        raise UserError(f"nat_instance_size must be an EC2 size such as t4g.nano, got {value!r}")
    return check_instance_size(value.strip(), "nat_instance_size")


def _flag(value: object, what: str) -> bool:
    if not isinstance(value, bool):
        raise UserError(f"{what} must be true or false, got {value!r}")
    return value


def workload_from_mapping(doc: Mapping[str, Any], catalog: Catalog) -> Workload:
    """A :class:`Workload` from a JSON-like mapping (keys: :data:`WORKLOAD_KEYS`)."""
    unknown = sorted(set(doc) - set(WORKLOAD_KEYS))
    if unknown:
        raise UserError(
            f"unknown workload key(s) {', '.join(unknown)}; allowed: {', '.join(WORKLOAD_KEYS)}"
        )
    defaults = LambdaUsage()

    def volume(key: str) -> Decimal | None:
        value = doc.get(key)
        return None if value is None else parse_volume(value, key.removesuffix("_gb") + " volume")

    usage = lambda_usage(
        invocations=_integer(doc.get("invocations", defaults.invocations), "invocations"),
        duration_ms=_milliseconds(doc.get("duration_ms", defaults.duration_ms)),
        memory_mb=_integer(doc.get("memory_mb", defaults.memory_mb), "memory_mb"),
        arch=str(doc.get("arch", defaults.arch)),
        names=_USAGE_KEYS,
    )
    workload = Workload(
        aws=parse_destinations(doc["aws"], catalog) if "aws" in doc else {},
        ipv6_api_gb=volume("ipv6_api_gb"),
        ipv4_api_gb=volume("ipv4_api_gb"),
        private=_names(doc["private"], "private resources") if "private" in doc else (),
        azs=_integer(doc.get("azs", DEFAULT_AZS), "azs"),
        region=str(doc.get("region", DEFAULT_REGION)),
        high_availability=_flag(doc.get("high_availability", False), "high_availability"),
        split_allowed=_flag(doc.get("split_allowed", True), "split_allowed"),
        usage=usage,
        nat_instance_allowed=_flag(doc.get("nat_instance_allowed", False), "nat_instance_allowed"),
        nat_instance_size=_instance_size(doc.get("nat_instance_size", DEFAULT_NAT_INSTANCE_SIZE)),
    )
    check_azs(workload.azs, workload.region, "azs")
    return workload


# ---------------------------------------------------------------------------------------------
# Options
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Option:
    key: str
    title: str
    topology: Topology
    estimate: Estimate
    excluded: str | None = None  # why it cannot be recommended; None: eligible

    def as_json(self) -> dict[str, Any]:
        return {
            "option": self.key,
            "title": self.title,
            "eligible": self.excluded is None,
            "excluded": self.excluded,
            "fixed_usd": usd(self.estimate.fixed_usd),
            "variable_usd": usd(self.estimate.variable_usd),
            "total_usd": usd(self.estimate.total_usd),
            "cannot_serve": list(self.estimate.cannot_serve),
        }


@dataclass(frozen=True)
class Advice:
    workload: Workload
    prices: RegionPrices
    recommended: Option
    runner_up: Option | None
    options: tuple[Option, ...]
    reasons: tuple[str, ...]

    def as_json(self) -> dict[str, Any]:
        return {
            "region": self.prices.region,
            "azs": self.workload.azs,
            "prices_as_of": self.prices.as_of,
            "recommendation": self.recommended.as_json(),
            "runner_up": self.runner_up.as_json() if self.runner_up else None,
            "reasons": list(self.reasons),
            "options": [o.as_json() for o in self.options],
            "nat_instance": nat_instance_json(self.workload, self.prices),
        }


def nat_instance_json(w: Workload, prices: RegionPrices) -> dict[str, Any]:
    """The NAT instance the options priced: size, price, bandwidth, and whether it may win."""
    size = instance_sizes()[w.nat_instance_size]
    return {
        "size": size.name,
        "allowed": w.nat_instance_allowed,
        "usd_per_hour": plain(prices.instance_hour(size.name)),
        "usd_per_month": usd(nat_instance_monthly(prices, 1, size.name)),
        "price_confirmed": size.name not in prices.unconfirmed,
        "baseline_gbps": plain(size.baseline_gbps),
        "burst_gbps": plain(size.burst_gbps),
        "bandwidth_source": size.source,
    }


def _candidates(w: Workload, catalog: Catalog) -> list[tuple[str, str, Topology]]:
    """(key, title, topology), simplest first: a tie goes to the earlier one.

    The topologies are the patterns of :mod:`natless.cost.patterns` (with the workload's IPv4-only
    services as the endpoints and its usage as the split's function), plus no VPC at all and
    endpoints and split combined.
    """
    azs = w.azs
    v4 = w.ipv4_only_services(catalog)
    with_endpoints = f"interface endpoint{'s' if len(v4) > 1 else ''} ({', '.join(v4)})"
    options = [
        ("no-vpc", "no VPC: the function runs outside any VPC", Topology(azs, in_vpc=False)),
        (
            "egress-only",
            "egress-only: EIGW + S3/DynamoDB gateway endpoints",
            pattern_topology("egress-only", azs),
        ),
    ]
    if v4:
        options.append(
            (
                "egress-only+endpoints",
                f"egress-only + {with_endpoints}",
                pattern_topology("interface-endpoints", azs, v4),
            )
        )
    if w.ipv4_api_gb is not None:
        options.append(
            (
                "egress-only+split",
                "egress-only + public/private split",
                pattern_topology("split", azs, split=w.usage),
            )
        )
        if v4:
            options.append(
                (
                    "egress-only+endpoints+split",
                    f"egress-only + {with_endpoints} + public/private split",
                    egress_topology(azs, endpoint_services=v4, split=w.usage),
                )
            )
    options.append(
        ("nat-single", "one NAT gateway (+ egress-only base)", pattern_topology("nat-single", azs))
    )
    if azs > 1:
        options.append(
            (
                "nat-per-az",
                f"a NAT gateway in each of the {azs} AZs (+ egress-only base)",
                pattern_topology("nat-per-az", azs),
            )
        )
    size = w.nat_instance_size
    options.append(
        (
            "nat-instance-single",
            f"one NAT instance, {size} (+ egress-only base)",
            pattern_topology("nat-instance-single", azs, nat_instance_size=size),
        )
    )
    if azs > 1:
        options.append(
            (
                "nat-instance-per-az",
                f"a NAT instance ({size}) in each of the {azs} AZs (+ egress-only base)",
                pattern_topology("nat-instance-per-az", azs, nat_instance_size=size),
            )
        )
    return options


def split_payload_mb(w: Workload) -> Decimal | None:
    """IPv4-only data per invocation in MB, if every GB crosses the Invoke boundary."""
    if not w.ipv4_api_gb:
        return ZERO
    if w.usage.invocations == 0:
        return None
    return w.ipv4_api_gb * 1024 / w.usage.invocations


def _describe_class(traffic_class: str, w: Workload, catalog: Catalog) -> str:
    services = [s for s in w.aws if catalog.service(s).traffic_class == traffic_class]
    if services:
        return f"{traffic_class} ({', '.join(services)})"
    labels = {"internet_ipv6": "IPv6-capable API", "internet_ipv4_only": "IPv4-only API"}
    return (
        f"{traffic_class} ({labels[traffic_class]})" if traffic_class in labels else traffic_class
    )


def _excluded(key: str, top: Topology, est: Estimate, w: Workload, catalog: Catalog) -> str | None:
    if key == "no-vpc" and w.private:
        return f"the function must be in the VPC to reach {', '.join(w.private)}"
    needed = w.needed(catalog)
    missing = [c for c in est.cannot_serve if c in needed]
    if missing:
        return "cannot reach " + ", ".join(_describe_class(c, w, catalog) for c in missing)
    if top.split is not None:
        if not w.split_allowed:
            return "the IPv4-only calls cannot be made from outside the VPC (split not allowed)"
        payload = split_payload_mb(w)
        if payload is None:
            return "no invocations to carry the IPv4-only traffic (invocations = 0)"
        if payload > SPLIT_PAYLOAD_LIMIT_MB:
            return (
                f"{plain(payload.quantize(Decimal('0.1')))} MB of IPv4-only data per invocation "
                f"exceeds the {plain(SPLIT_PAYLOAD_LIMIT_MB)} MB synchronous Invoke payload limit"
            )
    if key.startswith("nat-instance") and not w.nat_instance_allowed:
        return (
            "a NAT instance is yours to run and patch: considered only when allowed "
            "(--nat-instance)"
        )
    if key == "nat-single" and w.high_availability and needed & IPV4_CLASSES:
        return (
            "high availability: a single NAT gateway lives in one AZ; if that AZ fails, "
            "IPv4 egress stops for every AZ"
        )
    if key == "nat-instance-single" and w.high_availability and needed & IPV4_CLASSES:
        return (
            "high availability: a single NAT instance lives in one AZ; if that AZ or the "
            "instance fails, IPv4 egress stops for every AZ"
        )
    return None


def _options(w: Workload, prices: RegionPrices, catalog: Catalog) -> tuple[Option, ...]:
    traffic = w.traffic(catalog)
    found = []
    for key, title, top in _candidates(w, catalog):
        est = estimate(top, traffic, prices, catalog)
        found.append(Option(key, title, top, est, _excluded(key, top, est, w, catalog)))
    return tuple(found)


# ---------------------------------------------------------------------------------------------
# Reasons
# ---------------------------------------------------------------------------------------------


def _endpoints_vs_nat(w: Workload, prices: RegionPrices, catalog: Catalog) -> str:
    v4 = w.ipv4_only_services(catalog)
    gb = sum((w.aws[s] for s in v4), ZERO)
    traffic = {"aws_ipv4_only": gb}
    with_endpoints = pattern_topology("interface-endpoints", w.azs, v4)
    one_nat = pattern_topology("nat-single", w.azs)
    per_az = pattern_topology("nat-per-az", w.azs)
    ep = estimate(with_endpoints, traffic, prices, catalog)
    nat = estimate(one_nat, traffic, prices, catalog)
    nat_per_az = estimate(per_az, traffic, prices, catalog)
    even = break_even(
        (("interface-endpoints", with_endpoints), ("nat-single", one_nat)),
        "aws_ipv4_only",
        traffic,
        prices,
        catalog,
    )
    instance = estimate(
        pattern_topology("nat-instance-single", w.azs, nat_instance_size=w.nat_instance_size),
        traffic,
        prices,
        catalog,
    )
    verb, plural = ("has", "") if len(v4) == 1 else ("have", "s")
    return (
        f"{', '.join(v4)} {verb} no IPv6 endpoint: interface endpoints USD {usd(ep.fixed_usd)}"
        f"/month ({len(v4)} service{plural} x {w.azs} AZs x USD "
        f"{usd(interface_endpoint_monthly(prices, 1))}) + USD {plain(prices.interface_endpoint_gb)}"
        f"/GB, or one NAT gateway USD {usd(nat.fixed_usd)}/month + USD "
        f"{plain(prices.nat_gateway_gb)}/GB (a NAT per AZ: USD {usd(nat_per_az.fixed_usd)}), or "
        f"one NAT instance ({w.nat_instance_size}) USD {usd(instance.fixed_usd)}/month + USD 0/GB; "
        f"at {plain(gb)} GB/month endpoints cost USD {usd(ep.total_usd)}, one NAT USD "
        f"{usd(nat.total_usd)}" + (f"; {even.describe()}" if even else "")
    )


def _ipv4_internet(w: Workload, prices: RegionPrices, catalog: Catalog) -> str:
    gb = w.ipv4_api_gb or ZERO
    traffic = {"internet_ipv4_only": gb}
    size = w.nat_instance_size
    single, per_az, split, instance, instances = (
        estimate(
            pattern_topology(name, w.azs, split=w.usage, nat_instance_size=size),
            traffic,
            prices,
            catalog,
        )
        for name in (
            "nat-single",
            "nat-per-az",
            "split",
            "nat-instance-single",
            "nat-instance-per-az",
        )
    )
    cross = gb * (w.azs - 1) / w.azs * prices.inter_az_gb * 2
    return (
        f"IPv4-only public API ({plain(gb)} GB/month, this traffic alone): one NAT gateway USD "
        f"{usd(single.total_usd)} (if its AZ fails, IPv4 egress stops in all {w.azs} AZs; "
        f"traffic from the other AZs also pays cross-AZ transfer, USD "
        f"{plain(prices.inter_az_gb)}/GB each way, about USD {usd(cross)} here, not in the "
        f"totals); a NAT gateway per AZ USD {usd(per_az.total_usd)} ({w.azs} x the fixed cost, "
        f"survives an AZ failure); public/private split USD {usd(split.total_usd)} (a function "
        f"outside the VPC makes the IPv4 call: {w.usage.describe()}; no fixed cost; needs the "
        f"call to be one it can make and at most {plain(SPLIT_PAYLOAD_LIMIT_MB)} MB per Invoke); "
        f"one NAT instance ({size}) USD {usd(instance.total_usd)}, a NAT instance per AZ USD "
        f"{usd(instances.total_usd)} (no per-GB processing charge; its trade-offs below)"
    )


def _nat_instance(w: Workload, prices: RegionPrices, catalog: Catalog) -> str:
    """What a NAT instance costs this workload, and what it asks of the user in exchange."""
    size = instance_sizes()[w.nat_instance_size]
    traffic = w.traffic(catalog)
    single, per_az = (
        estimate(
            pattern_topology(name, w.azs, nat_instance_size=size.name), traffic, prices, catalog
        )
        for name in ("nat-instance-single", "nat-instance-per-az")
    )
    ipv4_gb = sum((traffic.get(c, ZERO) for c in IPV4_CLASSES), ZERO)
    capacity = size.gb_at_baseline(prices.hours_per_month)
    reason = (
        f"NAT instance ({size.name}, e.g. fck-nat): USD {plain(prices.instance_hour(size.name))}"
        f"/h = USD {usd(nat_instance_monthly(prices, 1, size.name))}/month each + its public IPv4 "
        f"USD {usd(public_ipv4_monthly(prices, 1))}/month; no per-GB processing charge (internet "
        f"data transfer out still applies); this workload: one USD {usd(single.total_usd)}, one "
        f"per AZ USD {usd(per_az.total_usd)}. Trade-offs: you run it and patch it (the AMI and "
        "its OS updates are yours, e.g. a new fck-nat AMI); each is a single instance per AZ, so "
        "failover is yours (an Auto Scaling group of one replaces a failed instance; connections "
        "through it drop); one instance in one AZ also makes the other AZs pay cross-AZ transfer, "
        "as one NAT gateway does; its bandwidth is capped by its size: "
        f"{size.name} {plain(size.baseline_gbps)} Gbps baseline (about {capacity:,.0f} GB/month "
        "if held all month), bursts up to "
        f"{plain(size.burst_gbps)} Gbps ({size.source}); its root EBS volume is not in these "
        "totals (no sourced gp3 price in natless/cost/data/pricing.json)"
    )
    if ipv4_gb > capacity:
        reason += (
            f"; {plain(ipv4_gb)} GB/month of IPv4-only traffic is more than one {size.name} "
            "sustains at its baseline"
        )
        share = ipv4_gb / w.azs
        if w.azs > 1 and share <= capacity:
            reason += (
                f"; one per AZ carries about {share:,.0f} GB/month each if the traffic is spread "
                "evenly across the AZs"
            )
        else:
            reason += ": choose a larger size (--nat-instance-size)"
    if size.name in prices.unconfirmed:
        reason += (
            f"; the {prices.region} price of {size.name} was not confirmed against its source "
            "when entered: re-check it"
        )
    if not w.nat_instance_allowed:
        reason += "; not recommended unless you choose to run one (--nat-instance)"
    return reason


def _gateway_reason(gateway: Sequence[str], catalog: Catalog) -> str:
    """The free gateway endpoints, and which address family each one carries."""
    dual = [s for s in gateway if catalog.service(s).gateway_endpoint_ipv6]
    ipv4 = [s for s in gateway if not catalog.service(s).gateway_endpoint_ipv6]
    reason = f"{', '.join(gateway)}: free gateway endpoints (USD 0/GB, no hourly fee)"
    if dual:
        reason += (
            f"; {', '.join(dual)}: the gateway endpoint carries IPv6 too when it is dual-stack "
            '(ip_address_type = "dualstack"), so the SDK client may use the dual-stack endpoint'
        )
    if ipv4:
        reason += (
            f"; {', '.join(ipv4)}: the gateway endpoint carries IPv4 only - keep that SDK client "
            "on its IPv4 endpoint (use_dualstack_endpoint=False), or its traffic leaves through "
            "the egress-only internet gateway instead (also USD 0/GB)"
        )
    return reason


def _reasons(
    w: Workload,
    prices: RegionPrices,
    catalog: Catalog,
    options: Sequence[Option],
    chosen: Option,
    runner_up: Option | None,
) -> list[str]:
    reasons: list[str] = []
    if w.private:
        reasons.append(
            f"private VPC resources ({', '.join(w.private)}): the function runs in the VPC, "
            "in dual-stack subnets with ipv6_allowed_for_dual_stack"
        )
    else:
        reasons.append(
            "no private VPC resources: a function outside any VPC reaches S3, DynamoDB, every "
            "AWS API and the IPv4 internet with no gateway or endpoint at all; only internet "
            "data transfer out is billed"
        )
        if w.ipv6_api_gb is not None:
            reasons.append(
                "functions outside a VPC get no IPv6 egress: the IPv6-capable API is reached "
                "over IPv4 (dual-stack APIs answer both)"
            )
    gateway = [s for s in w.aws if s in GATEWAY_SERVICES]
    dual = [s for s in w.aws if catalog.service(s).traffic_class == "aws_ipv6"]
    if w.private and gateway:
        reasons.append(_gateway_reason(gateway, catalog))
    if w.private and dual:
        hosts = ", ".join(str(catalog.service(s).dualstack_host) for s in dual)
        reasons.append(
            f"{', '.join(dual)}: dual-stack endpoints ({hosts}); IPv6 leaves through the "
            "egress-only internet gateway at USD 0/GB - create those SDK clients with "
            "use_dualstack_endpoint=True (per client, not globally)"
        )
    if w.private and w.ipv6_api_gb is not None:
        reasons.append(
            "IPv6-capable public API: through the egress-only internet gateway; only internet "
            "data transfer out is billed"
        )
    if w.private and w.ipv4_only_services(catalog):
        reasons.append(_endpoints_vs_nat(w, prices, catalog))
    if w.private and w.ipv4_api_gb is not None:
        reasons.append(_ipv4_internet(w, prices, catalog))
    ipv4_needed = bool(w.needed(catalog) & IPV4_CLASSES)
    if w.private and ipv4_needed:
        reasons.append(_nat_instance(w, prices, catalog))
    policy = [
        o
        for o in options
        if o.excluded
        and not o.excluded.startswith(("cannot reach", "the function must be"))
        # the NAT instance not allowed: stated once in its own reason, and only for IPv4 needs
        and not (o.key.startswith("nat-instance") and not w.nat_instance_allowed)
    ]
    reasons += [f"ruled out {o.key}: {o.excluded}" for o in policy]
    summary = (
        f"{chosen.key} is the cheapest option that reaches every destination: "
        f"USD {usd(chosen.estimate.total_usd)}/month"
    )
    if runner_up is not None:
        summary += f"; runner-up {runner_up.key} USD {usd(runner_up.estimate.total_usd)}/month"
    reasons.append(summary)
    if chosen.key == "nat-single" and w.azs > 1:
        reasons.append(
            "availability trade-off: the single NAT gateway lives in one AZ; if that AZ fails, "
            f"IPv4 egress stops in all {w.azs} AZs (ask with --ha for a NAT per AZ)"
        )
    if chosen.key == "nat-instance-single" and w.azs > 1:
        reasons.append(
            "availability trade-off: the single NAT instance lives in one AZ; if that AZ or the "
            f"instance fails, IPv4 egress stops in all {w.azs} AZs (ask with --ha for one per AZ)"
        )
    return reasons


def advise(w: Workload, prices: RegionPrices, catalog: Catalog) -> Advice:
    """Price every candidate for ``w`` and recommend the cheapest eligible one."""
    options = _options(w, prices, catalog)
    ranked = sorted(
        (o for o in options if o.excluded is None),
        key=lambda o: (o.estimate.total_usd, options.index(o)),
    )
    if not ranked:  # cannot happen while NAT gateways reach every class; guard anyway
        raise UserError("no egress configuration reaches every destination of this workload")
    chosen = ranked[0]
    runner_up = ranked[1] if len(ranked) > 1 else None
    reasons = _reasons(w, prices, catalog, options, chosen, runner_up)
    return Advice(w, prices, chosen, runner_up, options, tuple(reasons))
