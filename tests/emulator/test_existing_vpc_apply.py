"""examples/existing-vpc on the embedded emulator: the migration of a classic VPC, step by step.

1. Apply only the classic half of the example (``-target``): an IPv4-only VPC with public and
   private subnets, an internet gateway and a NAT gateway per AZ: the VPC before the migration.
2. Plan the whole example: the migration. Every planned action must be a create, and nothing of
   the classic VPC (VPC, subnets, route tables, routes, associations, NATs) may be touched. Apply
   that saved plan; a plan after it must have no changes.
3. Read the route tables back with boto3 (the classic ones are exactly as before; the new ones
   send ``::/0`` to the egress-only gateway, ``0.0.0.0/0`` to the NAT of their AZ and S3/DynamoDB
   to the gateway endpoints) and resolve the route matrix of the pair.
4. Retire the NATs (``enable_nat_gateway = false``): only NAT things are deleted, and the matrix
   shows IPv4 internet unreachable while everything else keeps its way out.
5. Destroy; the emulator holds nothing of the stack afterwards.

Each step's duration is printed (run with ``-s`` or ``-rP`` to see it).
"""

from __future__ import annotations

import ipaddress
import json
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import boto3
import pytest

from natless.deploy.package import build_package
from natless.deploy.stack import Stack
from natless.net.routes import (
    AWS_MANAGED,
    BLACK_HOLE,
    EGRESS_ONLY,
    GATEWAY_ENDPOINT,
    NAT,
    UNREACHABLE,
    RouteMatrix,
    render,
    route_matrix,
)
from natless.paths import EXAMPLES
from tests.planjson import Plan
from tests.support.leftovers import NETWORK_STACK_KINDS, leftovers

pytestmark = pytest.mark.emulator

NAME = "t-existing-vpc"
# No bucket lifecycle rules: the provider waits a fixed 55 s for them (see the variable).
VARS = {"name": NAME, "object_expiry_days": None}
AZS = ("us-east-1a", "us-east-1b")
# The classic half of examples/existing-vpc/main.tf: what exists before the migration.
CLASSIC = (
    "aws_vpc.this",
    "aws_default_security_group.this",
    "aws_internet_gateway.this",
    "aws_subnet.public",
    "aws_subnet.private",
    "aws_route_table.public",
    "aws_route.public_internet_gateway",
    "aws_route_table_association.public",
    "aws_eip.nat",
    "aws_nat_gateway.this",
    "aws_route_table.private",
    "aws_route.private_nat_gateway",
    "aws_route_table_association.private",
)
VPC_TYPES = {"aws_vpc", "aws_subnet", "aws_route_table", "aws_route", "aws_route_table_association"}
# S3 over IPv6 leaves through the egress-only gateway: the S3 gateway endpoint is IPv4 (made
# without an IP address type). 64:ff9b::/96 ends at the egress-only gateway (no DNS64/NAT64
# here): a black hole.
IPV6_DESTINATIONS = ("s3-ipv6", "sqs-dualstack-ipv6", "internet-ipv6")


@dataclass
class Migration:
    stack: Stack
    ec2: Any
    lambda_client: Any
    classic_tables: dict[str, Any]  # the VPC's route tables before the migration
    classic_subnets: dict[str, Any]  # its subnets before the migration
    plan: Plan  # the migration
    replan_changes: bool
    outputs: dict[str, Any]
    tables_after: dict[str, Any]
    subnets_after: dict[str, Any]
    new_tables: list[dict[str, Any]]  # the new subnets' route tables, before the retirement
    nat_subnets: dict[str, str]  # NAT gateway -> its subnet, before the retirement
    matrix: RouteMatrix
    retire_plan: Plan
    retired_matrix: RouteMatrix
    retired_nats: list[dict[str, Any]]
    timings: dict[str, float] = field(default_factory=dict)


def route_tables(ec2: Any, vpc_id: str) -> dict[str, Any]:
    """Route table -> its routes and subnet associations, in a comparable form."""
    found = ec2.describe_route_tables(Filters=[{"Name": "vpc-id", "Values": [vpc_id]}])
    return {
        t["RouteTableId"]: {
            "routes": sorted(json.dumps(r, sort_keys=True) for r in t["Routes"]),
            "subnets": sorted(a.get("SubnetId") or "main" for a in t.get("Associations", [])),
            "tags": sorted((tag["Key"], tag["Value"]) for tag in t.get("Tags", [])),
        }
        for t in found["RouteTables"]
    }


