"""Plan tests of modules/dual-stack-subnets and examples/existing-vpc (issue 14).

The module is planned through tests/fixtures/dual-stack-subnets against a classic IPv4-only VPC
that exists outside Terraform: the test makes it with boto3 in the emulator (public and private
subnets, an internet gateway, a NAT gateway per AZ, a route table per private subnet), so the
module's data sources read a real VPC at plan time, as they would in an account. The plan must
hold creates only, all inside the module (and vpc-endpoints on its tables): nothing of the VPC is
modified or replaced. The example is planned as a whole for its counts per AZ and its wiring;
tests/emulator/test_existing_vpc_apply.py applies it in two steps.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import boto3
import pytest

from natless.deploy.package import build_package
from natless.deploy.stack import Stack
from natless.paths import EXAMPLES, ROOT
from tests.planjson import Plan
from tests.refusals import Case, refusals

FIXTURE = ROOT / "tests" / "fixtures" / "dual-stack-subnets"
MODULE = "module.natless"
AZS = ("us-east-1a", "us-east-1b")
NEW_SUBNETS = {"us-east-1a": "10.0.64.0/22", "us-east-1b": "10.0.68.0/22"}
# Types of the existing VPC that nothing outside the module may touch (the brief's no-modify).
VPC_TYPES = {"aws_vpc", "aws_subnet", "aws_route_table", "aws_route", "aws_route_table_association"}


@dataclass
class ClassicVpc:
    """A VPC as terraform-aws-modules/vpc makes it with one NAT per AZ, made with boto3."""

    vpc_id: str
    nat_ids: dict[str, str]
    subnet_ids: list[str]
    route_table_ids: list[str]
    allocation_ids: list[str]
    igw_id: str


def make_classic_vpc(ec2: Any, *, ipv6: bool = False) -> ClassicVpc:
    vpc_id = ec2.create_vpc(CidrBlock="10.0.0.0/16", AmazonProvidedIpv6CidrBlock=ipv6)["Vpc"][
        "VpcId"
    ]
    igw_id = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
    ec2.attach_internet_gateway(InternetGatewayId=igw_id, VpcId=vpc_id)
    made = ClassicVpc(vpc_id, {}, [], [], [], igw_id)
    for i, az in enumerate(AZS):
        public = ec2.create_subnet(
            VpcId=vpc_id, AvailabilityZone=az, CidrBlock=f"10.0.{101 + i}.0/24"
        )
        private = ec2.create_subnet(
            VpcId=vpc_id, AvailabilityZone=az, CidrBlock=f"10.0.{1 + i}.0/24"
        )
        made.subnet_ids += [public["Subnet"]["SubnetId"], private["Subnet"]["SubnetId"]]
        allocation = ec2.allocate_address(Domain="vpc")["AllocationId"]
        made.allocation_ids.append(allocation)
        nat = ec2.create_nat_gateway(SubnetId=public["Subnet"]["SubnetId"], AllocationId=allocation)
        made.nat_ids[az] = nat["NatGateway"]["NatGatewayId"]
        table = ec2.create_route_table(VpcId=vpc_id)["RouteTable"]["RouteTableId"]
        made.route_table_ids.append(table)
        ec2.create_route(
            RouteTableId=table, DestinationCidrBlock="0.0.0.0/0", NatGatewayId=made.nat_ids[az]
        )
        ec2.associate_route_table(RouteTableId=table, SubnetId=private["Subnet"]["SubnetId"])
    return made


def remove_classic_vpc(ec2: Any, vpc: ClassicVpc) -> None:
    for nat in vpc.nat_ids.values():
        ec2.delete_nat_gateway(NatGatewayId=nat)
    for allocation in vpc.allocation_ids:
        ec2.release_address(AllocationId=allocation)
    for table in ec2.describe_route_tables(RouteTableIds=vpc.route_table_ids)["RouteTables"]:
        for assoc in table["Associations"]:
            ec2.disassociate_route_table(AssociationId=assoc["RouteTableAssociationId"])
        ec2.delete_route_table(RouteTableId=table["RouteTableId"])
    for subnet in vpc.subnet_ids:
        ec2.delete_subnet(SubnetId=subnet)
    ec2.detach_internet_gateway(InternetGatewayId=vpc.igw_id, VpcId=vpc.vpc_id)
    ec2.delete_internet_gateway(InternetGatewayId=vpc.igw_id)
    ec2.delete_vpc(VpcId=vpc.vpc_id)


@dataclass
class Planner:
    stack: Stack
    classic: ClassicVpc  # no IPv6 block
    dual: ClassicVpc  # already has an Amazon-provided IPv6 /56
    dual_block: str

    def base(self, **overrides: Any) -> dict[str, Any]:
        return {
            "vpc_id": self.classic.vpc_id,
            "subnets": NEW_SUBNETS,
            "nat_gateway_ids": self.classic.nat_ids,
            **overrides,
        }

    def plan(self, **overrides: Any) -> Plan:
        return Plan(self.stack.plan(self.base(**overrides)))


@contextmanager
def planner_on(emulator) -> Iterator[Planner]:
    """Two classic VPCs (one with an IPv6 block) and the fixture's working copy."""
    ec2 = boto3.client("ec2", **emulator.client_kwargs())
    classic = make_classic_vpc(ec2)
    dual = make_classic_vpc(ec2, ipv6=True)
    try:
        (vpc,) = ec2.describe_vpcs(VpcIds=[dual.vpc_id])["Vpcs"]
        block = vpc["Ipv6CidrBlockAssociationSet"][0]["Ipv6CidrBlock"]
        with Stack.create(FIXTURE, emulator.redirect()) as stack:
            yield Planner(stack, classic, dual, block)
    finally:
        remove_classic_vpc(ec2, classic)
        remove_classic_vpc(ec2, dual)


