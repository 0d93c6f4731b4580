"""Plain-text tables for the terminal: columns padded to their widest cell, two spaces apart."""

from __future__ import annotations

from collections.abc import Collection, Sequence


def aligned(
    header: Sequence[str],
    rows: Sequence[Sequence[str]],
    right: Collection[int] = (),
    *,
    indent: str = "",
    rule: str | None = None,
) -> list[str]:
    """The lines of a table; trailing blanks are stripped from each.

    ``right``: indices of right-aligned columns (numbers). ``indent``: put before every line.
    ``rule``: a character repeated under each header cell, on a line of its own (``"-"``).
    """
    widths = [max(len(row[i]) for row in (header, *rows)) for i in range(len(header))]

    def line(cells: Sequence[str]) -> str:
        return (indent + "  ".join(cells)).rstrip()

    lines = [
        line(
            [
                cell.rjust(width) if i in right else cell.ljust(width)
                for i, (cell, width) in enumerate(zip(row, widths, strict=True))
            ]
        )
        for row in (header, *rows)
    ]
    if rule is not None:
        lines.insert(1, line([rule * width for width in widths]))
    return lines
