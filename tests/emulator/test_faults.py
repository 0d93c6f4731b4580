"""Fault injection: a demo stopped by a signal at any stage loses nothing.

Each case runs ``natless demo`` as a child process with a scratch folder and a TMPDIR of its
own, waits for a stage to begin, and sends a signal: SIGINT to the whole process group (what a
terminal's Ctrl-C does), SIGTERM or SIGHUP to natless alone (what CI systems send on cancel),
SIGKILL to natless alone. Targets: ``emulator`` (natless starts and stops its own) and
``endpoint`` (the AWS path, ``--aws --endpoint-url``, at an emulator the test started, where
resources outlive the run).

Every case then checks:

- the exit status (128 + the signal; -9 for SIGKILL);
- what the endpoint emulator still holds: nothing after a teardown; after SIGKILL, exactly what
  the run's state records, which ``natless clean`` then destroys;
- every "Finish it with" command natless printed, run as printed, works;
- once ``natless clean`` has run: no process of the run, no working copy, no temporary file.

Stages by what differs: ``target`` (nothing created yet; the emulator may be starting),
``apply`` (Terraform running: natless forwards one SIGINT to it, or Linux does when natless is
killed), ``run`` (resources exist, no Terraform running) and ``destroy`` (the teardown itself is
stopped). The emulator target's destroy stage is only stopping its own emulator, under a second,
so a signal cannot be aimed at it; it is left out.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from natless.deploy.package import build_package
from natless.deploy.workdir import working_copies
from natless.emulator import ACCESS_KEY, REGION, SECRET_KEY, Emulator
from tests.support.leftovers import STACK_KINDS, leftovers

STAGES = ("target", "package", "apply", "routes", "run", "compare", "destroy")
SANDBOX = "123456789012"  # moto's account
EXIT_TIMEOUT_S = 300


@dataclass(frozen=True)
class Case:
    stage: str
    target: str  # "emulator" or "endpoint"
    signum: signal.Signals
    second: bool = False  # a second signal during the teardown the first one started
    after_s: float = 0.0  # delay after the stage's first line

    @property
    def id(self) -> str:
        extra = "-then-again-in-teardown" if self.second else ""
        return f"{self.target}-{self.stage}-{self.signum.name}{extra}"


INT, TERM, HUP, KILL = signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGKILL
CASES = [
    # target: nothing exists yet; the run's emulator may be starting
    Case("target", "emulator", INT),
    Case("target", "emulator", TERM),
    Case("target", "emulator", HUP),
    Case("target", "emulator", KILL),
    Case("target", "endpoint", INT),
    Case("target", "endpoint", KILL),
    # apply: Terraform is creating resources (init and plan take the first ~8 s)
    Case("apply", "emulator", INT, after_s=12),
    Case("apply", "emulator", KILL, after_s=12),
    Case("apply", "endpoint", TERM, after_s=12),
    Case("apply", "endpoint", KILL, after_s=12),
    # run: every resource exists, no Terraform is running
    Case("run", "emulator", KILL, after_s=1),
    Case("run", "endpoint", INT, second=True, after_s=1),
    Case("run", "endpoint", KILL, after_s=1),
    # destroy: the normal teardown is stopped
    Case("destroy", "endpoint", TERM, after_s=4),
    Case("destroy", "endpoint", KILL, after_s=4),
]


@dataclass
class Run:
    """One natless child process and everything it printed (stdout and stderr, merged)."""

    proc: subprocess.Popen[str]
    lines: list[str] = field(default_factory=list)
    seen: threading.Condition = field(default_factory=threading.Condition)
    ended: bool = False

    def pump(self) -> None:
        for line in self.proc.stdout:  # type: ignore[union-attr]
            with self.seen:
                self.lines.append(line)
                self.seen.notify_all()
        with self.seen:
            self.ended = True
            self.seen.notify_all()

    def wait_for(self, pattern: str, timeout: float = 240) -> None:
        regex = re.compile(pattern, re.M)
        deadline = time.monotonic() + timeout
        with self.seen:
            while not regex.search(self.text):
                left = deadline - time.monotonic()
                if left <= 0 or self.ended:
                    raise AssertionError(f"never printed {pattern!r}:\n{self.text}")
                self.seen.wait(min(left, 1.0))

    @property
    def text(self) -> str:
        return "".join(self.lines)


def _marked_processes(marker: str) -> list[str]:
    """Processes whose environment carries this case's marker (natless and its children)."""
    found = []
    needle = f"NATLESS_FAULT_CASE={marker}".encode()
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            if needle in (proc / "environ").read_bytes():
                found.append(f"{proc.name}: {(proc / 'cmdline').read_bytes()[:120]!r}")
        except OSError:
            continue
    return found


