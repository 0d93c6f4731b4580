"""Plan tests of modules/split-functions and examples/public-private-split.

How IAM is asserted from a plan. Each role's inline policy is modules/function's document
(WriteOwnLogs, ManageNetworkInterfaces, DecryptEnvironment) merged with the module's own
``data.aws_iam_policy_document.<side>`` (the other statements). Before apply, some ARNs those
name are unknown: the log groups' ARNs and, in the example, the database's resource ID inside
the rds-db:connect ARN. The plan still shows everything else of each document: each statement's
Sid, actions, conditions, and which ``resources`` entries are literal and which are unknown. For
the unknown ones, the configuration in the plan names what they refer to. So the tests check:

1. In the example's plan: every statement of both roles by Sid; its exact action list; that
   "*" appears only in the two documented statements (ManageNetworkInterfaces of the private
   role, PutMetricDataInNamespace of the public role, the latter with its namespace condition);
   that InvokePrivateFunction's single resource is exactly the private function's ARN (built
   from its name, so known at plan time); and, through the configuration, that
   ConnectAsDatabaseUser's refers to ``local.db_user_arn``.
2. In tests/fixtures/split-functions, which feeds the module literal IDs, the rds-db:connect
   ARN is known at plan time and is compared character for character.
3. The concrete ARNs after apply (the private function's ARN, the DBI resource ID) are checked
   by tests/emulator/test_split_apply.py, which reads the role policies back from IAM.

Everything else that is data (settings of the functions, the database, the security groups and
rules, the schedule, the log groups; counts; outputs) is in the inventories of the scenarios:
tests/fixtures/examples/public-private-split/scenarios/ (``default``, ``null-ca-bundle``) and
tests/fixtures/split-functions/scenarios/ (``default``, ``kms-key``, ``reserved-concurrency``,
``schedule-off``). Bad inputs (module and example): the ``refusals.yaml`` beside them, planned by
tests/plan/test_refusals.py.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.plan.targets import ScenarioPlan, on
from tests.planjson import Plan
from tests.tools.rds_ca import BUNDLE_NAME

pytestmark = pytest.mark.plan

TARGET = ("public-private-split", "split-functions")
EXAMPLE = on("public-private-split", "default")
SPLIT = "module.split"

NETWORK_INTERFACE_ACTIONS = [
    "ec2:AssignPrivateIpAddresses",
    "ec2:CreateNetworkInterface",
    "ec2:DeleteNetworkInterface",
    "ec2:DescribeNetworkInterfaces",
    "ec2:DescribeSubnets",
    "ec2:UnassignPrivateIpAddresses",
]
LOG_ACTIONS = ["logs:CreateLogStream", "logs:PutLogEvents"]


# --- helpers ------------------------------------------------------------------------------------


def function(side: str) -> str:
    """The address of one side's modules/function call."""
    return f'{SPLIT}.module.function["{side}"]'


