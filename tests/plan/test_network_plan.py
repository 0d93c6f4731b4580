"""Plan tests of modules/dual-stack-vpc and modules/vpc-endpoints, through tests/fixtures/network.

How route targets are asserted from a plan. Before apply, every ID (route table, gateway, NAT)
is unknown, so a plan cannot show "route X points at nat-123". These tests rely on two things a
plan does show, and leave the IDs to the apply tests (tests/emulator), which read the real
route tables back:

1. Resource keys. Everything per AZ is ``for_each`` keyed by AZ name: ``aws_route_table.private
   ["us-east-1a"]``, ``aws_route.private_ipv6_egress_only["us-east-1a"]``,
   ``aws_nat_gateway.this["us-east-1a"]``. Gateway endpoint routes are
   ``aws_vpc_endpoint_route_table_association.gateway["s3/0"]`` (service / route table index).
   Keys are known at plan time, so counts and "one per AZ" are exact.
2. The configuration's references. A route's ``route_table_id`` refers to
   ``aws_route_table.private[each.key]`` and its target to ``aws_egress_only_internet_gateway
   .this`` or ``aws_nat_gateway.this[each.value]``; ``each.value`` is the NAT's AZ taken from
   ``local.nat_az_for``, which the module exports as the plan-time output
   ``nat_gateway_az_by_private_az``. Together: route key (its AZ) -> table of that AZ -> NAT of
   the AZ the output names.

Values that only exist after apply (the /64 inside the VPC's /56) are asserted where they become
known: here we check that each subnet asks for an IPv6 block and the VPC for an Amazon /56.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator

import pytest

from natless.paths import ROOT
from natless.stack import Stack
from tests.planjson import Plan

pytestmark = pytest.mark.plan

FIXTURE = ROOT / "tests" / "fixtures" / "network"
VPC = "module.vpc"
EP = "module.endpoints"

SCENARIOS = [
    # (nat_mode, az_count, enable_dns64)
    ("none", 1, False),
    ("none", 2, False),
    ("none", 3, False),
    ("single", 1, False),
    ("single", 2, True),
    ("single", 3, False),
    ("per_az", 1, True),
    ("per_az", 2, False),
    ("per_az", 3, True),
]


@pytest.fixture(scope="module")
def stack(emulator) -> Iterator[Stack]:
    with Stack.create(FIXTURE, emulator) as st:
        yield st


def scenario_ids() -> list[str]:
    return [f"{m}-{n}az{'-dns64' if d else ''}" for m, n, d in SCENARIOS]


@pytest.fixture(scope="module", params=SCENARIOS, ids=scenario_ids())
def scenario_plan(request, stack: Stack) -> Plan:
    """Each scenario planned once and shared by the tests below (module scope with a parameter:
    under xdist each scenario is a group of its own, so the nine plans spread over workers)."""
    mode, azs, dns64 = request.param
    return Plan(stack.plan({"nat_mode": mode, "az_count": azs, "enable_dns64": dns64}))


@pytest.fixture
def case(request, scenario_plan: Plan):
    mode, az_count, dns64 = request.node.callspec.params["scenario_plan"]
    return mode, az_count, dns64, scenario_plan, scenario_plan.output("azs")


def test_azs_and_subnets(case) -> None:
    _, az_count, _, plan, azs = case
    assert len(azs) == az_count == len(set(azs))
    subnets = plan.instances(f"{VPC}.aws_subnet.this")
    assert set(subnets) == {f"{t}/{az}" for t in ("public", "private", "isolated") for az in azs}
    cidrs = [ipaddress.ip_network(s["after"]["cidr_block"]) for s in subnets.values()]
    vpc_cidr = ipaddress.ip_network("10.0.0.0/16")
    assert all(c.subnet_of(vpc_cidr) for c in cidrs)
    assert not any(a.overlaps(b) for i, a in enumerate(cidrs) for b in cidrs[i + 1 :])


def test_every_subnet_is_dual_stack(case) -> None:
    *_, plan, _ = case
    (vpc,) = plan.instances(f"{VPC}.aws_vpc.this").values()
    assert vpc["after"]["assign_generated_ipv6_cidr_block"] is True
    for key, subnet in plan.instances(f"{VPC}.aws_subnet.this").items():
        assert subnet["after_unknown"].get("ipv6_cidr_block") is True, key  # set, from the /56
        assert subnet["after"]["assign_ipv6_address_on_creation"] is True, key
        assert subnet["after"]["map_public_ip_on_launch"] is False, key
        assert subnet["after"]["ipv6_native"] is False, key  # Lambda needs dual-stack
    refs = plan.references(("vpc",), "aws_subnet.this", "ipv6_cidr_block")
    assert "aws_vpc.this.ipv6_cidr_block" in refs


def test_nat_gateways_and_eips(case) -> None:
    mode, _, _, plan, azs = case
    nats = plan.instances(f"{VPC}.aws_nat_gateway.this")
    eips = plan.instances(f"{VPC}.aws_eip.nat")
    expected = {"none": set(), "single": {azs[0]}, "per_az": set(azs)}[mode]
    assert set(nats) == expected
    assert set(eips) == expected
    assert all(eip["after"]["domain"] == "vpc" for eip in eips.values())
    # each NAT sits in the public subnet of its own AZ (the instance key)
    refs = plan.references(("vpc",), "aws_nat_gateway.this", "subnet_id")
    assert "aws_subnet.this" in refs and "each.key" in refs


def test_one_private_route_table_per_az_with_ipv6_to_eigw(case) -> None:
    *_, plan, azs = case
    assert set(plan.instances(f"{VPC}.aws_route_table.private")) == set(azs)
    routes = plan.instances(f"{VPC}.aws_route.private_ipv6_egress_only")
    assert set(routes) == set(azs)
    assert {r["after"]["destination_ipv6_cidr_block"] for r in routes.values()} == {"::/0"}
    refs = plan.references(("vpc",), "aws_route.private_ipv6_egress_only", "egress_only_gateway_id")
    assert "aws_egress_only_internet_gateway.this" in refs
    table = plan.references(("vpc",), "aws_route.private_ipv6_egress_only", "route_table_id")
    assert table == ["aws_route_table.private", "each.key"]
    assocs = plan.instances(f"{VPC}.aws_route_table_association.private")
    assert set(assocs) == set(azs)


def test_ipv4_default_route_exactly_when_nat_exists(case) -> None:
    mode, _, _, plan, azs = case
    routes = plan.instances(f"{VPC}.aws_route.private_ipv4_nat")
    nat_for = plan.output("nat_gateway_az_by_private_az")
    if mode == "none":
        assert routes == {} and nat_for == {}
        return
    assert set(routes) == set(azs)
    assert {r["after"]["destination_cidr_block"] for r in routes.values()} == {"0.0.0.0/0"}
    expected = {az: (azs[0] if mode == "single" else az) for az in azs}
    assert nat_for == expected
    assert set(nat_for.values()) == set(plan.instances(f"{VPC}.aws_nat_gateway.this"))
    assert plan.references(("vpc",), "aws_route.private_ipv4_nat", "nat_gateway_id") == [
        "aws_nat_gateway.this",
        "each.value",
    ]
    table = plan.references(("vpc",), "aws_route.private_ipv4_nat", "route_table_id")
    assert table == ["aws_route_table.private", "each.key"]


def test_dns64_matches_setting(case) -> None:
    _, _, dns64, plan, azs = case
    for key, subnet in plan.instances(f"{VPC}.aws_subnet.this").items():
        tier = key.split("/")[0]
        assert subnet["after"]["enable_dns64"] is (dns64 and tier == "private"), key
    nat64 = plan.instances(f"{VPC}.aws_route.private_nat64")
    assert set(nat64) == (set(azs) if dns64 else set())
    assert {r["after"]["destination_ipv6_cidr_block"] for r in nat64.values()} <= {"64:ff9b::/96"}


def test_isolated_tables_have_no_default_route(case) -> None:
    *_, plan, azs = case
    assert set(plan.instances(f"{VPC}.aws_route_table.isolated")) == set(azs)
    assert set(plan.instances(f"{VPC}.aws_route_table_association.isolated")) == set(azs)
    for res in plan.module_config("vpc")["resources"]:
        if res["type"] == "aws_route":
            refs = res["expressions"]["route_table_id"]["references"]
            assert "aws_route_table.isolated" not in refs, res["address"]
    for table in plan.instances(f"{VPC}.aws_route_table.isolated").values():
        assert not table["after"].get("route"), "isolated tables carry no inline routes"


def test_public_table_routes_both_families_to_igw(case) -> None:
    *_, plan, azs = case
    v4 = plan.instances(f"{VPC}.aws_route.public_ipv4")[""]["after"]
    v6 = plan.instances(f"{VPC}.aws_route.public_ipv6")[""]["after"]
    assert v4["destination_cidr_block"] == "0.0.0.0/0"
    assert v6["destination_ipv6_cidr_block"] == "::/0"
    for name in ("public_ipv4", "public_ipv6"):
        assert "aws_internet_gateway.this" in plan.references(
            ("vpc",), f"aws_route.{name}", "gateway_id"
        )
    assert set(plan.instances(f"{VPC}.aws_route_table_association.public")) == set(azs)


def test_gateway_endpoints_on_every_private_and_isolated_table(case) -> None:
    *_, plan, azs = case
    endpoints = plan.instances(f"{EP}.aws_vpc_endpoint.gateway")
    assert set(endpoints) == {"s3", "dynamodb"}
    for svc, ep in endpoints.items():
        assert ep["after"]["vpc_endpoint_type"] == "Gateway"
        assert ep["after"]["service_name"].endswith(f".{svc}")
    assocs = plan.instances(f"{EP}.aws_vpc_endpoint_route_table_association.gateway")
    tables = 2 * len(azs)  # private + isolated
    assert set(assocs) == {f"{svc}/{i}" for svc in ("s3", "dynamodb") for i in range(tables)}
    wiring = plan.raw["configuration"]["root_module"]["module_calls"]["endpoints"]["expressions"]
    refs = wiring["route_table_ids"]["references"]
    assert "module.vpc.private_route_table_ids" in refs
    assert "module.vpc.isolated_route_table_ids" in refs


def test_flow_logs_and_closed_default_security_group(case) -> None:
    *_, plan, _ = case
    assert plan.instances(f"{VPC}.aws_flow_log.this")["0"]["after"]["traffic_type"] == "ALL"
    group = plan.instances(f"{VPC}.aws_cloudwatch_log_group.flow")["0"]["after"]
    assert group["retention_in_days"] == 365
    sg = plan.instances(f"{VPC}.aws_default_security_group.this")[""]["after"]
    assert sg["ingress"] == [] and sg["egress"] == []


@pytest.mark.parametrize("scenario_plan", [("none", 3, False)], indirect=True)
def test_changing_az_count_keeps_existing_subnets(stack: Stack, scenario_plan: Plan) -> None:
    two = Plan(stack.plan({"nat_mode": "none", "az_count": 2})).instances(f"{VPC}.aws_subnet.this")
    three = scenario_plan.instances(f"{VPC}.aws_subnet.this")
    for key, subnet in two.items():
        assert three[key]["after"]["cidr_block"] == subnet["after"]["cidr_block"], key


def test_interface_endpoints_dual_stack_behind_https_only_group(stack: Stack) -> None:
    plan = Plan(stack.plan({"interface_services": ["sqs", "xray"], "az_count": 2}))
    eps = plan.instances(f"{EP}.aws_vpc_endpoint.interface")
    assert set(eps) == {"sqs", "xray"}
    for ep in eps.values():
        assert ep["after"]["vpc_endpoint_type"] == "Interface"
        assert ep["after"]["private_dns_enabled"] is True
        assert ep["after"]["ip_address_type"] == "dualstack"
        assert ep["after"]["dns_options"][0]["dns_record_ip_type"] == "dualstack"
    assert "var.subnet_ids" in plan.references(
        ("endpoints",), "aws_vpc_endpoint.interface", "subnet_ids"
    )
    sg = plan.instances(f"{EP}.aws_security_group.interface")["0"]
    (rule,) = sg["after"]["ingress"]
    assert (rule["protocol"], rule["from_port"], rule["to_port"]) == ("tcp", 443, 443)
    assert sg["after"]["egress"] == []
    # The rule's CIDRs are the VPC's own ranges (unknown before apply): see the references.
    assert sg["after_unknown"]["ingress"][0]["cidr_blocks"] is True
    assert sg["after_unknown"]["ingress"][0]["ipv6_cidr_blocks"] is True
    config = next(
        r
        for r in plan.module_config("endpoints")["resources"]
        if r["address"] == "aws_security_group.interface"
    )
    refs = config["expressions"]["ingress"]["references"]
    assert {"data.aws_vpc.this.cidr_block", "data.aws_vpc.this.ipv6_cidr_block"} <= set(refs)


def test_nat_traffic_alarms_one_per_nat(stack: Stack) -> None:
    plan = Plan(stack.plan({"nat_mode": "per_az", "az_count": 2, "nat_bytes_alarm_gb_per_day": 5}))
    alarms = plan.instances(f"{VPC}.aws_cloudwatch_metric_alarm.nat_bytes")
    assert set(alarms) == set(plan.output("azs"))
    for alarm in alarms.values():
        assert alarm["after"]["threshold"] == 5 * 2**30
        metrics = {
            q["metric"][0]["metric_name"] for q in alarm["after"]["metric_query"] if q["metric"]
        }
        assert metrics == {"BytesOutToDestination", "BytesInFromDestination"}
    none = Plan(stack.plan({"nat_mode": "none", "nat_bytes_alarm_gb_per_day": 5}))
    assert none.instances(f"{VPC}.aws_cloudwatch_metric_alarm.nat_bytes") == {}
