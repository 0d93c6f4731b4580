"""latency.png: per-operation latency of both placements on one axis, ratio and verdict beside.

One row per operation, VPC above public: every successful call as a faint dot (400 at most),
the box from p25 to p75 and a thick bar at the median. To the right of each row: the VPC/public
ratio of medians, its 95 % interval (bootstrap widened by the A/A noise between runs) and the
verdict (see natless.bench.compare). The PNG is saved with a 128-colour palette, which keeps it well
under 200 KB.
"""

from __future__ import annotations

import io
import random
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from PIL import Image  # a dependency of matplotlib

from natless.bench.compare import Comparison, OperationComparison, Side, percentile

COLOURS = {"vpc": "#1f6fb4", "public": "#e8730c"}
LABELS = {"vpc": "in the VPC (no NAT)", "public": "outside any VPC"}
VERDICT_COLOURS = {
    "slower": "#b3261e",
    "faster": "#2e7d32",
    "same": "#444444",
    "inconclusive": "#9a6700",
    "no data": "#888888",
}
VERDICT_TEXT = {
    "slower": "VPC slower",
    "faster": "VPC faster",
    "same": "same (within 5%)",
    "inconclusive": "inconclusive",
}
OFFSETS = {"vpc": 0.19, "public": -0.19}  # row centre +/- this: VPC drawn above public
BOX_HEIGHT = 0.28
LOG_SPAN = 20  # log x when the largest sample is this many times the smallest
DPI = 150
PALETTE_COLOURS = 128
MAX_DOTS = 400  # per placement and operation; more samples are thinned to evenly spaced ranks


def latency_chart(
    path: Path,
    vpc: Mapping[str, Any],
    public: Mapping[str, Any],
    comparison: Comparison,
    *,
    meta: Mapping[str, Any] | None = None,
) -> None:
    """Write the chart as a PNG to ``path`` (150 dpi)."""
    # Imported here, not at the top: pyplot takes 0.4 s to import, and every natless command
    # imports this module (the CLI loads every sub-command); only a report draws. The Agg
    # backend must be chosen before pyplot is imported.
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.patches import Patch
    from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter

    results = {"vpc": vpc, "public": public}
    ops = comparison.operations
    n = len(ops)
    title = _title(vpc, public, meta)
    top_in = 0.25 + 0.24 * (title.count("\n") + 1) + 0.35  # title lines, then the legend
    bottom_in, height = 0.6, 0.78 * n
    fig, ax = plt.subplots(figsize=(10, top_in + height + bottom_in))
    total = top_in + height + bottom_in
    fig.subplots_adjust(left=0.14, right=0.74, top=1 - top_in / total, bottom=bottom_in / total)
    jitter = random.Random(0)
    everything: list[float] = []
    for row, op in enumerate(ops):
        y = n - 1 - row
        if row % 2 == 0:
            ax.axhspan(y - 0.5, y + 0.5, color="#f3f3f3", zorder=0)
        for placement in ("vpc", "public"):
            samples = _samples(results[placement], op.operation)
            everything += samples
            empty = f"{placement}: no successful calls ({_errors_text(getattr(op, placement))})"
            _draw_side(ax, samples, y + OFFSETS[placement], COLOURS[placement], jitter, empty)
        _annotate(ax, op, y)

    ax.set_yticks(range(n), [op.operation for op in reversed(ops)], fontsize=10)
    ax.set_ylim(-0.5, n - 0.5)
    positive = [v for v in everything if v > 0]
    if positive and max(positive) / min(positive) > LOG_SPAN:
        ax.set_xscale("log")
        ax.xaxis.set_major_locator(LogLocator(base=10, subs=(1.0, 2.0, 5.0)))
        ax.xaxis.set_minor_formatter(NullFormatter())
        ax.set_xlabel("milliseconds per call (log scale)")
    else:
        ax.set_xlim(left=0)
        ax.set_xlabel("milliseconds per call")
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
    ax.grid(axis="x", color="#dddddd", linewidth=0.8, zorder=0)
    ax.set_axisbelow(True)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)

    handles = [Patch(color=COLOURS[p], label=f"{p}: {LABELS[p]}") for p in ("vpc", "public")]
    handles.append(Patch(facecolor="white", edgecolor="#666666", label="box p25-p75, bar p50"))
    ax.legend(
        handles=handles,
        loc="lower left",
        bbox_to_anchor=(0, 1.0),
        ncol=3,
        frameon=False,
        fontsize=9,
        borderaxespad=0.3,
    )
    ax.text(
        1.02,
        1.0,
        "VPC / public median\n95% CI, verdict",
        transform=ax.transAxes,
        fontsize=9,
        color="#444444",
        va="bottom",
    )
    fig.suptitle(title, x=0.02, ha="left", fontsize=12, fontweight="bold")
    path.parent.mkdir(parents=True, exist_ok=True)
    buffer = io.BytesIO()
    fig.savefig(buffer, dpi=DPI, format="png")
    plt.close(fig)
    path.write_bytes(_palette_png(buffer.getvalue()))