# Three module-scoped fixtures, each with a parameter of its own: tests/conftest.py then puts
# the module's plans, its refusals and the example's plans in three xdist groups, which run on
# different workers.
@pytest.fixture(scope="module", params=["module"])
def planner(emulator) -> Iterator[Planner]:
    with planner_on(emulator) as planner:
        yield planner


@pytest.fixture(scope="module", params=["refusals"])
def refusal_planner(emulator) -> Iterator[Planner]:
    with planner_on(emulator) as planner:
        yield planner


@pytest.fixture(scope="module")
def default_plan(planner: Planner) -> Plan:
    return planner.plan()


def managed_changes(plan: Plan) -> list[dict[str, Any]]:
    return [rc for rc in plan.raw["resource_changes"] if rc["mode"] == "managed"]


# --- the no-modify property ----------------------------------------------------------------------


def test_every_planned_action_is_a_create_inside_the_modules(default_plan: Plan) -> None:
    changes = managed_changes(default_plan)
    assert changes
    not_create = [(rc["address"], rc["change"]["actions"]) for rc in changes
                  if rc["change"]["actions"] != ["create"]]  # fmt: skip
    assert not not_create, f"the plan would change or replace existing resources: {not_create}"
    outside = [
        rc["address"]
        for rc in changes
        if not rc["address"].startswith((f"{MODULE}.", "module.endpoints."))
    ]
    assert not outside
    # the VPC's own kinds appear only as new resources of the module
    assert all(rc["address"].startswith(f"{MODULE}.") for rc in changes if rc["type"] in VPC_TYPES)
    assert not default_plan.by_type("aws_vpc")
    assert not default_plan.by_type("aws_nat_gateway")


def test_one_subnet_table_and_route_set_per_az(default_plan: Plan) -> None:
    for resource in (
        "aws_subnet.this",
        "aws_route_table.this",
        "aws_route_table_association.this",
        "aws_route.ipv6_egress_only",
        "aws_route.ipv4_nat",
    ):
        assert set(default_plan.instances(f"{MODULE}.{resource}")) == set(AZS), resource
    assert not default_plan.instances(f"{MODULE}.aws_route.nat64")
    assert set(default_plan.instances(f"{MODULE}.aws_vpc_ipv6_cidr_block_association.this")) == {
        "0"
    }
    assert set(default_plan.instances(f"{MODULE}.aws_egress_only_internet_gateway.this")) == {"0"}
    # vpc-endpoints: both gateway services on the two new tables, and on nothing else
    assert len(default_plan.instances("module.endpoints.aws_vpc_endpoint.gateway")) == 2
    assert len(
        default_plan.instances("module.endpoints.aws_vpc_endpoint_route_table_association.gateway")
    ) == 4  # fmt: skip


