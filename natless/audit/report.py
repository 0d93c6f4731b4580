"""The audit for people (terminal text) and for programs (JSON): the same figures either way.

Sections per VPC: NAT gateways, where NAT traffic goes, functions, the migration plan with the
totals before and after; then the calls that failed, and what the figures do and do not show.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from natless.audit.plan import AuditPlan, Step, VpcPlan
from natless.console.table import aligned
from natless.cost.money import plain, usd

INDENT = "  "

# What the figures cannot show, on any account.
LIMITS = (
    "a month is the window scaled by 730 h / (days x 24 h); GB = 2^30 bytes; list prices "
    "from natless/cost/data/pricing.json, not your bill (no discounts, credits or taxes)",
    "NAT processing is priced from CloudWatch's bytes; a step's saving from the flow-log bytes "
    "of the traffic it moves",
    "not in the savings: internet data transfer out (billed the same through a NAT or an "
    "egress-only gateway), the services' own request charges, traffic of anything but the "
    "NAT gateways",
    "flow logs name the remote address, not the function: the plan moves every function that "
    "uses a NAT, and their new subnets keep the NAT route for IPv4 until the last step",
)


def _gb(value: Decimal | None) -> str:
    return "?" if value is None else plain(round(value, 3))


def _bytes(value: int | None) -> str:
    return "?" if value is None else f"{value:,}"


def _ipv6(value: bool | None) -> str:
    return {True: "yes", False: "no", None: "unknown"}[value]


def _nat_lines(vpc: VpcPlan) -> list[str]:
    if not vpc.nats:
        return [f"{INDENT}none"]
    rows = [
        [
            n.id,
            n.az,
            _bytes(n.bytes_window),
            _gb(n.gb_month),
            usd(n.fixed_usd),
            "?" if n.processing_usd is None else usd(n.processing_usd),
        ]
        for n in vpc.nats
    ]
    rows.append(
        [
            "total",
            "",
            _bytes(vpc.nat_bytes_window),
            "",
            usd(vpc.nat_fixed_usd),
            usd(vpc.nat_processing_usd),
        ]
    )
    header = [
        "NAT gateway",
        "AZ",
        "bytes (window)",
        "GB/month",
        "fixed USD/mo",
        "processing USD/mo",
    ]
    return aligned(header, rows, right={2, 3, 4, 5}, indent=INDENT, rule="-")


def _traffic_lines(vpc: VpcPlan) -> list[str]:
    if vpc.traffic is None:
        return [f"{INDENT}not classified: {vpc.flow_logs}"]
    lines = [f"{INDENT}flow logs: {vpc.flow_logs}"] if vpc.flow_logs else []
    rows = [
        [
            t.traffic_class,
            _bytes(t.bytes_window),
            _gb(t.gb_month),
            usd(t.nat_usd),
            _ipv6(t.has_ipv6),
            t.way_out,
        ]
        for t in vpc.traffic
    ]
    header = ["class", "bytes (window)", "GB/month", "NAT USD/mo", "IPv6", "way out after the plan"]
    lines += aligned(header, rows, right={1, 2, 3}, indent=INDENT, rule="-")
    if vpc.unclassified_bytes_window:
        lines.append(f"{INDENT}unclassified: {vpc.unclassified_bytes_window:,} bytes")
    if vpc.destinations:
        lines.append("")
        rows = [
            [d.address, d.label, d.traffic_class, _ipv6(d.ipv6), _bytes(d.bytes_window), d.evidence]
            for d in vpc.destinations
        ]
        header = ["destination", "what", "class", "IPv6", "bytes (window)", "evidence"]
        lines += aligned(header, rows, right={4}, indent=INDENT, rule="-")
    return lines


def _function_lines(vpc: VpcPlan) -> list[str]:
    if not vpc.functions:
        return [f"{INDENT}no Lambda functions in this VPC"]
    rows = []
    for f in vpc.functions:
        first = [
            f.name,
            f.runtime or "image",
            "yes" if f.ipv6_allowed_for_dual_stack else "no",
            ", ".join(f.sg_ipv6_egress) or "none",
            "yes" if f.ipv6_ready else "no",
        ]
        for index, s in enumerate(f.subnets or [None]):
            own = first if index == 0 else [""] * len(first)
            if s is None:
                rows.append([*own, "none", "", "", ""])
                continue
            stack = "dual-stack" if s.dual_stack else "IPv4"
            rows.append([*own, s.id, s.az, stack, s.ipv4_default or "none"])
    header = [
        "function",
        "runtime",
        "ipv6_allowed",
        "SG IPv6 egress",
        "IPv6 ready",
        "subnets",
        "AZ",
        "stack",
        "0.0.0.0/0 to",
    ]
    lines = aligned(header, rows, indent=INDENT, rule="-")
    for f in vpc.functions:
        lines.append(f"{INDENT}{f.name} needs:")
        lines += [f"{INDENT}  - {line}" for line in f.sdk]
    return lines


def _inputs(step: Step) -> str:
    return ", ".join(f"{k} = {json.dumps(v)}" for k, v in step.inputs.items())


def _step_lines(steps: Sequence[Step]) -> list[str]:
    lines: list[str] = []
    for number, step in enumerate(steps, 1):
        lines.append(f"{INDENT}{number}. {step.title}")
        if step.module:
            lines.append(f"{INDENT}   module {step.module}: {_inputs(step)}")
        elif step.inputs:
            lines.append(f"{INDENT}   {_inputs(step)}")
        if step.adds_usd:
            lines.append(
                f"{INDENT}   adds USD {usd(step.adds_usd)}/month (in the net saving above)"
            )
        lines += [f"{INDENT}   - {e}" for e in step.evidence]
    return lines


def _vpc_lines(vpc: VpcPlan) -> list[str]:
    cidrs = ", ".join(vpc.ipv4_cidrs + vpc.ipv6_cidrs)
    lines = [f"VPC {vpc.vpc_id} ({cidrs})", "", "NAT gateways"]
    lines += _nat_lines(vpc)
    lines += ["", "Where NAT traffic goes"]
    lines += _traffic_lines(vpc)
    lines += ["", "Functions"]
    lines += _function_lines(vpc)
    lines += ["", "Migration plan (by saving, each step after the steps it needs)"]
    if vpc.steps:
        lines += _step_lines(vpc.steps)
    else:
        lines.append(f"{INDENT}no step with a known saving")
    alternatives = sum((s.saving_usd for s in vpc.steps if s.alternative), Decimal(0))
    lines.append(
        f"{INDENT}total: USD {usd(vpc.before_usd)}/month before, USD {usd(vpc.after_usd)}/month "
        f"after (saves USD {usd(vpc.before_usd - vpc.after_usd)})"
        + (
            f"; the alternatives marked 'or' save USD {usd(alternatives)} more"
            if alternatives
            else ""
        )
    )
    if vpc.notes:
        lines += ["", "Notes"]
        lines += [f"{INDENT}- {note}" for note in vpc.notes]
    return lines


def render(audit: AuditPlan) -> str:
    """The audit as terminal text."""
    lines = [
        f"natless audit: {audit.region}, {audit.window_days}-day window, prices as of "
        f"{audit.prices_as_of}",
    ]
    lines += [f"{k}: {v}" for k, v in audit.details.items()]
    if not audit.vpcs:
        lines += ["", "no VPC in this region: nothing pays for NAT here"]
    for vpc in audit.vpcs:
        lines += ["", *_vpc_lines(vpc)]
    if len(audit.vpcs) > 1:
        lines += [
            "",
            f"All VPCs: USD {usd(audit.before_usd)}/month before, USD {usd(audit.after_usd)}"
            "/month after",
        ]
    lines += ["", "Problems (calls that failed; the audit went on without them)"]
    if audit.problems:
        lines += [f"{INDENT}- {p.call}: {p.message}" for p in audit.problems]
    else:
        lines.append(f"{INDENT}none")
    lines += ["", "What the figures show and do not show"]
    lines += [f"{INDENT}- {c}" for c in (*audit.context, *LIMITS)]
    return "\n".join(lines)


def as_json(audit: AuditPlan) -> dict[str, Any]:
    doc = audit.as_json()
    doc["limits"] = list(LIMITS)
    return doc


def render_json(audit: AuditPlan) -> str:
    return json.dumps(as_json(audit), indent=2)
