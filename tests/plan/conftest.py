"""The plan tests' one stack fixture and their scenario plans.

A test module names the root module it plans: ``TARGET = "network"`` (tests/plan/targets.py),
or ``TARGET = ("egress-only", "nat-gateway")`` for several. Then:

- ``stack``: that root module's working copy on the emulator (module scope, one per target);
- ``scenario_plan``: one plan per scenario file of the target (module scope, parametrised by
  :func:`pytest_generate_tests`): every test that takes it runs once per scenario, on the same
  plan. tests/conftest.py gives each scenario an xdist group of its own (its module-scoped
  fixtures' parameters), so the plans spread over the workers and each is planned once;
- ``tests.plan.targets.on(...)`` puts a test on one scenario only (the same shared plan).

A ``ScenarioPlan`` (tests/plan/targets.py) is a :class:`~tests.planjson.Plan` that also knows its
scenario's variables and inventory; ``check_inventory()`` matches the two
(tests/support/inventory.py).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from natless.deploy.stack import Stack
from tests.plan.targets import TARGETS, ScenarioPlan, Target


def _parametrised(metafunc: pytest.Metafunc, name: str) -> bool:
    for mark in metafunc.definition.iter_markers("parametrize"):
        names = mark.args[0]
        names = [n.strip() for n in names.split(",")] if isinstance(names, str) else names
        if name in names:
            return True
    return False


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Every scenario of the module's target(s), for each test that takes ``scenario_plan``."""
    if "scenario_plan" not in metafunc.fixturenames or _parametrised(metafunc, "scenario_plan"):
        return
    names = metafunc.module.TARGET
    if isinstance(names, str):
        scenarios = TARGETS[names].scenarios()
        metafunc.parametrize("scenario_plan", scenarios, indirect=True, scope="module")
        return
    pairs = [(t, s) for t in names for s in TARGETS[t].scenarios()]
    metafunc.parametrize(
        ["target", "scenario_plan"],
        pairs,
        indirect=True,
        scope="module",
        ids=[f"{t}/{s}" for t, s in pairs],
    )


def _scenario_key(item: pytest.Item) -> tuple[str, ...] | None:
    params = getattr(getattr(item, "callspec", None), "params", {})
    if "scenario_plan" not in params:
        return None
    return (item.nodeid.split("::", 1)[0], str(params.get("target")), params["scenario_plan"])


@pytest.hookimpl(trylast=True)  # after pytest's own ordering by fixture parameters
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Keep the tests of one scenario plan next to each other: pytest orders a test that ``on``
    puts on one scenario apart from the others of that scenario (its parameter index differs),
    and a worker running another scenario in between would plan it again."""
    first: dict[tuple[str, ...], int] = {}
    for index, item in enumerate(items):
        key = _scenario_key(item)
        if key is not None:
            first.setdefault(key, index)
    position = {
        id(item): first.get(_scenario_key(item) or (), index) for index, item in enumerate(items)
    }
    items.sort(key=lambda item: position[id(item)])  # stable: the rest keeps its order


@pytest.fixture(scope="module")
def target(request: pytest.FixtureRequest) -> Target:
    return TARGETS[getattr(request, "param", None) or request.module.TARGET]


@pytest.fixture(scope="module")
def base_vars(target: Target) -> dict[str, Any]:
    """What every plan of the target gets (the prepare hook builds what the plans read)."""
    return target.prepare()


@pytest.fixture(scope="module")
def stack(target: Target, base_vars: dict[str, Any], emulator) -> Iterator[Stack]:
    with Stack.create(target.root, emulator.redirect()) as st:
        yield st


@pytest.fixture(scope="module")
def scenario_plan(
    request: pytest.FixtureRequest, target: Target, stack: Stack, base_vars: dict[str, Any]
) -> ScenarioPlan:
    scenario = request.param
    tf_vars = target.tfvars(scenario)
    return ScenarioPlan(
        raw=stack.plan({**base_vars, **tf_vars}),
        target=target.name,
        scenario=scenario,
        tf_vars=tf_vars,
        inventory=target.inventory(scenario),
    )
