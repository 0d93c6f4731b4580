"""Monthly cost of the egress pieces in a Terraform plan, and of the egress patterns side by side.

Prices and the list of dual-stack services are data (``natless/data/pricing.json`` and
``natless/data/services.json``). Money is ``decimal.Decimal`` throughout; it is rounded to cents
(ROUND_HALF_UP) only for display, by :func:`usd`.

Model, in one place:

* Fixed USD/month = NAT gateways x NAT hourly x hours + public IPv4 addresses x IPv4 hourly x hours
  + for every interface endpoint: AZs x endpoint hourly x hours. Gateway endpoints and the
  egress-only internet gateway (EIGW) are priced from the data too (both 0).
* Traffic is GB/month per destination class (:data:`TRAFFIC_CLASSES`). Each class takes the
  cheapest path the configuration offers (:func:`route`); this assumes the clients are set up for
  it (dual-stack endpoints per SDK client, private DNS on interface endpoints). A class with no
  path is *unreachable*: a workload sending it cannot run on that configuration.
* AWS-service traffic leaving through the EIGW costs 0/GB: the EIGW has no charges and data
  transfer to AWS public endpoints in the same region is free. Only the internet classes pay
  data transfer out (DTO); the free allowance applies once, to their sum, then the tiers.
* Not in the totals: cross-AZ data transfer to a NAT gateway in another AZ (``inter_az_gb``;
  ``natless advise`` states it), request charges of the services themselves.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from importlib import resources
from itertools import combinations
from pathlib import Path
from typing import Any

from natless.errors import UserError

# ---------------------------------------------------------------------------------------------
# Vocabulary
# ---------------------------------------------------------------------------------------------

TRAFFIC_CLASSES = (
    "s3",
    "dynamodb",
    "aws_ipv6",
    "aws_ipv4_only",
    "internet_ipv6",
    "internet_ipv4_only",
)
INTERNET_CLASSES = frozenset({"internet_ipv6", "internet_ipv4_only"})
GATEWAY_SERVICES = ("s3", "dynamodb")
DEFAULT_REGION = "us-east-1"
DEFAULT_AZS = 2
ARCHITECTURES = ("x86_64", "arm64")

CENT = Decimal("0.01")
ZERO = Decimal(0)
MILLION = Decimal(1_000_000)

NOT_A_PLAN = (
    "{path} is not a Terraform plan in JSON; make it with "
    "`terraform show -json PLANFILE > plan.json`"
)


def usd(amount: Decimal) -> str:
    """For display: two places, half up (``Decimal('32.845')`` -> ``'32.85'``)."""
    return str(amount.quantize(CENT, rounding=ROUND_HALF_UP))


def plain(number: Decimal) -> str:
    """A decimal without exponent or trailing zeros: ``0.0450`` -> ``0.045``, ``1E+2`` -> 100."""
    text = f"{number.normalize():f}"
    return "0" if text in ("-0", "0") else text


def parse_gb(value: object, what: str) -> Decimal:
    """A GB/month volume from user input (text or JSON number): finite and >= 0, else UserError."""
    if isinstance(value, bool) or not isinstance(value, str | int | float | Decimal):
        raise UserError(f"{what} must be a number of GB/month, got {value!r}")
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        raise UserError(f"{what} must be a number of GB/month, got {value!r}") from None
    if not number.is_finite():
        raise UserError(f"{what} must be a finite number of GB/month, got {value!r}")
    if number < 0:
        raise UserError(f"{what} must be >= 0 GB/month, got {value}")
    return number


# ---------------------------------------------------------------------------------------------
# Prices (natless/data/pricing.json)
# ---------------------------------------------------------------------------------------------

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

    def lambda_gb_second(self, arch: str) -> Decimal:
        if arch == "arm64":
            return self.lambda_gb_second_arm64
        return self.lambda_gb_second_x86_64


def _data(name: str) -> Any:
    text = resources.files("natless").joinpath("data", name).read_text(encoding="utf-8")
    return json.loads(text, parse_float=Decimal, parse_int=Decimal)


def known_regions() -> tuple[str, ...]:
    return tuple(sorted(_data("pricing.json")["regions"]))


def load_prices(region: str) -> RegionPrices:
    """The prices of ``region``, or a UserError naming the regions that are priced."""
    doc = _data("pricing.json")
    regions = doc["regions"]
    if region not in regions:
        raise UserError(
            f"unknown region {region!r}: no prices for it; priced regions: "
            f"{', '.join(sorted(regions))} (add it to natless/data/pricing.json)"
        )
    entry = regions[region]
    values: dict[str, Decimal] = {}
    sources: dict[str, str] = {}
    for name in _SIMPLE_PRICES:
        price = entry[name]
        if not {"usd", "source", "as_of"} <= price.keys():
            raise ValueError(f"pricing.json: {region}.{name} needs usd, source and as_of")
        values[name] = Decimal(price["usd"])
        sources[name] = price["source"]
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
        **values,
    )


# ---------------------------------------------------------------------------------------------
# Services (natless/data/services.json)
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Service:
    name: str
    title: str
    dualstack_host: str | None
    gateway_endpoint: bool
    interface_endpoint: str | None
    source: str
    note: str | None = None

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
                + "; add others to natless/data/services.json)"
            )
        return found

    def by_endpoint(self, suffix: str) -> Service | None:
        """The service whose PrivateLink name ends in ``suffix`` (``ecr.api`` -> ecr)."""
        return next((s for s in self.services.values() if s.interface_endpoint == suffix), None)


def load_catalog() -> Catalog:
    doc = _data("services.json")
    services: dict[str, Service] = {}
    aliases: dict[str, str] = {}
    for name, entry in doc["services"].items():
        services[name] = Service(
            name=name,
            title=entry["title"],
            dualstack_host=entry["dualstack_host"],
            gateway_endpoint=bool(entry["gateway_endpoint"]),
            interface_endpoint=entry["interface_endpoint"],
            source=entry["source"],
            note=entry.get("note"),
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


# ---------------------------------------------------------------------------------------------
# Component prices
# ---------------------------------------------------------------------------------------------


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


# ---------------------------------------------------------------------------------------------
# Traffic profiles
# ---------------------------------------------------------------------------------------------


def _traffic_class(name: object) -> str:
    key = str(name).strip()
    if key not in TRAFFIC_CLASSES:
        raise UserError(
            f"unknown traffic class {key!r}; allowed classes: {', '.join(TRAFFIC_CLASSES)}"
        )
    return key


def parse_traffic(spec: str) -> dict[str, Decimal]:
    """``"s3=10,internet_ipv4_only=100"`` -> GB/month per class."""
    traffic: dict[str, Decimal] = {}
    for item in spec.split(","):
        if not item.strip():
            continue
        name, sep, value = item.partition("=")
        if not sep:
            raise UserError(
                f"traffic item {item.strip()!r} needs CLASS=GB, e.g. internet_ipv4_only=100; "
                f"classes: {', '.join(TRAFFIC_CLASSES)}"
            )
        key = _traffic_class(name)
        traffic[key] = parse_gb(value, f"traffic volume for {key}")
    return traffic


def traffic_from_mapping(doc: object, where: str) -> dict[str, Decimal]:
    """A traffic profile from a JSON object ``{"class": GB, ...}``."""
    if not isinstance(doc, dict):
        raise UserError(
            f"{where} must hold a JSON object of CLASS: GB/month, e.g. "
            '{"s3": 10, "internet_ipv4_only": 100}'
        )
    return {_traffic_class(k): parse_gb(v, f"traffic volume for {k}") for k, v in doc.items()}


def read_json_file(path: Path, what: str) -> Any:
    """A JSON document from ``path``; a missing or non-JSON file is a UserError."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise UserError(f"{what} {path}: no such file") from None
    except IsADirectoryError:
        raise UserError(f"{what} {path} is a directory, not a JSON file") from None
    except UnicodeDecodeError:
        raise UserError(f"{what} {path} is not JSON text") from None
    except OSError as exc:
        raise UserError(f"cannot read {what} {path}: {exc.strerror}") from None
    try:
        return json.loads(text, parse_float=Decimal)
    except json.JSONDecodeError as exc:
        raise UserError(f"{what} {path} is not valid JSON: {exc.msg} (line {exc.lineno})") from None


