"""The emulator's local Invoke service: Lambda's Invoke API, answered by running the code.

moto can only run functions in Docker, which natless does not assume. The emulator therefore
answers ``POST /2015-03-31/functions/{name}/invocations`` itself: it takes the package and the
configuration that were deployed to the emulator (moto's Lambda backend), unpacks the package
once per code hash, and runs the handler in a separate Python process with the function's
environment, the standard Lambda variables and ``AWS_ENDPOINT_URL`` pointing back at the
emulator. It enforces Lambda's limits the way Lambda reports them:

- the function's timeout: 200 with ``X-Amz-Function-Error: Unhandled`` and ``Sandbox.Timedout``;
- a synchronous response over 6 MB: 200, ``Unhandled``, ``Function.ResponseSizeTooLarge``;
- a request payload over 6 MB: 413 ``RequestTooLargeException``;
- an exception in the handler: 200, ``Unhandled``, the error as errorType/errorMessage.

Values that only exist in AWS (an RDS endpoint, say) can be overridden per function through
``PUT /natless-api/env-overrides/{function}`` (a JSON object of variables); the deployed
configuration itself is never changed.

Placement (``PUT /natless-api/placement/{function}``, ``{"netns": NAME, "env": {...}, "unset":
[...]}``; ``GET`` shows it, ``DELETE`` removes it) runs the function inside the lab's network
namespace ``NAME``: ``ip netns exec NAME python -m natless.emulator.bootstrap ...``. ``ip``
enters the namespace, bind-mounts ``/etc/netns/NAME/*`` over ``/etc/*`` in a mount namespace of
its own (so the function's resolv.conf names the lab's resolver) and then execs python: one
process, whose pid is the one this service kills at the function's timeout. The environment is
the usual one without the variables in ``unset`` (``AWS_ENDPOINT_URL``, so that the SDK picks
the endpoint names itself and reaches the emulator through the lab) and with ``env`` on top
(``AWS_CA_BUNDLE`` and ``SSL_CERT_FILE``: the lab's CA). It is kept apart from the env
overrides: those say what a value is, a placement says where the function runs. A namespace
that disappeared since (the lab was torn down) answers the invocation with 502
``ResourceNotReadyException``, Lambda's error for a function whose VPC connection is gone.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from moto.awslambda.models import lambda_backends

# Lambda's synchronous payload limits, as its errors state them.
MAX_REQUEST_BYTES = 6 * 1024 * 1024
MAX_RESPONSE_BYTES = 6291556
LOG_TAIL_BYTES = 4096

INVOKE_PATH = re.compile(r"^/2015-03-31/functions/(?P<name>[^/]+)/invocations$")
OVERRIDES_PATH = re.compile(r"^/natless-api/env-overrides/(?P<name>[^/]+)$")
PLACEMENT_PATH = re.compile(r"^/natless-api/placement/(?P<name>[^/]+)$")
# Where `ip netns add` names namespaces (/var/run/netns is a link to it). natless.net knows it
# too; the emulator may not import it (import contracts in pyproject.toml).
NETNS_DIR = Path("/run/netns")
_NETNS_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")
_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_REGION = re.compile(r"Credential=[^/]+/\d{8}/(?P<region>[a-z0-9-]+)/")


@dataclass
class Answer:
    status: int
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)


def _function_name(name_or_arn: str) -> str:
    # arn:aws:lambda:REGION:ACCOUNT:function:NAME[:QUALIFIER] or NAME
    parts = name_or_arn.split(":")
    return parts[6] if len(parts) >= 7 else name_or_arn


def _error(status: int, error_type: str, message: str) -> Answer:
    body = json.dumps({"Type": "User", "message": message}).encode()
    return Answer(status, body, {"x-amzn-ErrorType": error_type})


def _function_error(error_type: str, message: str) -> Answer:
    body = json.dumps({"errorType": error_type, "errorMessage": message}).encode()
    return Answer(200, body, {"X-Amz-Function-Error": "Unhandled"})


@dataclass(frozen=True)
class Placement:
    """Where a function runs: a network namespace, and its environment's changes there."""

    netns: str
    env: dict[str, str] = field(default_factory=dict)
    unset: tuple[str, ...] = ()

    def document(self) -> dict[str, Any]:
        return {"netns": self.netns, "env": dict(self.env), "unset": list(self.unset)}


def parse_placement(body: bytes, netns_dir: Path = NETNS_DIR) -> Placement:
    """A placement from a PUT body; a ValueError says what is wrong with it."""
    try:
        doc = json.loads(body or b"null")
    except ValueError:
        raise ValueError("the body is not JSON") from None
    if not isinstance(doc, dict):
        raise ValueError('expected a JSON object: {"netns": NAME, "env": {...}, "unset": [...]}')
    unknown = sorted(set(doc) - {"netns", "env", "unset"})
    if unknown:
        raise ValueError(f"unknown fields {unknown}: give netns, env and unset only")
    netns = doc.get("netns")
    if not isinstance(netns, str) or not _NETNS_NAME.fullmatch(netns):
        raise ValueError(f"netns must be a network namespace's name, not {netns!r}")
    if not (netns_dir / netns).exists():
        raise ValueError(
            f"netns {netns!r}: no network namespace {netns_dir / netns} (`ip netns list` "
            "shows the ones that exist)"
        )
    env = doc.get("env") or {}
    if not isinstance(env, dict) or not all(
        isinstance(k, str) and _ENV_NAME.fullmatch(k) and isinstance(v, str) for k, v in env.items()
    ):
        raise ValueError("env must map variable names to strings")
    unset = doc.get("unset") or []
    if not isinstance(unset, list) or not all(
        isinstance(u, str) and _ENV_NAME.fullmatch(u) for u in unset
    ):
        raise ValueError("unset must be a list of variable names")
    return Placement(netns, dict(env), tuple(unset))


