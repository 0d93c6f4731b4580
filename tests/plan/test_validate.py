"""`terraform validate` for every module, through the fixtures and examples that use it."""

from __future__ import annotations

import pytest

from natless.paths import EXAMPLES, ROOT
from natless.stack import Stack

pytestmark = pytest.mark.plan

ROOTS = sorted(
    [p for p in (ROOT / "tests" / "fixtures").iterdir() if (p / "main.tf").is_file()]
    + [p for p in EXAMPLES.iterdir() if (p / "main.tf").is_file()]
)
MODULES = {p.name for p in (ROOT / "modules").iterdir() if (p / "main.tf").is_file()}


def test_every_module_is_used_by_a_validated_root() -> None:
    used = {
        module
        for root in ROOTS
        for module in MODULES
        if f"/modules/{module}" in (root / "main.tf").read_text()
    }
    assert used == MODULES


@pytest.mark.parametrize("root", ROOTS, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_validate(root) -> None:
    with Stack.create(root) as stack:
        stack.validate()
