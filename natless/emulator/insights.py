"""A Logs Insights evaluator for the one query shape natless runs (the audit's flow-log sums).

moto's Insights (moto/logs/logs_query) knows only ``fields``, ``sort`` and ``limit``; the fix
``logs-insights-stats`` in :mod:`natless.emulator.fixes` hands it queries of natless's shape
first: a glob ``parse``, ``filter`` (and/or/not, ``=``, ``!=``, ``in [...]``,
``isIpInSubnet``), one ``stats sum(F) [as A] by ...`` and ``limit``. Any other query raises
:class:`NotNatless` and goes to moto unchanged.
"""

from __future__ import annotations

import ipaddress
import json
import re
from collections.abc import Callable, Iterable
from typing import Any

_INSIGHTS_TOKEN = re.compile(
    r'\s*(?:(?P<str>"(?:[^"\\]|\\.)*")|(?P<num>-?\d+(?:\.\d+)?)|(?P<op>!=|=|[()\[\],])'
    r"|(?P<word>@?[A-Za-z_][\w.]*))"
)


class NotNatless(Exception):
    """A query outside the shape the fix evaluates: moto answers it as before."""


def _insights_tokens(text: str) -> list[tuple[str, str]]:
    tokens, at = [], 0
    while at < len(text.rstrip()):
        match = _INSIGHTS_TOKEN.match(text, at)
        if match is None or match.end() == at:
            raise NotNatless(text[at:])
        kind = match.lastgroup or ""
        value = match.group(kind)
        tokens.append((kind, json.loads(value) if kind == "str" else value))
        at = match.end()
    return tokens


def _insights_condition(text: str) -> Callable[[dict[str, str]], bool]:
    """A filter expression of and/or/not, parentheses, ``field = "x"``, ``field != "x"``,
    ``field in ["x", ...]`` and ``isIpInSubnet(field, "cidr")``, as a predicate on a record."""
    tokens = _insights_tokens(text)
    at = 0

    def peek() -> tuple[str, str]:
        return tokens[at] if at < len(tokens) else ("end", "")

    def take(value: str | None = None) -> tuple[str, str]:
        nonlocal at
        token = peek()
        if token[0] == "end" or (value is not None and token[1] != value):
            raise NotNatless(f"expected {value} at {token}")
        at += 1
        return token

    def disjunction() -> Callable[[dict[str, str]], bool]:
        parts = [conjunction()]
        while peek() == ("word", "or"):
            take()
            parts.append(conjunction())
        return lambda r: any(p(r) for p in parts)

    def conjunction() -> Callable[[dict[str, str]], bool]:
        parts = [negation()]
        while peek() == ("word", "and"):
            take()
            parts.append(negation())
        return lambda r: all(p(r) for p in parts)

    def negation() -> Callable[[dict[str, str]], bool]:
        if peek() == ("word", "not"):
            take()
            inner = negation()
            return lambda r: not inner(r)
        return atom()

    def literal() -> str:
        kind, value = take()
        if kind not in ("str", "num"):
            raise NotNatless(value)
        return value

    def atom() -> Callable[[dict[str, str]], bool]:
        kind, value = take()
        if (kind, value) == ("op", "("):
            inner = disjunction()
            take(")")
            return inner
        if kind != "word":
            raise NotNatless(value)
        if value == "isIpInSubnet":
            take("(")
            name = take()[1]
            take(",")
            network = ipaddress.ip_network(literal(), strict=False)
            take(")")

            def in_subnet(r: dict[str, str]) -> bool:
                try:
                    return ipaddress.ip_address(r.get(name, "")) in network
                except ValueError:
                    return False

            return in_subnet
        operator = take()[1]
        if operator == "in":
            take("[")
            values = {literal()}
            while peek() == ("op", ","):
                take()
                values.add(literal())
            take("]")
            return lambda r: r.get(value) in values
        if operator in ("=", "!="):
            wanted, equal = literal(), operator == "="
            return lambda r: value in r and (r[value] == wanted) == equal
        raise NotNatless(operator)

    condition = disjunction()
    if at != len(tokens):
        raise NotNatless(text)
    return condition


def _insights_commands(query: str) -> list[str]:
    """The query's commands: split at ``|`` outside double quotes."""
    commands, current, quoted, escaped = [], "", False, False
    for char in query:
        if char == "|" and not quoted:
            commands.append(current.strip())
            current = ""
            continue
        if char == '"' and not escaped:
            quoted = not quoted
        escaped = char == "\\" and not escaped
        current += char
    return [*commands, current.strip()]


_PARSE = re.compile(r'parse\s+(@?\w+)\s+"((?:[^"\\]|\\.)*)"\s+as\s+([\w\s,]+)', re.S)
_STATS = re.compile(r"stats\s+sum\((\w+)\)(?:\s+as\s+(\w+))?\s+by\s+([\w\s,]+)", re.S)
_LIMIT = re.compile(r"limit\s+(\d+)")


def _glob(pattern: str) -> re.Pattern[str]:
    pieces = [re.escape(json.loads(f'"{part}"')) for part in pattern.split("*")]
    stars = len(pieces) - 1
    groups = ["(.*?)"] * (stars - 1) + ["(.*)"] if stars else []
    return re.compile("".join(p + g for p, g in zip(pieces, [*groups, ""], strict=True)))


def insights_plan(query: str) -> Callable[[Iterable[str]], list[dict[str, str]]]:
    """The query as a function of the log messages, when it is natless's shape: ``parse``
    (a glob into named fields; of @message or of a parsed field), ``filter``, exactly one
    ``stats sum(F) [as A] by F1, F2, ..`` and ``limit``, in that kind of order. Anything else
    raises NotNatless."""
    steps: list[tuple[str, Any]] = []
    limit = None
    stats = None
    for command in _insights_commands(query):
        verb = command.split(None, 1)[0] if command else ""
        if verb == "parse" and stats is None and (m := _PARSE.fullmatch(command)):
            names = [n.strip() for n in m[3].split(",")]
            glob = _glob(m[2])
            if glob.groups != len(names):
                raise NotNatless(command)
            steps.append(("parse", (m[1], glob, names)))
        elif verb == "filter" and stats is None:
            steps.append(("filter", _insights_condition(command[len("filter") :])))
        elif verb == "stats" and stats is None and (m := _STATS.fullmatch(command)):
            stats = (m[1], m[2] or f"sum({m[1]})", [n.strip() for n in m[3].split(",")])
        elif verb == "limit" and (m := _LIMIT.fullmatch(command)):
            limit = int(m[1])
        else:
            raise NotNatless(command)
    if stats is None:
        raise NotNatless("no stats command")
    summed, alias, keys = stats

    def run(messages: Iterable[str]) -> list[dict[str, str]]:
        sums: dict[tuple[str, ...], int] = {}
        for message in messages:
            record = {"@message": message}
            for kind, step in steps:
                if kind == "parse":
                    source, glob, names = step
                    match = glob.fullmatch(record.get(source, ""))
                    if match:
                        record.update(zip(names, match.groups(), strict=True))
                elif not step(record):
                    break
            else:
                if all(k in record for k in keys) and record.get(summed, "").isdigit():
                    group = tuple(record[k] for k in keys)
                    sums[group] = sums.get(group, 0) + int(record[summed])
        rows = [
            {**dict(zip(keys, group, strict=True)), alias: str(total)}
            for group, total in sorted(sums.items(), key=lambda item: (-item[1], item[0]))
        ]
        return rows[:limit] if limit is not None else rows

    return run
