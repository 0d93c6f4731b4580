"""Plan tests of modules/split-functions and examples/public-private-split.

How IAM is asserted from a plan. Before apply, the ARNs the policies name are unknown: the
private function's ARN (in the public role's InvokePrivateFunction statement), the log groups'
ARNs and, in the example, the database's resource ID inside the rds-db:connect ARN. The plan
still shows everything else of ``data.aws_iam_policy_document``: each statement's Sid, actions,
conditions, and which ``resources`` entries are literal ("*") and which are unknown. For the
unknown ones, the configuration in the plan names what they refer to. So the tests check:

1. In the example's plan: every statement of both roles by Sid; its exact action list; that
   "*" appears only in the two documented statements (ManageNetworkInterfaces of the private
   role, PutMetricDataInNamespace of the public role, the latter with its namespace condition);
   and, through the configuration, that InvokePrivateFunction's single resource refers to
   ``aws_lambda_function.this["private"].arn`` (an instance key, so not the public one) and
   ConnectAsDatabaseUser's to ``local.db_user_arn``.
2. In tests/fixtures/split-functions, which feeds the module literal IDs, the rds-db:connect
   ARN is known at plan time and is compared character for character.
3. The concrete ARNs after apply (the private function's ARN, the DBI resource ID) are checked
   by tests/emulator/test_split_apply.py, which reads the role policies back from IAM.

Bad inputs: one case per validation rule (module and example). To keep the number of plans
down (each costs ~6 s of provider start-up), the cases are grouped into rounds in which every
variable gets at most one bad value, and each round is planned once; Terraform reports every
failed validation of a run, so each case still checks its own message.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from natless.package import build_package
from natless.paths import EXAMPLES, ROOT
from natless.rds_ca import BUNDLE_NAME
from natless.stack import Stack, TerraformFailed
from tests.planjson import Plan

pytestmark = pytest.mark.plan

EXAMPLE = EXAMPLES / "public-private-split"
FIXTURE = ROOT / "tests" / "fixtures" / "split-functions"
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


@pytest.fixture(scope="module")
def packages() -> dict[str, str]:
    """Both packages, built the way `natless package` builds them."""
    private = build_package("session_counter")
    assert BUNDLE_NAME in private.files  # the example's default db_ca_bundle
    return {
        "private_package_path": str(private.path),
        "public_package_path": str(build_package("metric_publisher").path),
    }


@pytest.fixture(scope="module")
def example(emulator) -> Iterator[Stack]:
    with Stack.create(EXAMPLE, emulator) as st:
        yield st


@pytest.fixture(scope="module")
def fixture_stack(emulator) -> Iterator[Stack]:
    with Stack.create(FIXTURE, emulator) as st:
        yield st


@pytest.fixture(scope="module")
def plan(example: Stack, packages: dict[str, str]) -> Plan:
    """The example with its defaults (plus the package paths)."""
    return Plan(example.plan(packages))


# --- helpers ------------------------------------------------------------------------------------


def policy_statements(plan: Plan, side: str) -> dict[str, dict[str, Any]]:
    """The planned statements of the module's policy document for one side, by Sid."""
    address = f"{SPLIT}.data.aws_iam_policy_document.{side}"
    (change,) = (
        rc["change"]
        for rc in plan.raw["resource_changes"]
        if rc["address"] == address and rc["mode"] == "data"
    )
    unknown = change["after_unknown"]["statement"]
    statements = {}
    for stmt, unk in zip(change["after"]["statement"], unknown, strict=True):
        statements[stmt["sid"]] = {
            **stmt,
            # one flag per resources entry: True where the value is only known after apply
            "resources_unknown": unk.get("resources", [False] * len(stmt["resources"] or [])),
        }
    return statements


def document_config(plan: Plan, side: str) -> dict[str, dict[str, Any]]:
    """The configuration of the policy document's statements by Sid (for references)."""
    for res in plan.module_config("split")["resources"]:
        if res["address"] == f"data.aws_iam_policy_document.{side}":
            return {
                s["sid"]["constant_value"]: s
                for s in res["expressions"]["statement"]
                if "sid" in s and "constant_value" in s["sid"]
            }
    raise KeyError(side)


