"""The `natless` command line: one sub-command per module, each with `add_parser` and `run`.

A sub-command module exposes::

    NAME = "routes"                      # the sub-command
    HELP = "one line for `natless -h`"
    def add_arguments(parser: argparse.ArgumentParser) -> None: ...
    def run(args: argparse.Namespace) -> int: ...

User mistakes raise natless.errors.UserError: printed as ``natless: error: ...``, exit status 2.
"""

from __future__ import annotations

import argparse
import sys

from natless import __version__
from natless.commands import (
    advise,
    audit,
    clean,
    compare,
    cost,
    demo,
    emulator,
    package,
    routes,
)
from natless.errors import UserError
from natless.interrupts import Interrupted, exit_status, interruption, signals_interrupt

# Sub-command modules, in the order `natless -h` lists them.
COMMANDS = (package, emulator, routes, compare, demo, cost, advise, audit, clean)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="natless",
        description="Lambda in a VPC without a NAT gateway: routes, latency and cost, proven.",
    )
    parser.add_argument("--version", action="version", version=f"natless {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for module in COMMANDS:
        cmd = sub.add_parser(module.NAME, help=module.HELP, description=module.HELP)
        module.add_arguments(cmd)
        cmd.set_defaults(_run=module.run)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    # SIGINT, SIGTERM and SIGHUP all unwind the command the same way (natless.interrupts).
    with signals_interrupt():
        try:
            return int(args._run(args) or 0)
        except UserError as exc:
            print(f"natless: error: {exc}", file=sys.stderr)
            return 2
        except BaseException as exc:
            signalled = interruption(exc)  # also an error a signal caused (natless.interrupts)
            if signalled is None:
                raise
            name = signalled.name if isinstance(signalled, Interrupted) else "SIGINT"
            print(f"natless: interrupted ({name})", file=sys.stderr)
            return exit_status(signalled)


if __name__ == "__main__":
    sys.exit(main())
