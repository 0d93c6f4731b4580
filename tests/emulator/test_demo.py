"""The demo pipeline (`make demo`) and its AWS twin (`make e2e`), run against the emulator.

The AWS path is driven through ``--endpoint-url`` at the embedded emulator, so its guard,
naming, invocation and teardown code runs in CI without an account.
"""

from __future__ import annotations

import json
import os
import time

import pytest
import tftest

from natless.cli import main
from natless.demo import Target, run_demo
from natless.deploy.stack import Stack, TerraformFailed
from natless.errors import UserError
from natless.net.lab import PREFIX_ENV
from natless.net.netns import NETNS_DIR
from natless.paths import ROOT
from tests.support.leftovers import leftovers

OPERATIONS = {"dynamodb_put", "dynamodb_query", "sqs_send", "s3_put", "s3_list", "http_get"}


@pytest.mark.parametrize("lab", ["auto", "off"])
def test_demo_on_the_embedded_emulator(tmp_path, capsys, monkeypatch, lab) -> None:
    """``make demo``: in the lab where the machine allows it (CI runs as root), else, and with
    ``--lab off``, on this host against the emulator's loopback endpoint; the report says which."""
    monkeypatch.setenv(PREFIX_ENV, f"nld{os.getpid() % 100000}")
    in_lab = lab == "auto" and os.geteuid() == 0
    started = time.monotonic()
    result = run_demo(
        "egress-only", Target("emulator"), iterations=10, reports_root=tmp_path, lab=lab
    )
    elapsed = time.monotonic() - started
    assert {p.name for p in result.reports.values()} == {
        "results.json",
        "report.md",
        "latency.png",
        "routes.json",
    }
    doc = json.loads((result.report_dir / "results.json").read_text())
    for placement in ("vpc", "public"):
        ops = doc["results"][placement]["operations"]
        assert set(ops) == OPERATIONS
        for op, stats in ops.items():
            assert stats["count"] == 10 and stats["errors"] == 0, (placement, op, stats)
    captured = capsys.readouterr()
    err, out = captured.err, captured.out
    for stage in ("target", "package", "apply", "routes", "run", "compare", "destroy"):
        assert f"{stage}: done in" in err
    assert set(result.timings) == {
        "target",
        "package",
        "apply",
        "routes",
        "run",
        "compare",
        "destroy",
    }
    meta = doc["meta"]
    report = (result.report_dir / "report.md").read_text()
    if in_lab:
        assert meta["path"] == "lab"
        assert "The functions ran in the lab" in report
        assert "CAUTION: emulator run in the lab" in out
        functions = doc["meta"]["functions"]
        seen = meta["lab_paths"]
        vpc = {k.split(" -> ")[1]: v for k, v in seen.items() if k.startswith(functions["vpc"])}
        public = {k: v for k, v in seen.items() if k.startswith(functions["public"])}
        assert vpc["dynamodb.us-east-1.amazonaws.com"].startswith("vpce-")
        assert vpc["sqs.us-east-1.api.aws"].startswith("eigw-")
        assert "(IPv6)" in vpc["sqs.us-east-1.api.aws"]
        assert vpc["dualstack.natless.example"].startswith("eigw-")
        assert public and all(v.startswith("aws-managed (IPv4)") for v in public.values())
    else:
        assert meta["path"] == "loopback"
        assert ("lab: off (--lab off)" if lab == "off" else "lab: not used (") in out
        assert "lab_paths" not in meta
    assert not list(NETNS_DIR.glob(f"{os.environ[PREFIX_ENV]}*"))  # the lab is gone
    print(f"demo (10 calls per operation, lab {lab}): {elapsed:.1f} s, stages {result.timings}")


def test_e2e_refuses_a_different_account(emulator, monkeypatch, tmp_path) -> None:
    monkeypatch.setenv("NATLESS_SANDBOX_ACCOUNT_ID", "111111111111")
    for key, value in emulator.env().items():
        if key != "AWS_ENDPOINT_URL":
            monkeypatch.setenv(key, value)
    before = leftovers(emulator.client_kwargs())
    with pytest.raises(UserError) as refused:
        run_demo("egress-only", Target("aws", endpoint_url=emulator.url), reports_root=tmp_path)
    assert "account 123456789012" in str(refused.value)
    assert "111111111111" in str(refused.value)
    assert leftovers(emulator.client_kwargs()) == before


@pytest.mark.parametrize("value", ["", "12345"])
def test_e2e_refuses_without_a_valid_sandbox_id(emulator, monkeypatch, capsys, value) -> None:
    monkeypatch.setenv("NATLESS_SANDBOX_ACCOUNT_ID", value)
    for key, env_value in emulator.env().items():
        if key != "AWS_ENDPOINT_URL":
            monkeypatch.setenv(key, env_value)
    assert main(["demo", "--aws", "--endpoint-url", emulator.url]) == 2
    assert "NATLESS_SANDBOX_ACCOUNT_ID" in capsys.readouterr().err


def test_failed_teardown_prints_the_command_that_finishes_it(emulator, monkeypatch, capsys):
    stack = Stack.create(ROOT / "tests" / "fixtures" / "network", emulator.redirect())
    stack.applied = True  # as if an apply had run
    calls = []

    def refuse(*args, **kwargs):
        calls.append(1)
        raise tftest.TerraformTestError("destroy", "Error: DependencyViolation: ENI in use")

    monkeypatch.setattr(stack.tf, "destroy", refuse)
    with pytest.raises(TerraformFailed):
        stack.close(attempts=2, wait_s=0)
    err = capsys.readouterr().err
    assert len(calls) == 2 and "retrying" in err
    assert f"terraform -chdir={stack.workdir} destroy -auto-approve" in err
    assert "TF_CLI_CONFIG_FILE=" in err or "TF_CLI_CONFIG_FILE" not in stack.tf.env
    assert stack.workdir.is_dir()  # kept, with its state, for that command
    stack.applied = False
    stack.keep = False
    stack.close()
    assert not stack.workdir.exists()
