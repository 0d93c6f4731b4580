"""Upgrading lambda-pair and split-functions to their modules/function versions replaces nothing.

tests/fixtures/upgrade calls both modules as they were before modules/function (vendored in
``v0/modules``, see its README). The test applies that on the emulator, then points the same
root module, with the same state, at the current ``modules/``, runs ``terraform init`` again and
plans. The modules' ``moved`` blocks must carry every resource to its new address
(``aws_lambda_function.this["vpc"]`` -> ``module.function["vpc"].aws_lambda_function.this``), so
no planned change may delete anything, and none may change anything either. Then the upgrade
is applied (it records the moves) and destroyed with the current modules.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from natless.deploy.package import build_package
from natless.deploy.stack import Stack
from natless.paths import ROOT
from tests.support.leftovers import leftovers

FIXTURE = ROOT / "tests" / "fixtures" / "upgrade"
OLD_SOURCE = '"./v0/modules/'
NEW_SOURCE = (
    '"../../../modules/'  # the working copy mirrors the repository (natless.deploy.workdir)
)

# Resources each module declared itself before modules/function, all of which must move.
MOVED = {
    # 2 log groups, 2 roles, 2 inline policies, the group, 4 HTTPS rules, 2 functions
    "module.pair": 13,
    # 2 log groups, 2 roles, 2 inline policies, the group, the database rule, 2 functions
    "module.split": 10,
}


def summary(plan: dict[str, Any]) -> Counter[str]:
    """Planned changes counted by action; a move counts as "moved" besides its action."""
    counts: Counter[str] = Counter()
    for rc in plan.get("resource_changes", []):
        counts[f"{rc['mode']} {'+'.join(rc['change']['actions'])}"] += 1
        if rc.get("previous_address"):
            counts["moved"] += 1
    return counts


def test_upgrade_moves_every_resource_and_replaces_nothing(emulator) -> None:
    build_package("bench")
    kw = emulator.client_kwargs()
    before = leftovers(kw)
    stack = Stack.create(FIXTURE, emulator.redirect())
    applied_s = None
    try:
        stack.apply()
        applied_s = stack.timings["apply"]
        main = stack.workdir / "main.tf"
        text = main.read_text()
        assert text.count(OLD_SOURCE) == 2
        main.write_text(text.replace(OLD_SOURCE, NEW_SOURCE))
        stack.tf.setup(cleanup_on_exit=False)  # terraform init: installs the new modules
        plan = stack.plan()

        counts = summary(plan)
        print(f"\nupgrade plan: {dict(sorted(counts.items()))}")
        changes = [rc for rc in plan["resource_changes"] if rc["mode"] == "managed"]
        deleted = [rc["address"] for rc in changes if "delete" in rc["change"]["actions"]]
        assert not deleted, f"the upgrade deletes or replaces {deleted}"
        changed = {
            rc["address"]: rc["change"]["actions"]
            for rc in changes
            if rc["change"]["actions"] != ["no-op"]
        }
        assert not changed, f"the upgrade changes {changed}"
        moved = Counter(
            ".".join(rc["previous_address"].split(".")[:2])  # the module call, "module.pair"
            for rc in changes
            if rc.get("previous_address")
        )
        assert dict(moved) == MOVED
        assert all(
            ".module.function[" in rc["address"] for rc in changes if rc.get("previous_address")
        )
        stack.apply_plan()  # records the moves
    finally:
        stack.close()
        print(f"old modules applied in {applied_s} s; then {stack.timings}")
    assert leftovers(kw) == before, "destroy left resources behind"
