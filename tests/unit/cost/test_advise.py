"""natless.cost.advise: which egress pattern a workload needs, and why."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from natless.cost import advise
from natless.cost.model import Endpoint
from natless.cost.money import usd
from natless.cost.pricing import load_prices
from natless.cost.services import load_catalog
from natless.errors import UserError

D = Decimal


def recommend(**doc: Any) -> advise.Advice:
    catalog = load_catalog()
    workload = advise.workload_from_mapping(doc, catalog)
    return advise.advise(workload, load_prices(workload.region), catalog)


def total(option: advise.Option | None) -> str:
    assert option is not None
    return usd(option.estimate.total_usd)


def test_ipv6_capable_destinations_only_need_egress_only() -> None:
    advice = recommend(aws={"s3": 100, "dynamodb": 20, "sqs": 5}, ipv6_api_gb=10, private=["rds"])
    assert advice.recommended.key == "egress-only"
    assert total(advice.recommended) == "0.00"
    assert advice.runner_up is not None and advice.runner_up.key == "nat-single"
    text = "\n".join(advice.reasons)
    assert "s3, dynamodb: free gateway endpoints" in text
    assert "; s3: the gateway endpoint carries IPv6 too when it is dual-stack" in text
    assert "; dynamodb: the gateway endpoint carries IPv4 only" in text
    assert "sqs: dual-stack endpoints (sqs.{region}.api.aws)" in text
    assert "use_dualstack_endpoint=True" in text


def test_xray_at_low_volume_adds_one_interface_endpoint() -> None:
    advice = recommend(
        aws={"s3": 10, "dynamodb": 1, "sqs": 1, "xray": 1}, ipv6_api_gb=10, private=["rds"]
    )
    assert advice.recommended.key == "egress-only+endpoints"
    assert advice.recommended.topology.interface_endpoints == (Endpoint("xray", 2),)
    assert total(advice.recommended) == "14.61"  # 2 AZs x 7.30 + 1 GB x 0.01
    assert advice.runner_up is not None and advice.runner_up.key == "nat-single"
    assert total(advice.runner_up) == "36.55"
    reason = next(r for r in advice.reasons if r.startswith("xray has no IPv6 endpoint"))
    # both prices are listed, and which wins
    assert "interface endpoints USD 14.60/month" in reason
    assert "one NAT gateway USD 36.50/month" in reason
    assert "interface-endpoints is cheaper at every volume" in reason


def test_many_ipv4_only_services_are_cheaper_through_one_nat() -> None:
    services = ["xray", "ssm", "ssmmessages", "ec2messages"]
    advice = recommend(aws=services, private=["rds"])
    assert advice.recommended.key == "nat-single"
    assert total(advice.recommended) == "36.50"
    assert advice.runner_up is not None and advice.runner_up.key == "egress-only+endpoints"
    assert total(advice.runner_up) == "58.40"  # 4 services x 2 AZs x 7.30
    text = "\n".join(advice.reasons)
    assert "nat-single is cheaper below 625.71 GB/month of aws_ipv4_only" in text
    assert "availability trade-off" in text


def test_many_ipv4_only_services_at_high_volume_go_back_to_endpoints() -> None:
    volumes = {"xray": 500, "ssm": 500, "ssmmessages": 500, "ec2messages": 500}
    advice = recommend(aws=volumes, private=["rds"])
    assert advice.recommended.key == "egress-only+endpoints"
    assert total(advice.recommended) == "78.40"  # 58.40 + 2000 GB x 0.01
    assert total(advice.runner_up) == "126.50"  # 36.50 + 2000 GB x 0.045


def test_ipv4_only_api_at_low_volume_with_rds_uses_the_split() -> None:
    advice = recommend(ipv4_api_gb=5, private=["rds"], aws=["s3"])
    assert advice.recommended.key == "egress-only+split"
    assert total(advice.recommended) == "0.41"  # 1M invocations x 100 ms x 128 MB, DTO free
    assert advice.runner_up is not None and advice.runner_up.key == "nat-single"
    reason = next(r for r in advice.reasons if r.startswith("IPv4-only public API"))
    assert "one NAT gateway USD 36.73" in reason  # 36.50 + 5 GB x 0.045
    assert "IPv4 egress stops in all 2 AZs" in reason
    assert "a NAT gateway per AZ USD 73.23" in reason
    assert "public/private split USD 0.41" in reason


def test_no_private_resources_means_no_vpc() -> None:
    advice = recommend(aws=["sqs", "xray", "s3"], ipv4_api_gb=50, ipv6_api_gb=1)
    assert advice.recommended.key == "no-vpc"
    assert total(advice.recommended) == "0.00"
    assert not advice.recommended.topology.in_vpc
    assert advice.runner_up is not None and advice.runner_up.topology.in_vpc
    assert advice.reasons[0].startswith("no private VPC resources")
    assert any("no IPv6 egress" in r for r in advice.reasons)


def test_no_vpc_still_pays_internet_data_transfer() -> None:
    advice = recommend(ipv4_api_gb=300)
    assert advice.recommended.key == "no-vpc"
    assert total(advice.recommended) == "18.00"  # (300 - 100 free) x 0.09


def test_high_availability_ipv4_only_without_split_is_a_nat_per_az() -> None:
    advice = recommend(ipv4_api_gb=50, private=["rds"], high_availability=True, split_allowed=False)
    assert advice.recommended.key == "nat-per-az"
    assert total(advice.recommended) == "75.25"  # 2 x 36.50 + 50 GB x 0.045
    assert advice.runner_up is None
    excluded = {o.key: o.excluded for o in advice.options}
    assert "single NAT gateway lives in one AZ" in str(excluded["nat-single"])
    assert "split not allowed" in str(excluded["egress-only+split"])
    assert any(r.startswith("ruled out nat-single: high availability") for r in advice.reasons)


def test_high_availability_at_a_volume_too_big_for_invoke_payloads() -> None:
    advice = recommend(ipv4_api_gb=10000, private=["rds"], high_availability=True, azs=3)
    assert advice.recommended.key == "nat-per-az"
    split = next(o for o in advice.options if o.key == "egress-only+split")
    assert split.excluded is not None and "10.2 MB" in split.excluded
    assert "6 MB" in split.excluded


def test_high_availability_without_ipv4_needs_does_not_mention_nat() -> None:
    advice = recommend(aws=["sqs"], private=["rds"], high_availability=True)
    assert advice.recommended.key == "egress-only"
    assert not any("ruled out" in r for r in advice.reasons)


def test_ipv4_api_plus_xray_combines_endpoint_and_split() -> None:
    advice = recommend(aws={"xray": 1}, ipv4_api_gb=1, private=["elasticache"])
    assert advice.recommended.key == "egress-only+endpoints+split"
    assert total(advice.recommended) == "15.02"  # 14.60 + 0.01 + 0.41


def test_eu_central_1_prices() -> None:
    advice = recommend(aws=["xray"], private=["rds"], region="eu-central-1")
    assert advice.recommended.key == "egress-only+endpoints"
    assert total(advice.recommended) == "17.52"  # 0.012 x 730 x 2
    assert total(advice.runner_up) == "41.61"


def test_parse_destinations() -> None:
    catalog = load_catalog()
    assert advise.parse_destinations("sqs, x-ray=2,cloudwatch", catalog) == {
        "sqs": D(0),
        "xray": D(2),
        "monitoring": D(0),
    }


def test_gateway_reason_names_only_the_services_of_the_workload() -> None:
    """DynamoDB alone: its gateway endpoint is IPv4 only, and nothing is said about S3's."""
    advice = recommend(aws={"dynamodb": 20}, private=["rds"])
    reason = next(r for r in advice.reasons if r.startswith("dynamodb: free gateway"))
    assert "carries IPv4 only - keep that SDK client on its IPv4 endpoint" in reason
    assert "IPv6 too" not in reason
    advice = recommend(aws={"s3": 20}, private=["rds"])
    reason = next(r for r in advice.reasons if r.startswith("s3: free gateway"))
    assert 'ip_address_type = "dualstack"' in reason and "IPv4 only" not in reason


