"""`natless cost` on real plans: the examples and the network fixture, planned on the emulator.

The examples are planned by the real :func:`natless.demo.plan_example_json` (it starts its
own emulator, builds the Lambda packages and plans; 15-25 s each). :func:`planned` keeps each
plan for the module, and the ``--example`` runs of the CLI get theirs from it too, so every
(example, variables) is planned once here. Figures are us-east-1 list prices at 730 h/month.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Any

import pytest

from natless import demo
from natless.cli import main
from natless.cost.model import Endpoint, Estimate, estimate
from natless.cost.money import usd
from natless.cost.plan.read import PlanSummary, summarize_plan
from natless.cost.pricing import load_prices
from natless.cost.services import load_catalog
from natless.deploy.stack import Stack
from natless.paths import ROOT

pytestmark = pytest.mark.plan

PlanJSON = dict[str, Any]
PlanExample = Callable[..., PlanJSON]

NETWORK = ROOT / "tests" / "fixtures" / "network"
IPV4_100 = {"internet_ipv4_only": Decimal(100)}
# `natless cost --example NAME --traffic internet_ipv4_only=100 [--compare]`: the patterns block
# (the same for both examples: the patterns depend on the AZs and the traffic, not on the plan)
PATTERNS_AT_100_GB = [
    "Patterns for the same traffic (2 AZs; interface endpoints for: xray, ssm; split: "
    "1,000,000 invocations/month x 100 ms x 128 MB x86_64; NAT instance: t4g.nano)",
    "  pattern              fixed  variable  total  cannot serve",
    "  egress-only           0.00      0.00   0.00  aws_ipv4_only, internet_ipv4_only*",
    "  nat-single           36.50      4.50  41.00  -",
    "  nat-per-az           73.00      4.50  77.50  -",
    "  nat-instance-single   6.72      0.00   6.72  -",
    "  nat-instance-per-az  13.43      0.00  13.43  -",
    "  interface-endpoints  29.20      0.00  29.20  internet_ipv4_only*",
    "  split                 0.00      0.41   0.41  aws_ipv4_only",
    "  * this traffic has volume: the pattern cannot run the workload",
    "  nat-instance-*: t4g.nano at USD 0.0042/h + a public IPv4 each, no per-GB processing "
    "charge; yours to run and patch, 0.032 Gbps baseline, bursts to 5 Gbps (`natless advise` "
    "states the trade-offs)",
    "",
    "Break-even (GB/month of one class where one pattern overtakes another)",
    "  none: among the patterns that carry this traffic, the order holds at every volume",
]


@pytest.fixture(scope="module")
def planned() -> Iterator[PlanExample]:
    """``plan_example_json`` planning each (example, variables) once for this module.

    It is also what ``natless cost --example`` calls while this module runs: the CLI prices the
    same real plan the other tests read, instead of planning it again.
    """
    real = demo.plan_example_json
    plans: dict[str, PlanJSON] = {}

    def plan_example_json(name: str, tf_vars: dict[str, Any] | None = None) -> PlanJSON:
        key = json.dumps([name, tf_vars], sort_keys=True)
        if key not in plans:
            plans[key] = real(name, tf_vars)
        return copy.deepcopy(plans[key])

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(demo, "plan_example_json", plan_example_json)
        yield plan_example_json


def summary_of(plan: PlanJSON) -> PlanSummary:
    return summarize_plan(plan, load_catalog())


def priced(plan: PlanJSON, traffic: dict[str, Decimal] | None = None) -> Estimate:
    summary = summary_of(plan)
    assert summary.azs is not None
    return estimate(
        summary.topology(summary.azs), traffic or {}, load_prices("us-east-1"), load_catalog()
    )


def fixed_items(est: Estimate) -> dict[str, tuple[int, int | None, str]]:
    return {i.label: (i.count, i.azs, usd(i.usd)) for i in est.fixed}


def patterns_block(out: str) -> list[str]:
    lines = out.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("Patterns for the same"))
    return lines[start:]


# ---------------------------------------------------------------------------------------------
# examples/egress-only
# ---------------------------------------------------------------------------------------------


def test_egress_only_two_azs_fixed_cost_is_zero(planned: PlanExample) -> None:
    plan = planned("egress-only")
    summary = summary_of(plan)
    assert (summary.region, summary.azs) == ("us-east-1", 2)
    assert (summary.nat_gateways, summary.public_ipv4, summary.egress_only_gateways) == (0, 0, 1)
    assert summary.gateway_endpoints == {"s3", "dynamodb"}
    assert summary.interface_endpoints == ()
    est = priced(plan)
    assert fixed_items(est) == {
        "gateway endpoint dynamodb": (1, None, "0.00"),
        "gateway endpoint s3": (1, None, "0.00"),
        "egress-only internet gateway": (1, None, "0.00"),
    }
    assert usd(est.fixed_usd) == "0.00"


def test_egress_only_cannot_carry_ipv4_only_internet_traffic(planned: PlanExample) -> None:
    est = priced(planned("egress-only"), IPV4_100)
    assert est.unreachable == ("internet_ipv4_only",)
    assert est.path_of("internet_ipv4_only") is None
    assert (usd(est.variable_usd), usd(est.total_usd)) == ("0.00", "0.00")


def test_cli_egress_only_exits_1_for_ipv4_only_internet_traffic(
    planned: PlanExample, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["cost", "--example", "egress-only", "--traffic", "internet_ipv4_only=100"]) == 1
    captured = capsys.readouterr()
    assert "Plan: example egress-only  (region us-east-1, 2 AZs, 730 h/month;" in captured.out
    assert re.search(r"internet_ipv4_only\s+100\s+UNREACHABLE\s+-\s+0\.00", captured.out)
    assert "Total  USD 0.00/month" in captured.out
    assert "UNREACHABLE: internet_ipv4_only has traffic and no way out" in captured.out
    assert patterns_block(captured.out) == PATTERNS_AT_100_GB  # --example compares by default
    assert captured.err == (
        "natless: this configuration cannot carry internet_ipv4_only (100 GB/month): "
        "the workload cannot run on it\n"
    )


# ---------------------------------------------------------------------------------------------
# examples/nat-gateway
# ---------------------------------------------------------------------------------------------


def test_nat_gateway_two_azs_one_nat_is_36_50(planned: PlanExample) -> None:
    plan = planned("nat-gateway")
    summary = summary_of(plan)
    assert (summary.region, summary.azs) == ("us-east-1", 2)
    assert (summary.nat_gateways, summary.elastic_ips, summary.public_ipv4) == (1, 1, 1)
    est = priced(plan)
    assert fixed_items(est) == {
        "NAT gateway": (1, None, "32.85"),
        "public IPv4 address": (1, None, "3.65"),
        "gateway endpoint dynamodb": (1, None, "0.00"),
        "gateway endpoint s3": (1, None, "0.00"),
        "egress-only internet gateway": (1, None, "0.00"),
    }
    assert usd(est.fixed_usd) == "36.50"


def test_nat_gateway_100_gb_ipv4_only_internet_is_4_50_more(planned: PlanExample) -> None:
    est = priced(planned("nat-gateway"), IPV4_100)
    assert est.unreachable == ()
    path = est.path_of("internet_ipv4_only")
    assert path is not None and path.describe() == "NAT gateway + internet DTO"
    assert usd(est.dto_usd) == "0.00"  # the first 100 GB/month are free
    assert (usd(est.fixed_usd), usd(est.variable_usd)) == ("36.50", "4.50")
    assert usd(est.total_usd) == "41.00"


def test_nat_gateway_three_azs_still_one_nat(planned: PlanExample) -> None:
    plan = planned("nat-gateway", {"az_count": 3})
    summary = summary_of(plan)
    assert (summary.azs, summary.nat_gateways, summary.public_ipv4) == (3, 1, 1)
    assert usd(priced(plan).fixed_usd) == "36.50"


def test_cli_nat_gateway_compare(planned: PlanExample, capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["cost", "--example", "nat-gateway", "--traffic", "internet_ipv4_only=100", "--compare"]
    assert main(argv) == 0
    captured = capsys.readouterr()
    out = captured.out
    assert "Plan: example nat-gateway  (region us-east-1, 2 AZs, 730 h/month;" in out
    assert re.search(r"\n  NAT gateway\s+1\s+32\.85\n", out)
    assert re.search(r"\n  public IPv4 address\s+1\s+3\.65\n", out)
    assert re.search(r"\n  fixed\s+36\.50\n", out)
    assert re.search(
        r"\n  internet_ipv4_only\s+100\s+NAT gateway \+ internet DTO\s+0\.045\s+4\.50\n", out
    )
    assert re.search(r"\n  variable\s+4\.50\n", out)
    assert "Total  USD 41.00/month" in out
    assert patterns_block(out) == PATTERNS_AT_100_GB
    assert captured.err == ""


# ---------------------------------------------------------------------------------------------
# Interface endpoints: their AZs counted from a real plan
# ---------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def sqs_endpoint_plans(emulator) -> dict[int, PlanJSON]:
    """tests/fixtures/network with one SQS interface endpoint, in 2 and in 3 AZs."""
    with Stack.create(NETWORK, emulator.redirect()) as network:
        return {
            azs: network.plan({"interface_services": ["sqs"], "az_count": azs}) for azs in (2, 3)
        }


def test_real_plans_leave_the_endpoint_subnets_unknown(
    sqs_endpoint_plans: dict[int, PlanJSON],
) -> None:
    """Why the width comes from the configuration: the plan knows neither the IDs nor how many."""
    [change] = [
        rc["change"]
        for rc in sqs_endpoint_plans[2]["resource_changes"]
        if rc["address"] == 'module.endpoints.aws_vpc_endpoint.interface["sqs"]'
    ]
    assert change["after"].get("subnet_ids") is None
    assert change["after_unknown"]["subnet_ids"] is True


@pytest.mark.parametrize(("azs", "monthly"), [(2, "14.60"), (3, "21.90")])
def test_sqs_interface_endpoint_per_az(
    sqs_endpoint_plans: dict[int, PlanJSON], azs: int, monthly: str
) -> None:
    plan = sqs_endpoint_plans[azs]
    summary = summary_of(plan)
    [endpoint] = summary.interface_endpoints
    assert (endpoint.service, endpoint.azs, endpoint.azs_from) == ("sqs", azs, "subnet_azs")
    assert summary.notes(azs) == []  # counted, not assumed
    # from the plan, not from the AZ count the caller passes for endpoints of unknown width
    assert summary.topology(azs + 1).interface_endpoints == (Endpoint("sqs", azs),)
    est = priced(plan)
    assert fixed_items(est)["interface endpoint sqs"] == (1, azs, monthly)  # AZs x 0.01 x 730
    assert usd(est.fixed_usd) == monthly  # no NAT: the fixture's nat_mode is "none"
