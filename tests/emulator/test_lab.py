"""The lab: `natless routes --observe` on the deployed pair examples, and its clean-up.

One apply per example (module fixture). Observed by real TCP connections from namespaces that
replicate each function subnet: egress-only reaches S3 and DynamoDB over IPv4 through its gateway
endpoints and IPv6 through its egress-only gateway, and IPv4 to the internet hangs; nat-gateway
reaches the IPv4 internet through its NAT, whose stand-in Elastic IP the listener sees; inbound
IPv6 is dropped in both. A route removed between computing and observing is a disagreement
(exit 1, naming the cells). After success, an exception while building, SIGINT, and SIGKILL
followed by `natless clean`, no namespace, veth, nftables table or process of the lab remains.

Every lab here uses the namespace prefix ``nlt`` + this worker's pid, so labs of other workers
(or of a user) are never looked at.
"""

from __future__ import annotations

import copy
import ipaddress
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest

from natless.cli import main
from natless.deploy.outputs import function_names
from natless.deploy.package import build_package
from natless.deploy.stack import Stack
from natless.net import lab as labmod
from natless.net.lab import PREFIX_ENV, Lab, Probe
from natless.net.labplan import EIP_POOL, PUBLIC_IPV4_ONLY, SubnetInput, plan_lab
from natless.net.netns import NETNS_DIR, LabError, in_netns, run
from natless.net.observe import LAB_DESTINATIONS, lab_inputs
from natless.net.routes import Reader, route_matrix
from natless.paths import EXAMPLES, SCRATCH_ENV

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="the lab needs root (CI runs as root)")

PREFIX = f"nlt{os.getpid() % 100000}"
SIGNAL_WAIT_S = 60.0


@dataclass
class Applied:
    example: str
    names: dict[str, str]
    outputs: dict[str, Any]
    kw: dict[str, str]


@pytest.fixture(scope="module", params=["egress-only", "nat-gateway"])
def applied(request, emulator) -> Iterator[Applied]:
    build_package("bench")
    stack = Stack.create(EXAMPLES / request.param, emulator.redirect())
    try:
        stack.apply({"name": f"lab-{request.param}"})
        outputs = stack.outputs()
        yield Applied(request.param, function_names(outputs), outputs, emulator.client_kwargs())
    finally:
        stack.close()


@pytest.fixture
def lab_env(emulator, monkeypatch, tmp_path) -> Path:
    """The emulator's AWS settings, this worker's namespace prefix and a scratch folder of its
    own for the labs' state files; returns that folder."""
    for key, value in emulator.env().items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv(PREFIX_ENV, PREFIX)
    monkeypatch.setenv(SCRATCH_ENV, str(tmp_path / "scratch"))
    state_dir = tmp_path / "scratch" / "labs"
    monkeypatch.setattr(labmod, "STATE_DIR", state_dir)
    return state_dir


def _argv(applied: Applied, *extra: str) -> list[str]:
    return [
        "routes",
        "--function",
        applied.names["vpc"],
        "--function",
        applied.names["public"],
        "--observe",
        *extra,
    ]


def _ours() -> list[str]:
    return sorted(p.name for p in NETNS_DIR.glob(f"{PREFIX}*")) if NETNS_DIR.is_dir() else []


def _netns_inodes(names: list[str]) -> set[int]:
    return {(NETNS_DIR / n).stat().st_ino for n in names if (NETNS_DIR / n).exists()}


def _processes_in(inodes: set[int]) -> list[int]:
    """Processes whose network namespace is one of ``inodes``."""
    found = []
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit():
            try:
                if os.stat(proc / "ns" / "net").st_ino in inodes:
                    found.append(int(proc.name))
            except OSError:
                continue
    return found


def _assert_nothing_left(namespaces: list[str], state_dir: Path) -> None:
    assert namespaces, "the test must know the lab's namespaces"
    assert not [n for n in namespaces if (NETNS_DIR / n).exists()]
    assert _ours() == []
    assert list(state_dir.glob("*.json")) == []
    host_links = subprocess.run(["ip", "-o", "link"], capture_output=True, text=True).stdout
    host_names = {line.split(":")[1].strip().split("@")[0] for line in host_links.splitlines()}
    node_names = {n.rsplit("-", 1)[1] for n in namespaces}
    assert not host_names & node_names, "a veth of the lab is in the host's namespace"
    tables = subprocess.run(["nft", "list", "tables"], capture_output=True, text=True).stdout
    assert "natless" not in tables