def test_new_subnets_are_dual_stack_in_the_existing_vpc(
    planner: Planner, default_plan: Plan
) -> None:
    subnets = default_plan.instances(f"{MODULE}.aws_subnet.this")
    for az, subnet in subnets.items():
        after = subnet["after"]
        assert after["vpc_id"] == planner.classic.vpc_id
        assert after["availability_zone"] == az
        assert after["cidr_block"] == NEW_SUBNETS[az]
        assert after["assign_ipv6_address_on_creation"] is True
        assert after["ipv6_native"] is False
        assert after["map_public_ip_on_launch"] is False
        assert after["enable_dns64"] is False
        assert subnet["after_unknown"]["ipv6_cidr_block"] is True  # from the new association
        assert after["tags"]["Name"] == f"plantest-dual-stack-{az}"
        assert after["tags"]["natless:module"] == "dual-stack-subnets"
    association = default_plan.instances(f"{MODULE}.aws_vpc_ipv6_cidr_block_association.this")
    assert association["0"]["after"]["assign_generated_ipv6_cidr_block"] is True
    assert association["0"]["after"]["vpc_id"] == planner.classic.vpc_id


def test_routes_go_to_the_egress_only_gateway_and_the_azs_own_nat(
    planner: Planner, default_plan: Plan
) -> None:
    ipv6 = default_plan.instances(f"{MODULE}.aws_route.ipv6_egress_only")
    assert {r["after"]["destination_ipv6_cidr_block"] for r in ipv6.values()} == {"::/0"}
    assert all(r["after_unknown"]["egress_only_gateway_id"] for r in ipv6.values())
    ipv4 = default_plan.instances(f"{MODULE}.aws_route.ipv4_nat")
    assert {az: r["after"]["nat_gateway_id"] for az, r in ipv4.items()} == planner.classic.nat_ids
    assert {r["after"]["destination_cidr_block"] for r in ipv4.values()} == {"0.0.0.0/0"}
    references = default_plan.references(
        ("natless",), "aws_route.ipv6_egress_only", "egress_only_gateway_id"
    )
    assert references == ["local.egress_only_internet_gateway_id"]


def test_outputs(planner: Planner, default_plan: Plan) -> None:
    assert default_plan.output("azs") == list(AZS)
    assert default_plan.output("vpc_id") == planner.classic.vpc_id
    assert default_plan.output("vpc_cidr_block") == "10.0.0.0/16"  # read from the VPC
    assert default_plan.output("nat_gateway_id_by_az") == planner.classic.nat_ids
    changes = default_plan.raw["output_changes"]
    for name in ("private_subnet_ids", "private_route_table_ids"):
        assert changes[name]["after_unknown"] == [True, True], name
    assert default_plan.output("private_subnet_cidr_blocks") == [NEW_SUBNETS[az] for az in AZS]
    assert changes["ipv6_cidr_block"]["after_unknown"] is True
    assert changes["egress_only_internet_gateway_id"]["after_unknown"] is True


def test_counts_follow_the_azs_and_the_nat_map(planner: Planner) -> None:
    """Three AZs, a NAT route for one of them only: three of everything, one IPv4 route."""
    subnets = {**NEW_SUBNETS, "us-east-1c": "10.0.72.0/22"}
    nat = {"us-east-1a": planner.classic.nat_ids["us-east-1a"]}
    plan = planner.plan(subnets=subnets, nat_gateway_ids=nat)
    assert set(plan.instances(f"{MODULE}.aws_subnet.this")) == set(subnets)
    assert set(plan.instances(f"{MODULE}.aws_route_table.this")) == set(subnets)
    assert set(plan.instances(f"{MODULE}.aws_route.ipv6_egress_only")) == set(subnets)
    assert set(plan.instances(f"{MODULE}.aws_route.ipv4_nat")) == {"us-east-1a"}
    assert plan.output("azs") == sorted(subnets)
    assert all(rc["change"]["actions"] == ["create"] for rc in managed_changes(plan))


