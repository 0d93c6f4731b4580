"""Traffic profiles: GB/month per destination class, from ``--traffic`` text or a JSON file.

The classes (:data:`TRAFFIC_CLASSES`) are what decides the way out of a VPC: S3 and DynamoDB
(gateway endpoints), AWS services with and without an IPv6 endpoint, and internet destinations
with and without IPv6. Only the internet classes pay data transfer out (:data:`INTERNET_CLASSES`).

Volumes are checked by :func:`parse_volume`: finite, from 0 to :data:`MAX_GB` GB/month, and no
finer than :data:`MIN_GB` (one byte).
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from natless.cost.money import ZERO, parse_gb
from natless.errors import UserError
from natless.jsonfile import read_json_file

TRAFFIC_CLASSES = (
    "s3",
    "dynamodb",
    "aws_ipv6",
    "aws_ipv4_only",
    "internet_ipv6",
    "internet_ipv4_only",
)
INTERNET_CLASSES = frozenset({"internet_ipv6", "internet_ipv4_only"})
# 10^9 GB (an exabyte) a month is over 30 PB a day, far beyond any Lambda workload: larger
# volumes are typos, and their prices would overflow the 28 digits of decimal arithmetic.
MAX_GB = Decimal(10) ** 9
MIN_GB = Decimal("1e-9")  # one byte: finer volumes are typos (and print as endless zeros)


def parse_volume(value: object, what: str) -> Decimal:
    """A GB/month volume from user input: finite, 0 or MIN_GB..MAX_GB; else a UserError."""
    number = parse_gb(value, what)
    if number == 0:
        return ZERO
    if number > MAX_GB:
        raise UserError(
            f"{what} must be at most {MAX_GB:,.0f} GB/month (an exabyte), got {value}; "
            "give the monthly volume in GB"
        )
    if number < MIN_GB:
        raise UserError(f"{what} must be 0 or at least 0.000000001 GB/month (a byte), got {value}")
    return number


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
        traffic[key] = parse_volume(value, f"traffic volume for {key}")
    return traffic


def traffic_from_mapping(doc: object, where: str) -> dict[str, Decimal]:
    """A traffic profile from a JSON object ``{"class": GB, ...}``."""
    if not isinstance(doc, dict):
        raise UserError(
            f"{where} must hold a JSON object of CLASS: GB/month, e.g. "
            '{"s3": 10, "internet_ipv4_only": 100}'
        )
    return {_traffic_class(k): parse_volume(v, f"traffic volume for {k}") for k, v in doc.items()}


def load_traffic_file(path: Path) -> dict[str, Decimal]:
    doc = read_json_file(path, "traffic file", decimals=True)
    try:
        return traffic_from_mapping(doc, f"traffic file {path}")
    except UserError as exc:
        message = str(exc)
        if message.startswith(f"traffic file {path}"):
            raise
        raise UserError(f"traffic file {path}: {message}") from None