def load_traffic_file(path: Path) -> dict[str, Decimal]:
    return traffic_from_mapping(read_json_file(path, "traffic file"), f"traffic file {path}")


# ---------------------------------------------------------------------------------------------
# Reading a plan (`terraform show -json PLANFILE`)
# ---------------------------------------------------------------------------------------------

_LIVE_ACTIONS = frozenset({"create", "update", "no-op"})
_MODULE_STEP = re.compile(r'module\.([\w-]+)(?:\[(?:"(?:[^"\\]|\\.)*"|[^\]]*)\])?')
_REFERENCE = re.compile(r'^([\w-]+)\.([\w-]+)(\[(?:"(?:[^"\\]|\\.)*"|[^\]]*)\])?')
_ENDPOINT_SERVICE = re.compile(r"^com\.amazonaws\.[a-z0-9-]+\.(.+)$")
_AZ = re.compile(r"^([a-z]{2}(?:-[a-z]+)+-\d+)[a-z]$")
_UNRESOLVABLE_HEADS = frozenset({"data", "local", "each", "count", "path", "terraform", "self"})


@dataclass(frozen=True)
class _Resource:
    address: str
    module: tuple[str, ...]  # module call names from the root, instance keys dropped
    type: str
    name: str
    after: Mapping[str, Any]
    after_unknown: Mapping[str, Any]


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


