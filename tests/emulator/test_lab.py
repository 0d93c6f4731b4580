"""The lab: `natless routes --observe` on the deployed pair examples, and its clean-up.

One apply per example (module fixture). Observed by real TCP connections from namespaces that
replicate each function subnet: egress-only reaches S3 and DynamoDB over IPv4 through its gateway
endpoints and IPv6 through its egress-only gateway, and IPv4 to the internet hangs; nat-gateway
reaches the IPv4 internet through its NAT, whose stand-in Elastic IP the listener sees; inbound
IPv6 is dropped in both. A route removed between computing and observing is a disagreement
(exit 1, naming the cells). A hand-made DNS64 subnet whose table sends 64:ff9b::/96 to a NAT
reaches the IPv4-only host over IPv6 through the NAT's translator (tayga), with the Elastic IP as
source (no applied example sets enable_dns64). After success, an exception while building,
SIGINT, and SIGKILL followed by `natless clean`, no namespace, veth, nftables table or process
(resolver, translator) of the lab remains, nor its CA's key directory or a thread of its TLS
front.

Every probe is TCP, then TLS verified against the lab's CA, then HTTP. A real boto3 in a
function's namespace, with the lab's CA as AWS_CA_BUNDLE and no endpoint override, calls SQS by
its dual-stack name: the front relays it to the emulator, and its log names the gateway it came
through.

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
import threading
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
from natless.net.labdns import lab_names, resolver_address
from natless.net.labplan import (
    EIP_POOL,
    MANAGED_SOURCE,
    PUBLIC_IPV4_ONLY,
    LabPlan,
    SubnetInput,
    plan_lab,
)
from natless.net.netns import NETNS_DIR, LabError, in_netns, run
from natless.net.observe import (
    LAB_DESTINATIONS,
    by_name,
    lab_inputs,
    prepare,
    representatives,
)
from natless.net.routes import Reader, route_matrix
from natless.paths import EXAMPLES, SCRATCH_ENV
from tests.support.labs import hold_lab

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


def _children_of_ours(program: str) -> list[int]:
    """Live ``program`` processes started by a lab with this worker's prefix (its config file
    is named after the program and the namespace it runs in)."""
    found = []
    mark = f"{program}-{PREFIX}".encode()
    for proc in Path("/proc").iterdir():
        try:
            argv = (proc / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if argv[0].endswith(program.encode()) and any(mark in a for a in argv):
            found.append(int(proc.name))
    return found


def _resolvers_of_ours() -> list[int]:
    return _children_of_ours("unbound")


def _translators_of_ours() -> list[int]:
    return _children_of_ours("tayga")


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
    assert _resolvers_of_ours() == []
    assert _translators_of_ours() == []
    # the CA's keys (<state dir>/<lab id>/) and the TLS front's threads (of this process's labs)
    assert not state_dir.is_dir() or [p for p in state_dir.iterdir() if p.is_dir()] == []
    assert [t.name for t in threading.enumerate() if t.name.startswith("lab-")] == []


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
        by = {k.removeprefix("by name: "): v for k, v in seen.items()}
        region = boto3.client("ec2", **applied.kw).meta.region_name
        sqs4, sqs6 = (
            by[f"SQS sqs.{region}.amazonaws.com"],
            by[f"SQS dual-stack sqs.{region}.api.aws"],
        )
        assert sqs4["resolved"] == "NOERROR" and len(sqs4["addresses"]) == 1  # A only
        assert ":" not in sqs4["addresses"][0]
        assert (sqs6["outcome"], sqs6["carrier"]) == ("answered", eigw)
        assert ":" in sqs6["address"] and len(sqs6["addresses"]) == 2  # AAAA tried first
        ipv4_host = by["IPv4-only host ipv4only.natless.example"]
        assert ipv4_host["addresses"] == [str(PUBLIC_IPV4_ONLY)]
        if applied.example == "egress-only":
            assert sqs4["outcome"] == "timed out" and ipv4_host["outcome"] == "timed out"
        else:
            (nat,) = applied.outputs["nat_gateway_ids"]
            assert (sqs4["outcome"], sqs4["carrier"]) == ("answered", nat)
            assert (ipv4_host["carrier"], ipv4_host["source"]) == (
                nat,
                doc["lab"]["elastic_ips"][nat],
            )
        s3 = by[f"S3 s3.{region}.amazonaws.com"]
        assert (s3["carrier"], s3["addresses"]) == (
            row["cells"]["S3 (IPv4)"]["target"],
            [row["cells"]["S3 (IPv4)"]["address"]],
        )
        assert by[f"X-Ray dual-stack xray.{region}.api.aws (none)"]["resolved"] == "NXDOMAIN"
    public = next(r for r in doc["rows"] if r["function"] == applied.names["public"])
    # Lambda's own network (the lab's aws node): IPv4 out through it, IPv6 fails at once
    for label, cell in public["observed"].items():
        if label.startswith("Inbound"):
            assert cell["outcome"] == "not observed"
        elif cell["expected"] == "fails fast":
            assert (cell["outcome"], cell["agrees"]) == ("failed", True), label
            assert cell["error"] in ("ENETUNREACH", None) or label.startswith("by name"), label
        elif cell["expected"] == "NXDOMAIN":
            assert cell["resolved"] == "NXDOMAIN", label
        else:
            assert (cell["expected"], cell["carrier"]) == ("aws-managed", "aws-managed"), label
            assert cell["source"] == str(MANAGED_SOURCE), label
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


def _eigw_subnet() -> SubnetInput:
    """A hand-made dual-stack subnet whose only route is ``::/0`` to an egress-only gateway."""
    routes = ((ipaddress.ip_network("::/0"), {"EgressOnlyInternetGatewayId": "eigw-1"}),)
    return SubnetInput(
        0,
        "f",
        "subnet-a",
        ipaddress.IPv4Network("10.0.1.0/24"),
        ipaddress.IPv6Network("2600:1f18:1:1::/64"),
        routes,
        None,
    )


def test_inbound_is_dropped_by_the_eigw_rules_and_passes_without_them(lab_env) -> None:
    """A subnet whose IPv6 leaves through an egress-only gateway: the internet node's connection
    to the function times out; with the gateway's nftables rules flushed, the function's
    listener answers it (so the drop is the gateway's doing, not a missing route)."""
    subnet = _eigw_subnet()
    plan = plan_lab([subnet], [])
    inbound = [Probe("in", "inet", plan.function_ipv6[0])]
    with Lab.running(plan) as lab:
        assert lab.probe(inbound, 1.0)["in"].outcome == "timed out"
        in_netns(lab.namespace("eigw0"), lambda: run(["nft", "flush", "ruleset"]))
        answered = lab.probe(inbound, 1.0)["in"]
        assert (answered.outcome, answered.node) == ("answered", "fn0")
        assert answered.peer == "2001:db8:0:1::2"  # the internet node's end of its eigw link
    _assert_nothing_left(lab.namespaces, lab_env)


def test_names_resolve_from_the_function_and_ipv4_first_stalls(applied, lab_env) -> None:
    """From the function's namespace, over UDP to the VPC resolver (base + 2, and fd00:ec2::253):
    IPv4 names have A only, dual-stack names A and AAAA, X-Ray's dual-stack name is NXDOMAIN.
    With IPv4 first (gai.conf precedence), SQS's dual-stack name in the egress-only subnet
    stalls for the connect timeout on the A record, then connects over IPv6 through the EIGW."""
    ec2 = boto3.client("ec2", **applied.kw)
    reader = Reader(ec2, ec2.meta.region_name)
    matrix = route_matrix(
        ec2, boto3.client("lambda", **applied.kw), [applied.names["vpc"]], LAB_DESTINATIONS, reader
    )
    prepared = prepare(reader, matrix)
    region = reader.region
    (vpc,) = ec2.describe_vpcs(VpcIds=[applied.outputs["vpc_id"]])["Vpcs"]
    server = str(resolver_address(vpc["CidrBlock"]))
    assert {str(s.resolver4) for s in prepared.inputs} == {server}
    eigw = applied.outputs["egress_only_internet_gateway_id"]
    with Lab.running(prepared.plan) as lab:
        a, aaaa = lab.resolve("fn0", server, f"sqs.{region}.amazonaws.com", 2.0)
        assert (a.status, len(a.addresses), aaaa.status, aaaa.addresses) == (
            "NOERROR",
            1,
            "NOERROR",
            (),
        )
        a, aaaa = lab.resolve("fn0", "fd00:ec2::253", f"sqs.{region}.api.aws", 2.0)
        assert len(a.addresses) == 1 and len(aaaa.addresses) == 1
        a, aaaa = lab.resolve("fn0", server, f"my-bucket.s3.dualstack.{region}.amazonaws.com", 2.0)
        assert a.addresses and aaaa.addresses
        a, _ = lab.resolve("fn0", server, f"xray.{region}.api.aws", 2.0)
        assert a.status == "NXDOMAIN"
        found = by_name(lab, "fn0", server, f"sqs.{region}.api.aws", 1.0, ipv4_first=True)
        sqs4 = by_name(lab, "fn0", server, f"sqs.{region}.amazonaws.com", 1.0)
        (only,) = sqs4["attempts"]
        if applied.example != "egress-only":  # IPv4 first answers through the NAT at once
            ((first, answered),) = found["attempts"]
            assert (answered.outcome, answered.via) == (
                "answered",
                applied.outputs["nat_gateway_ids"][0],
            )
            assert only[1].outcome == "answered"
            return
        (first, stalled), (second, answered) = found["attempts"]
        assert ":" not in first and ":" in second
        assert (answered.outcome, answered.via) == ("answered", eigw)
        assert only[1].outcome == stalled.outcome == "timed out"
        print(
            f"\n{applied.example}: sqs.{region}.api.aws with IPv4 first, 1 s timeout: "
            f"{first} {stalled.outcome} after {stalled.seconds:.3f} s, then {second} "
            f"{answered.outcome} via {answered.via} in {answered.seconds:.3f} s; "
            f"sqs.{region}.amazonaws.com: {only[1].outcome} after {only[1].seconds:.3f} s"
        )
        assert _resolvers_of_ours()
    _assert_nothing_left(lab.namespaces, lab_env)


def test_a_dns64_subnet_without_nat64_gets_synthesised_addresses_that_hang(lab_env) -> None:
    """A hand-made plan (the modules refuse DNS64 without a NAT): the DNS64 resolver answers
    the IPv4-only host with 64:ff9b::c633:640a, the other subnet gets no AAAA; the synthesised
    address has no translator, so getaddrinfo's first choice hangs for the timeout before IPv4
    (which has no route either here) is tried."""
    routes = ((ipaddress.ip_network("::/0"), {"EgressOnlyInternetGatewayId": "eigw-1"}),)

    def subnet(row: int, dns64: bool) -> SubnetInput:
        return SubnetInput(
            row,
            "f",
            f"subnet-{row}",
            ipaddress.IPv4Network(f"10.0.{row}.0/24"),
            ipaddress.IPv6Network(f"2600:1f18:1:{row}::/64"),
            routes,
            None,
            resolver_address("10.0.0.0/16"),
            dns64,
        )

    class NoLists:
        region = "us-east-1"

        def address(self, dest: Any) -> Any:  # the fixed representatives, no prefix lists
            return ipaddress.ip_address(dest.address or "52.216.0.1")

    names = lab_names("us-east-1", representatives(NoLists(), LAB_DESTINATIONS))  # type: ignore[arg-type]
    plan = plan_lab([subnet(0, True), subnet(1, False)], [PUBLIC_IPV4_ONLY], names)
    host = "ipv4only.natless.example"
    with Lab.running(plan) as lab:
        assert len(_resolvers_of_ours()) == 2
        _, aaaa = lab.resolve("fn0", "10.0.0.2", host, 2.0)
        assert aaaa.addresses == ("64:ff9b::c633:640a",)
        _, aaaa = lab.resolve("fn1", "10.0.0.2", host, 2.0)
        assert aaaa.addresses == ()
        found = by_name(lab, "fn0", "10.0.0.2", host, 1.0)
        assert found["order"] == ["64:ff9b::c633:640a", str(PUBLIC_IPV4_ONLY)]
        assert [r.outcome for _, r in found["attempts"]] == ["timed out", "timed out"]
        print(f"\nDNS64 without NAT64: {[(a, round(r.seconds, 3)) for a, r in found['attempts']]}")
    _assert_nothing_left(lab.namespaces, lab_env)


NAT64_HOST = "64:ff9b::c633:640a"  # the IPv4-only host 198.51.100.10, synthesised by DNS64


def _nat64_plan() -> LabPlan:
    """Row 0: a DNS64 subnet routing 0.0.0.0/0 and 64:ff9b::/96 to nat-1 (what the modules make
    with enable_dns64); row 1: 64:ff9b::/96 to the egress-only gateway (a black hole)."""
    nat = {"NatGatewayId": "nat-1"}
    eigw = {"EgressOnlyInternetGatewayId": "eigw-1"}
    n = ipaddress.ip_network
    tables = {
        0: ((n("::/0"), eigw), (n("0.0.0.0/0"), nat), (n("64:ff9b::/96"), nat)),
        1: ((n("::/0"), eigw), (n("64:ff9b::/96"), eigw)),
    }
    subnets = [
        SubnetInput(
            row,
            "f",
            f"subnet-{row}",
            ipaddress.IPv4Network(f"10.0.{row}.0/24"),
            ipaddress.IPv6Network(f"2600:1f18:1:{row}::/64"),
            tables[row],
            None,
            resolver_address("10.0.0.0/16"),
            row == 0,
        )
        for row in tables
    ]

    class NoLists:
        region = "us-east-1"

        def address(self, dest: Any) -> Any:
            return ipaddress.ip_address(dest.address or "52.216.0.1")

    names = lab_names("us-east-1", representatives(NoLists(), LAB_DESTINATIONS))  # type: ignore[arg-type]
    nat64_column = next(d.address for d in LAB_DESTINATIONS if d.key == "nat64")
    wanted = [PUBLIC_IPV4_ONLY, ipaddress.ip_address(str(nat64_column))]
    return plan_lab(subnets, wanted, names)


def test_dns64_and_nat64_reach_the_ipv4_only_host_over_ipv6_through_the_nat(lab_env) -> None:
    """The NAT64 column's address (64:ff9b::c633:6435) and the IPv4-only host by name from the
    DNS64 subnet connect over IPv6 through tayga in the nat node; the internet node sees the
    stand-in Elastic IP. The same prefix routed to the egress-only gateway times out."""
    plan = _nat64_plan()
    assert plan.nodes["nat0"].translator
    eip = plan.eips["nat-1"]
    column = next(str(d.address) for d in LAB_DESTINATIONS if d.key == "nat64")
    probes = [Probe("nat", "fn0", column), Probe("eigw", "fn1", column)]
    with Lab.running(plan) as lab:
        assert len(_translators_of_ours()) == 1
        seen = lab.probe(probes, 1.0)
        assert (seen["nat"].outcome, seen["nat"].node, seen["nat"].via) == (
            "answered",
            "inet",
            "nat-1",
        )
        assert seen["nat"].peer == eip
        assert seen["eigw"].outcome == "timed out"
        found = by_name(lab, "fn0", "10.0.0.2", "ipv4only.natless.example", 1.0)
        assert found["order"] == [NAT64_HOST, str(PUBLIC_IPV4_ONLY)]
        ((address, answered),) = found["attempts"]  # the first, synthesised address answers
        assert address == NAT64_HOST
        assert (answered.outcome, answered.via, answered.peer) == ("answered", "nat-1", eip)
        print(
            f"\nNAT64: {column} via {seen['nat'].via} (src {seen['nat'].peer}) in "
            f"{seen['nat'].seconds:.3f} s; by name {address} via {answered.via} (src "
            f"{answered.peer}) in {answered.seconds:.3f} s; through the EIGW: "
            f"{seen['eigw'].outcome} after {seen['eigw'].seconds:.3f} s"
        )
    _assert_nothing_left(lab.namespaces, lab_env)


_HOLD_NAT64_LAB = """
import time
from tests.emulator.test_lab import _nat64_plan
from natless.net.lab import Lab
with Lab.running(_nat64_plan()):
    print("up", flush=True)
    time.sleep(120)
"""


@pytest.mark.parametrize("how", ["exception", "sigint", "sigkill"])
def test_no_translator_is_left_behind(lab_env, how: str) -> None:
    """A NAT64 lab ended by an exception inside its block, by SIGINT of its process, or by
    SIGKILL followed by `natless clean`: no tayga (nor anything else of the lab) remains."""
    if how == "exception":
        with pytest.raises(RuntimeError, match="inside"), Lab.running(_nat64_plan()) as lab:
            assert len(_translators_of_ours()) == 1
            raise RuntimeError("inside the lab")
        _assert_nothing_left(lab.namespaces, lab_env)
        return
    proc, namespaces = hold_lab(_HOLD_NAT64_LAB, lab_env)
    try:
        assert len(_translators_of_ours()) == 1
        inodes = _netns_inodes(namespaces)
        if how == "sigint":
            proc.send_signal(signal.SIGINT)
            _, err = proc.communicate(timeout=60)
            assert proc.returncode != 0 and "KeyboardInterrupt" in err
        else:
            proc.kill()
            proc.communicate(timeout=60)
            clean = subprocess.run(
                [sys.executable, "-m", "natless", "clean"],
                capture_output=True,
                text=True,
                timeout=120,
            )
            assert clean.returncode == 0, clean
            assert f"{len(namespaces)} namespaces deleted" in clean.stdout
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    _assert_nothing_left(namespaces, lab_env)
    assert _processes_in(inodes) == []


_SQS_BY_NAME = """
import json, sys, time
import boto3
from botocore.config import Config
config = Config(connect_timeout=2, retries={"max_attempts": 1}, use_dualstack_endpoint=True)
sqs = boto3.client("sqs", config=config)
started = time.monotonic()
url = sqs.get_queue_url(QueueName=sys.argv[1])["QueueUrl"]
sent = sqs.send_message(QueueUrl=url, MessageBody=sys.argv[2])["MessageId"]
print(json.dumps({"endpoint": sqs.meta.endpoint_url, "id": sent, "s": time.monotonic() - started}))
"""


def test_a_real_sdk_in_the_function_namespace_reaches_the_emulator_by_name(
    applied, lab_env, emulator
) -> None:
    """boto3 in the function's namespace (``ip netns exec``), dual-stack on, the lab's CA as
    AWS_CA_BUNDLE and no AWS_ENDPOINT_URL: it resolves ``sqs.us-east-1.api.aws`` with the lab's
    resolver, connects over IPv6 through the egress-only gateway, verifies the certificate, and
    the front relays both calls to the emulator, where the message arrives. The connection log
    says which gateway carried them."""
    ec2 = boto3.client("ec2", **applied.kw)
    reader = Reader(ec2, ec2.meta.region_name)
    matrix = route_matrix(
        ec2, boto3.client("lambda", **applied.kw), [applied.names["vpc"]], LAB_DESTINATIONS, reader
    )
    prepared = prepare(reader, matrix)
    sqs = boto3.client("sqs", **applied.kw)
    queue = f"lab-front-{applied.example}"
    url = sqs.create_queue(QueueName=queue)["QueueUrl"]
    body = f"through the lab's front ({applied.example})"
    eigw = applied.outputs["egress_only_internet_gateway_id"]
    region = reader.region
    env = {
        "PATH": os.environ["PATH"],
        "HOME": os.environ.get("HOME", "/root"),
        "AWS_ACCESS_KEY_ID": os.environ["AWS_ACCESS_KEY_ID"],
        "AWS_SECRET_ACCESS_KEY": os.environ["AWS_SECRET_ACCESS_KEY"],
        "AWS_DEFAULT_REGION": region,
        "AWS_CONFIG_FILE": "/dev/null",
        "AWS_SHARED_CREDENTIALS_FILE": "/dev/null",
    }
    with Lab.running(prepared.plan, upstream=emulator.url) as lab:
        assert lab.ca is not None
        namespace = lab.namespace("fn0")
        made = _resolv_conf(namespace, str(prepared.inputs[0].resolver4))
        try:
            run_ = subprocess.run(
                ["ip", "netns", "exec", namespace, sys.executable, "-c", _SQS_BY_NAME, queue, body],
                env={**env, "AWS_CA_BUNDLE": str(lab.ca.ca_path)},
                capture_output=True,
                text=True,
                timeout=120,
            )
        finally:
            if made:
                made.unlink()
                made.parent.rmdir()
        assert run_.returncode == 0, run_.stderr
        said = json.loads(run_.stdout)
        seen = [c for c in lab.connections() if c.host == f"sqs.{region}.api.aws"]
        key_dir = lab.key_dir
        assert key_dir.is_dir()
    assert said["endpoint"] == f"https://sqs.{region}.api.aws"
    messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
    assert [(m["MessageId"], m["Body"]) for m in messages] == [(said["id"], body)]
    assert seen, "the call did not come through the front"
    for connection in seen:
        assert (connection.kind, connection.node, connection.via) == ("aws", "inet", eigw)
        assert connection.server_name == f"sqs.{region}.api.aws"
        assert connection.peer == prepared.plan.function_ipv6[0]
        assert connection.bytes_up > 0 and connection.bytes_down > 0 and connection.closed
    assert not key_dir.exists()
    print(
        f"\n{applied.example}: boto3 in {namespace}: GetQueueUrl + SendMessage by "
        f"sqs.{region}.api.aws through {eigw} and the front in {said['s']:.3f} s "
        f"({len(seen)} connections)"
    )
    _assert_nothing_left(lab.namespaces, lab_env)


def _resolv_conf(namespace: str, server: str) -> Path | None:
    """/etc/netns/<namespace>/resolv.conf naming the lab's resolver, unless the lab wrote one
    already; the file made (to remove), or None."""
    path = Path("/etc/netns") / namespace / "resolv.conf"
    if path.exists():
        return None
    path.parent.mkdir(parents=True)
    path.write_text(f"nameserver {server}\n")
    return path


def test_a_probe_refuses_a_name_the_certificate_does_not_hold(lab_env) -> None:
    """The probe verifies the certificate: asked for a name the lab does not serve, the TLS
    handshake fails (outcome failed, "TLS: ..."), though TCP connected; by address it answers."""
    subnet = _eigw_subnet()
    address = str(next(d.address for d in LAB_DESTINATIONS if d.key == "internet-ipv6"))
    plan = plan_lab([subnet], [ipaddress.ip_address(address)])
    probes = [
        Probe("by address", "fn0", address),
        Probe("wrong name", "fn0", address, server_name="example.com"),
    ]
    with Lab.running(plan) as lab:
        seen = lab.probe(probes, 1.0)
        log = lab.connections()
    assert (seen["by address"].outcome, seen["by address"].via) == ("answered", "eigw-1")
    wrong = seen["wrong name"]
    assert wrong.outcome == "failed"
    assert wrong.error is not None and wrong.error.startswith("TLS: ")
    assert "example.com" in wrong.error
    assert sorted(c.kind for c in log) == ["failed", "whoami"]
    _assert_nothing_left(lab.namespaces, lab_env)
