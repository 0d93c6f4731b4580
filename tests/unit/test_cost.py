"""`natless cost` and its modules: prices as data (natless.pricing, natless.services), plan
reading (natless.planread), the cost model (natless.cost), patterns (natless.patterns).

Plans are small synthetic ``terraform show -json`` documents built by :func:`make_plan` from
``resource_changes`` entries (``address``, ``type``, ``name``, ``change: {actions, after,
after_unknown}``), so these tests need neither Terraform nor the emulator. Real plans of the
examples are priced in tests/plan/test_cost_plans.py.
"""

from __future__ import annotations

import json
import re
from dataclasses import replace
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

import natless
from natless.cli import main
from natless.cost import Endpoint, Estimate, Topology, estimate, route
from natless.errors import UserError
from natless.money import plain, usd
from natless.patterns import base_topology, break_even, compare_patterns, pattern_topologies
from natless.planread import summarize_plan
from natless.pricing import (
    LambdaUsage,
    RegionPrices,
    custom_metrics_monthly,
    data_transfer_out,
    interface_endpoint_monthly,
    lambda_monthly,
    load_prices,
    nat_gateway_monthly,
    public_ipv4_monthly,
)
from natless.services import Catalog, load_catalog
from natless.traffic import parse_traffic

pytestmark = pytest.mark.unit

D = Decimal
US = "us-east-1"


# ---------------------------------------------------------------------------------------------
# Synthetic plans
# ---------------------------------------------------------------------------------------------


def change(
    rtype: str,
    name: str,
    after: dict[str, Any] | None = None,
    *,
    key: str | int | None = None,
    actions: tuple[str, ...] = ("create",),
    after_unknown: dict[str, Any] | None = None,
    module: str = "",
) -> dict[str, Any]:
    """One ``resource_changes`` entry."""
    index = "" if key is None else f"[{key}]" if isinstance(key, int) else f'["{key}"]'
    address = f"{rtype}.{name}{index}"
    entry: dict[str, Any] = {
        "address": f"{module}.{address}" if module else address,
        "mode": "managed",
        "type": rtype,
        "name": name,
        "change": {
            "actions": list(actions),
            "after": after if after is not None else {},
            "after_unknown": after_unknown or {},
        },
    }
    if key is not None:
        entry["index"] = key
    if module:
        entry["module_address"] = module
    return entry


