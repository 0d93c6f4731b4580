"""Plan tests of modules/dual-stack-vpc and modules/vpc-endpoints, through tests/fixtures/network.

Data and reasoning. Each scenario is a pair of files in tests/fixtures/network/scenarios/: its
variables (``<scenario>.tfvars.json``: NAT mode, AZ count, DNS64, and in two of them interface
endpoints and the NAT traffic alarm) and its inventory (``<scenario>.yaml``, matched by
tests/support/inventory.py): every subnet, route, route table, association, NAT, EIP, endpoint
and alarm by address with the values that matter, the count of every resource type, the
outputs. What is reasoning stays here: the configuration's references, CIDR arithmetic, and the
comparison of scenarios with each other.

How route targets are asserted from a plan. Before apply, every ID (route table, gateway, NAT)
is unknown, so a plan cannot show "route X points at nat-123". These tests rely on two things a
plan does show, and leave the IDs to the apply tests (tests/emulator), which read the real
route tables back:

1. Resource keys (the inventories). Everything per AZ is ``for_each`` keyed by AZ name:
   ``aws_route_table.private["us-east-1a"]``, ``aws_route.private_ipv6_egress_only
   ["us-east-1a"]``, ``aws_nat_gateway.this["us-east-1a"]``. Gateway endpoint routes are
   ``aws_vpc_endpoint_route_table_association.gateway["s3/0"]`` (service / route table index).
   Keys are known at plan time, so the addresses an inventory lists together with its counts
   per type are exactly the planned instances: "one per AZ" is exact.
2. The configuration's references (here). A route's ``route_table_id`` refers to
   ``aws_route_table.private[each.key]`` and its target to ``aws_egress_only_internet_gateway
   .this`` or ``aws_nat_gateway.this[each.value]``; ``each.value`` is the NAT's AZ taken from
   ``local.nat_az_for``, which the module exports as the plan-time output
   ``nat_gateway_az_by_private_az`` (in the inventories). Together: route key (its AZ) -> table
   of that AZ -> NAT of the AZ the output names.

Values that only exist after apply (the /64 inside the VPC's /56) are asserted where they become
known: the inventories say that each subnet's IPv6 block is "(known after apply)" and that the
VPC asks for an Amazon /56. The configuration is the same in every plan, so the reference tests
read one scenario's.
"""

from __future__ import annotations

import ipaddress

import pytest

from tests.plan.targets import TARGETS, ScenarioPlan, on
from tests.support.inventory import load

pytestmark = pytest.mark.plan

TARGET = "network"
VPC = "module.vpc"
EP = "module.endpoints"
SUBNETS = f"{VPC}.aws_subnet.this"
CONFIG = "per_az-3az-dns64"  # any scenario: the configuration does not depend on variables


def test_plan_matches_inventory(scenario_plan: ScenarioPlan) -> None:
    scenario_plan.check_inventory()


def test_subnets_inside_the_vpc_and_disjoint(scenario_plan: ScenarioPlan) -> None:
    subnets = scenario_plan.instances(SUBNETS)
    assert len(subnets) == 3 * scenario_plan.tf_vars["az_count"]
    cidrs = [ipaddress.ip_network(s["after"]["cidr_block"]) for s in subnets.values()]
    vpc_cidr = ipaddress.ip_network("10.0.0.0/16")
    assert all(c.subnet_of(vpc_cidr) for c in cidrs)
    assert not any(a.overlaps(b) for i, a in enumerate(cidrs) for b in cidrs[i + 1 :])


def test_changing_az_count_or_nat_mode_keeps_existing_subnets(scenario_plan: ScenarioPlan) -> None:
    """A subnet's CIDR depends on its tier and AZ only: each planned subnet has the CIDR that
    every other scenario's inventory records for the same key (each inventory is checked against
    its own plan by test_plan_matches_inventory, so this compares real plans: 2 AZs -> 3 AZs
    renumbers nothing)."""
    planned = {
        f'{SUBNETS}["{key}"]': s["after"]["cidr_block"]
        for key, s in scenario_plan.instances(SUBNETS).items()
    }
    compared = 0
    for other in TARGETS[TARGET].scenarios():
        if other == scenario_plan.scenario:
            continue
        for address, values in load(TARGETS[TARGET].inventory(other))["values"].items():
            if address in planned:
                assert planned[address] == values["cidr_block"], (other, address)
                compared += 1
    assert compared >= len(planned)


