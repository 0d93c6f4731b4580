"""Stage-by-stage progress on the terminal: what runs, a heartbeat while it runs, its time."""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TextIO

from natless.interrupts import deferred

HEARTBEAT_S = 10.0


class Progress:
    def __init__(self, total: int, out: TextIO | None = None) -> None:
        self.total = total
        self.done = 0
        self.out = out or sys.stderr
        self.timings: dict[str, float] = {}

    def _say(self, text: str) -> None:
        print(text, file=self.out, flush=True)

    @contextmanager
    def stage(self, name: str, detail: str = "") -> Iterator[None]:
        self.done += 1
        label = f"[{self.done}/{self.total}] {name}"
        self._say(f"{label}{': ' + detail if detail else ''} ...")
        begun = time.monotonic()
        stop = threading.Event()

        def heartbeat() -> None:
            while not stop.wait(HEARTBEAT_S):
                self._say(f"      {name}: {time.monotonic() - begun:.0f} s so far")

        beat = threading.Thread(target=heartbeat, daemon=True)
        with deferred():  # a signal inside Thread.start can break its lock (natless.interrupts)
            beat.start()
        try:
            yield
        except BaseException:
            self._say(f"      {name}: failed after {time.monotonic() - begun:.1f} s")
            raise
        finally:
            with deferred():
                stop.set()
        elapsed = time.monotonic() - begun
        self.timings[name] = round(elapsed, 1)
        self._say(f"      {name}: done in {elapsed:.1f} s")
