"""natless.interrupts: signals become one exception with the exit status of the first one.

What natless sends a running Terraform is in tests/integration/deploy/test_terraform.py.
"""

from __future__ import annotations

import os
import signal
import time

import pytest

from natless.interrupts import Interrupted, exit_status, signals_interrupt


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
