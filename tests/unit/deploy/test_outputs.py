"""Which outputs name a stack's functions (natless.deploy.outputs), and the refusal when none do."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from natless.deploy.outputs import function_names, require_function_names
from natless.errors import UserError


@pytest.mark.parametrize(
    ("outputs", "expected"),
    [
        (
            {"function_names": {"vpc": "a-vpc", "public": "a-public"}},
            {"vpc": "a-vpc", "public": "a-public"},
        ),
        ({"function_name": "orders-worker"}, {"function": "orders-worker"}),
        ({"worker_function_name": "w", "api_function_name": "a"}, {"worker": "w", "api": "a"}),
        # `terraform output -json` shape
        (
            {"function_name": {"value": "f", "type": "string", "sensitive": False}},
            {"function": "f"},
        ),
        (
            {
                "function_names": {"value": {"vpc": "v"}},
                "function_name": "f",
                "x_function_name": "x",
            },
            {"vpc": "v", "function": "f", "x": "x"},
        ),
        # not functions, or not of the right type
        ({"vpc_id": "vpc-1", "function_arn": "arn:aws:lambda:..."}, {}),
        ({"function_name": ["a", "b"], "y_function_name": None, "function_names": ["a"]}, {}),
        ({"my_function_names": {"a": "b"}, "function_name_prefix": "x"}, {}),
        ({}, {}),
    ],
)
def test_function_names(outputs: dict[str, Any], expected: dict[str, str]) -> None:
    assert function_names(outputs) == expected


def test_require_function_names_returns_what_it_found() -> None:
    assert require_function_names({"function_name": "f"}, Path("s")) == {"function": "f"}


def test_refusal_names_the_outputs_it_looks_for_and_shows_one() -> None:
    outputs = {"vpc_id": {"value": "vpc-1"}, "function_name": {"value": ["a"]}}
    with pytest.raises(UserError) as refused:
        require_function_names(outputs, Path("my-stack"))
    message = str(refused.value)
    assert message.startswith("--tf-dir my-stack: its outputs name no Lambda function.")
    for looked_for in ("function_names", "function_name", "_function_name"):
        assert looked_for in message
    assert "this stack's outputs are: function_name, vpc_id (function_name is a list)" in message
    assert 'output "function_name" {\n' in message
    assert "value = aws_lambda_function.worker.function_name" in message
    assert "terraform apply" in message and "--function NAME" in message
