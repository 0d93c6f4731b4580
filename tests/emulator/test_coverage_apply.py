"""The apply-coverage scenarios (tests/coverage.py) applied on the emulator, and read back.

Per scenario: one plan (its JSON is Terraform's view of every module call), the apply of that
saved plan, a second plan that must change nothing, values read back from the emulator, destroy,
and nothing left behind. ``test_each_scenario_sets_what_the_table_claims`` checks every claim of
``APPLIED_BY``: the scenario sets the input, to something other than the module's default.
"""

from __future__ import annotations

import ipaddress
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import boto3
import pytest

from natless.deploy.stack import Stack
from tests.coverage import APPLIED_BY, SCENARIOS, TOPIC, write_scenario
from tests.support.leftovers import leftovers


@dataclass
class Applied:
    scenario: str
    plan: dict[str, Any]
    outputs: dict[str, Any]
    replan_changes: bool
    kw: dict[str, str]

    def client(self, service: str) -> Any:
        return boto3.client(service, **self.kw)


@pytest.fixture(scope="module", params=sorted(SCENARIOS))
def applied(request, emulator) -> Iterator[Applied]:
    scenario = request.param
    kw = emulator.client_kwargs()
    before = leftovers(kw)
    stack = Stack.create(write_scenario(scenario), emulator.redirect())
    try:
        plan = stack.plan()
        stack.apply_plan()
        yield Applied(scenario, plan, stack.outputs(), stack.plan_has_changes(), kw)
    finally:
        stack.close()
        print(f"\ncoverage scenario {scenario}: timings {stack.timings}")
    assert leftovers(kw) == before, "destroy left resources behind"


def test_each_scenario_sets_what_the_table_claims(applied: Applied) -> None:
    calls = applied.plan["configuration"]["root_module"]["module_calls"]
    claimed = 0
    for module, inputs in APPLIED_BY.items():
        for name, scenario in inputs.items():
            if scenario != applied.scenario:
                continue
            (call,) = (c for c in calls.values() if c["source"].endswith(f"/modules/{module}"))
            expression = call["expressions"].get(name)
            assert expression is not None, f"{scenario} does not set {module}.{name}"
            variable = call["module"]["variables"][name]
            if "constant_value" in expression and "default" in variable:
                assert expression["constant_value"] != variable["default"], f"{module}.{name}"
            claimed += 1
    assert claimed == sum(list(v.values()).count(applied.scenario) for v in APPLIED_BY.values())
    print(f"{applied.scenario}: {claimed} inputs applied with non-default values")


def test_second_plan_changes_nothing(applied: Applied) -> None:
    assert applied.replan_changes is False


def _vpc_id(applied: Applied) -> str:
    (vpc,) = [
        v
        for v in applied.client("ec2").describe_vpcs()["Vpcs"]
        if {"Key": "Name", "Value": f"cov-{applied.scenario}"} in v.get("Tags", [])
    ]
    return vpc["VpcId"]


