"""Route resolution on hand-made route tables: longest prefix, prefix lists, main table, IPv6."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

from natless.errors import UserError
from natless.net.routes import (
    AWS_MANAGED,
    EGRESS_ONLY,
    GATEWAY_ENDPOINT,
    INTERNET_GATEWAY,
    LOCAL,
    NAT,
    UNREACHABLE,
    render,
    route_matrix,
)

S3_LIST = {"PrefixListId": "pl-s3", "PrefixListName": "com.amazonaws.us-east-1.s3"}
DDB_LIST = {"PrefixListId": "pl-ddb", "PrefixListName": "com.amazonaws.us-east-1.dynamodb"}
ENTRIES = {"pl-s3": ["52.216.0.0/15", "3.5.0.0/19"], "pl-ddb": ["52.94.0.0/22"]}
V6 = [{"Ipv6CidrBlock": "2600:1f18:1:100::/64", "Ipv6CidrBlockState": {"State": "associated"}}]


class FakeEC2:
    def __init__(self, subnets: list[dict[str, Any]], tables: list[dict[str, Any]]) -> None:
        self.meta = SimpleNamespace(region_name="us-east-1")
        self.subnets = {s["SubnetId"]: s for s in subnets}
        self.tables = tables

    def get_managed_prefix_list_entries(self, PrefixListId: str) -> dict[str, Any]:
        return {"Entries": [{"Cidr": c} for c in ENTRIES[PrefixListId]]}

    def describe_managed_prefix_lists(self, Filters: list[dict[str, Any]]) -> dict[str, Any]:
        name = Filters[0]["Values"][0]
        return {"PrefixLists": [p for p in (S3_LIST, DDB_LIST) if p["PrefixListName"] == name]}

    def describe_subnets(self, SubnetIds: list[str]) -> dict[str, Any]:
        return {"Subnets": [self.subnets[i] for i in SubnetIds]}

    def describe_route_tables(self, Filters: list[dict[str, Any]]) -> dict[str, Any]:
        f = {x["Name"]: x["Values"][0] for x in Filters}
        if "association.subnet-id" in f:
            found = [t for t in self.tables if f["association.subnet-id"] in t["_subnets"]]
        else:
            found = [t for t in self.tables if t.get("_main")]
        return {"RouteTables": found}


class FakeLambda:
    class exceptions:  # mirrors botocore client.exceptions
        class ResourceNotFoundException(Exception):
            pass

    def __init__(self, configs: dict[str, dict[str, Any]]) -> None:
        self.configs = configs

    def get_function_configuration(self, FunctionName: str) -> dict[str, Any]:
        if FunctionName not in self.configs:
            raise self.exceptions.ResourceNotFoundException(FunctionName)
        return self.configs[FunctionName]


def subnet(sid: str, az: str, v6: bool = True) -> dict[str, Any]:
    return {
        "SubnetId": sid,
        "VpcId": "vpc-1",
        "AvailabilityZone": az,
        "Ipv6CidrBlockAssociationSet": V6 if v6 else [],
    }


LOCALS = [
    {"DestinationCidrBlock": "10.0.0.0/16", "GatewayId": "local"},
    {"DestinationIpv6CidrBlock": "2600:1f18:1:100::/56", "GatewayId": "local"},
]
PRIVATE = {
    "RouteTableId": "rtb-private",
    "_subnets": {"subnet-a"},
    "Routes": [
        *LOCALS,
        {"DestinationPrefixListId": "pl-s3", "GatewayId": "vpce-s3"},
        {"DestinationPrefixListId": "pl-ddb", "GatewayId": "vpce-ddb"},
        {"DestinationIpv6CidrBlock": "::/0", "EgressOnlyInternetGatewayId": "eigw-1"},
        {"DestinationCidrBlock": "0.0.0.0/0", "NatGatewayId": "nat-1"},
        {"DestinationIpv6CidrBlock": "64:ff9b::/96", "NatGatewayId": "nat-1"},
    ],
}
MAIN = {
    "RouteTableId": "rtb-main",
    "_main": True,
    "_subnets": set(),
    "Routes": [
        *LOCALS,
        {"DestinationCidrBlock": "0.0.0.0/0", "GatewayId": "igw-1"},
        {"DestinationIpv6CidrBlock": "::/0", "GatewayId": "igw-1", "State": "blackhole"},
    ],
}


def vpc_config(*subnets: str, ipv6: bool = True) -> dict[str, Any]:
    return {"VpcConfig": {"SubnetIds": list(subnets), "Ipv6AllowedForDualStack": ipv6}}


def matrix(configs: dict[str, dict[str, Any]], subnets=None):
    ec2 = FakeEC2(
        subnets or [subnet("subnet-a", "us-east-1a"), subnet("subnet-b", "us-east-1b")],
        [PRIVATE, MAIN],
    )
    return route_matrix(ec2, FakeLambda(configs), list(configs))


def test_longest_prefix_wins_and_prefix_lists_expand() -> None:
    m = matrix({"fn": vpc_config("subnet-a")})
    cells = m.rows[0].cells
    assert (cells["s3-ipv4"].kind, cells["s3-ipv4"].target) == (GATEWAY_ENDPOINT, "vpce-s3")
    assert cells["s3-ipv4"].destination == "pl-s3"
    assert cells["dynamodb-ipv4"].target == "vpce-ddb"
    assert (cells["internet-ipv4"].kind, cells["internet-ipv4"].target) == (NAT, "nat-1")
    assert (cells["internet-ipv6"].kind, cells["internet-ipv6"].target) == (EGRESS_ONLY, "eigw-1")
    assert (cells["nat64"].kind, cells["nat64"].destination) == (NAT, "64:ff9b::/96")


def test_subnet_without_association_uses_the_main_table() -> None:
    m = matrix({"fn": vpc_config("subnet-b")})
    row = m.rows[0]
    assert row.route_table_id == "rtb-main"
    assert row.cells["s3-ipv4"].kind == INTERNET_GATEWAY  # no endpoint route there
    assert row.cells["internet-ipv6"].kind == UNREACHABLE  # blackhole


def test_ipv6_off_on_the_function_makes_ipv6_unreachable() -> None:
    m = matrix({"fn": vpc_config("subnet-a", ipv6=False)})
    cells = m.rows[0].cells
    assert cells["internet-ipv6"].kind == UNREACHABLE
    assert "Ipv6AllowedForDualStack" in (cells["internet-ipv6"].target or "")
    assert cells["s3-ipv4"].kind == GATEWAY_ENDPOINT


def test_subnet_without_ipv6_block() -> None:
    m = matrix({"fn": vpc_config("subnet-a")}, subnets=[subnet("subnet-a", "a", v6=False)])
    assert m.rows[0].cells["sqs-dualstack-ipv6"].target == "subnet has no IPv6 block"


def test_function_outside_a_vpc_is_aws_managed_beside_a_vpc_one() -> None:
    m = matrix({"in": vpc_config("subnet-a"), "out": {}})
    assert {c.kind for c in m.rows[-1].cells.values()} == {AWS_MANAGED}
    assert m.kinds("in")["s3-ipv4"] == {GATEWAY_ENDPOINT}


def test_only_functions_outside_a_vpc_is_an_error() -> None:
    with pytest.raises(UserError, match="not attached to any VPC"):
        matrix({"out": {}})


def test_unknown_function_is_an_error() -> None:
    ec2 = FakeEC2([], [])
    with pytest.raises(UserError, match="'ghost' not found"):
        route_matrix(ec2, FakeLambda({}), ["ghost"])


def test_render_one_column_per_subnet() -> None:
    text = render(matrix({"fn": vpc_config("subnet-a", "subnet-b"), "out": {}}))
    lines = text.splitlines()
    assert lines[0].split() == ["fn", "fn", "out"]
    assert lines[2].split() == ["subnet", "subnet-a", "subnet-b", "(no", "VPC)"]
    s3 = next(line for line in lines if line.startswith("S3 (IPv4)"))
    assert s3.split()[2:] == ["vpce-s3", "igw-1", "aws-managed"]
    assert LOCAL not in text.split()
