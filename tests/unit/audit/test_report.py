"""natless.audit.report: the text sections and the JSON carry the plan's figures."""

from __future__ import annotations

import json
from decimal import Decimal

from natless.audit.inventory import Inventory, Problem
from natless.audit.plan import plan_audit
from natless.audit.report import LIMITS, render, render_json
from natless.cost.money import usd
from tests.unit.audit.test_plan import (
    CATALOG,
    FIXED,
    NAT_A,
    NAT_B,
    PL,
    PRICES,
    SPLIT,
    WINDOW,
    nat_usd,
    seeded_breakdown,
    vpc,
)


def audit(breakdown: object = "seeded", problems: tuple[Problem, ...] = (), vpcs=None):  # type: ignore[no-untyped-def]
    inventory = Inventory("us-east-1", WINDOW, vpcs or (vpc(),), {}, PL, problems)
    found = seeded_breakdown() if breakdown == "seeded" else breakdown
    return plan_audit(
        inventory,
        {"vpc-1": found},  # type: ignore[dict-item]
        PRICES,
        CATALOG,
        flow_logs={"vpc-1": "fl-1 in /flow, read by stream"} if found else {},
        context=["on an emulator (http://127.0.0.1:1): seeded figures"],
    )


def test_text_has_every_section_in_order() -> None:
    text = render(audit())
    heads = [
        "VPC vpc-1 (10.0.0.0/16)",
        "NAT gateways",
        "Where NAT traffic goes",
        "Functions",
        "Migration plan",
        "Problems",
        "What the figures show and do not show",
    ]
    places = [text.index(h) for h in heads]
    assert places == sorted(places)
    assert text.startswith("natless audit: us-east-1, 14-day window, prices as of ")


def test_text_figures_match_the_plan() -> None:
    a = audit()
    text = render(a)
    (v,) = a.vpcs
    # NAT table: bytes and money of each NAT and the total
    assert f"{NAT_A:,}" in text and f"{NAT_B:,}" in text and f"{NAT_A + NAT_B:,}" in text
    assert usd(FIXED) in text and usd(2 * FIXED) in text
    assert usd(nat_usd(NAT_A + NAT_B)) in text
    # classes: every class's bytes
    for count in SPLIT.values():
        assert f"{count:,}" in text
    # steps, numbered in plan order, and the totals
    for number, step in enumerate(v.steps, 1):
        assert f"  {number}. {step.title}" in text
    assert 'module modules/vpc-endpoints: vpc_id = "vpc-1"' in text
    assert 'route_table_ids = ["rtb-priv-a", "rtb-priv-b"]' in text
    assert (
        f"total: USD {usd(v.before_usd)}/month before, USD {usd(v.after_usd)}/month after "
        f"(saves USD {usd(v.before_usd - v.after_usd)})"
    ) in text
    alternative = next(s for s in v.steps if s.alternative)
    assert f"the alternatives marked 'or' save USD {usd(alternative.saving_usd)} more" in text
    # functions and their SDK lines
    assert "orders needs:" in text and "use_dualstack_endpoint=True" in text
    assert "remove AWS_USE_DUALSTACK_ENDPOINT=true" in text
    # what the figures are
    assert "on an emulator (http://127.0.0.1:1): seeded figures" in text
    assert all(limit in text for limit in LIMITS)


def test_no_flow_logs_text_names_the_gap_and_the_fix() -> None:
    text = render(audit(breakdown=None))
    assert "not classified: no flow logs of this VPC could be read" in text
    assert "aws ec2 create-flow-logs" in text
    assert "no step with a known saving" in text


def test_problems_are_listed_and_the_report_goes_on() -> None:
    problem = Problem("ec2:DescribeFlowLogs", "UnauthorizedOperation: not allowed")
    text = render(audit(problems=(problem,)))
    assert "  - ec2:DescribeFlowLogs: UnauthorizedOperation: not allowed" in text
    assert "Migration plan" in text


def test_empty_region() -> None:
    inventory = Inventory("us-east-1", WINDOW, (), {}, {})
    text = render(plan_audit(inventory, {}, PRICES, CATALOG))
    assert "no VPC in this region: nothing pays for NAT here" in text
    assert "Problems (calls that failed; the audit went on without them)\n  none" in text


def test_json_carries_the_same_figures() -> None:
    a = audit()
    doc = json.loads(render_json(a))
    (v,) = doc["vpcs"]
    assert doc["region"] == "us-east-1" and doc["window_days"] == WINDOW
    assert doc["gb"] == "2^30 bytes"
    assert v["nat_bytes_window"] == NAT_A + NAT_B
    assert {t["class"]: t["bytes_window"] for t in v["traffic"]} == SPLIT
    assert [s["key"] for s in v["steps"]] == [s.key for s in a.vpcs[0].steps]
    assert v["before_usd_month"] == usd(a.vpcs[0].before_usd)
    assert v["after_usd_month"] == usd(a.vpcs[0].after_usd)
    assert Decimal(v["before_usd_month"]) > Decimal(v["after_usd_month"])
    assert [f["name"] for f in v["functions"]] == ["orders", "rates"]
    assert doc["limits"] == list(LIMITS)
    assert doc["problems"] == []
