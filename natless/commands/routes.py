"""`natless routes`: the route matrix of deployed functions, with their security-group egress.

The table shows one cell per destination and function subnet (a gateway/endpoint ID, UNREACHABLE,
BLACK HOLE or UNKNOWN; "(SG blocks)" when the route allows it but no egress rule does), then one
line per explanation; ``--json`` carries the same as fields (kind, target, security_group, note).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import botocore.exceptions

from natless import aws
from natless.deploy.outputs import read_outputs, require_function_names
from natless.errors import UserError
from natless.net.routes import render, route_matrix

NAME = "routes"
HELP = (
    "show which way traffic to S3, DynamoDB, SQS and the internet leaves each function subnet, "
    "and whether the function's security groups let it out"
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--function", action="append", default=[], metavar="NAME", help="a function (repeatable)"
    )
    parser.add_argument(
        "--tf-dir",
        type=Path,
        help="an applied root module: take the functions from its outputs (function_names, "
        "function_name, *_function_name)",
    )
    parser.add_argument("--region", help="AWS region (default: AWS_REGION / profile)")
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")


def run(args: argparse.Namespace) -> int:
    names = list(args.function)
    if args.tf_dir:
        names += list(require_function_names(read_outputs(args.tf_dir), args.tf_dir).values())
    names = list(dict.fromkeys(names))  # a function named by two outputs is shown once
    if not names:
        raise UserError("name the functions: --function NAME (repeatable) or --tf-dir DIR")
    sess = aws.session(args.region)
    try:
        matrix = route_matrix(sess.client("ec2"), sess.client("lambda"), names)
    except (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError) as exc:
        raise UserError(f"reading routes failed: {aws.explain(exc)}") from None
    print(json.dumps(matrix.as_json(), indent=2) if args.json else render(matrix))
    return 0
