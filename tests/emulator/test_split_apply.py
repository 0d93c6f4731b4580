"""examples/public-private-split applied on the embedded emulator, run end to end, destroyed.

One apply for the module (about two minutes: the aws provider waits 60 s before it first polls
a new DB instance, and again after deleting it). The moto "RDS instance" has no database behind
it, so the private function is pointed at a local PostgreSQL
(tests.support.postgres.LocalPostgres, TLS on) through the emulator's per-function environment
overrides; its AWS_ENDPOINT_URL is overridden to a closed port as well, which shows it needs no
AWS API at all (the IAM token is signed locally).
The public function is invoked through the Lambda Invoke API with an EventBridge "Scheduled
Event" and must publish the seeded count to the emulator's CloudWatch. The three failure modes
of the synchronous call (response over 6 MB, private function error, timeout) are produced with
real invocations: the first and last with tiny extra functions created here, because the
session counter itself only ever returns a count.
"""

from __future__ import annotations

import base64
import contextlib
import datetime
import io
import json
import time
import urllib.request
import uuid
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import boto3
import pytest
from botocore.config import Config

from natless.deploy.package import build_package
from natless.deploy.stack import Stack
from natless.net.routes import AWS_MANAGED, UNREACHABLE, render, route_matrix
from natless.paths import EXAMPLES
from tests.support.leftovers import leftovers
from tests.support.net import closed_port
from tests.support.postgres import LocalPostgres, find_bin_dir

pytestmark = pytest.mark.skipif(
    find_bin_dir() is None, reason="PostgreSQL server binaries not installed"
)

EXAMPLE = EXAMPLES / "public-private-split"
NAME = "natless-split"
ACTIVE, EXPIRED = 7, 5
REGION = "us-east-1"


@dataclass
class Deployed:
    stack: Stack
    outputs: dict[str, Any]
    clients: dict[str, Any]
    pg: LocalPostgres
    emulator: Any
    before: dict[str, list[str]]
    sizes: dict[str, int]
    tf_vars: dict[str, str]
    rule_arn: str = ""


# What this example creates: the leftovers the destroy must leave at what they were before.
KINDS = (
    "vpcs",
    "subnets",
    "security_groups",
    "functions",
    "db_instances",
    "db_subnet_groups",
    "event_rules",
    "roles",
    "log_groups",
    "secrets",
)


def put_overrides(emulator: Any, function: str, values: dict[str, str] | None) -> None:
    """Set (or with None: clear) the emulator's environment overrides of one function."""
    method = "DELETE" if values is None else "PUT"
    data = None if values is None else json.dumps(values).encode()
    request = urllib.request.Request(
        f"{emulator.url}/natless-api/env-overrides/{function}", data=data, method=method
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status == 200


@contextlib.contextmanager
def overrides(deployed: Deployed, function: str, values: dict[str, str]) -> Iterator[None]:
    """Temporarily replace a function's overrides; the private function's base ones come back."""
    put_overrides(deployed.emulator, function, values)
    try:
        yield
    finally:
        if function == deployed.outputs["private_function_name"]:
            put_overrides(deployed.emulator, function, private_overrides(deployed))
        else:
            put_overrides(deployed.emulator, function, None)


def private_overrides(deployed: Deployed, **changes: str) -> dict[str, str]:
    """The private function, pointed at the local PostgreSQL, with no reachable AWS endpoint.

    It verifies the server's certificate as in AWS (verify-full), against the local server's
    test CA instead of the RDS bundle the example ships.
    """
    return {
        "DB_HOST": deployed.pg.host,
        "DB_PORT": str(deployed.pg.port),
        "DB_SSLMODE": "verify-full",
        "DB_CA_BUNDLE": str(deployed.pg.ca_path),
        "DB_CONNECT_TIMEOUT_S": "3",
        "AWS_ENDPOINT_URL": f"http://127.0.0.1:{closed_port()}",
        "AWS_EC2_METADATA_DISABLED": "true",
        **changes,
    }


def scheduled_event(rule_arn: str) -> dict[str, Any]:
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": "123456789012",
        "time": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "region": REGION,
        "resources": [rule_arn],
        "detail": {},
    }