def one(plan: Plan, address: str) -> dict[str, Any]:
    (instance,) = plan.instances(address).values()
    return instance


# --- the example's IAM ----------------------------------------------------------------------------


def test_public_role_invokes_only_the_private_function_and_writes_one_namespace(plan) -> None:
    stmts = policy_statements(plan, "public")
    assert set(stmts) == {"WriteOwnLogs", "InvokePrivateFunction", "PutMetricDataInNamespace"}
    assert all(s["effect"] in (None, "Allow") for s in stmts.values())
    assert all(not s["not_actions"] and not s["not_resources"] for s in stmts.values())

    invoke = stmts["InvokePrivateFunction"]
    assert invoke["actions"] == ["lambda:InvokeFunction"]
    assert invoke["resources_unknown"] == [True]  # the ARN, known after apply
    refs = document_config(plan, "public")["InvokePrivateFunction"]["resources"]["references"]
    assert refs[0] == 'aws_lambda_function.this["private"].arn'
    assert not any('["public"]' in ref for ref in refs)

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
    assert 'aws_cloudwatch_log_group.this["public"].arn' in refs


def test_private_role_has_network_interfaces_one_db_user_and_its_logs(plan) -> None:
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
    assert 'aws_cloudwatch_log_group.this["private"].arn' in refs


def test_wildcards_only_where_documented(plan) -> None:
    allowed = {("private", "ManageNetworkInterfaces"), ("public", "PutMetricDataInNamespace")}
    for side in ("private", "public"):
        for sid, stmt in policy_statements(plan, side).items():
            assert not any("*" in action for action in stmt["actions"]), (side, sid)
            if "*" in (stmt["resources"] or []):
                assert (side, sid) in allowed, (side, sid)


def test_each_role_gets_only_its_own_inline_policy(plan) -> None:
    split = plan.module_config("split")
    for side in ("private", "public"):
        assert plan.references(("split",), f"aws_iam_role_policy.{side}", "policy") == [
            f"data.aws_iam_policy_document.{side}.json",
            f"data.aws_iam_policy_document.{side}",
        ]
        role = plan.references(("split",), f"aws_iam_role_policy.{side}", "role")
        assert role[0] == f'aws_iam_role.this["{side}"].id'
    types = {res["type"] for res in split["resources"]}
    assert "aws_iam_role_policy_attachment" not in types  # no managed policies
    assert "aws_iam_policy" not in types
    roles = plan.instances(f"{SPLIT}.aws_iam_role.this")
    assert set(roles) == {"private", "public"}
    for role in roles.values():
        assert not role["after"].get("managed_policy_arns")


# --- the example's network and database -------------------------------------------------------


def test_no_nat_and_private_function_in_isolated_subnets(plan) -> None:
    assert plan.by_type("aws_nat_gateway") == []
    wiring = plan.raw["configuration"]["root_module"]["module_calls"]["split"]["expressions"]
    assert "module.vpc.isolated_subnet_ids" in wiring["subnet_ids"]["references"]
    functions = plan.instances(f"{SPLIT}.aws_lambda_function.this")
    assert set(functions) == {"private", "public"}
    assert len(functions["private"]["after"]["vpc_config"]) == 1
    assert functions["private"]["after"]["vpc_config"][0]["ipv6_allowed_for_dual_stack"] is False
    assert functions["public"]["after"]["vpc_config"] == []  # outside any VPC


