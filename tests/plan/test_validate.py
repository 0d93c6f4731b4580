"""`terraform validate` for every module, through the fixtures and examples that use it."""

from __future__ import annotations

import shutil

import pytest

from natless.deploy.stack import Stack, TerraformFailed
from natless.paths import EXAMPLES, ROOT, SCRATCH

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


def test_a_failed_init_leaves_no_working_copy() -> None:
    """Init creates no resource, so a working copy whose init fails is removed at once."""
    root = SCRATCH / "broken-root"
    root.mkdir(parents=True, exist_ok=True)
    (root / "main.tf").write_text('module "missing" {\n  source = "./no-such-folder"\n}\n')
    before = set((SCRATCH / "work").glob("broken-root-*"))
    try:
        with pytest.raises(TerraformFailed, match="no-such-folder"):
            Stack.create(root)
        assert set((SCRATCH / "work").glob("broken-root-*")) == before
    finally:
        shutil.rmtree(root, ignore_errors=True)
