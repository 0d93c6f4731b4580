"""modules/dual-stack-vpc with the inputs of issue 14, applied on the emulator and read back.

tests/coverage.py applies each input once inside the big "wide"/"narrow" scenarios and checks
that they are set; this file reads the results back with boto3, on a stack of the VPC module
alone (and a bucket for the S3 flow log): a /24 numbered by AZ, an explicit subnet in a
secondary block, per-tier names and tags, a dedicated network ACL per tier and the S3 flow
log. A second plan must change nothing (ACL protocols such as "tcp" come back as "6": a
perpetual diff would show here), and the destroy must leave nothing behind, ACLs and flow logs
included.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import boto3
import pytest

from natless.deploy.stack import Stack
from natless.paths import SCRATCH
from tests.jsonroot import module_call, root_document, write_root
from tests.support.leftovers import leftovers

pytestmark = pytest.mark.emulator

NAME = "t-dsv-breadth"
BUCKET = "t-dsv-breadth-flow-logs"
KINDS = ("vpcs", "subnets", "buckets", "roles", "log_groups")
ANYWHERE = (("cidr_block", "0.0.0.0/0"), ("ipv6_cidr_block", "::/0"))
INPUTS: dict[str, Any] = {
    "name": NAME,
    "cidr_block": "10.9.0.0/24",
    "subnet_numbering": "by_az",
    "subnet_newbits": 4,  # /28s: 16 slots, 2 AZs use 6
    "secondary_cidr_blocks": ["10.9.1.0/24"],
    "isolated_subnet_cidrs": {"us-east-1b": "10.9.1.0/26"},
    "public_subnet_names": {"us-east-1a": "edge-a"},
    "public_subnet_tags": {"kubernetes.io/role/elb": "1"},
    "private_subnet_tags": {"kubernetes.io/role/internal-elb": "1"},
    "isolated_subnet_tags": {"data": "yes"},
    "public_route_table_tags": {"rt": "public"},
    "private_route_table_tags": {"rt": "private"},
    "isolated_route_table_tags": {"rt": "isolated"},
    "public_network_acl": {},
    "private_network_acl": {
        "inbound": [
            {"rule_number": 100 + i, "rule_action": "allow", "protocol": "tcp",
             "from_port": 1024, "to_port": 65535, family: block}
            for i, (family, block) in enumerate(ANYWHERE)
        ],
        "outbound": [
            {"rule_number": 100 + i, "rule_action": "allow", "protocol": "tcp",
             "from_port": 443, "to_port": 443, family: block}
            for i, (family, block) in enumerate(ANYWHERE)
        ],
    },
    "isolated_network_acl": {
        "inbound": [{"rule_number": 100, "rule_action": "allow", "protocol": "-1",
                     "cidr_block": "10.9.0.0/24"}],
        "outbound": [
            {"rule_number": 100, "rule_action": "allow", "protocol": "-1",
             "cidr_block": "10.9.0.0/24"},
            {"rule_number": 200, "rule_action": "deny", "protocol": "58", "icmp_type": -1,
             "icmp_code": -1, "ipv6_cidr_block": "::/0"},
        ],
    },
    "enable_flow_logs": False,  # the CloudWatch one: the coverage scenario "wide" has both
    # no file_format/per_hour_partition: moto 5.2.5 drops DestinationOptions (never returns
    # them), so a flow log that sets them is replaced by every plan; planned in breadth-2az
    "flow_log_s3": {"destination_arn": "${aws_s3_bucket.flow.arn}"},
}  # fmt: skip


@dataclass
class Applied:
    outputs: dict[str, Any]
    replan_changes: bool
    kw: dict[str, str]

    def ec2(self) -> Any:
        return boto3.client("ec2", **self.kw)

    def vpc_filter(self) -> list[dict[str, Any]]:
        return [{"Name": "vpc-id", "Values": [self.outputs["vpc_id"]]}]


def _acls_and_flow_logs(kw: dict[str, str]) -> tuple[list[str], list[str]]:
    """The dedicated network ACLs and the flow logs. Not the default ACLs: moto 5.2.5 keeps a
    VPC's default ACL after DeleteVpc (any VPC, this module or not)."""
    ec2 = boto3.client("ec2", **kw)
    acls = [
        a["NetworkAclId"] for a in ec2.describe_network_acls()["NetworkAcls"] if not a["IsDefault"]
    ]
    logs = [f["FlowLogId"] for f in ec2.describe_flow_logs()["FlowLogs"]]
    return sorted(acls), sorted(logs)


@pytest.fixture(scope="module")
def applied(emulator) -> Iterator[Applied]:
    folder = SCRATCH / "dsv-breadth"
    document = root_document(
        {"vpc": module_call(folder, "dual-stack-vpc", INPUTS)},
        {"aws_s3_bucket": {"flow": {"bucket": BUCKET, "force_destroy": True}}},
    )
    document["output"] = {"vpc_id": {"value": "${module.vpc.vpc_id}"}} | {
        name: {"value": f"${{module.vpc.{name}}}"}
        for name in ("azs", "network_acl_ids", "secondary_cidr_blocks")
    }
    kw = emulator.client_kwargs()
    before = leftovers(kw, KINDS), _acls_and_flow_logs(kw)
    stack = Stack.create(write_root(folder, document), emulator.redirect())
    try:
        stack.plan()
        stack.apply_plan()
        yield Applied(stack.outputs(), stack.plan_has_changes(), kw)
    finally:
        stack.close()
    assert (leftovers(kw, KINDS), _acls_and_flow_logs(kw)) == before, "destroy left things behind"


