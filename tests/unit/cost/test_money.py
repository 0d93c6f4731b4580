"""natless.cost.money: rounding for display only."""

from __future__ import annotations

from decimal import Decimal

from natless.cost.money import plain, usd

D = Decimal


def test_money_rounds_half_up_for_display_only() -> None:
    assert usd(D("32.845")) == "32.85"
    assert usd(D("0.005")) == "0.01"
    assert usd(D("0.41")) == "0.41"
    assert plain(D("0.0450")) == "0.045"
