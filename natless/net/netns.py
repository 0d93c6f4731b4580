"""Network namespaces from Python: what the lab needs installed, `ip` and `nft`, and a thread that
works inside a namespace.

Everything runs without ``ip netns exec``: a short-lived thread enters the namespace with
setns(2) (network namespaces are per thread, so the rest of the process stays where it is) and
runs the callable given; the sockets it makes belong to that namespace for life, and the
processes it starts (``ip -batch``, ``nft -f``) are born in it. Those end with the call that
started them. The lab's two long-lived processes, the resolver (unbound) and the translator
(tayga), are asked to die with natless (``PR_SET_PDEATHSIG``) and are recorded in the lab's state
file, so after a killed run ``natless clean`` removes what is left: namespaces and, should the
death signal not have reached them, those processes.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import fcntl
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any, TypeVar

from natless.errors import UserError
from natless.interrupts import deferred

T = TypeVar("T")

NETNS_DIR = Path("/run/netns")  # where `ip netns add` names its namespaces
# Files `ip netns exec NAME` bind-mounts over /etc/FILE for what it runs (resolv.conf: the
# lab's resolver for a placed function); removed with the lab.
ETC_NETNS_DIR = Path("/etc/netns")
HOST_NSSWITCH = Path("/etc/nsswitch.conf")
_PLAIN_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")
CLONE_NEWNET = 0x40000000
COMMAND_TIMEOUT_S = 60.0
PACKAGE = "nftables"
RESOLVER_PACKAGE = "unbound"
TRANSLATOR_PACKAGE = "tayga"  # NAT64, only for labs whose tables route 64:ff9b::/96 to a NAT
TUN = Path("/dev/net/tun")  # tayga's device
# Debian's unbound package starts a system-wide unbound on install. The lab runs its own, in a
# namespace, and must neither depend on nor leave one running: while natless installs it, a
# policy-rc.d that denies every start (exit 101, the Debian convention) is in place, unless the
# machine has one already (Docker images do), which is then left as it is.
POLICY_RC_D = Path("/usr/sbin/policy-rc.d")
DENY_STARTS = "#!/bin/sh\n# natless: no service starts while the lab installs unbound\nexit 101\n"
# One installer at a time: parallel processes (test workers, two natless runs) that all find
# nft missing would otherwise race for apt's locks, and all but one fail.
INSTALL_LOCK = Path("/run/lock/natless-apt.lock")
APT_LOCK_WAIT = ["-o", "DPkg::Lock::Timeout=300"]  # and wait for other apt users (PostgreSQL's)
INSTALL_HINT = (
    "the lab needs root, iproute2 (`ip netns`), nftables, unbound and, for NAT64, tayga "
    "(Debian/Ubuntu: `sudo apt-get install nftables iproute2 unbound tayga`); run it as root "
    "on Linux"
)

_LIBC = ctypes.CDLL(None, use_errno=True)


class LabError(UserError):
    """The kernel or a tool refused part of the lab (the message says which and why)."""


def _install(package: str, command: str, no_service_start: bool = False) -> None:
    """``apt-get update`` + ``apt-get install PACKAGE`` (root only), as for PostgreSQL, unless
    ``command`` appeared while this process waited for another one's install.

    ``no_service_start``: with a policy-rc.d denying service starts for the install's duration
    (see :data:`POLICY_RC_D`)."""
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    INSTALL_LOCK.parent.mkdir(parents=True, exist_ok=True)
    with INSTALL_LOCK.open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if shutil.which(command) is not None:
            return
        with _services_held(no_service_start):
            _apt(package, env)


@contextlib.contextmanager
def _services_held(hold: bool) -> Iterator[None]:
    made = False
    if hold and not POLICY_RC_D.exists():
        POLICY_RC_D.write_text(DENY_STARTS)
        POLICY_RC_D.chmod(0o755)
        made = True
    try:
        yield
    finally:
        if made:
            POLICY_RC_D.unlink(missing_ok=True)


def _apt(package: str, env: dict[str, str]) -> None:
    for argv in (
        ["apt-get", *APT_LOCK_WAIT, "update"],
        ["apt-get", *APT_LOCK_WAIT, "install", "-y", "--no-install-recommends", package],
    ):
        proc = subprocess.run(argv, capture_output=True, text=True, env=env, check=False)
        if proc.returncode != 0:
            tail = "\n  ".join((proc.stdout + proc.stderr).strip().splitlines()[-6:])
            raise UserError(f"`{' '.join(argv)}` failed:\n  {tail}\n{INSTALL_HINT}")


def require_lab_tools(translator: bool = False) -> None:
    """Root, Linux, ``ip`` with network namespaces, ``nft`` and ``unbound`` (and with
    ``translator``, tayga and /dev/net/tun); installs the packages with apt-get when they are
    missing and we are root. A UserError says what is missing otherwise."""
    if not sys.platform.startswith("linux"):
        raise UserError(f"the lab needs Linux network namespaces, not {sys.platform}")
    if os.geteuid() != 0:
        raise UserError(f"the lab needs root (network namespaces, nftables): {INSTALL_HINT}")
    if shutil.which("ip") is None:
        raise UserError(f"`ip` (iproute2) is not on PATH: {INSTALL_HINT}")
    probe = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True, check=False)
    if probe.returncode != 0:
        raise UserError(f"`ip netns list` failed ({probe.stderr.strip()}): {INSTALL_HINT}")
    if shutil.which("nft") is None:
        if shutil.which("apt-get") is None:
            raise UserError(f"`nft` (nftables) is not on PATH: {INSTALL_HINT}")
        _install(PACKAGE, "nft")
        if shutil.which("nft") is None:
            raise UserError(f"`nft` is still missing after installing {PACKAGE}: {INSTALL_HINT}")
    if shutil.which("unbound") is None:
        if shutil.which("apt-get") is None:
            raise UserError(f"`unbound` (the lab's DNS resolver) is not on PATH: {INSTALL_HINT}")
        _install(RESOLVER_PACKAGE, "unbound", no_service_start=True)
        if shutil.which("unbound") is None:
            raise UserError(f"`unbound` is still missing after installing it: {INSTALL_HINT}")
    if translator:
        _require_translator()


def _require_translator() -> None:
    if not TUN.exists():
        raise UserError(f"NAT64 in the lab needs {TUN} (tun devices) for tayga: {INSTALL_HINT}")
    if shutil.which("tayga") is None:
        if shutil.which("apt-get") is None:
            raise UserError(f"`tayga` (the lab's NAT64 translator) is not on PATH: {INSTALL_HINT}")
        _install(TRANSLATOR_PACKAGE, "tayga", no_service_start=True)
        if shutil.which("tayga") is None:
            raise UserError(f"`tayga` is still missing after installing it: {INSTALL_HINT}")


def run(command: list[str], stdin: str = "", what: str = "") -> None:
    """Run a command (in the calling thread's namespace); a LabError with its stderr on failure."""
    proc = subprocess.run(
        command,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=COMMAND_TIMEOUT_S,
        check=False,
    )
    if proc.returncode != 0:
        raise LabError(f"{what or ' '.join(command)}: {proc.stderr.strip() or proc.stdout.strip()}")


def ip_batch(lines: Iterable[str], what: str, force: bool = False) -> None:
    """One ``ip -batch`` process for many commands (``-force``: go on after an error)."""
    text = "\n".join(lines) + "\n"
    run(["ip", *(["-force"] if force else []), "-batch", "-"], text, what)


def existing(names: Iterable[str]) -> list[str]:
    return [n for n in names if (NETNS_DIR / n).exists()]


def delete_namespaces(names: Iterable[str]) -> None:
    """Delete the named namespaces that exist (their veth ends go with them)."""
    found = existing(names)
    if found:
        ip_batch([f"netns delete {n}" for n in found], "deleting namespaces", force=True)


def _etc_dir(namespace: str) -> Path:
    if not _PLAIN_NAME.fullmatch(namespace):  # never a path: "..", "a/b"
        raise LabError(f"namespace name {namespace!r}: letters, digits, '_', '.' and '-' only")
    return ETC_NETNS_DIR / namespace


def write_etc(namespace: str, files: dict[str, str]) -> None:
    """Write ``/etc/netns/<namespace>/<file>`` (mode 0644) for each file, each one whole: a
    process that ``ip netns exec`` starts meanwhile sees the old text or the new, never a part.
    """
    folder = _etc_dir(namespace)
    for name in files:
        if not _PLAIN_NAME.fullmatch(name):
            raise LabError(f"/etc/netns file {name!r}: a plain file name, no folder")
    try:
        folder.mkdir(mode=0o755, parents=True, exist_ok=True)
        for name, text in files.items():
            # staged beside the folder: `ip netns exec` bind-mounts every file inside it
            staging = ETC_NETNS_DIR / f".{namespace}.{name}.natless"
            staging.write_text(text)
            staging.chmod(0o644)  # whatever the umask: the function may run as another user
            staging.replace(folder / name)
    except OSError as exc:
        raise LabError(f"writing {folder}: {exc.strerror}") from None


def remove_etc(namespaces: Iterable[str]) -> None:
    """Remove ``/etc/netns/<namespace>`` of each namespace; one that is not there is fine.
    ``/etc/netns`` itself stays: another lab (or the system) may be writing into it."""
    for namespace in namespaces:
        if _PLAIN_NAME.fullmatch(namespace):  # a name from a state file is never a path
            shutil.rmtree(ETC_NETNS_DIR / namespace, ignore_errors=True)


def etc_files(resolv_conf: str, host_nsswitch: Path | None = None) -> dict[str, str]:
    """The /etc/netns files of a namespace functions run in: its resolv.conf, and a copy of the
    host's nsswitch.conf whose ``hosts:`` line is ``files dns`` when the host's says more.

    Why nsswitch.conf: on a host with systemd-resolved, ``hosts: ... resolve ...`` sends
    getaddrinfo to resolved over a Unix socket, which no network namespace separates: the
    function would resolve through the host, whatever resolv.conf says. ``files dns`` makes it
    read resolv.conf, as in Lambda. A host that says ``files dns`` already gets no copy.
    """
    out = {"resolv.conf": resolv_conf}
    try:
        text = (host_nsswitch or HOST_NSSWITCH).read_text()
    except OSError:
        return out  # no file: glibc's default for hosts is "dns files", resolv.conf all the same
    lines = text.splitlines()
    changed = False
    for i, line in enumerate(lines):
        key, _, sources = line.partition(":")
        if key.strip() == "hosts" and sources.split() != ["files", "dns"]:
            lines[i], changed = "hosts:          files dns", True
    if changed:
        out["nsswitch.conf"] = "\n".join(lines) + "\n"
    return out


def in_netns(name: str, func: Callable[[], T]) -> T:
    """``func()`` in a thread that has entered namespace ``name``; its result or its exception."""
    result: list[T] = []
    failure: list[BaseException] = []

    def enter_and_run() -> None:
        try:
            fd = os.open(NETNS_DIR / name, os.O_RDONLY | os.O_CLOEXEC)
            try:
                if _LIBC.setns(fd, CLONE_NEWNET) != 0:
                    code = ctypes.get_errno()
                    raise LabError(f"setns into {name}: {os.strerror(code)}")
            finally:
                os.close(fd)
            result.append(func())
        except BaseException as exc:
            failure.append(exc)

    thread = threading.Thread(target=enter_and_run, name=f"netns-{name}", daemon=True)
    with deferred():
        thread.start()
    thread.join()
    if failure:
        raise failure[0]
    return result[0]


def in_parallel(work: dict[str, Callable[[], T]]) -> dict[str, T]:
    """Run every function at once (one thread each); their results by key, or the first
    exception any of them raised once all have ended."""
    results: dict[str, T] = {}
    failures: list[BaseException] = []

    def one(key: str, func: Callable[[], T]) -> None:
        try:
            results[key] = func()
        except BaseException as exc:
            failures.append(exc)

    threads = [threading.Thread(target=one, args=item, daemon=True) for item in work.items()]
    with deferred():
        for thread in threads:
            thread.start()
    for thread in threads:
        thread.join()
    if failures:
        raise failures[0]
    return results


def in_each_netns(work: dict[str, Callable[[], T]]) -> dict[str, T]:
    """Like :func:`in_netns` for several namespaces at once (one thread each, in parallel)."""
    return in_parallel(
        {name: (lambda name=name, func=func: in_netns(name, func)) for name, func in work.items()}
    )


def write_sysctls(values: dict[str, str]) -> None:
    """Write net.* sysctls of the calling thread's namespace (/proc/sys/net is per namespace)."""
    for key, value in values.items():
        path = Path("/proc/sys") / key.replace(".", "/")
        try:
            path.write_text(value)
        except OSError as exc:
            if exc.errno != errno.ENOENT:
                raise LabError(f"sysctl {key}={value}: {exc.strerror}") from None


PR_SET_PDEATHSIG = 1


def start_in_netns(name: str, argv: list[str], stderr: Any) -> subprocess.Popen[bytes]:
    """Start a long-running process (a resolver, a translator) inside namespace ``name``.

    The child enters the namespace itself (setns between fork and exec) and asks the kernel for
    SIGKILL when its parent dies (PR_SET_PDEATHSIG), so a SIGKILLed natless takes it along. The
    kernel sends that signal when the *thread* that forked it ends: call this from a thread that
    lives as long as the lab (the one that runs :meth:`natless.net.lab.Lab.running`).
    """
    path = str(NETNS_DIR / name)
    parent = os.getpid()

    def enter() -> None:  # in the child: async-signal-safe calls only, no Python locks
        fd = os.open(path, os.O_RDONLY)
        if _LIBC.setns(fd, CLONE_NEWNET) != 0:
            os._exit(126)
        os.close(fd)
        _LIBC.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        if os.getppid() != parent:  # the parent died before the prctl
            os._exit(1)

    with deferred():
        return subprocess.Popen(
            argv,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=stderr,
            preexec_fn=enter,  # one fork per process, before the listener thread starts
            close_fds=True,
        )
