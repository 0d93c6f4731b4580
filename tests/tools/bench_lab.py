"""How long the lab takes to build and tear down: `python -m tests.tools.bench_lab` (root).

    python -m tests.tools.bench_lab [--example egress-only] [--repeat 5]

Starts the embedded emulator, applies the example once, then builds and tears down the lab for
its pair ``--repeat`` times (what `natless demo` builds: the VPC function's subnets and Lambda's
own network, with the resolver and the TLS front; the EC2 reads are timed apart from the build)
and runs one full observation (every cell probed, 1 s timeout). Prints each figure and the
median; the targets are 5 s to build and 2 s to tear down for egress-only (2 AZs). It measures;
it asserts nothing. Destroys the example at the end.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time

import boto3

from natless.console.table import aligned
from natless.deploy.outputs import function_names
from natless.deploy.stack import Stack
from natless.emulator import Emulator
from natless.errors import UserError
from natless.net.lab import Lab
from natless.net.observe import LAB_DESTINATIONS, observe, prepare
from natless.net.routes import Reader, route_matrix
from natless.paths import example_dir

BUILD_TARGET_S = 5.0
TEARDOWN_TARGET_S = 2.0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--example", default="egress-only")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args(argv)
    try:
        with Emulator.start() as emu:
            stack = Stack.create(example_dir(args.example), emu.redirect())
            try:
                started = time.monotonic()
                stack.apply({"name": f"bench-{args.example}"})
                print(f"{args.example}: applied in {time.monotonic() - started:.1f} s")
                names = function_names(stack.outputs())
                _bench(emu, [names["vpc"], names["public"]], args.repeat)
            finally:
                stack.close()
    except UserError as exc:
        print(f"bench_lab: {exc}", file=sys.stderr)
        return 2
    return 0


def _bench(emu: Emulator, functions: list[str], repeat: int) -> None:
    kw = emu.client_kwargs()
    ec2, lam = boto3.client("ec2", **kw), boto3.client("lambda", **kw)
    rows = []
    figures: dict[str, list[float]] = {"read": [], "build": [], "teardown": []}
    for attempt in range(1, repeat + 1):
        started = time.monotonic()
        reader = Reader(ec2, ec2.meta.region_name)
        matrix = route_matrix(ec2, lam, functions, LAB_DESTINATIONS, reader)
        plan = prepare(reader, matrix, managed=True).plan
        read_s = time.monotonic() - started
        with Lab.running(plan) as lab:
            pass
        assert lab.build_s is not None and lab.teardown_s is not None
        figures["read"].append(read_s)
        figures["build"].append(lab.build_s)
        figures["teardown"].append(lab.teardown_s)
        rows.append(
            [
                str(attempt),
                f"{read_s:.2f}",
                f"{lab.build_s:.2f}",
                f"{lab.teardown_s:.2f}",
                str(len(plan.nodes)),
                str(len(plan.links)),
            ]
        )
    header = ["run", "EC2 reads s", "build s", "teardown s", "namespaces", "veth pairs"]
    print("\n".join(aligned(header, rows, right=range(6), rule="-")))
    build, teardown = statistics.median(figures["build"]), statistics.median(figures["teardown"])
    print(
        f"median: build {build:.2f} s (target {BUILD_TARGET_S:g}), teardown {teardown:.2f} s "
        f"(target {TEARDOWN_TARGET_S:g}), EC2 reads {statistics.median(figures['read']):.2f} s"
    )
    reader = Reader(ec2, ec2.meta.region_name)
    matrix = route_matrix(ec2, lam, functions, LAB_DESTINATIONS, reader)
    started = time.monotonic()
    observation = observe(reader, matrix, timeout=1.0)
    print(
        f"one observation ({len(matrix.rows)} subnets x {len(matrix.destinations) + 1} "
        f"destinations, 1 s timeout): {time.monotonic() - started:.2f} s, "
        f"{len(observation.disagreements(matrix))} disagreements"
    )


if __name__ == "__main__":
    sys.exit(main())