@pytest.fixture(scope="module")
def deployed(emulator) -> Iterator[Deployed]:
    packages = {
        "private_package_path": build_package("session_counter"),
        "public_package_path": build_package("metric_publisher"),
    }
    kw = emulator.client_kwargs()
    clients = {
        svc: boto3.client(svc, **kw)
        for svc in ("ec2", "rds", "events", "iam", "logs", "cloudwatch", "secretsmanager")
    }
    clients["lambda"] = boto3.client(
        "lambda", config=Config(read_timeout=120, retries={"total_max_attempts": 1}), **kw
    )
    before = leftovers(kw, KINDS)
    with LocalPostgres.start(tls=True) as pg:
        pg.seed_sessions(active=ACTIVE, expired=EXPIRED)
        stack = Stack.create(EXAMPLE, emulator.redirect())
        try:
            tf_vars = {k: str(p.path) for k, p in packages.items()}
            stack.apply(tf_vars)
            outputs = stack.outputs()
            result = Deployed(
                stack, outputs, clients, pg, emulator, before,
                {k: p.size for k, p in packages.items()}, tf_vars,
            )  # fmt: skip
            result.rule_arn = clients["events"].describe_rule(Name=outputs["rule_name"])["Arn"]
            put_overrides(emulator, outputs["private_function_name"], private_overrides(result))
            yield result
        finally:
            with contextlib.suppress(Exception):
                for fn in (NAME + "-private", NAME + "-public"):
                    put_overrides(emulator, fn, None)
            stack.close()
            print(f"\npublic-private-split: timings {stack.timings}")


def invoke_public(deployed: Deployed) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Invoke the public function with a scheduled event: its result and its JSON log lines."""
    response = deployed.clients["lambda"].invoke(
        FunctionName=deployed.outputs["public_function_name"],
        InvocationType="RequestResponse",
        LogType="Tail",
        Payload=json.dumps(scheduled_event(deployed.rule_arn)).encode(),
    )
    assert "FunctionError" not in response, response["Payload"].read()
    result = json.loads(response["Payload"].read())
    tail = base64.b64decode(response.get("LogResult", "")).decode(errors="replace")
    lines = []
    for line in tail.splitlines():
        with contextlib.suppress(ValueError):
            parsed = json.loads(line)
            if isinstance(parsed, dict) and "level" in parsed:
                lines.append(parsed)
    return result, lines


def datapoints(deployed: Deployed) -> list[dict[str, Any]]:
    now = datetime.datetime.now(datetime.UTC)
    answer = deployed.clients["cloudwatch"].get_metric_statistics(
        Namespace=deployed.outputs["metric_namespace"],
        MetricName=deployed.outputs["metric_name"],
        StartTime=now - datetime.timedelta(hours=1),
        EndTime=now + datetime.timedelta(minutes=5),
        Period=60,
        Statistics=["SampleCount", "Minimum", "Maximum"],
    )
    return answer["Datapoints"]


def sample_count(deployed: Deployed) -> int:
    return int(sum(p["SampleCount"] for p in datapoints(deployed)))


@contextlib.contextmanager
def extra_function(deployed: Deployed, name: str, code: str, timeout: int) -> Iterator[str]:
    """A throwaway function (not part of the stack), deleted afterwards."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("handler.py", code)
    lam = deployed.clients["lambda"]
    lam.create_function(
        FunctionName=name,
        Runtime="python3.12",
        Role=deployed.clients["iam"].get_role(RoleName=f"{NAME}-private")["Role"]["Arn"],
        Handler="handler.handler",
        Code={"ZipFile": buffer.getvalue()},
        Timeout=timeout,
    )
    try:
        yield name
    finally:
        lam.delete_function(FunctionName=name)


def assert_failure_without_metric(deployed: Deployed, reason: str, detail: str) -> dict[str, Any]:
    before = sample_count(deployed)
    result, lines = invoke_public(deployed)
    assert result["ok"] is False, result
    assert result["reason"] == reason, result
    assert detail in result["detail"], result
    errors = [line for line in lines if line["level"] == "ERROR"]
    assert len(errors) == 1, lines
    assert errors[0]["reason"] == reason and detail in errors[0]["detail"]
    assert sample_count(deployed) == before, "a failed run must not write a datapoint"
    return result