# ---------------------------------------------------------------------------------------------
# The NAT instance: always priced, recommended only when allowed, its trade-offs stated
# ---------------------------------------------------------------------------------------------

TRADE_OFFS = (
    "no per-GB processing charge (internet data transfer out still applies)",
    "you run it and patch it",
    "fck-nat",
    "single instance per AZ, so failover is yours",
    "t4g.nano 0.032 Gbps baseline (about 10,512 GB/month if held all month)",
    "bursts up to 5 Gbps (https://docs.aws.amazon.com/ec2/latest/instancetypes/gp.html)",
    "root EBS volume is not in these totals",
)


def test_nat_instance_is_priced_but_not_recommended_unless_allowed() -> None:
    advice = recommend(ipv4_api_gb=50, private=["rds"], split_allowed=False)
    assert advice.recommended.key == "nat-single"
    options = {o.key: o for o in advice.options}
    assert "--nat-instance" in str(options["nat-instance-single"].excluded)
    assert total(options["nat-instance-single"]) == "6.72"  # 0.0042 x 730 + 3.65; DTO free
    assert total(options["nat-instance-per-az"]) == "13.43"
    reason = next(r for r in advice.reasons if r.startswith("NAT instance (t4g.nano"))
    for trade_off in TRADE_OFFS:
        assert trade_off in reason
    assert "not recommended unless you choose to run one (--nat-instance)" in reason
    assert not any(r.startswith("ruled out nat-instance") for r in advice.reasons)
    ipv4 = next(r for r in advice.reasons if r.startswith("IPv4-only public API"))
    assert "one NAT instance (t4g.nano) USD 6.72, a NAT instance per AZ USD 13.43" in ipv4


