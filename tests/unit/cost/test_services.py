"""natless.cost.services: the AWS services as data (IPv6, endpoints, traffic classes)."""

from __future__ import annotations

import json
from importlib import resources

import pytest

from natless.cost.services import Catalog, load_catalog


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


def test_only_s3s_gateway_endpoint_carries_ipv6(catalog: Catalog) -> None:
    """Since November 2025 a dual-stack S3 gateway endpoint carries IPv6; DynamoDB's stays IPv4."""
    assert {s.name for s in catalog.services.values() if s.gateway_endpoint_ipv6} == {"s3"}
    assert catalog.service("dynamodb").gateway_endpoint and catalog.service("dynamodb").ipv6
    assert "IPv4 only" in (catalog.service("dynamodb").note or "")
    assert "dualstack also carries IPv6" in (catalog.service("s3").note or "")


def test_gateway_endpoint_ipv6_needs_a_gateway_endpoint() -> None:
    text = resources.files("natless.cost").joinpath("data", "services.json").read_text("utf-8")
    doc = json.loads(text)
    assert load_catalog(json.dumps(doc)).service("s3").gateway_endpoint_ipv6
    doc["services"]["sqs"]["gateway_endpoint_ipv6"] = True
    with pytest.raises(ValueError, match="sqs has gateway_endpoint_ipv6 but no gateway endpoint"):
        load_catalog(json.dumps(doc))