def _module_path(module_address: str) -> tuple[str, ...]:
    return tuple(_MODULE_STEP.findall(module_address or ""))


def _live_resources(plan: Mapping[str, Any]) -> list[_Resource]:
    """Managed resources that exist after the plan: from resource_changes, else planned_values."""
    found: list[_Resource] = []
    if "resource_changes" in plan:
        for rc in plan.get("resource_changes") or []:
            change = rc.get("change") or {}
            if rc.get("mode", "managed") != "managed":
                continue
            if not _LIVE_ACTIONS & set(change.get("actions") or []):
                continue  # deleted, forgotten or read-only
            after_unknown = change.get("after_unknown")
            found.append(
                _Resource(
                    address=rc.get("address", ""),
                    module=_module_path(rc.get("module_address", "")),
                    type=rc.get("type", ""),
                    name=rc.get("name", ""),
                    after=change.get("after") or {},
                    after_unknown=after_unknown if isinstance(after_unknown, dict) else {},
                )
            )
        return found

    def walk(module: Mapping[str, Any]) -> None:
        path = _module_path(module.get("address", ""))
        for res in module.get("resources") or []:
            if res.get("mode", "managed") == "managed":
                found.append(
                    _Resource(
                        res.get("address", ""),
                        path,
                        res.get("type", ""),
                        res.get("name", ""),
                        res.get("values") or {},
                        {},
                    )
                )
        for child in module.get("child_modules") or []:
            walk(child)

    walk((plan.get("planned_values") or {}).get("root_module") or {})
    return found


class _ConfigCounter:
    """Counts the elements of a list-valued argument from the plan's ``configuration`` block.

    Handles constant lists, ``var.X`` (root: the plan's ``variables``; in a module: the calling
    expression in the parent), ``module.M.OUTPUT`` and resource references: indexed references
    (``aws_subnet.a[0].id``) count their distinct indices, bare ones (``aws_subnet.a[*].id``,
    ``[for s in aws_subnet.a : s.id]``) count that resource's instances in the plan. Anything else
    (locals, data sources, functions over references like ``slice``) is unknown: None, or an
    over-count for functions that drop elements.
    """

    def __init__(self, plan: Mapping[str, Any], resources: Sequence[_Resource]) -> None:
        self._plan = plan
        self._resources = resources

    def module(self, path: tuple[str, ...]) -> Mapping[str, Any] | None:
        module = (self._plan.get("configuration") or {}).get("root_module")
        for step in path:
            if not isinstance(module, dict):
                return None
            module = ((module.get("module_calls") or {}).get(step) or {}).get("module")
        return module if isinstance(module, dict) else None

    def argument(self, res: _Resource, name: str) -> int | None:
        module = self.module(res.module) or {}
        for conf in module.get("resources") or []:
            if conf.get("type") == res.type and conf.get("name") == res.name:
                return self.length((conf.get("expressions") or {}).get(name), res.module, 0)
        return None

    def length(self, expr: object, path: tuple[str, ...], depth: int) -> int | None:
        if depth > 16 or not isinstance(expr, dict):
            return None
        if "constant_value" in expr:
            value = expr["constant_value"]
            return len(value) if isinstance(value, list) else None
        groups: dict[tuple[str, str], set[str]] = {}
        for ref in expr.get("references") or []:
            match = _REFERENCE.match(ref)
            if match is None or match.group(1) in _UNRESOLVABLE_HEADS:
                return None
            key = (match.group(1), match.group(2))
            rest = ref[match.end() :]
            if key[0] == "module":  # module.M.OUTPUT, or the bare call module.M
                output = rest.lstrip(".").split(".")[0].split("[")[0] if rest else ""
                key = ("module", f"{key[1]}.{output}") if output else key
            groups.setdefault(key, set())
            if match.group(3) and key[0] != "module":
                groups[key].add(match.group(3))
        # a module output reference makes the bare module.M reference redundant
        outputs = {k[1].split(".")[0] for k in groups if k[0] == "module" and "." in k[1]}
        total = 0
        for (head, name), indices in groups.items():
            if head == "module" and "." not in name and name in outputs:
                continue
            count = self._count(head, name, indices, path, depth)
            if count is None:
                return None
            total += count
        return total or None

    def _count(
        self, head: str, name: str, indices: set[str], path: tuple[str, ...], depth: int
    ) -> int | None:
        if indices:
            return len(indices)
        if head == "var":
            if not path:
                value = ((self._plan.get("variables") or {}).get(name) or {}).get("value")
                return len(value) if isinstance(value, list) else None
            parent = self.module(path[:-1]) or {}
            call = (parent.get("module_calls") or {}).get(path[-1]) or {}
            return self.length((call.get("expressions") or {}).get(name), path[:-1], depth + 1)
        if head == "module":
            if "." not in name:
                return None
            call, output = name.split(".", 1)
            child = self.module((*path, call)) or {}
            expr = ((child.get("outputs") or {}).get(output) or {}).get("expression")
            return self.length(expr, (*path, call), depth + 1)
        count = sum(1 for r in self._resources if (r.type, r.name, r.module) == (head, name, path))
        return count or None


