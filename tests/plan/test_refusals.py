"""Every bad-input case of every refusal table: the plan fails, naming the problem.

The tables are data: ``refusals.yaml`` in each target's data folder (``tests/fixtures/<fixture>/``
or ``tests/fixtures/examples/<example>/``, see tests/plan/targets.py), in the format of
tests/refusals.py, which also batches the cases into as few plans as Terraform allows. Each table
is planned once per batch (a module-scoped fixture per table, so one xdist group per table); each
case is a test of its own that looks for its message in its batch's failure.
"""

from __future__ import annotations

from contextlib import ExitStack

import pytest

from natless.deploy.stack import Stack
from natless.paths import ROOT
from tests.plan.targets import FIXTURES, TARGETS
from tests.refusals import Case, batches, load_table, refusals

pytestmark = pytest.mark.plan

TABLES = {name: load_table(t.refusals) for name, t in TARGETS.items() if t.refusals.is_file()}


@pytest.fixture(scope="module")
def table(request: pytest.FixtureRequest) -> str:
    """The table's name. A module-scoped fixture, so that tests/conftest.py puts the cases of one
    table in one xdist group (and different tables in different groups)."""
    return request.param


@pytest.fixture(scope="module")
def planned() -> dict[str, dict[str, str]]:
    """Table -> case -> the failure text of its batch. ``table`` is parametrised per test (with
    ``case``), so pytest sets it up again for every case: the plans are kept here instead, and
    each table is planned once, on its first case."""
    return {}


@pytest.fixture
def failures(table: str, planned: dict[str, dict[str, str]], emulator) -> dict[str, str]:
    if table not in planned:
        target = TARGETS[table]
        base = target.prepare()
        with ExitStack() as cleanup:
            stacks: dict[str | None, Stack] = {}

            def stack_for(region: str | None) -> Stack:
                if region not in stacks:
                    redirect = emulator.redirect(region) if region else emulator.redirect()
                    stacks[region] = cleanup.enter_context(Stack.create(target.root, redirect))
                return stacks[region]

            planned[table] = refusals(stack_for, TABLES[table], base)
    return planned[table]


@pytest.mark.parametrize(
    ("table", "case"),
    [(table, case) for table, cases in TABLES.items() for case in cases],
    indirect=["table"],
    ids=[f"{table}/{case}" for table, cases in TABLES.items() for case in cases],
)
def test_refused_with_a_clear_message(failures: dict[str, str], table: str, case: str) -> None:
    assert TABLES[table][case].message in failures[case]


def test_every_table_and_scenario_folder_belongs_to_a_target() -> None:
    """A data folder no target names would be skipped without a word."""
    known = {t.data for t in TARGETS.values()}
    found = {p.parent for p in FIXTURES.rglob("refusals.yaml")}
    found |= {p.parent.parent for p in FIXTURES.rglob("scenarios/*.tfvars.json")}
    assert {p.relative_to(ROOT) for p in found - known} == set()


def test_batches_keep_variables_regions_and_stages_apart() -> None:
    """No Terraform: the batching rules on a made-up table."""
    cases = {
        "a": Case({"x": 1}, "a"),
        "b": Case({"y": 1}, "b"),
        "c": Case({"x": 2}, "c"),
        "d": Case({"z": 1}, "d", stage=2),
        "e": Case({"w": 1}, "e", stage=2),
        "f": Case({"v": 1}, "f", alone=True),
        "g": Case({"u": 1}, "g", region="us-west-1"),
    }
    assert batches(cases) == [["a", "b"], ["c"], ["f"], ["d", "e"], ["g"]]
