"""`natless cost` (natless.commands.cost): the table and JSON it prints, and the inputs it refuses.

Plans are synthetic (tests/support/plans.py); `--example` planning is replaced where it would run
Terraform.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from natless.cli import main
from tests.support.cli import refused
from tests.support.plans import US, egress_only_plan, per_az_nat_plan, single_nat_plan


def write(tmp_path: Path, doc: object, name: str = "plan.json") -> str:
    path = tmp_path / name
    path.write_text(json.dumps(doc))
    return str(path)


def test_cli_table_for_a_single_nat_plan(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path, single_nat_plan(2))
    assert main(["cost", path, "--traffic", "internet_ipv4_only=100"]) == 0
    out = capsys.readouterr().out
    assert re.search(r"NAT gateway\s+1\s+32\.85", out)
    assert re.search(r"public IPv4 address\s+1\s+3\.65", out)
    assert re.search(r"fixed\s+36\.50", out)
    assert re.search(
        r"internet_ipv4_only\s+100\s+NAT gateway \+ internet DTO\s+0\.045\s+4\.50", out
    )
    assert "Total  USD 41.00/month" in out
    assert "region us-east-1, 2 AZs" in out
    assert "Patterns for the same traffic" not in out  # only with --compare / --example


def test_cli_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write(tmp_path, per_az_nat_plan(3))
    assert main(["cost", path, "--json", "--traffic", "internet_ipv4_only=300", "--compare"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["region"] == US and doc["azs"] == 3
    assert doc["plan"]["fixed_usd"] == "109.50"
    assert doc["plan"]["variable_usd"] == "31.50"
    assert doc["plan"]["pieces"]["nat_gateways"] == 3
    patterns = {p["pattern"]: p for p in doc["comparison"]["patterns"]}
    assert patterns["nat-per-az"]["total_usd"] == "141.00"  # same as the plan
    assert patterns["egress-only"]["unreachable"] == ["internet_ipv4_only"]
    assert all("gb" in b for b in doc["comparison"]["break_even"])


def test_cli_unreachable_traffic_exits_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path, egress_only_plan(2))
    assert main(["cost", path, "--traffic", "internet_ipv4_only=100"]) == 1
    captured = capsys.readouterr()
    assert "UNREACHABLE: internet_ipv4_only" in captured.out
    assert "cannot carry internet_ipv4_only (100 GB/month)" in captured.err


def test_cli_compare_alone(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["cost", "--compare", "--azs", "3", "--traffic", "aws_ipv4_only=2000",
                 "--services", "xray,ssm,ssmmessages,ec2messages"]) == 0  # fmt: skip
    out = capsys.readouterr().out
    assert re.search(r"nat-per-az\s+109\.50\s+90\.00\s+199\.50", out)
    assert re.search(r"interface-endpoints\s+87\.60\s+20\.00\s+107\.60", out)
    # 4 services x 3 AZs = 87.60 + 0.01/GB vs one NAT 36.50: (87.60 - 36.50) / 0.035
    assert "nat-single is cheaper below 1460.00 GB/month of aws_ipv4_only" in out


def test_cli_traffic_file_merges_with_flags(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    plan = write(tmp_path, single_nat_plan(2))
    profile = write(tmp_path, {"internet_ipv4_only": 300, "s3": 5}, "traffic.json")
    args = ["cost", plan, "--traffic-file", profile, "--traffic", "internet_ipv4_only=100"]
    assert main([*args, "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["traffic_gb"] == {"internet_ipv4_only": "100", "s3": "5"}
    assert doc["plan"]["total_usd"] == "41.00"


def test_cli_region_defaults_to_the_plan(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path, single_nat_plan(2, "eu-central-1"))
    assert main(["cost", path, "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert (doc["region"], doc["plan"]["fixed_usd"]) == ("eu-central-1", "41.61")
    assert main(["cost", path, "--json", "--region", "us-east-1"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["plan"]["fixed_usd"] == "36.50"
    assert any("priced as us-east-1" in n for n in doc["plan"]["notes"])


def test_cli_negative_volume(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write(tmp_path, single_nat_plan())
    err = refused(["cost", path, "--traffic", "internet_ipv4_only=-5"], capsys)
    assert "internet_ipv4_only must be >= 0" in err


def test_cli_unknown_class(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write(tmp_path, single_nat_plan())
    err = refused(["cost", path, "--traffic", "ipv4=5"], capsys)
    assert "unknown traffic class 'ipv4'" in err and "internet_ipv4_only" in err


def test_cli_unknown_region(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write(tmp_path, single_nat_plan())
    err = refused(["cost", path, "--region", "mars-north-1"], capsys)
    assert "unknown region 'mars-north-1'" in err and "eu-central-1" in err


def test_cli_unknown_service(capsys: pytest.CaptureFixture[str]) -> None:
    err = refused(["cost", "--compare", "--services", "xray,warp"], capsys)
    assert "unknown AWS service 'warp'" in err and "xray" in err


def test_cli_json_that_is_not_a_plan(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write(tmp_path, {"resources": []})
    err = refused(["cost", path], capsys)
    assert f"{path} is not a Terraform plan in JSON" in err
    assert "terraform show -json PLANFILE > plan.json" in err


def test_cli_state_is_not_a_plan(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write(tmp_path, {"format_version": "1.0", "values": {}})
    assert "this is state" in refused(["cost", path], capsys)


def test_cli_file_that_is_not_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "plan.out"
    path.write_bytes(b"PK\x03\x04\x14\x00\x08\x00\xff\xfe binary plan")
    assert "is not a Terraform plan in JSON" in refused(["cost", str(path)], capsys)
    text = tmp_path / "plan.txt"
    text.write_text("Terraform will perform the following actions:")
    assert "is not a Terraform plan in JSON" in refused(["cost", str(text)], capsys)


def test_cli_missing_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    missing = tmp_path / "nope.json"
    assert f"{missing}: no such file" in refused(["cost", str(missing)], capsys)


def test_cli_bad_traffic_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    plan = write(tmp_path, single_nat_plan())
    listed = write(tmp_path, [1, 2], "t.json")
    assert "must hold a JSON object" in refused(["cost", plan, "--traffic-file", listed], capsys)
    negative = write(tmp_path, {"s3": -2}, "n.json")
    assert "s3 must be >= 0" in refused(["cost", plan, "--traffic-file", negative], capsys)
    missing = str(tmp_path / "none.json")
    assert "no such file" in refused(["cost", plan, "--traffic-file", missing], capsys)


def test_cli_needs_something_to_price(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert "nothing to price" in refused(["cost"], capsys)
    path = write(tmp_path, single_nat_plan())
    assert "not both" in refused(["cost", path, "--example", "egress-only"], capsys)
    assert "--azs must be >= 1" in refused(["cost", path, "--azs", "0"], capsys)
    assert "memory" in refused(["cost", "--compare", "--memory-mb", "64"], capsys)


def test_cli_bad_decimal_option_is_an_argparse_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["cost", "--compare", "--duration-ms", "abc"])
    assert exit_info.value.code == 2
    assert "argument --duration-ms: not a number: 'abc'" in capsys.readouterr().err


def test_cli_checks_every_flag_before_planning(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    planned: list[str] = []
    monkeypatch.setattr(
        "natless.commands.cost._plan_example", lambda name: planned.append(name) or {}
    )
    for flags in (["--traffic", "s3=lots"], ["--azs", "7"], ["--services", "warp"]):
        refused(["cost", "--example", "egress-only", *flags], capsys)
    assert planned == []
    monkeypatch.setattr("natless.commands.cost._plan_example", lambda name: single_nat_plan(2))
    assert main(["cost", "--example", "egress-only", "--traffic", "internet_ipv4_only=100"]) == 0
    assert "Total  USD 41.00/month" in capsys.readouterr().out


def test_cli_compare_prices_the_nat_instance_patterns(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["cost", "--compare", "--traffic", "internet_ipv4_only=100"]) == 0
    out = capsys.readouterr().out
    assert (
        "split: 1,000,000 invocations/month x 100 ms x 128 MB x86_64; NAT instance: t4g.nano)"
        in out
    )
    assert re.search(r"\n  nat-instance-single\s+6\.72\s+0\.00\s+6\.72\s+-\n", out)
    assert re.search(r"\n  nat-instance-per-az\s+13\.43\s+0\.00\s+13\.43\s+-\n", out)
    assert (
        "  nat-instance-*: t4g.nano at USD 0.0042/h + a public IPv4 each, no per-GB processing "
        "charge; yours to run and patch, 0.032 Gbps baseline, bursts to 5 Gbps" in out
    )


def test_cli_compare_nat_instance_size_and_break_even(capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["cost", "--compare", "--azs", "3", "--nat-instance-size", "t4g.small", "--json"]
    assert main(argv) == 0
    doc = json.loads(capsys.readouterr().out)["comparison"]
    assert doc["nat_instance_size"] == "t4g.small"
    rows = {p["pattern"]: p for p in doc["patterns"]}
    assert rows["nat-instance-per-az"]["fixed_usd"] == "47.74"  # 3 x (0.0168 + 0.005) x 730
    # (47.742 - 36.50) / 0.045 GB/month, both IPv4-only classes
    evens = {
        b["class"]: b["gb"]
        for b in doc["break_even"]
        if (b["first"], b["second"]) == ("nat-single", "nat-instance-per-az") and b["gb"]
    }
    assert evens == {"aws_ipv4_only": "249.82", "internet_ipv4_only": "249.82"}


def test_cli_unknown_nat_instance_size_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    err = refused(["cost", "--compare", "--nat-instance-size", "t4g.huge"], capsys)
    assert "--nat-instance-size: unknown NAT instance size 't4g.huge'" in err
    assert "priced sizes: t4g.nano, t4g.micro, t4g.small, t4g.medium" in err