def _palette_png(png: bytes) -> bytes:
    """The PNG with at most 128 colours: a third of the size, no visible change for this chart."""
    with Image.open(io.BytesIO(png)) as image:
        palette = image.convert("RGB").quantize(
            colors=PALETTE_COLOURS, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE
        )
    out = io.BytesIO()
    palette.save(out, format="png", optimize=True)
    return out.getvalue()


def _samples(result: Mapping[str, Any], operation: str) -> list[float]:
    entry = (result.get("operations") or {}).get(operation) or {}
    return sorted(float(v) for v in entry.get("samples_ms") or [])


def _errors_text(side: Side) -> str:
    codes = ", ".join(f"{code} x{count}" for code, count in side.error_codes.items())
    return f"{side.errors} errors: {codes}" if codes else f"{side.errors} errors"


def _draw_side(
    ax: Any, samples: Sequence[float], y: float, colour: str, rng: random.Random, empty: str
) -> None:
    if not samples:
        ax.text(
            0.01,
            y,
            empty,
            transform=ax.get_yaxis_transform(),
            va="center",
            fontsize=8,
            color=colour,
            style="italic",
        )
        return
    half = BOX_HEIGHT / 2
    dots = _thin(samples, MAX_DOTS)
    ys = [y + rng.uniform(-half, half) * 0.9 for _ in dots]
    ax.scatter(dots, ys, s=7, color=colour, alpha=0.35, linewidths=0, zorder=2)
    p25, p50, p75 = (percentile(samples, q) for q in (25, 50, 75))
    ax.barh(
        y,
        p75 - p25,
        left=p25,
        height=BOX_HEIGHT,
        facecolor=colour,
        alpha=0.25,
        edgecolor=colour,
        linewidth=1.2,
        zorder=3,
    )
    ax.plot(
        [p50, p50], [y - half, y + half], color=colour, linewidth=3, zorder=4, solid_capstyle="butt"
    )


def _thin(ordered: Sequence[float], limit: int) -> list[float]:
    """At most ``limit`` values of a sorted list at evenly spaced ranks, both ends included."""
    if len(ordered) <= limit:
        return list(ordered)
    step = (len(ordered) - 1) / (limit - 1)
    return [ordered[round(i * step)] for i in range(limit)]


def _annotate(ax: Any, op: OperationComparison, y: float) -> None:
    colour = VERDICT_COLOURS.get(op.verdict, "#444444")
    if op.ratio is None or op.ci_low is None or op.ci_high is None:
        text, detail = "no data", "a placement has no successful call"
    else:
        text = f"x{op.ratio:.2f}  {VERDICT_TEXT.get(op.verdict, op.verdict)}"
        low, high = op.run_ci_low or op.ci_low, op.run_ci_high or op.ci_high
        detail = f"95% CI {low:.3f}-{high:.3f}"
    transform = ax.get_yaxis_transform()
    ax.text(
        1.02,
        y + 0.1,
        text,
        transform=transform,
        va="center",
        fontsize=10.5,
        fontweight="bold",
        color=colour,
        clip_on=False,
    )
    ax.text(
        1.02,
        y - 0.2,
        detail,
        transform=transform,
        va="center",
        fontsize=8.5,
        color="#555555",
        clip_on=False,
    )


def _title(
    vpc: Mapping[str, Any], public: Mapping[str, Any], meta: Mapping[str, Any] | None
) -> str:
    meta = meta or {}
    iterations = {vpc.get("iterations"), public.get("iterations")} - {None}
    calls = (
        f"{iterations.pop()} sequential calls per operation and placement"
        if len(iterations) == 1
        else "sequential calls per operation and placement"
    )
    where = ", ".join(
        str(meta[k])
        for k in ("example", "mode", "timestamp")
        if meta.get(k) not in (None, "") and not (k == "mode" and meta[k] == "emulator")
    )
    first = "Lambda latency: in a dual-stack VPC without NAT vs outside any VPC"
    if meta.get("mode") == "emulator":
        first += "\n(emulator run: proves wiring and routing, not AWS latency)"
    return f"{first}\n{calls}" + (f"  ({where})" if where else "")
