"""The report of one comparison: results.json, report.md, latency.png and routes.json.

Also the terminal table (:func:`render_table`) that `natless compare` prints.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from natless.bench.chart import latency_chart
from natless.bench.compare import (
    ARTICLE_TITLE,
    ARTICLE_URL,
    SAME_BAND,
    Comparison,
    article_view,
)
from natless.console.table import aligned
from natless.errors import UserError

RESULTS_FILE = "results.json"
REPORT_FILE = "report.md"
CHART_FILE = "latency.png"
ROUTES_FILE = "routes.json"

EMULATOR_NOTE = (
    "This run used the local AWS emulator, not AWS. It proves wiring and routing: whether each "
    "function reached each service, through which host and address family (network evidence "
    "below), and where the route tables send each destination. It does not measure AWS "
    "latency: every call went to a local process on this machine, so the timings describe the "
    "emulator and this computer, not Lambda, VPC networking or the AWS services."
)
LAB_NOTE = (
    "The functions ran in the lab: each inside a network-namespace replica of its subnet (the "
    "VPC function) or of Lambda's own network (the public one), resolving the region's real "
    "endpoint names through the lab's resolver and calling them over TLS with no endpoint "
    "override, so the SDK chose each name and address family itself, and the packets took "
    "the routes the route tables give (gateway endpoint, egress-only gateway, NAT) through "
    "the kernel (veth, nftables, conntrack) to a TLS front of the one local emulator. The "
    "paths below are what the lab saw. The timings add those kernel paths (microseconds) to "
    "the emulator's own time; they do not show AWS latency, Hyperplane ENIs or the services."
)
# On screen, under the table, when the timings come from a local stand-in for AWS.
LOCAL_CAVEATS = {
    "emulator": (
        "CAUTION: emulator run. Both placements called one local emulator process on this machine,",
        "so these ratios measure the harness and this computer, not AWS (routing is what it "
        "proves).",
    ),
    "lab": (
        "CAUTION: emulator run in the lab. Both placements called one local emulator process,",
        "each over its own kernel path (endpoint, egress-only gateway, NAT or Lambda's network);",
        "those paths cost microseconds, so the ratios still measure the harness, not AWS.",
    ),
    "endpoint": (
        "CAUTION: not AWS. Both placements called the same local endpoint, so these ratios",
        "measure that endpoint, the harness and this computer, not Lambda or VPC networking.",
    ),
}
VERDICT_RULE = (
    f"Ratio: median VPC / median public per call (above 1: slower inside the VPC). "
    f"95% CI: the percentile bootstrap interval of the ratio (sampling within these two runs, "
    f"*bootstrap CI*), widened by the A/A noise: how far the ratio moves between two runs by "
    f"drift alone, measured from call-order batches of each placement against interleaved "
    f"batches of the same calls. Verdict, from the widened interval: *same* if it lies within "
    f"[{SAME_BAND[0]:.2f}, {SAME_BAND[1]:.2f}], *slower* if it lies above 1, *faster* if below "
    f"1, otherwise *inconclusive* (the data cannot rule out a difference of more than 5%, or "
    f"the runs drift too much to tell)."
)
TABLE_HEADER = (
    "operation",
    "calls vpc/public",
    "errors vpc/public",
    "p50 vpc",
    "p50 public",
    "p90 vpc",
    "p90 public",
    "p99 vpc",
    "p99 public",
    "ratio",
    "95% CI",
    "A/A noise",
    "verdict",
)
RIGHT_ALIGNED = frozenset(range(1, 12))
BOOTSTRAP_HEADER = "bootstrap CI"  # report.md only: the interval before the A/A widening


# ---------------------------------------------------------------------------------------------
# Formatting
# ---------------------------------------------------------------------------------------------


def fmt_ms(value: float | None) -> str:
    """Milliseconds with about three significant digits; '-' for none."""
    if value is None:
        return "-"
    if value >= 100:
        return f"{value:.0f}"
    if value >= 10:
        return f"{value:.1f}"
    if value >= 1:
        return f"{value:.2f}"
    return f"{value:.3f}"


def fmt_ratio(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"


def fmt_ci(low: float | None, high: float | None) -> str:
    return "-" if low is None or high is None else f"{low:.3f}-{high:.3f}"


def fmt_noise(floor: float | None) -> str:
    """The A/A noise floor as a percentage: 1.042 -> '±4.2%'."""
    return "-" if floor is None else f"±{(floor - 1) * 100:.1f}%"


def table_rows(comparison: Comparison, *, bootstrap: bool = False) -> list[list[str]]:
    """The cells of the comparison table, one row per operation (header: TABLE_HEADER).

    ``bootstrap``: one more cell before the verdict, the bootstrap interval alone.
    """
    rows = []
    for op in comparison.operations:
        v, p = op.vpc, op.public
        low, high = op.run_ci_low, op.run_ci_high
        if low is None or high is None:  # a Comparison built without the A/A estimate
            low, high = op.ci_low, op.ci_high
        row = [
            op.operation,
            f"{v.calls}/{p.calls}",
            f"{v.errors}/{p.errors}",
            fmt_ms(v.p50),
            fmt_ms(p.p50),
            fmt_ms(v.p90),
            fmt_ms(p.p90),
            fmt_ms(v.p99),
            fmt_ms(p.p99),
            fmt_ratio(op.ratio),
            fmt_ci(low, high),
            fmt_noise(op.noise_floor),
        ]
        if bootstrap:
            row.append(fmt_ci(op.ci_low, op.ci_high))
        rows.append([*row, op.verdict])
    return rows


def local_caveat(mode: str | None) -> tuple[str, ...]:
    """The lines render_table adds when the timings do not come from AWS."""
    return LOCAL_CAVEATS.get(mode or "", ())


def render_table(comparison: Comparison, *, mode: str | None = None) -> str:
    """Aligned plain-text table for the terminal; times in ms.

    ``mode``: where the results came from ("emulator", "endpoint", "aws" or None); on the
    emulator or another local endpoint, a caveat under the table says what ratios measure.
    """
    lines = aligned(TABLE_HEADER, table_rows(comparison), RIGHT_ALIGNED)
    lines.append(
        "(times in ms; ratio = median VPC / median public; 95% CI = bootstrap widened by the "
        "A/A noise between runs; verdict about the VPC side)"
    )
    lines += [f"failed: {line}" for line in error_summary(comparison)]
    lines += local_caveat(mode)
    return "\n".join(lines)


def _text(value: Any) -> str:
    """Plain text for any JSON-like value: mappings as ``key: value, ...``, lists comma-joined."""
    if isinstance(value, Mapping):
        return ", ".join(f"{k}: {_text(v)}" for k, v in value.items()) or "-"
    if isinstance(value, list | tuple | set | frozenset):
        return ", ".join(_text(v) for v in value) or "-"
    return "-" if value is None or value == "" else str(value)


def _cell(value: Any) -> str:
    return _text(value).replace("|", "\\|").replace("\n", " ")


def markdown_table(
    header: Sequence[str], rows: Sequence[Sequence[Any]], right: frozenset[int] = frozenset()
) -> list[str]:
    align = ["---:" if i in right else "---" for i in range(len(header))]
    return [
        "| " + " | ".join(_cell(h) for h in header) + " |",
        "|" + "|".join(align) + "|",
        *("| " + " | ".join(_cell(c) for c in row) + " |" for row in rows),
    ]


# ---------------------------------------------------------------------------------------------
# Routes
# ---------------------------------------------------------------------------------------------


def check_routes(doc: Any, what: str = "the route matrix") -> dict[str, Any]:
    """A route matrix ``{"columns": [...], "rows": [{..., "cells": {...}}]}``; else UserError."""
    if not isinstance(doc, Mapping):
        raise UserError(f"{what} must be a JSON object with 'columns' and 'rows'")
    columns, rows = doc.get("columns"), doc.get("rows")
    if not isinstance(columns, list) or not all(isinstance(c, str) for c in columns):
        raise UserError(f"{what}: 'columns' must be a list of destination labels")
    if not isinstance(rows, list) or not all(
        isinstance(r, Mapping) and isinstance(r.get("cells", {}), Mapping) for r in rows
    ):
        raise UserError(f"{what}: 'rows' must be a list of objects, each with a 'cells' object")
    return dict(doc)


def _route_cell(cell: Any) -> str:
    if not isinstance(cell, Mapping):
        return "-" if cell is None else str(cell)
    kind, target = cell.get("kind"), cell.get("target")
    if kind and target:
        return f"{kind} ({target})"
    return str(kind or target or "-")


def route_lines(routes: Mapping[str, Any]) -> list[str]:
    columns = list(routes.get("columns", []))
    header = ["function", "placement", "subnet", "AZ", "route table", *columns]
    rows = [
        [
            row.get("function"),
            row.get("placement"),
            row.get("subnet_id"),
            row.get("az"),
            row.get("route_table_id"),
            *(_route_cell((row.get("cells") or {}).get(col)) for col in columns),
        ]
        for row in routes.get("rows", [])
    ]
    return markdown_table(header, rows)


# ---------------------------------------------------------------------------------------------
# report.md
# ---------------------------------------------------------------------------------------------


def _meta_lines(meta: Mapping[str, Any]) -> list[str]:
    lines = []
    for key, value in meta.items():
        if isinstance(value, Mapping) and value:  # e.g. functions: {vpc: ..., public: ...}
            lines.append(f"- **{key}**:")
            lines += [f"  - {_cell(k)}: {_cell(v)}" for k, v in value.items()]
        else:
            lines.append(f"- **{key}**: {_cell(value)}")
    return lines


def _run_line(label: str, result: Mapping[str, Any]) -> str:
    runtime = result.get("runtime")
    runtime = runtime if isinstance(runtime, Mapping) else {}
    runtime_text = ", ".join(f"{k} {_text(v)}" for k, v in runtime.items()) or "unknown runtime"
    cold = {True: "cold start", False: "warm"}.get(result.get("cold_start"), "start unknown")
    return (
        f"- **{label}**: {result.get('iterations', '?')} calls per operation, {cold}, "
        f"init {fmt_ms(result.get('init_ms'))} ms, whole invocation "
        f"{fmt_ms(result.get('total_ms'))} ms, {runtime_text}"
    )


def _evidence_lines(vpc: Mapping[str, Any], public: Mapping[str, Any]) -> list[str]:
    rows = []
    for placement, result in (("vpc", vpc), ("public", public)):
        for service, seen in (result.get("evidence") or {}).items():
            seen = seen if isinstance(seen, Mapping) else {}
            address = seen.get("address")
            if address is not None and seen.get("port") is not None:
                address = f"{address} port {seen['port']}"
            rows.append([placement, service, seen.get("host"), seen.get("family"), address])
    if not rows:
        return ["No network evidence in the results."]
    return [
        *markdown_table(["placement", "service", "host", "family", "address"], rows),
        *_diagnosis_lines(vpc, public),
    ]


def _diagnosis_lines(vpc: Mapping[str, Any], public: Mapping[str, Any]) -> list[str]:
    """The bench function's own account of failed calls and of connects that stalled first."""
    lines = []
    for placement, result in (("vpc", vpc), ("public", public)):
        for service, seen in (result.get("evidence") or {}).items():
            seen = seen if isinstance(seen, Mapping) else {}
            diagnosis = seen.get("diagnosis")
            if isinstance(diagnosis, Mapping) and diagnosis.get("explanation"):
                lines.append(f"- {placement} {service}: {_text(diagnosis['explanation'])}")
            stall = seen.get("stall_s")
            if isinstance(stall, int | float) and stall > 0:
                lines.append(
                    f"- {placement} {service}: {stall:g} s lost to failed connect attempts "
                    f"before {_text(seen.get('connections'))} connection(s) succeeded"
                )
    if not lines:
        return []
    return ["", "What the function observed where calls failed or stalled:", "", *lines]


