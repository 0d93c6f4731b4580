"""The lab's DNS as data: the unbound configuration, the names and their answers, the DNS client
against a tiny UDP server in a thread, and getaddrinfo's order and the matrix's expectation for a
connection by name."""

from __future__ import annotations

import ipaddress
import socket
import struct
import threading
from collections.abc import Iterator

import pytest

from natless.net import dnsquery
from natless.net.labdns import (
    LabName,
    Representatives,
    lab_names,
    resolver_address,
    synthesise,
    unbound_config,
)
from natless.net.labplan import DNS, DNS64_NAME, DNS_NAME, SubnetInput, plan_lab, router_ruleset
from natless.net.observe import FAILS_FAST, expected_by_name, getaddrinfo_order
from natless.net.routes import (
    DESTINATIONS,
    EGRESS_ONLY,
    GATEWAY_ENDPOINT,
    NAT,
    UNREACHABLE,
    Cell,
    Row,
)

REPS = Representatives(
    s3_ipv4="52.216.0.1",
    s3_ipv6="2001:db8:ffff::30",
    dynamodb_ipv4="52.94.0.1",
    aws_ipv4="198.51.100.80",
    aws_ipv6="2001:db8:ffff::80",
    internet_ipv4="198.51.100.53",
    internet_ipv6="2001:db8:ffff::53",
    ipv4_only="198.51.100.10",
)


def _by_name(names: list[LabName]) -> dict[str, LabName]:
    return {n.name: n for n in names}


def test_ipv4_names_have_a_only_dual_stack_names_both_and_xray_none() -> None:
    names = _by_name(lab_names("eu-west-1", REPS))
    for host in ("sqs.eu-west-1.amazonaws.com", "dynamodb.eu-west-1.amazonaws.com"):
        assert names[host].aaaa == ()
        assert names[host].a
    assert names["s3.eu-west-1.amazonaws.com"].a == ("52.216.0.1",)
    assert names["sqs.eu-west-1.api.aws"].answers(False) == (
        ("198.51.100.80",),
        ("2001:db8:ffff::80",),
    )
    assert names["s3.dualstack.eu-west-1.amazonaws.com"].aaaa == ("2001:db8:ffff::30",)
    assert names["dynamodb.eu-west-1.api.aws"].a == ("52.94.0.1",)  # its gateway endpoint
    for host in ("sts.eu-west-1.api.aws", "lambda.eu-west-1.api.aws", "logs.eu-west-1.api.aws"):
        assert names[host].aaaa and names[host].a, host  # services.json's dualstack_host
    assert names["xray.eu-west-1.api.aws"].answers(True) == ((), ())  # NXDOMAIN
    assert names["ipv4only.natless.example"].answers(True) == (
        ("198.51.100.10",),
        ("64:ff9b::c633:640a",),
    )
    assert names["dualstack.natless.example"].answers(True)[1] == ("2001:db8:ffff::53",)


def test_the_resolver_config_holds_the_data_and_nxdomain_for_the_rest() -> None:
    names = lab_names("us-east-1", REPS)
    conf = unbound_config(names, ["10.0.0.2", "fd00:ec2::253"])
    lines = conf.splitlines()
    assert '  local-zone: "." static' in lines
    assert "  interface: 10.0.0.2" in lines and "  interface: fd00:ec2::253" in lines
    assert '  local-data: "sqs.us-east-1.amazonaws.com. 60 IN A 198.51.100.80"' in lines
    assert not [x for x in lines if "sqs.us-east-1.amazonaws.com. 60 IN AAAA" in x]
    assert '  local-data: "sqs.us-east-1.api.aws. 60 IN AAAA 2001:db8:ffff::80"' in lines
    assert '  local-zone: "s3.us-east-1.amazonaws.com." redirect' in lines  # bucket hosts
    assert not [x for x in lines if "xray.us-east-1.api.aws" in x]
    assert '  pidfile: ""' in lines and "  do-daemonize: no" in lines
    assert "dns64" not in conf


def test_the_dns64_resolver_forwards_and_synthesises() -> None:
    conf = unbound_config([], ["10.0.0.2"], forward_to="192.0.2.9")
    assert '  module-config: "dns64 iterator"' in conf.splitlines()
    assert "  dns64-prefix: 64:ff9b::/96" in conf.splitlines()
    assert "  forward-addr: 192.0.2.9" in conf.splitlines()
    assert "local-data" not in conf
    assert synthesise("198.51.100.53") == "64:ff9b::c633:6435"
    assert str(resolver_address("10.20.0.0/16")) == "10.20.0.2"


