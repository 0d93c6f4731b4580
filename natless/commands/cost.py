"""`natless cost`: monthly cost of a plan's egress pieces, and of the patterns side by side."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Mapping, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

from natless import paths
from natless.commands.argtypes import (
    comma_list,
    decimal_arg,
    name_arg,
    path_arg,
    path_text,
    whole_number,
)
from natless.cost import DEFAULT_AZS, Estimate, check_azs, estimate, lambda_usage
from natless.errors import UserError
from natless.money import ZERO, plain, usd
from natless.patterns import DEFAULT_ENDPOINT_SERVICES, Comparison, compare_patterns
from natless.planread import PlanSummary, check_plan, read_plan, summarize_plan
from natless.pricing import (
    ARCHITECTURES,
    DEFAULT_REGION,
    LambdaUsage,
    RegionPrices,
    known_regions,
    load_prices,
)
from natless.services import Catalog, load_catalog, parse_services
from natless.table import aligned
from natless.traffic import TRAFFIC_CLASSES, load_traffic_file, parse_traffic

NAME = "cost"
HELP = "monthly USD of a plan's NATs, IPv4 and endpoints for a traffic profile; patterns compared"
EPILOG = (
    "Exit status: 0 priced; 1 the plan has no way out for a traffic class that has volume "
    "(the workload cannot run on it); 2 bad input. Prices: natless/data/pricing.json (list "
    "prices with source and date; re-check before quoting)."
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.epilog = EPILOG
    source = parser.add_argument_group("what to price (one of)")
    source.add_argument(
        "plan",
        nargs="?",
        type=path_text,
        metavar="PLAN_JSON",
        help="`terraform show -json PLANFILE` output",
    )
    source.add_argument(
        "--example", type=name_arg, metavar="NAME", help="plan examples/NAME and price it"
    )
    parser.add_argument(
        "--region",
        help=f"price list region (default: the plan's aws provider region, else "
        f"{DEFAULT_REGION}); priced: {', '.join(known_regions())}",
    )
    parser.add_argument(
        "--traffic",
        action="append",
        type=comma_list,
        default=[],
        metavar="CLASS=GB,...",
        help=f"GB/month per class, repeatable; classes: {', '.join(TRAFFIC_CLASSES)}",
    )
    parser.add_argument(
        "--traffic-file",
        type=path_arg,
        metavar="FILE",
        help='JSON object {"CLASS": GB, ...}; --traffic entries override it',
    )
    parser.add_argument(
        "--compare",
        action="store_true",
        help="also price every pattern for the same traffic (always on with --example)",
    )
    parser.add_argument(
        "--azs",
        type=whole_number,
        help="AZ count for the patterns and for endpoints of unknown width "
        f"(default: the AZs of the plan's subnets, else {DEFAULT_AZS})",
    )
    parser.add_argument(
        "--services",
        type=comma_list,
        default=",".join(DEFAULT_ENDPOINT_SERVICES),
        metavar="LIST",
        help="services the interface-endpoints pattern gets one endpoint each for "
        "(default: %(default)s)",
    )
    split = parser.add_argument_group("the split pattern's extra public function")
    defaults = LambdaUsage()
    split.add_argument(
        "--invocations", type=whole_number, default=defaults.invocations, help="per month"
    )
    split.add_argument("--duration-ms", type=decimal_arg, default=defaults.duration_ms)
    split.add_argument("--memory-mb", type=whole_number, default=defaults.memory_mb)
    split.add_argument("--arch", choices=ARCHITECTURES, default=defaults.arch)
    parser.add_argument("--json", action="store_true", help="print JSON instead of tables")


_USAGE_FLAGS = {
    "invocations": "--invocations",
    "duration_ms": "--duration-ms",
    "memory_mb": "--memory-mb",
    "arch": "--arch",
}


def run(args: argparse.Namespace) -> int:
    # Every flag is checked before any work: --example plans with Terraform (20-30 s).
    _check_source(args)
    if args.region is not None:
        load_prices(args.region)  # an unknown region is a UserError listing the priced ones
    if args.azs is not None:
        check_azs(args.azs, args.region)
    traffic = _traffic(args)
    usage = lambda_usage(
        args.invocations, args.duration_ms, args.memory_mb, args.arch, _USAGE_FLAGS
    )
    catalog = load_catalog()
    services = _services(args.services, catalog)

    plan, source = _load_plan(args)
    summary = summarize_plan(plan, catalog) if plan is not None else None
    region = args.region or (summary.region if summary else None) or DEFAULT_REGION
    prices = load_prices(region)
    azs = args.azs if args.azs is not None else (summary.azs if summary else None)
    azs = azs if azs is not None else DEFAULT_AZS
    if args.azs is not None:
        check_azs(azs, region)  # the plan may name the region

    plan_estimate = None
    notes: list[str] = []
    if summary is not None:
        plan_estimate = estimate(summary.topology(azs), traffic, prices, catalog)
        notes = summary.notes(azs)
        if args.region and summary.region and args.region != summary.region:
            notes.append(f"the plan's provider region is {summary.region}; priced as {region}")
    comparison = None
    if args.compare or args.example:
        comparison = compare_patterns(azs, traffic, prices, catalog, services=services, split=usage)

    if args.json:
        doc: dict[str, Any] = {
            "source": source,
            "region": region,
            "azs": azs,
            "hours_per_month": plain(prices.hours_per_month),
            "prices_as_of": prices.as_of,
            "traffic_gb": {k: plain(v) for k, v in traffic.items()},
            "plan": None,
            "comparison": comparison.as_json() if comparison else None,
        }
        if summary is not None and plan_estimate is not None:
            doc["plan"] = {
                "pieces": summary.as_json(),
                **plan_estimate.as_json(),
                "notes": notes,
            }
        print(json.dumps(doc, indent=2))
    else:
        lines = _heading(source, region, azs, prices)
        if summary is not None and plan_estimate is not None:
            lines += plan_lines(summary, plan_estimate, notes)
        if comparison is not None:
            lines += comparison_lines(comparison, traffic)
        print("\n".join(lines))

    if plan_estimate is not None and plan_estimate.unreachable:
        gone = ", ".join(f"{c} ({plain(traffic[c])} GB/month)" for c in plan_estimate.unreachable)
        print(
            f"natless: this configuration cannot carry {gone}: the workload cannot run on it",
            file=sys.stderr,
        )
        return 1
    return 0


def _check_source(args: argparse.Namespace) -> None:
    """What to price is one of PLAN_JSON, --example NAME (an existing example), --compare."""
    if args.plan and args.example:
        raise UserError("give either PLAN_JSON or --example NAME, not both")
    if args.example:
        paths.example_dir(args.example)  # unknown: a UserError listing the examples
    elif not args.plan and not args.compare:
        raise UserError(
            "nothing to price: give PLAN_JSON (`terraform show -json PLANFILE > plan.json`), "
            "--example NAME, or --compare for the patterns alone"
        )


def _load_plan(args: argparse.Namespace) -> tuple[dict[str, Any] | None, str | None]:
    if args.example:
        return _plan_example(args.example), f"example {args.example}"
    if args.plan:
        return read_plan(Path(args.plan)), args.plan
    return None, None


def _services(spec: str, catalog: Catalog) -> tuple[str, ...]:
    try:
        return parse_services(spec, catalog)
    except UserError as exc:
        raise UserError(f"--services: {exc}") from None


def _plan_example(name: str) -> dict[str, Any]:
    from natless.clean import notice_left_behind  # lazy: only the Terraform path needs them
    from natless.stack import plan_example_json

    notice_left_behind()
    return check_plan(plan_example_json(name), f"the plan of example {name}")


def _traffic(args: argparse.Namespace) -> dict[str, Decimal]:
    traffic: dict[str, Decimal] = {}
    if args.traffic_file is not None:
        traffic.update(load_traffic_file(args.traffic_file))
    for spec in args.traffic:
        try:
            traffic.update(parse_traffic(spec))
        except UserError as exc:
            raise UserError(f"--traffic {spec!r}: {exc}") from None
    return traffic


# ---------------------------------------------------------------------------------------------
# Plain-text tables
# ---------------------------------------------------------------------------------------------


def _heading(source: str | None, region: str, azs: int, prices: RegionPrices) -> list[str]:
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


def comparison_lines(comparison: Comparison, traffic: Mapping[str, Decimal]) -> list[str]:
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
        f"{', '.join(comparison.services) or 'none'}; split: {comparison.split.describe()})",
    ]
    lines += aligned(
        ["pattern", "fixed", "variable", "total", "cannot serve"], rows, {1, 2, 3}, indent="  "
    )
    if any(est.unreachable for est in comparison.estimates.values()):
        lines.append("  * this traffic has volume: the pattern cannot run the workload")
    lines += ["", "Break-even (GB/month of one class where one pattern overtakes another)"]
    crossings = [b for b in comparison.break_evens if b.gb is not None]
    lines += [f"  {b.first} vs {b.second}: {b.describe()}" for b in crossings] or [
        "  none: among the patterns that carry this traffic, the order holds at every volume"
    ]
    return lines
