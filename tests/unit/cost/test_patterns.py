"""natless.cost.patterns: the egress patterns side by side, and the break-even volume of two."""

from __future__ import annotations

from decimal import Decimal

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
