"""No input makes natless print a traceback: cost, advise, compare and package with any values.

Hypothesis draws command lines: every flag of the command, each present or not, with text,
numbers (NaN, infinities, 1e309, huge and tiny, negative, empty, non-ASCII digits) and lists of
known and unknown names. Whatever it draws, ``natless.cli.main`` must return 0, 1 or 2, or
argparse must exit with status 2; any other exception is a bug, and so is "Traceback" in the
output.

Kept fast and free of side effects outside a scratch folder:

- ``cost --example`` would plan with Terraform (20-30 s) once its flags pass the checks; here
  the planning function is replaced by one that returns a small plan, so those paths run too;
- ``compare`` writes its report into the scratch folder; the chart is replaced by a stub
  (matplotlib takes about a second per chart; the chart only reads checked results);
- ``package`` always gets ``--src-root`` and ``--out-dir`` (the default source folder vendors
  a requirement with pip), drawn from scratch folders, broken paths and empty values;
- values are passed as ``--flag=value`` and positionals after ``--``, so a drawn ``-h`` is a
  value, never the help option.
"""

from __future__ import annotations

import contextlib
import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from natless.cli import main
from natless.cost.pricing import ARCHITECTURES, known_regions
from natless.cost.traffic import TRAFFIC_CLASSES
from tests.support.plans import single_nat_plan

SETTINGS = settings(
    max_examples=200,
    deadline=None,
    database=None,  # nothing written into the checkout
    suppress_health_check=[HealthCheck.too_slow],
)

WEIRD_NUMBERS = (
    "NaN", "nan", "-nan", "sNaN", "inf", "-inf", "+inf", "Infinity", "1e309", "-1e309",
    "1e999999999", "1e-999999999", "-1", "0", "-0", "", " ", "1_000", "0x10", "1e3", "2.5",
    "99999999999999999999999", "١٢", "1,5", "3 ", "\t7",
)  # fmt: skip
NUMBER = st.one_of(
    st.sampled_from(WEIRD_NUMBERS),
    st.integers(-(10**25), 10**25).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.decimals(allow_nan=True, allow_infinity=True).map(str),
    st.text(max_size=8),
)


def number(good: st.SearchStrategy[Any]) -> st.SearchStrategy[str]:
    """Mostly values that pass (so later checks run too), else anything in NUMBER."""
    return st.one_of(good.map(str), good.map(str), NUMBER)


AZS = number(st.integers(1, 6))
GB = number(st.decimals(0, 10**6, places=3))
INVOCATIONS = number(st.integers(0, 10**7))
DURATION = number(st.decimals("0.1", 900_000, places=1))
MEMORY = number(st.integers(128, 10240))
SERVICE = st.sampled_from(["sqs", "xray", "s3", "dynamodb", "ssm", "SQS", "bogus", "", " "])
NAME = st.one_of(SERVICE, SERVICE, st.text(max_size=8))


def listing(names: st.SearchStrategy[str], volumes: bool) -> st.SearchStrategy[str]:
    """Comma-separated names, some with ``=volume`` when ``volumes``."""
    item = st.tuples(names, st.none() | GB) if volumes else st.tuples(names, st.none())
    return st.lists(item, max_size=4).map(
        lambda items: ",".join(n if v is None else f"{n}={v}" for n, v in items)
    )


TRAFFIC = listing(st.one_of(st.sampled_from(TRAFFIC_CLASSES), st.text(max_size=6)), True)
REGION = st.one_of(st.sampled_from([*known_regions(), "mars-1", ""]), st.text(max_size=6))
ARCH = st.one_of(st.sampled_from(ARCHITECTURES), st.text(max_size=6))

