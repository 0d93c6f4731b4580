"""`make e2e`'s pipeline in a real sandbox account (marker ``aws``).

Skipped unless NATLESS_SANDBOX_ACCOUNT_ID is set and AWS credentials are found. Every code path
used here also runs against the embedded emulator in tests/emulator/test_demo.py (through
``--endpoint-url``): the guard, the naming, the invocation, the comparison and the teardown.
"""

from __future__ import annotations

import os

import boto3
import pytest

from natless.demo import Target, run_demo


def _sandbox_ready() -> str | None:
    if not os.environ.get("NATLESS_SANDBOX_ACCOUNT_ID"):
        return "needs NATLESS_SANDBOX_ACCOUNT_ID (the sandbox account id) for a real deployment"
    if boto3.session.Session().get_credentials() is None:
        return "needs AWS credentials for the sandbox account"
    return None


@pytest.fixture(scope="module")
def e2e(tmp_path_factory):
    reason = _sandbox_ready()
    if reason:
        pytest.skip(reason)
    target = Target(
        "aws", region=os.environ.get("AWS_REGION"), destroy_attempts=4, destroy_wait_s=300
    )
    return run_demo("egress-only", target, reports_root=tmp_path_factory.mktemp("reports"))


def test_every_aws_operation_succeeds_without_a_nat(e2e) -> None:
    import json

    doc = json.loads((e2e.report_dir / "results.json").read_text())
    for placement in ("vpc", "public"):
        ops = doc["results"][placement]["operations"]
        for op in ("dynamodb_put", "dynamodb_query", "sqs_send", "s3_put", "s3_list"):
            assert ops[op]["errors"] == 0, (placement, op, ops[op]["error_codes"])


def test_vpc_function_took_the_expected_paths(e2e) -> None:
    import json

    evidence = json.loads((e2e.report_dir / "results.json").read_text())["results"]["vpc"][
        "evidence"
    ]
    assert evidence["sqs"]["family"] == "ipv6"  # sqs.REGION.api.aws through the egress-only gw
    assert evidence["s3"]["family"] == "ipv4"  # regional name: the gateway endpoint
    assert evidence["dynamodb"]["family"] == "ipv4"