def make_plan(
    changes: list[dict[str, Any]],
    *,
    region: str | None = US,
    root_module: dict[str, Any] | None = None,
    variables: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """A minimal `terraform show -json PLANFILE` document."""
    providers = {}
    if region is not None:
        providers["aws"] = {
            "name": "aws",
            "full_name": "registry.terraform.io/hashicorp/aws",
            "expressions": {"region": {"constant_value": region}},
        }
    plan: dict[str, Any] = {
        "format_version": "1.2",
        "terraform_version": "1.9.8",
        "planned_values": {"root_module": {}},
        "resource_changes": changes,
        "configuration": {"provider_config": providers, "root_module": root_module or {}},
    }
    if variables is not None:
        plan["variables"] = {k: {"value": v} for k, v in variables.items()}
    return plan


def subnets(azs: int, region: str = US) -> list[dict[str, Any]]:
    return [
        change("aws_subnet", "private", {"availability_zone": f"{region}{z}"}, key=i)
        for i, z in enumerate("abcdef"[:azs])
    ]


def egress_only_changes(azs: int, region: str = US) -> list[dict[str, Any]]:
    """Dual-stack VPC: subnets, EIGW, S3/DynamoDB gateway endpoints, one VPC function."""
    return [
        change("aws_vpc", "this", {"cidr_block": "10.0.0.0/16"}),
        *subnets(azs, region),
        change("aws_egress_only_internet_gateway", "this", {}),
        *(
            change(
                "aws_vpc_endpoint",
                "gateway",
                {"service_name": f"com.amazonaws.{region}.{s}", "vpc_endpoint_type": "Gateway"},
                key=s,
            )
            for s in ("s3", "dynamodb")
        ),
        change(
            "aws_lambda_function",
            "private",
            {"vpc_config": [{"ipv6_allowed_for_dual_stack": True}]},
            after_unknown={"vpc_config": [{"subnet_ids": True}]},
        ),
    ]


def nat_changes(count: int, region: str = US) -> list[dict[str, Any]]:
    zones = [f"{region}{z}" for z in "abcdef"[:count]]
    return [
        *(change("aws_eip", "nat", {"domain": "vpc"}, key=z) for z in zones),
        *(change("aws_nat_gateway", "this", {"connectivity_type": "public"}, key=z) for z in zones),
    ]


def interface_endpoint(
    service: str, subnet_ids: list[str] | None, region: str = US, **kwargs: Any
) -> dict[str, Any]:
    after: dict[str, Any] = {
        "service_name": f"com.amazonaws.{region}.{service}",
        "vpc_endpoint_type": "Interface",
    }
    if subnet_ids is not None:
        after["subnet_ids"] = subnet_ids
    return change("aws_vpc_endpoint", "interface", after, key=service, **kwargs)


def egress_only_plan(azs: int = 2, region: str = US) -> dict[str, Any]:
    return make_plan(egress_only_changes(azs, region), region=region)


def single_nat_plan(azs: int = 2, region: str = US) -> dict[str, Any]:
    return make_plan([*egress_only_changes(azs, region), *nat_changes(1, region)], region=region)


def per_az_nat_plan(azs: int = 3, region: str = US) -> dict[str, Any]:
    return make_plan([*egress_only_changes(azs, region), *nat_changes(azs, region)], region=region)


def sqs_endpoint_plan() -> dict[str, Any]:
    return make_plan([*egress_only_changes(2), interface_endpoint("sqs", ["subnet-a", "subnet-b"])])


@pytest.fixture
def catalog() -> Catalog:
    return load_catalog()


@pytest.fixture
def prices() -> RegionPrices:
    return load_prices(US)


def priced(
    plan: dict[str, Any],
    traffic: dict[str, Any] | None = None,
    region: str = US,
    azs: int = 2,
) -> Estimate:
    catalog = load_catalog()
    summary = summarize_plan(plan, catalog)
    volumes = {k: D(str(v)) for k, v in (traffic or {}).items()}
    return estimate(summary.topology(azs), volumes, load_prices(region), catalog)


def write(tmp_path: Path, doc: object, name: str = "plan.json") -> str:
    path = tmp_path / name
    path.write_text(json.dumps(doc))
    return str(path)


# ---------------------------------------------------------------------------------------------
# Prices and services as data
# ---------------------------------------------------------------------------------------------


def test_pricing_data_has_source_and_date_for_every_price() -> None:
    doc = json.loads((Path(natless.__file__).parent / "data" / "pricing.json").read_text())
    assert doc["hours_per_month"] == 730
    assert "list prices" in doc["description"].lower() and "re-check" in doc["description"]
    assert {"us-east-1", "eu-central-1", "ap-southeast-1"} <= set(doc["regions"])
    for region, entries in doc["regions"].items():
        for name, entry in entries.items():
            assert entry["source"].startswith("https://"), (region, name)
            assert entry["as_of"] == "2026-11-01", (region, name)


def test_prices_load_as_exact_decimals() -> None:
    p = load_prices(US)
    assert p.nat_gateway_hour == D("0.045") and p.nat_gateway_gb == D("0.045")
    assert p.public_ipv4_hour == D("0.005")
    assert (p.interface_endpoint_hour, p.interface_endpoint_gb) == (D("0.01"), D("0.01"))
    assert p.gateway_endpoint_hour == p.egress_only_gateway_hour == p.egress_only_gateway_gb == 0
    assert p.dto_free_gb == 100 and p.dto_tiers[0] == (D(10240), D("0.09"))
    assert p.lambda_gb_second("x86_64") == D("0.0000166667")
    assert p.lambda_gb_second("arm64") == D("0.0000133334")
    assert p.cloudwatch_custom_metric_month == D("0.30")
    assert p.hours_per_month == 730 and p.as_of == "2026-11-01"
    assert all(isinstance(getattr(p, f), Decimal) for f in ("nat_gateway_hour", "inter_az_gb"))


@pytest.mark.parametrize(
    ("region", "nat", "ipv4", "endpoint_hour", "dto"),
    [
        ("eu-central-1", "0.052", "0.005", "0.012", "0.09"),
        ("ap-southeast-1", "0.059", "0.005", "0.013", "0.12"),
    ],
)
def test_other_regions(region: str, nat: str, ipv4: str, endpoint_hour: str, dto: str) -> None:
    p = load_prices(region)
    assert (p.nat_gateway_hour, p.nat_gateway_gb) == (D(nat), D(nat))
    assert p.public_ipv4_hour == D(ipv4)
    assert (p.interface_endpoint_hour, p.interface_endpoint_gb) == (D(endpoint_hour), D("0.01"))
    assert p.dto_tiers[0][1] == D(dto)
    assert p.lambda_requests_million == D("0.20")
    assert p.cloudwatch_custom_metric_month == D("0.30")


def test_services_data(catalog: Catalog) -> None:
    assert not catalog.service("xray").ipv6
    assert not catalog.service("ssm").ipv6
    for name in ("sqs", "dynamodb", "s3", "sts", "lambda", "logs", "sns", "events", "kms"):
        assert catalog.service(name).ipv6, name
    assert catalog.service("cloudwatch").name == "monitoring"
    assert {s.name for s in catalog.services.values() if s.gateway_endpoint} == {"s3", "dynamodb"}
    assert catalog.service("sqs").dualstack_host == "sqs.{region}.api.aws"
    assert all(s.source.startswith("https://") for s in catalog.services.values())
    assert catalog.service("xray").traffic_class == "aws_ipv4_only"
    assert catalog.service("sqs").traffic_class == "aws_ipv6"
    assert catalog.service("s3").traffic_class == "s3"
    assert catalog.by_endpoint("ecr.api") is catalog.service("ecr")


def test_money_rounds_half_up_for_display_only() -> None:
    assert usd(D("32.845")) == "32.85"
    assert usd(D("0.005")) == "0.01"
    assert usd(D("0.41")) == "0.41"
    assert plain(D("0.0450")) == "0.045"


# ---------------------------------------------------------------------------------------------
# Fixed cost of a plan
# ---------------------------------------------------------------------------------------------


def test_single_nat_two_azs_is_36_50() -> None:
    est = priced(single_nat_plan(2))
    items = {i.label: usd(i.usd) for i in est.fixed}
    assert items["NAT gateway"] == "32.85"
    assert items["public IPv4 address"] == "3.65"
    assert usd(est.fixed_usd) == "36.50"


def test_per_az_nat_three_azs_is_109_50() -> None:
    plan = per_az_nat_plan(3)
    summary = summarize_plan(plan, load_catalog())
    assert (summary.nat_gateways, summary.public_ipv4, summary.azs) == (3, 3, 3)
    assert usd(priced(plan, azs=3).fixed_usd) == "109.50"


def test_sqs_interface_endpoint_in_two_subnets_is_14_60() -> None:
    est = priced(sqs_endpoint_plan())
    [endpoint] = [i for i in est.fixed if i.label.startswith("interface endpoint")]
    assert (endpoint.label, endpoint.azs, usd(endpoint.usd)) == (
        "interface endpoint sqs",
        2,
        "14.60",
    )
    assert usd(est.fixed_usd) == "14.60"


@pytest.mark.parametrize("azs", [1, 2, 3, 4, 6])
def test_egress_only_costs_nothing_at_any_az_count(azs: int) -> None:
    est = priced(egress_only_plan(azs), azs=azs)
    assert est.fixed_usd == 0
    assert {i.label for i in est.fixed} == {
        "gateway endpoint s3",
        "gateway endpoint dynamodb",
        "egress-only internet gateway",
    }


def test_eu_central_1_fixed_costs() -> None:
    est = priced(single_nat_plan(2, "eu-central-1"), region="eu-central-1")
    assert usd(est.fixed_usd) == "41.61"  # 0.052 x 730 = 37.96, + 3.65
    p = load_prices("eu-central-1")
    assert usd(interface_endpoint_monthly(p, 2)) == "17.52"


def test_ap_southeast_1_fixed_and_dto() -> None:
    est = priced(
        single_nat_plan(2, "ap-southeast-1"),
        {"internet_ipv4_only": 300},
        region="ap-southeast-1",
    )
    assert usd(est.fixed_usd) == "46.72"  # 0.059 x 730 = 43.07, + 3.65
    assert usd(est.dto_usd) == "24.00"  # 200 GB x 0.12
    assert usd(est.variable_usd) == "41.70"  # + 300 x 0.059 = 17.70


# ---------------------------------------------------------------------------------------------
# Traffic
# ---------------------------------------------------------------------------------------------


def test_100_gb_ipv4_internet_through_one_nat_is_4_50() -> None:
    est = priced(single_nat_plan(2), {"internet_ipv4_only": 100})
    row = next(c for c in est.classes if c.traffic_class == "internet_ipv4_only")
    assert row.path is not None and row.path.via == "NAT gateway" and row.path.internet
    assert usd(row.usd) == "4.50"
    assert est.dto_usd == 0  # all 100 GB inside the free allowance
    assert usd(est.variable_usd) == "4.50"
    assert usd(est.total_usd) == "41.00"


def test_300_gb_ipv4_internet_through_one_nat() -> None:
    est = priced(single_nat_plan(2), {"internet_ipv4_only": 300})
    assert usd(next(c.usd for c in est.classes if c.gb)) == "13.50"
    assert usd(est.dto_usd) == "18.00"  # (300 - 100 free) x 0.09
    assert usd(est.variable_usd) == "31.50"


def test_eu_central_1_traffic() -> None:
    est = priced(
        single_nat_plan(2, "eu-central-1"), {"internet_ipv4_only": 300}, region="eu-central-1"
    )
    assert usd(est.variable_usd) == "33.60"  # 300 x 0.052 = 15.60, + 200 x 0.09


def test_dto_free_allowance_applies_once_to_the_internet_sum() -> None:
    est = priced(single_nat_plan(2), {"internet_ipv6": 60, "internet_ipv4_only": 60})
    assert est.internet_gb == 120
    assert usd(est.dto_usd) == "1.80"  # (120 - 100) x 0.09, not 0 + 0
    ipv6 = next(c for c in est.classes if c.traffic_class == "internet_ipv6")
    assert ipv6.path is not None and ipv6.path.via == "egress-only internet gateway"
    assert ipv6.usd == 0


def test_dto_tiers(prices: RegionPrices) -> None:
    assert data_transfer_out(prices, D(100)) == 0
    assert usd(data_transfer_out(prices, D(100 + 10240 + 10))) == "922.45"


def test_aws_traffic_through_the_egress_only_gateway_is_free() -> None:
    est = priced(egress_only_plan(2), {"aws_ipv6": 500, "s3": 1000, "dynamodb": 50})
    assert est.total_usd == 0
    paths = {c.traffic_class: c.path.via for c in est.classes if c.path}
    assert paths["s3"] == "gateway endpoint"
    assert paths["aws_ipv6"] == "egress-only internet gateway"


def test_s3_without_gateway_endpoint(catalog: Catalog, prices: RegionPrices) -> None:
    eigw_only = Topology(azs=2, egress_only_gateways=1)
    nat_only = Topology(azs=2, nat_gateways=1)
    neither = Topology(azs=2)
    assert route(eigw_only, "s3", prices, catalog).usd_per_gb == 0  # dual-stack endpoint
    assert route(nat_only, "s3", prices, catalog).usd_per_gb == D("0.045")
    assert route(neither, "s3", prices, catalog) is None


def test_ipv4_only_aws_service_needs_an_endpoint_for_such_a_service() -> None:
    sqs = priced(sqs_endpoint_plan(), {"aws_ipv4_only": 1})
    assert sqs.unreachable == ("aws_ipv4_only",)  # SQS has IPv6: its endpoint is no way out
    xray = make_plan([*egress_only_changes(2), interface_endpoint("xray", ["a", "b"])])
    est = priced(xray, {"aws_ipv4_only": 100})
    assert est.unreachable == ()
    assert usd(est.variable_usd) == "1.00"  # 100 GB x 0.01


def test_unreachable_classes_are_reported() -> None:
    est = priced(egress_only_plan(2), {"internet_ipv4_only": 100})
    assert est.unreachable == ("internet_ipv4_only",)
    assert set(est.cannot_serve) == {"aws_ipv4_only", "internet_ipv4_only"}
    assert priced(egress_only_plan(2)).unreachable == ()  # no volume: can run


# ---------------------------------------------------------------------------------------------
# The seed 002 table
# ---------------------------------------------------------------------------------------------


def test_seed_002_table_from_its_own_inputs(prices: RegionPrices) -> None:
    """Lambda (free tier) 0.00, custom metric 0.40, NAT 32.40: the article's 720 h and 0.40."""
    seed = replace(prices, hours_per_month=D(720), cloudwatch_custom_metric_month=D("0.40"))
    every_five_minutes = LambdaUsage(invocations=12 * 24 * 30, duration_ms=D(1000))
    assert usd(lambda_monthly(seed, every_five_minutes, free_tier=True)) == "0.00"
    assert usd(custom_metrics_monthly(seed, 1)) == "0.40"
    assert usd(nat_gateway_monthly(seed, 1)) == "32.40"  # 0.045 x 720
    # corrected: 730 h a month, and today's first-tier metric price
    assert usd(nat_gateway_monthly(prices, 1)) == "32.85"
    assert usd(custom_metrics_monthly(prices, 1)) == "0.30"
    # and what the article leaves out since Feb 2024: the NAT's public IPv4 address
    assert usd(public_ipv4_monthly(prices, 1)) == "3.65"


def test_lambda_cost(prices: RegionPrices) -> None:
    usage = LambdaUsage(invocations=1_000_000, duration_ms=D(100), memory_mb=128)
    assert usage.gb_seconds == D(12500)
    assert usd(lambda_monthly(prices, usage)) == "0.41"  # 0.20 + 12500 x 0.0000166667
    arm = replace(usage, arch="arm64")
    assert usd(lambda_monthly(prices, arm)) == "0.37"  # 0.20 + 0.166...
    assert lambda_monthly(prices, usage, free_tier=True) == 0


# ---------------------------------------------------------------------------------------------
# Reading plans
# ---------------------------------------------------------------------------------------------


def test_deleted_resources_do_not_count_but_replaced_ones_do() -> None:
    plan = make_plan(
        [
            *egress_only_changes(2),
            change("aws_nat_gateway", "old", {}, key=0, actions=("delete",)),
            change("aws_eip", "old", {"domain": "vpc"}, key=0, actions=("delete",)),
            change("aws_nat_gateway", "kept", {}, actions=("no-op",)),
            change("aws_nat_gateway", "new", {}, actions=("delete", "create")),
            change("aws_nat_gateway", "upd", {"connectivity_type": "public"}, actions=("update",)),
        ]
    )
    assert summarize_plan(plan, load_catalog()).nat_gateways == 3


def test_private_nat_gateways_are_not_egress() -> None:
    plan = make_plan(
        [*egress_only_changes(2), change("aws_nat_gateway", "p", {"connectivity_type": "private"})]
    )
    summary = summarize_plan(plan, load_catalog())
    assert (summary.nat_gateways, summary.private_nat_gateways, summary.public_ipv4) == (0, 1, 0)
    assert any("private NAT" in n for n in summary.notes(2))


def test_public_ipv4_counts_eips_and_at_least_one_per_nat() -> None:
    catalog = load_catalog()
    nat_only = make_plan([change("aws_nat_gateway", "x", {}), *subnets(2)])
    assert summarize_plan(nat_only, catalog).public_ipv4 == 1  # its EIP made elsewhere
    spare = make_plan([*nat_changes(1), change("aws_eip", "spare", {"domain": "vpc"})])
    assert summarize_plan(spare, catalog).public_ipv4 == 2


def test_endpoint_width_from_after_unknown_list() -> None:
    endpoint = interface_endpoint("xray", None, after_unknown={"subnet_ids": [True, True, True]})
    plan = make_plan([*egress_only_changes(3), endpoint])
    [found] = summarize_plan(plan, load_catalog()).interface_endpoints
    assert (found.service, found.azs, found.azs_from) == ("xray", 3, "after_unknown")


def test_endpoint_width_from_configuration_resource_references() -> None:
    endpoint = interface_endpoint("ssm", None, after_unknown={"subnet_ids": True})
    config = {
        "resources": [
            {
                "address": "aws_vpc_endpoint.interface",
                "mode": "managed",
                "type": "aws_vpc_endpoint",
                "name": "interface",
                "expressions": {"subnet_ids": {"references": ["aws_subnet.private"]}},
            }
        ]
    }
    plan = make_plan([*egress_only_changes(3), endpoint], root_module=config)
    [found] = summarize_plan(plan, load_catalog()).interface_endpoints
    assert (found.azs, found.azs_from) == (3, "configuration")


def test_endpoint_width_from_indexed_references() -> None:
    endpoint = interface_endpoint("ssm", None, after_unknown={"subnet_ids": True})
    refs = [
        "aws_subnet.private[0].id",
        "aws_subnet.private[0]",
        "aws_subnet.private[1].id",
        "aws_subnet.private[1]",
        "aws_subnet.private",
    ]
    config = {
        "resources": [
            {
                "type": "aws_vpc_endpoint",
                "name": "interface",
                "expressions": {"subnet_ids": {"references": refs}},
            }
        ]
    }
    plan = make_plan([*egress_only_changes(3), endpoint], root_module=config)
    [found] = summarize_plan(plan, load_catalog()).interface_endpoints
    assert found.azs == 2


def test_endpoint_width_through_module_variable_and_output() -> None:
    """Root passes module.vpc.private_subnet_ids to module.endpoints' var.subnet_ids."""
    module = "module.endpoints"
    endpoint = interface_endpoint("xray", None, after_unknown={"subnet_ids": True}, module=module)
    vpc_subnets = [
        change(
            "aws_subnet",
            "private",
            {"availability_zone": f"us-east-1{z}"},
            key=i,
            module="module.vpc",
        )
        for i, z in enumerate("abc")
    ]
    config = {
        "module_calls": {
            "vpc": {
                "module": {
                    "outputs": {
                        "private_subnet_ids": {"expression": {"references": ["aws_subnet.private"]}}
                    }
                }
            },
            "endpoints": {
                "expressions": {
                    "subnet_ids": {"references": ["module.vpc.private_subnet_ids", "module.vpc"]}
                },
                "module": {
                    "resources": [
                        {
                            "type": "aws_vpc_endpoint",
                            "name": "interface",
                            "expressions": {"subnet_ids": {"references": ["var.subnet_ids"]}},
                        }
                    ]
                },
            },
        }
    }
    plan = make_plan([*vpc_subnets, endpoint], root_module=config)
    summary = summarize_plan(plan, load_catalog())
    [found] = summary.interface_endpoints
    assert (found.azs, found.azs_from, summary.azs) == (3, "configuration", 3)


def test_endpoint_width_from_root_variable_value() -> None:
    endpoint = interface_endpoint("xray", None, after_unknown={"subnet_ids": True})
    config = {
        "resources": [
            {
                "type": "aws_vpc_endpoint",
                "name": "interface",
                "expressions": {"subnet_ids": {"references": ["var.subnets"]}},
            }
        ]
    }
    plan = make_plan([endpoint], root_module=config, variables={"subnets": ["s-1", "s-2"]})
    [found] = summarize_plan(plan, load_catalog()).interface_endpoints
    assert (found.azs, found.azs_from) == (2, "configuration")


def test_endpoint_width_unknown_is_assumed_one_per_az() -> None:
    endpoint = interface_endpoint("xray", None, after_unknown={"subnet_ids": True})
    config = {
        "resources": [
            {
                "type": "aws_vpc_endpoint",
                "name": "interface",
                "expressions": {"subnet_ids": {"references": ["local.private_ids"]}},
            }
        ]
    }
    plan = make_plan([*egress_only_changes(3), endpoint], root_module=config)
    summary = summarize_plan(plan, load_catalog())
    [found] = summary.interface_endpoints
    assert (found.azs, found.azs_from) == (None, "unknown")
    assert summary.topology(3).interface_endpoints == (Endpoint("xray", 3),)
    assert any("assumed one per AZ (3" in n for n in summary.notes(3))


def test_endpoint_width_from_the_azs_of_the_subnets_it_draws_from() -> None:
    """The shape of real plans: the list is unknown, and built from a local in a for-expression.

    modules/dual-stack-vpc has ``private_subnet_ids = [for az in local.azs :
    aws_subnet.this["private/${az}"].id]``; aws_subnet.this also holds the public and isolated
    subnets, in the same AZs. One subnet per AZ at most: the endpoint spans those AZs.
    """
    module = "module.endpoints"
    endpoint = interface_endpoint("sqs", None, after_unknown={"subnet_ids": True}, module=module)
    vpc_subnets = [
        change(
            "aws_subnet",
            "this",
            {"availability_zone": f"us-east-1{z}"},
            key=f"{tier}/us-east-1{z}",
            module="module.vpc",
        )
        for tier in ("public", "private", "isolated")
        for z in "ab"
    ]
    config = {
        "module_calls": {
            "vpc": {
                "module": {
                    "outputs": {
                        "private_subnet_ids": {
                            "expression": {"references": ["local.azs", "aws_subnet.this"]}
                        }
                    }
                }
            },
            "endpoints": {
                "expressions": {
                    "subnet_ids": {"references": ["module.vpc.private_subnet_ids", "module.vpc"]}
                },
                "module": {
                    "resources": [
                        {
                            "type": "aws_vpc_endpoint",
                            "name": "interface",
                            "expressions": {"subnet_ids": {"references": ["var.subnet_ids"]}},
                        }
                    ]
                },
            },
        }
    }
    plan = make_plan([*vpc_subnets, endpoint], root_module=config)
    summary = summarize_plan(plan, load_catalog())
    [found] = summary.interface_endpoints
    assert (found.azs, found.azs_from, summary.azs) == (2, "subnet_azs", 2)
    assert summary.topology(3).interface_endpoints == (Endpoint("sqs", 2),)  # not --azs
    assert summary.notes(3) == []
    assert usd(priced(plan, azs=3).fixed_usd) == "14.60"


def test_planned_values_only_plan() -> None:
    plan = {
        "format_version": "1.2",
        "planned_values": {
            "root_module": {
                "resources": [
                    {
                        "address": "aws_nat_gateway.a",
                        "mode": "managed",
                        "type": "aws_nat_gateway",
                        "name": "a",
                        "values": {},
                    },
                ],
                "child_modules": [
                    {
                        "address": "module.x",
                        "resources": [
                            {
                                "address": "module.x.aws_egress_only_internet_gateway.e",
                                "mode": "managed",
                                "type": "aws_egress_only_internet_gateway",
                                "name": "e",
                                "values": {},
                            }
                        ],
                    }
                ],
            }
        },
    }
    summary = summarize_plan(plan, load_catalog())
    assert (summary.nat_gateways, summary.egress_only_gateways, summary.region) == (1, 1, None)


def test_region_from_provider_variable_or_subnet_zones() -> None:
    catalog = load_catalog()
    by_var = make_plan(subnets(2), region=None, variables={"region": "eu-central-1"})
    by_var["configuration"]["provider_config"]["aws"] = {
        "name": "aws",
        "expressions": {"region": {"references": ["var.region"]}},
    }
    assert summarize_plan(by_var, catalog).region == "eu-central-1"
    by_zone = make_plan(subnets(2, "ap-southeast-1"), region=None)
    assert summarize_plan(by_zone, catalog).region == "ap-southeast-1"


def test_lambda_functions_and_the_ipv6_switch() -> None:
    plan = make_plan(
        [
            *egress_only_changes(2),
            change("aws_lambda_function", "public", {"vpc_config": []}),
            change(
                "aws_lambda_function",
                "legacy",
                {"vpc_config": [{"subnet_ids": ["s-1"], "ipv6_allowed_for_dual_stack": False}]},
            ),
        ]
    )
    summary = summarize_plan(plan, load_catalog())
    found = {f.address: (f.in_vpc, f.ipv6_allowed) for f in summary.functions}
    assert found == {
        "aws_lambda_function.private": (True, True),
        "aws_lambda_function.public": (False, None),
        "aws_lambda_function.legacy": (True, False),
    }
    assert any("aws_lambda_function.legacy" in n for n in summary.notes(2))


# ---------------------------------------------------------------------------------------------
# Patterns and break-even
# ---------------------------------------------------------------------------------------------


def test_patterns_side_by_side(catalog: Catalog, prices: RegionPrices) -> None:
    comparison = compare_patterns(2, {"internet_ipv4_only": D(100)}, prices, catalog)
    totals = {name: usd(e.total_usd) for name, e in comparison.estimates.items()}
    assert totals == {
        "egress-only": "0.00",
        "nat-single": "41.00",
        "nat-per-az": "77.50",
        "interface-endpoints": "29.20",  # xray + ssm, 2 AZs each
        "split": "0.41",  # 1M extra invocations x 100 ms x 128 MB; DTO inside the free 100 GB
    }
    blocked = {name: e.cannot_serve for name, e in comparison.estimates.items()}
    assert blocked["egress-only"] == ("aws_ipv4_only", "internet_ipv4_only")
    assert blocked["nat-single"] == blocked["nat-per-az"] == ()
    assert blocked["interface-endpoints"] == ("internet_ipv4_only",)
    assert blocked["split"] == ("aws_ipv4_only",)
    assert comparison.estimates["egress-only"].unreachable == ("internet_ipv4_only",)


def test_split_pays_dto_only_beyond_the_free_allowance(
    catalog: Catalog, prices: RegionPrices
) -> None:
    comparison = compare_patterns(2, {"internet_ipv4_only": D(300)}, prices, catalog)
    split = comparison.estimates["split"]
    assert usd(split.dto_usd) == "18.00"
    assert usd(split.total_usd) == "18.41"


def test_break_even_endpoints_overtake_one_nat(catalog: Catalog, prices: RegionPrices) -> None:
    """5 IPv4-only services x 2 AZs = 73.00 + 0.01/GB vs one NAT 36.50 + 0.045/GB."""
    services = ("xray", "ssm", "ssmmessages", "ec2messages", "sqs")
    endpoints = base_topology(2, interface_endpoints=tuple(Endpoint(s, 2) for s in services))
    nat = base_topology(2, nat_gateways=1, public_ipv4=1)
    found = break_even(
        (("endpoints", endpoints), ("nat", nat)), "aws_ipv4_only", {}, prices, catalog
    )
    assert found is not None and found.gb is not None
    assert plain(found.gb.quantize(D("0.01"))) == "1042.86"  # 36.50 / 0.035
    assert (found.cheaper_below, found.cheaper_above) == ("nat", "endpoints")
    at = {"aws_ipv4_only": found.gb}
    a = estimate(endpoints, at, prices, catalog).total_usd
    b = estimate(nat, at, prices, catalog).total_usd
    assert abs(a - b) < D("0.000001")
    assert "nat is cheaper below 1042.86 GB/month of aws_ipv4_only" in found.describe()


def test_break_even_none_when_one_is_always_cheaper(catalog: Catalog, prices: RegionPrices) -> None:
    """One xray endpoint in 2 AZs: 14.60 + 0.01/GB beats 36.50 + 0.045/GB at every volume."""
    endpoint = base_topology(2, interface_endpoints=(Endpoint("xray", 2),))
    nat = base_topology(2, nat_gateways=1, public_ipv4=1)
    found = break_even((("nat", nat), ("endpoint", endpoint)), "aws_ipv4_only", {}, prices, catalog)
    assert found is not None
    assert found.gb is None and found.cheaper_below == found.cheaper_above == "endpoint"


def test_break_even_none_when_parallel(catalog: Catalog, prices: RegionPrices) -> None:
    topologies = pattern_topologies(3, ("xray",), LambdaUsage())
    found = break_even(
        (("nat-single", topologies["nat-single"]), ("nat-per-az", topologies["nat-per-az"])),
        "internet_ipv4_only",
        {"internet_ipv4_only": D(500)},
        prices,
        catalog,
    )
    assert found is not None
    assert found.gb is None and found.cheaper_below == "nat-single"


def test_break_even_skips_a_pattern_that_cannot_carry_the_class(
    catalog: Catalog, prices: RegionPrices
) -> None:
    topologies = pattern_topologies(2, ("xray",), LambdaUsage())
    pair = (("egress-only", topologies["egress-only"]), ("nat-single", topologies["nat-single"]))
    assert break_even(pair, "internet_ipv4_only", {}, prices, catalog) is None


def test_break_even_split_versus_nat_at_many_invocations(
    catalog: Catalog, prices: RegionPrices
) -> None:
    """A busy split function can cost more than a NAT: it overtakes below some volume."""
    busy = LambdaUsage(invocations=100_000_000, duration_ms=D(200), memory_mb=256)
    topologies = pattern_topologies(2, (), busy)
    pair = (("split", topologies["split"]), ("nat-single", topologies["nat-single"]))
    found = break_even(pair, "internet_ipv4_only", {}, prices, catalog)
    # split: 20.00 requests + 5,000,000 GB-s x 0.0000166667 = 83.3335 -> 103.3335 fixed-ish
    assert found is not None and found.gb is not None
    assert plain(found.gb.quantize(D("0.01"))) == "1485.19"  # (103.3335 - 36.50) / 0.045
    assert (found.cheaper_below, found.cheaper_above) == ("nat-single", "split")


# ---------------------------------------------------------------------------------------------
# Traffic input
# ---------------------------------------------------------------------------------------------


def test_parse_traffic() -> None:
    assert parse_traffic("s3=10, internet_ipv4_only=100.5") == {
        "s3": D(10),
        "internet_ipv4_only": D("100.5"),
    }


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("s3=-1", "traffic volume for s3 must be >= 0"),
        ("nat=5", "unknown traffic class 'nat'; allowed classes: s3, dynamodb"),
        ("s3=lots", "traffic volume for s3 must be a number"),
        ("s3", "needs CLASS=GB"),
        ("s3=nan", "finite"),
    ],
)
def test_parse_traffic_errors(spec: str, message: str) -> None:
    with pytest.raises(UserError, match=re.escape(message)):
        parse_traffic(spec)