# --- tests ----------------------------------------------------------------------------------------


def test_outputs(deployed: Deployed) -> None:
    out = deployed.outputs
    assert out["private_function_name"] == f"{NAME}-private"
    assert out["public_function_name"] == f"{NAME}-public"
    assert (out["db_port"], out["db_name"], out["db_user"]) == (5432, "app", "natless_reader")
    assert out["db_endpoint"].startswith(f"{NAME}.")
    assert (out["metric_namespace"], out["metric_name"]) == (
        "Natless/PublicPrivateSplit",
        "ActiveSessions",
    )
    assert len(out["isolated_subnet_ids"]) == 2
    assert out["db_master_user_secret_arn"].startswith("arn:aws:secretsmanager:")
    print(f"\npackage sizes (bytes): {deployed.sizes}")


def test_second_plan_changes_nothing(deployed: Deployed) -> None:
    plan = deployed.stack.plan(deployed.tf_vars)
    changed = {
        rc["address"]
        for rc in plan["resource_changes"]
        if rc["change"]["actions"] not in (["no-op"], ["read"])
    }
    assert changed == set(), f"second plan changes: {sorted(changed)}"


def test_master_password_is_in_secrets_manager_not_in_state(deployed: Deployed) -> None:
    secret = deployed.clients["secretsmanager"].describe_secret(
        SecretId=deployed.outputs["db_master_user_secret_arn"]
    )
    assert secret["Name"].startswith("rds!db-")
    state = json.loads((deployed.stack.workdir / "terraform.tfstate").read_text())
    (db,) = (r for r in state["resources"] if r["type"] == "aws_db_instance")
    attributes = db["instances"][0]["attributes"]
    assert attributes["manage_master_user_password"] is True
    assert attributes["password"] is None and attributes.get("password_wo") is None


def test_public_function_publishes_the_seeded_count(deployed: Deployed) -> None:
    before = sample_count(deployed)
    result, lines = invoke_public(deployed)
    assert result["ok"] is True, (result, lines)
    assert result["active_sessions"] == ACTIVE
    assert [line["level"] for line in lines] == ["INFO"]
    points = datapoints(deployed)
    assert sample_count(deployed) == before + 1
    newest = max(points, key=lambda p: p["Timestamp"])
    assert newest["Maximum"] == newest["Minimum"] == ACTIVE
    assert newest["Unit"] == "Count"
    print(f"\nActiveSessions: seeded {ACTIVE} active (+{EXPIRED} expired), metric {newest}")
    metrics = deployed.clients["cloudwatch"].list_metrics(
        Namespace=deployed.outputs["metric_namespace"]
    )["Metrics"]
    assert {m["MetricName"] for m in metrics} == {"ActiveSessions"}


def test_count_follows_the_database(deployed: Deployed) -> None:
    deployed.pg.seed_sessions(active=2, expired=9)
    try:
        result, _ = invoke_public(deployed)
        assert (result["ok"], result["active_sessions"]) == (True, 2)
        newest = max(datapoints(deployed), key=lambda p: p["Timestamp"])
        assert newest["Minimum"] == 2  # alone in its minute, or next to the earlier 7
    finally:
        deployed.pg.seed_sessions(active=ACTIVE, expired=EXPIRED)


def test_response_over_6_mb_is_reported_not_published(deployed: Deployed) -> None:
    code = "def handler(event, context):\n    return 'x' * (7 * 1024 * 1024)\n"
    with (
        extra_function(deployed, f"{NAME}-test-big", code, timeout=30) as big,
        overrides(
            deployed, deployed.outputs["public_function_name"], {"PRIVATE_FUNCTION_NAME": big}
        ),
    ):
        assert_failure_without_metric(
            deployed, "response_too_large", "Function.ResponseSizeTooLarge"
        )


def test_private_function_error_is_reported_not_published(deployed: Deployed) -> None:
    private = deployed.outputs["private_function_name"]
    with overrides(deployed, private, private_overrides(deployed, DB_PORT=str(closed_port()))):
        result = assert_failure_without_metric(
            deployed, "private_function_error", "DatabaseConnectError"
        )
    assert "Unhandled" in result["detail"]


