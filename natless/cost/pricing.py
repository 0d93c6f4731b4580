"""List prices (``natless/cost/data/pricing.json``) as exact decimals, and what each piece
costs a month.

Every price in the data has its source and date; :func:`load_prices` refuses an entry without
them. The helpers below turn a price into USD/month for one billable piece: NAT gateway hours,
NAT instance hours (EC2 on-demand, small Graviton sizes), public IPv4 addresses, interface
endpoints per AZ, Lambda requests and GB-seconds, CloudWatch custom metrics, and internet data
transfer out (free allowance, then tiers).

Instance prices are keyed ``instance_hour_SIZE`` in the data; each says whether it was confirmed
against its source when entered (``confirmed``), and :attr:`RegionPrices.unconfirmed` carries the
sizes that were not, so the advice can say so. :func:`instance_sizes` gives each size's network
bandwidth (baseline and burst): a NAT instance forwards at most that.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from importlib import resources
from typing import Any

from natless.cost.money import MILLION, ZERO, plain
from natless.errors import UserError

DEFAULT_REGION = "us-east-1"
ARCHITECTURES = ("x86_64", "arm64")
# fck-nat's default and the smallest Graviton size: the cheapest NAT instance.
DEFAULT_NAT_INSTANCE_SIZE = "t4g.nano"
_INSTANCE_PREFIX = "instance_hour_"
_REQUIRED = frozenset({"usd", "unit", "source", "as_of"})

_SIMPLE_PRICES = (
    "nat_gateway_hour",
    "nat_gateway_gb",
    "public_ipv4_hour",
    "interface_endpoint_hour",
    "interface_endpoint_gb",
    "gateway_endpoint_hour",
    "gateway_endpoint_gb",
    "egress_only_gateway_hour",
    "egress_only_gateway_gb",
    "inter_az_gb",
    "lambda_requests_million",
    "lambda_gb_second_x86_64",
    "lambda_gb_second_arm64",
    "cloudwatch_custom_metric_month",
)


@dataclass(frozen=True)
class RegionPrices:
    """List prices for one region, in USD, as exact decimals."""

    region: str
    as_of: str
    hours_per_month: Decimal
    nat_gateway_hour: Decimal
    nat_gateway_gb: Decimal
    public_ipv4_hour: Decimal
    interface_endpoint_hour: Decimal
    interface_endpoint_gb: Decimal
    gateway_endpoint_hour: Decimal
    gateway_endpoint_gb: Decimal
    egress_only_gateway_hour: Decimal
    egress_only_gateway_gb: Decimal
    inter_az_gb: Decimal
    dto_free_gb: Decimal
    # (size of the tier in GB or None for "the rest", USD/GB), applied after the free GB
    dto_tiers: tuple[tuple[Decimal | None, Decimal], ...]
    lambda_requests_million: Decimal
    lambda_gb_second_x86_64: Decimal
    lambda_gb_second_arm64: Decimal
    lambda_free_requests: Decimal
    lambda_free_gb_seconds: Decimal
    cloudwatch_custom_metric_month: Decimal
    sources: Mapping[str, str] = field(default_factory=dict, compare=False)
    # EC2 on-demand Linux USD per instance-hour, by size ("t4g.nano", ...), in the data's order
    instance_hours: tuple[tuple[str, Decimal], ...] = ()
    # sizes whose instance price was not confirmed against its source when entered
    unconfirmed: frozenset[str] = frozenset()

    def lambda_gb_second(self, arch: str) -> Decimal:
        if arch == "arm64":
            return self.lambda_gb_second_arm64
        return self.lambda_gb_second_x86_64

    @property
    def instance_size_names(self) -> tuple[str, ...]:
        return tuple(size for size, _ in self.instance_hours)

    def instance_hour(self, size: str) -> Decimal:
        """USD per hour of an instance of ``size``, or a UserError naming the priced sizes."""
        for name, hourly in self.instance_hours:
            if name == size:
                return hourly
        raise UserError(
            f"unknown NAT instance size {size!r}: no price for it in {self.region}; priced sizes: "
            f"{', '.join(self.instance_size_names) or 'none'} (add instance_hour_{size} to "
            "natless/cost/data/pricing.json)"
        )


@dataclass(frozen=True)
class InstanceSize:
    """An EC2 size's network bandwidth: what a NAT instance of that size can forward.

    Burstable (t4g) sizes sustain ``baseline_gbps`` and burst to ``burst_gbps`` while their
    network credits last; :meth:`gb_at_baseline` is the baseline held for some hours.
    """

    name: str
    vcpus: int
    memory_gib: Decimal
    baseline_gbps: Decimal
    burst_gbps: Decimal
    source: str

    def gb_at_baseline(self, hours: Decimal) -> Decimal:
        """GB (10^9 bytes) forwarded at the baseline for ``hours``: Gbps / 8 x seconds."""
        return self.baseline_gbps / 8 * hours * 3600


def _pricing() -> Any:
    text = resources.files("natless.cost").joinpath("data", "pricing.json").read_text("utf-8")
    return json.loads(text, parse_float=Decimal, parse_int=Decimal)


def known_regions() -> tuple[str, ...]:
    return tuple(sorted(_pricing()["regions"]))


def instance_sizes() -> dict[str, InstanceSize]:
    """The sizes in the data's ``instance_sizes``, with their bandwidth and its source."""
    sizes = {}
    for name, spec in _pricing()["instance_sizes"].items():
        if not {"baseline_gbps", "burst_gbps", "source", "as_of"} <= spec.keys():
            raise ValueError(f"pricing.json: instance_sizes.{name} needs its bandwidth and source")
        sizes[name] = InstanceSize(
            name=name,
            vcpus=int(spec["vcpus"]),
            memory_gib=Decimal(spec["memory_gib"]),
            baseline_gbps=Decimal(spec["baseline_gbps"]),
            burst_gbps=Decimal(spec["burst_gbps"]),
            source=spec["source"],
        )
    return sizes


