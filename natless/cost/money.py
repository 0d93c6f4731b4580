"""Money and volumes as exact decimals: the display rounding and the parsing of user input.

Money is ``decimal.Decimal`` throughout natless; it is rounded to cents (ROUND_HALF_UP) only for
display, by :func:`usd`.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from natless.errors import UserError

CENT = Decimal("0.01")
ZERO = Decimal(0)
MILLION = Decimal(1_000_000)


def usd(amount: Decimal) -> str:
    """For display: two places, half up (``Decimal('32.845')`` -> ``'32.85'``)."""
    return str(amount.quantize(CENT, rounding=ROUND_HALF_UP))


def plain(number: Decimal) -> str:
    """A decimal without exponent or trailing zeros: ``0.0450`` -> ``0.045``, ``1E+2`` -> 100."""
    text = f"{number.normalize():f}"
    return "0" if text in ("-0", "0") else text


def parse_gb(value: object, what: str) -> Decimal:
    """A GB/month volume from user input (text or JSON number): finite and >= 0, else UserError."""
    if isinstance(value, bool) or not isinstance(value, str | int | float | Decimal):
        raise UserError(f"{what} must be a number of GB/month, got {value!r}")
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        raise UserError(f"{what} must be a number of GB/month, got {value!r}") from None
    if not number.is_finite():
        raise UserError(f"{what} must be a finite number of GB/month, got {value!r}")
    if number < 0:
        raise UserError(f"{what} must be >= 0 GB/month, got {value}")
    return number
