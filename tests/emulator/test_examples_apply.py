"""Apply each example on the embedded emulator (one apply per example) and prove it.

Per example: init, apply, a second plan with no changes, the route matrix of both functions,
the pair invoked through the Lambda Invoke API (the emulator runs the deployed package), then
destroy; afterwards the emulator holds no VPC, subnet, function, table, queue or bucket.
"""

from __future__ import annotations

import ipaddress
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import boto3
import pytest

from natless.bench import invoker
from natless.bench.localhttp import LocalApi
from natless.deploy.outputs import function_names
from natless.deploy.package import build_package
from natless.deploy.stack import Stack
from natless.net.routes import (
    AWS_MANAGED,
    BLACK_HOLE,
    EGRESS_ONLY,
    GATEWAY_ENDPOINT,
    LOCAL,
    NAT,
    UNREACHABLE,
    RouteMatrix,
    render,
    route_matrix,
)
from natless.paths import EXAMPLES
from tests.support.leftovers import leftovers

# S3 over IPv6 leaves through the egress-only gateway: the S3 gateway endpoint is IPv4 (made
# without an IP address type). 64:ff9b::/96 ends at the egress-only gateway (no DNS64/NAT64
# here): a black hole.
IPV6_DESTINATIONS = ("s3-ipv6", "sqs-dualstack-ipv6", "internet-ipv6")


@dataclass
class Deployed:
    example: str
    stack: Stack
    outputs: dict[str, Any]
    matrix: RouteMatrix
    clients: dict[str, Any]
    replan_changes: bool


@pytest.fixture(scope="module", params=["egress-only", "nat-gateway"])
def deployed(request, emulator) -> Iterator[Deployed]:
    build_package("bench")
    kw = emulator.client_kwargs()
    before = leftovers(kw)
    stack = Stack.create(EXAMPLES / request.param, emulator.redirect())
    try:
        stack.apply({"name": f"t-{request.param}"})
        outputs = stack.outputs()
        changes = stack.plan_has_changes()
        clients = {svc: boto3.client(svc, **kw) for svc in ("ec2", "lambda")}
        matrix = route_matrix(
            clients["ec2"],
            clients["lambda"],
            [outputs["function_names"]["vpc"], outputs["function_names"]["public"]],
        )
        print(f"\n{request.param}: route matrix\n{render(matrix)}")
        yield Deployed(request.param, stack, outputs, matrix, clients, changes)
    finally:
        stack.close()
        print(f"{request.param}: timings {stack.timings}")
    assert leftovers(kw) == before, "destroy left resources behind"


def test_second_plan_has_no_changes(deployed: Deployed) -> None:
    assert deployed.replan_changes is False


def test_vpc_function_is_dual_stack_in_every_private_subnet(deployed: Deployed) -> None:
    names = function_names(deployed.outputs)
    config = deployed.clients["lambda"].get_function_configuration(FunctionName=names["vpc"])
    assert sorted(config["VpcConfig"]["SubnetIds"]) == sorted(
        deployed.outputs["private_subnet_ids"]
    )
    assert config["VpcConfig"]["Ipv6AllowedForDualStack"] is True
    public = deployed.clients["lambda"].get_function_configuration(FunctionName=names["public"])
    assert not (public.get("VpcConfig") or {}).get("SubnetIds")
    for placement, fn in (("vpc", config), ("public", public)):
        env = fn["Environment"]["Variables"]
        assert env["NATLESS_PLACEMENT"] == placement
        assert env["NATLESS_DUALSTACK_SERVICES"] == "sqs"  # SQS over IPv6, S3/DynamoDB IPv4
        assert env["NATLESS_IP_PREFERENCE"] == "ipv6first"
        assert env["TABLE_NAME"] == deployed.outputs["table_name"]
        assert env["QUEUE_URL"] == deployed.outputs["queue_url"]
        assert env["BUCKET_NAME"] == deployed.outputs["bucket_name"]
    assert config["CodeSha256"] == public["CodeSha256"]


def test_every_subnet_has_its_own_ipv6_slash_64(deployed: Deployed) -> None:
    ec2 = deployed.clients["ec2"]
    vpc = ec2.describe_vpcs(VpcIds=[deployed.outputs["vpc_id"]])["Vpcs"][0]
    vpc_net = ipaddress.ip_network(
        vpc["Ipv6CidrBlockAssociationSet"][0]["Ipv6CidrBlock"], strict=False
    )
    subnets = ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [vpc["VpcId"]]}])[
        "Subnets"
    ]
    blocks = [
        ipaddress.ip_network(s["Ipv6CidrBlockAssociationSet"][0]["Ipv6CidrBlock"], strict=False)
        for s in subnets
    ]
    assert len(subnets) == 6 and len(set(blocks)) == 6
    assert all(b.prefixlen == 64 and b.subnet_of(vpc_net) for b in blocks)
    assert all(s["AssignIpv6AddressOnCreation"] for s in subnets)


def test_route_matrix(deployed: Deployed) -> None:
    names = function_names(deployed.outputs)
    vpc_rows = [r for r in deployed.matrix.rows if r.function == names["vpc"]]
    assert {r.subnet_id for r in vpc_rows} == set(deployed.outputs["private_subnet_ids"])
    kinds = deployed.matrix.kinds(names["vpc"])
    assert kinds["s3-ipv4"] == {GATEWAY_ENDPOINT}
    assert kinds["dynamodb-ipv4"] == {GATEWAY_ENDPOINT}
    for key in IPV6_DESTINATIONS:
        assert kinds[key] == {EGRESS_ONLY}, key
    assert kinds["nat64"] == {BLACK_HOLE}
    eigw = deployed.outputs["egress_only_internet_gateway_id"]
    assert {r.cells["internet-ipv6"].target for r in vpc_rows} == {eigw}
    if deployed.example == "egress-only":
        assert kinds["internet-ipv4"] == {UNREACHABLE}
    else:
        assert kinds["internet-ipv4"] == {NAT}
        (nat,) = deployed.outputs["nat_gateway_ids"]
        assert {r.cells["internet-ipv4"].target for r in vpc_rows} == {nat}
    endpoints = {r.cells["s3-ipv4"].target for r in vpc_rows}
    assert len(endpoints) == 1 and endpoints.pop().startswith("vpce-")
    assert all(k != {LOCAL} for k in kinds.values())
    assert deployed.matrix.blocked(names["vpc"]) == set()  # the function's egress rules allow it
    public_kinds = deployed.matrix.kinds(names["public"])
    assert all(k == {AWS_MANAGED} for k in public_kinds.values())


def test_pair_runs_the_same_workload_in_both_placements(deployed: Deployed) -> None:
    names = function_names(deployed.outputs)
    started = time.monotonic()
    with LocalApi() as api:
        results = invoker.run_pair(deployed.clients["lambda"], names, iterations=5, url=api.url)
    assert {r["placement"] for r in results.values()} == {"vpc", "public"}
    for placement, result in results.items():
        ops = result["operations"]
        assert set(ops) == {
            "dynamodb_put",
            "dynamodb_query",
            "sqs_send",
            "s3_put",
            "s3_list",
            "http_get",
        }, placement
        for op, stats in ops.items():
            assert stats["count"] == 5 and stats["errors"] == 0, (placement, op, stats)
        assert result["evidence"]["sqs"]["family"] == "ipv4"  # loopback emulator
    print(f"pair run (2 x warm-up + 2 x 30 calls): {time.monotonic() - started:.1f} s")
