"""Reading `terraform show -json` plans in tests: instances by address, config references."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

_INSTANCE = re.compile(r'^(?P<base>.*?)(?:\[(?P<key>"[^"]*"|\d+)\])?$')


@dataclass
class Plan:
    raw: dict[str, Any]

    def instances(self, address: str, mode: str = "managed") -> dict[str, dict[str, Any]]:
        """Planned instances of one resource (e.g. ``module.vpc.aws_route.x``) by instance key.

        A resource without count/for_each has the key "". Deleted instances are left out.
        ``mode="data"`` reads data sources (address without the ``data.`` part).
        """
        found: dict[str, dict[str, Any]] = {}
        for rc in self.raw.get("resource_changes", []):
            match = _INSTANCE.match(rc["address"].replace(".data.", ".").removeprefix("data."))
            if match is None or match["base"] != address or rc["mode"] != mode:
                continue
            if rc["change"]["actions"] == ["delete"]:
                continue
            key = (match["key"] or "").strip('"')
            found[key] = {**rc["change"], "after_unknown": rc["change"].get("after_unknown", {})}
        return found

    def by_type(self, rtype: str, mode: str = "managed") -> list[dict[str, Any]]:
        return [
            rc
            for rc in self.raw.get("resource_changes", [])
            if rc["type"] == rtype and rc["mode"] == mode
        ]

    def module_config(self, *path: str) -> dict[str, Any]:
        node = self.raw["configuration"]["root_module"]
        for name in path:
            node = node["module_calls"][name]["module"]
        return node

    def references(self, module: tuple[str, ...], address: str, attribute: str) -> list[str]:
        """The references of ``attribute`` in the configuration of resource ``address``."""
        for res in self.module_config(*module)["resources"]:
            if res["address"] == address:
                return res["expressions"].get(attribute, {}).get("references", [])
        raise KeyError(f"{address} not in module {module}")

    def output(self, name: str) -> Any:
        return self.raw["planned_values"]["outputs"][name]["value"]