# --- the configuration's references (the same in every plan) -------------------------------------


@on(CONFIG)
def test_subnets_take_ipv6_from_the_vpc(scenario_plan: ScenarioPlan) -> None:
    refs = scenario_plan.references(("vpc",), "aws_subnet.this", "ipv6_cidr_block")
    assert "aws_vpc.this.ipv6_cidr_block" in refs


@on(CONFIG)
def test_each_nat_sits_in_the_public_subnet_of_its_az(scenario_plan: ScenarioPlan) -> None:
    refs = scenario_plan.references(("vpc",), "aws_nat_gateway.this", "subnet_id")
    assert "aws_subnet.this" in refs and "each.key" in refs


@on(CONFIG)
def test_private_routes_use_their_az_table_and_its_targets(scenario_plan: ScenarioPlan) -> None:
    plan = scenario_plan
    eigw = plan.references(("vpc",), "aws_route.private_ipv6_egress_only", "egress_only_gateway_id")
    assert "aws_egress_only_internet_gateway.this" in eigw
    for route in ("private_ipv6_egress_only", "private_ipv4_nat"):
        table = plan.references(("vpc",), f"aws_route.{route}", "route_table_id")
        assert table == ["aws_route_table.private", "each.key"], route
    assert plan.references(("vpc",), "aws_route.private_ipv4_nat", "nat_gateway_id") == [
        "aws_nat_gateway.this",
        "each.value",
    ]


@on(CONFIG)
def test_isolated_tables_have_no_default_route(scenario_plan: ScenarioPlan) -> None:
    for res in scenario_plan.module_config("vpc")["resources"]:
        if res["type"] == "aws_route":
            refs = res["expressions"]["route_table_id"]["references"]
            assert "aws_route_table.isolated" not in refs, res["address"]
        if res["address"] == "aws_route_table.isolated":
            # a table's inline routes are unknown in a plan: no inline route block at all
            assert "route" not in res["expressions"], "isolated tables carry no inline routes"


@on(CONFIG)
def test_public_table_routes_both_families_to_igw(scenario_plan: ScenarioPlan) -> None:
    for name in ("public_ipv4", "public_ipv6"):
        assert "aws_internet_gateway.this" in scenario_plan.references(
            ("vpc",), f"aws_route.{name}", "gateway_id"
        )


@on(CONFIG)
def test_gateway_endpoints_on_every_private_and_isolated_table(scenario_plan: ScenarioPlan) -> None:
    root = scenario_plan.raw["configuration"]["root_module"]
    refs = root["module_calls"]["endpoints"]["expressions"]["route_table_ids"]["references"]
    assert "module.vpc.private_route_table_ids" in refs
    assert "module.vpc.isolated_route_table_ids" in refs


@on(CONFIG)
def test_interface_endpoints_in_the_given_subnets_open_to_the_vpc_only(
    scenario_plan: ScenarioPlan,
) -> None:
    """The group's CIDRs are the VPC's own ranges, unknown before apply (the inventory of
    per_az-2az-endpoints-alarm says so): the configuration names them."""
    plan = scenario_plan
    # var.subnet_ids unless a per-endpoint setting overrides it (written out, not through a
    # local: natless cost follows it to the subnets' AZs); the values are tested in
    # tests/plan/test_vpc_endpoints_plan.py, where the subnet IDs are known
    assert "var.subnet_ids" in plan.references(
        ("endpoints",), "aws_vpc_endpoint.interface", "subnet_ids"
    )
    refs = plan.references(("endpoints",), "aws_security_group.interface", "ingress")
    assert {"data.aws_vpc.this.cidr_block", "data.aws_vpc.this.ipv6_cidr_block"} <= set(refs)
