"""Bad plan inputs in as few plans as possible.

Terraform reports every failed variable validation of one plan at once, so cases that set
different variables can share a plan: each case's message must still appear in its batch's
failure. A case that sets a variable another case also sets goes to a later batch, and a case
that a check outside the variable validations refuses (a precondition, a check across variables)
gets a plan of its own: Terraform stops before those checks when a validation fails.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

import pytest

from natless.stack import Stack, TerraformFailed

# case name -> (variables to plan with, a text the failure must contain)
Cases = Mapping[str, tuple[dict[str, Any], str]]


def batches(cases: Cases, alone: Collection[str] = ()) -> list[list[str]]:
    """Case names grouped so that no two cases of a group set the same variable."""
    groups: list[tuple[list[str], set[str]]] = [([name], set()) for name in alone]
    for name, (tf_vars, _) in cases.items():
        if name in alone:
            continue
        for members, taken in groups[len(alone) :]:
            if not taken & set(tf_vars):
                members.append(name)
                taken.update(tf_vars)
                break
        else:
            groups.append(([name], set(tf_vars)))
    return [members for members, _ in groups]


def refusals(
    stack: Stack, cases: Cases, base: dict[str, Any] | None = None, alone: Collection[str] = ()
) -> dict[str, str]:
    """Plan each batch once (every plan must fail); case name -> its batch's failure text."""
    texts: dict[str, str] = {}
    for members in batches(cases, alone):
        tf_vars = dict(base or {})
        for name in members:
            tf_vars.update(cases[name][0])
        with pytest.raises(TerraformFailed) as failed:
            stack.plan(tf_vars)
        text = " ".join(str(failed.value).split())  # Terraform wraps long messages
        texts.update(dict.fromkeys(members, text))
    return texts