@dataclass(frozen=True)
class PlannedEndpoint:
    address: str
    service: str
    azs: int | None
    azs_from: str  # "subnet_ids", "after_unknown", "configuration" or "unknown"


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


def _endpoint_azs(res: _Resource, counter: _ConfigCounter) -> tuple[int | None, str]:
    """How many subnets (one per AZ) an interface endpoint sits in, and where that came from.

    1. ``after.subnet_ids`` when the plan knows the list (unknown elements are null in it);
    2. ``after_unknown.subnet_ids`` when it is a list (known length, unknown IDs);
    3. the ``subnet_ids`` expression in ``configuration`` (see :class:`_ConfigCounter`);
    4. unknown: the caller assumes one per AZ.
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
    return None, "unknown"


def _function(res: _Resource) -> PlannedFunction:
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
    resources = _live_resources(plan)
    counter = _ConfigCounter(plan, resources)
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
                azs, source = _endpoint_azs(res, counter)
                endpoints.append(PlannedEndpoint(res.address, service, azs, source))
            elif kind == "Gateway" and service in GATEWAY_SERVICES:
                gateways.add(service)
        elif res.type == "aws_lambda_function":
            functions.append(_function(res))
        elif res.type == "aws_subnet":
            zone = after.get("availability_zone") or after.get("availability_zone_id")
            if isinstance(zone, str) and zone:
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


# ---------------------------------------------------------------------------------------------
# Patterns side by side
# ---------------------------------------------------------------------------------------------

PATTERNS: Mapping[str, str] = {
    "egress-only": "egress-only gateway + S3/DynamoDB gateway endpoints",
    "nat-single": "one NAT gateway (plus the egress-only base)",
    "nat-per-az": "a NAT gateway in every AZ (plus the egress-only base)",
    "interface-endpoints": "interface endpoints for the IPv4-only services (plus the base)",
    "split": "public function outside the VPC invokes the private one (plus the base)",
}
DEFAULT_ENDPOINT_SERVICES = ("xray", "ssm")


def base_topology(azs: int, **extra: Any) -> Topology:
    """The dual-stack VPC every in-VPC pattern starts from: EIGW + free gateway endpoints."""
    return Topology(
        azs=azs, egress_only_gateways=1, gateway_endpoints=frozenset(GATEWAY_SERVICES), **extra
    )


def pattern_topologies(
    azs: int, services: Sequence[str], split: LambdaUsage
) -> dict[str, Topology]:
    if azs < 1:
        raise UserError(f"the AZ count must be >= 1, got {azs}")
    return {
        "egress-only": base_topology(azs),
        "nat-single": base_topology(azs, nat_gateways=1, public_ipv4=1),
        "nat-per-az": base_topology(azs, nat_gateways=azs, public_ipv4=azs),
        "interface-endpoints": base_topology(
            azs, interface_endpoints=tuple(Endpoint(s, azs) for s in services)
        ),
        "split": base_topology(azs, split=split),
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

    def as_json(self) -> dict[str, Any]:
        return {
            "azs": self.azs,
            "endpoint_services": list(self.services),
            "split_function": self.split.describe(),
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
) -> Comparison:
    """Every pattern of :data:`PATTERNS` for the same traffic, with pairwise break-evens."""
    split = split or LambdaUsage()
    topologies = pattern_topologies(azs, services, split)
    estimates = {name: estimate(top, traffic, prices, catalog) for name, top in topologies.items()}
    evens = [
        found
        for pair in combinations(topologies.items(), 2)
        for traffic_class in TRAFFIC_CLASSES
        if (found := break_even(pair, traffic_class, traffic, prices, catalog)) is not None
    ]
    return Comparison(azs, tuple(services), split, estimates, tuple(evens))
