"""natless installed from its wheel into a fresh virtual environment, run from another folder.

The wheel is built from a copy of what it packages (pyproject.toml, README.md, natless/), so the
build writes nothing into the checkout. The new environment reuses the dev environment's
dependencies (a ``.pth`` file names its site-packages: nothing is downloaded but the build
backend pip's build isolation asks for), and its own natless comes first on ``sys.path``, so
every command below runs the installed copy, with no checkout in reach: HOME and
XDG_STATE_HOME are temporary folders and the current folder is outside the repository.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import venv
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from natless import __version__
from natless.paths import EXAMPLES, ROOT
from tests.support.bench_results import bench_result, lognormal
from tests.support.plans import single_nat_plan

PACKAGED = ("pyproject.toml", "README.md", "natless")


@dataclass(frozen=True)
class Installed:
    natless: Path  # the console script of the new environment
    python: Path
    site_packages: Path
    cwd: Path  # the user's folder, outside any checkout
    state: Path  # XDG_STATE_HOME
    env: dict[str, str]

    def run(self, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(self.natless), *args],
            cwd=self.cwd,
            env={**self.env, **env},
            capture_output=True,
            text=True,
            timeout=120,
        )


def _pip(*args: str) -> None:
    subprocess.run(
        [sys.executable, "-m", "pip", "--disable-pip-version-check", "-q", *args],
        check=True,
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Installed]:
    tmp = tmp_path_factory.mktemp("installed")
    src = tmp / "src"
    src.mkdir()
    for name in PACKAGED:
        if (ROOT / name).is_dir():
            ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
            shutil.copytree(ROOT / name, src / name, ignore=ignore)
        else:
            shutil.copy2(ROOT / name, src / name)
    _pip("wheel", "--no-deps", "-w", str(tmp / "wheels"), str(src))
    [wheel] = (tmp / "wheels").glob("natless-*.whl")

    env_dir = tmp / "venv"
    venv.create(env_dir, with_pip=False)
    python = env_dir / "bin" / "python"
    site_packages = Path(
        subprocess.run(
            [str(python), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
            check=True,
            capture_output=True,
            text=True,
        ).stdout.strip()
    )
    # The dev environment's packages, after the new environment's own (a path line in a .pth
    # file is appended to sys.path; the .pth files in that folder, the editable natless's
    # among them, are not run).
    (site_packages / "dev-environment.pth").write_text(sysconfig.get_path("purelib") + "\n")
    _pip("--python", str(python), "install", "--no-deps", str(wheel))

    cwd, home, state = tmp / "work", tmp / "home", tmp / "state"
    for folder in (cwd, home):
        folder.mkdir()
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("NATLESS_", "AWS_", "PYTHON", "VIRTUAL_ENV"))
    }
    env.update(HOME=str(home), XDG_STATE_HOME=str(state), MPLBACKEND="Agg")
    yield Installed(env_dir / "bin" / "natless", python, site_packages, cwd, state, env)


def test_the_installed_copy_runs_and_the_wheel_holds_no_test_helper(installed: Installed) -> None:
    found = subprocess.run(
        [str(installed.python), "-c", "import natless; print(natless.__file__)"],
        cwd=installed.cwd,
        env=installed.env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    assert Path(found).is_relative_to(installed.site_packages)
    package = installed.site_packages / "natless"
    shipped = {p.relative_to(package).as_posix() for p in package.rglob("*") if p.is_file()}
    assert "cost/data/pricing.json" in shipped
    assert not [p for p in shipped if "postgres" in p or "rds_ca" in p or p.startswith("pg")]
    version = installed.run("--version")
    assert (version.returncode, version.stdout.strip()) == (0, f"natless {__version__}")


def test_cost_prices_the_users_plan(installed: Installed) -> None:
    (installed.cwd / "plan.json").write_text(json.dumps(single_nat_plan(2)))
    done = installed.run("cost", "plan.json", "--traffic", "internet_ipv4_only=100")
    assert done.returncode == 0, done.stderr
    assert "Total  USD 41.00/month" in done.stdout  # 36.50 fixed + 100 GB x 0.045


def test_advise(installed: Installed) -> None:
    done = installed.run("advise", "--aws", "sqs,xray=0.5", "--ipv4-api", "5", "--private", "rds")
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("Recommendation: ")


def test_compare_writes_its_report_in_the_current_folder(installed: Installed) -> None:
    ops = ("dynamodb_put", "s3_put")
    for placement, seed in (("vpc", 0), ("public", 10)):
        samples = {op: lognormal(seed + i, 40, 5.0, 0.2) for i, op in enumerate(ops)}
        (installed.cwd / f"{placement}.json").write_text(
            json.dumps(bench_result(placement, samples))
        )
    done = installed.run("compare", "vpc.json", "public.json")
    assert done.returncode == 0, done.stderr
    [report] = (installed.cwd / "reports").glob("*/report.md")
    assert {p.name for p in report.parent.iterdir()} >= {"report.md", "results.json"}
    assert f"report: {report}" in done.stdout


def test_routes_reads_the_users_stack(installed: Installed, tmp_path: Path) -> None:
    """The function names come from the stack's outputs, then the Lambda API is asked.

    A stand-in ``terraform`` answers ``terraform output -json`` (no Terraform in these tests),
    and the AWS endpoint is a closed port: the run ends at the first API call, with a message
    and exit status 2, after it has read the function name from the user's stack.
    """
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    outputs = {"function_name": {"value": "orders-worker", "type": "string", "sensitive": False}}
    fake = bin_dir / "terraform"
    fake.write_text(
        f"#!{sys.executable}\nimport sys\n"
        f"sys.stdout.write({json.dumps(outputs)!r} if 'output' in sys.argv else '')\n"
    )
    fake.chmod(0o755)
    stack = installed.cwd / "stack"
    stack.mkdir()
    (stack / "main.tf").write_text("# the user's root module\n")
    done = installed.run(
        "routes",
        "--tf-dir",
        "stack",
        PATH=f"{bin_dir}{os.pathsep}{installed.env.get('PATH', '')}",
        NATLESS_PROVIDER_MIRROR="",
        AWS_ENDPOINT_URL="http://127.0.0.1:9",
        AWS_ACCESS_KEY_ID="natless-test",
        AWS_SECRET_ACCESS_KEY="natless-test",
        AWS_REGION="us-east-1",
        AWS_MAX_ATTEMPTS="1",
    )
    assert done.returncode == 2, done.stderr
    assert "reading routes failed" in done.stderr
    assert "functions/orders-worker/" in done.stderr


def test_demo_says_it_needs_a_checkout(installed: Installed) -> None:
    done = installed.run("demo")
    assert done.returncode == 2
    assert "needs a checkout of the natless repository" in done.stderr
    assert "NATLESS_HOME" in done.stderr
    assert "Traceback" not in done.stderr


def test_natless_home_names_the_checkout(installed: Installed) -> None:
    """With NATLESS_HOME the installed copy finds this checkout's examples (an unknown name
    lists them, without planning anything)."""
    done = installed.run("cost", "--example", "no-such-example", NATLESS_HOME=str(ROOT))
    assert done.returncode == 2
    known = ", ".join(sorted(p.name for p in EXAMPLES.iterdir() if (p / "main.tf").is_file()))
    assert f"choose one of: {known}" in done.stderr


def test_nothing_is_written_into_the_installed_package(installed: Installed) -> None:
    """Scratch state goes to XDG_STATE_HOME/natless, reports to ./reports (tests above)."""
    written = {p.name for p in installed.site_packages.iterdir()}
    assert not written & {".natless", "build", "reports", "lambda_src"}
    assert not [p for p in (installed.site_packages / "natless").rglob("*") if p.name == "work"]
