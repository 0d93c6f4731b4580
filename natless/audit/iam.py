"""The IAM permissions the audit needs: the calls it makes, recorded, and the minimal policy.

``natless/audit/data/iam-policy.json`` is the policy the README prints. It is not written by
hand from memory of the code: tests/emulator/test_audit_collect.py records every call a full
audit makes on the seeded emulator (:class:`CallRecorder`) and checks that the recorded actions
and the policy's actions are the same set, and that each is read-only (:func:`read_only`).
"""

from __future__ import annotations

import json
from importlib import resources
from types import TracebackType
from typing import Any

import boto3

POLICY_FILE = "iam-policy.json"

# botocore's service name -> the IAM service prefix, where they differ (the CloudWatch API's
# botocore name is "cloudwatch", its endpoint and signing name "monitoring", its IAM prefix
# "cloudwatch"; listed so the mapping does not rest on the coincidence).
IAM_PREFIX = {"cloudwatch": "cloudwatch", "ec2": "ec2", "lambda": "lambda", "logs": "logs"}
# The few logs actions that are not named Describe/Get/List but only read: one Insights query
# and the records of a log group.
READ_ONLY_LOGS = frozenset({"logs:StartQuery", "logs:GetQueryResults", "logs:FilterLogEvents"})
READ_ONLY_VERBS = ("Describe", "Get", "List")


def iam_action(service: str, operation: str) -> str:
    """The IAM action that authorises API ``operation`` of botocore service ``service``.

    For every operation the audit calls, the action is named after the operation (checked by
    the test that compares recorded calls with the policy).
    """
    return f"{IAM_PREFIX.get(service, service)}:{operation}"


def read_only(action: str) -> bool:
    """True for a Describe/Get/List action or one of the read-only logs query actions."""
    _, _, name = action.partition(":")
    return action in READ_ONLY_LOGS or name.startswith(READ_ONLY_VERBS)


class CallRecorder:
    """Records every (service, operation) made through a boto3 session's clients.

        with CallRecorder(session) as calls:
            collect(session)
        calls.actions()  # {"ec2:DescribeVpcs", ...}

    A botocore ``provide-client-params`` handler on the session: the first event of every call,
    emitted before any handler may answer the call in AWS's place (as tests do with
    ``before-call``), so every call that was attempted is recorded, also those that failed:
    the policy must allow both. Clients copy the session's handlers when they are made, so the
    recorder must be entered before the clients are created.
    """

    def __init__(self, session: boto3.session.Session) -> None:
        self._session = session
        self._id = f"natless-call-recorder-{id(self)}"
        self.calls: list[tuple[str, str]] = []

    def _record(self, model: Any, **_: Any) -> None:
        self.calls.append((model.service_model.service_name, model.name))

    def __enter__(self) -> CallRecorder:
        self._session.events.register("provide-client-params", self._record, unique_id=self._id)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._session.events.unregister("provide-client-params", unique_id=self._id)

    def actions(self) -> set[str]:
        return {iam_action(service, operation) for service, operation in self.calls}


def policy_document() -> dict[str, Any]:
    """The file's IAM policy: ``{"Version": ..., "Statement": [...]}``, ready to attach."""
    text = resources.files("natless.audit").joinpath("data", POLICY_FILE).read_text("utf-8")
    return dict(json.loads(text)["policy"])


def policy_actions(document: dict[str, Any] | None = None) -> set[str]:
    """Every action the policy allows."""
    doc = document or policy_document()
    found: set[str] = set()
    for statement in doc["Statement"]:
        actions = statement["Action"]
        found.update([actions] if isinstance(actions, str) else actions)
    return found
