"""Working copies left behind: found, told apart from copies in use, finished or kept for a reason.

The copies here are written by hand (an owner record, a state file), so every branch of
``natless clean`` that needs no Terraform runs in milliseconds; the branches that destroy run in
tests/emulator/test_faults.py.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import asdict
from pathlib import Path

import pytest

from natless.deploy.clean import clean, clean_copy, notice_left_behind
from natless.deploy.workdir import (
    OWNER_FILE,
    Copy,
    Owner,
    left_behind,
    process_start,
    read_owner,
    state_resources,
    working_copies,
)
from tests.support.net import closed_port

ROOT = "examples/egress-only"


def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def _closed_port_url() -> str:
    return f"http://127.0.0.1:{closed_port()}"


def _state(resources: list[dict]) -> str:
    return json.dumps({"version": 4, "resources": resources})


VPC = {"mode": "managed", "type": "aws_vpc", "name": "this", "instances": [{"attributes": {}}]}


def _copy(base: Path, name: str, owner: Owner | None, state: str | None = None) -> Copy:
    work = base / name
    root = work / ROOT
    root.mkdir(parents=True)
    (root / ".terraform").mkdir()
    if owner is not None:
        (work / OWNER_FILE).write_text(json.dumps(asdict(owner)))
    if state is not None:
        (root / "terraform.tfstate").write_text(state)
    return Copy(work, owner)


def _owner(pid: int | None = None, **where) -> Owner:
    pid = pid if pid is not None else _dead_pid()
    return Owner(
        pid=pid, pid_start=process_start(pid), root=ROOT, created="2026-11-30T00:00:00Z", **where
    )


def _no_account() -> str | None:
    raise AssertionError("clean asked for the AWS account where it should not")


def test_state_resources_counts_managed_resources_only(tmp_path) -> None:
    root = tmp_path
    assert state_resources(root) == []  # no state at all
    data = {"mode": "data", "type": "aws_region", "name": "here", "instances": [{}]}
    gone = {"mode": "managed", "type": "aws_vpc", "name": "old", "instances": []}
    sub = {**VPC, "module": "module.network"}
    (root / "terraform.tfstate").write_text(_state([data, gone, sub]))
    assert state_resources(root) == ["module.network.aws_vpc.this"]
    (root / "terraform.tfstate").write_text("{not json")
    assert state_resources(root) == [f"(unreadable {root / 'terraform.tfstate'})"]
    (root / "terraform.tfstate").write_text("")  # created to be locked, never written
    assert state_resources(root) == []


def test_owner_alive_only_for_the_same_process(tmp_path) -> None:
    me = _owner(os.getpid())
    assert me.alive()
    assert not _owner().alive()
    reused = Owner(os.getpid(), "0", ROOT, "2026-11-30T00:00:00Z")  # same pid, other start
    assert not reused.alive()


def test_copies_in_use_are_not_left_behind(tmp_path) -> None:
    _copy(tmp_path, "in-use", _owner(os.getpid()), _state([VPC]))
    _copy(tmp_path, "killed", _owner(), _state([VPC]))
    assert [c.path.name for c in working_copies(tmp_path)] == ["in-use", "killed"]
    assert [c.path.name for c in left_behind(tmp_path)] == ["killed"]
    assert read_owner(tmp_path / "killed") == _owner_of(tmp_path / "killed")


def _owner_of(work: Path) -> Owner:
    return Owner(**json.loads((work / OWNER_FILE).read_text()))


def test_empty_state_is_removed(tmp_path) -> None:
    copy = _copy(tmp_path, "empty", _owner(account="123456789012"), _state([]))
    outcome = clean_copy(copy, _no_account, lock_wait_s=0)
    assert (outcome.action, outcome.detail) == ("removed", "its state held no resources")
    assert not copy.path.exists()


def test_a_copy_whose_emulator_is_gone_is_removed(tmp_path) -> None:
    url = _closed_port_url()
    copy = _copy(tmp_path, "emu", _owner(emulator_url=url, emulator_pid=_dead_pid()), _state([VPC]))
    outcome = clean_copy(copy, _no_account, lock_wait_s=0)
    assert outcome.action == "removed" and url in outcome.detail and "1 resources" in outcome.detail
    assert not copy.path.exists()


def test_a_copy_from_before_owner_records_finds_its_emulator_in_the_override(tmp_path) -> None:
    url = _closed_port_url()
    copy = _copy(tmp_path, "old", None, _state([VPC]))
    (copy.path / ROOT / "natless_override.tf").write_text(f'  ec2 = "{url}"\n')
    assert clean_copy(copy, _no_account, lock_wait_s=0).action == "removed"


@pytest.mark.parametrize(
    ("account", "caller", "says"),
    [
        (None, None, "no AWS account on record"),
        ("123456789012", None, "this shell has no usable AWS credentials"),
        ("123456789012", "210987654321", "this shell has account 210987654321"),
    ],
)
def test_aws_resources_are_kept_without_credentials_for_their_account(
    tmp_path, account, caller, says
) -> None:
    """A refresh with another account's credentials would find nothing and empty the state:
    the real resources would be orphaned. So clean destroys only as the recorded account."""
    copy = _copy(tmp_path, "aws", _owner(account=account), _state([VPC]))
    outcome = clean_copy(copy, lambda: caller, lock_wait_s=0)
    assert outcome.action == "kept" and says in outcome.detail, outcome.detail
    assert "terraform -chdir=" in outcome.detail and "destroy -auto-approve" in outcome.detail
    assert (copy.path / ROOT / "terraform.tfstate").is_file()  # state untouched


def test_a_copy_where_terraform_still_runs_is_kept(tmp_path) -> None:
    copy = _copy(tmp_path, "busy", _owner(account="123456789012"), _state([VPC]))
    root = copy.path / ROOT
    busy = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"], cwd=root)
    try:
        outcome = clean_copy(copy, _no_account, lock_wait_s=0.5)
    finally:
        busy.kill()
        busy.wait()
    assert outcome.action == "kept" and f"pid {busy.pid}" in outcome.detail
    assert copy.path.is_dir()


def test_clean_and_the_notice_skip_copies_in_use(tmp_path, capsys) -> None:
    _copy(tmp_path, "in-use", _owner(os.getpid()), _state([VPC]))
    _copy(tmp_path, "killed", _owner(), _state([]))
    notice_left_behind(tmp_path)
    assert "1 working copies left by earlier runs" in capsys.readouterr().err
    outcomes = clean(_no_account, tmp_path, lock_wait_s=0)
    assert [(o.path.name, o.action) for o in outcomes] == [("killed", "removed")]
    assert [c.path.name for c in working_copies(tmp_path)] == ["in-use"]
    notice_left_behind(tmp_path)
    assert capsys.readouterr().err == ""