def check_instance_size(size: str, what: str = "--nat-instance-size") -> str:
    """``size`` if the data prices it in every region and gives its bandwidth; else UserError."""
    known = instance_sizes()
    if size not in known:
        raise UserError(
            f"{what}: unknown NAT instance size {size!r}; priced sizes: {', '.join(known)}"
        )
    return size


def _checked(region: str, name: str, price: Mapping[str, Any]) -> Mapping[str, Any]:
    missing = _REQUIRED - price.keys()
    if missing:
        raise ValueError(
            f"pricing.json: {region}.{name} needs usd, unit, source and as_of "
            f"(missing: {', '.join(sorted(missing))})"
        )
    return price


def load_prices(region: str) -> RegionPrices:
    """The prices of ``region``, or a UserError naming the regions that are priced."""
    doc = _pricing()
    regions = doc["regions"]
    if region not in regions:
        raise UserError(
            f"unknown region {region!r}: no prices for it; priced regions: "
            f"{', '.join(sorted(regions))} (add it to natless/cost/data/pricing.json)"
        )
    entry = regions[region]
    values: dict[str, Decimal] = {}
    sources: dict[str, str] = {}
    for name in _SIMPLE_PRICES:
        price = _checked(region, name, entry[name])
        values[name] = Decimal(price["usd"])
        sources[name] = price["source"]
    instance_hours = []
    unconfirmed = set()
    for name, price in entry.items():
        if not name.startswith(_INSTANCE_PREFIX):
            continue
        size = name.removeprefix(_INSTANCE_PREFIX)
        price = _checked(region, name, price)
        instance_hours.append((size, Decimal(price["usd"])))
        sources[name] = price["source"]
        if not price.get("confirmed", False):
            unconfirmed.add(size)
    dto = entry["internet_data_transfer_out"]
    free = entry["lambda_free_tier"]
    sources["internet_data_transfer_out"] = dto["source"]
    sources["lambda_free_tier"] = free["source"]
    tiers = tuple(
        (None if tier["next_gb"] is None else Decimal(tier["next_gb"]), Decimal(tier["usd_per_gb"]))
        for tier in dto["tiers"]
    )
    return RegionPrices(
        region=region,
        as_of=str(doc["as_of"]),
        hours_per_month=Decimal(doc["hours_per_month"]),
        dto_free_gb=Decimal(dto["free_gb"]),
        dto_tiers=tiers,
        lambda_free_requests=Decimal(free["requests"]),
        lambda_free_gb_seconds=Decimal(free["gb_seconds"]),
        sources=sources,
        instance_hours=tuple(instance_hours),
        unconfirmed=frozenset(unconfirmed),
        **values,
    )


