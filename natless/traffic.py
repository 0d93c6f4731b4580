"""Traffic profiles: GB/month per destination class, from ``--traffic`` text or a JSON file.

The classes (:data:`TRAFFIC_CLASSES`) are what decides the way out of a VPC: S3 and DynamoDB
(gateway endpoints), AWS services with and without an IPv6 endpoint, and internet destinations
with and without IPv6. Only the internet classes pay data transfer out (:data:`INTERNET_CLASSES`).
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from natless.errors import UserError
from natless.jsonfile import read_json_file
from natless.money import parse_gb

TRAFFIC_CLASSES = (
    "s3",
    "dynamodb",
    "aws_ipv6",
    "aws_ipv4_only",
    "internet_ipv6",
    "internet_ipv4_only",
)
INTERNET_CLASSES = frozenset({"internet_ipv6", "internet_ipv4_only"})


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


def load_traffic_file(path: Path) -> dict[str, Decimal]:
    return traffic_from_mapping(
        read_json_file(path, "traffic file", decimals=True), f"traffic file {path}"
    )