def test_private_timeout_is_reported_not_published(deployed: Deployed) -> None:
    code = "import time\n\ndef handler(event, context):\n    time.sleep(5)\n    return 1\n"
    public = deployed.outputs["public_function_name"]
    with (
        extra_function(deployed, f"{NAME}-test-sleeper", code, timeout=1) as sleeper,
        overrides(deployed, public, {"PRIVATE_FUNCTION_NAME": sleeper}),
    ):
        assert_failure_without_metric(deployed, "timeout", "Sandbox.Timedout")


def test_no_answer_within_the_read_timeout_is_reported(deployed: Deployed) -> None:
    """The private function outlives the publisher's read timeout (botocore ReadTimeoutError)."""
    code = "import time\n\ndef handler(event, context):\n    time.sleep(6)\n    return 1\n"
    public = deployed.outputs["public_function_name"]
    with (
        extra_function(deployed, f"{NAME}-test-slow", code, timeout=20) as slow,
        overrides(
            deployed,
            public,
            # read timeout = 1 s + 3 s margin, shorter than the 6 s the function takes
            {"PRIVATE_FUNCTION_NAME": slow, "PRIVATE_FUNCTION_TIMEOUT_S": "1"},
        ),
    ):
        started = time.monotonic()
        assert_failure_without_metric(deployed, "timeout", "read timeout")
        assert time.monotonic() - started < 20
    time.sleep(3)  # let the emulator finish the abandoned invocation before the next test


def test_private_function_has_no_default_route_of_either_family(deployed: Deployed) -> None:
    ec2, lam = deployed.clients["ec2"], deployed.clients["lambda"]
    private = deployed.outputs["private_function_name"]
    config = lam.get_function_configuration(FunctionName=private)
    subnet_ids = config["VpcConfig"]["SubnetIds"]
    assert sorted(subnet_ids) == sorted(deployed.outputs["isolated_subnet_ids"])
    assert config["VpcConfig"]["Ipv6AllowedForDualStack"] is False
    for subnet_id in subnet_ids:
        tables = ec2.describe_route_tables(
            Filters=[{"Name": "association.subnet-id", "Values": [subnet_id]}]
        )["RouteTables"]
        assert len(tables) == 1, subnet_id  # an explicit table, not the VPC's main one
        for route in tables[0]["Routes"]:
            assert route.get("DestinationCidrBlock") != "0.0.0.0/0", (subnet_id, route)
            assert route.get("DestinationIpv6CidrBlock") != "::/0", (subnet_id, route)
            assert route.get("GatewayId") in ("local", None), (subnet_id, route)
            for target in ("NatGatewayId", "EgressOnlyInternetGatewayId", "TransitGatewayId"):
                assert not route.get(target), (subnet_id, route)
    assert (
        ec2.describe_nat_gateways(
            Filters=[{"Name": "vpc-id", "Values": [deployed.outputs["vpc_id"]]}]
        )["NatGateways"]
        == []
    )
    public = deployed.outputs["public_function_name"]
    matrix = route_matrix(ec2, lam, [private, public])
    print(f"\nroute matrix\n{render(matrix)}")
    rows = [r for r in matrix.rows if r.function == private]
    assert {r.subnet_id for r in rows} == set(subnet_ids)
    for key, kinds in matrix.kinds(private).items():
        assert kinds == {UNREACHABLE}, key
    assert all(k == {AWS_MANAGED} for k in matrix.kinds(public).values())


def policy(iam: Any, role: str, name: str) -> list[dict[str, Any]]:
    document = iam.get_role_policy(RoleName=role, PolicyName=name)["PolicyDocument"]
    if isinstance(document, str):
        document = json.loads(document)
    statements = []
    for stmt in document["Statement"]:
        norm = dict(stmt)
        for key in ("Action", "Resource"):
            if isinstance(norm.get(key), str):
                norm[key] = [norm[key]]
        statements.append(norm)
    return statements


