"""`natless demo`: deploy an example, check routes, run the pair, compare, destroy."""

from __future__ import annotations

import argparse

from natless import paths
from natless.bench.invoker import DEFAULT_ITERATIONS
from natless.commands.argtypes import IntBetween, Seconds
from natless.demo import LAB_MODES, Target, describe_reports, results_json, run_demo
from natless.errors import UserError

NAME = "demo"
HELP = "deploy an example, print its route matrix, run the Lambda pair, compare, clean up"
MAX_ITERATIONS = 10_000  # natless.demo.run_demo's limit too
# Destroy retries while AWS releases the VPC function's network interfaces, which can take
# tens of minutes; 20 attempts of up to an hour apart are far beyond that (and not forever).
MAX_DESTROY_ATTEMPTS = 20
MAX_DESTROY_WAIT_S = 3600.0


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--example", default="egress-only", help="examples/<NAME> to deploy (default egress-only)"
    )
    parser.add_argument(
        "--aws",
        action="store_true",
        help="deploy to a real AWS account (needs NATLESS_SANDBOX_ACCOUNT_ID = that account)",
    )
    parser.add_argument(
        "--endpoint-url",
        help="with --aws: an AWS-compatible endpoint instead of AWS (e.g. a `natless emulator`)",
    )
    parser.add_argument("--region", help="with --aws: the region (default AWS_REGION)")
    parser.add_argument(
        "--iterations",
        type=IntBetween(1, MAX_ITERATIONS),
        default=DEFAULT_ITERATIONS,
        help=f"calls per operation (default {DEFAULT_ITERATIONS}, as in the published benchmark "
        "the report compares with)",
    )
    parser.add_argument(
        "--destroy-attempts",
        type=IntBetween(1, MAX_DESTROY_ATTEMPTS),
        default=None,
        help="destroy attempts before giving up, 1 or more (default 4 in AWS, 1 on the emulator)",
    )
    parser.add_argument(
        "--destroy-wait",
        type=Seconds(MAX_DESTROY_WAIT_S),
        default=300.0,
        help="seconds between destroy attempts in AWS, 0 or more (network interfaces release "
        "slowly)",
    )
    parser.add_argument(
        "--lab",
        choices=LAB_MODES,
        default="auto",
        help="on the embedded emulator, run the pair inside the lab (network-namespace replicas "
        "of its subnets; root): auto (default) when this machine allows it, saying why not "
        "otherwise; on: required; off: never",
    )
    parser.add_argument("--json", action="store_true", help="print a JSON summary at the end")


def run(args: argparse.Namespace) -> int:
    paths.require_checkout("natless demo (it deploys examples/ with modules/ and lambda_src/)")
    if args.endpoint_url and not args.aws:
        raise UserError("--endpoint-url goes with --aws (the emulator run needs no endpoint)")
    in_aws = args.aws and not args.endpoint_url
    attempts = args.destroy_attempts if args.destroy_attempts is not None else (4 if in_aws else 1)
    target = Target(
        mode="aws" if args.aws else "emulator",
        endpoint_url=args.endpoint_url,
        region=args.region,
        destroy_attempts=attempts,
        destroy_wait_s=args.destroy_wait if in_aws else 0.0,
    )
    if args.aws and args.lab == "on":
        raise UserError("--lab on goes with the embedded emulator, not --aws")
    result = run_demo(args.example, target, iterations=args.iterations, lab=args.lab)
    print(describe_reports(result))
    if args.json:
        print(results_json(result))
    return 0
