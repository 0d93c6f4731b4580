"""Route resolution on hand-made route tables: longest prefix, prefix lists, main table, IPv6,
dual-stack gateway endpoints, NAT64 black holes and security-group egress."""

from __future__ import annotations

import json
from types import SimpleNamespace
from typing import Any

import pytest

from natless.errors import UserError
from natless.net.routes import (
    AWS_MANAGED,
    BLACK_HOLE,
    EGRESS_ONLY,
    GATEWAY_ENDPOINT,
    INTERNET_GATEWAY,
    LOCAL,
    NAT,
    NO_NAT64,
    SG_ALLOWS,
    SG_BLOCKS,
    UNKNOWN,
    UNREACHABLE,
    render,
    route_matrix,
)

S3_LIST = {"PrefixListId": "pl-s3", "PrefixListName": "com.amazonaws.us-east-1.s3"}
DDB_LIST = {"PrefixListId": "pl-ddb", "PrefixListName": "com.amazonaws.us-east-1.dynamodb"}
ENTRIES = {"pl-s3": ["52.216.0.0/15", "3.5.0.0/19"], "pl-ddb": ["52.94.0.0/22"]}
# AWS's S3 list of a region with dual-stack gateway endpoints: IPv4 and IPv6 entries
S3_V6_ENTRIES = {**ENTRIES, "pl-s3": ["52.216.0.0/15", "2600:1fa0:4000::/40", "3.5.0.0/19"]}
V6 = [{"Ipv6CidrBlock": "2600:1f18:1:100::/64", "Ipv6CidrBlockState": {"State": "associated"}}]


class FakeEC2:
    def __init__(
        self,
        subnets: list[dict[str, Any]],
        tables: list[dict[str, Any]],
        *,
        entries: dict[str, list[str]] | None = None,
        endpoints: dict[str, str | None] | None = None,
        groups: list[dict[str, Any]] = (),  # type: ignore[assignment]
    ) -> None:
        self.meta = SimpleNamespace(region_name="us-east-1")
        self.subnets = {s["SubnetId"]: s for s in subnets}
        self.tables = tables
        self.entries = ENTRIES if entries is None else entries
        # endpoint id -> IpAddressType; None: not reported (as the emulator does)
        self.endpoints = {"vpce-s3": "ipv4", "vpce-ddb": "ipv4"} if endpoints is None else endpoints
        self.groups = {g["GroupId"]: g for g in groups}
        self.calls: list[str] = []

    def get_managed_prefix_list_entries(self, PrefixListId: str) -> dict[str, Any]:
        return {"Entries": [{"Cidr": c} for c in self.entries[PrefixListId]]}

    def describe_managed_prefix_lists(self, Filters: list[dict[str, Any]]) -> dict[str, Any]:
        name = Filters[0]["Values"][0]
        return {"PrefixLists": [p for p in (S3_LIST, DDB_LIST) if p["PrefixListName"] == name]}

    def describe_vpc_endpoints(self, VpcEndpointIds: list[str]) -> dict[str, Any]:
        self.calls.append("describe_vpc_endpoints")
        found = []
        for endpoint_id in VpcEndpointIds:
            endpoint: dict[str, Any] = {"VpcEndpointId": endpoint_id, "VpcEndpointType": "Gateway"}
            if self.endpoints.get(endpoint_id):
                endpoint["IpAddressType"] = self.endpoints[endpoint_id]
            found.append(endpoint)
        return {"VpcEndpoints": found}

    def describe_security_groups(self, GroupIds: list[str]) -> dict[str, Any]:
        self.calls.append("describe_security_groups")
        return {"SecurityGroups": [self.groups[i] for i in GroupIds]}

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


def vpc_config(*subnets: str, ipv6: bool = True, groups: tuple[str, ...] = ()) -> dict[str, Any]:
    config: dict[str, Any] = {"SubnetIds": list(subnets), "Ipv6AllowedForDualStack": ipv6}
    if groups:
        config["SecurityGroupIds"] = list(groups)
    return {"VpcConfig": config}


