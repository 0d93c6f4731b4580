"""A deployable root module (an example or a test fixture) in its own working copy.

    with Stack.create(EXAMPLES / "egress-only", emulator=emu) as stack:
        stack.apply({"name": "demo"})
        stack.outputs()
        # destroy runs on leaving the block, also after an error or Ctrl-C

Variables go through a generated ``natless.auto.tfvars.json`` (typed JSON; ``-var`` would turn
Python's True into the string "True"). Terraform's long failure output is cut down to its
``Error:`` blocks.
"""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

import tftest

from natless.errors import UserError
from natless.paths import EXAMPLES
from natless.terraform import tftest_for
from natless.workdir import remove_working_copy, working_copy

if TYPE_CHECKING:
    from natless.emulator import Emulator


def emulator_region() -> str:
    from natless.emulator import REGION

    return REGION


VARS_FILE = "natless.auto.tfvars.json"
_ANSI = re.compile(r"\x1b\[[0-9;]*m")


class TerraformFailed(UserError):
    """A Terraform command failed; the message holds Terraform's own error blocks."""


def error_blocks(output: str) -> str:
    """The ``Error: ...`` blocks of Terraform's output (or its tail when there are none)."""
    text = _ANSI.sub("", output)
    blocks = re.findall(r"(?ms)^[│ ]*Error: .*?(?=^[│ ]*(?:Error|Warning): |\Z)", text)
    cleaned = [re.sub(r"(?m)^[│╷╵] ?", "", b).strip() for b in blocks]
    return "\n\n".join(dict.fromkeys(cleaned)) or text.strip()[-2000:]


@dataclass
class Stack:
    """One working copy of a root module and the Terraform runs made in it."""

    source: Path
    workdir: Path
    tf: tftest.TerraformTest
    applied: bool = False
    timings: dict[str, float] = field(default_factory=dict)
    keep: bool = False

    @classmethod
    def create(
        cls,
        source: Path,
        emulator: Emulator | None = None,
        env: dict[str, str] | None = None,
        region: str | None = None,
    ) -> Stack:
        """Copy ``source`` and init it; with an emulator, point its aws provider there."""
        override = None
        if emulator is not None:
            override = emulator.provider_override(region or emulator_region())
        workdir = working_copy(source, override)
        stack = cls(source=source, workdir=workdir, tf=tftest_for(workdir, env))
        stack._run("init", lambda: stack.tf.setup(cleanup_on_exit=False))
        return stack

    @classmethod
    def example(cls, name: str, emulator: Emulator | None = None) -> Stack:
        from natless.paths import example_dir

        return cls.create(example_dir(name) if name else EXAMPLES, emulator)

    def _run(self, label: str, call: Any) -> Any:
        started = time.monotonic()
        try:
            return call()
        except tftest.TerraformTestError as exc:
            raise TerraformFailed(
                f"terraform {label} failed in {self.workdir}:\n{error_blocks(exc.args[-1])}"
            ) from None
        finally:
            self.timings[label] = round(time.monotonic() - started, 2)

    def set_vars(self, tf_vars: dict[str, Any] | None) -> None:
        (self.workdir / VARS_FILE).write_text(json.dumps(tf_vars or {}, indent=2))

    def plan(self, tf_vars: dict[str, Any] | None = None) -> dict[str, Any]:
        """``terraform plan`` as the JSON of ``terraform show -json``."""
        self.set_vars(tf_vars)
        plan = self._run("plan", lambda: self.tf.plan(output=True))
        return plan._raw

    def apply(self, tf_vars: dict[str, Any] | None = None) -> None:
        self.set_vars(tf_vars)
        self.applied = True  # a failed apply may still have created things: destroy anyway
        self._run("apply", lambda: self.tf.apply())

    def plan_has_changes(self) -> bool:
        """Whether a fresh plan (with the same variables) would change anything."""
        plan = self._run("replan", lambda: self.tf.plan(output=True))
        return any(
            rc["change"]["actions"] != ["no-op"] and rc["change"]["actions"] != ["read"]
            for rc in plan._raw.get("resource_changes", [])
        )

    def outputs(self) -> dict[str, Any]:
        raw = self._run("output", lambda: self.tf.output())
        return {name: value for name, value in raw.items()}

    def destroy(self) -> None:
        if self.applied:
            self._run("destroy", lambda: self.tf.destroy())
            self.applied = False

    def close(self) -> None:
        """Destroy what was applied, then remove the working copy (unless keep is set)."""
        try:
            self.destroy()
        finally:
            if not self.keep:
                remove_working_copy(self.workdir)

    def __enter__(self) -> Stack:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
