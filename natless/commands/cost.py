"""`natless cost`: monthly cost of a plan's egress pieces, and of the patterns side by side."""

from __future__ import annotations

import argparse
import json
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any

from natless import demo, paths
from natless.commands.argtypes import (
    comma_list,
    decimal_arg,
    name_arg,
    path_arg,
    path_text,
    whole_number,
)
from natless.cost import render
from natless.cost.model import DEFAULT_AZS, check_azs, estimate, lambda_usage
from natless.cost.money import plain
from natless.cost.patterns import DEFAULT_ENDPOINT_SERVICES, compare_patterns
from natless.cost.plan.read import check_plan, read_plan, summarize_plan
from natless.cost.pricing import (
    ARCHITECTURES,
    DEFAULT_NAT_INSTANCE_SIZE,
    DEFAULT_REGION,
    LambdaUsage,
    check_instance_size,
    instance_sizes,
    known_regions,
    load_prices,
)
from natless.cost.services import Catalog, load_catalog, parse_services
from natless.cost.traffic import TRAFFIC_CLASSES, load_traffic_file, parse_traffic
from natless.deploy.clean import notice_left_behind
from natless.errors import UserError

NAME = "cost"
HELP = "monthly USD of a plan's NATs, IPv4 and endpoints for a traffic profile; patterns compared"
EPILOG = (
    "Exit status: 0 priced; 1 the plan has no way out for a traffic class that has volume "
    "(the workload cannot run on it); 2 bad input. Prices: natless/cost/data/pricing.json (list "
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
    parser.add_argument(
        "--nat-instance-size",
        default=DEFAULT_NAT_INSTANCE_SIZE,
        metavar="SIZE",
        help="EC2 size of the nat-instance patterns (default: %(default)s); priced: "
        f"{', '.join(instance_sizes())}",
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
    size = check_instance_size(args.nat_instance_size.strip())
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
        comparison = compare_patterns(
            azs, traffic, prices, catalog, services=services, split=usage, nat_instance_size=size
        )

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
        lines = render.heading(source, region, azs, prices)
        if summary is not None and plan_estimate is not None:
            lines += render.plan_lines(summary, plan_estimate, notes)
        if comparison is not None:
            lines += render.comparison_lines(comparison, traffic, prices)
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
    notice_left_behind()
    return check_plan(demo.plan_example_json(name), f"the plan of example {name}")


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
