"""Invoking the benchmark pair through Lambda's Invoke API.

There is one code path: ``lambda.invoke``. In an AWS account it reaches the Lambda service; on
the embedded emulator it reaches the emulator's local Invoke service, which runs the deployed
package in a separate process with that function's configuration (natless.emulator.invoke_service).
"""

from __future__ import annotations

import base64
import json
from typing import Any

import botocore.config
import botocore.exceptions

from natless import aws
from natless.errors import UserError

DEFAULT_ITERATIONS = 100


def lambda_client(sess: Any, function_timeout_s: int = 900, endpoint_url: str | None = None) -> Any:
    """A Lambda client that waits as long as the function may run and never retries an Invoke."""
    config = botocore.config.Config(
        read_timeout=function_timeout_s + 30,
        connect_timeout=10,
        retries={"max_attempts": 1, "mode": "standard"},
    )
    return sess.client("lambda", config=config, endpoint_url=endpoint_url)


def invoke(client: Any, function: str, event: dict[str, Any]) -> dict[str, Any]:
    """Run one synchronous invocation; return the function's JSON result or raise UserError."""
    try:
        response = client.invoke(
            FunctionName=function,
            InvocationType="RequestResponse",
            LogType="Tail",
            Payload=json.dumps(event).encode(),
        )
    except (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError) as exc:
        raise UserError(f"invoking {function} failed: {aws.explain(exc)}") from None
    body = response["Payload"].read()
    if response.get("FunctionError"):
        tail = base64.b64decode(response.get("LogResult", "")).decode(errors="replace")
        raise UserError(
            f"{function} failed ({response['FunctionError']}): {body.decode(errors='replace')}"
            + (f"\nlog tail:\n{tail.strip()[-1500:]}" if tail else "")
        )
    try:
        result = json.loads(body)
    except ValueError:
        raise UserError(f"{function} returned something that is not JSON: {body[:200]!r}") from None
    if isinstance(result, dict) and result.get("ok") is False:
        raise UserError(f"{function} refused the run: {json.dumps(result.get('error'))}")
    return result


def run_pair(
    client: Any,
    functions: dict[str, str],
    *,
    iterations: int = DEFAULT_ITERATIONS,
    url: str | None = None,
    warm_up: bool = True,
) -> dict[str, dict[str, Any]]:
    """Run the same event through both placements (vpc first, then public).

    With ``warm_up``, each function first gets a one-call invocation so the measured run is a
    warm start, as in the published benchmark natless compares with
    (:data:`natless.bench.compare.ARTICLE_URL`).
    """
    missing = {"vpc", "public"} - set(functions)
    if missing:
        raise UserError(f"the stack names no {' or '.join(sorted(missing))} function")
    event: dict[str, Any] = {"iterations": iterations}
    if url:
        event["url"] = url
    results = {}
    for placement in ("vpc", "public"):
        if warm_up:
            invoke(client, functions[placement], {**event, "iterations": 1})
        results[placement] = invoke(client, functions[placement], event)
    return results