def test_vpc_that_already_has_an_ipv6_block(planner: Planner) -> None:
    """assign_ipv6_cidr_block = false: the /64s come from the VPC's own block, read at plan
    time, numbered offset + AZ letter; the given egress-only gateway is used, none created; and
    DNS64 with a NAT in every AZ routes 64:ff9b::/96 to it."""
    plan = planner.plan(
        vpc_id=planner.dual.vpc_id,
        nat_gateway_ids=planner.dual.nat_ids,
        assign_ipv6_cidr_block=False,
        ipv6_netnum_offset=16,
        egress_only_internet_gateway_id="eigw-0123456789abcdef0",
        enable_dns64=True,
    )
    assert not plan.instances(f"{MODULE}.aws_vpc_ipv6_cidr_block_association.this")
    assert not plan.instances(f"{MODULE}.aws_egress_only_internet_gateway.this")
    block = ipaddress.IPv6Network(planner.dual_block)
    expected = {  # /64 number 16 + the AZ letter's position (a = 0)
        az: str(ipaddress.IPv6Network((int(block.network_address) + ((16 + i) << 64), 64)))
        for i, az in enumerate(AZS)
    }
    subnets = plan.instances(f"{MODULE}.aws_subnet.this")
    assert {az: s["after"]["ipv6_cidr_block"] for az, s in subnets.items()} == expected
    assert all(s["after"]["enable_dns64"] is True for s in subnets.values())
    routes = plan.instances(f"{MODULE}.aws_route.ipv6_egress_only")
    assert {r["after"]["egress_only_gateway_id"] for r in routes.values()} == {
        "eigw-0123456789abcdef0"
    }
    nat64 = plan.instances(f"{MODULE}.aws_route.nat64")
    assert {az: r["after"]["nat_gateway_id"] for az, r in nat64.items()} == planner.dual.nat_ids
    assert {r["after"]["destination_ipv6_cidr_block"] for r in nat64.values()} == {"64:ff9b::/96"}
    assert plan.output("ipv6_cidr_block") == planner.dual_block
    assert plan.output("ipv6_cidr_block_association_id") is None
    assert all(rc["change"]["actions"] == ["create"] for rc in managed_changes(plan))


def test_given_ipv6_block_is_carved_without_reading_the_vpc(planner: Planner) -> None:
    plan = planner.plan(assign_ipv6_cidr_block=False, ipv6_cidr_block="2600:1f18:1234:5600::/56")
    subnets = plan.instances(f"{MODULE}.aws_subnet.this")
    assert {az: s["after"]["ipv6_cidr_block"] for az, s in subnets.items()} == {
        "us-east-1a": "2600:1f18:1234:5600::/64",
        "us-east-1b": "2600:1f18:1234:5601::/64",
    }


# --- refusals ------------------------------------------------------------------------------------

# Cases whose value breaks several rules of one variable, and the other rules' messages.
SEVERAL = {
    "subnets-several": (
        "subnets values must be /16 to /28",
        "subnets values have host bits set",
        "subnets CIDRs overlap",
    ),
    "ipv6-block": ("ipv6_cidr_block has host bits set",),
}
# Preconditions: Terraform reaches them only when every variable validation passes (stage 2),
# and all need the VPC to exist, so that its data sources are read at plan. Cases of distinct
# variables share a plan: their checks sit on resources that do not depend on each other, or on
# the same subnet (whose preconditions are all evaluated). The association's precondition gets
# a plan of its own: the subnets depend on the association, so its failure hides theirs.
ALONE = ("assign-and-block",)
PRECONDITIONS = (
    "dns64-without-nat",
    "nat-az-without-subnet",
    "assign-and-block",
    "az-not-in-region",
    "cidr-outside-vpc",
    "no-ipv6-block",
    "netnum-past-the-block",
    "same-letter",
)