# files in the scratch folder, by the kind of content
JSON_FILES = {
    "traffic-ok.json": {"s3": 10, "internet_ipv4_only": 100},
    "traffic-list.json": [1, 2],
    "workload-ok.json": {"aws": ["sqs", "xray"], "private": ["rds"], "azs": 3},
    "workload-typo.json": {"aws": ["sqs"], "privat": ["rds"]},
    "workload-list.json": ["sqs"],
    "plan.json": single_nat_plan(),
    "vpc.json": {
        "ok": True,
        "placement": "vpc",
        "operations": {"sqs_send": {"samples_ms": [5.0, 5.5, 6.0, 5.2, 5.1] * 8}},
    },
    "public.json": {
        "ok": True,
        "placement": "public",
        "operations": {"sqs_send": {"samples_ms": [5.1, 5.4, 6.2, 5.0, 5.3] * 8}},
    },
    "failed.json": {"ok": False, "error": {"type": "Boom", "message": "no"}},
    "routes.json": {"columns": ["::/0"], "rows": [{"function": "f", "cells": {}}]},
}
TEXT_FILES = {
    "traffic-nan.json": '{"s3": NaN, "aws_ipv6": 1e309}',
    "workload-weird.json": '{"aws": {"sqs": 1e309}, "azs": 1e999999999, "duration_ms": NaN}',
    "garbage.json": "not json {",
    "binary.json": "\udcff",  # written with surrogateescape: undecodable bytes
}
MISSING = ("none.json", "dir")  # dir is a folder


