"""`natless routes` (natless.commands.routes): a stack whose outputs name no function; the
table and the JSON on fake EC2 and Lambda clients."""

from __future__ import annotations

import json
from types import SimpleNamespace

from natless.cli import main
from tests.unit.net.test_routes import (
    EIGW_ONLY,
    MAIN,
    FakeEC2,
    FakeLambda,
    group,
    rule,
    subnet,
    vpc_config,
)

EIGW_ONLY_WITH_ENDPOINTS = {
    **EIGW_ONLY,
    "Routes": [
        *EIGW_ONLY["Routes"],
        {"DestinationPrefixListId": "pl-s3", "GatewayId": "vpce-s3"},
        {"DestinationPrefixListId": "pl-ddb", "GatewayId": "vpce-ddb"},
    ],
}


def test_routes_refuses_a_stack_without_function_outputs(monkeypatch, capsys) -> None:
    monkeypatch.setattr("natless.commands.routes.read_outputs", lambda tf_dir: {"vpc_id": "v"})
    assert main(["routes", "--tf-dir", "my-stack"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("natless: error: --tf-dir my-stack: its outputs name no Lambda function")
    assert "this stack's outputs are: vpc_id." in err
    assert 'output "function_name" {' in err and "Traceback" not in err


def _fake_session(monkeypatch, ec2, lam) -> None:
    clients = {"ec2": ec2, "lambda": lam}
    session = SimpleNamespace(client=lambda name: clients[name])
    monkeypatch.setattr("natless.commands.routes.aws.session", lambda region: session)


def test_routes_prints_the_checks_in_the_table_and_the_json(monkeypatch, capsys) -> None:
    """A black hole, an unknown S3 IPv6 route and a blocked cell, in both outputs."""
    ec2 = FakeEC2(
        [subnet("subnet-a", "us-east-1a")],
        [EIGW_ONLY_WITH_ENDPOINTS, MAIN],
        endpoints={"vpce-s3": "dualstack", "vpce-ddb": "ipv4"},
        groups=[group("sg-1", rule("tcp", (443, 443), v6=["::/0"], pl=["pl-s3"]))],
    )
    lam = FakeLambda({"fn": vpc_config("subnet-a", groups=("sg-1",))})
    _fake_session(monkeypatch, ec2, lam)
    assert main(["routes", "--function", "fn"]) == 0
    lines = capsys.readouterr().out.splitlines()
    row = {line.split("  ")[0]: line.split("  ", 1)[-1].strip() for line in lines}
    assert row["S3 (IPv4)"] == "vpce-s3"
    assert row["DynamoDB (IPv4)"] == "vpce-ddb (SG blocks)"
    assert row["S3 (IPv6)"] == "UNKNOWN"
    assert row["NAT64 64:ff9b::/96"] == "BLACK HOLE"
    notes = [line for line in lines if line.startswith("- ")]
    assert [n.split(":")[0] for n in notes] == ["- DynamoDB (IPv4)", "- S3 (IPv6)", "- NAT64 64"]
    assert main(["routes", "--function", "fn", "--json"]) == 0
    cells = json.loads(capsys.readouterr().out)["rows"][0]["cells"]
    assert cells["DynamoDB (IPv4)"]["security_group"] == "blocks"
    assert cells["S3 (IPv6)"]["kind"] == "unknown"
    assert cells["NAT64 64:ff9b::/96"]["kind"] == "black-hole"
