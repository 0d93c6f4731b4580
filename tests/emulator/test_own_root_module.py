"""A root module of the user's own, outside the repository, on the embedded emulator (issue 10).

The main test does what the README recipe tells a user: copy a consumer root module
(tests/fixtures/own-root: the VPC with a NAT per AZ and DNS64, an SQS interface endpoint, and
a Lambda function of the user's) to a folder outside the repository that references modules/
by absolute path, point it at the emulator with the function ``natless emulator --tf-dir`` uses,
run Terraform there with natless's CLI config (3 processes: init, apply, destroy), then
``natless routes --tf-dir`` through the CLI (one ``terraform output``), and check that nothing
is left. The CLI itself (``natless emulator --tf-dir``: the override it writes, the lines it
prints, the removal on Ctrl-C and SIGTERM) runs as a subprocess; its refusals run in-process.
"""

from __future__ import annotations

import json
import os
import queue
import signal
import subprocess
import sys
import threading
import time
import zipfile
from pathlib import Path
from typing import Any

import boto3
import pytest

from natless.cli import main
from natless.emulator import OVERRIDE_MARKER, Emulator, state_warnings, write_override
from natless.paths import MODULES, ROOT
from natless.stack import Stack
from natless.terraform import terraform_env, tftest_for
from natless.workdir import OVERRIDE_FILE
from tests.emulator.test_examples_apply import leftovers

FIXTURE = ROOT / "tests" / "fixtures" / "own-root"
RELATIVE_MODULES = 'source = "../../../modules/'
HANDLER = "def handler(event, context):\n    return {'ok': True}\n"


def consumer_module(tmp_path: Path) -> Path:
    """The fixture copied outside the repository, modules/ by absolute path, its zip built."""
    folder = tmp_path / "my-stack"
    folder.mkdir()
    assert not folder.resolve().is_relative_to(ROOT)
    text = (FIXTURE / "main.tf").read_text()
    assert text.count(RELATIVE_MODULES) == 2
    (folder / "main.tf").write_text(text.replace(RELATIVE_MODULES, f'source = "{MODULES}/'))
    with zipfile.ZipFile(folder / "handler.zip", "w") as zf:
        zf.writestr("handler.py", HANDLER)
    return folder


def held(kw: dict[str, str]) -> dict[str, list[str]]:
    """:func:`leftovers` plus the other kinds this module creates."""
    ec2 = boto3.client("ec2", **kw)
    return {
        **leftovers(kw),
        "security_groups": [
            g["GroupId"]
            for g in ec2.describe_security_groups()["SecurityGroups"]
            if g["GroupName"] != "default"
        ],
        "nat_gateways": [
            n["NatGatewayId"]
            for n in ec2.describe_nat_gateways()["NatGateways"]
            if n["State"] not in ("deleted", "deleting")
        ],
        "addresses": [a["AllocationId"] for a in ec2.describe_addresses()["Addresses"]],
        "endpoints": [
            e["VpcEndpointId"]
            for e in ec2.describe_vpc_endpoints()["VpcEndpoints"]
            if e["State"].lower() not in ("deleted", "deleting")
        ],
        "egress_only_gateways": [
            g["EgressOnlyInternetGatewayId"]
            for g in ec2.describe_egress_only_internet_gateways()["EgressOnlyInternetGateways"]
        ],
        "roles": [r["RoleName"] for r in boto3.client("iam", **kw).list_roles()["Roles"]],
        "log_groups": [
            g["logGroupName"] for g in boto3.client("logs", **kw).describe_log_groups()["logGroups"]
        ],
    }


def state_ids(folder: Path) -> dict[str, Any]:
    """IDs from the module's local state (read as a file: no Terraform process)."""
    state = json.loads((folder / "terraform.tfstate").read_text())
    by_type: dict[str, dict[Any, str]] = {}
    for res in state["resources"]:
        if res["mode"] == "managed":
            for inst in res["instances"]:
                key = inst.get("index_key")
                by_type.setdefault(res["type"], {})[key] = inst["attributes"]["id"]
    return {
        "private_subnets": {
            v for k, v in by_type["aws_subnet"].items() if str(k).startswith("private/")
        },
        "eigw": next(iter(by_type["aws_egress_only_internet_gateway"].values())),
        "nats": set(by_type["aws_nat_gateway"].values()),
        "s3_endpoint": by_type["aws_vpc_endpoint"]["s3"],
    }


