"""argparse ``type=`` converters shared by the sub-commands."""

from __future__ import annotations

import argparse
from decimal import Decimal


def decimal_arg(text: str) -> Decimal:
    """argparse ``type=`` for exact decimals (``Decimal`` itself raises no ValueError)."""
    try:
        number = Decimal(text)
    except ArithmeticError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not number.is_finite():
        raise argparse.ArgumentTypeError(f"not a finite number: {text!r}")
    return number
