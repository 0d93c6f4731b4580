"""The root modules the plan tests plan, and where the test data of each lives.

One rule for every target: a fixture ``tests/fixtures/<name>/`` keeps its data in its own
folder, an example ``examples/<name>/`` in ``tests/fixtures/examples/<name>/`` (the examples
are user-facing and carry no test files). In that data folder:

- ``scenarios/<scenario>.tfvars.json``: the variables of one plan, and beside it
  ``scenarios/<scenario>.yaml``, that plan's inventory (tests/support/inventory.py). The
  scenarios of a target are the files in that folder; tests/plan/conftest.py plans each once.
- ``refusals.yaml``: the target's bad-input table (tests/refusals.py, tests/plan/test_refusals.py).

What a plan needs besides its variables (a built Lambda package, the packages' paths) is the
target's ``prepare`` hook: it builds, and returns the variables every plan of the target gets.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from natless.deploy.package import build_package
from natless.paths import EXAMPLES, ROOT
from tests.planjson import Plan
from tests.support import inventory as inventories
from tests.tools.rds_ca import BUNDLE_NAME

FIXTURES = ROOT / "tests" / "fixtures"


def _nothing() -> dict[str, Any]:
    return {}


@functools.cache
def bench_package() -> dict[str, Any]:
    """The bench package, which the Lambda pair reads from build/ (no variable needed)."""
    build_package("bench")
    return {}


@functools.cache
def split_packages() -> dict[str, Any]:
    """Both packages of the split, built the way `natless package` builds them, by variable."""
    private = build_package("session_counter")
    assert BUNDLE_NAME in private.files  # the example's default db_ca_bundle
    return {
        "private_package_path": str(private.path),
        "public_package_path": str(build_package("metric_publisher").path),
    }


@dataclass(frozen=True)
class Target:
    name: str
    root: Path  # the root module planned
    data: Path  # its scenarios/ and refusals.yaml
    prepare: Callable[[], dict[str, Any]] = field(default=_nothing)

    def scenarios(self) -> list[str]:
        return sorted(
            p.name.removesuffix(".tfvars.json")
            for p in (self.data / "scenarios").glob("*.tfvars.json")
        )

    def tfvars(self, scenario: str) -> dict[str, Any]:
        return json.loads((self.data / "scenarios" / f"{scenario}.tfvars.json").read_text())

    def inventory(self, scenario: str) -> Path:
        return self.data / "scenarios" / f"{scenario}.yaml"

    @property
    def refusals(self) -> Path:
        return self.data / "refusals.yaml"


def _fixture(name: str, prepare: Callable[[], dict[str, Any]] = _nothing) -> Target:
    return Target(name, FIXTURES / name, FIXTURES / name, prepare)


def _example(name: str, prepare: Callable[[], dict[str, Any]] = _nothing) -> Target:
    return Target(name, EXAMPLES / name, FIXTURES / "examples" / name, prepare)


TARGETS: dict[str, Target] = {
    t.name: t
    for t in (
        _fixture("network"),
        _fixture("vpc-endpoints"),
        _fixture("function", bench_package),
        _fixture("lambda_pair", bench_package),
        _fixture("split-functions", split_packages),
        _example("egress-only", bench_package),
        _example("nat-gateway", bench_package),
        _example("public-private-split", split_packages),
    )
}


@dataclass
class ScenarioPlan(Plan):
    """One scenario's plan, its variables (without the target's base) and its inventory."""

    target: str = ""
    scenario: str = ""
    tf_vars: dict[str, Any] = field(default_factory=dict)
    inventory: Path = Path()

    def check_inventory(self) -> None:
        inventories.check(self.raw, self.inventory)


def on(*which: str) -> pytest.MarkDecorator:
    """Run a test on one scenario only: ``on("none-3az")``, or ``on(target, scenario)`` in a
    module of several targets. The plan is the one the other tests of that scenario share."""
    if len(which) == 1:
        return pytest.mark.parametrize("scenario_plan", list(which), indirect=True, scope="module")
    return pytest.mark.parametrize(
        ["target", "scenario_plan"], [which], indirect=True, scope="module", ids=["/".join(which)]
    )
