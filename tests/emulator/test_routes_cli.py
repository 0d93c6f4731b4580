"""`natless routes` and the other commands on bad input: a message and a non-zero exit."""

from __future__ import annotations

import io
import ipaddress
import json
import zipfile
from typing import Any

import boto3
import pytest

from natless.cli import main
from natless.deploy.workdir import remove_working_copy, working_copy
from natless.paths import EXAMPLES


@pytest.fixture
def emulator_env(emulator, monkeypatch):
    for key, value in emulator.env().items():
        monkeypatch.setenv(key, value)
    return emulator


def _function_without_vpc(kw: dict[str, str], name: str) -> None:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("handler.py", "def handler(event, context):\n    return 1\n")
    iam = boto3.client("iam", **kw)
    role = iam.create_role(RoleName=f"{name}-role", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
    boto3.client("lambda", **kw).create_function(
        FunctionName=name,
        Runtime="python3.12",
        Role=role,
        Handler="handler.handler",
        Code={"ZipFile": buf.getvalue()},
    )


def test_unknown_function(emulator_env, capsys) -> None:
    assert main(["routes", "--function", "no-such-function"]) == 2
    assert "function 'no-such-function' not found in us-east-1" in capsys.readouterr().err


def test_function_without_a_vpc(emulator_env, capsys) -> None:
    _function_without_vpc(emulator_env.client_kwargs(), "natless-novpc")
    try:
        assert main(["routes", "--function", "natless-novpc"]) == 2
        err = capsys.readouterr().err
        assert "natless-novpc: not attached to any VPC" in err
        assert "Lambda-managed network" in err
    finally:
        boto3.client("lambda", **emulator_env.client_kwargs()).delete_function(
            FunctionName="natless-novpc"
        )


def test_no_function_named(emulator_env, capsys) -> None:
    assert main(["routes"]) == 2
    assert "--function NAME" in capsys.readouterr().err


def test_stack_that_was_never_applied(emulator_env, capsys) -> None:
    copy = working_copy(EXAMPLES / "egress-only")
    try:
        assert main(["routes", "--tf-dir", str(copy)]) == 2
        assert "never applied" in capsys.readouterr().err
    finally:
        remove_working_copy(copy)


def test_terraform_missing_from_path(emulator_env, monkeypatch, capsys, tmp_path) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # an empty folder: no terraform
    assert main(["routes", "--tf-dir", str(EXAMPLES / "egress-only")]) == 2
    assert "terraform is not on PATH" in capsys.readouterr().err
    assert main(["demo", "--iterations", "1"]) == 2
    assert "terraform is not on PATH" in capsys.readouterr().err


def test_no_credentials(monkeypatch, capsys) -> None:
    for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_PROFILE", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent")
    monkeypatch.setenv("AWS_CONFIG_FILE", "/nonexistent")
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.setenv("AWS_REGION", "us-east-1")
    assert main(["routes", "--function", "x"]) == 2
    assert "no AWS credentials" in capsys.readouterr().err


def test_demo_needs_a_pair_example(capsys) -> None:
    assert main(["demo", "--example", "public-private-split"]) == 2
    assert "choose one of: egress-only, nat-gateway" in capsys.readouterr().err


def test_unknown_example(capsys) -> None:
    assert main(["demo", "--example", "nope"]) == 2
    known = ", ".join(sorted(p.name for p in EXAMPLES.iterdir() if (p / "main.tf").is_file()))
    assert f"unknown example 'nope'; choose one of: {known}" in capsys.readouterr().err
    with pytest.raises(SystemExit) as refused:  # argparse refuses it before any work
        main(["demo", "--iterations", "0"])
    assert refused.value.code == 2
    assert "--iterations: must be a whole number from 1 to 10000" in capsys.readouterr().err