def _subnet(row: int, dns64: bool) -> SubnetInput:
    return SubnetInput(
        row,
        "f",
        f"subnet-{row}",
        ipaddress.IPv4Network(f"10.0.{row}.0/24"),
        ipaddress.IPv6Network(f"2600:1f18:1:{row}::/64"),
        (),
        ("ip daddr 52.216.0.0/15 accept",),
        resolver_address("10.0.0.0/16"),
        dns64,
    )


def test_the_plan_routes_the_resolver_to_the_dns_nodes_past_the_security_group() -> None:
    plan = plan_lab([_subnet(0, False), _subnet(1, True)], [], lab_names("us-east-1", REPS))
    assert {plan.nodes[DNS_NAME].kind, plan.nodes[DNS64_NAME].kind} == {DNS}
    assert "10.0.0.2/32 via 10.0.0.1 dev rt0" in plan.nodes["fn0"].routes
    rt0, rt1 = plan.nodes["rt0"].routes, plan.nodes["rt1"].routes
    assert any(r.startswith("10.0.0.2/32 via ") and r.endswith(" dev dns") for r in rt0)
    assert any(r.startswith("10.0.0.2/32 via ") and r.endswith(" dev dns64") for r in rt1)
    assert any(r.startswith("fd00:ec2::253/128 via ") and r.endswith("dev dns") for r in rt0)
    assert "10.0.0.2/32" in plan.nodes[DNS_NAME].loopback
    assert "fd00:ec2::253/128" in plan.nodes[DNS64_NAME].loopback
    assert "local-data" in plan.nodes[DNS_NAME].resolver
    forward = plan.nodes[DNS64_NAME].resolver
    assert "dns64" in forward and "local-data" not in forward
    ruleset = plan.nodes["rt0"].nft
    exempt = ruleset.index("ip daddr 10.0.0.2 meta l4proto { udp, tcp } th dport 53 accept")
    assert exempt < ruleset.index("ip daddr 52.216.0.0/15 accept") < ruleset.index("drop")
    assert router_ruleset("fn0", None, [resolver_address("10.0.0.0/16")]) == ""


def test_subnets_without_a_resolver_address_get_no_dns_node() -> None:
    plan = plan_lab(
        [SubnetInput(0, "f", "s", ipaddress.IPv4Network("10.0.0.0/24"), None, (), None)], []
    )
    assert DNS_NAME not in plan.nodes and not any(n.resolver for n in plan.nodes.values())


# --- the client -------------------------------------------------------------------------------


