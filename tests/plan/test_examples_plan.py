"""Plan tests of examples/egress-only and examples/nat-gateway (the Lambda pair's wiring).

Each example is planned with 3 AZs (tests/fixtures/examples/<example>/scenarios/3az.tfvars.json);
the inventory beside it holds the planned values: both functions' settings, the VPC function's
dual-stack placement, its HTTPS egress rules (one per destination, exactly those), no ingress
rule anywhere, the NAT only in the NAT example, the bench targets' encryption and privacy. What
stays here is reasoning: IDs and ARNs are unknown before apply, so policies are checked on the
planned data sources (actions are known; a resource is either "*" or a reference to a specific
resource, which the configuration shows) and the wiring through the configuration's references,
as in test_network_plan.py. tests/emulator reads the applied values back. The Lambda pair's
validations are in tests/fixtures/lambda_pair/refusals.yaml (tests/plan/test_refusals.py).
"""

from __future__ import annotations

import pytest

from tests.plan.targets import ScenarioPlan
from tests.planjson import Plan

pytestmark = pytest.mark.plan

TARGET = ("egress-only", "nat-gateway")
ENI_ACTIONS = {
    "ec2:CreateNetworkInterface",
    "ec2:DescribeNetworkInterfaces",
    "ec2:DescribeSubnets",
    "ec2:DeleteNetworkInterface",
    "ec2:AssignPrivateIpAddresses",
    "ec2:UnassignPrivateIpAddresses",
}
PAIR = "module.pair"


def functions(plan: Plan) -> dict[str, dict]:
    """The pair's two planned functions by placement (each is a modules/function)."""
    found = {}
    for placement in ("vpc", "public"):
        address = f'{PAIR}.module.function["{placement}"].aws_lambda_function.this'
        (found[placement],) = plan.instances(address).values()
    return found


def pair_wiring(plan: Plan) -> dict:
    return plan.raw["configuration"]["root_module"]["module_calls"]["pair"]["expressions"]


def test_plan_matches_inventory(scenario_plan: ScenarioPlan) -> None:
    scenario_plan.check_inventory()


def test_vpc_function_is_on_every_private_subnet(scenario_plan: ScenarioPlan) -> None:
    """The inventory says the subnet IDs are unknown, one per AZ in the example's output: the
    function's come from the same expression."""
    assert pair_wiring(scenario_plan)["subnet_ids"]["references"][0] == (
        "module.vpc.private_subnet_ids"
    )


def test_both_functions_share_the_package(scenario_plan: ScenarioPlan) -> None:
    """Same package (and, in the inventory, settings); the environment holds unknown values
    (queue URL, bucket name) before apply, so tests/emulator/test_examples_apply.py checks it on
    the deployed functions."""
    fn = functions(scenario_plan)
    assert fn["vpc"]["after"]["source_code_hash"] == fn["public"]["after"]["source_code_hash"]


def test_no_wildcard_in_iam_except_network_interfaces(scenario_plan: ScenarioPlan) -> None:
    plan = scenario_plan
    documents = [
        rc
        for rc in plan.by_type("aws_iam_policy_document", mode="data")
        if not rc["address"].endswith("tls_only")
    ]
    assert documents
    for rc in documents:
        for statement in rc["change"]["after"]["statement"]:
            actions = set(statement["actions"] or [])
            assert not any(a == "*" or a.endswith(":*") for a in actions), rc["address"]
            if "*" in (statement["resources"] or []):
                assert statement["sid"] == "ManageNetworkInterfaces", rc["address"]
                assert actions == ENI_ACTIONS
    eni = [
        s
        for rc in documents
        for s in rc["change"]["after"]["statement"]
        if s["sid"] == "ManageNetworkInterfaces"
    ]
    assert len(eni) == 1, "only the VPC function's role manages network interfaces"


def test_workload_policy_names_exactly_the_table_queue_and_bucket(
    scenario_plan: ScenarioPlan,
) -> None:
    plan = scenario_plan
    config = next(
        r
        for r in plan.module_config("targets")["resources"]
        if r["address"] == "data.aws_iam_policy_document.workload"
    )
    by_sid = {s["sid"]["constant_value"]: s for s in config["expressions"]["statement"]}
    assert by_sid["Table"]["resources"]["references"][0] == "aws_dynamodb_table.this.arn"
    assert by_sid["Queue"]["resources"]["references"][0] == "aws_sqs_queue.this.arn"
    assert by_sid["WriteObjects"]["resources"]["references"][0] == "aws_s3_bucket.this.arn"
    assert by_sid["ListObjects"]["resources"]["references"][0] == "aws_s3_bucket.this.arn"
    assert by_sid["Table"]["actions"]["constant_value"] == ["dynamodb:PutItem", "dynamodb:Query"]
    assert by_sid["Queue"]["actions"]["constant_value"] == ["sqs:SendMessage"]
    assert pair_wiring(plan)["policy_json"]["references"][0] == (
        "module.targets.workload_policy_json"
    )


def test_function_security_group_has_no_ingress_block(scenario_plan: ScenarioPlan) -> None:
    """No ingress rule is planned (the inventory counts none); nor has the group inline ones."""
    config = next(
        r
        for r in scenario_plan.module_config("pair", "function")["resources"]
        if r["address"] == "aws_security_group.this"
    )
    assert "ingress" not in config["expressions"]


def test_ipv4_egress_comes_from_the_endpoints_and_the_vpc(scenario_plan: ScenarioPlan) -> None:
    """The rules' destinations (in the inventory: to 0.0.0.0/0 only with a NAT) come from the
    gateway endpoints' prefix lists and the VPC's CIDR."""
    wiring = pair_wiring(scenario_plan)
    assert "module.endpoints.prefix_list_ids" in wiring["ipv4_egress_prefix_list_ids"]["references"]
    assert "module.vpc.vpc_cidr_block" in wiring["vpc_ipv4_cidr_block"]["references"]
