"""Placed invocations: the emulator's Invoke service runs a deployed package inside a lab
namespace (``ip netns exec``), with the lab's resolv.conf and without ``AWS_ENDPOINT_URL``.

One hand-made lab (as tests/emulator/test_lab.py makes its DNS64 ones): a dual-stack subnet whose
table sends ``::/0`` to an egress-only gateway, and the ``aws`` node of functions without VPC
configuration. A tiny function resolves a lab name with getaddrinfo, connects to the answers
(port 443, the lab's listener, and port 8443, where this test listens in the internet node and
answers with the peer it saw) and returns what it saw and its /etc/resolv.conf:

- placed in ``fn0``: resolved by the lab's unbound (a name no other resolver knows), its IPv6
  connection arrives with the function's own lab address as source;
- placed in ``aws``: IPv4 arrives from the stand-in public address, IPv6 fails at once with
  ENETUNREACH;
- unplaced: on this host, as before (its resolv.conf, its AWS_ENDPOINT_URL);
- a placed function that outlives its timeout is killed (Sandbox.Timedout), inside fn0;
- a placement whose namespace is gone answers 502; a SIGKILLed lab's /etc/netns files go with
  ``natless clean`` (clean_orphans).

Assertions are about the placement (namespace, resolv.conf, addresses), not about the lab
listener's protocol on port 443 (only that the connection is accepted). Namespace prefix ``nlp``
+ this worker's pid, so no other lab is looked at.
"""

from __future__ import annotations

import errno
import io
import ipaddress
import json
import os
import socket
import statistics
import textwrap
import threading
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config

from natless.net import netns
from natless.net.lab import Lab, clean_orphans
from natless.net.labdns import LabName, resolver_address
from natless.net.labplan import MANAGED_NAME, MANAGED_SOURCE, SubnetInput, plan_lab
from tests.support.labs import hold_lab

pytestmark = pytest.mark.skipif(
    os.geteuid() != 0, reason="placement needs root (ip netns exec, the lab; CI runs as root)"
)

PREFIX = f"nlp{os.getpid() % 100000}"
NAME = "dualstack.natless.example"
V4, V6 = "198.51.100.53", "2001:db8:ffff::53"  # what NAME resolves to (the lab's answer)
ECHO_PORT = 8443  # this test's own listener in the internet node: it answers with the peer
HANDLER = """
import errno, json, os, socket, time

def handler(event, context):
    if event.get("sleep"):
        with open(event["mark"], "w") as out:
            json.dump({"pid": os.getpid(), "netns": os.stat("/proc/self/ns/net").st_ino}, out)
        time.sleep(event["sleep"])
    out = {
        "resolv_conf": open("/etc/resolv.conf").read(),
        "endpoint": os.environ.get("AWS_ENDPOINT_URL"),
        "ca": os.environ.get("AWS_CA_BUNDLE"),
    }
    if not event.get("name"):
        return out
    try:
        infos = socket.getaddrinfo(event["name"], 443, type=socket.SOCK_STREAM)
        out["addresses"] = list(dict.fromkeys(i[4][0] for i in infos))
    except socket.gaierror as exc:
        out["addresses"], out["gai_error"] = [], str(exc)
    out["connects"] = []
    for address in out["addresses"]:
        if (6 if ":" in address else 4) not in event["families"]:
            continue
        for port in (443, ECHO_PORT):
            family = socket.AF_INET6 if ":" in address else socket.AF_INET
            seen = {"address": address, "port": port}
            started = time.monotonic()
            with socket.socket(family, socket.SOCK_STREAM) as sock:
                sock.settimeout(event.get("timeout", 2.0))
                try:
                    sock.connect((address, port))
                    seen["local"] = sock.getsockname()[0]
                    if port != 443:
                        seen["reply"] = json.loads(sock.makefile().readline())
                except OSError as exc:
                    seen["errno"] = errno.errorcode.get(exc.errno or 0, str(exc))
            seen["seconds"] = round(time.monotonic() - started, 6)
            out["connects"].append(seen)
    return out
""".replace("ECHO_PORT", str(ECHO_PORT))


def _zip(source: str) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("handler.py", textwrap.dedent(source))
    return buf.getvalue()


