"""natless.cost.pricing: prices as data (natless/cost/data/pricing.json), exact decimals, the
monthly cost of each priced thing.
"""

from __future__ import annotations

import json
from dataclasses import replace
from decimal import Decimal
from pathlib import Path

import pytest

import natless.cost
import natless.cost.pricing as pricing
from natless.cost.money import usd
from natless.cost.pricing import (
    LambdaUsage,
    RegionPrices,
    check_instance_size,
    custom_metrics_monthly,
    data_transfer_out,
    instance_sizes,
    known_regions,
    lambda_monthly,
    load_prices,
    nat_gateway_monthly,
    nat_instance_monthly,
    public_ipv4_monthly,
)
from natless.errors import UserError
from tests.support.plans import US

D = Decimal


def test_pricing_data_has_source_and_date_for_every_price() -> None:
    doc = json.loads((Path(natless.cost.__file__).parent / "data" / "pricing.json").read_text())
    assert doc["hours_per_month"] == 730
    assert "list prices" in doc["description"].lower() and "re-check" in doc["description"]
    assert {"us-east-1", "eu-central-1", "ap-southeast-1"} <= set(doc["regions"])
    for region, entries in doc["regions"].items():
        for name, entry in entries.items():
            assert entry["source"].startswith("https://"), (region, name)
            assert entry["as_of"] == "2026-11-01", (region, name)
            assert entry["unit"].strip(), (region, name)


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


def test_dto_tiers(prices: RegionPrices) -> None:
    assert data_transfer_out(prices, D(100)) == 0
    assert usd(data_transfer_out(prices, D(100 + 10240 + 10))) == "922.45"


# ---------------------------------------------------------------------------------------------
# The table of 'Serverless pattern: accessing public and private resources' (cloudonaut, 2018)
# ---------------------------------------------------------------------------------------------


def test_split_article_table_from_its_own_inputs(prices: RegionPrices) -> None:
    """Lambda (free tier) 0.00, custom metric 0.40, NAT 32.40: the article's 720 h and 0.40."""
    article = replace(prices, hours_per_month=D(720), cloudwatch_custom_metric_month=D("0.40"))
    every_five_minutes = LambdaUsage(invocations=12 * 24 * 30, duration_ms=D(1000))
    assert usd(lambda_monthly(article, every_five_minutes, free_tier=True)) == "0.00"
    assert usd(custom_metrics_monthly(article, 1)) == "0.40"
    assert usd(nat_gateway_monthly(article, 1)) == "32.40"  # 0.045 x 720
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
# NAT instances: EC2 on-demand hours of the small Graviton sizes
# ---------------------------------------------------------------------------------------------

SIZES = ("t4g.nano", "t4g.micro", "t4g.small", "t4g.medium")


def _doc() -> dict:
    return json.loads((Path(natless.cost.__file__).parent / "data" / "pricing.json").read_text())


def test_nat_instance_prices_load_with_source_and_date() -> None:
    doc = _doc()
    for region in known_regions():
        p = load_prices(region)
        assert p.instance_size_names == SIZES
        for size in SIZES:
            entry = doc["regions"][region][f"instance_hour_{size}"]
            assert entry["source"] == "https://aws.amazon.com/ec2/pricing/on-demand/"
            assert entry["as_of"] == "2026-11-01" and "on-demand, Linux" in entry["unit"]
            assert isinstance(entry["confirmed"], bool) and entry["evidence"]
            assert p.instance_hour(size) == Decimal(str(entry["usd"]))
            assert p.sources[f"instance_hour_{size}"] == entry["source"]
            assert (size in p.unconfirmed) is not entry["confirmed"]
    # the us-east-1 list prices, confirmed; every other region's still to re-check (the note says)
    us = load_prices(US)
    assert [us.instance_hour(s) for s in SIZES] == [D("0.0042"), D("0.0084"), D("0.0168"),
                                                    D("0.0336")]  # fmt: skip
    assert us.unconfirmed == frozenset()
    assert load_prices("eu-central-1").unconfirmed == frozenset(SIZES)
    assert "Not confirmed" in doc["nat_instance_note"] and "root EBS" in doc["nat_instance_note"]


@pytest.mark.parametrize("region", ["us-east-1", "eu-central-1", "ap-southeast-1"])
@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("count", [1, 2, 3, 6])
def test_nat_instance_monthly_is_count_x_hourly_x_730(region: str, size: str, count: int) -> None:
    p = load_prices(region)
    hourly = Decimal(str(_doc()["regions"][region][f"instance_hour_{size}"]["usd"]))
    assert nat_instance_monthly(p, count, size) == count * hourly * 730  # exact, not rounded


def test_nat_instance_monthly_defaults_to_one_t4g_nano(prices: RegionPrices) -> None:
    assert nat_instance_monthly(prices) == D("3.066")  # 0.0042 x 730
    assert usd(nat_instance_monthly(prices) + public_ipv4_monthly(prices)) == "6.72"


def test_unknown_instance_size_names_the_priced_ones(prices: RegionPrices) -> None:
    with pytest.raises(UserError, match=r"unknown NAT instance size 't4g\.huge'.*t4g\.nano"):
        nat_instance_monthly(prices, 1, "t4g.huge")
    with pytest.raises(UserError, match=r"--nat-instance-size: unknown NAT instance size 'm5'"):
        check_instance_size("m5")
    assert check_instance_size("t4g.small") == "t4g.small"


def test_instance_sizes_give_bandwidth_with_source() -> None:
    sizes = instance_sizes()
    assert tuple(sizes) == SIZES
    nano = sizes["t4g.nano"]
    assert (nano.baseline_gbps, nano.burst_gbps) == (D("0.032"), D(5))
    assert nano.source == "https://docs.aws.amazon.com/ec2/latest/instancetypes/gp.html"
    # 0.032 Gbit/s / 8 = 4 MB/s, x 730 h x 3600 s = 10,512 GB a month
    assert nano.gb_at_baseline(D(730)) == D(10512)
    assert [sizes[s].baseline_gbps for s in SIZES] == [D("0.032"), D("0.064"), D("0.128"),
                                                      D("0.256")]  # fmt: skip


@pytest.mark.parametrize("missing", ["usd", "unit", "source", "as_of"])
def test_loader_refuses_a_price_without_usd_unit_source_or_date(
    monkeypatch: pytest.MonkeyPatch, missing: str
) -> None:
    for name in ("instance_hour_t4g.nano", "nat_gateway_hour"):
        doc = pricing._pricing()
        del doc["regions"][US][name][missing]
        monkeypatch.setattr(pricing, "_pricing", lambda doc=doc: doc)
        with pytest.raises(ValueError, match=f"{US}.{name} needs usd, unit, source and as_of"):
            load_prices(US)
