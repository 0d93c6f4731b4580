"""natless.cost.advise: which egress pattern a workload needs, and why."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from natless.cost import advise
from natless.cost.model import Endpoint
from natless.cost.money import usd
from natless.cost.pricing import load_prices
from natless.cost.services import load_catalog

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
