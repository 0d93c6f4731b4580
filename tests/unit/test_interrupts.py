"""natless.interrupts: signals become one exception with the exit status of the first one, and
never break a lock.

What natless sends a running Terraform is in tests/integration/deploy/test_terraform.py.
"""

from __future__ import annotations

import io
import os
import signal
import tempfile
import threading
import time
from pathlib import Path

import pytest

from natless import cli
from natless import emulator as emulator_module
from natless.commands import clean
from natless.console import progress as progress_module
from natless.interrupts import (
    Interrupted,
    deferred,
    exit_status,
    interruption,
    signals_interrupt,
)


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM, signal.SIGHUP])
def test_each_signal_raises_interrupted_with_its_exit_status(signum: int) -> None:
    before = signal.getsignal(signum)
    with pytest.raises(Interrupted) as caught, signals_interrupt():
        os.kill(os.getpid(), signum)
        time.sleep(5)  # the handler raises before this ends
    assert caught.value.signum == signum
    assert exit_status(caught.value) == 128 + signum
    assert signal.getsignal(signum) is before  # restored on leaving


def test_plain_keyboard_interrupt_counts_as_sigint() -> None:
    assert exit_status(KeyboardInterrupt()) == 130


def test_deferred_holds_a_signal_back_until_the_block_ends() -> None:
    reached_end_of_block = False
    with pytest.raises(Interrupted) as caught, signals_interrupt():
        with deferred():
            os.kill(os.getpid(), signal.SIGTERM)
            time.sleep(0.2)  # without deferred() the handler raises here
            reached_end_of_block = True
        time.sleep(5)  # the held-back signal is raised before this ends
    assert reached_end_of_block
    assert caught.value.signum == signal.SIGTERM


def test_deferred_changes_nothing_outside_signals_interrupt() -> None:
    before = signal.getsignal(signal.SIGINT)
    with deferred():
        assert signal.getsignal(signal.SIGINT) is before


def test_progress_holds_signals_back_while_it_starts_its_heartbeat(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The CI failure this prevents: SIGINT inside Thread.start gave "RuntimeError: release
    unlocked lock" and exit 1 instead of a teardown and exit 130."""
    started: list[bool] = []

    class SignalledWhileStarting(threading.Thread):
        def start(self) -> None:
            os.kill(os.getpid(), signal.SIGINT)
            time.sleep(0.2)  # without deferred() the handler raises here, mid-start
            super().start()
            started.append(True)

    monkeypatch.setattr(progress_module.threading, "Thread", SignalledWhileStarting)
    body_ran = False
    stage = progress_module.Progress(1, out=io.StringIO()).stage("stage")
    with pytest.raises(Interrupted), signals_interrupt(), stage:
        body_ran = True
    assert started == [True]  # the start ran whole, then the signal was raised
    assert not body_ran


def test_a_signal_while_the_emulator_starts_leaves_no_log_and_no_server(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """The CI failure this prevents: SIGINT right at "[1/7] target" left natless-emulator-*.log
    in TMPDIR, created just before the server process and not yet under the cleanup's eye."""
    killed: list[bool] = []

    class SignalledWhileStarting:
        def __init__(self, *args: object, **kwargs: object) -> None:
            os.kill(os.getpid(), signal.SIGINT)
            time.sleep(0.2)  # without deferred() the handler raises here, before the cleanup
            self.stdout = None

        def kill(self) -> None:
            killed.append(True)

        def communicate(self, timeout: float) -> tuple[str, str]:
            return "", ""

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    monkeypatch.setattr(emulator_module.subprocess, "Popen", SignalledWhileStarting)
    with pytest.raises(Interrupted), signals_interrupt():
        emulator_module.Emulator.start()
    assert killed == [True]
    assert list(tmp_path.iterdir()) == []


def test_interruption_finds_the_signal_behind_another_error() -> None:
    try:
        try:
            raise Interrupted(signal.SIGHUP)
        except Interrupted:
            raise RuntimeError("release unlocked lock") from None  # only __context__ remains
    except RuntimeError as exc:
        found = interruption(exc)
    assert isinstance(found, Interrupted) and found.signum == signal.SIGHUP
    assert interruption(RuntimeError("no signal")) is None
    assert isinstance(interruption(KeyboardInterrupt()), KeyboardInterrupt)


def test_the_cli_reports_an_error_a_signal_caused_as_that_signal(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def broken_by_signal(args: object) -> int:
        try:
            raise Interrupted(signal.SIGTERM)
        except Interrupted:
            raise RuntimeError("release unlocked lock")  # noqa: B904 (the chain is the point)

    monkeypatch.setattr(clean, "run", broken_by_signal)
    assert cli.main(["clean"]) == 128 + signal.SIGTERM
    assert "natless: interrupted (SIGTERM)" in capsys.readouterr().err


def test_the_cli_lets_other_errors_through(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(args: object) -> int:
        raise RuntimeError("a bug")

    monkeypatch.setattr(clean, "run", broken)
    with pytest.raises(RuntimeError, match="a bug"):
        cli.main(["clean"])
