"""`natless emulator`: run the embedded AWS emulator in the foreground until Ctrl-C.

With ``--tf-dir DIR`` (repeatable) it also points a root module of the user's own at the
emulator while it runs: it writes ``DIR/natless_override.tf`` and prints the
``TF_CLI_CONFIG_FILE`` to use; on exit (Ctrl-C, SIGTERM, SIGHUP) it removes that file again.
"""

from __future__ import annotations

import argparse
import shlex
import signal
import threading
from pathlib import Path

from natless.commands.argtypes import IntBetween, path_arg
from natless.deploy.terraform import find_mirror, terraform_env
from natless.emulator import (
    Emulator,
    OverrideFile,
    override_target,
    state_warnings,
    write_override,
)
from natless.errors import UserError
from natless.interrupts import interruption

NAME = "emulator"
HELP = "run the embedded AWS emulator (moto + natless fixes + local Invoke) on 127.0.0.1"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--port",
        type=IntBetween(0, 65535),
        default=0,
        help="TCP port from 0 to 65535 (default 0: a free one)",
    )
    parser.add_argument(
        "--tf-dir",
        type=path_arg,
        action="append",
        default=[],
        metavar="DIR",
        help="a root module of your own to point at the emulator while it runs: writes "
        "DIR/natless_override.tf and removes it on exit (repeatable)",
    )


def _check_tf_dirs(dirs: list[Path]) -> list[Path]:
    """Every --tf-dir, resolved and checked before the emulator starts."""
    resolved = list(dict.fromkeys(d.expanduser().resolve() for d in dirs))
    for tf_dir in resolved:
        try:
            override_target(tf_dir)
        except UserError as exc:
            raise UserError(f"--tf-dir: {exc}") from None
    return resolved


def _terraform_lines(overrides: list[OverrideFile], tf_env: dict[str, str]) -> list[str]:
    lines = [f"Wrote {o.path} (the module's aws provider -> this emulator)." for o in overrides]
    config = tf_env.get("TF_CLI_CONFIG_FILE")
    if config is not None:
        lines.append(f"In the shell that runs terraform (hashicorp/aws from {find_mirror()}):")
        lines.append(f"  export TF_CLI_CONFIG_FILE={shlex.quote(config)}")
    else:
        lines.append(
            "No local provider mirror: terraform init installs hashicorp/aws from the "
            "registry as usual:"
        )
    for o in overrides:
        lines.append(f"  terraform -chdir={shlex.quote(str(o.path.parent))} init")
        lines.append(f"  terraform -chdir={shlex.quote(str(o.path.parent))} apply")
    for o in overrides:
        lines.extend(f"warning: {w}" for w in state_warnings(o.path.parent))
    lines.append(
        "Destroy before stopping the emulator: its resources vanish with it, the state stays."
    )
    return lines


def _remove(override: OverrideFile) -> str:
    if override.remove():
        return f"natless: removed {override.path} (the module no longer points at the emulator)"
    if not override.path.exists():
        return f"natless: {override.path} was already gone"
    return f"natless: left {override.path}: it changed since natless wrote it"


def run(args: argparse.Namespace) -> int:
    tf_dirs = _check_tf_dirs(args.tf_dir)
    tf_env = terraform_env() if tf_dirs else {}  # writes the CLI config when a mirror exists
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, lambda *_: stop.set())
    overrides: list[OverrideFile] = []
    try:
        with Emulator.start(port=args.port) as emu:
            print(f"natless emulator listening on {emu.url}")
            print("Point the AWS SDKs and CLI at it with:")
            for key, value in emu.env().items():
                print(f"  export {key}={shlex.quote(value)}")
            for tf_dir in tf_dirs:
                overrides.append(write_override(emu, tf_dir))
            if overrides:
                print("\n".join(_terraform_lines(overrides, tf_env)))
            removed = " and removes natless_override.tf" if overrides else ""
            try:  # entered before the line that invites the Ctrl-C
                print(f"Ctrl-C stops it (it forgets every resource{removed}).", flush=True)
                while not stop.wait(0.5):
                    if emu.process is None or emu.process.poll() is not None:
                        print("natless: the emulator process ended")
                        return 1
            except BaseException as exc:  # Ctrl-C, also when it broke a lock in stop.wait
                if interruption(exc) is None:
                    raise
    finally:
        for override in overrides:
            print(_remove(override))
    print("natless emulator stopped")
    return 0