# A Terraform that Linux stopped when natless was killed finishes its calls in flight first; with
# the run's own emulator gone, the aws provider retries each of them against the dead port
# (measured: more than 60 s on a loaded 2-core machine).
def _wait_no_processes(marker: str, timeout: float = 180) -> list[str]:
    deadline = time.monotonic() + timeout
    while (found := _marked_processes(marker)) and time.monotonic() < deadline:
        time.sleep(0.5)
    return found


def _state_inventory(scratch: Path) -> dict[str, list[str]]:
    """What the states of the working copies under ``scratch`` record, as leftovers() lists it.

    By ``id``: a resource whose create was interrupted is saved tainted with its ID alone (an SQS
    queue killed while Terraform waited for its attributes has ``id`` = its URL, ``url`` null),
    and the ID is what the destroy that ``natless clean`` runs goes by. For each kind here the
    ID is what the emulator lists: VPC/subnet ID, function name, table name, queue URL, bucket.
    """
    inv: dict[str, list[str]] = {k: [] for k in STACK_KINDS}
    kinds = {
        "aws_vpc": "vpcs",
        "aws_subnet": "subnets",
        "aws_lambda_function": "functions",
        "aws_dynamodb_table": "tables",
        "aws_sqs_queue": "queues",
        "aws_s3_bucket": "buckets",
    }
    for state in scratch.glob("work/*/**/terraform.tfstate"):
        text = state.read_text()
        if not text.strip():  # created to be locked, never written: no state (as for Terraform)
            continue
        for res in json.loads(text).get("resources", []):
            if res.get("mode") == "managed" and res["type"] in kinds:
                inv[kinds[res["type"]]] += [i["attributes"]["id"] for i in res.get("instances", [])]
    return {k: sorted(v) for k, v in inv.items()}


def _held(emulator: Emulator | None) -> dict[str, list[str]]:
    if emulator is None:
        return {k: [] for k in STACK_KINDS}
    # SQS list_queues gives URLs with the emulator's host; the state holds the same URLs.
    return leftovers(emulator.client_kwargs())


def _finish_commands(text: str) -> list[str]:
    return re.findall(r"Finish it with:\n  (.+)\n", text)