def test_private_security_group_reaches_only_the_database(plan) -> None:
    group = one(plan, f"{SPLIT}.aws_security_group.private")["after"]
    assert not group.get("ingress") and not group.get("egress")  # no inline rules at all
    split = plan.module_config("split")
    assert "aws_vpc_security_group_ingress_rule" not in {r["type"] for r in split["resources"]}
    egress = plan.instances(f"{SPLIT}.aws_vpc_security_group_egress_rule.destination")
    assert set(egress) == {"database"}
    rule = egress["database"]["after"]
    assert (rule["ip_protocol"], rule["from_port"], rule["to_port"]) == ("tcp", 5432, 5432)
    assert rule["cidr_ipv4"] is None and rule["cidr_ipv6"] is None
    assert rule["prefix_list_id"] is None
    wiring = plan.raw["configuration"]["root_module"]["module_calls"]["split"]["expressions"]
    assert "aws_security_group.db.id" in wiring["egress_destinations"]["references"]


def test_database_admits_only_the_private_function(plan) -> None:
    rules = plan.instances("aws_vpc_security_group_ingress_rule.db_from_private_function")
    (rule,) = rules.values()
    assert (rule["after"]["from_port"], rule["after"]["to_port"]) == (5432, 5432)
    assert rule["after"]["cidr_ipv4"] is None and rule["after"]["cidr_ipv6"] is None
    refs = plan.references(
        (), "aws_vpc_security_group_ingress_rule.db_from_private_function",
        "referenced_security_group_id",
    )  # fmt: skip
    assert "module.split.private_security_group_id" in refs
    assert plan.by_type("aws_vpc_security_group_egress_rule") == [] or all(
        rc["address"].startswith(SPLIT) for rc in plan.by_type("aws_vpc_security_group_egress_rule")
    )
    db_group = one(plan, "aws_security_group.db")["after"]
    assert not db_group.get("ingress") and not db_group.get("egress")


def test_database_settings(plan) -> None:
    db = one(plan, "aws_db_instance.this")["after"]
    assert db["engine"] == "postgres" and db["engine_version"].split(".")[0] == "16"
    assert db["instance_class"] == "db.t4g.micro"
    assert (db["allocated_storage"], db["storage_type"]) == (20, "gp3")
    assert db["storage_encrypted"] is True
    assert db["publicly_accessible"] is False
    assert db["iam_database_authentication_enabled"] is True
    assert db["manage_master_user_password"] is True
    assert db.get("password") is None  # no password in configuration or state
    assert db["skip_final_snapshot"] is True
    assert db["deletion_protection"] is False
    assert db["backup_retention_period"] == 1
    assert db["port"] == 5432
    refs = plan.references((), "aws_db_subnet_group.this", "subnet_ids")
    assert "module.vpc.isolated_subnet_ids" in refs


def test_environments(plan) -> None:
    functions = plan.instances(f"{SPLIT}.aws_lambda_function.this")
    public = functions["public"]["after"]["environment"][0]["variables"]
    assert public == {
        "PRIVATE_FUNCTION_NAME": "natless-split-private",
        "PRIVATE_FUNCTION_TIMEOUT_S": "30",
        "METRIC_NAMESPACE": "Natless/PublicPrivateSplit",
        "METRIC_NAME": "ActiveSessions",
    }
    assert functions["private"]["after_unknown"]["environment"][0]["variables"] is True
    wiring = plan.raw["configuration"]["root_module"]["module_calls"]["split"]["expressions"]
    assert "aws_db_instance.this.address" in wiring["db_host"]["references"]
    assert "aws_db_instance.this.resource_id" in wiring["db_resource_id"]["references"]
    assert wiring["db_user"]["references"] == ["var.db_user"]


def test_database_certificate_is_verified_by_default(plan) -> None:
    """verify-full against the RDS CA bundle shipped in the private package."""
    assert plan.raw["variables"]["db_ca_bundle"]["value"] == BUNDLE_NAME
    assert plan.output("db_sslmode") == "verify-full"
    assert plan.output("db_ca_bundle") == BUNDLE_NAME
    wiring = plan.raw["configuration"]["root_module"]["module_calls"]["split"]["expressions"]
    assert wiring["db_sslmode"]["references"] == ["local.db_sslmode"]
    assert "var.db_ca_bundle" in wiring["private_environment"]["references"]


