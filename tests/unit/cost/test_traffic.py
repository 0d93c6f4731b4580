"""natless.cost.traffic: traffic volumes as given on the command line."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest

from natless.cost.traffic import parse_traffic
from natless.errors import UserError

D = Decimal


def test_parse_traffic() -> None:
    assert parse_traffic("s3=10, internet_ipv4_only=100.5") == {
        "s3": D(10),
        "internet_ipv4_only": D("100.5"),
    }


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("s3=-1", "traffic volume for s3 must be >= 0"),
        ("nat=5", "unknown traffic class 'nat'; allowed classes: s3, dynamodb"),
        ("s3=lots", "traffic volume for s3 must be a number"),
        ("s3", "needs CLASS=GB"),
        ("s3=nan", "finite"),
    ],
)
def test_parse_traffic_errors(spec: str, message: str) -> None:
    with pytest.raises(UserError, match=re.escape(message)):
        parse_traffic(spec)


def test_volumes_are_bounded() -> None:
    assert parse_traffic("s3=1000000000") == {"s3": D(10**9)}
    for spec in ("s3=1000000001", "s3=1e309", "s3=1e-10"):
        with pytest.raises(UserError, match="traffic volume for s3 must be"):
            parse_traffic(spec)
    assert parse_traffic("s3=0e-999999999") == {"s3": D(0)}
