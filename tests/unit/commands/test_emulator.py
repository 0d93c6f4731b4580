"""`natless emulator` (natless.commands.emulator): the inputs it refuses before it starts anything.

The command at work (the override it writes and removes) runs in
tests/emulator/test_own_root_module.py.
"""

from __future__ import annotations

import pytest

from natless.cli import main
from natless.deploy.workdir import OVERRIDE_FILE
from natless.emulator import Emulator
from tests.support.tfdirs import small_module


@pytest.fixture
def no_emulator(monkeypatch) -> None:
    """Refusals come before any work: starting the emulator fails the test."""

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("the emulator was started")

    monkeypatch.setattr(Emulator, "start", refuse)


@pytest.mark.parametrize("port", ["99999", "65536", "-1", "abc", "1.5", ""])
def test_emulator_refuses_a_bad_port(port, no_emulator, capsys) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["emulator", f"--port={port}"])
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert "argument --port:" in err and "Traceback" not in err


def test_emulator_refuses_a_folder_it_must_not_write_into(tmp_path, no_emulator, capsys) -> None:
    assert main(["emulator", "--tf-dir", str(tmp_path / "missing")]) == 2
    assert "--tf-dir:" in (err := capsys.readouterr().err) and "is not a directory" in err

    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / "notes.txt").write_text("no Terraform here")
    assert main(["emulator", "--tf-dir", str(empty)]) == 2
    assert "--tf-dir:" in (err := capsys.readouterr().err) and "holds no *.tf files" in err

    mine = small_module(tmp_path / "mine")
    (mine / OVERRIDE_FILE).write_text('provider "aws" {\n  region = "eu-west-1"\n}\n')
    assert main(["emulator", "--tf-dir", str(tmp_path / "mine")]) == 2
    err = capsys.readouterr().err
    assert "--tf-dir:" in err and "natless did not write it" in err
    assert "region" in (mine / OVERRIDE_FILE).read_text()  # untouched

    good = small_module(tmp_path / "good")
    assert main(["emulator", "--tf-dir", str(good), "--tf-dir", str(mine)]) == 2
    assert str(mine / OVERRIDE_FILE) in capsys.readouterr().err
    assert not (good / OVERRIDE_FILE).exists()  # all checked before anything is written
