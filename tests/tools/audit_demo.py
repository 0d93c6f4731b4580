"""`natless audit` against a seeded account on the embedded emulator: `make audit-demo`.

    python -m tests.tools.audit_demo [--region REGION] [-- AUDIT_ARGS...]

Starts the emulator, seeds the account tests/support/audit_seed.py describes (a
terraform-aws-modules-style IPv4 VPC with a NAT gateway per AZ, two VPC functions, flow logs and
NAT metrics for a known workload: 40 GB to S3, 12 GB to DynamoDB, 4 GB to SQS, 6 GB to an
IPv4-only host, 2 GB to an IPv6-capable host, in a 2-hour window that ended an hour ago), runs
`natless audit --region REGION --vpc VPC` against it as a user would (a subprocess pointed at the
emulator by the environment) and stops the emulator, which holds every seeded resource.
The README's "Audit your account" output comes from this.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta

from natless.emulator import Emulator
from tests.support.audit_seed import emit_traffic, seed_account


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="audit_demo", description=__doc__.splitlines()[0])
    parser.add_argument("--region", default="eu-central-1", help="a priced region")
    parser.add_argument("audit_args", nargs="*", help="more `natless audit` arguments, after --")
    args = parser.parse_args(argv)
    with Emulator.start() as emu:
        kwargs = emu.client_kwargs()
        seeded = seed_account(kwargs, region=args.region)
        end = datetime.now(UTC) - timedelta(hours=1)
        emit_traffic(kwargs, seeded, start=end - timedelta(hours=2), end=end)
        command = ["audit", "--region", args.region, "--vpc", seeded.vpc_id, *args.audit_args]
        print(f"$ natless {' '.join(command)}", flush=True)
        done = subprocess.run(
            [sys.executable, "-m", "natless", *command], env={**os.environ, **emu.env()}
        )
    return done.returncode


if __name__ == "__main__":
    sys.exit(main())