@pytest.fixture(scope="module")
def function(emulator) -> Iterator[tuple[Any, str]]:
    kw = emulator.client_kwargs()
    iam = boto3.client("iam", **kw)
    role = iam.create_role(RoleName=f"placed-{os.getpid()}", AssumeRolePolicyDocument="{}")
    lam = boto3.client("lambda", **kw)
    names = {f"placed-{os.getpid()}": 10, f"placed-sleepy-{os.getpid()}": 1}
    for name, timeout in names.items():
        lam.create_function(
            FunctionName=name,
            Runtime="python3.12",
            Role=role["Role"]["Arn"],
            Handler="handler.handler",
            Code={"ZipFile": _zip(HANDLER)},
            Timeout=timeout,
        )
    try:
        yield lam, next(iter(names))
    finally:
        for name in names:
            emulator.place(name, None)
            lam.delete_function(FunctionName=name)
        iam.delete_role(RoleName=role["Role"]["RoleName"])


def _plan() -> Any:
    eigw = {"EgressOnlyInternetGatewayId": "eigw-1"}
    subnet = SubnetInput(
        0,
        "f",
        "subnet-0",
        ipaddress.IPv4Network("10.0.0.0/24"),
        ipaddress.IPv6Network("2600:1f18:1:0::/64"),
        ((ipaddress.ip_network("::/0"), eigw),),
        None,
        resolver_address("10.0.0.0/16"),
    )
    names = [LabName("public-dualstack", "dual-stack host", NAME, (V4,), (V6,))]
    return plan_lab([subnet], [ipaddress.ip_address(V4), ipaddress.ip_address(V6)], names, True)


class _Echo:
    """A listener on port 8443 in the internet node: one JSON line with the peer it saw."""

    def __init__(self, lab: Lab) -> None:
        def make() -> socket.socket:
            sock = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
            sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
            sock.bind(("::", ECHO_PORT))
            sock.listen(16)
            sock.settimeout(0.2)
            return sock

        self.sock = netns.in_netns(lab.namespace("inet"), make)
        self.peers: list[str] = []
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while not self.stopping.is_set():
            try:
                conn, peer = self.sock.accept()
            except TimeoutError:
                continue
            with conn:
                host = str(peer[0]).removeprefix("::ffff:")
                self.peers.append(host)
                conn.sendall(json.dumps({"peer": host}).encode() + b"\n")

    def close(self) -> None:
        self.stopping.set()
        self.thread.join(5)
        self.sock.close()


def _invoke(lam: Any, name: str, event: dict[str, Any]) -> tuple[dict[str, Any], Any]:
    response = lam.invoke(FunctionName=name, Payload=json.dumps(event))
    return json.loads(response["Payload"].read()), response


def test_placed_functions_run_in_the_lab(emulator, function, tmp_path: Path) -> None:
    lam, name = function
    sleepy = name.replace("placed-", "placed-sleepy-")
    plan = _plan()
    ca = str(tmp_path / "lab-ca.pem")
    unplaced, _ = _invoke(lam, name, {})
    host_resolv = Path("/etc/resolv.conf").read_text()
    assert unplaced == {"resolv_conf": host_resolv, "endpoint": emulator.url, "ca": None}
    with Lab.running(plan, prefix=PREFIX, state_dir=tmp_path / "labs") as lab:
        namespaces = lab.namespaces
        for node in ("fn0", MANAGED_NAME):
            etc = netns.ETC_NETNS_DIR / lab.namespace(node) / "resolv.conf"
            assert etc.read_text() == plan.nodes[node].resolv_conf
        echo = _Echo(lab)
        try:
            settings = {"env": {"AWS_CA_BUNDLE": ca}, "unset": ["AWS_ENDPOINT_URL"]}
            # in the function's subnet: the lab's resolver, IPv6 out through the EIGW
            emulator.place(name, lab.namespace("fn0"), **settings)
            seen, response = _invoke(lam, name, {"name": NAME, "families": [6]})
            assert "FunctionError" not in response, seen
            assert seen["resolv_conf"] == plan.nodes["fn0"].resolv_conf
            assert seen["resolv_conf"].startswith("nameserver 10.0.0.2\n")
            assert (seen["endpoint"], seen["ca"]) == (None, ca)
            assert sorted(seen["addresses"]) == sorted([V4, V6])  # no other resolver knows NAME
            (to_lab, to_echo) = seen["connects"]
            fn6 = plan.function_ipv6[0]
            assert (to_lab["address"], to_lab["port"], to_lab.get("errno")) == (V6, 443, None)
            assert to_lab["local"] == fn6
            assert to_echo["reply"] == {"peer": fn6} and fn6 in echo.peers
            # in the aws-managed node: IPv4 from the stand-in public address, IPv6 unreachable
            emulator.place(name, lab.namespace(MANAGED_NAME), **settings)
            seen, _ = _invoke(lam, name, {"name": NAME, "families": [4, 6]})
            assert seen["resolv_conf"] == plan.nodes[MANAGED_NAME].resolv_conf
            assert seen["addresses"] == [V4, V6]  # glibc sorts the unusable family last
            by = {(c["address"], c["port"]): c for c in seen["connects"]}
            assert by[(V4, 443)].get("errno") is None
            assert by[(V4, ECHO_PORT)]["reply"] == {"peer": str(MANAGED_SOURCE)}
            assert by[(V4, ECHO_PORT)]["local"] == str(MANAGED_SOURCE)
            for port in (443, ECHO_PORT):
                assert by[(V6, port)]["errno"] == errno.errorcode[errno.ENETUNREACH]
            print(
                f"\naws-managed: IPv6 connect failed with ENETUNREACH after "
                f"{by[(V6, 443)]['seconds'] * 1000:.2f} ms; IPv4 from {MANAGED_SOURCE}"
            )
            # a placed function past its timeout is killed, in its namespace
            mark = tmp_path / "sleepy.json"
            emulator.place(sleepy, lab.namespace("fn0"), **settings)
            error, response = _invoke(lam, sleepy, {"sleep": 30, "mark": str(mark)})
            assert response["FunctionError"] == "Unhandled"
            assert error["errorType"] == "Sandbox.Timedout"
            ran = json.loads(mark.read_text())
            assert ran["netns"] == (netns.NETNS_DIR / lab.namespace("fn0")).stat().st_ino
            assert not Path(f"/proc/{ran['pid']}").exists()
            _latency(lam, name, emulator, lab)
        finally:
            echo.close()
            emulator.place(name, None)
            emulator.place(sleepy, None)
    assert namespaces and not [n for n in namespaces if (netns.ETC_NETNS_DIR / n).exists()]
    assert not [n for n in namespaces if (netns.NETNS_DIR / n).exists()]
    again, _ = _invoke(lam, name, {})  # unplaced again: on the host, as before
    assert again == unplaced


