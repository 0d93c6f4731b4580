"""Plan tests of the inputs issue 14 added to modules/dual-stack-vpc (tests/fixtures/network).

Two kinds of plans. The scenario ``breadth-2az`` (tests/fixtures/network/scenarios/) sets every
new input that leaves the default subnet numbering alone: its inventory pins the values, and
tests/plan/test_network_plan.py runs its cross-scenario checks on it too (same CIDRs as
``none-2az``). The inputs that change IPv4 addresses (explicit CIDRs, ``subnet_numbering``, a /24)
would break those cross-scenario checks by design, so they are planned here from ``LAYOUTS`` and
checked by CIDR arithmetic.

That an upgrade changes nothing for a user who sets nothing new is proven by the unchanged
inventories of every other scenario of every target (test_plan_matches_inventory). Refusals of
bad values are in tests/fixtures/network/refusals.yaml.
"""

from __future__ import annotations

import ipaddress
from typing import Any

import pytest

from natless.deploy.stack import Stack
from tests.plan.targets import ScenarioPlan, on
from tests.planjson import Plan

pytestmark = pytest.mark.plan

TARGET = "network"
VPC = "module.vpc"
SUBNETS = f"{VPC}.aws_subnet.this"
BREADTH = "breadth-2az"

# name -> the variables of one plan (us-east-1: AZs us-east-1a, us-east-1b, us-east-1c ...)
LAYOUTS: dict[str, dict[str, Any]] = {
    # a /24 VPC: by_az numbering, 3 slots per AZ, /27 subnets (8 slots: room for 2 AZs)
    "slash24-2az": {"cidr_block": "10.9.0.0/24", "subnet_numbering": "by_az", "subnet_newbits": 3},
    # the same /24 with /28 subnets: 16 slots, so a third AZ fits and renumbers nothing
    "slash24-3az": {
        "cidr_block": "10.9.0.0/24",
        "subnet_numbering": "by_az",
        "subnet_newbits": 4,
        "az_count": 3,
    },
    "slash24-2az-28": {
        "cidr_block": "10.9.0.0/24",
        "subnet_numbering": "by_az",
        "subnet_newbits": 4,
    },
    # two explicit CIDRs, one of them in a secondary block; the other four subnets computed
    "explicit": {
        "secondary_cidr_blocks": ["10.1.0.0/24"],
        "public_subnet_cidrs": {"us-east-1a": "10.1.0.0/26"},
        "private_subnet_cidrs": {"us-east-1b": "10.0.200.0/28"},
    },
}


@pytest.fixture(scope="module")
def layouts(stack: Stack, base_vars: dict[str, Any]) -> dict[str, Plan]:
    return {name: Plan(stack.plan({**base_vars, **tf_vars})) for name, tf_vars in LAYOUTS.items()}


def cidrs(plan: Plan) -> dict[str, str]:
    """Subnet key ("public/us-east-1a") -> planned IPv4 CIDR."""
    return {key: s["after"]["cidr_block"] for key, s in plan.instances(SUBNETS).items()}


def assert_inside_and_disjoint(planned: dict[str, str], blocks: list[str]) -> None:
    nets = [ipaddress.ip_network(c) for c in planned.values()]
    vpc = [ipaddress.ip_network(b) for b in blocks]
    assert all(any(n.subnet_of(b) for b in vpc) for n in nets), planned
    assert not any(a.overlaps(b) for i, a in enumerate(nets) for b in nets[i + 1 :]), planned


# --- the /24: numbering by AZ ----------------------------------------------------------------


def test_a_slash24_holds_two_azs_numbered_by_az(layouts: dict[str, Plan]) -> None:
    planned = cidrs(layouts["slash24-2az"])
    # k = AZ index * 3 + tier, /27 blocks of 10.9.0.0/24
    assert planned == {
        "public/us-east-1a": "10.9.0.0/27",
        "private/us-east-1a": "10.9.0.32/27",
        "isolated/us-east-1a": "10.9.0.64/27",
        "public/us-east-1b": "10.9.0.96/27",
        "private/us-east-1b": "10.9.0.128/27",
        "isolated/us-east-1b": "10.9.0.160/27",
    }
    assert_inside_and_disjoint(planned, ["10.9.0.0/24"])
    assert layouts["slash24-2az"].output("public_subnet_cidr_blocks") == [
        "10.9.0.0/27",
        "10.9.0.96/27",
    ]


