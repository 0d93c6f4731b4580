"""Every user input is checked before any work: one table of refusals through natless.cli.main.

Each case must end with exit status 2 (a UserError, or argparse's usage error), a message on
stderr that names the flag or the key at fault, and no traceback. Three parts:

- :data:`EXPLICIT`: the mistakes reported in issue 15 and their neighbours;
- :data:`FLAGS`: every numeric and list flag of compare, cost, advise, package and demo, each
  tried with NaN, nan, inf, -inf, 1e309, a negative number, zero where zero is invalid, and
  empty values (lists also with only separators); :func:`test_the_table_covers_every_flag`
  fails when the parser has a numeric or list flag the table does not list;
- :data:`FILE_CASES`: the same mistakes inside ``advise --file`` and ``cost --traffic-file``.

Nothing here may start work: ``cost --example`` planning and ``demo`` running are replaced by
functions that fail the test, so a refusal that came after them would show.
"""

from __future__ import annotations

import argparse
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import pytest

from natless.cli import build_parser, main
from natless.commands import argtypes

COMMANDS = ("compare", "cost", "advise", "package", "demo")  # `emulator --port`: not here
WEIRD_NUMBERS = ("NaN", "nan", "inf", "-inf", "1e309", "-1", "")
EMPTY_LISTS = ("", ",", ",,", " , ")


@dataclass(frozen=True)
class Case:
    """argv (``{tmp}`` stands for a scratch folder) and the names, one of which must appear."""

    argv: tuple[str, ...]
    names: tuple[str, ...]


@dataclass(frozen=True)
class Flag:
    """A numeric or list flag: how to pass a value, what else the command needs, what to name."""

    command: str
    option: str  # "--azs"; a positional's dest ("functions")
    kind: str  # "number" or "list"
    base: tuple[str, ...]  # the rest of a command line that is otherwise fine
    names: tuple[str, ...]
    zero_ok: bool = True
    item: str | None = None  # list items carrying a number: "internet_ipv4_only={}"

    def argv(self, value: str) -> tuple[str, ...]:
        if self.option.startswith("-"):
            return (self.command, *self.base, f"{self.option}={value}")
        return (self.command, *self.base, "--", value)


COST = ("--example", "egress-only")  # planning would come after every check (and fails here)
ADVISE = ("--aws", "sqs")
PACKAGE = ("--src-root", "{tmp}/src", "--out-dir", "{tmp}/out")

FLAGS = (
    Flag("cost", "--traffic", "list", COST, ("--traffic",), item="internet_ipv4_only={}"),
    Flag("cost", "--services", "list", COST, ("--services",)),
    Flag("cost", "--azs", "number", COST, ("--azs",), zero_ok=False),
    Flag("cost", "--invocations", "number", COST, ("--invocations",)),
    Flag("cost", "--duration-ms", "number", COST, ("--duration-ms",), zero_ok=False),
    Flag("cost", "--memory-mb", "number", COST, ("--memory-mb",), zero_ok=False),
    Flag("advise", "--aws", "list", ("--private", "rds"), ("--aws", "sqs"), item="sqs={}"),
    Flag("advise", "--private", "list", ADVISE, ("--private",)),
    Flag("advise", "--ipv6-api", "number", ADVISE, ("--ipv6-api", "ipv6_api")),
    Flag("advise", "--ipv4-api", "number", ADVISE, ("--ipv4-api", "ipv4_api")),
    Flag("advise", "--azs", "number", ADVISE, ("--azs", "azs", "AZ count"), zero_ok=False),
    Flag("advise", "--invocations", "number", ADVISE, ("--invocations", "invocations")),
    Flag("advise", "--duration-ms", "number", ADVISE, ("--duration-ms", "duration"), False),
    Flag("advise", "--memory-mb", "number", ADVISE, ("--memory-mb", "memory_mb"), False),
    Flag("package", "functions", "list", PACKAGE, ("FUNCTION", "function")),
    Flag("demo", "--iterations", "number", (), ("--iterations",), zero_ok=False),
    Flag("demo", "--destroy-attempts", "number", (), ("--destroy-attempts",), zero_ok=False),
    Flag("demo", "--destroy-wait", "number", (), ("--destroy-wait",)),
)


