"""The embedded AWS stand-in: moto in server mode on 127.0.0.1, started and stopped by natless.

    with Emulator.start() as emu:
        boto3.client("ec2", **emu.client_kwargs())
        tf = terraform working copy with emu.provider_override() ...

The server runs in a child process (natless.emulator.server) that binds a free port itself and
reports it, so there is no race for the port. Leaving the ``with`` block, by a normal exit, an
exception or Ctrl-C, terminates it; if the harness dies without cleaning up, the child notices
its parent is gone and exits by itself.
"""

from __future__ import annotations

import os
import select
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType

from natless.errors import UserError

REGION = "us-east-1"
ACCESS_KEY = "natless-emulator"  # moto accepts any key; account id is moto's default
SECRET_KEY = "natless-emulator"
START_TIMEOUT_S = 30.0

# Services the examples use; each gets an endpoint in the generated provider override.
PROVIDER_ENDPOINTS = (
    "cloudwatch",
    "dynamodb",
    "ec2",
    "events",
    "iam",
    "kms",
    "lambda",
    "logs",
    "rds",
    "s3",
    "sqs",
    "sts",
)


@dataclass
class Emulator:
    """A running emulator. Use ``Emulator.start()`` (a context manager)."""

    host: str
    port: int
    process: subprocess.Popen[str] | None = field(default=None, repr=False)
    log_path: Path | None = field(default=None, repr=False)

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @classmethod
    def start(cls, host: str = "127.0.0.1", port: int = 0) -> Emulator:
        """Start the server process and wait until it accepts requests."""
        try:
            import moto  # noqa: F401
        except ImportError as exc:
            raise UserError(
                "the embedded emulator needs moto: pip install 'natless[emulator]'"
            ) from exc
        # The server's log goes to a file, never to a pipe nobody drains (a full pipe blocks
        # every request thread of the server).
        with tempfile.NamedTemporaryFile(
            prefix="natless-emulator-", suffix=".log", delete=False
        ) as log:
            proc = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "natless.emulator.server",
                    "--host",
                    host,
                    "--port",
                    str(port),
                ],
                stdout=subprocess.PIPE,
                stderr=log,
                text=True,
                env={**os.environ, "PYTHONUNBUFFERED": "1"},
            )
        deadline = time.monotonic() + START_TIMEOUT_S
        line = ""
        while time.monotonic() < deadline and proc.poll() is None:
            ready, _, _ = select.select([proc.stdout], [], [], 0.2)
            if ready:
                line = proc.stdout.readline()  # type: ignore[union-attr]
                break
        if not line.startswith("READY "):
            proc.kill()
            proc.communicate(timeout=5)
            err = Path(log.name).read_text(errors="replace")
            Path(log.name).unlink(missing_ok=True)
            if "Address already in use" in err:
                raise UserError(
                    f"cannot start the emulator: {host}:{port} is already in use; "
                    "choose another --port or 0 for a free one"
                )
            raise UserError(f"the emulator did not start: {err.strip()[-800:] or 'timeout'}")
        emu = cls(host=host, port=int(line.split()[1]), process=proc, log_path=Path(log.name))
        emu._wait_healthy(deadline)
        return emu

    def _wait_healthy(self, deadline: float) -> None:
        while True:
            try:
                with urllib.request.urlopen(f"{self.url}/moto-api/data.json", timeout=2):
                    return
            except OSError:
                if time.monotonic() > deadline:
                    self.stop()
                    raise UserError("the emulator started but does not answer") from None
                time.sleep(0.1)

    def stop(self) -> None:
        """Terminate the server process (idempotent)."""
        proc, self.process = self.process, None
        if proc is None or proc.poll() is not None:
            return
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)
        if proc.stdout:
            proc.stdout.close()
        if self.log_path:
            self.log_path.unlink(missing_ok=True)

    def __enter__(self) -> Emulator:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def reset(self) -> None:
        """Forget every resource (moto's reset API)."""
        req = urllib.request.Request(f"{self.url}/moto-api/reset", method="POST")
        with urllib.request.urlopen(req, timeout=10):
            pass

    def env(self) -> dict[str, str]:
        """Environment that points the AWS SDKs (and the AWS CLI) at this emulator."""
        return {
            "AWS_ENDPOINT_URL": self.url,
            "AWS_ACCESS_KEY_ID": ACCESS_KEY,
            "AWS_SECRET_ACCESS_KEY": SECRET_KEY,
            "AWS_REGION": REGION,
            "AWS_DEFAULT_REGION": REGION,
        }

    def client_kwargs(self) -> dict[str, str]:
        """Keyword arguments for ``boto3.client(service, **kwargs)``."""
        return {
            "endpoint_url": self.url,
            "region_name": REGION,
            "aws_access_key_id": ACCESS_KEY,
            "aws_secret_access_key": SECRET_KEY,
        }

    def provider_override(self, region: str = REGION) -> str:
        """An ``*_override.tf`` body that points an unmodified root module's aws provider here."""
        endpoints = "\n".join(f'    {svc} = "{self.url}"' for svc in PROVIDER_ENDPOINTS)
        return (
            "# Generated by natless: points the aws provider at the embedded emulator.\n"
            "# Terraform merges *_override.tf into the root module; the example stays unmodified.\n"
            'provider "aws" {\n'
            f'  region                      = "{region}"\n'
            f'  access_key                  = "{ACCESS_KEY}"\n'
            f'  secret_key                  = "{SECRET_KEY}"\n'
            "  skip_credentials_validation = true\n"
            "  skip_metadata_api_check     = true\n"
            "  skip_region_validation      = true\n"
            "  s3_use_path_style           = true\n"
            "  endpoints {\n"
            f"{endpoints}\n"
            "  }\n"
            "}\n"
        )
