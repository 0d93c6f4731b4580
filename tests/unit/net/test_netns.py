"""natless.net.netns: installing nftables is one install however many processes find it missing
(parallel test workers, two natless runs), and it waits for apt's locks instead of failing; the
/etc/netns files of a namespace functions run in are written whole and removed."""

from __future__ import annotations

import os
import stat
import subprocess
import threading
import time
from pathlib import Path

import pytest

from natless.net import netns


def test_parallel_installs_run_apt_once(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    installed = threading.Event()
    calls: list[list[str]] = []

    def which(command: str) -> str | None:
        return "/usr/sbin/nft" if command == "nft" and installed.is_set() else None

    def run(argv: list[str], **kwargs: object) -> subprocess.CompletedProcess[str]:
        calls.append(argv)
        if "install" in argv:
            time.sleep(0.3)  # the others reach the lock meanwhile
            installed.set()
        return subprocess.CompletedProcess(argv, 0, "", "")

    monkeypatch.setattr(netns, "INSTALL_LOCK", tmp_path / "apt.lock")
    monkeypatch.setattr(netns.shutil, "which", which)
    monkeypatch.setattr(netns.subprocess, "run", run)
    workers = [threading.Thread(target=netns._install, args=("nftables", "nft")) for _ in range(3)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(10)
    assert [argv[-1] for argv in calls] == ["update", "nftables"]
    assert all("DPkg::Lock::Timeout=300" in argv for argv in calls)


def test_a_failed_install_says_how(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    def run(argv: list[str], **kwargs: object) -> subprocess.CompletedProcess[str]:
        return subprocess.CompletedProcess(argv, 100, "", "E: Unable to locate package nftables")

    monkeypatch.setattr(netns, "INSTALL_LOCK", tmp_path / "apt.lock")
    monkeypatch.setattr(netns.shutil, "which", lambda command: None)
    monkeypatch.setattr(netns.subprocess, "run", run)
    with pytest.raises(netns.UserError, match="Unable to locate package nftables") as err:
        netns._install("nftables", "nft")
    assert "apt-get install nftables" in str(err.value)


def test_tayga_is_installed_only_when_a_lab_translates(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """With everything else present: no translator, no install; with one, apt installs tayga
    (services held, as for unbound); without /dev/net/tun, a UserError says so."""
    present = {"ip", "nft", "unbound", "apt-get"}
    installs: list[tuple[str, bool]] = []

    def install(package: str, command: str, no_service_start: bool = False) -> None:
        installs.append((package, no_service_start))
        present.add(command)

    def run(argv: list[str], **kwargs: object) -> subprocess.CompletedProcess[str]:
        return subprocess.CompletedProcess(argv, 0, "", "")

    monkeypatch.setattr(netns.os, "geteuid", lambda: 0)
    monkeypatch.setattr(netns.shutil, "which", lambda c: f"/usr/sbin/{c}" if c in present else None)
    monkeypatch.setattr(netns.subprocess, "run", run)
    monkeypatch.setattr(netns, "_install", install)
    netns.require_lab_tools()
    assert installs == []
    monkeypatch.setattr(netns, "TUN", tmp_path / "no-tun")
    with pytest.raises(netns.UserError, match="no-tun"):
        netns.require_lab_tools(translator=True)
    (tmp_path / "tun").touch()
    monkeypatch.setattr(netns, "TUN", tmp_path / "tun")
    netns.require_lab_tools(translator=True)
    netns.require_lab_tools(translator=True)
    assert installs == [("tayga", True)]


# --- /etc/netns: what `ip netns exec` gives a placed function ------------------------------------


def test_write_and_remove_etc(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    root = tmp_path / "etc-netns"
    monkeypatch.setattr(netns, "ETC_NETNS_DIR", root)
    old = os.umask(0o077)  # a strict umask must not make the files unreadable to the function
    try:
        netns.write_etc("nlu1-fn0", {"resolv.conf": "nameserver 10.0.0.2\n"})
        netns.write_etc("nlu1-fn0", {"resolv.conf": "nameserver 10.0.0.3\n"})  # replaced
    finally:
        os.umask(old)
    written = root / "nlu1-fn0" / "resolv.conf"
    assert written.read_text() == "nameserver 10.0.0.3\n"
    assert stat.S_IMODE(written.stat().st_mode) == 0o644
    assert sorted(p.name for p in root.iterdir()) == ["nlu1-fn0"]  # no staging file left
    assert [p.name for p in (root / "nlu1-fn0").iterdir()] == ["resolv.conf"]
    for bad_ns, bad_file in (("..", "resolv.conf"), ("a/b", "resolv.conf"), ("x", "../hosts")):
        with pytest.raises(netns.LabError):
            netns.write_etc(bad_ns, {bad_file: ""})
    netns.remove_etc(["nlu1-fn0", "nlu1-never-made", "..", "a/b"])
    netns.remove_etc(["nlu1-fn0"])  # idempotent
    assert list(root.iterdir()) == [] and tmp_path.exists()


@pytest.mark.parametrize(
    ("hosts", "copied"),
    [
        ("hosts:          files dns", False),
        ("hosts: files mdns4_minimal [NOTFOUND=return] resolve [!UNAVAIL=return] dns", True),
        ("hosts: files resolve [!UNAVAIL=return] dns myhostname", True),
    ],
)
def test_nsswitch_is_copied_only_when_hosts_goes_beyond_files_dns(
    tmp_path: Path, hosts: str, copied: bool
) -> None:
    host = tmp_path / "nsswitch.conf"
    host.write_text(f"passwd:         files systemd\n{hosts}\nnetworks:       files\n")
    files = netns.etc_files("nameserver 10.0.0.2\n", host)
    assert files["resolv.conf"] == "nameserver 10.0.0.2\n"
    if not copied:
        assert set(files) == {"resolv.conf"}
        return
    assert files["nsswitch.conf"].splitlines() == [
        "passwd:         files systemd",
        "hosts:          files dns",
        "networks:       files",
    ]
    assert set(netns.etc_files("", tmp_path / "missing")) == {"resolv.conf"}
