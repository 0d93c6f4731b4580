"""Runs one Lambda invocation in a fresh process: ``python -m natless.emulator.bootstrap``.

Arguments: CODE_DIR HANDLER RESULT_FILE. The event comes on stdin as JSON; the handler's return
value (or its error, in Lambda's errorType/errorMessage shape) is written to RESULT_FILE as JSON;
whatever the function prints goes to stdout/stderr, like Lambda's log stream. Only the standard
library is imported here, so the function sees the modules it would see in Lambda plus boto3.
"""

from __future__ import annotations

import importlib
import json
import os
import sys
import time
import traceback
import uuid


class Context:
    """The attributes of Lambda's context object that functions commonly read."""

    def __init__(self, deadline: float) -> None:
        self._deadline = deadline
        self.function_name = os.environ.get("AWS_LAMBDA_FUNCTION_NAME", "")
        self.function_version = os.environ.get("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
        self.memory_limit_in_mb = os.environ.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128")
        self.invoked_function_arn = os.environ.get("NATLESS_FUNCTION_ARN", "")
        self.log_group_name = os.environ.get("AWS_LAMBDA_LOG_GROUP_NAME", "")
        self.log_stream_name = "natless-local"
        self.aws_request_id = str(uuid.uuid4())

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


def main(argv: list[str]) -> int:
    code_dir, handler, result_file = argv
    timeout_s = float(os.environ.get("NATLESS_TIMEOUT_S", "3"))
    context = Context(time.monotonic() + timeout_s)
    try:
        sys.path.insert(0, code_dir)
        module_name, _, function_name = handler.rpartition(".")
        function = getattr(importlib.import_module(module_name.replace("/", ".")), function_name)
        event = json.loads(sys.stdin.read() or "null")
        result = function(event, context)
        body = json.dumps(result)
        status = 0
    except Exception as exc:  # the function's own failure: report it the way Lambda does
        body = json.dumps(
            {
                "errorMessage": str(exc),
                "errorType": type(exc).__name__,
                "stackTrace": traceback.format_tb(exc.__traceback__),
            }
        )
        traceback.print_exc()
        status = 1
    with open(result_file, "w", encoding="utf-8") as out:
        out.write(body)
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