def test_network_reads_back_as_asked(applied: Applied) -> None:
    ec2 = applied.client("ec2")
    vpc_id = _vpc_id(applied)
    only_vpc = [{"Name": "vpc-id", "Values": [vpc_id]}]
    subnets = ec2.describe_subnets(Filters=only_vpc)["Subnets"]
    nats = [
        n
        for n in ec2.describe_nat_gateways(Filters=only_vpc)["NatGateways"]
        if n["State"] != "deleted"
    ]
    endpoints = ec2.describe_vpc_endpoints(Filters=only_vpc)["VpcEndpoints"]
    interface = {
        e["ServiceName"].rsplit(".", 1)[1]: e
        for e in endpoints
        if e["VpcEndpointType"] == "Interface"
    }
    if applied.scenario == "wide":
        assert len(subnets) == 18 and len({s["AvailabilityZone"] for s in subnets}) == 6
        assert len(nats) == 1
        assert set(interface) == {"sqs", "logs", "sts"}
        types = {svc: e["IpAddressType"] for svc, e in interface.items()}
        assert types == {"sqs": "ipv4", "logs": "ipv4", "sts": "dualstack"}  # sts: its own
        sts = interface["sts"]
        assert sts["PrivateDnsEnabled"] is False and '"sts:*"' in sts["PolicyDocument"]
        (group,) = [g["GroupId"] for g in sts["Groups"]]  # its own group, not the module's
        (named,) = ec2.describe_security_groups(GroupIds=[group])["SecurityGroups"]
        assert named["GroupName"].startswith("cov-db-")
        gateway = [e for e in endpoints if e["VpcEndpointType"] == "Gateway"]
        assert [g["ServiceName"].rsplit(".", 1)[1] for g in gateway] == ["s3"]
        # vpc-endpoints: a dual-stack S3 gateway endpoint, scoped to the bench bucket
        assert gateway[0]["IpAddressType"] == "dualstack"
        (scope,) = json.loads(gateway[0]["PolicyDocument"])["Statement"]
        assert scope["Resource"][0].startswith("arn:aws:s3:::cov-wide")
        logs = applied.client("logs").describe_log_groups(logGroupNamePrefix="/natless/")
        (flow,) = [g for g in logs["logGroups"] if "cov-wide" in g["logGroupName"]]
        assert flow["retentionInDays"] == 30 and flow.get("kmsKeyId", "").startswith("arn:")
        alarms = applied.client("cloudwatch").describe_alarms()["MetricAlarms"]
        mine = [a for a in alarms if a["AlarmName"].startswith("cov-wide")]
        assert len(mine) == 1 and mine[0]["AlarmActions"] == [TOPIC]
    else:
        added = [s for s in subnets if s["CidrBlock"] == "10.0.200.0/24"]
        assert len(subnets) == 3 + len(added) and len({s["AvailabilityZone"] for s in subnets}) == 1
        # dual-stack-subnets: in the VPC's own /56 (no second association), /64 number 64 + 0
        (extra,) = added
        vpc = ec2.describe_vpcs(VpcIds=[vpc_id])["Vpcs"][0]
        (block,) = [a["Ipv6CidrBlock"] for a in vpc["Ipv6CidrBlockAssociationSet"]]
        net = ipaddress.IPv6Network(block)
        expected = ipaddress.IPv6Network((int(net.network_address) + (64 << 64), 64))
        (v6,) = extra["Ipv6CidrBlockAssociationSet"]
        assert v6["Ipv6CidrBlock"] == str(expected)
        assert extra["EnableDns64"] is True and extra["AssignIpv6AddressOnCreation"] is True
        assert len(nats) == 1
        assert set(interface) == {"sqs", "xray"}
        types = {svc: e["IpAddressType"] for svc, e in interface.items()}
        assert types == {"sqs": "dualstack", "xray": "ipv4"}  # xray: IPv4 only
        # vpc-endpoints: a whole policy document on the DynamoDB gateway endpoint
        (table,) = [e for e in endpoints if e["ServiceName"].endswith(".dynamodb")]
        assert "OnlyTheBenchTable" in table["PolicyDocument"]
        flow_logs = applied.client("ec2").describe_flow_logs(
            Filters=[{"Name": "resource-id", "Values": [vpc_id]}]
        )["FlowLogs"]
        assert flow_logs == []
    dns64 = {s["SubnetId"]: s.get("EnableDns64") for s in subnets}
    private = [
        s for s in subnets if {"Key": "natless:tier", "Value": "private"} in s.get("Tags", [])
    ]
    assert private and all(dns64[s["SubnetId"]] for s in private)


@pytest.mark.parametrize("applied", ["wide"], indirect=True)
def test_functions_read_back_as_asked(applied: Applied) -> None:
    lam = applied.client("lambda")
    pair = lam.get_function_configuration(FunctionName="cov-wide-vpc")
    assert pair["Runtime"] == "python3.13" and pair["Architectures"] == ["x86_64"]
    assert pair["Handler"] == "app.main" and pair["MemorySize"] == 256 and pair["Timeout"] == 15
    assert pair["TracingConfig"]["Mode"] == "Active"
    assert pair["Environment"]["Variables"]["COVERAGE"] == "wide"
    assert pair["VpcConfig"]["Ipv6AllowedForDualStack"] is False
    assert pair["KMSKeyArn"].startswith("arn:")
    private = lam.get_function_configuration(FunctionName="cov-wide-split-private")
    public = lam.get_function_configuration(FunctionName="cov-wide-split-public")
    assert (private["MemorySize"], private["Timeout"]) == (512, 20)
    assert (public["MemorySize"], public["Timeout"]) == (192, 40)
    env = private["Environment"]["Variables"]
    assert (env["DB_PORT"], env["DB_SSLMODE"], env["COVERAGE"]) == ("6432", "verify-full", "wide")
    rule = applied.client("events").describe_rule(Name="cov-wide-split-schedule")
    assert rule["State"] == "DISABLED" and rule["ScheduleExpression"] == "rate(1 hour)"
    reserved = {
        name: lam.get_function_concurrency(FunctionName=name).get("ReservedConcurrentExecutions")
        for name in ("cov-wide-vpc", "cov-wide-public", "cov-wide-split-private",
                     "cov-wide-split-public")
    }  # fmt: skip
    assert {k: int(v) for k, v in reserved.items()} == {
        "cov-wide-vpc": 3,
        "cov-wide-public": 3,
        "cov-wide-split-private": 4,
        "cov-wide-split-public": 1,
    }


