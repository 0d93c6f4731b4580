"""The managed resources a Terraform plan (`terraform show -json PLANFILE`) creates or keeps."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

_LIVE_ACTIONS = frozenset({"create", "update", "no-op"})
_MODULE_STEP = re.compile(r'module\.([\w-]+)(?:\[(?:"(?:[^"\\]|\\.)*"|[^\]]*)\])?')


@dataclass(frozen=True)
class Resource:
    """One resource instance as the plan has it after the change."""

    address: str
    module: tuple[str, ...]  # module call names from the root, instance keys dropped
    type: str
    name: str
    after: Mapping[str, Any]
    after_unknown: Mapping[str, Any]


def module_path(module_address: str) -> tuple[str, ...]:
    """``module.a["x"].module.b`` -> ``("a", "b")``."""
    return tuple(_MODULE_STEP.findall(module_address or ""))


def live_resources(plan: Mapping[str, Any]) -> list[Resource]:
    """Managed resources that exist after the plan: from resource_changes, else planned_values."""
    found: list[Resource] = []
    if "resource_changes" in plan:
        for rc in plan.get("resource_changes") or []:
            change = rc.get("change") or {}
            if rc.get("mode", "managed") != "managed":
                continue
            if not _LIVE_ACTIONS & set(change.get("actions") or []):
                continue  # deleted, forgotten or read-only
            after_unknown = change.get("after_unknown")
            found.append(
                Resource(
                    address=rc.get("address", ""),
                    module=module_path(rc.get("module_address", "")),
                    type=rc.get("type", ""),
                    name=rc.get("name", ""),
                    after=change.get("after") or {},
                    after_unknown=after_unknown if isinstance(after_unknown, dict) else {},
                )
            )
        return found

    def walk(module: Mapping[str, Any]) -> None:
        path = module_path(module.get("address", ""))
        for res in module.get("resources") or []:
            if res.get("mode", "managed") == "managed":
                found.append(
                    Resource(
                        res.get("address", ""),
                        path,
                        res.get("type", ""),
                        res.get("name", ""),
                        res.get("values") or {},
                        {},
                    )
                )
        for child in module.get("child_modules") or []:
            walk(child)

    walk((plan.get("planned_values") or {}).get("root_module") or {})
    return found