@pytest.fixture(scope="module")
def bench_package() -> None:
    build_package("bench")  # once, before the runs: the package stage then only hashes


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_signal_loses_nothing(case: Case, tmp_path: Path, bench_package: None) -> None:
    scratch, tmpdir = tmp_path / "scratch", tmp_path / "tmp"
    tmpdir.mkdir()
    marker = uuid.uuid4().hex
    env = {
        **os.environ,
        "NATLESS_SCRATCH": str(scratch),
        "TMPDIR": str(tmpdir),
        "NATLESS_FAULT_CASE": marker,
    }
    endpoint = Emulator.start() if case.target == "endpoint" else None
    started = time.monotonic()
    try:
        # A run stage long enough to be interrupted; elsewhere a short one.
        iterations = "200" if case.stage == "run" else "5"
        command = [sys.executable, "-m", "natless", "demo", "--iterations", iterations]
        if endpoint is not None:
            command += ["--aws", "--endpoint-url", endpoint.url]
            env |= {
                "AWS_ACCESS_KEY_ID": ACCESS_KEY,
                "AWS_SECRET_ACCESS_KEY": SECRET_KEY,
                "AWS_REGION": REGION,
                "NATLESS_SANDBOX_ACCOUNT_ID": SANDBOX,
            }
        proc = subprocess.Popen(
            command,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env=env,
            start_new_session=True,  # its own process group, as a shell job has
        )
        run = Run(proc)
        reader = threading.Thread(target=run.pump, daemon=True)
        reader.start()
        index = STAGES.index(case.stage) + 1
        run.wait_for(rf"^\[{index}/{len(STAGES)}\] {case.stage}")
        time.sleep(case.after_s)
        _send(proc, case.signum)
        signalled = time.monotonic()
        if case.second:
            run.wait_for("destroying what it created")
            time.sleep(3)  # terraform destroy is running
            _send(proc, case.signum)
        status = proc.wait(timeout=EXIT_TIMEOUT_S)
        reader.join(timeout=10)
        text = run.text
        stop_s, total_s = time.monotonic() - signalled, time.monotonic() - started

        expected = -9 if case.signum == KILL else 128 + case.signum
        assert status == expected, text
        assert "Traceback" not in text, text

        finish = _finish_commands(text)
        kept_on_purpose = case.second or (case.stage == "destroy" and case.signum != KILL)
        if case.signum != KILL:
            assert f"interrupted ({case.signum.name})" in text, text
            assert bool(finish) == kept_on_purpose, text
        for line in finish:
            done = subprocess.run(
                ["bash", "-c", line], env=env, capture_output=True, text=True, timeout=240
            )
            assert done.returncode == 0, f"{line}\n{done.stdout}\n{done.stderr}"
            assert _held(endpoint) == _state_inventory(scratch) == _held(None)

        if case.signum == KILL:
            # What natless could not tear down: its own emulator ends with it (and every
            # resource in it); the endpoint holds exactly what the state records, which clean
            # then destroys.
            assert _wait_no_processes(marker) == [], text
            if endpoint is not None:
                assert _held(endpoint) == _state_inventory(scratch)
        else:
            assert _held(endpoint) == _held(None), text
            if not kept_on_purpose:
                assert working_copies(scratch / "work") == [], text

        cleaned = subprocess.run(
            [sys.executable, "-m", "natless", "clean"],
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert cleaned.returncode == 0, cleaned.stdout + cleaned.stderr
        assert _held(endpoint) == _held(None), cleaned.stdout
        assert working_copies(scratch / "work") == [], cleaned.stdout
        assert _wait_no_processes(marker) == [], text
        assert _left_in(tmpdir, case.signum) == [], text
        did = [line.split(None, 2)[1:] for line in cleaned.stdout.splitlines()[2:-1]]
        print(
            f"{case.id}: exit {status}; signal to exit {stop_s:.1f} s (run {total_s:.1f} s); "
            f"finish commands run: {len(finish)}; clean: {did or 'nothing left'}"
        )
    finally:
        if endpoint is not None:
            endpoint.stop()


# Python's first tempfile call in a process probes TMPDIR: it creates a file with 8 random
# characters of name, writes b"blat" and unlinks it (tempfile._get_default_tempdir). A SIGKILL
# between the create and the unlink leaves that file; nothing of natless's own may be left.
_PROBE_NAME = re.compile(r"[a-z0-9_]{8}")


def _left_in(tmpdir: Path, signum: signal.Signals) -> list[str]:
    """What a run left in its TMPDIR, but for Python's tempfile probe after a SIGKILL."""

    def probe(path: Path) -> bool:
        return (
            signum == KILL
            and path.is_file()
            and _PROBE_NAME.fullmatch(path.name) is not None
            and path.read_bytes() in (b"", b"blat")
        )

    return sorted(p.name for p in tmpdir.iterdir() if not probe(p))


def _send(proc: subprocess.Popen[str], signum: signal.Signals) -> None:
    if signum == INT:
        os.killpg(proc.pid, signum)  # a terminal's Ctrl-C: the whole foreground group
    else:
        os.kill(proc.pid, signum)