def test_second_plan_changes_nothing(applied: Applied) -> None:
    assert applied.replan_changes is False


def test_subnets_read_back_numbered_by_az_with_their_names_and_tags(applied: Applied) -> None:
    subnets = applied.ec2().describe_subnets(Filters=applied.vpc_filter())["Subnets"]
    found = {}
    for s in subnets:
        tags = {t["Key"]: t["Value"] for t in s.get("Tags", [])}
        found[(tags["natless:tier"], s["AvailabilityZone"])] = (s["CidrBlock"], tags)
    # by_az: k = AZ index * 3 + tier, /28 blocks of the /24; isolated b in the secondary block
    assert {key: cidr for key, (cidr, _) in found.items()} == {
        ("public", "us-east-1a"): "10.9.0.0/28",
        ("private", "us-east-1a"): "10.9.0.16/28",
        ("isolated", "us-east-1a"): "10.9.0.32/28",
        ("public", "us-east-1b"): "10.9.0.48/28",
        ("private", "us-east-1b"): "10.9.0.64/28",
        ("isolated", "us-east-1b"): "10.9.1.0/26",
    }
    extra = {"public": "kubernetes.io/role/elb", "private": "kubernetes.io/role/internal-elb"}
    for (tier, az), (_, tags) in found.items():
        assert (tags.get(extra["public"]) == "1") == (tier == "public"), (tier, az)
        assert (tags.get(extra["private"]) == "1") == (tier == "private"), (tier, az)
        assert (tags.get("data") == "yes") == (tier == "isolated"), (tier, az)
        default = f"{NAME}-{tier}-{az}"
        assert tags["Name"] == ("edge-a" if (tier, az) == ("public", "us-east-1a") else default)


def test_secondary_block_is_associated(applied: Applied) -> None:
    (vpc,) = applied.ec2().describe_vpcs(VpcIds=[applied.outputs["vpc_id"]])["Vpcs"]
    blocks = {
        a["CidrBlock"]
        for a in vpc["CidrBlockAssociationSet"]
        if a["CidrBlockState"]["State"] == "associated"
    }
    assert blocks == {"10.9.0.0/24", "10.9.1.0/24"}
    assert applied.outputs["secondary_cidr_blocks"] == ["10.9.1.0/24"]


def test_route_tables_carry_their_tier_tags(applied: Applied) -> None:
    tables = applied.ec2().describe_route_tables(Filters=applied.vpc_filter())["RouteTables"]
    by_tier: dict[str, list[str]] = {}
    for table in tables:
        tags = {t["Key"]: t["Value"] for t in table.get("Tags", [])}
        if "natless:tier" in tags:  # not the VPC's main table
            by_tier.setdefault(tags["natless:tier"], []).append(tags.get("rt", ""))
    assert by_tier == {
        "public": ["public"],
        "private": ["private"] * 2,
        "isolated": ["isolated"] * 2,
    }


def test_each_tier_has_its_own_acl_with_its_rules(applied: Applied) -> None:
    ec2 = applied.ec2()
    subnets = ec2.describe_subnets(Filters=applied.vpc_filter())["Subnets"]
    tier_of = {
        s["SubnetId"]: next(t["Value"] for t in s["Tags"] if t["Key"] == "natless:tier")
        for s in subnets
    }
    ids = applied.outputs["network_acl_ids"]
    assert set(ids) == {"public", "private", "isolated"}
    for tier, acl_id in ids.items():
        (acl,) = ec2.describe_network_acls(NetworkAclIds=[acl_id])["NetworkAcls"]
        assert acl["IsDefault"] is False
        members = {a["SubnetId"] for a in acl["Associations"]}
        assert members == {s for s, t in tier_of.items() if t == tier}, tier
        entries = {
            (e["Egress"], e["RuleNumber"]): e for e in acl["Entries"] if e["RuleNumber"] < 32767
        }
        if tier == "public":  # {}: allow all of both families, both directions
            assert set(entries) == {(False, 100), (False, 101), (True, 100), (True, 101)}
            assert {e.get("CidrBlock") or e.get("Ipv6CidrBlock") for e in entries.values()} == {
                "0.0.0.0/0",
                "::/0",
            }
        elif tier == "private":
            out = entries[(True, 101)]
            assert out["Ipv6CidrBlock"] == "::/0" and out["PortRange"] == {"From": 443, "To": 443}
            assert entries[(False, 100)]["PortRange"] == {"From": 1024, "To": 65535}
        else:
            deny = entries[(True, 200)]
            assert (deny["RuleAction"], deny["Protocol"], deny["Ipv6CidrBlock"]) == (
                "deny",
                "58",
                "::/0",
            )


def test_flow_log_goes_to_the_bucket(applied: Applied) -> None:
    (flow,) = applied.ec2().describe_flow_logs(
        Filters=[{"Name": "resource-id", "Values": [applied.outputs["vpc_id"]]}]
    )["FlowLogs"]
    assert flow["LogDestinationType"] == "s3"
    assert flow["LogDestination"] == f"arn:aws:s3:::{BUCKET}"
    assert flow["TrafficType"] == "ALL"