def test_bad_inputs_are_refused(refusal_planner: Planner) -> None:
    planner = refusal_planner
    nat_a = planner.classic.nat_ids["us-east-1a"]
    cases = {
        # variable validations
        "name": ({"name": "1-natless"}, "name must be 1-32 characters of letters, digits"),
        "vpc-id": ({"vpc_id": "vpc_0123"}, 'vpc_id must be a VPC ID like "vpc-0123456789abcdef0"'),
        "subnets-empty": ({"subnets": {}}, "subnets needs at least one entry"),
        "subnets-not-ipv4": (
            {"subnets": {"us-east-1a": "2600:1f18::/64"}},
            'subnets values must be IPv4 CIDRs such as "10.0.64.0/22"',
        ),
        # one value that breaks four rules: Terraform reports each (SEVERAL below)
        "subnets-several": (
            {
                "subnets": {
                    "use1-az1": "10.0.65.0/22",
                    "us-east-1b": "10.0.64.0/29",
                    "us-east-1c": "10.0.64.0/24",
                }
            },
            "subnets keys must be availability zone names",
        ),
        "ipv6-block": (
            {"ipv6_cidr_block": "2600:1f18:1234:5601::/57"},
            "ipv6_cidr_block must be an IPv6 CIDR of /44, /48, /52, /56 or /60",
        ),
        "offset": ({"ipv6_netnum_offset": 231}, "ipv6_netnum_offset must be a whole number"),
        "eigw": (
            {"egress_only_internet_gateway_id": "igw-0123"},
            "egress_only_internet_gateway_id must be an ID like",
        ),
        "nat-key": (
            {"nat_gateway_ids": {"use1-az1": nat_a}},
            "nat_gateway_ids keys must be availability zone names",
        ),
        "nat-value": (
            {"nat_gateway_ids": {"us-east-1a": "igw-0123"}},
            "nat_gateway_ids values must be NAT gateway IDs",
        ),
        # preconditions (planned alone)
        "dns64-without-nat": (
            {"enable_dns64": True, "nat_gateway_ids": {"us-east-1a": nat_a}},
            "enable_dns64 = true needs a NAT gateway for us-east-1b in nat_gateway_ids",
        ),
        "nat-az-without-subnet": (
            {"nat_gateway_ids": {"us-east-1c": nat_a}},
            "nat_gateway_ids names AZs without a subnet (us-east-1c)",
        ),
        "assign-and-block": (
            {"ipv6_cidr_block": "2600:1f18:1234:5600::/56"},
            "ipv6_cidr_block is set, but assign_ipv6_cidr_block = true",
        ),
        "az-not-in-region": (
            {"subnets": {"us-east-1z": "10.0.64.0/22"}, "nat_gateway_ids": {}},
            "subnets: us-east-1z is not an available availability zone of this region",
        ),
        "cidr-outside-vpc": (
            {"subnets": {"us-east-1a": "10.1.64.0/22"}, "nat_gateway_ids": {}},
            "subnets: 10.1.64.0/22 (us-east-1a) is not inside any IPv4 block of vpc-",
        ),
        "no-ipv6-block": (
            {"assign_ipv6_cidr_block": False},
            "has no IPv6 CIDR block and assign_ipv6_cidr_block is false",
        ),
        "netnum-past-the-block": (
            {
                "assign_ipv6_cidr_block": False,
                "ipv6_cidr_block": "2600:1f18:1234:5600::/60",
                "ipv6_netnum_offset": 15,
            },
            "past the end of the VPC's IPv6 block (2600:1f18:1234:5600::/60 holds 16)",
        ),
        "same-letter": (
            {
                "subnets": {"us-east-1a": "10.0.64.0/22", "us-west-2a": "10.0.68.0/22"},
                "nat_gateway_ids": {},
            },
            "Two AZs of subnets end in the same letter (us-east-1a, us-west-2a)",
        ),
    }
    table = {
        label: Case(
            tf_vars,
            message,
            stage=2 if label in PRECONDITIONS else 1,
            alone=label in ALONE,
        )
        for label, (tf_vars, message) in cases.items()
    }
    failures = refusals(lambda _region: planner.stack, table, base=planner.base())
    for label, (_, message) in cases.items():
        assert message in failures[label], f"{label}: {failures[label][:600]}"
    for label, messages in SEVERAL.items():
        for message in messages:
            assert message in failures[label], f"{label}: {message}"


# --- the example ---------------------------------------------------------------------------------


@pytest.fixture(scope="module", params=["example"])
def example(emulator) -> Iterator[Stack]:
    build_package("bench")
    with Stack.create(EXAMPLES / "existing-vpc", emulator.redirect()) as stack:
        yield stack


@pytest.fixture(scope="module")
def example_plans(example: Stack) -> dict[str, Plan]:
    return {
        "with-nat": Plan(example.plan({"az_count": 3})),
        "nat-retired": Plan(example.plan({"az_count": 3, "enable_nat_gateway": False})),
    }


def test_example_counts_per_az(example_plans: dict[str, Plan]) -> None:
    plan = example_plans["with-nat"]
    azs = {"us-east-1a", "us-east-1b", "us-east-1c"}
    for resource in (
        "aws_subnet.public",
        "aws_subnet.private",
        "aws_route_table.private",
        "aws_eip.nat",
        "aws_nat_gateway.this",
        "aws_route.private_nat_gateway",
        "aws_cloudwatch_metric_alarm.nat_bytes",
        f"{MODULE}.aws_subnet.this",
        f"{MODULE}.aws_route_table.this",
        f"{MODULE}.aws_route.ipv6_egress_only",
        f"{MODULE}.aws_route.ipv4_nat",
    ):
        assert set(plan.instances(resource)) == azs, resource
    new = {
        k: s["after"]["cidr_block"] for k, s in plan.instances(f"{MODULE}.aws_subnet.this").items()
    }
    assert new == {"us-east-1a": "10.0.64.0/22", "us-east-1b": "10.0.68.0/22",
                   "us-east-1c": "10.0.72.0/22"}  # fmt: skip
    old = plan.instances("aws_subnet.private")
    assert all(not s["after"].get("ipv6_cidr_block") for s in old.values())  # IPv4-only
    routes = plan.instances("module.endpoints.aws_vpc_endpoint_route_table_association.gateway")
    assert len(routes) == 2 * 3  # two services on the three new tables only