def _drift_lines(comparison: Comparison) -> list[str]:
    def pct(sd: float | None) -> str:
        return "not estimated (too few calls)" if sd is None else f"{sd * 100:.1f}%"

    batches = comparison.batches or "about 30 calls each, 3 to 10"
    return [
        f"A/A drift within each run (standard deviation of the level over the run, from "
        f"call-order batches ({batches}) against interleaved batches): VPC "
        f"{pct(comparison.drift_vpc)}, public {pct(comparison.drift_public)}; a run's level "
        f"is assumed to vary between runs {comparison.run_variance_factor:g} times as much "
        "(in variance). A constant offset of a whole run cannot be seen inside one run: "
        "repeat the run to measure it."
    ]


def error_summary(comparison: Comparison) -> list[str]:
    """One line per operation and placement that had failed calls: the error codes."""
    lines = []
    for op in comparison.operations:
        for placement, side in (("vpc", op.vpc), ("public", op.public)):
            if side.errors:
                codes = ", ".join(f"{c} x{n}" for c, n in side.error_codes.items()) or "no codes"
                lines.append(f"{op.operation} {placement}: {side.errors} failed ({codes})")
    return lines


def _error_lines(comparison: Comparison) -> list[str]:
    errors = error_summary(comparison)
    if not errors:
        return []
    return ["Failed calls (not timed):", "", *(f"- {line}" for line in errors), ""]


