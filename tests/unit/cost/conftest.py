"""Fixtures of the natless.cost tests: the service catalog and us-east-1's prices."""

from __future__ import annotations

import pytest

from natless.cost.pricing import RegionPrices, load_prices
from natless.cost.services import Catalog, load_catalog
from tests.support.plans import US


@pytest.fixture
def catalog() -> Catalog:
    return load_catalog()


@pytest.fixture
def prices() -> RegionPrices:
    return load_prices(US)