def flag_cases(flag: Flag) -> Iterator[tuple[str, Case]]:
    label = f"{flag.command} {flag.option}"
    if flag.kind == "number":
        values = [*WEIRD_NUMBERS, *(() if flag.zero_ok else ("0",))]
        for value in values:
            yield f"{label}={value!r}", Case(flag.argv(value), flag.names)
        return
    for value in EMPTY_LISTS:
        yield f"{label}={value!r}", Case(flag.argv(value), flag.names)
    if flag.item is not None:
        for value in WEIRD_NUMBERS:
            text = flag.item.format(value)
            yield f"{label}={text!r}", Case(flag.argv(text), flag.names)


EXPLICIT: dict[str, Case] = {
    # issue 15, as reported
    "cost traffic 1e309 (was a traceback)": Case(
        ("cost", "--compare", "--traffic", "internet_ipv4_only=1e309"),
        ("--traffic", "internet_ipv4_only"),
    ),
    "advise ipv4-api 1e309 (was a traceback)": Case(("advise", "--ipv4-api", "1e309"), ("ipv4",)),
    "package out-dir in /proc (was a traceback)": Case(
        ("package", "--src-root", "{tmp}/src", "--out-dir", "/proc/nope"), ("--out-dir",)
    ),
    "advise aws empty (was an empty workload)": Case(("advise", "--aws", ""), ("--aws",)),
    "advise aws only commas": Case(("advise", "--aws", ",,"), ("--aws",)),
    "advise private empty": Case(("advise", "--private", ""), ("--private",)),
    "advise 99 AZs (was accepted)": Case(("advise", *ADVISE, "--azs", "99"), ("azs",)),
    "advise 7 AZs in us-east-1": Case(("advise", *ADVISE, "--azs", "7"), ("azs", "us-east-1")),
    "advise 4 AZs in eu-central-1": Case(
        ("advise", *ADVISE, "--region", "eu-central-1", "--azs", "4"), ("azs", "eu-central-1")
    ),
    "advise file with an unknown key": Case(("advise", "--file", "{tmp}/typo.json"), ("privat",)),
    "cost example bad traffic, before planning": Case(
        ("cost", *COST, "--traffic", "s3=lots"), ("--traffic", "s3")
    ),
    "cost example unknown class, before planning": Case(
        ("cost", *COST, "--traffic", "nat=5"), ("--traffic", "nat")
    ),
    "cost example 99 AZs, before planning": Case(("cost", *COST, "--azs", "99"), ("--azs",)),
    "cost example 4 AZs in eu-central-1": Case(
        ("cost", *COST, "--region", "eu-central-1", "--azs", "4"), ("--azs", "eu-central-1")
    ),
    "cost example unknown region, before planning": Case(
        ("cost", *COST, "--region", "mars-1"), ("mars-1",)
    ),
    "cost example empty region": Case(("cost", *COST, "--region", ""), ("region",)),
    "cost example unknown service, before planning": Case(
        ("cost", *COST, "--services", "xray,warp"), ("--services", "warp")
    ),
    "cost example bad traffic file, before planning": Case(
        ("cost", *COST, "--traffic-file", "{tmp}/nan-traffic.json"), ("s3",)
    ),
    "cost unknown example": Case(("cost", "--example", "nope"), ("nope",)),
    "cost example that is a path": Case(("cost", "--example", "../modules"), ("--example",)),
    "cost empty example": Case(("cost", "--example", ""), ("--example",)),
    "cost empty plan path": Case(("cost", ""), ("PLAN_JSON",)),
    "cost huge invocations": Case(
        ("cost", *COST, "--invocations", "10000000000000"), ("--invocations",)
    ),
    "cost 20-minute duration": Case(
        ("cost", *COST, "--duration-ms", "1200000"), ("--duration-ms",)
    ),
    "cost tiny memory": Case(("cost", *COST, "--memory-mb", "64"), ("--memory-mb",)),
    "cost fractional AZs": Case(("cost", *COST, "--azs", "2.5"), ("--azs",)),
    "demo destroy-attempts -1 (skipped destroy)": Case(
        ("demo", "--destroy-attempts", "-1"), ("--destroy-attempts",)
    ),
    "demo destroy-attempts 0 (was the default)": Case(
        ("demo", "--destroy-attempts", "0"), ("--destroy-attempts",)
    ),
    "demo destroy-wait -1": Case(("demo", "--destroy-wait", "-1"), ("--destroy-wait",)),
    "demo destroy-wait beyond an hour": Case(
        ("demo", "--destroy-wait", "1e9"), ("--destroy-wait",)
    ),
    "demo 10001 iterations": Case(("demo", "--iterations", "10001"), ("--iterations",)),
    "compare empty VPC path": Case(("compare", "", "{tmp}/public.json"), ("VPC_RESULT.json",)),
    "compare empty public path": Case(("compare", "{tmp}/vpc.json", ""), ("PUBLIC_RESULT.json",)),
    "compare empty out (would be the current folder)": Case(
        ("compare", "{tmp}/vpc.json", "{tmp}/public.json", "--out", ""), ("--out",)
    ),
    "compare empty routes": Case(
        ("compare", "{tmp}/vpc.json", "{tmp}/public.json", "--routes", ""), ("--routes",)
    ),
    "compare missing result": Case(("compare", "{tmp}/none.json", "{tmp}/public.json"), ("none",)),
    "compare unknown mode": Case(
        ("compare", "{tmp}/vpc.json", "{tmp}/public.json", "--mode", "cloud"), ("--mode",)
    ),
    "package empty out-dir": Case(("package", "--out-dir", ""), ("--out-dir",)),
    "package out-dir is a file": Case(
        ("package", "--src-root", "{tmp}/src", "--out-dir", "{tmp}/typo.json"), ("--out-dir",)
    ),
    "package empty src-root": Case(("package", "--src-root", ""), ("--src-root",)),
    "package src-root without functions": Case(
        ("package", "--src-root", "{tmp}/none", "--out-dir", "{tmp}/out"), ("--src-root",)
    ),
    "package function that is a path": Case(("package", *PACKAGE, "--", "../bench"), ("FUNCTION",)),
    "package unknown function": Case(("package", *PACKAGE, "nope"), ("nope",)),
}