def _article_lines(comparison: Comparison) -> list[str]:
    rows = [
        [
            row.label,
            row.operation,
            fmt_ms(row.vpc_mean_ms),
            fmt_ms(row.public_mean_ms),
            fmt_ms(row.article_vpc_ms),
            fmt_ms(row.article_public_ms),
        ]
        for row in article_view(comparison)
    ]
    header = ["article step", "operation", "VPC", "public", "article VPC", "article public"]
    return markdown_table(header, rows, frozenset({2, 3, 4, 5}))


def render_markdown(
    comparison: Comparison,
    vpc: Mapping[str, Any],
    public: Mapping[str, Any],
    *,
    routes: Mapping[str, Any] | None = None,
    meta: Mapping[str, Any] | None = None,
) -> str:
    meta = meta or {}
    lines = ["# natless: Lambda in a VPC without NAT vs outside any VPC", ""]
    lines += [*_meta_lines(meta), _run_line("VPC run", vpc), _run_line("public run", public), ""]
    if meta.get("mode") == "emulator":
        lines += [f"> {EMULATOR_NOTE}", ""]
    if meta.get("path") == "lab":
        lines += [f"> {LAB_NOTE}", ""]
    lines += ["## Latency per call (ms)", ""]
    header = (*TABLE_HEADER[:-1], BOOTSTRAP_HEADER, TABLE_HEADER[-1])
    lines += markdown_table(
        header, table_rows(comparison, bootstrap=True), RIGHT_ALIGNED | {len(header) - 2}
    )
    lines += [
        "",
        VERDICT_RULE,
        "",
        f"Bootstrap: {comparison.resamples} resamples, seed "
        f"{comparison.seed}; errors are counted, only successful calls are timed.",
        "",
        *_drift_lines(comparison),
        "",
    ]
    lines += _error_lines(comparison)
    for side, names in (("VPC", comparison.only_vpc), ("public", comparison.only_public)):
        if names:
            lines += [f"Run by the {side} function only (not compared): {', '.join(names)}.", ""]
    lines += [f"![latency per operation]({CHART_FILE})", ""]
    lines += ["## A published benchmark's view: mean per call (ms)", ""]
    lines += _article_lines(comparison)
    lines += [
        "",
        f"The article columns are from [{ARTICLE_TITLE}]({ARTICLE_URL}): its single warm run "
        "(Node.js, 100 calls each). Means hide the spread: the medians and the interval above "
        "are the comparison to trust.",
        "",
        "## Network evidence: where each service's calls went",
        "",
    ]
    lines += _evidence_lines(vpc, public)
    if routes is not None:
        lines += ["", "## Route matrix: each function's subnet, per destination", ""]
        lines += route_lines(routes)
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------------------------------------
# The files
# ---------------------------------------------------------------------------------------------


