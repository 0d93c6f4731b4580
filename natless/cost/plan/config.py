"""What a plan's ``configuration`` block says about a list-valued argument of a resource.

Terraform leaves a list unknown in the plan when its elements are unknown until apply (subnet
IDs, say). Its length often still follows from the configuration: :class:`ConfigCounter` counts
it, and when it cannot, names the resources the list is drawn from.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from natless.cost.plan.resources import Resource

_REFERENCE = re.compile(r'^([\w-]+)\.([\w-]+)(\[(?:"(?:[^"\\]|\\.)*"|[^\]]*)\])?')
_UNRESOLVABLE_HEADS = frozenset({"data", "local", "each", "count", "path", "terraform", "self"})
_MAX_DEPTH = 16

# (module path, resource type, resource name): every instance of one resource block
ResourceKey = tuple[tuple[str, ...], str, str]


class ConfigCounter:
    """Counts the elements of a list-valued argument from the plan's ``configuration`` block.

    Handles constant lists, ``var.X`` (root: the plan's ``variables``; in a module: the calling
    expression in the parent), ``module.M.OUTPUT`` and resource references: indexed references
    (``aws_subnet.a[0].id``) count their distinct indices, bare ones (``aws_subnet.a[*].id``,
    ``[for s in aws_subnet.a : s.id]``) count that resource's instances in the plan. Anything else
    (locals, data sources, functions over references like ``slice``) is unknown: None, or an
    over-count for functions that drop elements.
    """

    def __init__(self, plan: Mapping[str, Any], resources: Sequence[Resource]) -> None:
        self._plan = plan
        self._resources = resources

    def module(self, path: tuple[str, ...]) -> Mapping[str, Any] | None:
        module = (self._plan.get("configuration") or {}).get("root_module")
        for step in path:
            if not isinstance(module, dict):
                return None
            module = ((module.get("module_calls") or {}).get(step) or {}).get("module")
        return module if isinstance(module, dict) else None

    def expression(self, res: Resource, name: str) -> object:
        """The configuration's expression for argument ``name`` of ``res`` (None: not set)."""
        module = self.module(res.module) or {}
        for conf in module.get("resources") or []:
            if conf.get("type") == res.type and conf.get("name") == res.name:
                return (conf.get("expressions") or {}).get(name)
        return None

    def argument(self, res: Resource, name: str) -> int | None:
        """How many elements argument ``name`` of ``res`` has, or None when that is unknown."""
        return self.length(self.expression(res, name), res.module, 0)

    def sources(self, res: Resource, name: str) -> set[ResourceKey]:
        """The resources argument ``name`` of ``res`` refers to, through variables and outputs.

        Locals, data sources and the like are skipped, so this also works where
        :meth:`argument` gives up: ``[for az in local.azs : aws_subnet.this[az].id]`` draws from
        ``aws_subnet.this`` (some of its instances; which ones the plan does not say).
        """
        found: set[ResourceKey] = set()
        self._collect(self.expression(res, name), res.module, 0, found)
        return found

    def length(self, expr: object, path: tuple[str, ...], depth: int) -> int | None:
        if depth > _MAX_DEPTH or not isinstance(expr, dict):
            return None
        if "constant_value" in expr:
            value = expr["constant_value"]
            return len(value) if isinstance(value, list) else None
        groups: dict[tuple[str, str], set[str]] = {}
        for ref in expr.get("references") or []:
            match = _REFERENCE.match(ref)
            if match is None or match.group(1) in _UNRESOLVABLE_HEADS:
                return None
            key = (match.group(1), match.group(2))
            rest = ref[match.end() :]
            if key[0] == "module":  # module.M.OUTPUT, or the bare call module.M
                output = rest.lstrip(".").split(".")[0].split("[")[0] if rest else ""
                key = ("module", f"{key[1]}.{output}") if output else key
            groups.setdefault(key, set())
            if match.group(3) and key[0] != "module":
                groups[key].add(match.group(3))
        # a module output reference makes the bare module.M reference redundant
        outputs = {k[1].split(".")[0] for k in groups if k[0] == "module" and "." in k[1]}
        total = 0
        for (head, name), indices in groups.items():
            if head == "module" and "." not in name and name in outputs:
                continue
            count = self._count(head, name, indices, path, depth)
            if count is None:
                return None
            total += count
        return total or None

    def _count(
        self, head: str, name: str, indices: set[str], path: tuple[str, ...], depth: int
    ) -> int | None:
        if indices:
            return len(indices)
        if head == "var":
            if not path:
                value = ((self._plan.get("variables") or {}).get(name) or {}).get("value")
                return len(value) if isinstance(value, list) else None
            return self.length(*self._caller_argument(name, path), depth + 1)
        if head == "module":
            if "." not in name:
                return None
            return self.length(*self._module_output(name, path), depth + 1)
        count = sum(1 for r in self._resources if (r.type, r.name, r.module) == (head, name, path))
        return count or None

    def _collect(
        self, expr: object, path: tuple[str, ...], depth: int, found: set[ResourceKey]
    ) -> None:
        if depth > _MAX_DEPTH or not isinstance(expr, dict):
            return
        for ref in expr.get("references") or []:
            match = _REFERENCE.match(ref)
            if match is None or match.group(1) in _UNRESOLVABLE_HEADS:
                continue
            head, name = match.group(1), match.group(2)
            if head == "var":
                if path:  # a root variable holds values, not references
                    self._collect(*self._caller_argument(name, path), depth + 1, found)
            elif head == "module":
                rest = ref[match.end() :].lstrip(".")
                output = rest.split(".")[0].split("[")[0]
                if output:  # the bare call module.M accompanies module.M.OUTPUT
                    self._collect(*self._module_output(f"{name}.{output}", path), depth + 1, found)
            else:
                found.add((path, head, name))

    def _caller_argument(self, name: str, path: tuple[str, ...]) -> tuple[object, tuple[str, ...]]:
        """The expression the calling module passes to ``var.name`` of the module at ``path``."""
        parent = self.module(path[:-1]) or {}
        call = (parent.get("module_calls") or {}).get(path[-1]) or {}
        return (call.get("expressions") or {}).get(name), path[:-1]

    def _module_output(self, name: str, path: tuple[str, ...]) -> tuple[object, tuple[str, ...]]:
        """The expression of ``module.CALL.OUTPUT`` (``name`` = ``CALL.OUTPUT``) from ``path``."""
        call, output = name.split(".", 1)
        child = self.module((*path, call)) or {}
        return ((child.get("outputs") or {}).get(output) or {}).get("expression"), (*path, call)
