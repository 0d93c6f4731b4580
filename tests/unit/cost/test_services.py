"""natless.cost.services: the AWS services as data (IPv6, endpoints, traffic classes)."""

from __future__ import annotations

from natless.cost.services import Catalog


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
