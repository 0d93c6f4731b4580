"""Terraform is stopped once, gracefully, whoever dies (natless.deploy.terraform.run_terraform).

A stand-in "terraform" (a Python script) records every SIGINT it gets, so these tests need no
Terraform: they check what natless sends it, not what Terraform does with it.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest

from natless.deploy.terraform import run_terraform
from natless.interrupts import Interrupted, signals_interrupt

# Logs each SIGINT as a line, keeps running `stop_after` s after the first one (a graceful stop
# that takes a while) or `run_s` s without one, prints its session id, and exits 0.
FAKE_TERRAFORM = textwrap.dedent(
    """
    import os, signal, sys, time
    log = open(sys.argv[1], "a", buffering=1)
    stop_after, run_s = float(sys.argv[2]), float(sys.argv[3])
    first = []
    def on_int(signum, frame):
        log.write("SIGINT\\n")
        first.append(time.monotonic())
    signal.signal(signal.SIGINT, on_int)
    print(f"session {os.getsid(0)}", flush=True)
    log.write("started\\n")
    deadline = time.monotonic() + run_s
    while time.monotonic() < deadline and not (first and time.monotonic() > first[0] + stop_after):
        time.sleep(0.05)
    print("stopped" if first else "finished", flush=True)
    log.write("exit\\n")
    """
)


@pytest.fixture
def fake(tmp_path: Path) -> tuple[list[str], Path]:
    script = tmp_path / "fake_terraform.py"
    script.write_text(FAKE_TERRAFORM)
    log = tmp_path / "signals.log"
    return [sys.executable, str(script), str(log)], log


def _wait_for(path: Path, text: str, timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while text not in (path.read_text() if path.exists() else ""):
        assert time.monotonic() < deadline, f"{path} never said {text!r}"
        time.sleep(0.05)


def test_terraform_runs_in_its_own_session_and_its_output_is_returned(fake, tmp_path) -> None:
    cmd, _ = fake
    status, out, err = run_terraform([*cmd, "0", "0"], str(tmp_path), dict(os.environ))
    assert status == 0 and err == ""
    assert out.splitlines()[-1] == "finished"
    assert int(out.split()[1]) != os.getsid(0)  # a terminal's Ctrl-C does not reach it


def test_interrupts_reach_terraform_once_and_natless_waits_for_it(fake, tmp_path) -> None:
    """Two signals while Terraform runs: it gets one SIGINT (a second would make the real one
    exit without saving), natless waits for it to exit, then raises the first signal."""
    cmd, log = fake

    def signal_twice() -> None:
        _wait_for(log, "started")
        os.kill(os.getpid(), signal.SIGTERM)
        _wait_for(log, "SIGINT")
        os.kill(os.getpid(), signal.SIGHUP)

    sender = threading.Thread(target=signal_twice)
    sender.start()
    started = time.monotonic()
    with pytest.raises(Interrupted) as caught, signals_interrupt():
        run_terraform([*cmd, "1.0", "30"], str(tmp_path), dict(os.environ))
    sender.join()
    assert caught.value.signum == signal.SIGTERM  # the first one
    assert log.read_text().splitlines() == ["started", "SIGINT", "exit"]
    assert time.monotonic() - started >= 1.0  # it waited for the graceful stop


def test_terraform_is_stopped_gracefully_when_natless_is_killed(fake, tmp_path) -> None:
    cmd, log = fake
    parent = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import os, sys; from natless.deploy.terraform import run_terraform; "
            f"run_terraform({[*cmd, '0.2', '30']!r}, {str(tmp_path)!r}, dict(os.environ))",
        ]
    )
    _wait_for(log, "started")
    parent.kill()
    parent.wait(timeout=10)
    _wait_for(log, "exit")  # it kept writing (no pipe to break) and stopped on its own
    assert log.read_text().splitlines() == ["started", "SIGINT", "exit"]