# advise --file and cost --traffic-file: the same mistakes as keys of a JSON file
FILE_CASES: dict[str, tuple[str, tuple[str, ...]]] = {
    '{"aws": ["sqs"], "azs": 1e309}': ("azs",),
    '{"aws": ["sqs"], "azs": 1e999999999}': ("azs",),
    '{"aws": ["sqs"], "azs": NaN}': ("azs",),
    '{"aws": ["sqs"], "azs": 0}': ("AZ count",),
    '{"aws": ["sqs"], "azs": 7}': ("azs",),
    '{"aws": ["sqs"], "ipv4_api_gb": NaN}': ("ipv4_api",),
    '{"aws": ["sqs"], "ipv6_api_gb": -Infinity}': ("ipv6_api",),
    '{"aws": ["sqs"], "ipv4_api_gb": 1e309}': ("ipv4_api",),
    '{"aws": ["sqs"], "ipv4_api_gb": -1}': ("ipv4_api",),
    '{"aws": ["sqs"], "ipv4_api_gb": ""}': ("ipv4_api",),
    '{"aws": {"sqs": 1e309}}': ("sqs",),
    '{"aws": {"sqs": -1}}': ("sqs",),
    '{"aws": {"sqs": "nan"}}': ("sqs",),
    '{"aws": []}': ("aws",),
    '{"aws": ""}': ("aws",),
    '{"aws": ["sqs"], "private": []}': ("private",),
    '{"aws": ["sqs"], "private": " , "}': ("private",),
    '{"aws": ["sqs"], "invocations": -1}': ("invocations",),
    '{"aws": ["sqs"], "invocations": 1e13}': ("invocations",),
    '{"aws": ["sqs"], "duration_ms": 0}': ("duration_ms",),
    '{"aws": ["sqs"], "duration_ms": Infinity}': ("duration_ms",),
    '{"aws": ["sqs"], "memory_mb": 1e309}': ("memory_mb",),
    '{"aws": ["sqs"], "memory_mb": 0}': ("memory_mb",),
}
TRAFFIC_FILE_CASES: dict[str, tuple[str, ...]] = {
    '{"s3": 1e309}': ("s3",),
    '{"s3": NaN}': ("s3",),
    '{"s3": -Infinity}': ("s3",),
    '{"s3": -1}': ("s3",),
    '{"s3": ""}': ("s3",),
    '{"s3": 1e-30}': ("s3",),
}