def test_by_az_numbering_keeps_subnets_when_az_count_grows(layouts: dict[str, Plan]) -> None:
    two, three = cidrs(layouts["slash24-2az-28"]), cidrs(layouts["slash24-3az"])
    assert len(two) == 6 and len(three) == 9
    assert {k: three[k] for k in two} == two
    assert_inside_and_disjoint(three, ["10.9.0.0/24"])
    assert all(ipaddress.ip_network(c).prefixlen == 28 for c in three.values())


def test_ipv6_numbers_do_not_depend_on_the_ipv4_numbering(layouts: dict[str, Plan]) -> None:
    """Both numberings give subnet (tier, AZ) IPv6 /64 number tier * 8 + AZ index; the /64s are
    unknown until apply, so the configuration is what can be read."""
    config = layouts["slash24-2az"].module_config("vpc")
    (subnet,) = [r for r in config["resources"] if r["address"] == "aws_subnet.this"]
    refs = subnet["expressions"]["ipv6_cidr_block"]["references"]
    assert "each.value.ipv6_netnum" in refs and "each.value.netnum" not in refs


# --- explicit CIDRs and a secondary block ----------------------------------------------------


def test_explicit_cidrs_replace_only_their_own_subnets(layouts: dict[str, Plan]) -> None:
    planned = cidrs(layouts["explicit"])
    assert planned["public/us-east-1a"] == "10.1.0.0/26"
    assert planned["private/us-east-1b"] == "10.0.200.0/28"
    # the other four: the default numbering's CIDRs (none-2az's inventory has the same)
    assert {
        k: v for k, v in planned.items() if k not in ("public/us-east-1a", "private/us-east-1b")
    } == {
        "public/us-east-1b": "10.0.8.0/21",
        "private/us-east-1a": "10.0.64.0/21",
        "isolated/us-east-1a": "10.0.128.0/21",
        "isolated/us-east-1b": "10.0.136.0/21",
    }
    assert_inside_and_disjoint(planned, ["10.0.0.0/16", "10.1.0.0/24"])


def test_a_subnet_in_a_secondary_block_waits_for_the_block(layouts: dict[str, Plan]) -> None:
    plan = layouts["explicit"]
    (assoc,) = plan.instances(f"{VPC}.aws_vpc_ipv4_cidr_block_association.this").values()
    assert assoc["after"]["cidr_block"] == "10.1.0.0/24"
    (subnet,) = [
        r for r in plan.module_config("vpc")["resources"] if r["address"] == "aws_subnet.this"
    ]
    assert subnet["depends_on"] == ["aws_vpc_ipv4_cidr_block_association.this"]


# --- breadth-2az: tags, names, ACLs, IPAM, S3 flow logs ----------------------------------------


@on(BREADTH)
def test_public_subnets_carry_the_load_balancer_role(scenario_plan: ScenarioPlan) -> None:
    """kubernetes.io/role/elb on every public subnet and only there; the module's own Name and
    natless:tier tags still win over the user's."""
    for key, s in scenario_plan.instances(SUBNETS).items():
        tier, az = key.split("/")
        tags = s["after"]["tags"]
        assert (tags.get("kubernetes.io/role/elb") == "1") == (tier == "public"), key
        assert tags["natless:tier"] == tier
        named = {
            "public/us-east-1a": "edge-a",
            "private/us-east-1b": "app-b",
            "isolated/us-east-1a": "db-a",
        }
        assert tags["Name"] == named.get(key, f"plantest-{tier}-{az}")


