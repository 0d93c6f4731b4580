"""`natless routes`: the route matrix of deployed functions, with their security-group egress.

The table shows one cell per destination and function subnet (a gateway/endpoint ID, UNREACHABLE,
BLACK HOLE or UNKNOWN; "(SG blocks)" when the route allows it but no egress rule does), then one
line per explanation; ``--json`` carries the same as fields (kind, target, security_group, note).

``--observe`` also builds the lab (:mod:`natless.net.observe`, root only) and prints, under each
computed cell, what a real connection from the subnet did: the gateway that carried it, or that it
timed out; any disagreement is exit status 1, naming the cells.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import botocore.exceptions

from natless import aws
from natless.commands.argtypes import Seconds
from natless.deploy.outputs import read_outputs, require_function_names
from natless.errors import UserError
from natless.net.observe import (
    DEFAULT_TIMEOUT_S,
    LAB_DESTINATIONS,
    observation_json,
    observe,
    render_observed,
)
from natless.net.routes import DESTINATIONS, Reader, render, route_matrix

NAME = "routes"
HELP = (
    "show which way traffic to S3, DynamoDB, SQS and the internet leaves each function subnet, "
    "and whether the function's security groups let it out"
)
MAX_OBSERVE_TIMEOUT_S = 60.0


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
    parser.add_argument(
        "--observe",
        action="store_true",
        help="also connect from a packet-level replica of each function subnet (Linux network "
        "namespaces and nftables; root) and show which gateway carried each connection; exit 1 "
        "when an observation disagrees with the computed route",
    )
    parser.add_argument(
        "--observe-timeout",
        type=Seconds(MAX_OBSERVE_TIMEOUT_S),
        default=DEFAULT_TIMEOUT_S,
        help=f"seconds each observed connection may take (default {DEFAULT_TIMEOUT_S:g})",
    )


def run(args: argparse.Namespace) -> int:
    names = list(args.function)
    if args.tf_dir:
        names += list(require_function_names(read_outputs(args.tf_dir), args.tf_dir).values())
    names = list(dict.fromkeys(names))  # a function named by two outputs is shown once
    if not names:
        raise UserError("name the functions: --function NAME (repeatable) or --tf-dir DIR")
    sess = aws.session(args.region)
    ec2 = sess.client("ec2")
    reader = Reader(ec2, ec2.meta.region_name)
    destinations = LAB_DESTINATIONS if args.observe else DESTINATIONS
    try:
        matrix = route_matrix(ec2, sess.client("lambda"), names, destinations, reader)
        observation = observe(reader, matrix, args.observe_timeout) if args.observe else None
    except (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError) as exc:
        raise UserError(f"reading routes failed: {aws.explain(exc)}") from None
    if observation is None:
        print(json.dumps(matrix.as_json(), indent=2) if args.json else render(matrix))
        return 0
    if args.json:
        print(json.dumps(observation_json(matrix, observation), indent=2))
    else:
        print(render_observed(matrix, observation))
    return 1 if observation.disagreements(matrix) else 0