def test_nat_instance_allowed_wins_over_the_nat_gateway() -> None:
    prices = load_prices("us-east-1")
    advice = recommend(ipv4_api_gb=50, private=["rds"], split_allowed=False,
                       nat_instance_allowed=True)  # fmt: skip
    assert advice.recommended.key == "nat-instance-single"
    expected = (prices.instance_hour("t4g.nano") + prices.public_ipv4_hour) * 730
    assert advice.recommended.estimate.total_usd == expected  # no per-GB, 50 GB inside free DTO
    assert advice.runner_up is not None and advice.runner_up.key == "nat-instance-per-az"
    text = "\n".join(advice.reasons)
    assert "if that AZ or the instance fails, IPv4 egress stops in all 2 AZs" in text
    assert "--nat-instance)" not in text


def test_nat_instance_with_high_availability_is_one_per_az() -> None:
    advice = recommend(ipv4_api_gb=50, private=["rds"], split_allowed=False,
                       nat_instance_allowed=True, high_availability=True, azs=3)  # fmt: skip
    assert advice.recommended.key == "nat-instance-per-az"
    assert total(advice.recommended) == "20.15"  # 3 x (3.066 + 3.65)
    excluded = {o.key: o.excluded for o in advice.options}
    assert "single NAT instance lives in one AZ" in str(excluded["nat-instance-single"])


def test_nat_instance_size_and_a_volume_beyond_its_baseline() -> None:
    advice = recommend(ipv4_api_gb=30000, private=["rds"], azs=1, nat_instance_allowed=True,
                       split_allowed=False, nat_instance_size="t4g.small")  # fmt: skip
    assert advice.recommended.key == "nat-instance-single"
    assert advice.recommended.topology.nat_instance_size == "t4g.small"
    reason = next(r for r in advice.reasons if r.startswith("NAT instance (t4g.small"))
    assert "USD 0.0168/h = USD 12.26/month each" in reason
    # 0.128 Gbps held all month = 42,048 GB: 30,000 fits; a nano (10,512) would not
    assert "about 42,048 GB/month" in reason and "larger size" not in reason
    small = recommend(ipv4_api_gb=30000, private=["rds"], azs=1)
    reason = next(r for r in small.reasons if r.startswith("NAT instance (t4g.nano"))
    assert "30000 GB/month of IPv4-only traffic is more than one t4g.nano sustains" in reason
    assert "choose a larger size (--nat-instance-size)" in reason
    spread = recommend(ipv4_api_gb=20000, private=["rds"], azs=3)
    reason = next(r for r in spread.reasons if r.startswith("NAT instance (t4g.nano"))
    assert "one per AZ carries about 6,667 GB/month each" in reason


def test_nat_instance_unconfirmed_price_is_said() -> None:
    advice = recommend(ipv4_api_gb=5, private=["rds"], region="eu-central-1")
    reason = next(r for r in advice.reasons if r.startswith("NAT instance (t4g.nano"))
    assert "the eu-central-1 price of t4g.nano was not confirmed" in reason
    us = recommend(ipv4_api_gb=5, private=["rds"])
    assert not any("not confirmed" in r for r in us.reasons)


def test_nat_instance_not_mentioned_without_ipv4_needs() -> None:
    advice = recommend(aws=["sqs", "s3"], private=["rds"])
    assert advice.recommended.key == "egress-only"
    assert not any("NAT instance" in r for r in advice.reasons)


def test_nat_instance_in_json_and_the_endpoints_reason() -> None:
    advice = recommend(aws=["xray", "ssm", "ssmmessages", "ec2messages"], private=["rds"])
    reason = next(r for r in advice.reasons if r.startswith("xray, ssm"))
    assert "or one NAT instance (t4g.nano) USD 6.72/month + USD 0/GB" in reason
    doc = advice.as_json()["nat_instance"]
    assert doc == {
        "size": "t4g.nano",
        "allowed": False,
        "usd_per_hour": "0.0042",
        "usd_per_month": "3.07",
        "price_confirmed": True,
        "baseline_gbps": "0.032",
        "burst_gbps": "5",
        "bandwidth_source": "https://docs.aws.amazon.com/ec2/latest/instancetypes/gp.html",
    }


def test_nat_instance_workload_keys_are_checked() -> None:
    with pytest.raises(
        UserError, match=r"nat_instance_size: unknown NAT instance size 't4g\.huge'"
    ):
        recommend(ipv4_api_gb=1, nat_instance_size="t4g.huge")
    with pytest.raises(UserError, match="nat_instance_size must be an EC2 size"):
        recommend(ipv4_api_gb=1, nat_instance_size=3)
    with pytest.raises(UserError, match="nat_instance_allowed must be true or false"):
        recommend(ipv4_api_gb=1, nat_instance_allowed="yes")