def test_null_ca_bundle_opts_out_of_verification(example: Stack, packages) -> None:
    plan = Plan(example.plan({**packages, "db_ca_bundle": None}))
    assert plan.output("db_sslmode") == "require"
    assert plan.output("db_ca_bundle") is None


def test_schedule_defaults_to_every_five_minutes(plan) -> None:
    rule = one(plan, f"{SPLIT}.aws_cloudwatch_event_rule.schedule")["after"]
    assert rule["schedule_expression"] == "rate(5 minutes)"
    assert rule["state"] == "ENABLED"
    assert rule["name"] == "natless-split-schedule"
    assert plan.references(("split",), "aws_cloudwatch_event_target.public", "arn")[0] == (
        'aws_lambda_function.this["public"].arn'
    )
    permission = one(plan, f"{SPLIT}.aws_lambda_permission.schedule")["after"]
    assert permission["principal"] == "events.amazonaws.com"
    assert permission["action"] == "lambda:InvokeFunction"
    assert plan.references(("split",), "aws_lambda_permission.schedule", "source_arn")[0] == (
        "aws_cloudwatch_event_rule.schedule.arn"
    )
    assert plan.references(("split",), "aws_lambda_permission.schedule", "function_name")[0] == (
        'aws_lambda_function.this["public"].function_name'
    )
    invoke_config = one(plan, f"{SPLIT}.aws_lambda_function_event_invoke_config.public")["after"]
    assert invoke_config["maximum_retry_attempts"] == 0


def test_log_groups_have_retention(plan) -> None:
    groups = plan.instances(f"{SPLIT}.aws_cloudwatch_log_group.this")
    assert {k: g["after"]["name"] for k, g in groups.items()} == {
        "private": "/aws/lambda/natless-split-private",
        "public": "/aws/lambda/natless-split-public",
    }
    assert {g["after"]["retention_in_days"] for g in groups.values()} == {30}


# --- the module through its fixture (literal inputs) ----------------------------------------------


def test_rds_db_connect_arn_is_exact(fixture_stack: Stack, packages) -> None:
    plan = Plan(fixture_stack.plan(packages))
    arn = (
        "arn:aws:rds-db:us-east-1:123456789012:dbuser:db-ABCDEFGHIJKLMNOPQRSTUVWXY0/natless_reader"
    )
    assert plan.output("db_user_arn") == arn
    assert policy_statements(plan, "private")["ConnectAsDatabaseUser"]["resources"] == [arn]


def test_schedule_can_be_turned_off_and_changed(fixture_stack: Stack, packages) -> None:
    plan = Plan(
        fixture_stack.plan(
            {**packages, "schedule_enabled": False, "schedule_expression": "cron(0/10 * * * ? *)"}
        )
    )
    rule = one(plan, f"{SPLIT}.aws_cloudwatch_event_rule.schedule")["after"]
    assert rule["state"] == "DISABLED"
    assert rule["schedule_expression"] == "cron(0/10 * * * ? *)"
    # the target and permission stay, so turning it back on changes only the rule's state
    assert one(plan, f"{SPLIT}.aws_cloudwatch_event_target.public")
    assert one(plan, f"{SPLIT}.aws_lambda_permission.schedule")


def test_kms_key_adds_only_decrypt(fixture_stack: Stack, packages) -> None:
    key = "arn:aws:kms:us-east-1:123456789012:key/11111111-2222-3333-4444-555555555555"
    plan = Plan(fixture_stack.plan({**packages, "kms_key_arn": key}))
    for side in ("private", "public"):
        decrypt = policy_statements(plan, side)["DecryptEnvironment"]
        assert (decrypt["actions"], decrypt["resources"]) == (["kms:Decrypt"], [key])


def test_reserved_concurrency_is_per_function_and_unreserved_by_default(
    fixture_stack: Stack, packages
) -> None:
    def reserved(tf_vars: dict[str, Any]) -> dict[str, Any]:
        plan = Plan(fixture_stack.plan(tf_vars))
        functions = plan.instances(f"{SPLIT}.aws_lambda_function.this")
        return {k: f["after"]["reserved_concurrent_executions"] for k, f in functions.items()}

    assert reserved(packages) == {"private": -1, "public": -1}
    both = {
        **packages,
        "private_reserved_concurrent_executions": 5,
        "public_reserved_concurrent_executions": 1,
    }
    assert reserved(both) == {"private": 5, "public": 1}


