"""A root module of the user's own, outside the repository, on the embedded emulator (issue 10).

The main test does what the README recipe tells a user: copy a consumer root module
(tests/fixtures/own-root: the VPC with a NAT per AZ and DNS64, an SQS interface endpoint, and
a Lambda function of the user's) to a folder outside the repository that references modules/
by absolute path, point it at the emulator with the function ``natless emulator --tf-dir`` uses,
run Terraform there with natless's CLI config (3 processes: init, apply, destroy), then
``natless routes --tf-dir`` through the CLI (one ``terraform output``), and check that nothing
is left. The CLI itself (``natless emulator --tf-dir``: the override it writes, the lines it
prints, the removal on Ctrl-C and SIGTERM) runs as a subprocess; its refusals are unit tests
(tests/unit/commands/test_emulator.py).
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
from natless.deploy.stack import Stack
from natless.deploy.terraform import terraform_env, tftest_for
from natless.deploy.workdir import OVERRIDE_FILE
from natless.emulator import OVERRIDE_MARKER, write_override
from natless.paths import MODULES, ROOT
from tests.support.leftovers import NETWORK_STACK_KINDS, leftovers
from tests.support.tfdirs import small_module

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


# What this module's stack creates, beyond the kinds of every example's stack.


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


def test_own_root_module_outside_the_repository(emulator, tmp_path, monkeypatch, capsys) -> None:
    kw = emulator.client_kwargs()
    before = leftovers(kw, NETWORK_STACK_KINDS)
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
    assert leftovers(kw, NETWORK_STACK_KINDS) == before, "destroy left resources behind"

    rows = table_rows(table)
    assert rows[""] == ["orders-worker"] * 3
    assert set(rows["subnet"]) == ids["private_subnets"] and len(rows["subnet"]) == 3
    assert len(set(rows["az"])) == 3
    assert rows["IPv6 internet"] == [ids["eigw"]] * 3 and ids["eigw"].startswith("eigw-")
    # the S3 gateway endpoint is IPv4 (made without an IP address type): S3 over IPv6 takes ::/0
    assert rows["S3 (IPv6)"] == [ids["eigw"]] * 3
    assert rows["S3 (IPv4)"] == [ids["s3_endpoint"]] * 3 and ids["s3_endpoint"].startswith("vpce-")
    # nat_mode = "per_az": each subnet's IPv4 leaves through the NAT of its own AZ, and DNS64's
    # 64:ff9b::/96 goes to that same NAT (NAT64).
    assert set(rows["IPv4 internet"]) == ids["nats"] and len(ids["nats"]) == 3
    assert rows["NAT64 64:ff9b::/96"] == rows["IPv4 internet"]


# --- the CLI: `natless emulator --tf-dir` -------------------------------------------------------


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
