"""`natless compare`: VPC vs public benchmark results as a table, a report folder and a chart."""

from __future__ import annotations

import argparse
import ipaddress
import json
import sys
from datetime import UTC, datetime
from typing import Any

from natless import paths
from natless.bench.compare import compare
from natless.bench.report import check_routes, render_table, results_document, write_report
from natless.commands.argtypes import path_arg
from natless.jsonfile import read_json_file

NAME = "compare"
HELP = "compare a VPC and a public benchmark result: table, report.md, results.json, latency.png"
EPILOG = (
    "Each result is the JSON the bench function returns (one invocation). The verdict is about "
    "the VPC placement: same (95% CI of the median ratio within 0.95-1.05), slower, faster, or "
    "inconclusive; the CI is a bootstrap interval widened by the A/A noise (drift between "
    "call-order batches of each placement). Exit status: 0 compared; 2 bad input."
)
MODES = ("emulator", "aws")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.epilog = EPILOG
    parser.add_argument(
        "vpc", type=path_arg, metavar="VPC_RESULT.json", help="result of the function in the VPC"
    )
    parser.add_argument(
        "public",
        type=path_arg,
        metavar="PUBLIC_RESULT.json",
        help="result of the function outside any VPC",
    )
    parser.add_argument(
        "--out",
        type=path_arg,
        metavar="DIR",
        help="report folder (default: reports/<UTC timestamp YYYYmmddTHHMMSSZ>/)",
    )
    parser.add_argument(
        "--routes",
        type=path_arg,
        metavar="ROUTES_JSON",
        help="route matrix to include in the report",
    )
    parser.add_argument(
        "--mode",
        choices=MODES,
        help="where the results came from (default: emulator when every address in the "
        "evidence is a loopback address, else not stated)",
    )
    parser.add_argument(
        "--json", action="store_true", help="print the results JSON instead of the table"
    )


def run_id(now: datetime | None = None) -> str:
    return (now or datetime.now(UTC)).strftime("%Y%m%dT%H%M%SZ")


def guess_mode(*results: dict[str, Any]) -> str | None:
    """'emulator' when every recorded peer address is a loopback address; else None."""
    addresses = [
        seen.get("address")
        for result in results
        for seen in (result.get("evidence") or {}).values()
        if isinstance(seen, dict) and seen.get("address")
    ]
    if not addresses:
        return None
    try:
        loopback = all(ipaddress.ip_address(a).is_loopback for a in addresses)
    except ValueError:
        return None
    return "emulator" if loopback else None


def run(args: argparse.Namespace) -> int:
    vpc = read_json_file(args.vpc, "VPC result")
    public = read_json_file(args.public, "public result")
    routes = None
    if args.routes is not None:
        routes = check_routes(
            read_json_file(args.routes, "route matrix"), f"route matrix {args.routes}"
        )
    comparison = compare(vpc, public)  # checks both results

    now = datetime.now(UTC)
    rid = run_id(now)
    meta: dict[str, Any] = {"run_id": rid, "timestamp": now.isoformat(timespec="seconds")}
    mode = args.mode or guess_mode(vpc, public)
    if mode:
        meta["mode"] = mode
    meta["vpc_result"], meta["public_result"] = str(args.vpc), str(args.public)

    out_dir = args.out if args.out is not None else paths.REPORTS / rid
    written = write_report(out_dir, comparison, vpc, public, routes=routes, meta=meta)
    where = f"report: {written['report']} ({', '.join(p.name for p in written.values())})"
    if args.json:
        doc = results_document(comparison, vpc, public, routes=routes, meta=meta)
        print(json.dumps(doc, indent=2, default=str))
        print(where, file=sys.stderr)
        return 0
    print(render_table(comparison, mode=mode))
    print()
    print(where)
    return 0
