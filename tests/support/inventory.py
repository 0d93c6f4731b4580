"""Plan inventories: what one plan must contain, as YAML next to the tfvars it is planned with.

An inventory (``<scenario>.yaml`` beside ``<scenario>.tfvars.json``) holds data, not reasoning::

    values:                      # resource address (with instance key) -> subset of its values
      module.vpc.aws_subnet.this["private/us-east-1a"]:
        enable_dns64: true
        ipv6_cidr_block: (known after apply)
      module.vpc.aws_route_table.private["us-east-1a"]: {}     # only: it is planned
      module.function.aws_lambda_function.this:
        tags: !exact {Name: fn}   # these keys and no others
    counts:                      # resource type -> planned instances (managed resources)
      aws_nat_gateway: 0
    counts_complete: true        # optional: no planned type may be missing from counts
    outputs:                     # output name -> subset of its planned value
      azs: [us-east-1a, us-east-1b]

How a plan (``terraform show -json``) is matched against it:

- ``values``: the ``after`` of the address's entry in ``resource_changes`` (managed resources and
  the data sources read at apply; deleted instances are not planned). Values only known after
  apply read as the string ``(known after apply)``, as in ``terraform plan``'s own output, so an
  inventory can say that a value is unknown. A mapping matches as a subset (every key it names,
  recursively), unless tagged ``!exact``: then it has exactly those keys (tags, environment
  variables, an output that must be ``!exact {}``); a list matches element by element (same
  length: a list is never a subset), a scalar exactly (``true`` is not ``1``). An address the
  plan does not have is a mismatch.
- ``counts``: the number of planned managed instances of each type named (``0`` says "none").
  Together with the addresses listed under ``values``, a count pins the exact set of instances
  of a type. ``counts_complete: true`` also fails on any planned type the counts do not name, so
  a resource type that appears in a scenario is reviewed once; a new inventory written by
  regeneration sets it, since regeneration keeps the full list up to date at no cost.
- ``outputs``: an output's planned value (``output_changes``, unknowns as above), as a subset.

On a mismatch the failure lists every differing path with the expected and the actual value,
then the plan's actual YAML for the entries involved (restricted to the keys the inventory
names), ready to paste over the inventory's.

Regeneration: with ``NATLESS_REGEN_INVENTORIES=1`` a check rewrites its inventory from the plan
instead of comparing: the same addresses, keys, count types and outputs as before (an address
that is no longer planned is dropped and named), or for a file that does not exist yet every
planned instance with its known, non-empty values, every type's count (``counts_complete``) and
every output, to prune by hand. Comments at the top of a file are kept; keys are sorted, so the
diff of a regeneration shows only what changed. The test then FAILS with "regenerated, review the
diff" rather than passing with a warning: a run with the variable set would otherwise turn every
expectation into whatever the code plans now and report success, also in CI, and warnings are
easy to miss in a parallel run. Review with ``git diff tests/fixtures``, then run again without
the variable.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import yaml

REGEN_ENV = "NATLESS_REGEN_INVENTORIES"
UNKNOWN = "(known after apply)"
KEYS = ("values", "counts", "counts_complete", "outputs")
# Left out of a new inventory's default selection: the provider's merged copy of the tags.
DEFAULT_SKIP = frozenset({"tags_all"})


class InventoryError(AssertionError):
    """The plan does not match its inventory, or the inventory was just regenerated."""


class Exact(dict):
    """A mapping that matches only a mapping with exactly its keys (YAML ``!exact``)."""


class _Loader(yaml.SafeLoader):
    pass


class _Dumper(yaml.SafeDumper):
    def ignore_aliases(self, data: Any) -> bool:
        return True  # no &anchors: every value written out where it belongs


_Loader.add_constructor(
    "!exact", lambda loader, node: Exact(loader.construct_mapping(node, deep=True))
)
_Dumper.add_representer(Exact, lambda dumper, data: dumper.represent_mapping("!exact", data))


# --- reading a plan -------------------------------------------------------------------------------


def with_unknowns(after: Any, unknown: Any) -> Any:
    """``after`` with every value that ``after_unknown`` flags replaced by :data:`UNKNOWN`."""
    if unknown is True:
        return UNKNOWN
    if not _any_unknown(unknown):
        return after
    if isinstance(unknown, dict):
        base = after if isinstance(after, dict) else {}
        merged = dict(base)
        for key, flag in unknown.items():
            if flag is True or key in base:
                merged[key] = with_unknowns(base.get(key), flag)
        return merged
    if isinstance(unknown, list) and isinstance(after, list):
        return [
            with_unknowns(a, unknown[i] if i < len(unknown) else False) for i, a in enumerate(after)
        ]
    if isinstance(unknown, list) and after is None:
        return [with_unknowns(None, u) for u in unknown]
    return after


def _any_unknown(flags: Any) -> bool:
    if isinstance(flags, dict):
        return any(_any_unknown(f) for f in flags.values())
    if isinstance(flags, list):
        return any(_any_unknown(f) for f in flags)
    return flags is True


def planned_values(plan: dict[str, Any]) -> dict[str, Any]:
    """Address -> planned values (unknowns marked) of every instance the plan does not delete."""
    return {
        rc["address"]: with_unknowns(rc["change"]["after"], rc["change"].get("after_unknown", {}))
        for rc in plan.get("resource_changes", [])
        if rc["change"]["actions"] != ["delete"]
    }


def planned_counts(plan: dict[str, Any]) -> dict[str, int]:
    """Resource type -> number of planned managed instances."""
    counts: dict[str, int] = {}
    for rc in plan.get("resource_changes", []):
        if rc["mode"] == "managed" and rc["change"]["actions"] != ["delete"]:
            counts[rc["type"]] = counts.get(rc["type"], 0) + 1
    return counts


def planned_outputs(plan: dict[str, Any]) -> dict[str, Any]:
    """Output name -> planned value (unknowns marked)."""
    return {
        name: with_unknowns(change.get("after"), change.get("after_unknown", False))
        for name, change in plan.get("output_changes", {}).items()
        if change["actions"] != ["delete"]
    }


# --- matching -------------------------------------------------------------------------------------


def _same(expected: Any, actual: Any) -> bool:
    if isinstance(expected, bool) or isinstance(actual, bool) or expected is None:
        return expected is actual
    if isinstance(expected, int | float) and isinstance(actual, int | float):
        return expected == actual
    return type(expected) is type(actual) and expected == actual


def render(value: Any) -> str:
    return json.dumps(value, sort_keys=True)


def differences(expected: Any, actual: Any, where: str = "") -> list[str]:
    """Each path at which ``actual`` does not match ``expected`` (subset semantics, see above)."""
    if isinstance(expected, dict):
        if not isinstance(actual, dict):
            return [f"{where}: expected a mapping {render(expected)}, got {render(actual)}"]
        found = []
        if isinstance(expected, Exact):
            found += [
                f"{where}.{key}: not expected (!exact), got {render(actual[key])}"
                for key in sorted(set(actual) - set(expected), key=str)
            ]
        for key in sorted(expected, key=str):
            if key not in actual:
                found.append(f"{where}.{key}: expected {render(expected[key])}, got no such key")
            else:
                found += differences(expected[key], actual[key], f"{where}.{key}")
        return found
    if isinstance(expected, list):
        if not isinstance(actual, list):
            return [f"{where}: expected a list {render(expected)}, got {render(actual)}"]
        if len(expected) != len(actual):
            return [
                f"{where}: expected {len(expected)} items {render(expected)}, "
                f"got {len(actual)} {render(actual)}"
            ]
        return [
            line
            for i, (e, a) in enumerate(zip(expected, actual, strict=True))
            for line in differences(e, a, f"{where}[{i}]")
        ]
    if not _same(expected, actual):
        return [f"{where}: expected {render(expected)}, got {render(actual)}"]
    return []


def project(shape: Any, actual: Any) -> Any:
    """``actual`` restricted to the keys ``shape`` names (the inventory's view of it)."""
    if isinstance(shape, Exact) and isinstance(actual, dict):
        return Exact({k: project(shape.get(k), v) for k, v in actual.items()})
    if isinstance(shape, dict) and isinstance(actual, dict):
        return {k: project(v, actual[k]) for k, v in shape.items() if k in actual}
    if isinstance(shape, list) and isinstance(actual, list) and len(shape) == len(actual):
        return [project(s, a) for s, a in zip(shape, actual, strict=True)]
    return actual


def _siblings(address: str, planned: Iterable[str]) -> list[str]:
    """Planned addresses of the same resource (without instance key) as ``address``."""
    base = address.split("[", 1)[0]
    return sorted(a for a in planned if a.split("[", 1)[0] == base)


def compare(inventory: dict[str, Any], plan: dict[str, Any]) -> tuple[list[str], dict[str, Any]]:
    """The mismatches of ``plan`` against ``inventory``, and the actual YAML of those entries."""
    problems: list[str] = []
    actual: dict[str, Any] = {}
    values = planned_values(plan)
    for address, expected in sorted(inventory.get("values", {}).items()):
        if address not in values:
            others = _siblings(address, values)
            problems.append(
                f"values: {address}: not in the plan"
                + (f" (planned: {', '.join(others)})" if others else "")
            )
            continue
        found = differences(expected, values[address], "")
        if found:
            problems += [f"values: {address}{line}" for line in found]
            actual.setdefault("values", {})[address] = project(expected, values[address])
    counts = planned_counts(plan)
    expected_counts = inventory.get("counts", {})
    for rtype, number in sorted(expected_counts.items()):
        if counts.get(rtype, 0) != number:
            problems.append(f"counts: {rtype}: expected {number}, got {counts.get(rtype, 0)}")
            actual.setdefault("counts", {})[rtype] = counts.get(rtype, 0)
    if inventory.get("counts_complete"):
        for rtype in sorted(set(counts) - set(expected_counts)):
            problems.append(
                f"counts: {rtype}: planned {counts[rtype]}, not in the inventory "
                "(counts_complete: true)"
            )
            actual.setdefault("counts", {})[rtype] = counts[rtype]
    outputs = planned_outputs(plan)
    for name, expected in sorted(inventory.get("outputs", {}).items()):
        if name not in outputs:
            problems.append(f"outputs: {name}: not in the plan")
            continue
        found = differences(expected, outputs[name], "")
        if found:
            problems += [f"outputs: {name}{line}" for line in found]
            actual.setdefault("outputs", {})[name] = project(expected, outputs[name])
    return problems, actual


# --- files ----------------------------------------------------------------------------------------


def loads(text: str) -> Any:
    """YAML as an inventory reads it: safe, plus ``!exact``."""
    return yaml.load(text, Loader=_Loader)  # a SafeLoader subclass


def load(path: Path) -> dict[str, Any]:
    inventory = loads(path.read_text()) or {}
    if not isinstance(inventory, dict) or set(inventory) - set(KEYS):
        raise InventoryError(f"{path}: an inventory is a mapping of {', '.join(KEYS)} only")
    return inventory


def dump(inventory: dict[str, Any]) -> str:
    """Stable YAML: sorted keys, block style, no line wrapping."""
    return yaml.dump(
        inventory,
        Dumper=_Dumper,
        sort_keys=True,
        default_flow_style=False,
        allow_unicode=True,
        width=10**6,
    )


def _prune(value: Any) -> Any:
    """Known, non-empty values only (a new inventory's default selection)."""
    if isinstance(value, dict):
        kept = {k: _prune(v) for k, v in value.items() if k not in DEFAULT_SKIP}
        return {k: v for k, v in kept.items() if v not in (None, [], {}, "")}
    if isinstance(value, list):
        return [_prune(v) for v in value]
    return value


def regenerated(inventory: dict[str, Any] | None, plan: dict[str, Any]) -> tuple[dict, list[str]]:
    """The inventory rewritten from ``plan`` (same selection), and the addresses it dropped."""
    values, counts, outputs = planned_values(plan), planned_counts(plan), planned_outputs(plan)
    if inventory is None:
        return {
            "values": {a: _prune(v) for a, v in values.items()},
            "counts": counts,
            "counts_complete": True,
            "outputs": outputs,
        }, []
    new: dict[str, Any] = {}
    dropped = sorted(set(inventory.get("values", {})) - set(values))
    dropped += [f"output {n}" for n in sorted(set(inventory.get("outputs", {})) - set(outputs))]
    if "values" in inventory:
        new["values"] = {
            a: project(shape, values[a]) for a, shape in inventory["values"].items() if a in values
        }
    if "counts" in inventory or inventory.get("counts_complete"):
        types = set(inventory.get("counts", {}))
        if inventory.get("counts_complete"):
            types |= set(counts)
        new["counts"] = {t: counts.get(t, 0) for t in types}
    if "counts_complete" in inventory:
        new["counts_complete"] = inventory["counts_complete"]
    if "outputs" in inventory:
        new["outputs"] = {
            n: project(shape, outputs[n])
            for n, shape in inventory["outputs"].items()
            if n in outputs
        }
    return new, dropped


def _header(path: Path) -> str:
    """The comment lines at the top of an existing inventory (kept by regeneration)."""
    if not path.is_file():
        return ""
    lines = []
    for line in path.read_text().splitlines(keepends=True):
        if not line.startswith("#"):
            break
        lines.append(line)
    return "".join(lines)


def regenerate(path: Path, plan: dict[str, Any]) -> list[str]:
    """Rewrite the inventory at ``path`` from ``plan``; the addresses and outputs it dropped."""
    inventory = load(path) if path.is_file() else None
    new, dropped = regenerated(inventory, plan)
    path.write_text(_header(path) + dump(new))
    return dropped


def check(plan: dict[str, Any], path: Path) -> None:
    """Fail unless ``plan`` matches the inventory at ``path`` (or regenerate it on request)."""
    __tracebackhide__ = True  # pytest shows the failing test, not this function
    shown = path.relative_to(Path.cwd()) if path.is_relative_to(Path.cwd()) else path
    if os.environ.get(REGEN_ENV, "") not in ("", "0"):
        dropped = regenerate(path, plan)
        gone = f"; dropped (no longer planned): {', '.join(dropped)}" if dropped else ""
        raise InventoryError(
            f"{shown}: regenerated from the plan ({REGEN_ENV} is set), review the diff{gone}; "
            f"then run again without {REGEN_ENV}"
        )
    if not path.is_file():
        raise InventoryError(
            f"{shown}: no inventory; run with {REGEN_ENV}=1 to write one from this plan"
        )
    problems, actual = compare(load(path), plan)
    if problems:
        raise InventoryError(
            f"the plan does not match {shown} ({len(problems)} differences):\n"
            + "\n".join(f"  {p}" for p in problems)
            + f"\nThe plan's actual values of these entries (paste them over the inventory's, or "
            f"run with {REGEN_ENV}=1 to rewrite it):\n" + dump(actual)
        )
