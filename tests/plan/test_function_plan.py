"""Plan tests of modules/function alone (tests/fixtures/function: literal IDs).

lambda-pair and split-functions exercise the module through their own plan tests; these check
what only a direct caller sees: the three shapes, each a scenario in
tests/fixtures/function/scenarios/ (``https``: in a VPC with the HTTPS egress; ``public``:
outside any VPC; ``closed``: in a VPC with only given destinations). Each scenario's inventory
holds the planned values (names, descriptions, tags, egress rules, counts); the IAM statements
are checked here. The validations no wrapper reaches are in tests/fixtures/function/refusals.yaml
(tests/plan/test_refusals.py).
"""

from __future__ import annotations

import pytest

from tests.plan.targets import ScenarioPlan, on
from tests.planjson import Plan

pytestmark = pytest.mark.plan

TARGET = "function"
FN = "module.function"


def statements(plan: Plan) -> list[dict]:
    (change,) = plan.instances(f"{FN}.aws_iam_policy_document.this", mode="data").values()
    return change["after"]["statement"]


def test_plan_matches_inventory(scenario_plan: ScenarioPlan) -> None:
    scenario_plan.check_inventory()


@on("https")
def test_in_a_vpc_the_role_manages_network_interfaces(scenario_plan: ScenarioPlan) -> None:
    assert [s["sid"] for s in statements(scenario_plan)] == [
        "WriteOwnLogs",
        "ManageNetworkInterfaces",
    ]


@on("public")
def test_outside_any_vpc_the_role_decrypts_with_the_key_and_merges_the_callers(
    scenario_plan: ScenarioPlan,
) -> None:
    """No network-interface permissions; the key's, and the caller's statements merged in."""
    key, extra = scenario_plan.tf_vars["kms_key_arn"], scenario_plan.tf_vars["policy_json"]
    found = statements(scenario_plan)
    assert [s["sid"] for s in found] == ["WriteOwnLogs", "DecryptEnvironment"]
    assert (found[1]["actions"], found[1]["resources"]) == (["kms:Decrypt"], [key])
    (change,) = scenario_plan.instances(f"{FN}.aws_iam_policy_document.this", mode="data").values()
    assert change["after"]["source_policy_documents"] == [extra]