def test_observed_routes_agree_with_the_computed_matrix(applied, lab_env, capsys) -> None:
    assert main([*_argv(applied), "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["lab"]["disagreements"] == []
    vpc_rows = [r for r in doc["rows"] if r["function"] == applied.names["vpc"]]
    assert {r["subnet_id"] for r in vpc_rows} == set(applied.outputs["private_subnet_ids"])
    eigw = applied.outputs["egress_only_internet_gateway_id"]
    for row in vpc_rows:
        seen = row["observed"]
        for label in ("S3 (IPv4)", "DynamoDB (IPv4)"):
            assert seen[label]["outcome"] == "answered", label
            assert seen[label]["carrier"] == row["cells"][label]["target"]
            assert seen[label]["carrier"].startswith("vpce-")
        for label in ("S3 (IPv6)", "SQS dual-stack (IPv6)", "IPv6 internet"):
            assert (seen[label]["outcome"], seen[label]["carrier"]) == ("answered", eigw), label
            assert seen[label]["source"] == row["observed"][label]["source"]
        assert seen["NAT64 64:ff9b::/96"]["outcome"] == "timed out"
        assert seen["Inbound IPv6 (internet -> function)"]["outcome"] == "timed out"
        assert seen["Inbound IPv6 (internet -> function)"]["agrees"] is True
        for label in ("IPv4 internet", "IPv4-only public host"):
            if applied.example == "egress-only":
                assert seen[label]["outcome"] == "timed out", label
            else:
                (nat,) = applied.outputs["nat_gateway_ids"]
                assert (seen[label]["outcome"], seen[label]["carrier"]) == ("answered", nat)
                assert seen[label]["source"] == doc["lab"]["elastic_ips"][nat]
                assert seen[label]["source"] in {str(a) for a in EIP_POOL}
        assert all(cell["agrees"] is not False for cell in seen.values())
    public = next(r for r in doc["rows"] if r["function"] == applied.names["public"])
    assert {c["outcome"] for c in public["observed"].values()} == {"not observed"}
    _assert_nothing_left(doc["lab"]["namespaces"], lab_env)

    assert main(_argv(applied)) == 0  # the table
    out = capsys.readouterr().out
    print(f"\n{applied.example}: observed route matrix\n{out}")  # shown by pytest -rP
    assert "every observed cell agrees with the computed matrix" in out
    assert "lab: built in " in out


def test_a_route_removed_before_observing_is_a_disagreement(
    applied, lab_env, monkeypatch, capsys
) -> None:
    """The matrix is computed, then the subnet's ::/0 route is deleted: the lab (built from the
    tables as they are now) drops IPv6, and every IPv6 cell that expected the EIGW is named."""
    ec2 = boto3.client("ec2", **applied.kw)
    eigw = applied.outputs["egress_only_internet_gateway_id"]
    removed: list[str] = []
    computed = route_matrix

    def compute_then_remove(*args: Any, **kwargs: Any) -> Any:
        matrix = computed(*args, **kwargs)
        table = next(r.route_table_id for r in matrix.rows if r.route_table_id)
        ec2.delete_route(RouteTableId=table, DestinationIpv6CidrBlock="::/0")
        removed.append(table)
        return matrix

    monkeypatch.setattr("natless.commands.routes.route_matrix", compute_then_remove)
    try:
        assert main(_argv(applied)) == 1
    finally:
        for table in removed:
            ec2.create_route(
                RouteTableId=table,
                DestinationIpv6CidrBlock="::/0",
                EgressOnlyInternetGatewayId=eigw,
            )
    out = capsys.readouterr().out
    (table,) = removed
    subnets = [
        s["SubnetId"]
        for s in ec2.describe_route_tables(RouteTableIds=[table])["RouteTables"][0]["Associations"]
        if s.get("SubnetId")
    ]
    assert subnets
    for subnet in subnets:
        where = f"  {applied.names['vpc']} {subnet}"
        line = f"{where} IPv6 internet: computed {eigw}, observed timed out 1.0 s"
        assert line in out.splitlines(), out
    assert "cells disagree with the computed matrix" in out
    assert _ours() == []


def test_a_security_group_without_ipv6_egress_drops_ipv6_in_the_lab(
    applied, lab_env, monkeypatch, capsys
) -> None:
    """The function's groups as read, minus every IPv6 range: the matrix says "SG blocks" for
    the IPv6 cells, and the lab's router drops them (timed out) while IPv4 still passes."""
    read = Reader.security_groups

    def without_ipv6(self: Reader, group_ids: tuple[str, ...]) -> list[dict[str, Any]]:
        groups = copy.deepcopy(read(self, group_ids))
        for group in groups:
            group["IpPermissionsEgress"] = [
                {**p, "Ipv6Ranges": []} for p in group.get("IpPermissionsEgress", [])
            ]
        return groups

    monkeypatch.setattr(Reader, "security_groups", without_ipv6)
    assert main([*_argv(applied), "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    vpc_rows = [r for r in doc["rows"] if r["function"] == applied.names["vpc"]]
    assert vpc_rows
    for row in vpc_rows:
        for label in ("S3 (IPv6)", "SQS dual-stack (IPv6)", "IPv6 internet"):
            assert row["cells"][label]["security_group"] == "blocks", label
            assert row["observed"][label]["outcome"] == "timed out", label
            assert row["observed"][label]["agrees"] is True
        assert row["observed"]["S3 (IPv4)"]["outcome"] == "answered"
    _assert_nothing_left(doc["lab"]["namespaces"], lab_env)


def test_an_exception_while_building_leaves_nothing(applied, lab_env) -> None:
    ec2 = boto3.client("ec2", **applied.kw)
    reader = Reader(ec2, ec2.meta.region_name)
    matrix = route_matrix(
        ec2, boto3.client("lambda", **applied.kw), [applied.names["vpc"]], LAB_DESTINATIONS, reader
    )
    plan = plan_lab(lab_inputs(reader, matrix), [PUBLIC_IPV4_ONLY])
    plan.nodes["inet"].routes.append("this is not a route")  # the last namespace configured
    seen: list[list[str]] = []
    original = Lab._build

    def build_and_note(self: Lab) -> None:
        seen.append(self.namespaces)
        original(self)

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(Lab, "_build", build_and_note)
        with pytest.raises(LabError, match="configuring inet"), Lab.running(plan):
            pytest.fail("the lab must not be built")
    (namespaces,) = seen
    _assert_nothing_left(namespaces, lab_env)


def _start(applied: Applied, lab_env: Path) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    argv = [sys.executable, "-m", "natless", *_argv(applied, "--observe-timeout", "60")]
    return subprocess.Popen(
        argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def _wait_for_lab(proc: subprocess.Popen[str], state_dir: Path) -> list[str]:
    """The namespaces of the subprocess's lab, once all of them exist (it is then probing)."""
    deadline = time.monotonic() + SIGNAL_WAIT_S
    while time.monotonic() < deadline:
        assert proc.poll() is None, proc.communicate()
        for path in state_dir.glob("*.json"):
            with_names = json.loads(path.read_text())["namespaces"]
            if all((NETNS_DIR / n).exists() for n in with_names):
                time.sleep(1.0)  # configured and probing: the probes wait up to 60 s
                return with_names
        time.sleep(0.1)
    proc.kill()
    pytest.fail(f"no lab within {SIGNAL_WAIT_S:.0f} s")


def test_sigint_tears_the_lab_down(applied, lab_env) -> None:
    proc = _start(applied, lab_env)
    namespaces = _wait_for_lab(proc, lab_env)
    inodes = _netns_inodes(namespaces)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, (out, err)
    assert "Traceback" not in err
    _assert_nothing_left(namespaces, lab_env)
    assert _processes_in(inodes) == []


def test_sigkill_then_natless_clean_removes_the_lab(applied, lab_env) -> None:
    proc = _start(applied, lab_env)
    namespaces = _wait_for_lab(proc, lab_env)
    inodes = _netns_inodes(namespaces)
    proc.kill()
    proc.communicate(timeout=60)
    assert all((NETNS_DIR / n).exists() for n in namespaces)  # SIGKILL: nothing ran
    clean = subprocess.run(
        [sys.executable, "-m", "natless", "clean"], capture_output=True, text=True, timeout=120
    )
    assert clean.returncode == 0, clean
    assert f"{len(namespaces)} namespaces deleted" in clean.stdout
    _assert_nothing_left(namespaces, lab_env)
    assert _processes_in(inodes) == []


def test_a_lab_of_a_live_owner_is_not_cleaned(lab_env) -> None:
    """`natless clean` run while a lab is in use leaves it alone."""
    with Lab.running(plan_lab([], [PUBLIC_IPV4_ONLY])) as lab:
        assert labmod.left_behind() == []
        assert labmod.clean_orphans() == []
        assert all((NETNS_DIR / n).exists() for n in lab.namespaces)
    _assert_nothing_left(lab.namespaces, lab_env)


def test_inbound_is_dropped_by_the_eigw_rules_and_passes_without_them(lab_env) -> None:
    """A subnet whose IPv6 leaves through an egress-only gateway: the internet node's connection
    to the function times out; with the gateway's nftables rules flushed, the function's
    listener answers it (so the drop is the gateway's doing, not a missing route)."""
    routes = ((ipaddress.ip_network("::/0"), {"EgressOnlyInternetGatewayId": "eigw-1"}),)
    subnet = SubnetInput(
        0,
        "f",
        "subnet-a",
        ipaddress.IPv4Network("10.0.1.0/24"),
        ipaddress.IPv6Network("2600:1f18:1:1::/64"),
        routes,
        None,
    )
    plan = plan_lab([subnet], [])
    inbound = [Probe("in", "inet", plan.function_ipv6[0])]
    with Lab.running(plan) as lab:
        assert lab.probe(inbound, 1.0)["in"].outcome == "timed out"
        in_netns(lab.namespace("eigw0"), lambda: run(["nft", "flush", "ruleset"]))
        answered = lab.probe(inbound, 1.0)["in"]
        assert (answered.outcome, answered.node) == ("answered", "fn0")
        assert answered.peer == "2001:db8:0:1::2"  # the internet node's end of its eigw link
    _assert_nothing_left(lab.namespaces, lab_env)
