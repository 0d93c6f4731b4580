"""The emulator's server process cleans up after itself when its parent is gone before it is
ready: the fault matrix's "SIGKILL while the emulator starts" case, reduced to the server."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def test_a_server_whose_parent_stopped_reading_deletes_its_log_and_code_folder(
    tmp_path: Path,
) -> None:
    """natless killed while moto imports: the READY line meets a closed pipe. The server must
    exit, delete its log and its unpacked-code folder, rather than die of the broken pipe and
    leave both behind."""
    log = tmp_path / "server.log"
    log.touch()
    tmpdir = tmp_path / "tmp"
    tmpdir.mkdir()
    read_end, write_end = os.pipe()
    os.close(read_end)  # nobody will ever read the READY line
    with log.open("w") as err:
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "natless.emulator.server",
                "--port",
                "0",
                "--log-file",
                str(log),
            ],
            stdout=write_end,
            stderr=err,
            env={**os.environ, "TMPDIR": str(tmpdir)},
            timeout=120,
        )
    os.close(write_end)
    assert done.returncode == 1
    assert not log.exists()
    assert list(tmpdir.iterdir()) == []
