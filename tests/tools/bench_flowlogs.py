"""The streaming flow-log path's speed and memory: `make bench`.

    python -m tests.tools.bench_flowlogs [--records N ...] [--seed S]

For each size (default 100,000 and 1,000,000 records) it writes that many flow-log records in
AWS's default format (version 2) to a temporary file, then, in a fresh process pinned to one
CPU, streams the file through ``parse_records -> nat_bytes_by_remote -> breakdown`` (the
audit's streaming path, with the shipped ip-ranges snapshot) and prints:

- records per second and wall seconds, without tracemalloc (it slows Python down);
- peak memory of a second run: tracemalloc's peak of Python allocations, and ru_maxrss (the
  process's resident high-water mark, interpreter included);
- a check that the classified bytes equal the NAT-leg bytes the generator wrote.

The mix is what a NAT gateway's interface sees, plus the noise around it: the NAT's internet
legs both ways (to ~5,000 distinct remotes: S3, DynamoDB, other AWS, internet, some IPv6), the
inside legs (clients to the NAT and back), client-interface records that bypass the NAT,
REJECT and NODATA records. A fresh process per run keeps ru_maxrss per run.

It measures and prints; it asserts nothing about time. The issue's bar: 1,000,000 records
classified in under 10 s on one core.
"""

from __future__ import annotations

import argparse
import ipaddress
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

from natless.audit.flowlogs import (
    Classifier,
    ParseStats,
    breakdown,
    nat_bytes_by_remote,
    parse_records,
)
from natless.audit.ipranges import load_ip_ranges
from natless.console.table import aligned
from natless.cost.services import load_catalog

REGION = "us-east-1"
VPC_CIDR = "10.0.0.0/16"
NAT_IPS = ("10.0.0.220", "10.0.1.33")
CLIENTS = 200  # inside addresses (Lambda ENIs, instances)
BAR_RECORDS = 1_000_000
BAR_SECONDS = 10.0
MIB = 1024 * 1024


def _pick(rng: random.Random, network: str) -> str:
    net = ipaddress.ip_network(network)
    span = min(net.num_addresses, 1 << 32)
    return str(net.network_address + rng.randrange(span))


def remotes(rng: random.Random) -> tuple[list[str], dict[str, list[str]]]:
    """~5,000 distinct remote addresses and the prefix lists that make some of them S3 and
    DynamoDB (taken from the snapshot's S3/DYNAMODB ranges, as the managed lists hold)."""
    _, ranges = load_ip_ranges(REGION)
    by_service: dict[str, list[str]] = {}
    for cidr, service in ranges:
        by_service.setdefault(service, []).append(cidr)
    v4 = {s: [c for c in cs if ":" not in c] for s, cs in by_service.items()}
    v6 = [c for cs in by_service.values() for c in cs if ":" in c]
    prefix_lists = {"s3": v4["S3"], "dynamodb": v4["DYNAMODB"]}
    chosen: set[str] = set()

    def add(count: int, make) -> None:  # type: ignore[no-untyped-def]
        target = len(chosen) + count
        while len(chosen) < target:
            chosen.add(make())

    add(500, lambda: _pick(rng, rng.choice(v4["S3"])))
    add(250, lambda: _pick(rng, rng.choice(v4["DYNAMODB"])))
    add(1500, lambda: _pick(rng, rng.choice(v4["AMAZON"] + v4["EC2"])))
    add(
        2250,
        lambda: (
            f"{rng.choice((23, 45, 81, 104, 151, 185, 198))}.{rng.randrange(256)}."
            f"{rng.randrange(256)}.{rng.randrange(1, 255)}"
        ),
    )
    add(250, lambda: ipaddress.ip_address(_pick(rng, rng.choice(v6))).compressed)
    add(250, lambda: f"2001:db8:{rng.randrange(1 << 16):x}::{rng.randrange(1, 1 << 16):x}")
    return sorted(chosen), prefix_lists


def generate(path: Path, records: int, seed: int) -> dict[str, object]:
    """Write ``records`` lines; return the prefix lists and the NAT-leg bytes written."""
    rng = random.Random(seed)
    addresses, prefix_lists = remotes(rng)
    weights = [1.0 / (rank + 1) for rank in range(len(addresses))]  # a few heavy hitters
    picks = rng.choices(addresses, weights, k=records)
    clients = [f"10.0.{rng.randrange(2, 200)}.{rng.randrange(4, 250)}" for _ in range(CLIENTS)]
    head = "2 123456789012 eni-0a1b2c3d4e5f60718"
    nat_bytes = 0
    with path.open("w", encoding="utf-8") as out:
        out.write(
            "version account-id interface-id srcaddr dstaddr srcport dstport protocol "
            "packets bytes start end action log-status\n"
        )
        start = 1_787_400_000
        for n, remote in enumerate(picks):
            roll = rng.random()
            size = rng.randrange(40, 90_000)
            packets = size // 1000 + 1
            nat = NAT_IPS[n & 1]
            t = start + n // 50
            if roll < 0.40:  # NAT -> remote
                src, dst, action = nat, remote, "ACCEPT"
                nat_bytes += size
            elif roll < 0.60:  # remote -> NAT (responses)
                src, dst, action = remote, nat, "ACCEPT"
                nat_bytes += size
            elif roll < 0.85:  # inside legs: client <-> NAT
                client = clients[n % CLIENTS]
                src, dst, action = (
                    (client, nat, "ACCEPT") if roll < 0.73 else (nat, client, "ACCEPT")
                )
            elif roll < 0.95:  # a client's own interface (not the NAT's)
                src, dst, action = clients[n % CLIENTS], remote, "ACCEPT"
            elif roll < 0.97:
                src, dst, action = remote, nat, "REJECT"
            else:
                out.write(f"{head} - - - - - - - {t} {t + 60} - NODATA\n")
                continue
            out.write(
                f"{head} {src} {dst} {rng.randrange(1024, 65535)} 443 6 {packets} {size} "
                f"{t} {t + 60} {action} OK\n"
            )
    return {"prefix_lists": prefix_lists, "nat_bytes": nat_bytes, "remotes": len(addresses)}


