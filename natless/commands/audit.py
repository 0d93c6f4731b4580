"""`natless audit`: what an account pays for NAT, where that traffic goes, and the plan to move it.

Read-only (natless/audit/data/iam-policy.json); the work is :func:`natless.audit.run.run_audit`.
"""

from __future__ import annotations

import argparse
import sys

from natless import aws
from natless.audit import collect as collecting
from natless.audit.report import render, render_json
from natless.audit.resolve import DNS_TIMEOUT_S, Resolver, SocketResolver
from natless.audit.run import DEFAULT_WINDOW_DAYS, run_audit
from natless.commands.argtypes import IntBetween, path_arg
from natless.console.progress import Progress

NAME = "audit"
HELP = "what this account pays for NAT gateways, where that traffic goes, and the plan to move it"
EPILOG = (
    "Read-only: Describe/Get/List calls and one Logs Insights query per VPC (the minimal IAM "
    "policy is natless/audit/data/iam-policy.json). Exit status: 0 a report (failed calls are "
    "listed in it); 2 bad input (unknown VPC, no region or credentials, unpriced region)."
)
# CloudWatch keeps daily metric points for 455 days: a longer window has nothing to read.
WINDOW_DAYS = (1, 455)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.epilog = EPILOG
    parser.add_argument("--region", help="AWS region (default: AWS_REGION / profile)")
    parser.add_argument("--vpc", metavar="ID", help="audit only this VPC (default: every VPC)")
    parser.add_argument("--json", action="store_true", help="print JSON instead of text")
    parser.add_argument(
        "--window-days",
        type=IntBetween(*WINDOW_DAYS),
        default=DEFAULT_WINDOW_DAYS,
        metavar="N",
        help=f"days of NAT metrics and flow logs to read, up to now, scaled to a month "
        f"({WINDOW_DAYS[0]}..{WINDOW_DAYS[1]}, CloudWatch's retention of daily points; "
        f"default {DEFAULT_WINDOW_DAYS})",
    )
    parser.add_argument(
        "--flow-logs",
        choices=collecting.METHODS,
        default="auto",
        help="how to read flow logs: one Logs Insights query (insights), every record "
        "(stream), or insights falling back to stream (auto, the default)",
    )
    parser.add_argument(
        "--ip-ranges",
        type=path_arg,
        metavar="PATH",
        help="AWS's ip-ranges.json (default: the dated snapshot natless ships)",
    )
    parser.add_argument(
        "--resolve",
        action="store_true",
        help="use DNS: A records of AWS service names in the region, PTR + AAAA of internet "
        f"addresses ({DNS_TIMEOUT_S:g} s per lookup)",
    )


def run(args: argparse.Namespace, resolver: Resolver | None = None) -> int:
    session = aws.session(args.region)
    own = None
    if args.resolve and resolver is None:
        resolver = own = SocketResolver()
    try:
        audit = run_audit(
            session,
            vpc_id=args.vpc,
            window_days=args.window_days,
            method=args.flow_logs,
            ip_ranges=args.ip_ranges,
            resolver=resolver if args.resolve else None,
            progress=Progress(3 if args.resolve else 2, sys.stderr),
        )
    finally:
        if own is not None:
            own.close()
    print(render_json(audit) if args.json else render(audit))
    return 0
