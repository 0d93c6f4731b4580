"""Reading what a deployed root module says about itself (``terraform output``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from natless.errors import UserError


def plain(outputs: dict[str, Any]) -> dict[str, Any]:
    """Accept both ``terraform output -json`` ({name: {value: ...}}) and plain {name: value}."""
    return {
        name: value["value"] if isinstance(value, dict) and "value" in value else value
        for name, value in outputs.items()
    }


def function_names(outputs: dict[str, Any]) -> dict[str, str]:
    """Functions named by a stack's outputs, keyed by role (e.g. vpc, public).

    Reads a ``function_names`` map output, and any ``*_function_name`` string output.
    """
    values = plain(outputs)
    found: dict[str, str] = {}
    if isinstance(values.get("function_names"), dict):
        found.update({str(k): str(v) for k, v in values["function_names"].items()})
    for name, value in values.items():
        if name.endswith("_function_name") and isinstance(value, str):
            found[name.removesuffix("_function_name")] = value
    return found


def read_outputs(tf_dir: Path) -> dict[str, Any]:
    """``terraform output`` of an applied root module, or a UserError when there is none."""
    from natless.terraform import tftest_for

    if not tf_dir.is_dir():
        raise UserError(f"{tf_dir} is not a directory")
    tf = tftest_for(tf_dir)
    try:
        raw = tf.output()
    except Exception as exc:
        raise UserError(f"cannot read outputs in {tf_dir}: {str(exc).strip()[-400:]}") from None
    values = plain(dict(raw)) if isinstance(raw, dict) or hasattr(raw, "items") else {}
    if not values:
        raise UserError(
            f"the stack in {tf_dir} has no outputs: it was never applied "
            "(run terraform apply there first), or its state lives elsewhere"
        )
    return values