def table_rows(table: str) -> dict[str, list[str]]:
    """``natless routes``' table as {row label: cells}; the header row is keyed ""."""
    lines = table.splitlines()
    rule = lines[1]
    spans, start = [], 0
    for part in rule.split("  "):
        spans.append((start, start + len(part)))
        start += len(part) + 2
    rows = {}
    for line in (lines[0], *lines[2:]):
        cells = [line[a:b].strip() for a, b in spans]
        rows[cells[0]] = cells[1:]
    return rows


@pytest.mark.emulator
def test_own_root_module_outside_the_repository(emulator, tmp_path, monkeypatch, capsys) -> None:
    kw = emulator.client_kwargs()
    before = held(kw)
    folder = consumer_module(tmp_path)
    override = write_override(emulator, folder)
    assert override.path == folder / OVERRIDE_FILE
    assert override.path.read_text().startswith(OVERRIDE_MARKER)
    # Terraform runs with exactly what `natless emulator --tf-dir` prints (and nothing from
    # the repository): natless's CLI config, the override in the user's own folder.
    stack = Stack(source=folder, workdir=folder, tf=tftest_for(folder), local=True, keep=True)
    config = terraform_env().get("TF_CLI_CONFIG_FILE")
    assert stack.tf.env.get("TF_CLI_CONFIG_FILE") == config
    assert config is None or Path(config).is_file()
    started = time.monotonic()
    try:
        stack.tf.setup(cleanup_on_exit=False)  # terraform init
        stack.timings["init"] = round(time.monotonic() - started, 2)
        stack.apply()
        ids = state_ids(folder)
        for key, value in emulator.env().items():
            monkeypatch.setenv(key, value)
        capsys.readouterr()
        assert main(["routes", "--tf-dir", str(folder)]) == 0
        table = capsys.readouterr().out
        with capsys.disabled():
            print(f"\nnatless routes --tf-dir {folder}\n{table}")
        fn = boto3.client("lambda", **kw).get_function_configuration(FunctionName="orders-worker")
        assert fn["VpcConfig"]["Ipv6AllowedForDualStack"] is True
    finally:
        stack.destroy()
        assert override.remove()
        with capsys.disabled():
            print(f"timings {stack.timings}; total {time.monotonic() - started:.1f} s")
    assert not override.path.exists()
    assert held(kw) == before, "destroy left resources behind"

    rows = table_rows(table)
    assert rows[""] == ["orders-worker"] * 3
    assert set(rows["subnet"]) == ids["private_subnets"] and len(rows["subnet"]) == 3
    assert len(set(rows["az"])) == 3
    assert rows["IPv6 internet"] == [ids["eigw"]] * 3 and ids["eigw"].startswith("eigw-")
    assert rows["S3 dual-stack (IPv6)"] == [ids["eigw"]] * 3
    assert rows["S3 (IPv4)"] == [ids["s3_endpoint"]] * 3 and ids["s3_endpoint"].startswith("vpce-")
    # nat_mode = "per_az": each subnet's IPv4 leaves through the NAT of its own AZ, and DNS64's
    # 64:ff9b::/96 goes to that same NAT (NAT64).
    assert set(rows["IPv4 internet"]) == ids["nats"] and len(ids["nats"]) == 3
    assert rows["NAT64 64:ff9b::/96"] == rows["IPv4 internet"]


# --- the CLI: `natless emulator --tf-dir` -------------------------------------------------------


def small_module(folder: Path) -> Path:
    folder.mkdir()
    (folder / "main.tf").write_text('provider "aws" {\n  region = "eu-central-1"\n}\n')
    return folder


def read_until(proc: subprocess.Popen[str], marker: str, seconds: float = 60) -> str:
    """The process's stdout up to and including the line that holds ``marker``."""
    lines: queue.Queue[str] = queue.Queue()

    def reader() -> None:  # the pipe's text wrapper buffers lines select() cannot see
        for line in iter(proc.stdout.readline, ""):  # type: ignore[union-attr]
            lines.put(line)
            if marker in line:
                return
        lines.put("")

    threading.Thread(target=reader, daemon=True).start()
    out = ""
    deadline = time.monotonic() + seconds
    while (left := deadline - time.monotonic()) > 0:
        try:
            line = lines.get(timeout=left)
        except queue.Empty:
            break
        out += line
        if not line or marker in line:
            break
    if marker not in out:
        raise AssertionError(f"no {marker!r} in the output:\n{out}")
    return out


