"""argparse ``type=`` converters shared by the sub-commands.

Each converter checks what can be checked from the text alone (a whole number, a finite number,
a non-empty list, a usable path) and raises ``argparse.ArgumentTypeError`` with a message that
says what is wrong and what to give instead; argparse prefixes the flag (``argument --azs:``)
and exits with status 2. Limits that depend on other flags (the AZs of a region) or that the
workload file shares with the flags are checked by the command before any work, as UserErrors.

:data:`NUMBER_TYPES` and :data:`LIST_TYPES` name the converters of numeric and list flags, so
a test can find every such flag of the parser (:func:`flag_kind`, used by
tests/unit/test_cli_refusals.py).
"""

from __future__ import annotations

import argparse
import math
from decimal import Decimal
from pathlib import Path

# Whole numbers longer than this are typos, and Python refuses to convert very long digit
# strings anyway (sys.int_info.default_max_str_digits).
MAX_DIGITS = 18


def _shown(text: str) -> str:
    return repr(text) if len(text) <= 40 else repr(text[:37] + "...")


def decimal_arg(text: str) -> Decimal:
    """A finite decimal number (``Decimal`` itself raises no ValueError): ``12.5``, ``1e3``."""
    try:
        number = Decimal(text.strip())
    except (ArithmeticError, ValueError):
        raise argparse.ArgumentTypeError(f"not a number: {_shown(text)}") from None
    if not number.is_finite():
        raise argparse.ArgumentTypeError(
            f"not a finite number: {_shown(text)} (give a plain number such as 100)"
        )
    return number


def whole_number(text: str) -> int:
    """A whole number written in digits, any sign: ``3``, ``-1``; not ``2.5``, ``1e3``, ``nan``."""
    stripped = text.strip()
    digits = stripped.removeprefix("-").removeprefix("+")
    if not digits.isdigit() or not digits.isascii():
        raise argparse.ArgumentTypeError(
            f"not a whole number: {_shown(text)} (give digits only, such as 3)"
        )
    if len(digits.lstrip("0")) > MAX_DIGITS:
        raise argparse.ArgumentTypeError(f"{_shown(text)} is too large")
    return int(stripped)


def positive_int(text: str) -> int:
    """A whole number >= 1."""
    number = whole_number(text)
    if number < 1:
        raise argparse.ArgumentTypeError(f"must be a whole number >= 1, got {number}")
    return number


class IntBetween:
    """A converter for whole numbers from ``low`` to ``high``."""

    def __init__(self, low: int, high: int) -> None:
        self.low, self.high = low, high
        self.__name__ = f"whole number {low}..{high}"

    def __call__(self, text: str) -> int:
        number = whole_number(text)
        if not self.low <= number <= self.high:
            raise argparse.ArgumentTypeError(
                f"must be a whole number from {self.low} to {self.high}, got {number}"
            )
        return number


class Seconds:
    """A converter for a finite number of seconds from 0 to ``limit``."""

    def __init__(self, limit: float) -> None:
        self.limit = limit
        self.__name__ = f"seconds 0..{limit:g}"

    def __call__(self, text: str) -> float:
        try:
            number = float(text.strip())
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"not a number of seconds: {_shown(text)} (give e.g. 300)"
            ) from None
        if not math.isfinite(number) or not 0 <= number <= self.limit:
            raise argparse.ArgumentTypeError(
                f"must be a number of seconds from 0 to {self.limit:g}, got {_shown(text)}"
            )
        return number


def comma_list(text: str) -> str:
    """A comma-separated list with at least one item, returned as given (``sqs,xray=2``)."""
    if not any(item.strip() for item in text.split(",")):
        raise argparse.ArgumentTypeError(
            f"empty list {_shown(text)}: give one or more comma-separated items, or leave "
            "the flag out"
        )
    return text


def name_arg(text: str) -> str:
    """A non-empty name (a function folder, an example)."""
    if not text.strip():
        raise argparse.ArgumentTypeError("empty name: give a name, or leave it out")
    if "\0" in text or "/" in text or "\\" in text:
        raise argparse.ArgumentTypeError(f"{_shown(text)} is a path, not a name")
    return text


def path_arg(text: str) -> Path:
    """A non-empty file system path (an empty one would silently mean the current folder)."""
    if not text.strip():
        raise argparse.ArgumentTypeError("empty path: give a file or folder name")
    if "\0" in text:
        raise argparse.ArgumentTypeError(f"{_shown(text)} holds a NUL character")
    return Path(text)


def path_text(text: str) -> str:
    """:func:`path_arg`, kept as text."""
    return str(path_arg(text))


NUMBER_TYPES = (decimal_arg, whole_number, positive_int)  # and IntBetween, Seconds instances
LIST_TYPES = (comma_list,)  # and nargs='*'/'+' or action='append'


def flag_kind(action: argparse.Action) -> str | None:
    """'number' or 'list' for the flags these converters (or nargs, append) make so; else None."""
    kind = action.type
    if kind in NUMBER_TYPES or isinstance(kind, IntBetween | Seconds):
        return "number"
    if (
        kind in LIST_TYPES
        or action.nargs in ("*", "+")
        or isinstance(action, argparse._AppendAction)
    ):
        return "list"
    return None
