"""`natless audit` end to end on the embedded emulator, against an account seeded as real ones
look (tests/support/audit_seed.py), then the plan's first steps applied and audited again.

* The command line (`natless audit --json` as a subprocess with the emulator's environment)
  reports exactly the seeded figures: each NAT's bytes, the bytes per remote address and per
  class, the functions.
* With DNS (``--resolve``; a resolver made from the seed's answers, injected in-process) SQS and
  the IPv6-capable host get their true classes, so the per-class bytes equal the seeded split.
* Bad input: a VPC id that does not exist (exit 2, a message), a VPC without flow logs (the
  report says what it cannot classify and how to turn flow logs on), a region with nothing to
  audit, a window out of CloudWatch's bounds.
* The migration: the plan's first step (S3 + DynamoDB gateway endpoints) applied with natless's
  own modules/vpc-endpoints through Terraform (tests/fixtures/audit-migration, one apply, one
  destroy), the NAT-removal step applied with boto3 (re-point the route, delete_nat_gateway),
  the same workload emitted for a new window after each, and each window audited: the claimed
  saving shows up as removed NAT bytes, then as a removed NAT gateway. Run with ``-s`` to see
  the before/after totals.

Regions: the seeded account lives in eu-central-1 and the migration in ap-southeast-1, regions
no other emulator test uses, so the figures are exactly the seeded ones.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import boto3
import pytest

from natless.audit.plan import AuditPlan, Step
from natless.audit.report import render
from natless.audit.run import run_audit
from natless.cost.money import usd
from natless.cost.pricing import load_prices, nat_gateway_monthly, public_ipv4_monthly
from natless.deploy.stack import Stack
from natless.emulator import Emulator
from natless.paths import ROOT
from tests.support.audit_seed import (
    DUALSTACK_FUNCTION,
    IPV4_API_FUNCTION,
    Expected,
    Seeded,
    emit_traffic,
    seed_account,
)

pytestmark = pytest.mark.emulator

REGION = "eu-central-1"  # the seeded account
MIGRATION_REGION = "ap-southeast-1"  # the account the plan's steps are applied to
FIXTURE = ROOT / "tests" / "fixtures" / "audit-migration"
TIMEOUT_S = 300


class SeededResolver:
    """What DNS would answer for the seeded destinations: the SQS endpoint name resolves to the
    seeded SQS address; the IPv6-capable host has an AAAA record, the IPv4-only host none."""

    def __init__(self, seeded: Seeded) -> None:
        self.seeded = seeded
        self.asked: list[str] = []

    def addresses(self, name: str) -> list[str]:
        self.asked.append(name)
        service = name.split(".")[0]
        return [a for a, s in self.seeded.services_by_address.items() if s == service]

    def has_ipv6(self, address: str) -> bool | None:
        return self.seeded.has_ipv6.get(address)


def cli(emulator: Any, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, **emulator.env()}
    return subprocess.run(
        [sys.executable, "-m", "natless", "audit", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=TIMEOUT_S,
        check=False,
    )


def session(region: str) -> boto3.session.Session:
    return boto3.session.Session(
        aws_access_key_id="testing", aws_secret_access_key="testing", region_name=region
    )


@pytest.fixture
def emulator_env(emulator: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    for key, value in emulator.env().items():
        monkeypatch.setenv(key, value)


@dataclass(frozen=True)
class Account:
    seeded: Seeded
    expected: Expected


@pytest.fixture(scope="module")
def account(emulator: Any) -> Account:
    kw = emulator.client_kwargs()
    seeded = seed_account(kw, region=REGION)
    end = datetime.now(UTC) - timedelta(hours=1)
    expected = emit_traffic(kw, seeded, start=end - timedelta(hours=2), end=end)
    return Account(seeded, expected)


# --- an empty account --------------------------------------------------------------------------


def test_region_with_nothing_to_audit() -> None:
    # An emulator of its own: this worker's shared one may hold the seeded accounts already.
    with Emulator.start() as empty:
        done = cli(empty, "--json", "--region", MIGRATION_REGION)
        assert done.returncode == 0, done.stderr
        doc = json.loads(done.stdout)
        # moto gives every region a default VPC; nothing in it pays for NAT
        assert [v["nat_gateways"] for v in doc["vpcs"]] == [[]]
        assert all(v["steps"] == [] for v in doc["vpcs"])
        assert doc["before_usd_month"] == doc["after_usd_month"] == "0.00"
        assert doc["problems"] == []
        text = cli(empty, "--region", MIGRATION_REGION)
        assert text.returncode == 0 and "no step with a known saving" in text.stdout


# --- the seeded account ------------------------------------------------------------------------


def test_cli_json_reports_the_seeded_figures(emulator: Any, account: Account) -> None:
    seeded, expected = account.seeded, account.expected
    done = cli(emulator, "--json", "--region", REGION, "--vpc", seeded.vpc_id)
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    assert "[1/2] read the account" in done.stderr  # progress goes to stderr
    doc = json.loads(done.stdout)
    (vpc,) = doc["vpcs"]
    assert vpc["vpc_id"] == seeded.vpc_id
    assert {n["id"]: n["bytes_window"] for n in vpc["nat_gateways"]} == expected.nat_bytes
    assert vpc["nat_bytes_window"] == sum(expected.nat_bytes.values())
    assert {d["address"]: d["bytes_window"] for d in vpc["destinations"]} == (
        expected.bytes_by_remote
    )
    assert vpc["unclassified_bytes_window"] == 0
    # without DNS, SQS (an AMAZON range) is an AWS service without IPv6, conservatively, and
    # both hosts are IPv4-only internet (IPv6 unknown)
    by_dest = expected.bytes_by_destination
    classes = {t["class"]: t["bytes_window"] for t in vpc["traffic"]}
    assert classes == {
        "s3": by_dest["s3"],
        "dynamodb": by_dest["dynamodb"],
        "aws_ipv6": 0,
        "aws_ipv4_only": by_dest["sqs"],
        "internet_ipv6": 0,
        "internet_ipv4_only": by_dest["ipv4_host"] + by_dest["ipv6_host"],
    }
    assert [f["name"] for f in vpc["functions"]] == sorted(seeded.functions)
    runtimes = {f["name"]: f["runtime"] for f in vpc["functions"]}
    assert runtimes == {n: f.runtime for n, f in seeded.functions.items()}
    first = vpc["steps"][0]
    assert first["key"] == "gateway-endpoints"
    assert first["inputs"]["route_table_ids"] == sorted(seeded.private_route_table_ids)
    prices = load_prices(REGION)
    fixed = nat_gateway_monthly(prices) + public_ipv4_monthly(prices)
    assert vpc["nat_fixed_usd_month"] == usd(2 * fixed)
    gb = Decimal(sum(expected.nat_bytes.values())) / 2**30 * 730 / (14 * 24)
    assert vpc["nat_processing_usd_month"] == usd(gb * prices.nat_gateway_gb)
    assert any("on an emulator" in line for line in doc["context"])
    assert doc["problems"] == []


def test_cli_text_report(emulator: Any, account: Account) -> None:
    done = cli(emulator, "--region", REGION, "--vpc", account.seeded.vpc_id)
    assert done.returncode == 0, done.stderr
    for head in ("NAT gateways", "Where NAT traffic goes", "Functions", "Migration plan"):
        assert f"\n{head}" in done.stdout
    assert f"{sum(account.expected.nat_bytes.values()):,}" in done.stdout
    print(f"\n$ natless audit --region {REGION} --vpc {account.seeded.vpc_id}\n{done.stdout}")


def test_resolve_gives_the_true_classes(emulator_env: None, account: Account) -> None:
    seeded, expected = account.seeded, account.expected
    resolver = SeededResolver(seeded)
    audit = run_audit(session(REGION), vpc_id=seeded.vpc_id, resolver=resolver)
    (vpc,) = audit.vpcs
    assert vpc.traffic is not None
    assert {t.traffic_class: t.bytes_window for t in vpc.traffic} == expected.bytes_by_class
    assert f"sqs.{REGION}.amazonaws.com" in resolver.asked
    labels = {d.address: (d.label, d.traffic_class) for d in vpc.destinations}
    sqs = seeded.destinations["sqs"].ipv4
    assert labels[sqs] == ("SQS", "aws_ipv6")
    keys = [s.key for s in vpc.steps]
    assert keys[:2] == ["gateway-endpoints", "dual-stack"]
    dual = vpc.steps[1]
    assert f"move functions {DUALSTACK_FUNCTION}, {IPV4_API_FUNCTION}" in dual.title
    assert set(dual.inputs["nat_gateway_ids"].values()) == set(seeded.nat_gateway_ids)
    sdk = {f.name: f.sdk[0] for f in vpc.functions}
    assert "use_dualstack_endpoint=True" in sdk[DUALSTACK_FUNCTION]  # python3.12
    assert "useDualstackEndpoint: true" in sdk[IPV4_API_FUNCTION]  # nodejs20.x


# --- bad input -----------------------------------------------------------------------------------


def test_unknown_vpc_is_refused(emulator: Any, account: Account) -> None:
    done = cli(emulator, "--region", REGION, "--vpc", "vpc-0000000000deadbee")
    assert done.returncode == 2
    last = done.stderr.splitlines()[-1]  # after the progress lines
    assert last.startswith(f"natless: error: VPC vpc-0000000000deadbee not found in {REGION}")
    assert "Traceback" not in done.stderr and done.stdout == ""


@pytest.mark.parametrize("days", ["0", "456", "two"])
def test_window_out_of_bounds_is_refused(emulator: Any, days: str) -> None:
    done = cli(emulator, "--region", REGION, "--window-days", days)
    assert done.returncode == 2
    assert "--window-days" in done.stderr and "Traceback" not in done.stderr


def test_vpc_without_flow_logs_says_how_to_turn_them_on(emulator: Any, account: Account) -> None:
    ec2 = boto3.client("ec2", **{**emulator.client_kwargs(), "region_name": REGION})
    vpc_id = ec2.create_vpc(CidrBlock="10.9.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc_id, CidrBlock="10.9.0.0/24")["Subnet"]["SubnetId"]
    allocation = ec2.allocate_address(Domain="vpc")["AllocationId"]
    nat = ec2.create_nat_gateway(SubnetId=subnet, AllocationId=allocation)["NatGateway"]
    done = cli(emulator, "--json", "--region", REGION, "--vpc", vpc_id)
    assert done.returncode == 0, done.stderr
    (vpc,) = json.loads(done.stdout)["vpcs"]
    assert [n["id"] for n in vpc["nat_gateways"]] == [nat["NatGatewayId"]]
    assert vpc["traffic"] is None and vpc["steps"] == []
    assert vpc["flow_logs"] == "the VPC has no flow logs"
    (note,) = vpc["notes"]
    assert "cannot classify the NAT traffic" in note
    assert f"aws ec2 create-flow-logs --region {REGION} --resource-type VPC --resource-ids " in note
    assert vpc_id in note


# --- the migration ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Migration:
    seeded: Seeded
    # before, after the endpoints, after the dual-stack move, after the NAT removal
    windows: tuple[Expected, Expected, Expected, Expected]
    audits: tuple[AuditPlan, AuditPlan, AuditPlan, AuditPlan]
    endpoint_step: Step
    dual_step: Step
    nat_step: Step
    routes_after_apply: dict[str, list[str]]  # private route table -> its prefix-list routes


def _prefix_list_routes(ec2: Any, table_ids: tuple[str, ...]) -> dict[str, list[str]]:
    found = ec2.describe_route_tables(RouteTableIds=list(table_ids))["RouteTables"]
    return {
        t["RouteTableId"]: sorted(
            r["DestinationPrefixListId"] for r in t["Routes"] if r.get("DestinationPrefixListId")
        )
        for t in found
    }


@pytest.fixture(scope="module")
def migration(emulator: Any) -> Iterator[Migration]:
    """The plan's steps in order, each the way the plan says, each followed by a new window of
    the same workload and an audit of it: the endpoints and the dual-stack subnets with natless's
    modules (one stack, applied again with more inputs), the functions moved with the Lambda API,
    the NAT retired through the subnets' nat_gateway_ids and deleted with the EC2 API."""
    kw = {**emulator.client_kwargs(), "region_name": MIGRATION_REGION}
    ec2, lam = boto3.client("ec2", **kw), boto3.client("lambda", **kw)
    seeded = seed_account(emulator.client_kwargs(), region=MIGRATION_REGION)
    now = datetime.now(UTC)
    # Four disjoint 2-hour windows, each audited over one day that holds it and no other:
    # the audits scale the same way, so their monthly figures compare directly.
    starts = tuple(now - timedelta(days=days) for days in (7, 5, 3, 1))

    def window(i: int) -> Expected:
        return emit_traffic(kw, seeded, start=starts[i], end=starts[i] + timedelta(hours=2))

    def audit(i: int) -> AuditPlan:
        with pytest.MonkeyPatch.context() as env:
            for key, value in emulator.env().items():
                env.setenv(key, value)
            return run_audit(
                session(MIGRATION_REGION),
                vpc_id=seeded.vpc_id,
                window_days=1,
                now=starts[i] + timedelta(days=1),
                resolver=SeededResolver(seeded),
            )

    first = window(0)
    before = audit(0)
    steps = {s.key: s for s in before.vpcs[0].steps}
    assert list(steps)[:2] == ["gateway-endpoints", "dual-stack"], list(steps)
    endpoint_step, dual_step = steps["gateway-endpoints"], steps["dual-stack"]
    nat_step = next(s for k, s in steps.items() if k.startswith("nat-remove:"))
    assert dual_step.module == nat_step.module == "modules/dual-stack-subnets"
    inputs = {
        "vpc_id": endpoint_step.inputs["vpc_id"],
        "gateway_services": list(endpoint_step.inputs["gateway_services"]),
        "route_table_ids": list(endpoint_step.inputs["route_table_ids"]),
    }
    with Stack.create(FIXTURE, emulator.redirect(MIGRATION_REGION)) as stack:
        stack.apply(inputs)  # 1. the gateway endpoints
        routes = _prefix_list_routes(ec2, seeded.private_route_table_ids)
        second = window(1)
        after_endpoints = audit(1)
        # 2. the dual-stack subnets; the functions' group lets HTTPS out over IPv6; each
        # function moves there with IPv6 allowed
        inputs |= {k: dual_step.inputs[k] for k in ("subnets", "nat_gateway_ids")}
        stack.apply(inputs)
        https = {"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443}
        ec2.authorize_security_group_egress(
            GroupId=seeded.security_group_id,
            IpPermissions=[{**https, "Ipv6Ranges": [{"CidrIpv6": "::/0"}]}],
        )
        subnet_ids = stack.outputs()["subnet_ids"]
        for name in seeded.functions:
            config = lam.get_function_configuration(FunctionName=name)["VpcConfig"]
            lam.update_function_configuration(
                FunctionName=name,
                VpcConfig={
                    "SubnetIds": subnet_ids,
                    "SecurityGroupIds": config["SecurityGroupIds"],
                    "Ipv6AllowedForDualStack": True,
                },
            )
        third = window(2)
        after_dual = audit(2)
        # 3. the NAT step: the new subnets' AZ uses the kept NAT, then the NAT goes
        removed = nat_step.key.removeprefix("nat-remove:")
        inputs["nat_gateway_ids"] = {
            **inputs["nat_gateway_ids"],
            **nat_step.inputs["nat_gateway_ids"],
        }
        stack.apply(inputs)
        ec2.delete_nat_gateway(NatGatewayId=removed)
        fourth = window(3)
        after_nat = audit(3)
    audits = (before, after_endpoints, after_dual, after_nat)
    labels = ("before", "after gateway endpoints", "after the dual-stack move", "after NAT removal")
    print(
        "\naudit migration (1-day windows, USD/month): "
        + "; ".join(
            f"{label}: now {usd(a.vpcs[0].before_usd)}, after its plan {usd(a.vpcs[0].after_usd)}"
            for label, a in zip(labels, audits, strict=True)
        )
    )
    print(f"claimed: endpoints save USD {usd(endpoint_step.saving_usd)}, the dual-stack move USD "
          f"{usd(dual_step.saving_usd)}, NAT removal USD {usd(nat_step.saving_usd)} (net of USD "
          f"{usd(nat_step.adds_usd)} inter-AZ)")  # fmt: skip
    print(render(before))
    yield Migration(
        seeded,
        (first, second, third, fourth),
        audits,
        endpoint_step,
        dual_step,
        nat_step,
        routes,
    )


def same(a: Decimal, b: Decimal) -> bool:
    return abs(a - b) <= Decimal("1e-20")


def test_module_applied_the_plans_route_tables(migration: Migration) -> None:
    pl = migration.seeded.prefix_list_ids
    assert migration.routes_after_apply == {
        t: sorted([pl["s3"], pl["dynamodb"]]) for t in migration.seeded.private_route_table_ids
    }


def test_endpoint_saving_shows_up_as_removed_nat_bytes(migration: Migration) -> None:
    (first, second, _, _), (before, after, _, _) = migration.windows, migration.audits
    moved = first.bytes_by_class["s3"] + first.bytes_by_class["dynamodb"]
    b, a = before.vpcs[0], after.vpcs[0]
    assert b.nat_bytes_window == sum(first.nat_bytes.values())
    assert a.nat_bytes_window == sum(second.nat_bytes.values()) == b.nat_bytes_window - moved
    assert a.traffic is not None
    by_class = {t.traffic_class: t.bytes_window for t in a.traffic}
    assert by_class["s3"] == by_class["dynamodb"] == 0
    assert "gateway-endpoints" not in [s.key for s in a.steps]
    # what the step claimed is what the NAT bill lost
    assert same(a.before_usd, b.before_usd - migration.endpoint_step.saving_usd)


def test_dual_stack_saving_shows_up_as_removed_nat_bytes(migration: Migration) -> None:
    (_, second, third, _), (_, after, moved, _) = migration.windows, migration.audits
    ipv6 = second.bytes_by_class["aws_ipv6"] + second.bytes_by_class["internet_ipv6"]
    assert ipv6 > 0
    a, m = after.vpcs[0], moved.vpcs[0]
    assert m.nat_bytes_window == sum(third.nat_bytes.values()) == a.nat_bytes_window - ipv6
    assert m.traffic is not None
    by_class = {t.traffic_class: t.bytes_window for t in m.traffic}
    assert by_class["aws_ipv6"] == by_class["internet_ipv6"] == 0
    assert all(f.ipv6_ready for f in m.functions), m.functions
    assert "dual-stack" not in [s.key for s in m.steps]
    assert same(m.before_usd, a.before_usd - migration.dual_step.saving_usd)


def test_nat_removal_shows_up_as_a_removed_nat_gateway(migration: Migration) -> None:
    (_, _, third, fourth), (_, _, moved, last) = migration.windows, migration.audits
    removed = migration.nat_step.key.removeprefix("nat-remove:")
    assert removed not in [n.id for n in last.vpcs[0].nats]
    assert len(last.vpcs[0].nats) == len(moved.vpcs[0].nats) - 1
    assert last.vpcs[0].nat_bytes_window == sum(fourth.nat_bytes.values())
    assert sum(fourth.nat_bytes.values()) == sum(third.nat_bytes.values())  # same bytes, one NAT
    removed_fixed = next(n.fixed_usd for n in moved.vpcs[0].nats if n.id == removed)
    assert same(last.vpcs[0].before_usd, moved.vpcs[0].before_usd - removed_fixed)
    # the net claim also paid inter-AZ transfer, which no NAT metric shows
    assert same(migration.nat_step.saving_usd + migration.nat_step.adds_usd, removed_fixed)