@dataclass(frozen=True)
class LambdaUsage:
    """Invocations of one function per month, and what each costs in time and memory."""

    invocations: int = 1_000_000
    duration_ms: Decimal = Decimal(100)
    memory_mb: int = 128
    arch: str = "x86_64"

    def __post_init__(self) -> None:
        if self.invocations < 0:
            raise UserError(f"invocations must be >= 0 per month, got {self.invocations}")
        duration = Decimal(self.duration_ms)
        if not duration.is_finite() or duration <= 0:
            raise UserError(f"duration must be > 0 ms, got {self.duration_ms}")
        if not 128 <= self.memory_mb <= 10240:
            raise UserError(f"Lambda memory must be 128..10240 MB, got {self.memory_mb}")
        if self.arch not in ARCHITECTURES:
            raise UserError(f"unknown architecture {self.arch!r}; use one of: x86_64, arm64")

    @property
    def gb_seconds(self) -> Decimal:
        seconds = Decimal(self.duration_ms) / 1000
        return Decimal(self.invocations) * seconds * Decimal(self.memory_mb) / 1024

    def describe(self) -> str:
        return (
            f"{self.invocations:,} invocations/month x {plain(Decimal(self.duration_ms))} ms x "
            f"{self.memory_mb} MB {self.arch}"
        )


def hourly_monthly(prices: RegionPrices, hourly: Decimal, count: int = 1) -> Decimal:
    return Decimal(count) * hourly * prices.hours_per_month


def nat_gateway_monthly(prices: RegionPrices, count: int = 1) -> Decimal:
    """NAT gateway hours only; its public IPv4 address is :func:`public_ipv4_monthly`."""
    return hourly_monthly(prices, prices.nat_gateway_hour, count)


def nat_instance_monthly(
    prices: RegionPrices, count: int = 1, size: str = DEFAULT_NAT_INSTANCE_SIZE
) -> Decimal:
    """NAT instance hours only (EC2 on-demand); its public IPv4 address is
    :func:`public_ipv4_monthly`. No per-GB processing charge exists for an instance."""
    return hourly_monthly(prices, prices.instance_hour(size), count)


def public_ipv4_monthly(prices: RegionPrices, count: int = 1) -> Decimal:
    return hourly_monthly(prices, prices.public_ipv4_hour, count)


def interface_endpoint_monthly(prices: RegionPrices, azs: int) -> Decimal:
    """One interface endpoint (one service) with a network interface in ``azs`` AZs."""
    return hourly_monthly(prices, prices.interface_endpoint_hour, azs)


def custom_metrics_monthly(prices: RegionPrices, count: int = 1) -> Decimal:
    return Decimal(count) * prices.cloudwatch_custom_metric_month


def lambda_monthly(prices: RegionPrices, usage: LambdaUsage, *, free_tier: bool = False) -> Decimal:
    """Requests + GB-seconds. The free tier is per account: apply it only when asked."""
    requests = Decimal(usage.invocations)
    gb_seconds = usage.gb_seconds
    if free_tier:
        requests = max(requests - prices.lambda_free_requests, ZERO)
        gb_seconds = max(gb_seconds - prices.lambda_free_gb_seconds, ZERO)
    return (
        requests / MILLION * prices.lambda_requests_million
        + gb_seconds * prices.lambda_gb_second(usage.arch)
    )


def data_transfer_out(prices: RegionPrices, gb: Decimal) -> Decimal:
    """Internet data transfer out for the month's total ``gb``: free allowance once, then tiers."""
    remaining = max(gb - prices.dto_free_gb, ZERO)
    total = ZERO
    for size, rate in prices.dto_tiers:
        if remaining <= 0:
            break
        taken = remaining if size is None else min(remaining, size)
        total += taken * rate
        remaining -= taken
    return total