def subnets(ec2: Any, vpc_id: str) -> dict[str, Any]:
    found = ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [vpc_id]}])["Subnets"]
    return {s["SubnetId"]: s for s in found}


def matrix_of(ec2: Any, lambda_client: Any, outputs: dict[str, Any]) -> RouteMatrix:
    names = outputs["function_names"]
    return route_matrix(ec2, lambda_client, [names["vpc"], names["public"]])


@pytest.fixture(scope="module")
def migration(emulator) -> Iterator[Migration]:
    build_package("bench")
    kw = emulator.client_kwargs()
    ec2, lambda_client = boto3.client("ec2", **kw), boto3.client("lambda", **kw)
    before = leftovers(kw, NETWORK_STACK_KINDS)
    stack = Stack.create(EXAMPLES / "existing-vpc", emulator.redirect())
    timings: dict[str, float] = {}

    def timed(label: str, call: Any) -> Any:
        started = time.monotonic()
        try:
            return call()
        finally:
            timings[label] = round(time.monotonic() - started, 1)

    try:
        # 1. the VPC before the migration
        stack.set_vars(VARS)
        stack.applied = True  # from here on, close() destroys whatever exists
        timed("apply classic VPC", lambda: stack.tf.apply(targets=list(CLASSIC), parallelism="32"))
        (vpc,) = ec2.describe_vpcs(Filters=[{"Name": "tag:Name", "Values": [NAME]}])["Vpcs"]
        classic_tables = route_tables(ec2, vpc["VpcId"])
        classic_subnets = subnets(ec2, vpc["VpcId"])
        # 2. the migration: plan, apply that plan, plan again
        plan = Plan(timed("plan migration", lambda: stack.plan(VARS)))
        timed("apply migration", stack.apply_plan)
        changes = timed("plan again", stack.plan_has_changes)
        outputs = stack.outputs()
        # 3. read back
        tables_after = route_tables(ec2, vpc["VpcId"])
        subnets_after = subnets(ec2, vpc["VpcId"])
        matrix = matrix_of(ec2, lambda_client, outputs)
        print(f"\nexisting-vpc, migrated (NATs kept): route matrix\n{render(matrix)}")
        nats = outputs["nat_gateway_ids"]
        new_tables = ec2.describe_route_tables(RouteTableIds=outputs["private_route_table_ids"])
        nat_subnets = {
            n["NatGatewayId"]: n["SubnetId"]
            for n in ec2.describe_nat_gateways(NatGatewayIds=nats)["NatGateways"]
        }
        # 4. retire the NATs
        retire = {**VARS, "enable_nat_gateway": False}
        retire_plan = Plan(timed("plan NAT retirement", lambda: stack.plan(retire)))
        timed("apply NAT retirement", stack.apply_plan)
        retired_matrix = matrix_of(ec2, lambda_client, outputs)
        print(f"\nexisting-vpc, NATs retired: route matrix\n{render(retired_matrix)}")
        retired_nats = ec2.describe_nat_gateways(NatGatewayIds=nats)["NatGateways"]
        yield Migration(
            stack,
            ec2,
            lambda_client,
            classic_tables,
            classic_subnets,
            plan,
            changes,
            outputs,
            tables_after,
            subnets_after,
            new_tables["RouteTables"],
            nat_subnets,
            matrix,
            retire_plan,
            retired_matrix,
            retired_nats,
            timings,
        )
    finally:
        # 5. destroy
        timed("destroy", stack.close)
        print(f"\nexisting-vpc: timings (s) {timings}; terraform {stack.timings}")
    assert leftovers(kw, NETWORK_STACK_KINDS) == before, "destroy left resources behind"
    alarms = boto3.client("cloudwatch", **kw).describe_alarms(AlarmNamePrefix=NAME)
    assert not alarms["MetricAlarms"]


