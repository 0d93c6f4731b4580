"""The inventory matcher itself (tests/support/inventory.py), on hand-made plans: no Terraform.

Fast, pure Python; it lives beside the plan tests whose inventories it reads.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.support import inventory as inv
from tests.support.inventory import UNKNOWN, Exact, InventoryError


def change(
    address: str,
    after: dict[str, Any],
    unknown: dict[str, Any] | None = None,
    actions: tuple[str, ...] = ("create",),
    mode: str = "managed",
) -> dict[str, Any]:
    rtype = address.split("[", 1)[0].split(".")[-2]
    return {
        "address": address,
        "mode": mode,
        "type": rtype,
        "change": {"actions": list(actions), "after": after, "after_unknown": unknown or {}},
    }


def plan() -> dict[str, Any]:
    return {
        "resource_changes": [
            change(
                'module.vpc.aws_subnet.this["private/a"]',
                {
                    "cidr_block": "10.0.0.0/21",
                    "enable_dns64": False,
                    "tags": {"Name": "p", "x": "1"},
                },
                {"ipv6_cidr_block": True},
            ),
            change(
                'module.vpc.aws_subnet.this["public/a"]',
                {"cidr_block": "10.0.8.0/21", "enable_dns64": False, "tags": {"Name": "q"}},
                {"ipv6_cidr_block": True},
            ),
            change(
                "module.fn.aws_lambda_function.this",
                {"vpc_config": [{"ipv6_allowed_for_dual_stack": True}], "memory_size": 256},
                {"vpc_config": [{"subnet_ids": True}]},
            ),
            change("aws_nat_gateway.old", {}, actions=("delete",)),
            change("module.fn.data.aws_iam_policy_document.this", {"statement": []}, mode="data"),
        ],
        "output_changes": {
            "azs": {"actions": ["create"], "after": ["a", "b"], "after_unknown": False},
            "ids": {"actions": ["create"], "after": None, "after_unknown": [True, True]},
        },
    }


def write(path: Path, inventory: dict[str, Any], header: str = "") -> Path:
    path.write_text(header + inv.dump(inventory))
    return path


# --- reading a plan ---------------------------------------------------------------------------


def test_unknown_values_read_as_known_after_apply() -> None:
    values = inv.planned_values(plan())
    assert values['module.vpc.aws_subnet.this["private/a"]']["ipv6_cidr_block"] == UNKNOWN
    assert values["module.fn.aws_lambda_function.this"]["vpc_config"] == [
        {"ipv6_allowed_for_dual_stack": True, "subnet_ids": UNKNOWN}
    ]
    assert inv.planned_outputs(plan()) == {"azs": ["a", "b"], "ids": [UNKNOWN, UNKNOWN]}
    assert inv.with_unknowns(None, {}) is None  # nothing unknown: the value as it is


def test_counts_are_planned_managed_instances() -> None:
    assert inv.planned_counts(plan()) == {"aws_subnet": 2, "aws_lambda_function": 1}


# --- subset semantics -------------------------------------------------------------------------


def test_mappings_match_as_subsets_lists_element_wise_scalars_exactly() -> None:
    actual = {"a": 1, "b": {"c": True, "d": [1, {"e": "x", "f": None}]}, "g": "y"}
    assert inv.differences({"b": {"d": [1, {"e": "x"}]}}, actual) == []
    assert inv.differences({}, actual) == []
    assert inv.differences({"b": {"d": [1]}}, actual) == [
        '.b.d: expected 1 items [1], got 2 [1, {"e": "x", "f": null}]'
    ]
    assert inv.differences({"b": {"c": 1}}, actual) == [".b.c: expected 1, got true"]
    assert inv.differences({"a": 1.0, "b": {"d": [1, {"f": None}]}}, actual) == []
    assert inv.differences({"h": None}, actual) == [".h: expected null, got no such key"]
    assert inv.differences({"g": ["y"]}, actual) == ['.g: expected a list ["y"], got "y"']


def test_exact_mappings_refuse_other_keys() -> None:
    actual = {"tags": {"Name": "p", "x": "1"}}
    assert inv.differences({"tags": {"Name": "p"}}, actual) == []
    assert inv.differences({"tags": Exact({"Name": "p"})}, actual) == [
        '.tags.x: not expected (!exact), got "1"'
    ]
    assert inv.differences(Exact(), {}) == []
    text = inv.dump({"tags": Exact({"b": 1, "a": 2})})
    assert text == "tags: !exact\n  a: 2\n  b: 1\n"
    assert isinstance(inv.loads(text)["tags"], Exact)


# --- mismatches -------------------------------------------------------------------------------


def test_a_matching_inventory_passes(tmp_path: Path) -> None:
    path = write(
        tmp_path / "ok.yaml",
        {
            "values": {
                'module.vpc.aws_subnet.this["private/a"]': {
                    "cidr_block": "10.0.0.0/21",
                    "ipv6_cidr_block": UNKNOWN,
                },
                "module.fn.data.aws_iam_policy_document.this": {"statement": []},
            },
            "counts": {"aws_subnet": 2, "aws_lambda_function": 1, "aws_nat_gateway": 0},
            "counts_complete": True,
            "outputs": {"azs": ["a", "b"], "ids": [UNKNOWN, UNKNOWN]},
        },
    )
    inv.check(plan(), path)


def test_mismatch_lists_each_path_and_prints_the_actual_yaml(tmp_path: Path) -> None:
    path = write(
        tmp_path / "bad.yaml",
        {
            "values": {
                'module.vpc.aws_subnet.this["private/a"]': {
                    "cidr_block": "10.0.64.0/21",
                    "enable_dns64": False,
                    "tags": Exact({"Name": "p"}),
                },
                'module.vpc.aws_subnet.this["isolated/a"]': {},
            },
            "counts": {"aws_subnet": 3},
            "counts_complete": True,
            "outputs": {"azs": ["a"]},
        },
    )
    with pytest.raises(InventoryError) as failed:
        inv.check(plan(), path)
    message = str(failed.value)
    assert f"the plan does not match {path} (6 differences)" in message
    subnet = 'module.vpc.aws_subnet.this["private/a"]'
    assert f'values: {subnet}.cidr_block: expected "10.0.64.0/21", got "10.0.0.0/21"' in message
    assert f'values: {subnet}.tags.x: not expected (!exact), got "1"' in message
    assert (
        'values: module.vpc.aws_subnet.this["isolated/a"]: not in the plan (planned: '
        'module.vpc.aws_subnet.this["private/a"], module.vpc.aws_subnet.this["public/a"])'
    ) in message
    assert "counts: aws_subnet: expected 3, got 2" in message
    assert "counts: aws_lambda_function: planned 1, not in the inventory" in message
    assert 'outputs: azs: expected 1 items ["a"], got 2 ["a", "b"]' in message
    # the actual YAML, ready to paste: the inventory's keys with the plan's values
    pasted = inv.loads(message.split("to rewrite it):\n", 1)[1])
    assert pasted == {
        "values": {
            subnet: {
                "cidr_block": "10.0.0.0/21",
                "enable_dns64": False,
                "tags": {"Name": "p", "x": "1"},
            }
        },
        "counts": {"aws_subnet": 2, "aws_lambda_function": 1},
        "outputs": {"azs": ["a", "b"]},
    }
    assert isinstance(pasted["values"][subnet]["tags"], Exact)


def test_missing_inventory_says_how_to_write_one(tmp_path: Path) -> None:
    with pytest.raises(InventoryError, match="NATLESS_REGEN_INVENTORIES=1 to write one"):
        inv.check(plan(), tmp_path / "none.yaml")


def test_unknown_top_level_key_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "typo.yaml"
    path.write_text("value: {}\n")
    with pytest.raises(InventoryError, match="mapping of values, counts"):
        inv.check(plan(), path)


# --- regeneration -----------------------------------------------------------------------------


def test_regeneration_keeps_the_selection_fails_and_is_stable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(inv.REGEN_ENV, "1")
    path = write(
        tmp_path / "regen.yaml",
        {
            "values": {
                'module.vpc.aws_subnet.this["public/a"]': {"cidr_block": "stale", "tags": {}},
                'module.vpc.aws_subnet.this["gone/a"]': {"cidr_block": "x"},
            },
            "counts": {"aws_subnet": 9, "aws_nat_gateway": 4},
            "outputs": {"ids": [], "removed": 1},
        },
        header="# a comment that stays\n",
    )
    with pytest.raises(InventoryError, match=r"regenerated from the plan .* review the diff") as e:
        inv.check(plan(), path)
    assert 'module.vpc.aws_subnet.this["gone/a"], output removed' in str(e.value)
    first = path.read_text()
    assert first == (
        "# a comment that stays\n"
        "counts:\n"
        "  aws_nat_gateway: 0\n"
        "  aws_subnet: 2\n"
        "outputs:\n"
        "  ids:\n"
        "  - (known after apply)\n"
        "  - (known after apply)\n"
        "values:\n"
        '  module.vpc.aws_subnet.this["public/a"]:\n'
        "    cidr_block: 10.0.8.0/21\n"
        "    tags: {}\n"
    )
    with pytest.raises(InventoryError):
        inv.check(plan(), path)
    assert path.read_text() == first  # a second run changes nothing
    monkeypatch.delenv(inv.REGEN_ENV)
    inv.check(plan(), path)  # and the regenerated inventory matches


def test_regeneration_of_a_new_inventory_selects_everything_planned(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(inv.REGEN_ENV, "1")
    path = tmp_path / "new.yaml"
    with pytest.raises(InventoryError, match="review the diff"):
        inv.check(plan(), path)
    new = inv.load(path)
    assert new["counts_complete"] is True
    assert new["counts"] == {"aws_lambda_function": 1, "aws_subnet": 2}
    assert set(new["values"]) == {
        'module.vpc.aws_subnet.this["private/a"]',
        'module.vpc.aws_subnet.this["public/a"]',
        "module.fn.aws_lambda_function.this",
        "module.fn.data.aws_iam_policy_document.this",
    }
    # known, non-empty values only: the data source's empty statement list is left out
    assert new["values"]["module.fn.data.aws_iam_policy_document.this"] == {}
    assert new["values"]["module.fn.aws_lambda_function.this"] == {
        "memory_size": 256,
        "vpc_config": [{"ipv6_allowed_for_dual_stack": True, "subnet_ids": UNKNOWN}],
    }
    monkeypatch.delenv(inv.REGEN_ENV)
    inv.check(plan(), path)
