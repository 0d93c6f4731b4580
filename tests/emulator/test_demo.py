"""The demo pipeline (`make demo`) and its AWS twin (`make e2e`), run against the emulator.

The AWS path is driven through ``--endpoint-url`` at the embedded emulator, so its guard,
naming, invocation and teardown code runs in CI without an account.
"""

from __future__ import annotations

import json
import time

import pytest
import tftest

from natless.cli import main
from natless.demo import Target, run_demo
from natless.deploy.stack import Stack, TerraformFailed
from natless.errors import UserError
from natless.paths import ROOT
from tests.support.leftovers import leftovers

OPERATIONS = {"dynamodb_put", "dynamodb_query", "sqs_send", "s3_put", "s3_list", "http_get"}


def test_demo_on_the_embedded_emulator(tmp_path, capsys) -> None:
    started = time.monotonic()
    result = run_demo("egress-only", Target("emulator"), iterations=10, reports_root=tmp_path)
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
    err = capsys.readouterr().err
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
    print(f"demo (10 calls per operation): {elapsed:.1f} s, stages {result.timings}")


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