# ---------------------------------------------------------------------------------------------
# The command line
# ---------------------------------------------------------------------------------------------


def test_cli_table_for_a_single_nat_plan(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path, single_nat_plan(2))
    assert main(["cost", path, "--traffic", "internet_ipv4_only=100"]) == 0
    out = capsys.readouterr().out
    assert re.search(r"NAT gateway\s+1\s+32\.85", out)
    assert re.search(r"public IPv4 address\s+1\s+3\.65", out)
    assert re.search(r"fixed\s+36\.50", out)
    assert re.search(
        r"internet_ipv4_only\s+100\s+NAT gateway \+ internet DTO\s+0\.045\s+4\.50", out
    )
    assert "Total  USD 41.00/month" in out
    assert "region us-east-1, 2 AZs" in out
    assert "Patterns for the same traffic" not in out  # only with --compare / --example


def test_cli_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write(tmp_path, per_az_nat_plan(3))
    assert main(["cost", path, "--json", "--traffic", "internet_ipv4_only=300", "--compare"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["region"] == US and doc["azs"] == 3
    assert doc["plan"]["fixed_usd"] == "109.50"
    assert doc["plan"]["variable_usd"] == "31.50"
    assert doc["plan"]["pieces"]["nat_gateways"] == 3
    patterns = {p["pattern"]: p for p in doc["comparison"]["patterns"]}
    assert patterns["nat-per-az"]["total_usd"] == "141.00"  # same as the plan
    assert patterns["egress-only"]["unreachable"] == ["internet_ipv4_only"]
    assert all("gb" in b for b in doc["comparison"]["break_even"])


def test_cli_unreachable_traffic_exits_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path, egress_only_plan(2))
    assert main(["cost", path, "--traffic", "internet_ipv4_only=100"]) == 1
    captured = capsys.readouterr()
    assert "UNREACHABLE: internet_ipv4_only" in captured.out
    assert "cannot carry internet_ipv4_only (100 GB/month)" in captured.err


def test_cli_compare_alone(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["cost", "--compare", "--azs", "3", "--traffic", "aws_ipv4_only=2000",
                 "--services", "xray,ssm,ssmmessages,ec2messages"]) == 0  # fmt: skip
    out = capsys.readouterr().out
    assert re.search(r"nat-per-az\s+109\.50\s+90\.00\s+199\.50", out)
    assert re.search(r"interface-endpoints\s+87\.60\s+20\.00\s+107\.60", out)
    # 4 services x 3 AZs = 87.60 + 0.01/GB vs one NAT 36.50: (87.60 - 36.50) / 0.035
    assert "nat-single is cheaper below 1460.00 GB/month of aws_ipv4_only" in out


def test_cli_traffic_file_merges_with_flags(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    plan = write(tmp_path, single_nat_plan(2))
    profile = write(tmp_path, {"internet_ipv4_only": 300, "s3": 5}, "traffic.json")
    args = ["cost", plan, "--traffic-file", profile, "--traffic", "internet_ipv4_only=100"]
    assert main([*args, "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["traffic_gb"] == {"internet_ipv4_only": "100", "s3": "5"}
    assert doc["plan"]["total_usd"] == "41.00"


def test_cli_region_defaults_to_the_plan(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path, single_nat_plan(2, "eu-central-1"))
    assert main(["cost", path, "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert (doc["region"], doc["plan"]["fixed_usd"]) == ("eu-central-1", "41.61")
    assert main(["cost", path, "--json", "--region", "us-east-1"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["plan"]["fixed_usd"] == "36.50"
    assert any("priced as us-east-1" in n for n in doc["plan"]["notes"])


def bad(argv: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    assert main(argv) == 2
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err
    assert captured.err.startswith("natless: error: ")
    return captured.err


def test_cli_negative_volume(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write(tmp_path, single_nat_plan())
    err = bad(["cost", path, "--traffic", "internet_ipv4_only=-5"], capsys)
    assert "internet_ipv4_only must be >= 0" in err


def test_cli_unknown_class(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write(tmp_path, single_nat_plan())
    err = bad(["cost", path, "--traffic", "ipv4=5"], capsys)
    assert "unknown traffic class 'ipv4'" in err and "internet_ipv4_only" in err


def test_cli_unknown_region(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write(tmp_path, single_nat_plan())
    err = bad(["cost", path, "--region", "mars-north-1"], capsys)
    assert "unknown region 'mars-north-1'" in err and "eu-central-1" in err


def test_cli_unknown_service(capsys: pytest.CaptureFixture[str]) -> None:
    err = bad(["cost", "--compare", "--services", "xray,warp"], capsys)
    assert "unknown AWS service 'warp'" in err and "xray" in err


def test_cli_json_that_is_not_a_plan(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write(tmp_path, {"resources": []})
    err = bad(["cost", path], capsys)
    assert f"{path} is not a Terraform plan in JSON" in err
    assert "terraform show -json PLANFILE > plan.json" in err


def test_cli_state_is_not_a_plan(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write(tmp_path, {"format_version": "1.0", "values": {}})
    assert "this is state" in bad(["cost", path], capsys)


def test_cli_file_that_is_not_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "plan.out"
    path.write_bytes(b"PK\x03\x04\x14\x00\x08\x00\xff\xfe binary plan")
    assert "is not a Terraform plan in JSON" in bad(["cost", str(path)], capsys)
    text = tmp_path / "plan.txt"
    text.write_text("Terraform will perform the following actions:")
    assert "is not a Terraform plan in JSON" in bad(["cost", str(text)], capsys)


def test_cli_missing_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    missing = tmp_path / "nope.json"
    assert f"{missing}: no such file" in bad(["cost", str(missing)], capsys)


def test_cli_bad_traffic_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    plan = write(tmp_path, single_nat_plan())
    listed = write(tmp_path, [1, 2], "t.json")
    assert "must hold a JSON object" in bad(["cost", plan, "--traffic-file", listed], capsys)
    negative = write(tmp_path, {"s3": -2}, "n.json")
    assert "s3 must be >= 0" in bad(["cost", plan, "--traffic-file", negative], capsys)
    missing = str(tmp_path / "none.json")
    assert "no such file" in bad(["cost", plan, "--traffic-file", missing], capsys)


def test_cli_needs_something_to_price(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert "nothing to price" in bad(["cost"], capsys)
    path = write(tmp_path, single_nat_plan())
    assert "not both" in bad(["cost", path, "--example", "egress-only"], capsys)
    assert "--azs must be >= 1" in bad(["cost", path, "--azs", "0"], capsys)
    assert "memory" in bad(["cost", "--compare", "--memory-mb", "64"], capsys)


def test_cli_bad_decimal_option_is_an_argparse_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["cost", "--compare", "--duration-ms", "abc"])
    assert exit_info.value.code == 2
    assert "argument --duration-ms: not a number: 'abc'" in capsys.readouterr().err


def test_every_priced_region_has_its_az_count() -> None:
    from natless.cost import MAX_AZS, REGION_AZS, check_azs
    from natless.pricing import known_regions

    assert set(REGION_AZS) == set(known_regions())
    assert check_azs(6, "us-east-1") == 6
    assert check_azs(MAX_AZS, None) == MAX_AZS
    with pytest.raises(UserError, match=re.escape("1..3 (eu-central-1 has 3 availability")):
        check_azs(4, "eu-central-1")


def test_cli_checks_every_flag_before_planning(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    planned: list[str] = []
    monkeypatch.setattr(
        "natless.commands.cost._plan_example", lambda name: planned.append(name) or {}
    )
    for flags in (["--traffic", "s3=lots"], ["--azs", "7"], ["--services", "warp"]):
        bad(["cost", "--example", "egress-only", *flags], capsys)
    assert planned == []
    monkeypatch.setattr("natless.commands.cost._plan_example", lambda name: single_nat_plan(2))
    assert main(["cost", "--example", "egress-only", "--traffic", "internet_ipv4_only=100"]) == 0
    assert "Total  USD 41.00/month" in capsys.readouterr().out


def test_volumes_are_bounded() -> None:
    assert parse_traffic("s3=1000000000") == {"s3": D(10**9)}
    for spec in ("s3=1000000001", "s3=1e309", "s3=1e-10"):
        with pytest.raises(UserError, match="traffic volume for s3 must be"):
            parse_traffic(spec)
    assert parse_traffic("s3=0e-999999999") == {"s3": D(0)}