def all_cases() -> dict[str, Case]:
    cases = dict(EXPLICIT)
    for flag in FLAGS:
        cases.update(flag_cases(flag))
    for i, (text, names) in enumerate(FILE_CASES.items()):
        cases[f"advise --file {text}"] = Case(("advise", "--file", f"{{tmp}}/w{i}.json"), names)
    for i, (text, names) in enumerate(TRAFFIC_FILE_CASES.items()):
        cases[f"cost --traffic-file {text}"] = Case(
            ("cost", *COST, "--traffic-file", f"{{tmp}}/t{i}.json"), names
        )
    return cases


CASES = all_cases()


@pytest.fixture(scope="module")
def scratch(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The files the cases name: results, workload files, a tiny function folder."""
    tmp = tmp_path_factory.mktemp("refusals")
    (tmp / "src" / "hello").mkdir(parents=True)
    (tmp / "src" / "hello" / "handler.py").write_text("def handler(e, c):\n    return 1\n")
    (tmp / "typo.json").write_text('{"aws": ["sqs"], "privat": ["rds"]}')
    (tmp / "nan-traffic.json").write_text('{"s3": NaN}')
    result = '{"ok": true, "placement": "%s", "operations": {"sqs_send": {"samples_ms": [1.0]}}}'
    (tmp / "vpc.json").write_text(result % "vpc")
    (tmp / "public.json").write_text(result % "public")
    for i, text in enumerate(FILE_CASES):
        (tmp / f"w{i}.json").write_text(text)
    for i, text in enumerate(TRAFFIC_FILE_CASES):
        (tmp / f"t{i}.json").write_text(text)
    return tmp


@pytest.fixture(autouse=True)
def no_work(monkeypatch: pytest.MonkeyPatch) -> None:
    """Planning an example and running the demo fail the test: refusals must come first."""

    def planned(*args: object, **kwargs: object) -> None:
        raise AssertionError("the command started work before refusing its input")

    monkeypatch.setattr("natless.commands.cost._plan_example", planned)
    monkeypatch.setattr("natless.commands.demo.run_demo", planned)


def run_cli(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[object, str, str]:
    """Exit status (returned or argparse's SystemExit), stdout and stderr."""
    try:
        status: object = main(argv)
    except SystemExit as exc:
        status = exc.code
    captured = capsys.readouterr()
    return status, captured.out, captured.err


@pytest.mark.parametrize("name", list(CASES))
def test_refused_with_a_message(
    name: str, scratch: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    case = CASES[name]
    argv = [arg.replace("{tmp}", str(scratch)) for arg in case.argv]
    status, out, err = run_cli(argv, capsys)
    assert status == 2, f"{argv}: exit {status}\n{out}{err}"
    assert "Traceback" not in out + err
    assert "error" in err
    last = err.strip().splitlines()[-1]
    assert any(n in last for n in case.names), f"{argv}: {last!r} names none of {case.names}"


def _parsers() -> dict[str, argparse.ArgumentParser]:
    parser = build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return {name: sub.choices[name] for name in COMMANDS}


def test_the_table_covers_every_flag() -> None:
    """A numeric or list flag the table does not try fails here; so does a bare int/float."""
    found = set()
    for command, parser in _parsers().items():
        for action in parser._actions:
            assert action.type not in (int, float, Decimal), (
                f"{command} {action.option_strings or action.dest}: use a converter of "
                "natless.commands.argtypes, which refuses NaN, infinities and empty values"
            )
            kind = argtypes.flag_kind(action)
            if kind is not None:
                option = action.option_strings[0] if action.option_strings else action.dest
                found.add((command, option, kind))
    listed = {(f.command, f.option, f.kind) for f in FLAGS}
    assert found == listed, f"not in FLAGS: {found - listed}; gone: {listed - found}"


def test_the_table_is_large() -> None:
    print(f"\n{len(CASES)} refusal cases")
    assert len(CASES) >= 150
