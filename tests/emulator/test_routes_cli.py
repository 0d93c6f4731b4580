"""`natless routes` and the other commands on bad input: a message and a non-zero exit."""

from __future__ import annotations

import io
import zipfile

import boto3
import pytest

from natless.cli import main
from natless.deploy.workdir import remove_working_copy, working_copy
from natless.paths import EXAMPLES


@pytest.fixture
def emulator_env(emulator, monkeypatch):
    for key, value in emulator.env().items():
        monkeypatch.setenv(key, value)
    return emulator


def _function_without_vpc(kw: dict[str, str], name: str) -> None:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("handler.py", "def handler(event, context):\n    return 1\n")
    iam = boto3.client("iam", **kw)
    role = iam.create_role(RoleName=f"{name}-role", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
    boto3.client("lambda", **kw).create_function(
        FunctionName=name,
        Runtime="python3.12",
        Role=role,
        Handler="handler.handler",
        Code={"ZipFile": buf.getvalue()},
    )


def test_unknown_function(emulator_env, capsys) -> None:
    assert main(["routes", "--function", "no-such-function"]) == 2
    assert "function 'no-such-function' not found in us-east-1" in capsys.readouterr().err


def test_function_without_a_vpc(emulator_env, capsys) -> None:
    _function_without_vpc(emulator_env.client_kwargs(), "natless-novpc")
    try:
        assert main(["routes", "--function", "natless-novpc"]) == 2
        err = capsys.readouterr().err
        assert "natless-novpc: not attached to any VPC" in err
        assert "Lambda-managed network" in err
    finally:
        boto3.client("lambda", **emulator_env.client_kwargs()).delete_function(
            FunctionName="natless-novpc"
        )


def test_no_function_named(emulator_env, capsys) -> None:
    assert main(["routes"]) == 2
    assert "--function NAME" in capsys.readouterr().err


def test_stack_that_was_never_applied(emulator_env, capsys) -> None:
    copy = working_copy(EXAMPLES / "egress-only")
    try:
        assert main(["routes", "--tf-dir", str(copy)]) == 2
        assert "never applied" in capsys.readouterr().err
    finally:
        remove_working_copy(copy)


def test_terraform_missing_from_path(emulator_env, monkeypatch, capsys, tmp_path) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # an empty folder: no terraform
    assert main(["routes", "--tf-dir", str(EXAMPLES / "egress-only")]) == 2
    assert "terraform is not on PATH" in capsys.readouterr().err
    assert main(["demo", "--iterations", "1"]) == 2
    assert "terraform is not on PATH" in capsys.readouterr().err


def test_no_credentials(monkeypatch, capsys) -> None:
    for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_PROFILE", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent")
    monkeypatch.setenv("AWS_CONFIG_FILE", "/nonexistent")
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.setenv("AWS_REGION", "us-east-1")
    assert main(["routes", "--function", "x"]) == 2
    assert "no AWS credentials" in capsys.readouterr().err


def test_demo_needs_a_pair_example(capsys) -> None:
    assert main(["demo", "--example", "public-private-split"]) == 2
    assert "choose one of: egress-only, nat-gateway" in capsys.readouterr().err


def test_unknown_example(capsys) -> None:
    assert main(["demo", "--example", "nope"]) == 2
    known = ", ".join(sorted(p.name for p in EXAMPLES.iterdir() if (p / "main.tf").is_file()))
    assert f"unknown example 'nope'; choose one of: {known}" in capsys.readouterr().err
    with pytest.raises(SystemExit) as refused:  # argparse refuses it before any work
        main(["demo", "--iterations", "0"])
    assert refused.value.code == 2
    assert "--iterations: must be a whole number from 1 to 10000" in capsys.readouterr().err
