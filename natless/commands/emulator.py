"""`natless emulator`: run the embedded AWS emulator in the foreground until Ctrl-C."""

from __future__ import annotations

import argparse
import shlex
import signal
import threading

from natless.emulator import Emulator

NAME = "emulator"
HELP = "run the embedded AWS emulator (moto + natless fixes + local Invoke) on 127.0.0.1"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--port", type=int, default=0, help="port (default: a free one)")


def run(args: argparse.Namespace) -> int:
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    with Emulator.start(port=args.port) as emu:
        print(f"natless emulator listening on {emu.url}")
        print("Point the AWS SDKs and CLI at it with:")
        for key, value in emu.env().items():
            print(f"  export {key}={shlex.quote(value)}")
        print("Ctrl-C stops it (and forgets every resource).", flush=True)
        try:
            while not stop.wait(0.5):
                if emu.process is None or emu.process.poll() is not None:
                    print("natless: the emulator process ended")
                    return 1
        except KeyboardInterrupt:
            pass
    print("natless emulator stopped")
    return 0
