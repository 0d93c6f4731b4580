"""Plan tests of examples/egress-only and examples/nat-gateway (the Lambda pair's wiring).

IDs and ARNs are unknown before apply. Policies are checked on the planned data sources
(actions are known; a resource is either "*" or a reference to a specific resource, which the
configuration shows) and the wiring through the configuration's references, as in
test_network_plan.py. tests/emulator reads the applied values back.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from natless.package import build_package
from natless.paths import EXAMPLES
from natless.stack import Stack
from tests.planjson import Plan
from tests.refusals import refusals

pytestmark = pytest.mark.plan

ENI_ACTIONS = {
    "ec2:CreateNetworkInterface",
    "ec2:DescribeNetworkInterfaces",
    "ec2:DescribeSubnets",
    "ec2:DeleteNetworkInterface",
    "ec2:AssignPrivateIpAddresses",
    "ec2:UnassignPrivateIpAddresses",
}
# IAM policies attached to roles (the TLS-only bucket policy is a Deny and not a grant)
ROLE_POLICIES = ("aws_iam_policy_document",)


@pytest.fixture(scope="module", params=["egress-only", "nat-gateway"])
def example(request, emulator) -> Iterator[tuple[str, Plan]]:
    build_package("bench")
    with Stack.create(EXAMPLES / request.param, emulator) as stack:
        yield request.param, Plan(stack.plan({"az_count": 3}))


def test_vpc_function_is_dual_stack_on_every_private_subnet(example) -> None:
    _, plan = example
    fn = plan.instances("module.pair.aws_lambda_function.this")
    (vpc_config,) = fn["vpc"]["after"]["vpc_config"]
    assert vpc_config["ipv6_allowed_for_dual_stack"] is True
    assert fn["vpc"]["after_unknown"]["vpc_config"][0]["subnet_ids"] is True
    wiring = plan.raw["configuration"]["root_module"]["module_calls"]["pair"]["expressions"]
    assert wiring["subnet_ids"]["references"][0] == "module.vpc.private_subnet_ids"
    # the same expression as the example's output: one (unknown) subnet per AZ
    assert plan.raw["output_changes"]["private_subnet_ids"]["after_unknown"] == [True] * 3
    assert fn["public"]["after"]["vpc_config"] == []


def test_both_functions_share_package_and_settings(example) -> None:
    """Same package and settings; the environment holds unknown values (queue URL, bucket name)
    before apply, so tests/emulator/test_examples_apply.py checks it on the deployed functions."""
    _, plan = example
    fn = plan.instances("module.pair.aws_lambda_function.this")
    for placement in ("vpc", "public"):
        after = fn[placement]["after"]
        assert after["runtime"] == "python3.12" and after["architectures"] == ["arm64"]
        assert after["memory_size"] == 1024 and after["handler"] == "handler.handler"
    assert fn["vpc"]["after"]["source_code_hash"] == fn["public"]["after"]["source_code_hash"]


def test_no_wildcard_in_iam_except_network_interfaces(example) -> None:
    _, plan = example
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


def test_workload_policy_names_exactly_the_table_queue_and_bucket(example) -> None:
    _, plan = example
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
    wiring = plan.raw["configuration"]["root_module"]["module_calls"]["pair"]["expressions"]
    assert wiring["policy_json"]["references"][0] == "module.targets.workload_policy_json"


def test_function_security_group_has_no_ingress(example) -> None:
    _, plan = example
    assert not plan.by_type("aws_vpc_security_group_ingress_rule")
    assert not [
        rc
        for rc in plan.by_type("aws_security_group_rule")
        if rc["change"]["after"]["type"] == "ingress"
    ]
    config = next(
        r
        for r in plan.module_config("pair")["resources"]
        if r["address"] == "aws_security_group.function"
    )
    assert "ingress" not in config["expressions"]
    egress = plan.instances("module.pair.aws_vpc_security_group_egress_rule.https")
    assert {(e["after"]["ip_protocol"], e["after"]["from_port"], e["after"]["to_port"])
            for e in egress.values()} == {("tcp", 443, 443)}  # fmt: skip


def test_function_ipv4_https_goes_only_where_the_example_has_an_ipv4_path(example) -> None:
    """IPv4 HTTPS to the gateway endpoints and the VPC; to 0.0.0.0/0 only with a NAT."""
    name, plan = example
    egress = plan.instances("module.pair.aws_vpc_security_group_egress_rule.https")
    expected = {"::/0", "vpc", "pl:s3", "pl:dynamodb"}
    if name == "nat-gateway":
        expected.add("0.0.0.0/0")
    assert set(egress) == expected
    assert egress["::/0"]["after"]["cidr_ipv6"] == "::/0"
    assert egress["vpc"]["after"]["cidr_ipv4"] == "10.0.0.0/16"
    ipv4_anywhere = [k for k, e in egress.items() if e["after"].get("cidr_ipv4") == "0.0.0.0/0"]
    assert ipv4_anywhere == (["0.0.0.0/0"] if name == "nat-gateway" else [])
    for service in ("s3", "dynamodb"):
        rule = egress[f"pl:{service}"]
        assert rule["after_unknown"]["prefix_list_id"] is True  # the endpoint's, known at apply
        assert rule["after"].get("cidr_ipv4") is None
    wiring = plan.raw["configuration"]["root_module"]["module_calls"]["pair"]["expressions"]
    assert "module.endpoints.prefix_list_ids" in wiring["ipv4_egress_prefix_list_ids"]["references"]
    assert "module.vpc.vpc_cidr_block" in wiring["vpc_ipv4_cidr_block"]["references"]


def test_nat_only_in_the_nat_example(example) -> None:
    name, plan = example
    nats = plan.instances("module.vpc.aws_nat_gateway.this")
    assert len(nats) == (1 if name == "nat-gateway" else 0)
    assert len(plan.instances("module.vpc.aws_egress_only_internet_gateway.this")) == 1


def test_bench_targets_are_encrypted_and_private(example) -> None:
    _, plan = example
    table = plan.instances("module.targets.aws_dynamodb_table.this")[""]["after"]
    assert table["billing_mode"] == "PAY_PER_REQUEST"
    assert table["server_side_encryption"][0]["enabled"] is True
    assert table["point_in_time_recovery"][0]["enabled"] is True
    assert {a["name"]: a["type"] for a in table["attribute"]} == {"pk": "S", "sk": "S"}
    queue = plan.instances("module.targets.aws_sqs_queue.this")[""]["after"]
    assert queue["sqs_managed_sse_enabled"] is True
    block = plan.instances("module.targets.aws_s3_bucket_public_access_block.this")[""]["after"]
    assert all(block[k] for k in ("block_public_acls", "block_public_policy", "ignore_public_acls"))
    assert block["restrict_public_buckets"] is True
    sse = plan.instances("module.targets.aws_s3_bucket_server_side_encryption_configuration.this")
    rule = sse[""]["after"]["rule"][0]["apply_server_side_encryption_by_default"][0]
    assert rule["sse_algorithm"] == "AES256"
    versioning = plan.instances("module.targets.aws_s3_bucket_versioning.this")[""]["after"]
    assert versioning["versioning_configuration"][0]["status"] == "Enabled"
    lifecycle = plan.instances("module.targets.aws_s3_bucket_lifecycle_configuration.this")
    rules = {r["id"]: r for r in lifecycle["0"]["after"]["rule"]}
    expire = rules["expire-benchmark-objects"]
    assert expire["filter"][0]["prefix"] == "bench/" and expire["expiration"][0]["days"] == 7
    hygiene = rules["bucket-hygiene"]
    assert hygiene["abort_incomplete_multipart_upload"][0]["days_after_initiation"] == 1
    tls = plan.instances("module.targets.aws_iam_policy_document.tls_only", mode="data")
    (deny,) = tls[""]["after"]["statement"]
    assert deny["effect"] == "Deny"
    assert deny["condition"][0]["variable"] == "aws:SecureTransport"
    assert deny["condition"][0]["values"] == ["false"]


def test_bad_pair_inputs_are_refused(emulator) -> None:
    """lambda-pair's own validations, through a plan of its own (each names the problem)."""
    from natless.paths import ROOT

    build_package("bench")
    cases = {
        "runtime": ({"runtime": "nodejs20.x"}, "runtime must be a Python runtime of 3.12"),
        "name": ({"name": "x" * 49}, "name must be 1-48 letters"),
        "name-sg-prefix": ({"name": "sg-web"}, 'name must not start with "sg-"'),
        "subnets": ({"subnet_ids": []}, "subnet_ids needs at least one subnet"),
        "package": ({"package_path": "/nonexistent.zip"}, "build it first with `natless package"),
        "environment": ({"environment": {"AWS_REGION": "x"}}, "AWS_* names are reserved"),
        "architecture": ({"architecture": "arm"}, 'architecture must be "arm64" or "x86_64"'),
        "memory": ({"memory_size": 64}, "memory_size must be a whole number of MB"),
        "timeout": ({"timeout": 901}, "timeout must be a whole number of seconds"),
        "policy": ({"policy_json": "{}"}, "policy_json must be an IAM policy document"),
        "prefix-list": (
            {"ipv4_egress_prefix_list_ids": {"s3": "10.0.0.0/8"}},
            'ipv4_egress_prefix_list_ids values must be prefix list IDs like "pl-63a5400a"',
        ),
        "prefix-list-label": (
            {"ipv4_egress_prefix_list_ids": {"s3 endpoint": "pl-63a5400a"}},
            "ipv4_egress_prefix_list_ids keys are labels",
        ),
        "egress-cidr": (
            {"ipv4_egress_cidr_blocks": ["::/0"]},
            'ipv4_egress_cidr_blocks must be IPv4 CIDRs such as "0.0.0.0/0"',
        ),
        "vpc-cidr": (
            {"vpc_ipv4_cidr_block": "10.0.0.0"},
            'vpc_ipv4_cidr_block must be an IPv4 CIDR such as "10.0.0.0/16"',
        ),
        "egress-cidr-host": (
            {"ipv4_egress_cidr_blocks": ["10.1.2.3/16"]},
            "ipv4_egress_cidr_blocks entries must start at their network address",
        ),
        "vpc-cidr-repeated": (
            {"ipv4_egress_cidr_blocks": ["10.0.0.0/16"]},
            "ipv4_egress_cidr_blocks must not repeat the VPC's own CIDR (10.0.0.0/16)",
        ),
        "concurrency": (
            {"reserved_concurrent_executions": -1},
            "reserved_concurrent_executions must be null (unreserved: use null, not -1)",
        ),
        "policy-sid": (
            {"policy_json": '{"Statement": [{"Sid": "WriteOwnLogs", "Effect": "Allow"}]}'},
            "must not use the Sids WriteOwnLogs",
        ),
    }
    with Stack.create(ROOT / "tests" / "fixtures" / "lambda_pair", emulator) as stack:
        failures = refusals(stack, cases, alone=["vpc-cidr-repeated"])
    for label, (_, message) in cases.items():
        assert message in failures[label], label
