"""Where the test suite's time goes: `make profile` and `make bench-suite`.

    python -m tests.tools.profile [--demo] [-- PYTEST_ARGS...]

Runs pytest (the same selection as `make test` unless told otherwise) with a `terraform` shim
first on PATH (tests/tools/shim/terraform) that records every Terraform process with the test
that started it, then prints:

- the suite's wall time, the number of tests (passed/failed/skipped) and of applies;
- per test module: its tests, the seconds pytest spent in it (setup + call + teardown, summed
  over workers, so with xdist the column adds up to more than the wall time), and its Terraform
  processes by sub-command with their summed seconds;
- with ``--demo``: one `natless demo` run (10 calls per operation) and its stage times.

It measures; it asserts nothing. Speed is watched by reading these figures, never by a timed
test inside `make test`.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from natless.console.table import aligned
from natless.paths import ROOT

SHIM = Path(__file__).resolve().parent / "shim"
SUBCOMMANDS = ("init", "plan", "apply", "destroy", "output", "show", "validate")


@dataclass
class ModuleFigures:
    tests: int = 0
    seconds: float = 0.0
    tf_count: Counter[str] = field(default_factory=Counter)
    tf_seconds: float = 0.0


def module_of(classname: str) -> str:
    """``tests.unit.test_x`` or ``tests.unit.test_x.TestClass`` -> ``tests/unit/test_x.py``."""
    parts = classname.split(".")
    for end in range(len(parts), 0, -1):
        candidate = "/".join(parts[:end]) + ".py"
        if (ROOT / candidate).is_file():
            return candidate
    return classname or "?"


def read_junit(path: Path) -> tuple[dict[str, ModuleFigures], Counter[str]]:
    """Per test module: tests and seconds; and the outcome counts."""
    modules: dict[str, ModuleFigures] = defaultdict(ModuleFigures)
    outcomes: Counter[str] = Counter()
    for case in ET.parse(path).getroot().iter("testcase"):
        module = module_of(case.get("classname", ""))
        figures = modules[module]
        figures.tests += 1
        figures.seconds += float(case.get("time", 0))
        kinds = {child.tag for child in case}
        outcome = next((k for k in ("failure", "error", "skipped") if k in kinds), "passed")
        outcomes[outcome] += 1
    return modules, outcomes


def read_terraform_log(
    path: Path, modules: dict[str, ModuleFigures]
) -> tuple[Counter[str], Counter[str]]:
    """Add each recorded Terraform process to its test module.

    Returns the process counts and their summed seconds, both by sub-command.
    """
    totals: Counter[str] = Counter()
    seconds: Counter[str] = Counter()
    if not path.is_file():
        return totals, seconds
    for line in path.read_text().splitlines():
        test, command, start, end, _rc = line.split("\t")
        module = test.split("::", 1)[0] if "::" in test else "(outside a test)"
        command = command if command in SUBCOMMANDS else "other"
        figures = modules[module]
        figures.tf_count[command] += 1
        figures.tf_seconds += float(end) - float(start)
        totals[command] += 1
        seconds[command] += float(end) - float(start)
    return totals, seconds


def report(modules: dict[str, ModuleFigures], totals: Counter[str]) -> list[str]:
    header = ["test module", "tests", "s in tests", *SUBCOMMANDS[:5], "tf s"]
    rows = []
    for name, fig in sorted(modules.items(), key=lambda kv: -kv[1].seconds - kv[1].tf_seconds):
        counts = [str(fig.tf_count[c] or "") for c in SUBCOMMANDS[:5]]
        rows.append([name, str(fig.tests), f"{fig.seconds:.1f}", *counts, f"{fig.tf_seconds:.0f}"])
    rows.append(
        [
            "total",
            str(sum(f.tests for f in modules.values())),
            f"{sum(f.seconds for f in modules.values()):.1f}",
            *(str(totals[c]) for c in SUBCOMMANDS[:5]),
            f"{sum(f.tf_seconds for f in modules.values()):.0f}",
        ]
    )
    return aligned(header, rows, right=range(1, len(header)), rule="-")


def run_suite(pytest_args: list[str]) -> int:
    real = shutil.which("terraform")
    if real is None:
        print("profile: terraform is not on PATH", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="natless-profile-") as tmp:
        log, junit = Path(tmp) / "terraform.tsv", Path(tmp) / "junit.xml"
        env = {
            **os.environ,
            "PATH": f"{SHIM}{os.pathsep}{os.environ.get('PATH', '')}",
            "NATLESS_TF_REAL": real,
            "NATLESS_TF_LOG": str(log),
        }
        command = [sys.executable, "-m", "pytest", f"--junitxml={junit}", *pytest_args]
        print("profile: " + " ".join(command[2:]), flush=True)
        started = time.monotonic()
        code = subprocess.call(command, env=env, cwd=ROOT)
        wall = time.monotonic() - started
        modules, outcomes = read_junit(junit) if junit.is_file() else ({}, Counter())
        totals, seconds = read_terraform_log(log, modules)
    print()
    print(f"suite wall time      {wall:7.1f} s (pytest exit {code})")
    print(
        f"tests                {sum(outcomes.values()):7d} "
        f"({outcomes['passed']} passed, {outcomes['failure'] + outcomes['error']} failed, "
        f"{outcomes['skipped']} skipped)"
    )
    print(f"terraform processes  {sum(totals.values()):7d} ({dict(totals)})")
    print(f"applies              {totals['apply']:7d} ({seconds['apply']:.0f} s in all)")
    print(f"destroys             {totals['destroy']:7d} ({seconds['destroy']:.0f} s in all)")
    print()
    print("\n".join(report(modules, totals)))
    return code


def run_demo() -> int:
    """One demo on the emulator; print its stage times."""
    command = [sys.executable, "-m", "natless", "demo", "--iterations", "10", "--json"]
    print("\nprofile: natless " + " ".join(command[3:]), flush=True)
    started = time.monotonic()
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
    wall = time.monotonic() - started
    if done.returncode != 0:
        print(done.stderr[-3000:], file=sys.stderr)
        return done.returncode
    summary = json.loads(done.stdout[done.stdout.index("{\n") :])
    stages = summary["timings_s"]
    print(f"demo wall time       {wall:7.1f} s")
    print("\n".join(aligned(["stage", "s"], [[k, f"{v:.1f}"] for k, v in stages.items()], [1])))
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.tools.profile")
    parser.add_argument("--demo", action="store_true", help="also run the demo once")
    parser.add_argument("pytest_args", nargs="*", help="after --: arguments for pytest")
    args = parser.parse_args(argv)
    code = run_suite(args.pytest_args)
    if args.demo:
        code = run_demo() or code
    return code


if __name__ == "__main__":
    sys.exit(main())
