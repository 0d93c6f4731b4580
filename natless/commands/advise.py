"""`natless advise`: which egress pattern a workload needs, why, and what it costs a month."""

from __future__ import annotations

import argparse
import json
from typing import Any

from natless.commands.argtypes import comma_list, decimal_arg, path_arg, whole_number
from natless.cost import advise, render
from natless.cost.model import DEFAULT_AZS
from natless.cost.pricing import (
    ARCHITECTURES,
    DEFAULT_NAT_INSTANCE_SIZE,
    DEFAULT_REGION,
    instance_sizes,
    known_regions,
    load_prices,
)
from natless.cost.services import load_catalog
from natless.errors import UserError
from natless.jsonfile import read_json_file

NAME = "advise"
HELP = "recommend an egress pattern for the destinations a function needs, with reasons and cost"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    what = parser.add_argument_group("the workload (flags override --file)")
    what.add_argument(
        "--aws",
        type=comma_list,
        metavar="LIST",
        help="AWS services, each with optional GB/month: sqs,dynamodb=5,xray=0.5 "
        "(known: see natless/cost/data/services.json)",
    )
    what.add_argument(
        "--ipv6-api",
        nargs="?",
        type=decimal_arg,
        const="0",
        metavar="GB",
        help="the function calls an IPv6-capable public API (GB/month; 0 if no value)",
    )
    what.add_argument(
        "--ipv4-api",
        nargs="?",
        type=decimal_arg,
        const="0",
        metavar="GB",
        help="the function calls an IPv4-only public API (GB/month; 0 if no value)",
    )
    what.add_argument(
        "--private",
        type=comma_list,
        metavar="LIST",
        help="private VPC resources it needs, e.g. rds,elasticache",
    )
    what.add_argument(
        "--azs",
        type=whole_number,
        help=f"AZs (default {DEFAULT_AZS}; at most the region's AZ count)",
    )
    what.add_argument(
        "--region",
        help=f"price list region (default {DEFAULT_REGION}); priced: {', '.join(known_regions())}",
    )
    what.add_argument(
        "--ha",
        dest="high_availability",
        action="store_true",
        default=None,
        help="IPv4 egress must survive an AZ failure (rules out a single NAT gateway)",
    )
    what.add_argument(
        "--no-split",
        dest="split_allowed",
        action="store_const",
        const=False,
        default=None,
        help="the IPv4-only calls cannot be made by a function outside the VPC",
    )
    what.add_argument(
        "--nat-instance",
        dest="nat_instance_allowed",
        action="store_const",
        const=True,
        default=None,
        help="you would run and patch a NAT instance (e.g. fck-nat): it may be recommended "
        "(always priced)",
    )
    what.add_argument(
        "--nat-instance-size",
        metavar="SIZE",
        help=f"EC2 size of the NAT instance (default {DEFAULT_NAT_INSTANCE_SIZE}); priced: "
        f"{', '.join(instance_sizes())}",
    )
    split = parser.add_argument_group("the split pattern's extra public function")
    split.add_argument("--invocations", type=whole_number, help="per month (default 1,000,000)")
    split.add_argument("--duration-ms", type=decimal_arg, help="default 100")
    split.add_argument("--memory-mb", type=whole_number, help="default 128")
    split.add_argument("--arch", choices=ARCHITECTURES, help="default x86_64")
    parser.add_argument(
        "--file",
        type=path_arg,
        metavar="JSON",
        help=f"the workload as a JSON object with keys: {', '.join(advise.WORKLOAD_KEYS)}",
    )
    parser.add_argument("--json", action="store_true", help="print JSON instead of text")


_FLAG_KEYS = {
    "aws": "aws",
    "ipv6_api": "ipv6_api_gb",
    "ipv4_api": "ipv4_api_gb",
    "private": "private",
    "azs": "azs",
    "region": "region",
    "high_availability": "high_availability",
    "split_allowed": "split_allowed",
    "nat_instance_allowed": "nat_instance_allowed",
    "nat_instance_size": "nat_instance_size",
    "invocations": "invocations",
    "duration_ms": "duration_ms",
    "memory_mb": "memory_mb",
    "arch": "arch",
}


def _workload_doc(args: argparse.Namespace) -> dict[str, Any]:
    doc: dict[str, Any] = {}
    if args.file is not None:
        loaded = read_json_file(args.file, "workload file", decimals=True)
        if not isinstance(loaded, dict):
            raise UserError(
                f"workload file {args.file} must hold a JSON object with keys: "
                f"{', '.join(advise.WORKLOAD_KEYS)}"
            )
        doc.update(loaded)
    for attr, key in _FLAG_KEYS.items():
        value = getattr(args, attr)
        if value is not None:
            doc[key] = value
    return doc


def run(args: argparse.Namespace) -> int:
    doc = _workload_doc(args)
    if not any(k in doc for k in ("aws", "private", "ipv6_api_gb", "ipv4_api_gb")):
        raise UserError(
            "describe the workload: --aws LIST, --ipv6-api, --ipv4-api, --private LIST "
            "or --file JSON"
        )
    catalog = load_catalog()
    workload = advise.workload_from_mapping(doc, catalog)
    prices = load_prices(workload.region)
    advice = advise.advise(workload, prices, catalog)
    if args.json:
        print(json.dumps(advice.as_json(), indent=2))
        return 0
    print("\n".join(render.advice_lines(advice)))
    return 0
