"""Reading what a deployed root module says about itself (``terraform output``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from natless.deploy.terraform import tftest_for
from natless.errors import UserError


def output_values(outputs: dict[str, Any]) -> dict[str, Any]:
    """Accept both ``terraform output -json`` ({name: {value: ...}}) and plain {name: value}."""
    return {
        name: value["value"] if isinstance(value, dict) and "value" in value else value
        for name, value in outputs.items()
    }


# What function_names() reads, for messages.
FUNCTION_OUTPUTS = (
    "a map output function_names ({role = name}), a string output function_name, or any "
    "string output ending in _function_name"
)
OUTPUT_EXAMPLE = """\
output "function_name" {
  value = aws_lambda_function.worker.function_name
}"""


def function_names(outputs: dict[str, Any]) -> dict[str, str]:
    """Functions named by a stack's outputs, keyed by role (e.g. vpc, public).

    Reads a ``function_names`` map output ({role: name}), a ``function_name`` string output
    (role ``function``), and any ``<role>_function_name`` string output.
    """
    values = output_values(outputs)
    found: dict[str, str] = {}
    if isinstance(values.get("function_names"), dict):
        found.update({str(k): str(v) for k, v in values["function_names"].items()})
    if isinstance(values.get("function_name"), str):
        found["function"] = values["function_name"]
    for name, value in values.items():
        if name.endswith("_function_name") and isinstance(value, str):
            found[name.removesuffix("_function_name")] = value
    return found


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, dict):
        return "a map"
    if isinstance(value, list):
        return "a list"
    return "a string" if isinstance(value, str) else f"a {type(value).__name__}"


def require_function_names(outputs: dict[str, Any], where: Path) -> dict[str, str]:
    """:func:`function_names`, or a UserError that names what it looks for and how to add it."""
    found = function_names(outputs)
    if found:
        return found
    values = output_values(outputs)
    names = ", ".join(sorted(values)) or "none"
    misfits = [
        f"{name} is {_kind(value)}"
        for name, value in sorted(values.items())
        if (name == "function_names" and not isinstance(value, dict))
        or (name.endswith("function_name") and not isinstance(value, str))
    ]
    wrong = f" ({'; '.join(misfits)})" if misfits else ""
    example = "\n".join(f"    {line}" for line in OUTPUT_EXAMPLE.splitlines())
    raise UserError(
        f"--tf-dir {where}: its outputs name no Lambda function. natless looks for "
        f"{FUNCTION_OUTPUTS}; this stack's outputs are: {names}{wrong}. Add one to the root "
        f"module, e.g.\n\n{example}\n\nthen run terraform apply there (it records the new "
        "output), or name the functions with --function NAME"
    )


def read_outputs(tf_dir: Path) -> dict[str, Any]:
    """``terraform output`` of an applied root module, or a UserError when there is none."""
    if not tf_dir.is_dir():
        raise UserError(f"{tf_dir} is not a directory")
    tf = tftest_for(tf_dir)
    try:
        raw = tf.output()
    except Exception as exc:
        raise UserError(f"cannot read outputs in {tf_dir}: {str(exc).strip()[-400:]}") from None
    values = output_values(dict(raw)) if isinstance(raw, dict) or hasattr(raw, "items") else {}
    if not values:
        raise UserError(
            f"the stack in {tf_dir} has no outputs: it was never applied "
            "(run terraform apply there first), or its state lives elsewhere"
        )
    return values