# --- bad inputs -----------------------------------------------------------------------------------

GOOD_SG = "sg-0123456789abcdef0"

# case: (round, variables, message). Within a round each variable appears at most once.
MODULE_BAD_INPUTS: dict[str, tuple[int, dict[str, Any], str]] = {
    "name": (1, {"name": "9-lives!"}, "name must be 1-48 letters, digits, hyphens or underscores"),
    "private-package": (
        1,
        {"private_package_path": "/nonexistent/session_counter.zip"},
        "private_package_path must name an existing .zip file",
    ),
    "public-package": (
        1,
        {"public_package_path": "/nonexistent/metric_publisher.zip"},
        "public_package_path must name an existing .zip file",
    ),
    "vpc-id": (1, {"vpc_id": "my-vpc"}, 'vpc_id must look like "vpc-0123456789abcdef0"'),
    "subnet-format": (1, {"subnet_ids": ["isolated-a"]}, "subnet_ids must be subnet IDs"),
    "subnet-count": (2, {"subnet_ids": []}, "subnet_ids needs at least one subnet"),
    "name-sg-prefix": (2, {"name": "sg-web"}, 'name must not start with "sg-"'),
    "egress-empty": (2, {"egress_destinations": {}}, "egress_destinations needs at least one"),
    "egress-label": (
        1,
        {"egress_destinations": {"bad label": {"security_group_id": GOOD_SG, "port": 5432}}},
        "egress_destinations keys are labels",
    ),
    "egress-port": (
        3,
        {"egress_destinations": {"database": {"security_group_id": GOOD_SG, "port": 70000}}},
        "egress_destinations ports must be whole numbers from 1 to 65535",
    ),
    "egress-sg": (
        4,
        {"egress_destinations": {"database": {"security_group_id": "10.0.0.0/16", "port": 5432}}},
        "egress_destinations security_group_id must be a security group ID",
    ),
    "db-host": (1, {"db_host": "postgres://db:5432"}, "db_host must be a hostname or IP address"),
    "db-port": (1, {"db_port": 0}, "db_port must be a whole number from 1 to 65535"),
    "db-name": (1, {"db_name": "1app"}, "db_name must be a PostgreSQL identifier"),
    "db-user": (1, {"db_user": "natless-reader"}, "db_user must be 1-63 letters, digits"),
    "db-resource-id": (
        1,
        {"db_resource_id": "natless-split"},
        "db_resource_id must be the DbiResourceId of an instance",
    ),
    "db-sslmode": (1, {"db_sslmode": "prefer"}, 'db_sslmode must be "require", "verify-full"'),
    "private-environment": (
        1,
        {"private_environment": {"DB_HOST": "elsewhere"}},
        "private_environment keys must be letters, digits and underscores",
    ),
    "metric-namespace": (
        1,
        {"metric_namespace": "AWS/Lambda"},
        'must not start with "AWS/" (reserved for AWS services)',
    ),
    "metric-name": (1, {"metric_name": "Active:Sessions"}, "metric_name must be 1-255 characters"),
    "schedule": (
        1,
        {"schedule_expression": "every 5 minutes"},
        "schedule_expression must be",
    ),
    "runtime": (1, {"runtime": "python3.9"}, "runtime must be a Python runtime of 3.12 or newer"),
    "architecture": (1, {"architecture": "arm"}, 'architecture must be "arm64" or "x86_64"'),
    "private-memory": (
        1,
        {"private_memory_size": 64},
        "private_memory_size must be a whole number of MB from 128 to 10240",
    ),
    "public-memory": (
        1,
        {"public_memory_size": 20480},
        "public_memory_size must be a whole number of MB from 128 to 10240",
    ),
    "private-timeout": (
        1,
        {"private_timeout": 900},
        "private_timeout must be a whole number of seconds from 1 to 840",
    ),
    "public-timeout": (
        1,
        {"public_timeout": 901},
        "public_timeout must be a whole number of seconds from 6 to 900",
    ),
    "private-concurrency": (
        1,
        {"private_reserved_concurrent_executions": -1},
        "private_reserved_concurrent_executions must be null (unreserved: use null, not -1)",
    ),
    "public-concurrency": (
        1,
        {"public_reserved_concurrent_executions": 1.5},
        "public_reserved_concurrent_executions must be null (unreserved: use null, not -1)",
    ),
    "retention": (1, {"log_retention_days": 42}, "log_retention_days must be one of"),
    "kms-key": (1, {"kms_key_arn": "alias/my-key"}, "kms_key_arn must be a KMS key ARN"),
    "tracing": (1, {"tracing_mode": "On"}, 'tracing_mode must be "PassThrough" or "Active"'),
}