def run_pipeline(path: Path, prefix_lists: dict[str, list[str]]) -> dict[str, object]:
    """The streaming path on one file; times its parts."""
    t0, c0 = time.perf_counter(), time.process_time()
    date, ranges = load_ip_ranges(REGION)
    classifier = Classifier(
        prefix_lists=prefix_lists, aws_ranges=ranges, catalog=load_catalog(), aws_ranges_date=date
    )
    t1, c1 = time.perf_counter(), time.process_time()
    stats = ParseStats()
    with path.open(encoding="utf-8") as lines:
        by_remote = nat_bytes_by_remote(parse_records(lines, stats), NAT_IPS, [VPC_CIDR])
    result = breakdown(by_remote, classifier)
    t2, c2 = time.perf_counter(), time.process_time()
    return {
        "setup_s": t1 - t0,
        "stream_s": t2 - t1,
        "wall_s": t2 - t0,
        "setup_cpu_s": c1 - c0,
        "cpu_s": c2 - c0,
        "lines": stats.lines,
        "records": stats.records,
        "skipped": stats.skipped,
        "rejected": stats.rejected,
        "malformed": stats.malformed,
        "remotes": len(by_remote),
        "classified_bytes": result.total_bytes,
        "bytes_by_class": result.bytes_by_class,
    }


def child(path: Path, meta: Path, memory: bool) -> None:
    """One measured run in this (fresh) process, on one CPU; prints a JSON line."""
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    prefix_lists = json.loads(meta.read_text("utf-8"))
    if memory:
        tracemalloc.start()
    figures = run_pipeline(path, prefix_lists)
    if memory:
        figures["tracemalloc_peak"] = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    figures["maxrss"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # KiB on Linux
    print(json.dumps(figures))


def measure(path: Path, meta: Path, memory: bool) -> dict[str, object]:
    command = [sys.executable, "-m", "tests.tools.bench_flowlogs", "--child", str(path)]
    command += ["--meta", str(meta)] + (["--memory"] if memory else [])
    out = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=int, nargs="+", default=[100_000, BAR_RECORDS])
    parser.add_argument("--seed", type=int, default=16)
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--meta", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--memory", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        child(args.child, args.meta, args.memory)
        return 0
    rows = []
    checks = []
    bar = None
    with tempfile.TemporaryDirectory(prefix="natless-bench-") as tmp:
        for count in args.records:
            path, meta = Path(tmp) / f"flows-{count}.log", Path(tmp) / f"meta-{count}.json"
            t = time.perf_counter()
            made = generate(path, count, args.seed)
            made_s = time.perf_counter() - t
            meta.write_text(json.dumps(made["prefix_lists"]), "utf-8")
            speed = measure(path, meta, memory=False)
            mem = measure(path, meta, memory=True)
            path.unlink()
            rows.append(
                [
                    f"{count:,}",
                    f"{count / speed['cpu_s']:,.0f}",
                    f"{speed['cpu_s']:.2f}",
                    f"{speed['wall_s']:.2f}",
                    f"{speed['setup_cpu_s']:.2f}",
                    f"{mem['tracemalloc_peak'] / MIB:.1f}",
                    f"{mem['maxrss'] / MIB:.1f}",
                ]
            )
            checks.append(
                f"{count:,} records: {speed['records']:,} NAT-interface flows parsed, "
                f"{speed['skipped']:,} header/NODATA skipped, {speed['rejected']:,} REJECT, "
                f"{speed['malformed']:,} malformed; {speed['remotes']:,} remotes of "
                f"{made['remotes']:,} generated; classified bytes {speed['classified_bytes']:,} "
                f"{'==' if speed['classified_bytes'] == made['nat_bytes'] else '!='} "
                f"NAT-leg bytes written {made['nat_bytes']:,} (file written in {made_s:.1f} s)"
            )
            if count == BAR_RECORDS:
                bar = (speed["cpu_s"], speed["wall_s"])
    header = [
        "records",
        "records/s",
        "CPU s",
        "wall s",
        "of it setup",
        "tracemalloc MiB",
        "maxrss MiB",
    ]
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print("Streaming flow-log path: parse_records -> nat_bytes_by_remote -> breakdown, one CPU")
    print("\n".join(aligned(header, rows, right=set(range(7)), indent="  ", rule="-")))
    for line in checks:
        print("  " + line)
    print("  records/s: per CPU second of the run (its CPU time; wall time also counts waiting")
    print(f"  for a CPU other processes hold: load average {load} on {os.cpu_count()} CPUs)")
    print("  setup: loading the ip-ranges snapshot and building the classifier, once per run")
    print("  tracemalloc: peak of Python allocations; maxrss: the process's resident peak")
    if bar is not None:
        verdict = "under" if max(bar) < BAR_SECONDS else "OVER"
        print(
            f"  bar: {BAR_RECORDS:,} records in {bar[0]:.2f} s CPU, {bar[1]:.2f} s wall: "
            f"{verdict} {BAR_SECONDS:.0f} s"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