def test_example_wires_the_pair_and_endpoints_to_the_new_subnets(
    example_plans: dict[str, Plan],
) -> None:
    plan = example_plans["with-nat"]
    calls = plan.raw["configuration"]["root_module"]["module_calls"]
    pair = calls["pair"]["expressions"]
    assert pair["subnet_ids"]["references"][0] == "module.natless.private_subnet_ids"
    assert pair["ipv6_allowed_for_dual_stack"]["constant_value"] is True
    endpoints = calls["endpoints"]["expressions"]
    assert endpoints["route_table_ids"]["references"][0] == "module.natless.private_route_table_ids"
    natless = calls["natless"]["expressions"]
    assert "aws_nat_gateway.this" in natless["nat_gateway_ids"]["references"]
    assert "aws_vpc.this.id" in natless["vpc_id"]["references"]
    (fn,) = plan.instances('module.pair.module.function["vpc"].aws_lambda_function.this').values()
    assert fn["after"]["vpc_config"][0]["ipv6_allowed_for_dual_stack"] is True
    rules = plan.instances(
        'module.pair.module.function["vpc"].aws_vpc_security_group_egress_rule.https'
    )
    assert set(rules) == {"::/0", "vpc", "pl:s3", "pl:dynamodb", "0.0.0.0/0"}
    # the classic VPC's own configuration: the /56 comes from the module, which the VPC ignores
    vpc = next(r for r in plan.raw["configuration"]["root_module"]["resources"]
               if r["address"] == "aws_vpc.this")  # fmt: skip
    assert "assign_generated_ipv6_cidr_block" not in vpc["expressions"]


def test_retiring_the_nat_removes_every_ipv4_default_route(
    example_plans: dict[str, Plan],
) -> None:
    plan = example_plans["nat-retired"]
    for resource in (
        "aws_eip.nat",
        "aws_nat_gateway.this",
        "aws_route.private_nat_gateway",
        "aws_cloudwatch_metric_alarm.nat_bytes",
        f"{MODULE}.aws_route.ipv4_nat",
    ):
        assert not plan.instances(resource), resource
    rules = plan.instances(
        'module.pair.module.function["vpc"].aws_vpc_security_group_egress_rule.https'
    )
    assert set(rules) == {"::/0", "vpc", "pl:s3", "pl:dynamodb"}
    assert len(plan.instances(f"{MODULE}.aws_route.ipv6_egress_only")) == 3


def test_example_outputs_follow_the_other_examples(example_plans: dict[str, Plan]) -> None:
    """natless routes/demo read function_names; the rest as in egress-only and nat-gateway."""
    outputs = example_plans["with-nat"].raw["output_changes"]
    for name in ("region", "vpc_id", "private_subnet_ids", "nat_gateway_ids",
                 "egress_only_internet_gateway_id", "function_names", "table_name",
                 "queue_url", "bucket_name"):  # fmt: skip
        assert name in outputs, name
    assert example_plans["with-nat"].output("region") == "us-east-1"
    assert outputs["nat_gateway_ids"]["after_unknown"] == [True] * 3
    assert example_plans["nat-retired"].output("nat_gateway_ids") == []


def test_bad_example_inputs_are_refused(example: Stack) -> None:
    cases = {
        "region": ({"region": "us_east_1"}, "region must be an AWS region name"),
        "name": ({"name": "Natless"}, "name must be 3-32 lower-case letters"),
        "az-count": ({"az_count": 7}, "az_count must be a whole number from 1 to 6"),
        "alarm-threshold": (
            {"nat_bytes_alarm_gb_per_day": 0},
            "nat_bytes_alarm_gb_per_day must be a positive number",
        ),
        "alarm-actions": ({"alarm_actions": ["ops"]}, "alarm_actions must be a list of ARNs"),
    }
    table = {label: Case(tf_vars, message) for label, (tf_vars, message) in cases.items()}
    failures = refusals(lambda _region: example, table)
    for label, (_, message) in cases.items():
        assert message in failures[label], label