@on(BREADTH)
def test_route_table_tags_per_tier(scenario_plan: ScenarioPlan) -> None:
    for tier in ("public", "private", "isolated"):
        tables = scenario_plan.instances(f"{VPC}.aws_route_table.{tier}")
        assert tables and all(t["after"]["tags"]["rt"] == tier for t in tables.values()), tier


@on(BREADTH)
def test_each_tier_acl_holds_its_tier_subnets_and_rules(scenario_plan: ScenarioPlan) -> None:
    plan = scenario_plan
    associations = plan.instances(f"{VPC}.aws_network_acl_association.this")
    assert set(associations) == set(plan.instances(SUBNETS))  # every tier has an ACL here
    assert plan.references(("vpc",), "aws_network_acl_association.this", "subnet_id") == [
        "aws_subnet.this",
        "each.key",
    ]
    assert plan.references(("vpc",), "aws_network_acl_association.this", "network_acl_id") == [
        "aws_network_acl.this",
        "each.value.tier",
        "each.value",
    ]
    assert plan.references(("vpc",), "aws_network_acl_rule.this", "network_acl_id") == [
        "aws_network_acl.this",
        "each.value.tier",
        "each.value",
    ]
    rules = plan.instances(f"{VPC}.aws_network_acl_rule.this")
    # public = {}: both directions default to allow-all of both families
    public = {k: r["after"] for k, r in rules.items() if k.startswith("public/")}
    assert {(k, r.get("cidr_block"), r.get("ipv6_cidr_block")) for k, r in public.items()} == {
        ("public/inbound/100", "0.0.0.0/0", None),
        ("public/inbound/101", None, "::/0"),
        ("public/outbound/100", "0.0.0.0/0", None),
        ("public/outbound/101", None, "::/0"),
    }
    assert all(r["rule_action"] == "allow" and r["protocol"] == "-1" for r in public.values())
    egress = {k: r["after"]["egress"] for k, r in rules.items()}
    assert all(flag == ("/outbound/" in k) for k, flag in egress.items())


@on(BREADTH)
def test_ipv6_block_from_the_ipam_pool(scenario_plan: ScenarioPlan) -> None:
    (vpc,) = scenario_plan.instances(f"{VPC}.aws_vpc.this").values()
    after = vpc["after"]
    assert after["ipv6_ipam_pool_id"] == "ipam-pool-0123456789abcdef0"
    assert after["ipv6_netmask_length"] == 52
    assert not after.get("assign_generated_ipv6_cidr_block")
    # the /64s: 64 - 52 = 12 bits below the pool's block
    refs = scenario_plan.references(("vpc",), "aws_subnet.this", "ipv6_cidr_block")
    assert "local.ipv6_prefix" in refs


@on("none-2az")
def test_without_a_pool_the_vpc_asks_for_an_amazon_block(scenario_plan: ScenarioPlan) -> None:
    (vpc,) = scenario_plan.instances(f"{VPC}.aws_vpc.this").values()
    assert vpc["after"]["assign_generated_ipv6_cidr_block"] is True
    assert vpc["after"].get("ipv6_ipam_pool_id") is None


@on(BREADTH)
def test_flow_logs_to_s3_as_well_as_cloudwatch(scenario_plan: ScenarioPlan) -> None:
    logs = {
        key: fl["after"]
        for name in ("this", "s3")
        for key, fl in scenario_plan.instances(f"{VPC}.aws_flow_log.{name}").items()
        for key in [f"{name}[{key}]"]
    }
    assert {k: v["log_destination_type"] for k, v in logs.items()} == {
        "this[0]": "cloud-watch-logs",
        "s3[0]": "s3",
    }
    assert logs["s3[0]"]["log_destination"] == "arn:aws:s3:::natless-plan-flow-logs/vpc/"
    (options,) = logs["s3[0]"]["destination_options"]
    assert (options["file_format"], options["per_hour_partition"]) == ("parquet", False)
    assert logs["s3[0]"].get("iam_role_arn") is None  # S3 delivery uses the bucket's policy
    assert all(v["traffic_type"] == "ALL" for v in logs.values())