def test_iam_after_apply(deployed: Deployed) -> None:
    iam, lam, rds = deployed.clients["iam"], deployed.clients["lambda"], deployed.clients["rds"]
    private_arn = lam.get_function_configuration(
        FunctionName=deployed.outputs["private_function_name"]
    )["FunctionArn"]
    (db,) = rds.describe_db_instances(DBInstanceIdentifier=NAME)["DBInstances"]
    db_user_arn = (
        f"arn:aws:rds-db:{REGION}:123456789012:dbuser:{db['DbiResourceId']}/natless_reader"
    )

    public = {s["Sid"]: s for s in policy(iam, f"{NAME}-public", "natless-split-public")}
    assert set(public) == {"WriteOwnLogs", "InvokePrivateFunction", "PutMetricDataInNamespace"}
    assert public["InvokePrivateFunction"]["Action"] == ["lambda:InvokeFunction"]
    assert public["InvokePrivateFunction"]["Resource"] == [private_arn]
    assert public["PutMetricDataInNamespace"]["Resource"] == ["*"]
    assert public["PutMetricDataInNamespace"]["Condition"] == {
        "StringEquals": {"cloudwatch:namespace": "Natless/PublicPrivateSplit"}
    }
    private = {s["Sid"]: s for s in policy(iam, f"{NAME}-private", "natless-split-private")}
    assert set(private) == {"WriteOwnLogs", "ManageNetworkInterfaces", "ConnectAsDatabaseUser"}
    assert private["ConnectAsDatabaseUser"]["Resource"] == [db_user_arn]
    for side, statements in (("public", public), ("private", private)):
        assert all(s["Effect"] == "Allow" for s in statements.values())
        log_group = f"/aws/lambda/{NAME}-{side}"
        (resource,) = statements["WriteOwnLogs"]["Resource"]
        assert resource.endswith(f":log-group:{log_group}:*")
        role = f"{NAME}-{side}"
        assert iam.list_attached_role_policies(RoleName=role)["AttachedPolicies"] == []
        assert iam.list_role_policies(RoleName=role)["PolicyNames"] == [f"natless-split-{side}"]


def test_security_groups(deployed: Deployed) -> None:
    ec2 = deployed.clients["ec2"]
    fn_sg = deployed.outputs["private_security_group_id"]
    db_sg = deployed.outputs["db_security_group_id"]
    rules = ec2.describe_security_group_rules(
        Filters=[{"Name": "group-id", "Values": [fn_sg, db_sg]}]
    )["SecurityGroupRules"]
    shape = sorted(
        (
            "function" if r["GroupId"] == fn_sg else "db",
            "egress" if r["IsEgress"] else "ingress",
            r["IpProtocol"],
            r.get("FromPort"),
            r.get("ToPort"),
            (r.get("ReferencedGroupInfo") or {}).get("GroupId")
            or r.get("CidrIpv4")
            or r.get("CidrIpv6"),
        )
        for r in rules
    )
    assert shape == [
        ("db", "ingress", "tcp", 5432, 5432, fn_sg),
        ("function", "egress", "tcp", 5432, 5432, db_sg),
    ]


def test_schedule(deployed: Deployed) -> None:
    events, lam = deployed.clients["events"], deployed.clients["lambda"]
    rule = events.describe_rule(Name=deployed.outputs["rule_name"])
    assert (rule["ScheduleExpression"], rule["State"]) == ("rate(5 minutes)", "ENABLED")
    public = lam.get_function_configuration(FunctionName=deployed.outputs["public_function_name"])
    targets = events.list_targets_by_rule(Rule=rule["Name"])["Targets"]
    assert [t["Arn"] for t in targets] == [public["FunctionArn"]]
    statement = json.loads(lam.get_policy(FunctionName=public["FunctionName"])["Policy"])
    (allow,) = statement["Statement"]
    assert allow["Principal"] == {"Service": "events.amazonaws.com"}
    assert allow["Condition"]["ArnLike"]["AWS:SourceArn"] == rule["Arn"]


def test_destroy_leaves_nothing_behind(deployed: Deployed) -> None:
    """Runs last: destroy, then the emulator holds what it held before the apply."""
    deployed.stack.destroy()
    assert leftovers(deployed.emulator.client_kwargs(), KINDS) == deployed.before
    print(f"\ntimings: {deployed.stack.timings}")
