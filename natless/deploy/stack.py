"""A deployable root module (an example or a test fixture) in its own working copy.

    with Stack.create(EXAMPLES / "egress-only", emu.redirect()) as stack:
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
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any

import tftest
from tftest import parse_args

from natless.deploy.terraform import destroy_command, tftest_for
from natless.deploy.workdir import Redirect, remove_working_copy, state_resources, working_copy
from natless.errors import UserError

VARS_FILE = "natless.auto.tfvars.json"
PLAN_FILE = "natless.tfplan"
PLAN_ARGS = ("-input=false", "-no-color")
LOCAL_PARALLELISM = 32
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
    # On the emulator nothing but this Stack changes what it applied, and nothing throttles API
    # calls: apply and destroy run up to LOCAL_PARALLELISM operations at once (Terraform's
    # default is 10, which serialises the fixed waits of 18 subnets), and destroy skips the
    # refresh (0.80 of the time). Against AWS both keep Terraform's defaults.
    local: bool = False

    @classmethod
    def create(
        cls,
        source: Path,
        redirect: Redirect | None = None,
        env: dict[str, str] | None = None,
        account: str | None = None,
    ) -> Stack:
        """Copy ``source`` and init it; with a ``redirect``, its aws provider points there.

        ``account`` (the AWS account the caller checked) goes into the copy's owner record, so
        that ``natless clean`` destroys a leftover only with credentials for that account.
        """
        override = None
        where: dict[str, str | int | None] = {"account": account}
        if redirect is not None:
            override = redirect.override
            where = {"emulator_url": redirect.url, "emulator_pid": redirect.pid}
        workdir = working_copy(source, override, **where)
        try:
            stack = cls(
                source=source,
                workdir=workdir,
                tf=tftest_for(workdir, env),
                local=redirect is not None,
            )
            stack._run("init", lambda: stack.tf.setup(cleanup_on_exit=False))
        except BaseException:
            remove_working_copy(workdir)  # init creates no resource: nothing is lost with it
            raise
        return stack

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

    def validate(self) -> None:
        """``terraform validate``: the configuration is internally consistent."""
        self._run("validate", lambda: self.tf.execute_command("validate", "-no-color"))

    def set_vars(self, tf_vars: dict[str, Any] | None) -> None:
        (self.workdir / VARS_FILE).write_text(json.dumps(tf_vars or {}, indent=2))

    def plan(self, tf_vars: dict[str, Any] | None = None) -> dict[str, Any]:
        """``terraform plan`` as the JSON of ``terraform show -json``.

        The plan is kept in the working copy (``PLAN_FILE``) for :meth:`apply_plan`.
        """
        self.set_vars(tf_vars)
        return self._plan_json("plan")

    def _plan_json(self, label: str) -> dict[str, Any]:
        self._run(label, lambda: self.tf.execute_command("plan", *PLAN_ARGS, f"-out={PLAN_FILE}"))
        shown = self._run("show", lambda: self.tf.execute_command("show", "-json", PLAN_FILE))
        return json.loads(shown.out)

    def apply(self, tf_vars: dict[str, Any] | None = None) -> None:
        """``terraform apply`` with these variables (it plans and applies in one process)."""
        self.set_vars(tf_vars)
        self.applied = True  # a failed apply may still have created things: destroy anyway
        self._run("apply", lambda: self.tf.apply(**self._fast_args()))

    def apply_plan(self) -> None:
        """Apply the plan the last :meth:`plan` saved, without planning again."""
        if not (self.workdir / PLAN_FILE).is_file():
            raise UserError(f"no saved plan in {self.workdir}: call plan() first")
        args = parse_args(auto_approve=True, color=False, input=False, **self._fast_args())
        self.applied = True
        self._run("apply", lambda: self.tf.execute_command("apply", *args, PLAN_FILE))

    def _fast_args(self) -> dict[str, Any]:
        return {"parallelism": str(LOCAL_PARALLELISM)} if self.local else {}

    def plan_has_changes(self) -> bool:
        """Whether a fresh plan (with the same variables) would change anything."""
        plan = self._plan_json("replan")
        return any(
            rc["change"]["actions"] != ["no-op"] and rc["change"]["actions"] != ["read"]
            for rc in plan.get("resource_changes", [])
        )

    def outputs(self) -> dict[str, Any]:
        raw = self._run("output", lambda: self.tf.output())
        return {name: value for name, value in raw.items()}

    def destroy(self, attempts: int = 1, wait_s: float = 0) -> None:
        """Destroy what was applied, trying ``attempts`` times ``wait_s`` apart.

        Several attempts make sense in AWS, where a VPC function's network interfaces can hold
        its subnets and security group for 20-60 minutes after the function is gone.
        """
        if not self.applied:
            return
        fast = {**self._fast_args(), "refresh": False} if self.local else {}
        for attempt in range(1, attempts + 1):
            try:
                self._run("destroy", lambda: self.tf.destroy(**fast))
                self.applied = False
                return
            except TerraformFailed:
                if attempt == attempts:
                    raise
                print(
                    f"natless: destroy attempt {attempt}/{attempts} failed; AWS may still be "
                    f"releasing network interfaces, retrying in {wait_s:.0f} s",
                    file=sys.stderr,
                )
                time.sleep(wait_s)

    def teardown_command(self) -> str:
        """The exact shell command that finishes the teardown of this working copy."""
        return destroy_command(self.workdir, self.tf.env)

    def close(self, attempts: int = 1, wait_s: float = 0) -> None:
        """Destroy what was applied, then remove the working copy once its state is empty.

        When the teardown fails or is interrupted (a second Ctrl-C, SIGTERM or SIGHUP stops it),
        the working copy and its state are kept and the command that finishes the job is
        printed.
        """
        try:
            self.destroy(attempts, wait_s)
        except BaseException:  # failed, interrupted, or anything else: the state is kept
            self._print_finish("the teardown did not finish; resources may remain")
            raise
        left = state_resources(self.workdir)
        if left:
            self._print_finish(f"terraform destroy left {len(left)} resources in the state")
            raise TerraformFailed(f"the state in {self.workdir} still holds: {', '.join(left)}")
        if not self.keep:
            remove_working_copy(self.workdir)

    def _print_finish(self, why: str) -> None:
        print(
            f"natless: {why}. The working copy and its state are kept in {self.workdir}.\n"
            f"Finish it with:\n  {self.teardown_command()}\n"
            "or with `natless clean`, which also removes the working copy.",
            file=sys.stderr,
            flush=True,
        )

    def discard_with(self, stop: Callable[[], None]) -> None:
        """Call ``stop`` (it stops the stand-in for AWS that holds every resource of this stack),
        then remove the working copy: its state then describes nothing that exists."""
        stop()
        self.applied = False
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