def test_a_placement_outliving_its_lab_is_a_502(emulator, function, tmp_path: Path) -> None:
    _, name = function
    once = Config(retries={"total_max_attempts": 1})  # botocore retries a 502 otherwise
    lam = boto3.client("lambda", config=once, **emulator.client_kwargs())
    with Lab.running(plan_lab([], [], managed=True), prefix=PREFIX, state_dir=tmp_path) as lab:
        emulator.place(name, lab.namespace(MANAGED_NAME))
    try:
        with pytest.raises(lam.exceptions.ResourceNotReadyException, match="no longer exists"):
            lam.invoke(FunctionName=name, Payload=b"{}")
    finally:
        emulator.place(name, None)


def _latency(lam: Any, name: str, emulator: Any, lab: Lab) -> None:
    """Median of 10 invocations, placed in fn0 and unplaced (printed, not asserted)."""
    medians = {}
    for where in ("fn0", None):
        emulator.place(name, lab.namespace(where) if where else None)
        times = []
        for _ in range(10):
            started = time.monotonic()
            _invoke(lam, name, {})
            times.append((time.monotonic() - started) * 1000)
        medians[where or "host"] = statistics.median(times)
    print(
        f"invoke latency, median of 10: placed in fn0 {medians['fn0']:.1f} ms, "
        f"unplaced {medians['host']:.1f} ms"
    )


_HOLD_LAB = """
import sys, time
from pathlib import Path
from natless.net.lab import Lab, clean_orphans
from natless.net.labplan import plan_lab
with Lab.running(plan_lab([], [], managed=True), prefix=sys.argv[1], state_dir=Path(sys.argv[2])):
    print("up", flush=True)
    time.sleep(120)
"""


def test_clean_removes_the_etc_files_of_a_killed_lab(tmp_path: Path) -> None:
    """SIGKILL of the lab's owner leaves /etc/netns/<ns>; clean_orphans removes it."""
    state_dir = tmp_path / "labs"
    proc, namespaces = hold_lab(_HOLD_LAB, state_dir, PREFIX, str(state_dir))
    try:
        aws = next(n for n in namespaces if n.endswith(f"-{MANAGED_NAME}"))
        assert (netns.ETC_NETNS_DIR / aws / "resolv.conf").is_file()
        proc.kill()
        proc.communicate(timeout=60)
        assert (netns.ETC_NETNS_DIR / aws).is_dir()  # nobody removed it
        (done,) = clean_orphans(state_dir)
        assert f"{len(namespaces)} namespaces deleted" in done
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert not [n for n in namespaces if (netns.ETC_NETNS_DIR / n).exists()]
    assert not [n for n in namespaces if (netns.NETNS_DIR / n).exists()]
