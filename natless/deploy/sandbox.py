"""The e2e guard: natless creates resources in a real account only when told which one."""

from __future__ import annotations

import os
import re
from typing import Any

import botocore.exceptions

from natless import aws
from natless.errors import UserError

SANDBOX_ENV = "NATLESS_SANDBOX_ACCOUNT_ID"


def require_sandbox(sts: Any) -> str:
    """The caller's account id if it equals NATLESS_SANDBOX_ACCOUNT_ID; UserError otherwise.

    Runs before anything is created: a missing or different account refuses the whole run.
    """
    expected = os.environ.get(SANDBOX_ENV, "").strip()
    if not expected:
        raise UserError(
            f"refusing to deploy to AWS: set {SANDBOX_ENV} to the 12-digit id of the sandbox "
            "account the run may create and destroy resources in"
        )
    if not re.fullmatch(r"\d{12}", expected):
        raise UserError(f"{SANDBOX_ENV}={expected!r} is not a 12-digit AWS account id")
    try:
        actual = sts.get_caller_identity()["Account"]
    except (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError) as exc:
        reason = aws.explain(exc)
        raise UserError(f"cannot tell which account the credentials are for: {reason}") from None
    if actual != expected:
        raise UserError(
            f"refusing to deploy: the credentials are for account {actual}, but "
            f"{SANDBOX_ENV} is {expected}. Switch profile or fix the variable."
        )
    return actual