@pytest.fixture
def server() -> Iterator[tuple[str, int, list[bytes]]]:
    """A UDP server answering A queries with 192.0.2.7 and 192.0.2.8 (names compressed), AAAA
    with nothing, and "none.example" with NXDOMAIN; it first sends a reply with a wrong id."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    seen: list[bytes] = []

    def serve() -> None:
        while True:
            try:
                data, peer = sock.recvfrom(512)
            except OSError:
                return
            seen.append(data)
            ident, question = data[:2], data[12:]
            rtype = struct.unpack("!H", question[-4:-2])[0]
            rcode = 3 if b"\x04none" in question else 0
            rrs = b""
            if rtype == dnsquery.A and not rcode:
                for last in (7, 8):
                    rrs += (
                        b"\xc0\x0c" + struct.pack("!HHIH", 1, 1, 60, 4) + bytes([192, 0, 2, last])
                    )
            count = 2 if rrs else 0
            header = struct.pack("!HHHHHH", 0, 0x8180 | rcode, 1, count, 0, 0)
            sock.sendto(b"\xff\xff" + header[2:] + question, peer)  # not ours: ignored
            sock.sendto(ident + header[2:] + question + rrs, peer)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield "127.0.0.1", sock.getsockname()[1], seen
    sock.close()


def test_the_client_reads_a_records_and_nxdomain(server) -> None:
    host, port, seen = server
    answer = dnsquery.query(host, "sqs.us-east-1.amazonaws.com", dnsquery.A, 2.0, port)
    assert (answer.status, answer.addresses) == ("NOERROR", ("192.0.2.7", "192.0.2.8"))
    assert seen[0][12:].startswith(b"\x03sqs\x09us-east-1\x09amazonaws\x03com\x00")
    assert dnsquery.query(host, "x.example", dnsquery.AAAA, 2.0, port).addresses == ()
    nx = dnsquery.query(host, "none.example", dnsquery.A, 2.0, port)
    assert (nx.rcode, nx.status) == (dnsquery.NXDOMAIN, "NXDOMAIN")


def test_no_reply_is_an_answer_not_an_exception() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as silent:
        silent.bind(("127.0.0.1", 0))
        port = silent.getsockname()[1]
        answer = dnsquery.query("127.0.0.1", "a.example", dnsquery.A, 0.2, port)
    assert (answer.rcode, answer.status, answer.addresses) == (-1, "no reply", ())


# --- order and expectation --------------------------------------------------------------------


def test_getaddrinfo_puts_ipv6_first_only_when_it_is_usable() -> None:
    both = ["198.51.100.80", "2001:db8:ffff::80"]
    assert getaddrinfo_order(both, [True, True]) == ["2001:db8:ffff::80", "198.51.100.80"]
    assert getaddrinfo_order(both, [True, False]) == ["198.51.100.80", "2001:db8:ffff::80"]
    assert getaddrinfo_order(both, [True, True], ipv4_first=True) == both


def _row(cells: dict[str, Cell]) -> Row:
    row = Row("f", "vpc", "subnet-1", "az", "rtb", True)
    addresses = {
        "s3-ipv4": "52.216.0.1",
        "dynamodb-ipv4": "52.94.0.1",
        "s3-ipv6": "2001:db8:ffff::30",
        "sqs-dualstack-ipv6": "2001:db8:ffff::80",
        "internet-ipv6": "2001:db8:ffff::53",
        "internet-ipv4": "198.51.100.53",
        "nat64": "64:ff9b::c633:6435",
    }
    row.cells = {
        d.key: Cell(**{**cells.get(d.key, Cell(UNREACHABLE)).__dict__, "address": addresses[d.key]})
        for d in DESTINATIONS
    }
    return row


def test_the_expectation_by_name_follows_the_answers_through_the_matrix() -> None:
    names = _by_name(lab_names("us-east-1", REPS))
    eigw = Cell(EGRESS_ONLY, "eigw-1")
    row = _row({"s3-ipv4": Cell(GATEWAY_ENDPOINT, "vpce-s3"), "internet-ipv6": eigw})
    host = names["dualstack.natless.example"]
    assert expected_by_name(row, DESTINATIONS, host, False, True) == (
        "eigw-1",
        ("2001:db8:ffff::53", "198.51.100.53"),
    )
    # no IPv6 on the function: A first, IPv4 times out, then IPv6 fails at once
    assert expected_by_name(row, DESTINATIONS, host, False, False)[0] == "timed out"
    s3 = names["s3.us-east-1.amazonaws.com"]
    # DNS64 without a NAT64 route: the synthesised AAAA hangs, then IPv4 takes the endpoint
    assert expected_by_name(row, DESTINATIONS, s3, True, True) == (
        "vpce-s3",
        ("64:ff9b::34d8:1", "52.216.0.1"),
    )
    with_nat64 = _row({"s3-ipv4": Cell(GATEWAY_ENDPOINT, "vpce-s3"), "nat64": Cell(NAT, "nat-1")})
    # with a NAT64 route the synthesised AAAA (tried first) goes through the NAT, not the
    # gateway endpoint: DNS64 on a subnet sends S3's IPv4-only name through NAT64
    assert expected_by_name(with_nat64, DESTINATIONS, s3, True, True)[0] == "nat-1"
    assert expected_by_name(row, DESTINATIONS, s3, False, True) == ("vpce-s3", ("52.216.0.1",))
    xray = names["xray.us-east-1.api.aws"]
    assert expected_by_name(row, DESTINATIONS, xray, False, True) == ("NXDOMAIN", ())
    only6 = LabName("k", "l", "n", aaaa=("2001:db8:ffff::80",))
    assert expected_by_name(row, DESTINATIONS, only6, False, False)[0] == FAILS_FAST
