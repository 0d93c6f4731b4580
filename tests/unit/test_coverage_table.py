"""The apply-coverage table lists every input of every module (no Terraform needed)."""

from __future__ import annotations

from natless.paths import MODULES
from tests.coverage import APPLIED_BY, MODULE_NAMES, PLANNED_ONLY, SCENARIOS, module_inputs


def test_the_table_lists_every_input() -> None:
    assert sorted(p.name for p in MODULES.iterdir() if (p / "variables.tf").is_file()) == sorted(
        MODULE_NAMES
    )
    for module in MODULE_NAMES:
        listed = set(APPLIED_BY.get(module, {})) | set(PLANNED_ONLY.get(module, {}))
        assert listed == module_inputs(module), (
            f"modules/{module}: add each new input to APPLIED_BY (and to a scenario) or, if the "
            "emulator cannot apply it, to PLANNED_ONLY with the reason and its plan test"
        )
        assert not set(APPLIED_BY.get(module, {})) & set(PLANNED_ONLY.get(module, {}))
        assert set(APPLIED_BY[module].values()) <= set(SCENARIOS)
