"""Synthetic benchmark results: the JSON the bench function returns
(lambda_src/bench/handler.py), built from plain sample lists, so comparing and reporting need no
emulator or AWS; and a route matrix as `natless routes --json` writes it.
"""

from __future__ import annotations

import random
import statistics
from typing import Any

from natless.bench import compare as cmp

OPS = ("dynamodb_put", "dynamodb_query", "sqs_send", "s3_put", "s3_list", "http_get")


def bench_result(
    placement: str,
    samples: dict[str, list[float]],
    *,
    errors: dict[str, dict[str, int]] | None = None,
    family: str = "ipv6",
    address: str = "2600:1f18::10",
) -> dict[str, Any]:
    """The handler's result shape for the given per-operation samples (ms) and error codes."""
    errors = errors or {}
    operations = {}
    for name, values in samples.items():
        codes = errors.get(name, {})
        ordered = sorted(values)
        stats: dict[str, float | None] = dict.fromkeys(
            ("p50", "p90", "p99", "mean", "stdev", "min", "max")
        )
        if ordered:
            stats = {
                "p50": cmp.percentile(ordered, 50),
                "p90": cmp.percentile(ordered, 90),
                "p99": cmp.percentile(ordered, 99),
                "mean": statistics.fmean(ordered),
                "stdev": statistics.stdev(ordered) if len(ordered) > 1 else 0.0,
                "min": ordered[0],
                "max": ordered[-1],
            }
        operations[name] = {
            "count": len(values) + sum(codes.values()),
            "errors": sum(codes.values()),
            "error_codes": codes,
            **stats,
            "samples_ms": list(values),
        }
    iterations = max((op["count"] for op in operations.values()), default=0)
    services = {"dynamodb", "sqs", "s3", "http"}
    return {
        "ok": True,
        "placement": placement,
        "iterations": iterations,
        "url": "https://example.org/",
        "dualstack_services": ["sqs"],
        "ip_preference": "ipv6",
        "operations": operations,
        "total_ms": sum(sum(v) for v in samples.values()),
        "cold_start": False,
        "init_ms": 350.0,
        "runtime": {"python": "3.12.8"},
        "evidence": {
            s: {"host": f"{s}.example", "family": family, "address": address, "port": 443}
            for s in sorted(services)
        },
    }


def lognormal(seed: int, n: int, median: float, sigma: float) -> list[float]:
    """``n`` durations (ms) around ``median``, the same for the same ``seed``."""
    rng = random.Random(seed)
    return [round(median * rng.lognormvariate(0, sigma), 3) for _ in range(n)]


# A route matrix of two functions: one in a VPC subnet (IPv6 out, no IPv4), one outside a VPC.
ROUTES = {
    "columns": ["0.0.0.0/0", "::/0", "s3 prefix list"],
    "rows": [
        {
            "function": "natless-bench-vpc",
            "placement": "vpc",
            "subnet_id": "subnet-0abc",
            "az": "us-east-1a",
            "route_table_id": "rtb-0def",
            "cells": {
                "0.0.0.0/0": {"kind": "blackhole", "target": None},
                "::/0": {"kind": "egress-only-igw", "target": "eigw-0123"},
                "s3 prefix list": {"kind": "gateway-endpoint", "target": "vpce-0s3"},
            },
        },
        {
            "function": "natless-bench-public",
            "placement": "public",
            "subnet_id": None,
            "az": None,
            "route_table_id": None,
            "cells": {},
        },
    ],
}
