"""Plain-text tables of the cost model: a plan's estimate, the patterns compared, an advice."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal

from natless.console.table import aligned
from natless.cost.advise import Advice
from natless.cost.model import Estimate
from natless.cost.money import ZERO, plain, usd
from natless.cost.patterns import Comparison
from natless.cost.plan.read import PlanSummary
from natless.cost.pricing import RegionPrices, instance_sizes


def heading(source: str | None, region: str, azs: int, prices: RegionPrices) -> list[str]:
    what = f"Plan: {source}" if source else "Patterns"
    return [
        f"{what}  (region {region}, {azs} AZs, {plain(prices.hours_per_month)} h/month; "
        f"list prices as of {prices.as_of}, re-check before quoting)"
    ]


def plan_lines(summary: PlanSummary, est: Estimate, notes: Sequence[str]) -> list[str]:
    fixed_rows = [
        [i.label, str(i.count), "" if i.azs is None else str(i.azs), usd(i.usd)] for i in est.fixed
    ]
    fixed_rows.append(["fixed", "", "", usd(est.fixed_usd)])
    traffic_rows = [
        [
            c.traffic_class,
            plain(c.gb),
            c.path.describe() if c.path else "UNREACHABLE",
            plain(c.path.usd_per_gb) if c.path else "-",
            usd(c.usd),
        ]
        for c in est.classes
    ]
    traffic_rows.append(
        [
            "data transfer out",
            plain(est.internet_gb),
            f"internet classes, first {plain(est.dto_free_gb)} GB free, then tiers",
            "",
            usd(est.dto_usd),
        ]
    )
    traffic_rows.append(["variable", "", "", "", usd(est.variable_usd)])
    lines = ["", "Fixed cost"]
    lines += aligned(["item", "count", "AZs", "USD/month"], fixed_rows, {1, 2, 3}, indent="  ")
    lines += ["", "Traffic"]
    lines += aligned(
        ["class", "GB/month", "path", "USD/GB", "USD/month"], traffic_rows, {1, 3, 4}, indent="  "
    )
    lines += ["", f"Total  USD {usd(est.total_usd)}/month"]
    in_vpc = sum(f.in_vpc for f in summary.functions)
    ipv6 = sum(bool(f.ipv6_allowed) for f in summary.functions if f.in_vpc)
    lines.append(
        f"Lambda functions: {len(summary.functions)} ({in_vpc} in a VPC, {ipv6} of them with "
        "ipv6_allowed_for_dual_stack)"
        if summary.functions
        else "Lambda functions: none in this plan"
    )
    for traffic_class in est.unreachable:
        lines.append(
            f"UNREACHABLE: {traffic_class} has traffic and no way out in this configuration; "
            "the workload cannot run on it"
        )
    if notes:
        lines += ["Notes:", *(f"  - {note}" for note in notes)]
    return lines


def nat_instance_note(size_name: str, prices: RegionPrices | None) -> str:
    """One line on the nat-instance patterns: what their totals leave to the user."""
    size = instance_sizes()[size_name]
    price = f" at USD {plain(prices.instance_hour(size_name))}/h" if prices else ""
    note = (
        f"  nat-instance-*: {size_name}{price} + a public IPv4 each, no per-GB processing charge; "
        f"yours to run and patch, {plain(size.baseline_gbps)} Gbps baseline, bursts to "
        f"{plain(size.burst_gbps)} Gbps (`natless advise` states the trade-offs)"
    )
    if prices and size_name in prices.unconfirmed:
        note += f"; the {prices.region} price was not confirmed against its source: re-check it"
    return note


def comparison_lines(
    comparison: Comparison,
    traffic: Mapping[str, Decimal],
    prices: RegionPrices | None = None,
) -> list[str]:
    rows = []
    for name, est in comparison.estimates.items():
        blocked = [f"{c}*" if traffic.get(c, ZERO) > 0 else c for c in est.cannot_serve]
        rows.append(
            [
                name,
                usd(est.fixed_usd),
                usd(est.variable_usd),
                usd(est.total_usd),
                ", ".join(blocked) or "-",
            ]
        )
    lines = [
        "",
        f"Patterns for the same traffic ({comparison.azs} AZs; interface endpoints for: "
        f"{', '.join(comparison.services) or 'none'}; split: {comparison.split.describe()}; "
        f"NAT instance: {comparison.nat_instance_size})",
    ]
    lines += aligned(
        ["pattern", "fixed", "variable", "total", "cannot serve"], rows, {1, 2, 3}, indent="  "
    )
    if any(est.unreachable for est in comparison.estimates.values()):
        lines.append("  * this traffic has volume: the pattern cannot run the workload")
    lines.append(nat_instance_note(comparison.nat_instance_size, prices))
    lines += ["", "Break-even (GB/month of one class where one pattern overtakes another)"]
    crossings = [b for b in comparison.break_evens if b.gb is not None]
    lines += [f"  {b.first} vs {b.second}: {b.describe()}" for b in crossings] or [
        "  none: among the patterns that carry this traffic, the order holds at every volume"
    ]
    return lines


def advice_lines(advice: Advice) -> list[str]:
    chosen, runner_up = advice.recommended, advice.runner_up
    lines = [
        f"Recommendation: {chosen.title}  [{chosen.key}]",
        f"  USD {usd(chosen.estimate.total_usd)}/month "
        f"({advice.prices.region}, {advice.workload.azs} AZs; list prices as of "
        f"{advice.prices.as_of}, re-check before quoting)",
        "",
        "Why:",
        *(f"  - {reason}" for reason in advice.reasons),
        "",
        "Cost per month (USD)",
    ]
    rows = [
        [
            "recommended",
            chosen.key,
            usd(chosen.estimate.fixed_usd),
            usd(chosen.estimate.variable_usd),
            usd(chosen.estimate.total_usd),
        ]
    ]
    if runner_up is not None:
        rows.append(
            [
                "runner-up",
                runner_up.key,
                usd(runner_up.estimate.fixed_usd),
                usd(runner_up.estimate.variable_usd),
                usd(runner_up.estimate.total_usd),
            ]
        )
    lines += aligned(["", "option", "fixed", "variable", "total"], rows, {2, 3, 4}, indent="  ")
    if runner_up is None:
        lines.append("  (no other option reaches every destination under these constraints)")
    return lines
