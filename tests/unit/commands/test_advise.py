"""`natless advise` (natless.commands.advise): its text and JSON, a workload file, and the inputs it
refuses.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from natless.cli import main
from tests.support.cli import refused


def test_cli_text(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["advise", "--aws", "s3,sqs,xray=1", "--ipv6-api", "10", "--private", "rds"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("Recommendation: egress-only + interface endpoint (xray)")
    assert "USD 14.61/month" in out
    assert "Why:\n  - private VPC resources (rds)" in out
    assert "recommended  egress-only+endpoints" in out
    assert "runner-up    nat-single" in out


def test_cli_json(capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["advise", "--ipv4-api", "--private", "rds", "--ha", "--no-split", "--json"]
    assert main(argv) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["recommendation"]["option"] == "nat-per-az"
    assert doc["recommendation"]["total_usd"] == "73.00"
    assert doc["runner_up"] is None
    assert {o["option"] for o in doc["options"]} >= {"no-vpc", "egress-only", "nat-single"}
    assert doc["reasons"]


def test_cli_file_with_flag_override(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "workload.json"
    path.write_text(
        json.dumps({"aws": {"xray": 1}, "private": ["rds"], "azs": 3, "region": "eu-central-1"})
    )
    assert main(["advise", "--file", str(path), "--azs", "2", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert (doc["azs"], doc["region"]) == (2, "eu-central-1")
    assert doc["recommendation"]["total_usd"] == "17.53"  # 17.52 + 1 GB x 0.01


def test_cli_unknown_service_lists_known_ones(capsys: pytest.CaptureFixture[str]) -> None:
    err = refused(["advise", "--aws", "sqs,quantum", "--private", "rds"], capsys)
    assert "unknown AWS service 'quantum'" in err
    assert "known services: dynamodb, ec2messages" in err and "xray" in err


def test_cli_negative_volume(capsys: pytest.CaptureFixture[str]) -> None:
    assert "ipv4_api volume must be >= 0" in refused(["advise", "--ipv4-api", "-3"], capsys)
    assert "volume for xray must be >= 0" in refused(["advise", "--aws", "xray=-1"], capsys)


def test_cli_bad_inputs(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert "describe the workload" in refused(["advise"], capsys)
    assert "unknown region 'moon-1'" in refused(
        ["advise", "--aws", "sqs", "--region", "moon-1"], capsys
    )
    assert "AZ count must be >= 1" in refused(["advise", "--aws", "sqs", "--azs", "0"], capsys)
    assert "listed twice" in refused(["advise", "--aws", "sqs,sqs=2"], capsys)
    typo = tmp_path / "w.json"
    typo.write_text(json.dumps({"aws": ["sqs"], "privat": ["rds"]}))
    err = refused(["advise", "--file", str(typo)], capsys)
    assert "unknown workload key(s) privat" in err and "private" in err
    broken = tmp_path / "broken.json"
    broken.write_text("{not json")
    assert "is not valid JSON" in refused(["advise", "--file", str(broken)], capsys)
    missing = tmp_path / "missing.json"
    assert "no such file" in refused(["advise", "--file", str(missing)], capsys)
    flag = tmp_path / "flag.json"
    flag.write_text(json.dumps({"aws": ["sqs"], "high_availability": "yes"}))
    assert "high_availability must be true or false" in refused(
        ["advise", "--file", str(flag)], capsys
    )


def test_cli_nat_instance(capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["advise", "--ipv4-api", "50", "--private", "rds", "--no-split", "--nat-instance"]
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert out.startswith("Recommendation: one NAT instance, t4g.nano (+ egress-only base)")
    assert "USD 6.72/month" in out
    assert "you run it and patch it" in out and "0.032 Gbps baseline" in out
    assert main([*argv[:-1], "--json", "--nat-instance-size", "t4g.micro"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["recommendation"]["option"] == "nat-single"  # not allowed without --nat-instance
    assert doc["nat_instance"]["size"] == "t4g.micro" and doc["nat_instance"]["allowed"] is False
    options = {o["option"]: o for o in doc["options"]}
    assert options["nat-instance-single"]["total_usd"] == "9.78"  # (0.0084 + 0.005) x 730


def test_cli_unknown_nat_instance_size_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    err = refused(["advise", "--ipv4-api", "--nat-instance-size", "t4g.huge"], capsys)
    assert "unknown NAT instance size 't4g.huge'" in err and "t4g.nano" in err