def matrix(configs: dict[str, dict[str, Any]], subnets=None, tables=None, **fake: Any):
    ec2 = FakeEC2(
        subnets or [subnet("subnet-a", "us-east-1a"), subnet("subnet-b", "us-east-1b")],
        tables or [PRIVATE, MAIN],
        **fake,
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
    assert m.rows[0].cells["s3-ipv6"].target == "subnet has no IPv6 block"


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


# --- S3 over IPv6: the dual-stack gateway endpoint ------------------------------------------


def test_s3_ipv6_takes_a_dual_stack_gateway_endpoint_by_the_lists_ipv6_entries() -> None:
    m = matrix({"fn": vpc_config("subnet-a")}, entries=S3_V6_ENTRIES, endpoints={})
    cells = m.rows[0].cells
    s3 = cells["s3-ipv6"]
    assert (s3.kind, s3.target, s3.destination) == (GATEWAY_ENDPOINT, "vpce-s3", "pl-s3")
    assert s3.address == "2600:1fa0:4000::1" and s3.note is None  # from the list's IPv6 entry
    assert cells["s3-ipv4"].address == "52.216.0.1"  # IPv4 still from the list's IPv4 entries
    assert cells["internet-ipv6"].target == "eigw-1"  # only S3's addresses take the endpoint


@pytest.mark.parametrize("ip_type", ["ipv4", None])  # None: made without a type, AWS's ipv4
def test_s3_ipv6_on_an_ipv4_gateway_endpoint_leaves_through_the_egress_only_gateway(
    ip_type: str | None,
) -> None:
    m = matrix({"fn": vpc_config("subnet-a")}, endpoints={"vpce-s3": ip_type})  # IPv4-only list
    s3 = m.rows[0].cells["s3-ipv6"]
    assert (s3.kind, s3.target, s3.destination) == (EGRESS_ONLY, "eigw-1", "::/0")
    assert s3.note is None


def test_s3_ipv6_is_unknown_when_the_list_has_no_ipv6_entry() -> None:
    """The emulator: moto's S3 list is IPv4 only, whatever the endpoint's IpAddressType."""
    says = "vpce-s3 is a dualstack gateway endpoint"
    m = matrix({"fn": vpc_config("subnet-a", "subnet-b")}, endpoints={"vpce-s3": "dualstack"})
    private, main = m.rows
    s3 = private.cells["s3-ipv6"]
    assert (s3.kind, s3.target, s3.destination) == (UNKNOWN, "eigw-1", "::/0")
    assert s3.note == (
        f"{says} and prefix list pl-s3 lists no IPv6 CIDR (as on the emulator): "
        "it may take vpce-s3, or else ::/0 -> eigw-1"
    )
    assert main.cells["s3-ipv6"].kind == UNREACHABLE  # no endpoint route there: blackhole ::/0
    assert private.cells["s3-ipv4"].kind == GATEWAY_ENDPOINT
    assert private.cells["dynamodb-ipv4"].note is None
    text = render(m)
    assert next(x for x in text.splitlines() if x.startswith("S3 (IPv6)")).split()[2:] == [
        "UNKNOWN",
        "UNREACHABLE",
    ]
    assert f"- S3 (IPv6): {s3.note} (subnet-a)" in text.splitlines()


# --- NAT64 ------------------------------------------------------------------------------------


EIGW_ONLY = {
    "RouteTableId": "rtb-eigw",
    "_subnets": {"subnet-a"},
    "Routes": [
        *LOCALS,
        {"DestinationIpv6CidrBlock": "::/0", "EgressOnlyInternetGatewayId": "eigw-1"},
    ],
}


@pytest.mark.parametrize(
    "nat64_route",
    [
        [],  # ::/0 to the EIGW catches 64:ff9b::/96 too
        [{"DestinationIpv6CidrBlock": "64:ff9b::/96", "EgressOnlyInternetGatewayId": "eigw-1"}],
        [{"DestinationIpv6CidrBlock": "64:ff9b::/96", "GatewayId": "igw-1"}],
    ],
    ids=["default-route", "explicit-eigw", "internet-gateway"],
)
def test_nat64_to_a_gateway_that_does_not_translate_is_a_black_hole(nat64_route) -> None:
    table = {**EIGW_ONLY, "Routes": [*EIGW_ONLY["Routes"], *nat64_route]}
    m = matrix({"fn": vpc_config("subnet-a")}, tables=[table, MAIN])
    cell = m.rows[0].cells["nat64"]
    assert cell.kind == BLACK_HOLE
    assert cell.note == f"{cell.target}: {NO_NAT64}"
    assert m.rows[0].cells["internet-ipv6"].kind == EGRESS_ONLY  # the rest of ::/0 is fine
    lines = render(m).splitlines()
    assert next(x for x in lines if x.startswith("NAT64")).split()[-2:] == ["BLACK", "HOLE"]
    assert f"- NAT64 64:ff9b::/96: {cell.target}: {NO_NAT64} (subnet-a)" in lines


def test_nat64_to_a_nat_gateway_is_a_route() -> None:
    cell = matrix({"fn": vpc_config("subnet-a")}).rows[0].cells["nat64"]
    assert (cell.kind, cell.target, cell.note) == (NAT, "nat-1", None)


# --- security-group egress --------------------------------------------------------------------


def rule(protocol: str, ports: tuple[int, int] | None = None, **to: list[str]) -> dict[str, Any]:
    out: dict[str, Any] = {
        "IpProtocol": protocol,
        "IpRanges": [{"CidrIp": c} for c in to.get("v4", [])],
        "Ipv6Ranges": [{"CidrIpv6": c} for c in to.get("v6", [])],
        "PrefixListIds": [{"PrefixListId": p} for p in to.get("pl", [])],
        "UserIdGroupPairs": [{"GroupId": g} for g in to.get("sg", [])],
    }
    if ports:
        out["FromPort"], out["ToPort"] = ports
    return out


def group(group_id: str, *rules: dict[str, Any]) -> dict[str, Any]:
    return {"GroupId": group_id, "IpPermissionsEgress": list(rules)}


def sg_matrix(*groups: dict[str, Any], **fake: Any):
    ids = tuple(g["GroupId"] for g in groups)
    return matrix({"fn": vpc_config("subnet-a", groups=ids)}, groups=list(groups), **fake)


def test_egress_rules_are_evaluated_per_cell() -> None:
    """HTTPS to ::/0 and to S3's prefix list only: DynamoDB and the IPv4 internet are blocked."""
    m = sg_matrix(group("sg-1", rule("tcp", (443, 443), v6=["::/0"], pl=["pl-s3"])))
    cells = m.rows[0].cells
    assert m.rows[0].security_group_ids == ("sg-1",)
    assert cells["s3-ipv4"].security_group == SG_ALLOWS
    assert cells["internet-ipv6"].security_group == SG_ALLOWS
    assert cells["dynamodb-ipv4"].security_group == SG_BLOCKS
    assert cells["dynamodb-ipv4"].kind == GATEWAY_ENDPOINT  # the route still says where
    assert cells["dynamodb-ipv4"].note == (
        "route allows, security group blocks: no egress rule of sg-1 allows TCP 443 to 52.94.0.1"
    )
    assert cells["internet-ipv4"].security_group == SG_BLOCKS
    assert m.blocked("fn") == {"dynamodb-ipv4", "internet-ipv4"}
    lines = render(m).splitlines()
    assert next(x for x in lines if x.startswith("DynamoDB")).split()[2:] == [
        "vpce-ddb",
        "(SG",
        "blocks)",
    ]
    assert next(x for x in lines if x.startswith("S3 (IPv4)")).split()[2:] == ["vpce-s3"]
    assert any(
        x.startswith("- DynamoDB (IPv4): route allows, security group blocks") for x in lines
    )


def test_unreachable_cells_are_not_evaluated() -> None:
    m = sg_matrix(group("sg-1"), tables=[EIGW_ONLY, MAIN])  # no egress rule at all
    cells = m.rows[0].cells
    assert cells["internet-ipv4"].kind == UNREACHABLE
    assert cells["internet-ipv4"].security_group is None
    assert cells["nat64"].security_group is None  # black hole: nothing to allow
    assert cells["internet-ipv6"].security_group == SG_BLOCKS


@pytest.mark.parametrize(
    ("rules", "allowed"),
    [
        ([rule("-1", v4=["0.0.0.0/0"])], True),  # all traffic
        ([rule("tcp", (0, 65535), v4=["198.51.0.0/16"])], True),  # a range around 443
        ([rule("6", (443, 443), v4=["198.51.100.53/32"])], True),  # protocol by number
        ([rule("tcp", (80, 80), v4=["0.0.0.0/0"])], False),  # wrong port
        ([rule("udp", (443, 443), v4=["0.0.0.0/0"])], False),  # wrong protocol
        ([rule("tcp", (443, 443), v6=["::/0"])], False),  # wrong family
        ([rule("tcp", (443, 443), v4=["9.0.0.0/8"])], False),  # elsewhere
        ([rule("-1", sg=["sg-other"])], False),  # a group reference reaches no internet address
    ],
)
def test_egress_rule_matching_for_the_ipv4_internet(rules, allowed) -> None:
    cell = sg_matrix(group("sg-1", *rules)).rows[0].cells["internet-ipv4"]
    assert cell.security_group == (SG_ALLOWS if allowed else SG_BLOCKS)


def test_any_of_several_groups_allows() -> None:
    m = sg_matrix(
        group("sg-1", rule("tcp", (443, 443), v6=["::/0"])),
        group("sg-2", rule("tcp", (443, 443), v4=["0.0.0.0/0"])),
    )
    assert m.blocked("fn") == set()
    assert m.rows[0].security_group_ids == ("sg-1", "sg-2")


def test_s3_ipv6_egress_through_the_prefix_lists_ipv6_entries() -> None:
    """A rule naming S3's prefix list covers S3 over IPv6 once the list carries IPv6 entries."""
    only_s3 = group("sg-1", rule("tcp", (443, 443), pl=["pl-s3"]))
    dual = sg_matrix(only_s3, entries=S3_V6_ENTRIES, endpoints={"vpce-s3": "dualstack"})
    assert dual.rows[0].cells["s3-ipv6"].security_group == SG_ALLOWS
    v4_only = sg_matrix(only_s3)
    assert v4_only.rows[0].cells["s3-ipv6"].security_group == SG_BLOCKS


def test_without_security_groups_nothing_is_evaluated() -> None:
    ec2 = FakeEC2([subnet("subnet-a", "a")], [PRIVATE, MAIN])
    m = route_matrix(ec2, FakeLambda({"fn": vpc_config("subnet-a")}), ["fn"])
    assert {c.security_group for c in m.rows[0].cells.values()} == {None}
    assert "describe_security_groups" not in ec2.calls


def test_as_json_carries_the_checks() -> None:
    m = sg_matrix(group("sg-1", rule("tcp", (443, 443), v6=["::/0"], pl=["pl-s3"])))
    doc = json.loads(json.dumps(m.as_json()))
    row = doc["rows"][0]
    assert row["security_group_ids"] == ["sg-1"]
    assert "S3 (IPv6)" in doc["columns"] and "S3 dual-stack (IPv6)" not in doc["columns"]
    ddb = row["cells"]["DynamoDB (IPv4)"]
    assert (ddb["kind"], ddb["security_group"]) == (GATEWAY_ENDPOINT, SG_BLOCKS)
    assert ddb["address"] == "52.94.0.1" and ddb["note"].startswith("route allows, security")
    assert row["cells"]["S3 (IPv4)"]["security_group"] == SG_ALLOWS


def test_s3_ipv6_without_any_ipv6_route_is_unknown_beside_an_undecided_endpoint() -> None:
    """No ::/0 at all: on AWS a dual-stack endpoint would still carry S3 over IPv6."""
    table = {
        "RouteTableId": "rtb-endpoints-only",
        "_subnets": {"subnet-a"},
        "Routes": [*LOCALS, {"DestinationPrefixListId": "pl-s3", "GatewayId": "vpce-s3"}],
    }
    m = matrix(
        {"fn": vpc_config("subnet-a")}, tables=[table, MAIN], endpoints={"vpce-s3": "dualstack"}
    )
    cells = m.rows[0].cells
    assert (cells["s3-ipv6"].kind, cells["s3-ipv6"].target) == (UNKNOWN, "no matching route")
    assert (cells["s3-ipv6"].note or "").endswith(": it may take vpce-s3, or else no route at all")
    assert cells["internet-ipv6"].kind == UNREACHABLE
    assert cells["internet-ipv6"].target == "no matching route"
    m = matrix({"fn": vpc_config("subnet-a")}, tables=[table, MAIN])  # endpoint says "ipv4"
    assert m.rows[0].cells["s3-ipv6"].kind == UNREACHABLE