def test_migration_plan_only_creates(migration: Migration) -> None:
    changes = [rc for rc in migration.plan.raw["resource_changes"] if rc["mode"] == "managed"]
    kept = [rc for rc in changes if rc["change"]["actions"] == ["no-op"]]
    created = [rc for rc in changes if rc["change"]["actions"] == ["create"]]
    assert len(kept) + len(created) == len(changes), [
        (rc["address"], rc["change"]["actions"]) for rc in changes
    ]
    # the classic VPC: every resource of it is in the plan, untouched
    assert {rc["address"].split("[")[0] for rc in kept} == set(CLASSIC)
    assert not [rc["address"] for rc in created if rc["type"] in VPC_TYPES
                and not rc["address"].startswith("module.natless.")]  # fmt: skip
    modules = {".".join(rc["address"].split("[")[0].split(".")[:2]) for rc in created}
    assert modules - {"aws_cloudwatch_metric_alarm.nat_bytes"} == {
        "module.natless",
        "module.endpoints",
        "module.targets",
        "module.pair",
    }
    natless = [rc for rc in created if rc["address"].startswith("module.natless.")]
    per_az = {"aws_subnet", "aws_route_table", "aws_route_table_association"}
    for rtype in per_az:
        assert len([rc for rc in natless if rc["type"] == rtype]) == len(AZS), rtype
    assert len([rc for rc in natless if rc["type"] == "aws_route"]) == 2 * len(AZS)


def test_second_plan_has_no_changes(migration: Migration) -> None:
    """Also proves the classic aws_vpc keeps the module's /56 (its ignore_changes)."""
    assert migration.replan_changes is False


def test_classic_route_tables_and_subnets_are_unchanged(migration: Migration) -> None:
    """Terraform changes none of them. AWS itself adds one route to every route table of a VPC
    when an IPv6 block is associated: the local route of that block (traffic inside the VPC)."""
    (vpc,) = migration.ec2.describe_vpcs(VpcIds=[migration.outputs["vpc_id"]])["Vpcs"]
    (assoc,) = vpc["Ipv6CidrBlockAssociationSet"]
    local_ipv6 = json.dumps(
        {
            "DestinationIpv6CidrBlock": assoc["Ipv6CidrBlock"],
            "GatewayId": "local",
            "Origin": "CreateRouteTable",
            "State": "active",
        },
        sort_keys=True,
    )
    for table, before in migration.classic_tables.items():
        after = dict(migration.tables_after[table])
        assert local_ipv6 in after["routes"], table
        after["routes"] = [r for r in after["routes"] if r != local_ipv6]
        assert after == before, table
    for subnet, before in migration.classic_subnets.items():
        after = migration.subnets_after[subnet]
        for key in ("CidrBlock", "AvailabilityZone", "MapPublicIpOnLaunch", "Tags"):
            assert after.get(key) == before.get(key), (subnet, key)
        assert not after.get("Ipv6CidrBlockAssociationSet")
        assert after["AssignIpv6AddressOnCreation"] is False


def test_vpc_got_an_amazon_ipv6_block_and_each_new_subnet_a_slash_64(
    migration: Migration,
) -> None:
    (vpc,) = migration.ec2.describe_vpcs(VpcIds=[migration.outputs["vpc_id"]])["Vpcs"]
    (assoc,) = vpc["Ipv6CidrBlockAssociationSet"]
    assert assoc["Ipv6Pool"] == "Amazon"
    block = ipaddress.IPv6Network(assoc["Ipv6CidrBlock"])
    assert block.prefixlen == 56
    new = [migration.subnets_after[s] for s in migration.outputs["private_subnet_ids"]]
    assert [s["AvailabilityZone"] for s in new] == list(AZS)
    assert [s["CidrBlock"] for s in new] == ["10.0.64.0/22", "10.0.68.0/22"]
    for i, subnet in enumerate(new):
        (ipv6,) = subnet["Ipv6CidrBlockAssociationSet"]
        net = ipaddress.IPv6Network(ipv6["Ipv6CidrBlock"])
        # /64 number = the AZ letter's position (a = 0, b = 1) with the default offset 0
        assert net == ipaddress.IPv6Network((int(block.network_address) + (i << 64), 64))
        assert subnet["AssignIpv6AddressOnCreation"] is True