@pytest.mark.emulator
@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
def test_emulator_command_writes_and_removes_the_override(tmp_path, signum) -> None:
    folder = small_module(tmp_path / "my-stack")
    proc = subprocess.Popen(
        [sys.executable, "-m", "natless", "emulator", "--tf-dir", str(folder)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        out = read_until(proc, "Ctrl-C stops it")
        url = out.split("listening on ", 1)[1].split()[0]
        override = (folder / OVERRIDE_FILE).read_text()
        assert override.startswith(OVERRIDE_MARKER) and f'ec2 = "{url}"' in override
        assert f"Wrote {folder / OVERRIDE_FILE}" in out
        config = terraform_env().get("TF_CLI_CONFIG_FILE")
        if config is None:
            assert "installs hashicorp/aws from the registry" in out
        else:
            assert f"  export TF_CLI_CONFIG_FILE={config}\n" in out
            assert Path(config).is_file()
        assert f"  export AWS_ENDPOINT_URL={url}\n" in out
        proc.send_signal(signum)
        rest, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    print(out + rest, end="")
    assert proc.returncode == 0, err
    assert "Traceback" not in err
    assert f"natless: removed {folder / OVERRIDE_FILE}" in rest
    assert not (folder / OVERRIDE_FILE).exists()
    assert (folder / "main.tf").is_file()


@pytest.fixture
def no_emulator(monkeypatch) -> None:
    """Refusals come before any work: starting the emulator fails the test."""

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("the emulator was started")

    monkeypatch.setattr(Emulator, "start", refuse)


@pytest.mark.unit
@pytest.mark.parametrize("port", ["99999", "65536", "-1", "abc", "1.5", ""])
def test_emulator_refuses_a_bad_port(port, no_emulator, capsys) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["emulator", f"--port={port}"])
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert "argument --port:" in err and "Traceback" not in err


@pytest.mark.unit
def test_emulator_refuses_a_folder_it_must_not_write_into(tmp_path, no_emulator, capsys) -> None:
    assert main(["emulator", "--tf-dir", str(tmp_path / "missing")]) == 2
    assert "--tf-dir:" in (err := capsys.readouterr().err) and "is not a directory" in err

    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / "notes.txt").write_text("no Terraform here")
    assert main(["emulator", "--tf-dir", str(empty)]) == 2
    assert "--tf-dir:" in (err := capsys.readouterr().err) and "holds no *.tf files" in err

    mine = small_module(tmp_path / "mine")
    (mine / OVERRIDE_FILE).write_text('provider "aws" {\n  region = "eu-west-1"\n}\n')
    assert main(["emulator", "--tf-dir", str(tmp_path / "mine")]) == 2
    err = capsys.readouterr().err
    assert "--tf-dir:" in err and "natless did not write it" in err
    assert "region" in (mine / OVERRIDE_FILE).read_text()  # untouched

    good = small_module(tmp_path / "good")
    assert main(["emulator", "--tf-dir", str(good), "--tf-dir", str(mine)]) == 2
    assert str(mine / OVERRIDE_FILE) in capsys.readouterr().err
    assert not (good / OVERRIDE_FILE).exists()  # all checked before anything is written


@pytest.mark.unit
def test_override_file_replaces_only_its_own(tmp_path) -> None:
    folder = small_module(tmp_path / "my-stack")
    emu = Emulator(host="127.0.0.1", port=4566)  # not started: only its override text is used
    stale = Emulator(host="127.0.0.1", port=4000)
    write_override(stale, folder)  # left behind by an emulator that was killed
    override = write_override(emu, folder)
    assert '"http://127.0.0.1:4566"' in override.path.read_text()
    override.path.write_text(override.text + "# edited\n")
    assert override.remove() is False and override.path.exists()  # changed: kept
    override.path.write_text(override.text)
    assert override.remove() is True and not override.path.exists()
    assert override.remove() is False


@pytest.mark.unit
def test_state_warnings(tmp_path) -> None:
    folder = small_module(tmp_path / "my-stack")
    assert state_warnings(folder) == []
    (folder / "backend.tf").write_text('# backend "s3" {}\nterraform {\n  cloud {\n  }\n}\n')
    (folder / "terraform.tfstate").write_text('{"version": 4, "resources": []}')
    (warning,) = state_warnings(folder)
    assert "a cloud block:" in warning and "s3" not in warning
    (folder / "backend.tf").write_text('terraform {\n  backend "s3" {\n  }\n}\n')
    (folder / "terraform.tfstate").write_text('{"version": 4, "resources": [{"type": "x"}]}')
    (warning,) = state_warnings(folder)
    assert 'backend "s3", resources in terraform.tfstate' in warning
    assert "terraform workspace new" in warning
    (folder / ".terraform").mkdir()
    (folder / ".terraform" / "environment").write_text("emulator")
    assert state_warnings(folder) == []  # `terraform workspace new emulator` was followed