def results_document(
    comparison: Comparison,
    vpc: Mapping[str, Any],
    public: Mapping[str, Any],
    *,
    routes: Mapping[str, Any] | None = None,
    meta: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Everything machine-readable: meta, the comparison, the article view, both raw results."""
    doc: dict[str, Any] = {
        "meta": dict(meta or {}),
        "comparison": comparison.as_json(),
        "article_view": [vars(row) for row in article_view(comparison)],
        "results": {"vpc": dict(vpc), "public": dict(public)},
    }
    if routes is not None:
        doc["routes"] = dict(routes)
    return doc


def _write_json(path: Path, doc: Any) -> None:
    path.write_text(json.dumps(doc, indent=2, default=str) + "\n", encoding="utf-8")


def write_report(
    out_dir: Path,
    comparison: Comparison,
    vpc: dict[str, Any],
    public: dict[str, Any],
    *,
    routes: dict[str, Any] | None = None,
    meta: dict[str, Any] | None = None,
) -> dict[str, Path]:
    """Write results.json, report.md, latency.png (and routes.json if given) into ``out_dir``."""
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UserError(f"cannot create report folder {out_dir}: {exc.strerror}") from None
    if routes is not None:
        routes = check_routes(routes)
    paths = {
        "results": out_dir / RESULTS_FILE,
        "report": out_dir / REPORT_FILE,
        "chart": out_dir / CHART_FILE,
    }
    if routes is not None:
        paths["routes"] = out_dir / ROUTES_FILE
    try:
        _write_json(
            paths["results"],
            results_document(comparison, vpc, public, routes=routes, meta=meta),
        )
        paths["report"].write_text(
            render_markdown(comparison, vpc, public, routes=routes, meta=meta), encoding="utf-8"
        )
        latency_chart(paths["chart"], vpc, public, comparison, meta=meta)
        if routes is not None:
            _write_json(paths["routes"], routes)
    except OSError as exc:
        raise UserError(f"cannot write the report into {out_dir}: {exc}") from None
    return paths