@pytest.fixture(scope="module")
def scratch(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("properties")
    for name, doc in JSON_FILES.items():
        (tmp / name).write_text(json.dumps(doc))
    for name, text in TEXT_FILES.items():
        (tmp / name).write_bytes(text.encode("utf-8", "surrogateescape"))
    (tmp / "dir").mkdir()
    (tmp / "src" / "hello").mkdir(parents=True)
    (tmp / "src" / "hello" / "handler.py").write_text("def handler(e, c):\n    return 1\n")
    return tmp


def file_choice(*names: str) -> st.SearchStrategy[str]:
    """A scratch file (``{tmp}/name``), a missing one, or any text."""
    known = [f"{{tmp}}/{n}" for n in (*names, *MISSING, "garbage.json")]
    return st.one_of(st.sampled_from(known), st.text(max_size=10))


def option(flag: str, values: st.SearchStrategy[str]) -> st.SearchStrategy[list[str]]:
    """``[]`` (2 times in 3) or ``["--flag=value"]``."""
    return st.one_of(st.just([]), st.just([]), values.map(lambda v: [f"{flag}={v}"]))


def switch(flag: str) -> st.SearchStrategy[list[str]]:
    return st.sampled_from([[], [flag]])


def command(name: str, *parts: st.SearchStrategy[list[str]]) -> st.SearchStrategy[list[str]]:
    return st.tuples(*parts).map(lambda lists: [name, *(arg for part in lists for arg in part)])


TRAFFIC_FILES = ("traffic-ok.json", "traffic-list.json", "traffic-nan.json")
COST = command(
    "cost",
    st.sampled_from([["--compare"], ["--example=egress-only"], ["--example=nope"], []]),
    st.lists(option("--traffic", TRAFFIC), max_size=2).map(lambda ls: [a for x in ls for a in x]),
    option("--traffic-file", file_choice(*TRAFFIC_FILES)),
    option("--region", REGION),
    option("--azs", AZS),
    option("--services", listing(NAME, False)),
    option("--invocations", INVOCATIONS),
    option("--duration-ms", DURATION),
    option("--memory-mb", MEMORY),
    option("--arch", ARCH),
    switch("--compare"),
    switch("--json"),
    st.one_of(st.just([]), file_choice("plan.json", "vpc.json").map(lambda p: ["--", p])),
)
WORKLOAD_FILES = ("workload-ok.json", "workload-typo.json", "workload-list.json")
ADVISE = command(
    "advise",
    option("--aws", listing(NAME, True)),
    st.one_of(switch("--ipv6-api"), option("--ipv6-api", GB)),
    st.one_of(switch("--ipv4-api"), option("--ipv4-api", GB)),
    option("--private", listing(st.sampled_from(["rds", "elasticache", "", " "]), False)),
    option("--azs", AZS),
    option("--region", REGION),
    switch("--ha"),
    switch("--no-split"),
    option("--invocations", INVOCATIONS),
    option("--duration-ms", DURATION),
    option("--memory-mb", MEMORY),
    option("--arch", ARCH),
    option("--file", file_choice(*WORKLOAD_FILES, "workload-weird.json", "binary.json")),
    switch("--json"),
)
OUT = st.one_of(
    st.sampled_from(["{tmp}/report", "{tmp}/plan.json", "/proc/nope/report", "", "{tmp}/dir"]),
    st.text(max_size=6).map(lambda t: f"{{tmp}}/out-{t}"),
)
RESULTS = ("vpc.json", "public.json", "failed.json", "plan.json")
COMPARE = command(
    "compare",
    option("--out", OUT),
    option("--routes", file_choice("routes.json", "vpc.json")),
    option("--mode", st.one_of(st.sampled_from(["emulator", "aws"]), st.text(max_size=5))),
    switch("--json"),
    st.one_of(
        st.just(["--", "{tmp}/vpc.json", "{tmp}/public.json"]),
        st.tuples(file_choice(*RESULTS), file_choice(*RESULTS)).map(lambda ab: ["--", *ab]),
    ),
)
FOLDERS = st.sampled_from(
    ["{tmp}/src", "{tmp}/src", "{tmp}/none", "{tmp}/plan.json", "/proc/nope", ""]
)
PACKAGE = command(
    "package",
    FOLDERS.map(lambda p: [f"--src-root={p}"]),
    st.one_of(
        st.just("{tmp}/build"),
        st.sampled_from(["{tmp}/build", "/proc/nope", "", "{tmp}/plan.json"]),
        OUT,
    ).map(
        lambda p: [f"--out-dir={p}"]
    ),
    switch("--json"),
    st.lists(
        st.one_of(st.just("hello"), st.sampled_from(["hello", "", "nope", "../src", "."]), NAME),
        max_size=3,
    )
    .map(lambda names: ["--", *names]),
)  # fmt: skip


@contextlib.contextmanager
def no_work(scratch: Path) -> Iterator[None]:
    """No Terraform plan (a small plan instead) and no chart (a stub file instead)."""

    def plan(name: str) -> dict[str, Any]:
        return single_nat_plan()

    def chart(path: Path, *args: object, **kwargs: object) -> None:
        path.write_bytes(b"\x89PNG stub")

    with (
        mock.patch("natless.commands.cost._plan_example", plan),
        mock.patch("natless.bench.report.latency_chart", chart),
    ):
        yield


def never_a_traceback(argv: list[str], scratch: Path) -> None:
    argv = [arg.replace("{tmp}", str(scratch)) for arg in argv]
    out, err = io.StringIO(), io.StringIO()
    with no_work(scratch), contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            status = main(argv)
        except SystemExit as exc:  # argparse: a usage error
            assert exc.code == 2, f"{argv}: argparse exit {exc.code}\n{err.getvalue()}"
            status = 2
    event(f"exit {status}")
    assert isinstance(status, int) and status in (0, 1, 2), f"{argv}: returned {status!r}"
    assert "Traceback" not in out.getvalue() + err.getvalue(), argv
    if status == 2:
        assert "error" in err.getvalue(), f"{argv}: exit 2 without a message"


@SETTINGS
@given(argv=COST)
def test_cost(argv: list[str], scratch: Path) -> None:
    never_a_traceback(argv, scratch)


@SETTINGS
@given(argv=ADVISE)
def test_advise(argv: list[str], scratch: Path) -> None:
    never_a_traceback(argv, scratch)


@SETTINGS
@given(argv=COMPARE)
def test_compare(argv: list[str], scratch: Path) -> None:
    never_a_traceback(argv, scratch)


@SETTINGS
@given(argv=PACKAGE)
def test_package(argv: list[str], scratch: Path) -> None:
    never_a_traceback(argv, scratch)