def data_source(plan: Plan, address: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """A data source's planned values and unknown flags: from ``resource_changes`` when it is
    read at apply, else from ``prior_state`` (read during the plan, every value known)."""
    for rc in plan.raw["resource_changes"]:
        if rc["address"] == address and rc["mode"] == "data":
            return rc["change"]["after"], rc["change"]["after_unknown"]
    modules = [plan.raw["prior_state"]["values"]["root_module"]]
    while modules:
        module = modules.pop()
        for res in module.get("resources", []):
            if res["address"] == address:
                return res["values"], {}
        modules += module.get("child_modules", [])
    raise KeyError(address)


def policy_statements(plan: Plan, side: str) -> dict[str, dict[str, Any]]:
    """The planned statements of one side's inline policy, by Sid: modules/function's own and
    the split's (its policy_json)."""
    statements = {}
    for address in (
        f"{function(side)}.data.aws_iam_policy_document.this",
        f"{SPLIT}.data.aws_iam_policy_document.{side}",
    ):
        after, after_unknown = data_source(plan, address)
        unknown = after_unknown.get("statement") or [{}] * len(after["statement"])
        for stmt, unk in zip(after["statement"], unknown, strict=True):
            statements[stmt["sid"]] = {
                **stmt,
                # one flag per resources entry: True where the value is only known after apply
                "resources_unknown": unk.get("resources", [False] * len(stmt["resources"] or [])),
            }
    return statements


def document_config(plan: Plan, side: str) -> dict[str, dict[str, Any]]:
    """The configuration of the side's statements by Sid (for references), the module's own
    (in modules/function) and the split's."""
    found = {}
    for module, address in (
        (("split", "function"), "data.aws_iam_policy_document.this"),
        (("split",), f"data.aws_iam_policy_document.{side}"),
    ):
        (res,) = (r for r in plan.module_config(*module)["resources"] if r["address"] == address)
        for block in ("statement", "dynamic"):
            for s in res["expressions"].get(block, []):
                if "sid" in s and "constant_value" in s["sid"]:
                    found[s["sid"]["constant_value"]] = s
    return found


def split_wiring(plan: Plan) -> dict[str, Any]:
    return plan.raw["configuration"]["root_module"]["module_calls"]["split"]["expressions"]


def test_plan_matches_inventory(scenario_plan: ScenarioPlan) -> None:
    scenario_plan.check_inventory()


# --- the example's IAM ----------------------------------------------------------------------------


@EXAMPLE
def test_public_role_invokes_only_the_private_function_and_writes_one_namespace(
    scenario_plan: ScenarioPlan,
) -> None:
    plan = scenario_plan
    stmts = policy_statements(plan, "public")
    assert set(stmts) == {"WriteOwnLogs", "InvokePrivateFunction", "PutMetricDataInNamespace"}
    assert all(s["effect"] in (None, "Allow") for s in stmts.values())
    assert all(not s["not_actions"] and not s["not_resources"] for s in stmts.values())

    invoke = stmts["InvokePrivateFunction"]
    assert invoke["actions"] == ["lambda:InvokeFunction"]
    assert invoke["resources"] == [
        "arn:aws:lambda:us-east-1:123456789012:function:natless-split-private"
    ]

    metrics = stmts["PutMetricDataInNamespace"]
    assert metrics["actions"] == ["cloudwatch:PutMetricData"]
    assert metrics["resources"] == ["*"]  # PutMetricData has no resource-level permissions
    assert metrics["condition"] == [
        {
            "test": "StringEquals",
            "variable": "cloudwatch:namespace",
            "values": ["Natless/PublicPrivateSplit"],
        }
    ]

    logs = stmts["WriteOwnLogs"]
    assert logs["actions"] == LOG_ACTIONS
    assert logs["resources_unknown"] == [True]
    refs = document_config(plan, "public")["WriteOwnLogs"]["resources"]["references"]
    assert "aws_cloudwatch_log_group.this.arn" in refs  # the function's own log group


@EXAMPLE
def test_private_role_has_network_interfaces_one_db_user_and_its_logs(
    scenario_plan: ScenarioPlan,
) -> None:
    plan = scenario_plan
    stmts = policy_statements(plan, "private")
    assert set(stmts) == {"WriteOwnLogs", "ManageNetworkInterfaces", "ConnectAsDatabaseUser"}
    assert all(s["effect"] in (None, "Allow") for s in stmts.values())
    assert all(not s["condition"] for s in stmts.values())

    enis = stmts["ManageNetworkInterfaces"]
    assert sorted(enis["actions"]) == NETWORK_INTERFACE_ACTIONS
    assert enis["resources"] == ["*"]

    connect = stmts["ConnectAsDatabaseUser"]
    assert connect["actions"] == ["rds-db:connect"]
    assert connect["resources_unknown"] == [True]  # holds the DBI resource ID
    config = document_config(plan, "private")
    assert config["ConnectAsDatabaseUser"]["resources"]["references"] == ["local.db_user_arn"]

    assert stmts["WriteOwnLogs"]["actions"] == LOG_ACTIONS
    refs = config["WriteOwnLogs"]["resources"]["references"]
    assert "aws_cloudwatch_log_group.this.arn" in refs


@EXAMPLE
def test_wildcards_only_where_documented(scenario_plan: ScenarioPlan) -> None:
    plan = scenario_plan
    allowed = {("private", "ManageNetworkInterfaces"), ("public", "PutMetricDataInNamespace")}
    for side in ("private", "public"):
        for sid, stmt in policy_statements(plan, side).items():
            assert not any("*" in action for action in stmt["actions"]), (side, sid)
            if "*" in (stmt["resources"] or []):
                assert (side, sid) in allowed, (side, sid)


@EXAMPLE
def test_each_role_gets_only_its_own_inline_policy(scenario_plan: ScenarioPlan) -> None:
    """Role and policy names are in the inventory; here, what each refers to, and that no
    managed policy exists or is attached (the roles' managed_policy_arns are unknown in a plan:
    the configuration sets none)."""
    plan = scenario_plan
    module = ("split", "function")
    assert plan.references(module, "aws_iam_role_policy.this", "policy") == [
        "data.aws_iam_policy_document.this.json",
        "data.aws_iam_policy_document.this",
    ]
    assert plan.references(module, "aws_iam_role_policy.this", "role")[0] == (
        "aws_iam_role.this.id"
    )
    wiring = plan.module_config("split")["module_calls"]["function"]["expressions"]
    assert "each.value.policy_json" in wiring["policy_json"]["references"]
    (role,) = (
        r for r in plan.module_config(*module)["resources"] if r["address"] == "aws_iam_role.this"
    )
    assert "managed_policy_arns" not in role["expressions"]
    for path in (("split",), module):
        types = {res["type"] for res in plan.module_config(*path)["resources"]}
        assert "aws_iam_role_policy_attachment" not in types  # no managed policies
        assert "aws_iam_policy" not in types


# --- the example's network and database -------------------------------------------------------


@EXAMPLE
def test_private_function_in_isolated_subnets(scenario_plan: ScenarioPlan) -> None:
    """No NAT anywhere and the private function's one vpc_config: the inventory."""
    assert (
        "module.vpc.isolated_subnet_ids" in split_wiring(scenario_plan)["subnet_ids"]["references"]
    )


@EXAMPLE
def test_security_groups_have_no_inline_rules_and_no_ingress_rule(
    scenario_plan: ScenarioPlan,
) -> None:
    """A group's inline rules are unknown in a plan: the configuration sets none, and declares
    no ingress rule besides the database's (the inventory has the planned rules)."""
    plan = scenario_plan
    for path, address in (
        (("split", "function"), "aws_security_group.this"),
        ((), "aws_security_group.db"),
    ):
        (group,) = (r for r in plan.module_config(*path)["resources"] if r["address"] == address)
        assert "ingress" not in group["expressions"] and "egress" not in group["expressions"]
    for path in (("split",), ("split", "function")):
        types = {r["type"] for r in plan.module_config(*path)["resources"]}
        assert "aws_vpc_security_group_ingress_rule" not in types
    assert "aws_security_group.db.id" in split_wiring(plan)["egress_destinations"]["references"]


@EXAMPLE
def test_database_admits_only_the_private_function(scenario_plan: ScenarioPlan) -> None:
    refs = scenario_plan.references(
        (), "aws_vpc_security_group_ingress_rule.db_from_private_function",
        "referenced_security_group_id",
    )  # fmt: skip
    assert "module.split.private_security_group_id" in refs


@EXAMPLE
def test_database_in_isolated_subnets(scenario_plan: ScenarioPlan) -> None:
    refs = scenario_plan.references((), "aws_db_subnet_group.this", "subnet_ids")
    assert "module.vpc.isolated_subnet_ids" in refs


@EXAMPLE
def test_private_environment_points_at_the_database(scenario_plan: ScenarioPlan) -> None:
    """The public function's environment is in the inventory; the private one's is unknown
    before apply: these are its sources."""
    wiring = split_wiring(scenario_plan)
    assert "aws_db_instance.this.address" in wiring["db_host"]["references"]
    assert "aws_db_instance.this.resource_id" in wiring["db_resource_id"]["references"]
    assert wiring["db_user"]["references"] == ["var.db_user"]


@EXAMPLE
def test_database_certificate_is_verified_by_default(scenario_plan: ScenarioPlan) -> None:
    """verify-full against the RDS CA bundle shipped in the private package (the outputs:
    the inventories of ``default`` and ``null-ca-bundle``)."""
    assert scenario_plan.raw["variables"]["db_ca_bundle"]["value"] == BUNDLE_NAME
    wiring = split_wiring(scenario_plan)
    assert wiring["db_sslmode"]["references"] == ["local.db_sslmode"]
    assert "var.db_ca_bundle" in wiring["private_environment"]["references"]


@EXAMPLE
def test_schedule_invokes_the_public_function(scenario_plan: ScenarioPlan) -> None:
    plan = scenario_plan
    assert plan.references(("split",), "aws_cloudwatch_event_target.public", "arn")[0] == (
        'module.function["public"].function_arn'
    )
    assert plan.references(("split",), "aws_lambda_permission.schedule", "source_arn")[0] == (
        "aws_cloudwatch_event_rule.schedule.arn"
    )
    assert plan.references(("split",), "aws_lambda_permission.schedule", "function_name")[0] == (
        'module.function["public"].function_name'
    )


# --- the module through its fixture (literal inputs) ----------------------------------------------


@on("split-functions", "default")
def test_rds_db_connect_arn_is_exact(scenario_plan: ScenarioPlan) -> None:
    """The ARN the output shows (exact, in the inventory) is the one the role may connect as."""
    connect = policy_statements(scenario_plan, "private")["ConnectAsDatabaseUser"]
    assert connect["resources"] == [scenario_plan.output("db_user_arn")]


@on("split-functions", "kms-key")
def test_kms_key_adds_only_decrypt(scenario_plan: ScenarioPlan) -> None:
    key = scenario_plan.tf_vars["kms_key_arn"]
    for side in ("private", "public"):
        decrypt = policy_statements(scenario_plan, side)["DecryptEnvironment"]
        assert (decrypt["actions"], decrypt["resources"]) == (["kms:Decrypt"], [key])
