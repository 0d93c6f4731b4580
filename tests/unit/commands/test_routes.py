"""`natless routes --tf-dir` (natless.commands.routes): a stack whose outputs name no function."""

from __future__ import annotations

from natless.cli import main


def test_routes_refuses_a_stack_without_function_outputs(monkeypatch, capsys) -> None:
    monkeypatch.setattr("natless.commands.routes.read_outputs", lambda tf_dir: {"vpc_id": "v"})
    assert main(["routes", "--tf-dir", "my-stack"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("natless: error: --tf-dir my-stack: its outputs name no Lambda function")
    assert "this stack's outputs are: vpc_id." in err
    assert 'output "function_name" {' in err and "Traceback" not in err
