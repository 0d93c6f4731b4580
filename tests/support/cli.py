"""Running natless's command line in the test process."""

from __future__ import annotations

import pytest

from natless.cli import main


def refused(argv: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    """Run ``natless ARGV``, which must refuse it: exit status 2, one ``natless: error:`` message
    and no traceback. Returns stderr."""
    assert main(argv) == 2
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err
    assert captured.err.startswith("natless: error: ")
    return captured.err
