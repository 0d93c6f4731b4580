"""Bad plan inputs as data: refusal tables, planned in as few plans as possible.

A refusal table is a YAML file (``refusals.yaml`` in its target's data folder, see
tests/plan/targets.py; tests/plan/test_refusals.py plans every table)::

    region: us-west-1            # optional: the region its cases are planned in
    cases:
      name-start:                # case -> the variables that break it, and the text the
        vars: {name: 9lives}     #   failure must contain
        message: starting with a letter
      dns64-without-nat:
        vars: {enable_dns64: true, nat_mode: none}
        message: enable_dns64 = true needs nat_mode
        stage: 2                 # only reached once every stage-1 check passes
      lonely:
        vars: {...}
        message: ...
        alone: true              # a plan of its own
        region: eu-west-1        # optional, this case only

How the cases are batched. Terraform reports every failed check of one evaluation stage at once,
so cases that set different variables can share a plan: each case's message must still appear in
its batch's failure. A case that sets a variable another case of its batch also sets goes to a
later batch. Stages are what Terraform reaches only when everything before passes, so batches
never mix them: stage 1 (the default) is the root module's variable validations; stage 2 is
what comes after them, e.g. a called module's own validations (when the caller validates the
same variables first) or resource preconditions; a table may use more. ``alone`` is for a check
that must not share a plan at all. Cases of another region are planned in a working copy
pointed at that region.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from natless.deploy.stack import Stack, TerraformFailed

CASE_KEYS = {"vars", "message", "stage", "alone", "region"}
TABLE_KEYS = {"region", "cases"}


@dataclass(frozen=True)
class Case:
    vars: dict[str, Any]
    message: str  # a text the failure must contain (whitespace as Terraform's, unwrapped)
    stage: int = 1
    alone: bool = False
    region: str | None = None

    @property
    def batch_key(self) -> tuple[str, int]:
        """Cases share a plan only with cases of the same key."""
        return (self.region or "", self.stage)


def load_table(path: Path) -> dict[str, Case]:
    """Case name -> :class:`Case`, from one refusal table."""
    table = yaml.safe_load(path.read_text()) or {}
    if not isinstance(table, dict) or set(table) - TABLE_KEYS or "cases" not in table:
        raise ValueError(f"{path}: a refusal table is a mapping of {sorted(TABLE_KEYS)}")
    cases = {}
    for name, spec in table["cases"].items():
        if not isinstance(spec, dict) or set(spec) - CASE_KEYS or {"vars", "message"} - set(spec):
            raise ValueError(f"{path}: case {name}: needs vars and message, may have {CASE_KEYS}")
        cases[name] = Case(**{"region": table.get("region"), **spec})
    return cases


def batches(cases: Mapping[str, Case]) -> list[list[str]]:
    """Case names grouped so that no two cases of a group set the same variable, and each group
    holds cases of one region and one stage only (an ``alone`` case is a group of its own)."""
    groups: list[tuple[tuple[Any, ...], list[str], set[str]]] = []
    for name, case in sorted(cases.items(), key=lambda item: item[1].batch_key):
        if case.alone:
            groups.append(((), [name], set(case.vars)))
            continue
        for key, members, taken in groups:
            if key == case.batch_key and not taken & set(case.vars):
                members.append(name)
                taken.update(case.vars)
                break
        else:
            groups.append((case.batch_key, [name], set(case.vars)))
    return [members for _, members, _ in groups]


def refusals(
    stack_for: Callable[[str | None], Stack],
    cases: Mapping[str, Case],
    base: dict[str, Any] | None = None,
) -> dict[str, str]:
    """Plan each batch once, in ``stack_for(region)`` (every plan must fail); case name -> its
    batch's failure text, unwrapped."""
    texts: dict[str, str] = {}
    for members in batches(cases):
        tf_vars = dict(base or {})
        for name in members:
            tf_vars.update(cases[name].vars)
        with pytest.raises(TerraformFailed) as failed:
            stack_for(cases[members[0]].region).plan(tf_vars)
        text = " ".join(str(failed.value).split())  # Terraform wraps long messages
        texts.update(dict.fromkeys(members, text))
    return texts
