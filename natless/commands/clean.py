"""`natless clean`: finish what runs that were killed left behind, and list what it did."""

from __future__ import annotations

import argparse

import boto3
import botocore.exceptions

from natless.commands.argtypes import Seconds
from natless.console.table import aligned
from natless.deploy.clean import LOCK_WAIT_S, Outcome, clean
from natless.deploy.workdir import left_behind, work_root
from natless.net import lab

NAME = "clean"
HELP = "destroy what killed runs left in their working copies, then remove the copies"
MAX_LOCK_WAIT_S = 3600.0


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--list",
        action="store_true",
        help="only list the working copies left behind; change nothing",
    )
    parser.add_argument(
        "--lock-wait",
        type=Seconds(MAX_LOCK_WAIT_S),
        default=LOCK_WAIT_S,
        help=f"seconds to wait for a Terraform that still holds a copy's state lock (default "
        f"{LOCK_WAIT_S:.0f})",
    )


def caller_account() -> str | None:
    """The account of this shell's AWS credentials, or None without usable ones."""
    try:
        return boto3.client("sts").get_caller_identity()["Account"]
    except (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError):
        return None


def _table(outcomes: list[Outcome]) -> str:
    rows = [[o.path.name, o.action, o.detail] for o in outcomes]
    return "\n".join(aligned(["working copy", "done", "why"], rows, rule="-"))


def run(args: argparse.Namespace) -> int:
    if args.list:
        copies = left_behind()
        for copy in copies:
            created = copy.owner.created if copy.owner else "unknown"
            where = (
                (copy.owner.emulator_url or f"account {copy.owner.account}") if copy.owner else "?"
            )
            print(f"{copy.path}  (made {created}, resources in {where})")
        print(f"{len(copies)} working copies left behind under {work_root()}")
        for record in lab.left_behind():
            print(f"lab {record.lab_id} (made {record.created}): {', '.join(record.namespaces)}")
        return 0
    for line in lab.clean_orphans():  # namespaces of `routes --observe` runs that were killed
        print(f"natless clean: {line}")
    outcomes = clean(caller_account, lock_wait_s=args.lock_wait)
    if not outcomes:
        print(f"natless clean: nothing left behind under {work_root()}")
        return 0
    print(_table(outcomes))
    kept = sum(not o.finished for o in outcomes)
    print(f"{len(outcomes) - kept} finished, {kept} kept")
    return 1 if kept else 0