class LocalInvokeService:
    """Runs deployed functions on request. One instance per emulator process."""

    def __init__(self, emulator_url: str, account_id: str) -> None:
        self.emulator_url = emulator_url
        self.account_id = account_id
        self.code_root = Path(tempfile.mkdtemp(prefix="natless-lambda-"))
        self.overrides: dict[str, dict[str, str]] = {}
        self.placements: dict[str, Placement] = {}
        self.netns_dir = NETNS_DIR
        self.ip = shutil.which("ip") or "ip"
        self._lock = threading.Lock()

    def close(self) -> None:
        shutil.rmtree(self.code_root, ignore_errors=True)

    # --- request routing ------------------------------------------------------------------------

    def handles(self, method: str, path: str) -> bool:
        return (method == "POST" and INVOKE_PATH.match(path) is not None) or any(
            p.match(path) is not None for p in (OVERRIDES_PATH, PLACEMENT_PATH)
        )

    def answer(self, method: str, path: str, headers: dict[str, str], body: bytes) -> Answer:
        match = OVERRIDES_PATH.match(path)
        if match:
            return self._overrides(method, match["name"], body)
        match = PLACEMENT_PATH.match(path)
        if match:
            return self._placement(method, _function_name(match["name"]), body)
        match = INVOKE_PATH.match(path)
        assert match is not None
        region_match = _REGION.search(headers.get("authorization", ""))
        region = region_match["region"] if region_match else "us-east-1"
        return self.invoke(
            _function_name(match["name"]),
            region,
            body,
            headers.get("x-amz-invocation-type", "RequestResponse"),
            headers.get("x-amz-log-type", "None"),
        )

    def _overrides(self, method: str, name: str, body: bytes) -> Answer:
        with self._lock:
            if method == "PUT":
                values = json.loads(body or b"{}")
                if not isinstance(values, dict):
                    return _error(400, "InvalidParameterValueException", "expected a JSON object")
                self.overrides[name] = {str(k): str(v) for k, v in values.items()}
            elif method == "DELETE":
                self.overrides.pop(name, None)
            return Answer(200, json.dumps(self.overrides.get(name, {})).encode())

    def _placement(self, method: str, name: str, body: bytes) -> Answer:
        """PUT sets it (validated), DELETE removes it, anything else shows it ({} for none)."""
        with self._lock:
            if method == "PUT":
                try:
                    self.placements[name] = parse_placement(body, self.netns_dir)
                except ValueError as exc:
                    return _error(400, "InvalidParameterValueException", str(exc))
            elif method == "DELETE":
                self.placements.pop(name, None)
            placed = self.placements.get(name)
            return Answer(200, json.dumps(placed.document() if placed else {}).encode())

    # --- invocation -----------------------------------------------------------------------------

    def _deployed(self, name: str, region: str) -> Any:
        return lambda_backends[self.account_id][region].get_function(name)

    def _unpack(self, function: Any) -> Path:
        target = self.code_root / hashlib.sha256(function.code_bytes).hexdigest()[:16]
        with self._lock:
            if not target.is_dir():
                staging = target.with_suffix(".tmp")
                with zipfile.ZipFile(io.BytesIO(function.code_bytes)) as archive:
                    archive.extractall(staging)
                staging.rename(target)
        return target

    def _environment(
        self, function: Any, name: str, region: str, placed: Placement | None = None
    ) -> dict[str, str]:
        config = function.get_configuration()
        env = {
            key: os.environ[key]
            for key in ("PATH", "HOME", "LANG", "SYSTEMROOT", "TMPDIR")
            if key in os.environ
        }
        env.update(config.get("Environment", {}).get("Variables", {}))
        env.update(
            {
                "AWS_ENDPOINT_URL": self.emulator_url,
                "AWS_ACCESS_KEY_ID": "natless-emulator",
                "AWS_SECRET_ACCESS_KEY": "natless-emulator",
                "AWS_REGION": region,
                "AWS_DEFAULT_REGION": region,
                "AWS_LAMBDA_FUNCTION_NAME": name,
                "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
                "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(config.get("MemorySize", 128)),
                "AWS_LAMBDA_LOG_GROUP_NAME": f"/aws/lambda/{name}",
                "AWS_EXECUTION_ENV": f"natless-local_{config.get('Runtime', 'python')}",
                "NATLESS_FUNCTION_ARN": config.get("FunctionArn", ""),
                "NATLESS_TIMEOUT_S": str(config.get("Timeout", 3)),
                "PYTHONDONTWRITEBYTECODE": "1",
            }
        )
        env.update(self.overrides.get(name, {}))
        if placed is not None:
            for key in placed.unset:
                env.pop(key, None)
            env.update(placed.env)
        return env

    def _command(
        self, placed: Placement | None, code_dir: Path, handler: str, result_file: Path
    ) -> list[str]:
        """The bootstrap's command line; inside the placement's namespace if there is one."""
        argv = [
            sys.executable,
            "-m",
            "natless.emulator.bootstrap",
            str(code_dir),
            handler,
            str(result_file),
        ]
        return [self.ip, "netns", "exec", placed.netns, *argv] if placed else argv

    def _placement_gone(self, name: str) -> Answer | None:
        placed = self.placements.get(name)
        if placed is None or (self.netns_dir / placed.netns).exists():
            return None
        return _error(
            502,
            "ResourceNotReadyException",
            f"The function is placed in network namespace {placed.netns!r}, which no longer "
            "exists (was the lab torn down?): place it anew or remove its placement",
        )

    def invoke(
        self, name: str, region: str, payload: bytes, invocation_type: str, log_type: str
    ) -> Answer:
        try:
            function = self._deployed(name, region)
        except Exception:
            return _error(
                404, "ResourceNotFoundException", f"Function not found: {name} in {region}"
            )
        if len(payload) > MAX_REQUEST_BYTES:
            return _error(
                413,
                "RequestTooLargeException",
                f"Request must be smaller than {MAX_REQUEST_BYTES} bytes for the InvokeFunction"
                " operation",
            )
        if invocation_type == "DryRun":
            return Answer(204, b"")
        gone = self._placement_gone(name)
        if gone is not None:
            return gone
        if invocation_type == "Event":
            threading.Thread(
                target=self._run, args=(function, name, region, payload), daemon=True
            ).start()
            return Answer(202, b"")
        answer, logs = self._run(function, name, region, payload)
        if log_type == "Tail":
            answer.headers["X-Amz-Log-Result"] = base64.b64encode(logs[-LOG_TAIL_BYTES:]).decode()
        return answer

    def _run(self, function: Any, name: str, region: str, payload: bytes) -> tuple[Answer, bytes]:
        config = function.get_configuration()
        timeout = float(config.get("Timeout", 3))
        code_dir = self._unpack(function)
        placed = self.placements.get(name)  # once: a PUT meanwhile applies to the next call
        with tempfile.TemporaryDirectory(prefix="natless-invoke-") as scratch:
            result_file = Path(scratch) / "result.json"
            started = time.monotonic()
            proc = subprocess.Popen(
                self._command(placed, code_dir, config["Handler"], result_file),
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                env={**self._environment(function, name, region, placed), "TMPDIR": scratch},
                cwd=scratch,
            )
            try:
                logs, _ = proc.communicate(payload or b"null", timeout=timeout)
            except subprocess.TimeoutExpired:
                proc.kill()
                logs, _ = proc.communicate()
                message = f"Task timed out after {timeout:.2f} seconds"
                return _function_error("Sandbox.Timedout", message), logs + message.encode()
            elapsed_ms = (time.monotonic() - started) * 1000
            logs += f"REPORT Duration: {elapsed_ms:.2f} ms (natless local invoke)\n".encode()
            if not result_file.is_file():
                message = f"Runtime exited with status {proc.returncode} without a result"
                return _function_error("Runtime.ExitError", message), logs
            body = result_file.read_bytes()
        if len(body) > MAX_RESPONSE_BYTES:
            message = (
                f"Response payload size ({len(body)} bytes) exceeded maximum allowed payload size"
                f" ({MAX_RESPONSE_BYTES} bytes)."
            )
            return _function_error("Function.ResponseSizeTooLarge", message), logs
        headers = {"X-Amz-Executed-Version": "$LATEST"}
        if proc.returncode != 0:
            headers["X-Amz-Function-Error"] = "Unhandled"
        return Answer(200, body, headers), logs


class NatlessWsgi:
    """WSGI front of the emulator: the local Invoke service first, moto for everything else."""

    def __init__(self, moto_app: Any, service: LocalInvokeService) -> None:
        self.moto_app = moto_app
        self.service = service

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        method, path = environ["REQUEST_METHOD"], environ.get("PATH_INFO", "")
        if not self.service.handles(method, path):
            return self.moto_app(environ, start_response)
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length else b""
        headers = {
            key[5:].replace("_", "-").lower(): value
            for key, value in environ.items()
            if key.startswith("HTTP_")
        }
        answer = self.service.answer(method, path, headers, body)
        reason = {200: "OK", 202: "Accepted", 204: "No Content", 404: "Not Found"}.get(
            answer.status, "Error"
        )
        start_response(
            f"{answer.status} {reason}",
            [
                ("Content-Type", "application/json"),
                ("Content-Length", str(len(answer.body))),
                *list(answer.headers.items()),
            ],
        )
        return [answer.body]
