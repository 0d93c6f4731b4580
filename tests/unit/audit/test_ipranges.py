"""natless.audit.ipranges: the shipped snapshot and a user's ip-ranges.json."""

from __future__ import annotations

import ipaddress
import json
import re
from importlib import resources
from pathlib import Path

import pytest

from natless.audit.ipranges import load_ip_ranges
from natless.errors import UserError

SNAPSHOT = json.loads(
    resources.files("natless.audit").joinpath("data", "ip-ranges-snapshot.json").read_text("utf-8")
)


def aws_file(tmp_path: Path, doc: object) -> Path:
    path = tmp_path / "ip-ranges.json"
    path.write_text(json.dumps(doc), "utf-8")
    return path


USER_DOC = {
    "syncToken": "1787411825",
    "createDate": "2026-08-22-15-17-05",
    "prefixes": [
        {
            "ip_prefix": "3.4.12.4/32",
            "region": "eu-west-1",
            "service": "AMAZON",
            "network_border_group": "eu-west-1",
        },
        {
            "ip_prefix": "52.216.0.0/15",
            "region": "us-east-1",
            "service": "S3",
            "network_border_group": "us-east-1",
        },
        {
            "ip_prefix": "13.32.0.0/15",
            "region": "GLOBAL",
            "service": "CLOUDFRONT",
            "network_border_group": "GLOBAL",
        },
    ],
    "ipv6_prefixes": [
        {
            "ipv6_prefix": "2600:1f18::/33",
            "region": "us-east-1",
            "service": "EC2",
            "network_border_group": "us-east-1",
        },
        {
            "ipv6_prefix": "2a05:d000::/25",
            "region": "eu-west-1",
            "service": "AMAZON",
            "network_border_group": "eu-west-1",
        },
    ],
}


def test_the_snapshot_is_dated_real_data_with_its_source() -> None:
    source = SNAPSHOT["source"]
    assert source["repo"] == "seligman/aws-ip-ranges"
    assert source["path"] == "ip-ranges.json"
    assert re.fullmatch(r"[0-9a-f]{40}", source["commit"])
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}-\d{2}-\d{2}-\d{2}", SNAPSHOT["createDate"])
    assert SNAPSHOT["syncToken"].isdigit()
    assert set(SNAPSHOT["regions"]) == {"us-east-1", "eu-central-1", "ap-southeast-1", "GLOBAL"}
    regions = {e["region"] for e in SNAPSHOT["prefixes"] + SNAPSHOT["ipv6_prefixes"]}
    assert regions == set(SNAPSHOT["regions"])


@pytest.mark.parametrize("region", ["us-east-1", "eu-central-1", "ap-southeast-1"])
def test_the_snapshot_gives_the_region_and_global_ipv4_and_ipv6(region: str) -> None:
    created, ranges = load_ip_ranges(region)
    assert created == SNAPSHOT["createDate"]
    wanted = {region, "GLOBAL"}
    expected = [
        (str(ipaddress.ip_network(e["ip_prefix"])), e["service"])
        for e in SNAPSHOT["prefixes"]
        if e["region"] in wanted
    ] + [
        (str(ipaddress.ip_network(e["ipv6_prefix"])), e["service"])
        for e in SNAPSHOT["ipv6_prefixes"]
        if e["region"] in wanted
    ]
    assert list(ranges) == expected
    services = {service for _, service in ranges}
    assert {"AMAZON", "EC2", "S3", "DYNAMODB", "CLOUDFRONT"} <= services
    assert any(":" in cidr for cidr, _ in ranges)
    assert any(":" not in cidr for cidr, _ in ranges)


def test_a_region_outside_the_snapshot_asks_for_the_file() -> None:
    with pytest.raises(UserError, match=r"not us-west-2; download .* --ip-ranges PATH"):
        load_ip_ranges("us-west-2")


def test_a_user_file_is_filtered_to_the_region_and_global(tmp_path: Path) -> None:
    created, ranges = load_ip_ranges("us-east-1", aws_file(tmp_path, USER_DOC))
    assert created == "2026-08-22-15-17-05"
    assert ranges == (
        ("52.216.0.0/15", "S3"),
        ("13.32.0.0/15", "CLOUDFRONT"),
        ("2600:1f18::/33", "EC2"),
    )


@pytest.mark.parametrize(
    ("doc", "message"),
    [
        ([], "not AWS's ip-ranges.json"),
        ({"createDate": "x"}, "not AWS's ip-ranges.json"),
        ({"prefixes": []}, "no createDate"),
        (USER_DOC | {"ipv6_prefixes": {}}, "'ipv6_prefixes' must be a list"),
        (USER_DOC | {"prefixes": ["52.216.0.0/15"]}, r"prefixes\[0\] must be an object"),
        (
            USER_DOC | {"prefixes": [{"ip_prefix": "52.216.0.0/15", "region": "us-east-1"}]},
            r"prefixes\[0\] needs 'ip_prefix' and 'service'",
        ),
        (
            USER_DOC
            | {
                "prefixes": [{"ip_prefix": "52.216.0.1/15", "region": "us-east-1", "service": "S3"}]
            },
            r"prefixes\[0\] has no valid CIDR: '52.216.0.1/15'",
        ),
        (
            USER_DOC | {"prefixes": USER_DOC["prefixes"][:1]},
            "no IPv4 prefixes for region us-east-1",
        ),
    ],
)
def test_a_damaged_user_file_is_a_user_error(tmp_path: Path, doc: object, message: str) -> None:
    path = aws_file(tmp_path, doc)
    with pytest.raises(UserError, match=message) as caught:
        load_ip_ranges("us-east-1", path)
    assert str(path) in str(caught.value)


def test_a_missing_or_non_json_file_is_a_user_error(tmp_path: Path) -> None:
    with pytest.raises(UserError, match="no such file"):
        load_ip_ranges("us-east-1", tmp_path / "nope.json")
    bad = tmp_path / "bad.json"
    bad.write_text("{", "utf-8")
    with pytest.raises(UserError, match="not valid JSON"):
        load_ip_ranges("us-east-1", bad)