def test_routes_on_a_dual_stack_subnet(emulator_env, capsys) -> None:
    """A function subnet with S3 and DynamoDB gateway endpoints, an egress-only gateway and a
    security group that allows HTTPS to ::/0 and to S3's prefix list only.

    The S3 endpoint is dual-stack, but the emulator's S3 prefix list holds no IPv6 entry, so S3
    over IPv6 is UNKNOWN rather than a guess; 64:ff9b::/96 ends at the egress-only
    gateway (a black hole); DynamoDB is routed but blocked by the security group.
    """
    kw = emulator_env.client_kwargs()
    ec2, lam = boto3.client("ec2", **kw), boto3.client("lambda", **kw)
    name = "natless-routes-dualstack"
    undo: list[tuple[Any, dict[str, Any]]] = []  # (call, kwargs), done in reverse
    try:
        vpc = ec2.create_vpc(CidrBlock="10.42.0.0/16", AmazonProvidedIpv6CidrBlock=True)["Vpc"]
        vpc_id = vpc["VpcId"]
        undo.append((ec2.delete_vpc, {"VpcId": vpc_id}))
        v6 = ec2.describe_vpcs(VpcIds=[vpc_id])["Vpcs"][0]["Ipv6CidrBlockAssociationSet"][0]
        block = ipaddress.ip_network(v6["Ipv6CidrBlock"])
        subnet_id = ec2.create_subnet(
            VpcId=vpc_id,
            CidrBlock="10.42.1.0/24",
            Ipv6CidrBlock=str(next(block.subnets(new_prefix=64))),
            AvailabilityZone="us-east-1a",
        )["Subnet"]["SubnetId"]
        undo.append((ec2.delete_subnet, {"SubnetId": subnet_id}))
        eigw = ec2.create_egress_only_internet_gateway(VpcId=vpc_id)
        eigw_id = eigw["EgressOnlyInternetGateway"]["EgressOnlyInternetGatewayId"]
        undo.append(
            (ec2.delete_egress_only_internet_gateway, {"EgressOnlyInternetGatewayId": eigw_id})
        )
        table_id = ec2.create_route_table(VpcId=vpc_id)["RouteTable"]["RouteTableId"]
        undo.append((ec2.delete_route_table, {"RouteTableId": table_id}))
        assoc = ec2.associate_route_table(RouteTableId=table_id, SubnetId=subnet_id)
        undo.append((ec2.disassociate_route_table, {"AssociationId": assoc["AssociationId"]}))
        ec2.create_route(
            RouteTableId=table_id,
            DestinationIpv6CidrBlock="::/0",
            EgressOnlyInternetGatewayId=eigw_id,
        )
        endpoints = {}
        for service, ip_type in (("s3", {"IpAddressType": "dualstack"}), ("dynamodb", {})):
            endpoints[service] = ec2.create_vpc_endpoint(
                VpcId=vpc_id,
                ServiceName=f"com.amazonaws.us-east-1.{service}",
                VpcEndpointType="Gateway",
                RouteTableIds=[table_id],
                **ip_type,
            )["VpcEndpoint"]["VpcEndpointId"]
        undo.append((ec2.delete_vpc_endpoints, {"VpcEndpointIds": list(endpoints.values())}))
        s3_list = ec2.describe_managed_prefix_lists(
            Filters=[{"Name": "prefix-list-name", "Values": ["com.amazonaws.us-east-1.s3"]}]
        )["PrefixLists"][0]["PrefixListId"]
        group_id = ec2.create_security_group(
            GroupName=name, Description="routes test", VpcId=vpc_id
        )["GroupId"]
        undo.append((ec2.delete_security_group, {"GroupId": group_id}))
        ec2.revoke_security_group_egress(
            GroupId=group_id,
            IpPermissions=[{"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}],
        )
        https = {"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443}
        ec2.authorize_security_group_egress(
            GroupId=group_id,
            IpPermissions=[
                {**https, "Ipv6Ranges": [{"CidrIpv6": "::/0"}]},
                {**https, "PrefixListIds": [{"PrefixListId": s3_list}]},
            ],
        )
        _function_without_vpc(kw, name)
        undo.append((lam.delete_function, {"FunctionName": name}))
        undo.append((boto3.client("iam", **kw).delete_role, {"RoleName": f"{name}-role"}))
        lam.update_function_configuration(
            FunctionName=name,
            VpcConfig={
                "SubnetIds": [subnet_id],
                "SecurityGroupIds": [group_id],
                "Ipv6AllowedForDualStack": True,
            },
        )

        assert main(["routes", "--function", name, "--json"]) == 0
        doc = json.loads(capsys.readouterr().out)
        (row,) = doc["rows"]
        cells = row["cells"]
        assert row["security_group_ids"] == [group_id]
        s3v4, s3v6 = cells["S3 (IPv4)"], cells["S3 (IPv6)"]
        assert (s3v4["kind"], s3v4["target"], s3v4["security_group"]) == (
            "gateway-endpoint",
            endpoints["s3"],
            "allows",
        )
        assert (s3v6["kind"], s3v6["target"]) == ("unknown", eigw_id)
        assert f"{endpoints['s3']} is a dualstack gateway endpoint" in s3v6["note"]
        assert f"prefix list {s3_list} lists no IPv6 CIDR" in s3v6["note"]
        ddb = cells["DynamoDB (IPv4)"]
        assert (ddb["kind"], ddb["target"], ddb["security_group"]) == (
            "gateway-endpoint",
            endpoints["dynamodb"],
            "blocks",
        )
        assert ddb["note"].startswith(
            f"route allows, security group blocks: no egress rule of {group_id}"
        )
        assert (cells["NAT64 64:ff9b::/96"]["kind"], cells["NAT64 64:ff9b::/96"]["note"]) == (
            "black-hole",
            f"{eigw_id}: no NAT64 translator: connections hang",
        )
        assert (cells["IPv6 internet"]["kind"], cells["IPv6 internet"]["security_group"]) == (
            "egress-only-gateway",
            "allows",
        )
        assert cells["IPv4 internet"]["kind"] == "unreachable"

        assert main(["routes", "--function", name]) == 0
        out = capsys.readouterr().out
        with capsys.disabled():
            print(f"\n{out}")
        lines = out.splitlines()
        by_label = {line.split("  ")[0]: line.split("  ", 1)[-1].strip() for line in lines}
        assert by_label["S3 (IPv6)"] == "UNKNOWN"
        assert by_label["NAT64 64:ff9b::/96"] == "BLACK HOLE"
        assert by_label["DynamoDB (IPv4)"] == f"{endpoints['dynamodb']} (SG blocks)"
        assert f"- DynamoDB (IPv4): {ddb['note']} ({subnet_id})" in lines
    finally:
        for call, kwargs in reversed(undo):
            call(**kwargs)