EXAMPLE_BAD_INPUTS: dict[str, tuple[int, dict[str, Any], str]] = {
    "region": (1, {"region": "Europe"}, "region must be an AWS region name"),
    "name": (1, {"name": "natless--split"}, "name must be 3-32 lower-case letters"),
    "az-count": (1, {"az_count": 1}, "az_count must be a whole number from 2 to 6"),
    "engine-version": (
        1,
        {"db_engine_version": "15.4"},
        "db_engine_version must be PostgreSQL 16 or newer",
    ),
    "instance-class": (1, {"db_instance_class": "t4g.micro"}, "db_instance_class must be"),
    "db-name": (1, {"db_name": "my-app"}, "db_name must be 1-63 letters"),
    "ca-bundle": (1, {"db_ca_bundle": "/etc/ssl/rds.txt"}, "db_ca_bundle must be a relative path"),
    "master-username": (
        1,
        {"db_master_username": "rdsadmin"},
        "db_master_username must be 1-63 letters",
    ),
}


def _round_failures(
    stack: Stack, packages: dict[str, str], cases: dict[str, tuple[int, dict[str, Any], str]]
) -> dict[int, str]:
    failures = {}
    for number in sorted({r for r, _, _ in cases.values()}):
        tf_vars: dict[str, Any] = dict(packages)
        seen: set[str] = set()
        for r, values, _ in cases.values():
            if r == number:
                assert not seen & set(values), f"round {number} sets {seen & set(values)} twice"
                seen |= set(values)
                tf_vars.update(values)
        with pytest.raises(TerraformFailed) as failed:
            stack.plan(tf_vars)
        failures[number] = " ".join(str(failed.value).split())  # Terraform wraps long lines
    return failures


@pytest.fixture(scope="module")
def module_failures(fixture_stack: Stack, packages) -> dict[int, str]:
    return _round_failures(fixture_stack, packages, MODULE_BAD_INPUTS)


@pytest.fixture(scope="module")
def example_failures(example: Stack, packages) -> dict[int, str]:
    return _round_failures(example, packages, EXAMPLE_BAD_INPUTS)


@pytest.mark.parametrize("case", sorted(MODULE_BAD_INPUTS))
def test_module_refuses_bad_input(module_failures, case: str) -> None:
    number, _, message = MODULE_BAD_INPUTS[case]
    assert message in module_failures[number]


@pytest.mark.parametrize("case", sorted(EXAMPLE_BAD_INPUTS))
def test_example_refuses_bad_input(example_failures, case: str) -> None:
    number, _, message = EXAMPLE_BAD_INPUTS[case]
    assert message in example_failures[number]


def test_public_timeout_must_outlast_the_private_one(fixture_stack: Stack, packages) -> None:
    with pytest.raises(TerraformFailed) as failed:
        fixture_stack.plan({**packages, "private_timeout": 60, "public_timeout": 62})
    text = " ".join(str(failed.value).split())
    assert "public_timeout (62 s) must be at least private_timeout + 5 (65 s)" in text
