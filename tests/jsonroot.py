"""Root modules written as data: Terraform's JSON syntax (``main.tf.json``) built in Python.

Tests that need a root module calling several modules with exact inputs (the apply-coverage
scenarios, the name and description check) write one with :func:`write_root`. Module sources are
relative to the folder, so a working copy (natless.deploy.workdir) keeps them valid.
"""

from __future__ import annotations

import io
import json
import os
import zipfile
from pathlib import Path
from typing import Any

from natless.paths import MODULES

# A package for every function these roots deploy: never invoked, only uploaded.
HANDLER = "app.main"
_PACKAGE_CODE = "def main(event, context):\n    return {'ok': True}\n"


def module_call(folder: Path, module: str, inputs: dict[str, Any]) -> dict[str, Any]:
    """A ``module`` block body: ``modules/<module>`` relative to ``folder``, then the inputs."""
    return {"source": os.path.relpath(MODULES / module, folder), **inputs}


def root_document(
    calls: dict[str, dict[str, Any]], resources: dict[str, dict[str, Any]] | None = None
) -> dict[str, Any]:
    """A whole ``main.tf.json``: hashicorp/aws as the examples require it, the module calls and
    any root resources (type -> name -> body; empty types are left out)."""
    document: dict[str, Any] = {
        "terraform": {
            "required_version": ">= 1.5",
            "required_providers": {"aws": {"source": "hashicorp/aws", "version": ">= 5.23, < 7.0"}},
        },
        "provider": {"aws": {}},
        "module": calls,
    }
    kept = {rtype: bodies for rtype, bodies in (resources or {}).items() if bodies}
    if kept:
        document["resource"] = kept
    return document


def write_root(folder: Path, document: dict[str, Any]) -> Path:
    """Write ``document`` as ``folder/main.tf.json`` and a tiny ``folder/fn.zip``."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "main.tf.json").write_text(json.dumps(document, indent=2))
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("app.py", _PACKAGE_CODE)
    (folder / "fn.zip").write_bytes(buf.getvalue())
    return folder
