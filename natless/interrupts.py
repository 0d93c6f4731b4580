"""Termination signals as one exception, so every one of them ends in the same ordered teardown.

A terminal's Ctrl-C (SIGINT), a CI system's cancel (SIGTERM) and a closed terminal (SIGHUP) all
raise :class:`Interrupted` in the main thread, a ``KeyboardInterrupt`` that remembers its
signal. The code that created something catches ``KeyboardInterrupt`` (or lets a ``with`` block
unwind) and destroys it; a signal that arrives during that teardown interrupts the teardown
itself, which then keeps the state and prints the command that finishes the job.

Python runs the handler between two bytecodes of the main thread, wherever it is: inside
``threading``'s own lock handling, the exception can leave a lock half released and surface as
``RuntimeError: release unlocked lock`` instead. Code that starts or stops a thread runs
within :func:`deferred`, which holds the signals back until it is done; and :func:`interruption`
finds the signal behind any exception it turned into.

Child processes that must not see the terminal's Ctrl-C (the emulator, Terraform) run in a
session of their own; natless forwards the interrupt to Terraform itself (see
:mod:`natless.deploy.terraform`).
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType
from typing import Any

HANDLED = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


class Interrupted(KeyboardInterrupt):
    """A termination signal arrived; ``signum`` says which."""

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum

    @property
    def name(self) -> str:
        return signal.Signals(self.signum).name

    @property
    def exit_status(self) -> int:
        """The shell's convention for "ended by this signal": 128 + its number."""
        return 128 + self.signum


def _raise(signum: int, frame: FrameType | None) -> None:
    raise Interrupted(signum)


@contextmanager
def signals_interrupt() -> Iterator[None]:
    """Within the block, SIGINT, SIGTERM and SIGHUP raise :class:`Interrupted` (main thread only;
    elsewhere Python cannot install handlers and the block runs unchanged)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {signum: signal.signal(signum, _raise) for signum in HANDLED}
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


@contextmanager
def deferred() -> Iterator[None]:
    """Hold SIGINT, SIGTERM and SIGHUP back within the block; the first one is raised on leaving.

    For the few lines that must not be cut in half, such as starting or stopping a thread.
    Within :func:`signals_interrupt` only (elsewhere, and outside the main thread, the block
    runs unchanged). The handlers are swapped rather than the signals masked: the kernel may
    deliver a signal to any thread that does not mask it, and Python then runs the handler in
    the main thread all the same.
    """
    held: list[int] = []
    swapped: dict[int, Any] = {}
    try:
        if threading.current_thread() is threading.main_thread():
            for signum in HANDLED:
                if signal.getsignal(signum) is _raise:
                    swapped[signum] = signal.signal(signum, lambda num, _frame: held.append(num))
        yield
    finally:
        for signum, handler in swapped.items():
            signal.signal(signum, handler)
        if held:
            raise Interrupted(held[0])


def interruption(exc: BaseException) -> KeyboardInterrupt | None:
    """The interrupt behind ``exc``: itself, or the one it was raised while handling, if any."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        if isinstance(current, KeyboardInterrupt):
            return current
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return None


def exit_status(exc: KeyboardInterrupt) -> int:
    """128 + the signal's number (130 for a plain KeyboardInterrupt, which is SIGINT's)."""
    return exc.exit_status if isinstance(exc, Interrupted) else 128 + signal.SIGINT