def test_function_reads_back_as_asked(applied: Applied) -> None:
    """The direct modules/function call: wide with both kinds of egress, narrow with none."""
    name = f"cov-{applied.scenario}-fn"
    fn = applied.client("lambda").get_function_configuration(FunctionName=name)
    (group_id,) = fn["VpcConfig"]["SecurityGroupIds"]
    (group,) = applied.client("ec2").describe_security_groups(GroupIds=[group_id])["SecurityGroups"]
    assert group["IpPermissions"] == []
    if applied.scenario == "narrow":
        assert group["IpPermissionsEgress"] == []
        assert fn["VpcConfig"]["Ipv6AllowedForDualStack"] is True
        return
    assert group["GroupName"].startswith("cov-wide-fn-group-")
    assert (fn["Description"], fn["MemorySize"], fn["Timeout"]) == (
        "natless coverage: every input of modules/function",
        192,
        12,
    )
    assert fn["Environment"]["Variables"] == {"COVERAGE": "wide-fn"}
    assert fn["VpcConfig"]["Ipv6AllowedForDualStack"] is False
    ports = {(p["FromPort"], p["ToPort"]) for p in group["IpPermissionsEgress"]}
    assert ports == {(443, 443), (6432, 6432)}
    (to_db,) = [p for p in group["IpPermissionsEgress"] if p["FromPort"] == 6432]
    assert [g["GroupId"] for g in to_db["UserIdGroupPairs"]] == [
        g["GroupId"]
        for g in applied.client("ec2").describe_security_groups()["SecurityGroups"]
        if g["GroupName"].startswith("cov-db-")
    ]
    ipv4 = {r["CidrIp"] for p in group["IpPermissionsEgress"] for r in p.get("IpRanges", [])}
    assert ipv4 == {"10.64.0.0/20", "198.51.100.0/24"}
    iam = applied.client("iam")
    assert iam.list_role_policies(RoleName=name)["PolicyNames"] == ["cov-wide-fn-policy"]
    reserved = applied.client("lambda").get_function_concurrency(FunctionName=name)
    assert int(reserved["ReservedConcurrentExecutions"]) == 2


def test_pair_https_egress_reads_back_as_asked(applied: Applied) -> None:
    """IPv6 anywhere; IPv4 to the VPC, the gateway endpoints' prefix lists and the extra CIDRs."""
    ec2 = applied.client("ec2")
    vpc_id = _vpc_id(applied)
    only_vpc = [{"Name": "vpc-id", "Values": [vpc_id]}]
    (group,) = [
        g
        for g in ec2.describe_security_groups(Filters=only_vpc)["SecurityGroups"]
        if {"Key": "Name", "Value": f"cov-{applied.scenario}-vpc"} in g.get("Tags", [])
    ]
    assert group["IpPermissions"] == []
    assert {
        (p["IpProtocol"], p["FromPort"], p["ToPort"]) for p in group["IpPermissionsEgress"]
    } == {("tcp", 443, 443)}
    ipv4 = {r["CidrIp"] for p in group["IpPermissionsEgress"] for r in p.get("IpRanges", [])}
    ipv6 = {r["CidrIpv6"] for p in group["IpPermissionsEgress"] for r in p.get("Ipv6Ranges", [])}
    lists = {
        r["PrefixListId"] for p in group["IpPermissionsEgress"] for r in p.get("PrefixListIds", [])
    }
    gateway = {
        e["ServiceName"].rsplit(".", 1)[1]: e
        for e in ec2.describe_vpc_endpoints(Filters=only_vpc)["VpcEndpoints"]
        if e["VpcEndpointType"] == "Gateway"
    }
    (vpc,) = ec2.describe_vpcs(VpcIds=[vpc_id])["Vpcs"]
    assert ipv6 == {"::/0"}
    if applied.scenario == "wide":
        assert ipv4 == {vpc["CidrBlock"], "0.0.0.0/0", "192.0.2.0/24"}
        assert vpc["CidrBlock"] == "10.64.0.0/20"
        expected_lists = {"s3"}
    else:  # the CIDR read from vpc_id; a VPC with NATs, but no IPv4 HTTPS to anywhere
        assert ipv4 == {vpc["CidrBlock"]} == {"10.0.0.0/16"}
        expected_lists = {"s3", "dynamodb"}
    assert set(gateway) == expected_lists
    prefix_lists = {
        pl["PrefixListName"].rsplit(".", 1)[1]: pl["PrefixListId"]
        for pl in ec2.describe_prefix_lists()["PrefixLists"]
    }
    assert lists == {prefix_lists[svc] for svc in expected_lists}


def test_bucket_lifecycle_reads_back_as_asked(applied: Applied) -> None:
    s3 = applied.client("s3")
    (bucket,) = [
        b["Name"]
        for b in s3.list_buckets()["Buckets"]
        if b["Name"].startswith(f"cov-{applied.scenario}-")
    ]
    if applied.scenario == "narrow":
        with pytest.raises(s3.exceptions.ClientError, match="NoSuchLifecycleConfiguration"):
            s3.get_bucket_lifecycle_configuration(Bucket=bucket)
        return
    rules = {r["ID"]: r for r in s3.get_bucket_lifecycle_configuration(Bucket=bucket)["Rules"]}
    assert rules["expire-benchmark-objects"]["Expiration"]["Days"] == 3
    assert (
        s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]["Rules"][0][
            "ApplyServerSideEncryptionByDefault"
        ]["SSEAlgorithm"]
        == "aws:kms"
    )
