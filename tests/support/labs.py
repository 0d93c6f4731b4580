"""A lab held by another process, so that a test can signal or kill its owner."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def hold_lab(script: str, state_dir: Path, *args: str) -> tuple[subprocess.Popen[str], list[str]]:
    """Run ``script`` (Python that builds a lab, prints "up" and waits inside it) with ``args``
    from the repository root; once it is up, return the process and the lab's namespaces, as
    its state file in ``state_dir`` names them. The caller ends the process."""
    proc = subprocess.Popen(
        [sys.executable, "-c", script, *args],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    line = proc.stdout.readline()
    if line != "up\n":
        proc.kill()
        raise AssertionError(f"the lab holder did not come up: {proc.communicate()}")
    (state,) = state_dir.glob("*.json")
    return proc, json.loads(state.read_text())["namespaces"]
