"""natless.cost.model: the fixed and per-GB cost of a topology, the way out of each traffic class,
the AZ counts of the priced regions.

Topologies come from synthetic plans (tests/support/plans.py).
"""

from __future__ import annotations

import re
from decimal import Decimal

import pytest

from natless.cost.model import MAX_AZS, REGION_AZS, Topology, check_azs, estimate, route
from natless.cost.money import usd
from natless.cost.plan.read import summarize_plan
from natless.cost.pricing import (
    RegionPrices,
    data_transfer_out,
    interface_endpoint_monthly,
    known_regions,
    load_prices,
)
from natless.cost.services import Catalog, load_catalog
from natless.errors import UserError
from tests.support.plans import (
    egress_only_changes,
    egress_only_plan,
    interface_endpoint,
    make_plan,
    per_az_nat_plan,
    priced,
    single_nat_plan,
    sqs_endpoint_plan,
)

D = Decimal


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
# Availability zones
# ---------------------------------------------------------------------------------------------


def test_every_priced_region_has_its_az_count() -> None:
    assert set(REGION_AZS) == set(known_regions())
    assert check_azs(6, "us-east-1") == 6
    assert check_azs(MAX_AZS, None) == MAX_AZS
    with pytest.raises(UserError, match=re.escape("1..3 (eu-central-1 has 3 availability")):
        check_azs(4, "eu-central-1")


# ---------------------------------------------------------------------------------------------
# NAT instances: hours and a public IPv4 each, no per-GB processing charge
# ---------------------------------------------------------------------------------------------


def test_nat_instances_fixed_cost_is_hours_and_their_ipv4(prices: RegionPrices) -> None:
    top = Topology(azs=3, nat_instances=3, public_ipv4=3, nat_instance_size="t4g.small")
    est = estimate(top, {}, prices, load_catalog())
    items = {i.label: (i.count, i.usd) for i in est.fixed}
    assert items == {
        "NAT instance t4g.small": (3, 3 * prices.instance_hour("t4g.small") * 730),
        "public IPv4 address": (3, 3 * prices.public_ipv4_hour * 730),
    }
    assert usd(est.fixed_usd) == "47.74"  # 3 x (0.0168 + 0.005) x 730


def test_ipv4_only_classes_through_a_nat_instance_pay_no_per_gb_charge(
    prices: RegionPrices, catalog: Catalog
) -> None:
    traffic = {"aws_ipv4_only": D(500), "internet_ipv4_only": D(1100)}
    instance = estimate(Topology(azs=2, nat_instances=1, public_ipv4=1), traffic, prices, catalog)
    gateway = estimate(Topology(azs=2, nat_gateways=1, public_ipv4=1), traffic, prices, catalog)
    for traffic_class in ("aws_ipv4_only", "internet_ipv4_only"):
        path = instance.path_of(traffic_class)
        assert path is not None and path.via == "NAT instance (t4g.nano)"
        assert path.usd_per_gb == 0
        cost = next(c for c in instance.classes if c.traffic_class == traffic_class)
        assert cost.usd == 0
    # internet data transfer out still applies, exactly as through the NAT gateway
    internet = instance.path_of("internet_ipv4_only")
    assert internet is not None and internet.internet
    assert instance.internet_gb == gateway.internet_gb == 1100
    assert instance.dto_usd == gateway.dto_usd == data_transfer_out(prices, D(1100)) == D(90)
    assert instance.variable_usd == instance.dto_usd
    assert gateway.variable_usd - gateway.dto_usd == 1600 * prices.nat_gateway_gb


def test_free_paths_win_a_tie_with_the_nat_instance(prices: RegionPrices, catalog: Catalog) -> None:
    top = Topology(
        azs=2,
        nat_instances=1,
        public_ipv4=1,
        egress_only_gateways=1,
        gateway_endpoints=frozenset({"s3"}),
    )
    both = Topology(azs=2, nat_instances=1, nat_gateways=1, public_ipv4=2)
    for topology, traffic_class, via in (
        (top, "s3", "gateway endpoint"),
        (top, "internet_ipv6", "egress-only internet gateway"),
        (top, "aws_ipv4_only", "NAT instance (t4g.nano)"),
        (both, "internet_ipv4_only", "NAT instance (t4g.nano)"),  # 0/GB beats 0.045/GB
    ):
        path = route(topology, traffic_class, prices, catalog)
        assert path is not None and path.via == via, traffic_class