def test_new_route_tables(migration: Migration) -> None:
    eigw = migration.outputs["egress_only_internet_gateway_id"]
    subnet_az = {s: d["AvailabilityZone"] for s, d in migration.subnets_after.items()}
    tables = migration.new_tables
    assert len(tables) == len(AZS)
    for table in tables:
        (assoc,) = table["Associations"]
        az = subnet_az[assoc["SubnetId"]]
        assert assoc["SubnetId"] in migration.outputs["private_subnet_ids"]
        routes = table["Routes"]
        ipv6 = [r for r in routes if r.get("DestinationIpv6CidrBlock") == "::/0"]
        assert [r["EgressOnlyInternetGatewayId"] for r in ipv6] == [eigw]
        (ipv4,) = [r for r in routes if r.get("DestinationCidrBlock") == "0.0.0.0/0"]
        nat_subnet = migration.nat_subnets[ipv4["NatGatewayId"]]
        assert subnet_az[nat_subnet] == az  # the NAT of the table's own AZ
        endpoints = [r for r in routes if r.get("DestinationPrefixListId")]
        assert len(endpoints) == 2 and all(r["GatewayId"].startswith("vpce-") for r in endpoints)
        assert not [r for r in routes if r.get("DestinationIpv6CidrBlock") == "64:ff9b::/96"]


def test_vpc_function_is_dual_stack_in_the_new_subnets(migration: Migration) -> None:
    name = migration.outputs["function_names"]["vpc"]
    config = migration.lambda_client.get_function_configuration(FunctionName=name)["VpcConfig"]
    assert sorted(config["SubnetIds"]) == sorted(migration.outputs["private_subnet_ids"])
    assert config["Ipv6AllowedForDualStack"] is True
    assert not set(config["SubnetIds"]) & set(migration.outputs["classic_private_subnet_ids"])


def test_route_matrix(migration: Migration) -> None:
    names = migration.outputs["function_names"]
    rows = [r for r in migration.matrix.rows if r.function == names["vpc"]]
    assert {r.subnet_id for r in rows} == set(migration.outputs["private_subnet_ids"])
    kinds = migration.matrix.kinds(names["vpc"])
    assert kinds["s3-ipv4"] == {GATEWAY_ENDPOINT}
    assert kinds["dynamodb-ipv4"] == {GATEWAY_ENDPOINT}
    for key in IPV6_DESTINATIONS:
        assert kinds[key] == {EGRESS_ONLY}, key
    assert kinds["nat64"] == {BLACK_HOLE}
    assert kinds["internet-ipv4"] == {NAT}
    nats = {r.cells["internet-ipv4"].target for r in rows}
    assert nats == set(migration.outputs["nat_gateway_ids"])  # one NAT per AZ, each its own
    public = migration.matrix.kinds(names["public"])
    assert all(k == {AWS_MANAGED} for k in public.values())


def test_retiring_the_nats_deletes_only_nat_things(migration: Migration) -> None:
    changes = [
        rc
        for rc in migration.retire_plan.raw["resource_changes"]
        if rc["mode"] == "managed" and rc["change"]["actions"] != ["no-op"]
    ]
    assert all(rc["change"]["actions"] == ["delete"] for rc in changes), [
        (rc["address"], rc["change"]["actions"]) for rc in changes
    ]
    deleted = {re.sub(r"\[[^\[\]]*\]$", "", rc["address"]) for rc in changes}
    assert deleted == {
        "aws_eip.nat",
        "aws_nat_gateway.this",
        "aws_route.private_nat_gateway",
        "aws_cloudwatch_metric_alarm.nat_bytes",
        "module.natless.aws_route.ipv4_nat",
        'module.pair.module.function["vpc"].aws_vpc_security_group_egress_rule.https',
    }
    assert all(n["State"] in ("deleted", "deleting") for n in migration.retired_nats)
    names = migration.outputs["function_names"]
    before, after = (
        migration.matrix.kinds(names["vpc"]),
        migration.retired_matrix.kinds(names["vpc"]),
    )
    assert after["internet-ipv4"] == {UNREACHABLE}
    assert {k: v for k, v in after.items() if k != "internet-ipv4"} == {
        k: v for k, v in before.items() if k != "internet-ipv4"
    }
