"""natless.cost.patterns: the egress patterns side by side, and the break-even volume of two."""

from __future__ import annotations

from decimal import Decimal

import pytest

from natless.cost.model import Endpoint, estimate
from natless.cost.money import plain, usd
from natless.cost.patterns import base_topology, break_even, compare_patterns, pattern_topologies
from natless.cost.pricing import LambdaUsage, RegionPrices
from natless.cost.services import Catalog

D = Decimal


def test_patterns_side_by_side(catalog: Catalog, prices: RegionPrices) -> None:
    comparison = compare_patterns(2, {"internet_ipv4_only": D(100)}, prices, catalog)
    totals = {name: usd(e.total_usd) for name, e in comparison.estimates.items()}
    assert totals == {
        "egress-only": "0.00",
        "nat-single": "41.00",
        "nat-per-az": "77.50",
        "nat-instance-single": "6.72",  # t4g.nano 3.066 + IPv4 3.65; no per-GB charge
        "nat-instance-per-az": "13.43",
        "interface-endpoints": "29.20",  # xray + ssm, 2 AZs each
        "split": "0.41",  # 1M extra invocations x 100 ms x 128 MB; DTO inside the free 100 GB
    }
    blocked = {name: e.cannot_serve for name, e in comparison.estimates.items()}
    assert blocked["egress-only"] == ("aws_ipv4_only", "internet_ipv4_only")
    assert blocked["nat-single"] == blocked["nat-per-az"] == ()
    assert blocked["nat-instance-single"] == blocked["nat-instance-per-az"] == ()
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
# NAT instances beside NAT gateways
# ---------------------------------------------------------------------------------------------


def _monthly(prices: RegionPrices, hourly: Decimal) -> Decimal:
    return hourly * prices.hours_per_month


@pytest.mark.parametrize(("azs", "size"), [(6, "t4g.nano"), (3, "t4g.small"), (2, "t4g.medium")])
def test_break_even_one_nat_gateway_versus_a_nat_instance_per_az(
    catalog: Catalog, prices: RegionPrices, azs: int, size: str
) -> None:
    """Enough instances cost more a month than one NAT gateway, which pays 0.045/GB more: they
    cross where the per-GB charge has made up the difference."""
    comparison = compare_patterns(azs, {}, prices, catalog, nat_instance_size=size)
    ipv4 = _monthly(prices, prices.public_ipv4_hour)
    gateway_fixed = _monthly(prices, prices.nat_gateway_hour) + ipv4
    instances_fixed = azs * (_monthly(prices, prices.instance_hour(size)) + ipv4)
    expected = (instances_fixed - gateway_fixed) / prices.nat_gateway_gb
    assert expected > 0
    for traffic_class in ("internet_ipv4_only", "aws_ipv4_only"):
        [found] = [
            b
            for b in comparison.break_evens
            if (b.first, b.second, b.traffic_class)
            == ("nat-single", "nat-instance-per-az", traffic_class)
        ]
        assert found.gb == expected
        assert (found.cheaper_below, found.cheaper_above) == ("nat-single", "nat-instance-per-az")
        topologies = pattern_topologies(azs, (), LambdaUsage(), size)
        at = {traffic_class: found.gb}
        a = estimate(topologies["nat-single"], at, prices, catalog).total_usd
        b = estimate(topologies["nat-instance-per-az"], at, prices, catalog).total_usd
        assert abs(a - b) < D("0.000001")
        assert f"nat-single is cheaper below {usd(expected)} GB/month" in found.describe()


def test_one_nat_instance_is_cheaper_than_one_nat_gateway_at_every_volume(
    catalog: Catalog, prices: RegionPrices
) -> None:
    comparison = compare_patterns(2, {"internet_ipv4_only": D(100)}, prices, catalog)
    [found] = [
        b
        for b in comparison.break_evens
        if (b.first, b.second, b.traffic_class)
        == ("nat-single", "nat-instance-single", "internet_ipv4_only")
    ]
    assert found.gb is None
    assert found.cheaper_below == found.cheaper_above == "nat-instance-single"
    nat = comparison.estimates["nat-single"]
    instance = comparison.estimates["nat-instance-single"]
    # same DTO (inside the free 100 GB here), no processing charge on the instance
    assert nat.dto_usd == instance.dto_usd
    assert nat.variable_usd == 100 * prices.nat_gateway_gb and instance.variable_usd == 0


def test_nat_instance_patterns_two_azs(catalog: Catalog, prices: RegionPrices) -> None:
    topologies = pattern_topologies(2, (), LambdaUsage(), "t4g.micro")
    single, per_az = topologies["nat-instance-single"], topologies["nat-instance-per-az"]
    assert (single.nat_instances, single.public_ipv4, single.nat_gateways) == (1, 1, 0)
    assert (per_az.nat_instances, per_az.public_ipv4) == (2, 2)
    assert single.nat_instance_size == per_az.nat_instance_size == "t4g.micro"
    assert single.egress_only_gateways == 1 and single.gateway_endpoints == {"s3", "dynamodb"}
    doc = compare_patterns(2, {}, prices, catalog, nat_instance_size="t4g.micro").as_json()
    assert doc["nat_instance_size"] == "t4g.micro"
    rows = {p["pattern"]: p for p in doc["patterns"]}
    assert rows["nat-instance-per-az"]["fixed"][0] == {
        "item": "NAT instance t4g.micro",
        "count": 2,
        "azs": None,
        "usd": "12.26",  # 2 x 0.0084 x 730
    }
