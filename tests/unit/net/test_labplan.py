"""The lab's plan as data: route tables as `ip route` arguments, security groups as nftables rules,
the nodes a pair of subnets needs, and the addresses the lab invents (documentation ranges)."""

from __future__ import annotations

import dataclasses
import ipaddress
import json
import os
from typing import Any

import pytest

from natless.errors import UserError
from natless.net.lab import Lab, clean_orphans, left_behind, process_start
from natless.net.labplan import (
    EIGW,
    ENDPOINT,
    FUNCTION,
    INTERNET,
    MANAGED,
    MANAGED_NAME,
    MANAGED_SOURCE,
    NAT64_DEVICE,
    NAT64_NSP,
    NAT64_POOL,
    NAT_NODE,
    PUBLIC_IPV4_ONLY,
    ROUTER,
    SubnetInput,
    egress_rules,
    permission_rules,
    plan_lab,
    router_ruleset,
    table_routes,
    tayga_config,
)
from natless.net.observe import FAILS_FAST, expected, expected_inbound
from natless.net.routes import (
    AWS_MANAGED,
    BLACK_HOLE,
    DESTINATIONS,
    EGRESS_ONLY,
    GATEWAY_ENDPOINT,
    INTERNET_GATEWAY,
    NAT,
    SG_BLOCKS,
    UNREACHABLE,
    Cell,
    Row,
)

n = ipaddress.ip_network
LOCAL4 = (n("10.0.0.0/16"), {"GatewayId": "local"})
LOCAL6 = (n("2600:1f18:1::/56"), {"GatewayId": "local"})
EIGW6 = (n("::/0"), {"EgressOnlyInternetGatewayId": "eigw-1"})
S3 = (n("52.216.0.0/15"), {"GatewayId": "vpce-s3", "DestinationPrefixListId": "pl-s3"})
DDB = (n("52.94.0.0/22"), {"GatewayId": "vpce-ddb", "DestinationPrefixListId": "pl-ddb"})
NAT4 = (n("0.0.0.0/0"), {"NatGatewayId": "nat-1"})
DESTS = [
    ipaddress.ip_address(a)
    for a in ("52.216.0.1", "52.94.0.1", "198.51.100.53", "2001:db8:ffff::53", "64:ff9b::c633:6435")
]
DESTS.append(PUBLIC_IPV4_ONLY)


def _via(aws_id: str, family: int) -> str | None:
    return {"eigw-1": "2001:db8::2 dev eigw0", "vpce-s3": "192.0.2.3 dev vpce0"}.get(aws_id)


def test_a_table_without_defaults_gets_blackholes_and_local_routes_are_blackholes() -> None:
    assert table_routes([LOCAL4, LOCAL6, EIGW6, S3], _via) == [
        "blackhole 0.0.0.0/0",
        "blackhole 10.0.0.0/16",
        "blackhole 2600:1f18:1::/56",
        "::/0 via 2001:db8::2 dev eigw0",
        "52.216.0.0/15 via 192.0.2.3 dev vpce0",
    ]


def test_unmodelled_targets_and_blackhole_routes_discard() -> None:
    routes = [
        (n("0.0.0.0/0"), {"GatewayId": "igw-1"}),
        (n("::/0"), {"GatewayId": "igw-1"}),
        (n("10.9.0.0/16"), {"VpcPeeringConnectionId": "pcx-1"}),
        (n("52.216.0.0/15"), {"GatewayId": "vpce-s3", "State": "blackhole"}),
    ]
    assert table_routes(routes, _via) == [
        "blackhole 0.0.0.0/0",
        "blackhole ::/0",
        "blackhole 10.9.0.0/16",
        "blackhole 52.216.0.0/15",
    ]


@pytest.mark.parametrize(
    ("permission", "networks", "rules"),
    [
        (
            {"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443},
            ["0.0.0.0/0", "::/0"],
            [
                "meta nfproto ipv4 meta l4proto tcp th dport 443 accept",
                "meta nfproto ipv6 meta l4proto tcp th dport 443 accept",
            ],
        ),
        ({"IpProtocol": "-1"}, ["10.0.0.0/8"], ["ip daddr 10.0.0.0/8 accept"]),
        (
            {"IpProtocol": "6", "FromPort": 1024, "ToPort": 65535},
            ["2001:db8::/32"],
            ["ip6 daddr 2001:db8::/32 meta l4proto tcp th dport 1024-65535 accept"],
        ),
        (
            {"IpProtocol": "udp", "FromPort": 0, "ToPort": 65535},
            ["0.0.0.0/0"],
            ["meta nfproto ipv4 meta l4proto udp accept"],
        ),
        (
            {"IpProtocol": "icmp", "FromPort": 8, "ToPort": -1},
            ["0.0.0.0/0"],
            ["meta nfproto ipv4 meta l4proto icmp accept"],
        ),
        ({"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443}, [], []),  # group references only
        ({"IpProtocol": "gre-or-so"}, ["0.0.0.0/0"], []),
    ],
)
def test_egress_permissions_as_nft_rules(
    permission: dict[str, Any], networks: list[str], rules: list[str]
) -> None:
    assert permission_rules(permission, [n(x) for x in networks]) == rules


def _networks(permission: dict[str, Any]) -> list[Any]:
    out = [n(r["CidrIp"]) for r in permission.get("IpRanges", [])]
    out += [n(r["CidrIpv6"]) for r in permission.get("Ipv6Ranges", [])]
    lists = {"pl-s3": ["52.216.0.0/15", "3.5.0.0/19"]}
    for ref in permission.get("PrefixListIds", []):
        out += [n(c) for c in lists[ref["PrefixListId"]]]
    return out


def test_a_group_without_ipv6_egress_drops_ipv6_and_prefix_lists_expand() -> None:
    groups = [
        {
            "IpPermissionsEgress": [
                {
                    "IpProtocol": "tcp",
                    "FromPort": 443,
                    "ToPort": 443,
                    "IpRanges": [{"CidrIp": "0.0.0.0/0"}],
                }
            ]
        },
        {
            "IpPermissionsEgress": [
                {
                    "IpProtocol": "tcp",
                    "FromPort": 443,
                    "ToPort": 443,
                    "PrefixListIds": [{"PrefixListId": "pl-s3"}],
                    "UserIdGroupPairs": [{"GroupId": "sg-other"}],
                }
            ]
        },
    ]
    rules = egress_rules(groups, _networks)
    assert rules == (
        "meta nfproto ipv4 meta l4proto tcp th dport 443 accept",
        "ip daddr 52.216.0.0/15 meta l4proto tcp th dport 443 accept",
        "ip daddr 3.5.0.0/19 meta l4proto tcp th dport 443 accept",
    )
    assert not any("ipv6" in r or "ip6" in r for r in rules)  # IPv6 falls to the drop
    ruleset = router_ruleset("fn0", rules)
    lines = [line.strip() for line in ruleset.splitlines()]
    assert 'iifname "fn0" jump egress' in lines
    egress = lines[lines.index("chain egress {") + 1 :]
    assert egress[0] == "ct state established,related accept"
    assert egress[1:4] == list(rules)
    assert egress[4] == "drop"


def test_no_group_no_filter_and_a_group_without_egress_drops_all() -> None:
    assert router_ruleset("fn0", None) == ""
    lines = [line.strip() for line in router_ruleset("fn0", ()).splitlines()]
    assert lines[lines.index("chain egress {") + 1 :][:2] == [
        "ct state established,related accept",
        "drop",
    ]


def _subnets() -> list[SubnetInput]:
    egress_only = (LOCAL4, LOCAL6, EIGW6, S3, DDB)
    return [
        SubnetInput(0, "f", "subnet-a", n("10.0.1.0/24"), n("2600:1f18:1:1::/64"), egress_only, ()),
        SubnetInput(
            1, "f", "subnet-b", n("10.0.2.0/24"), None, (*egress_only, NAT4), None
        ),  # no IPv6 address (Ipv6AllowedForDualStack off)
    ]


def test_plan_of_two_subnets() -> None:
    plan = plan_lab(_subnets(), DESTS)
    kinds = {name: node.kind for name, node in plan.nodes.items()}
    assert kinds == {
        "inet": INTERNET,
        "fn0": FUNCTION,
        "rt0": ROUTER,
        "eigw0": EIGW,
        "vpce0": ENDPOINT,
        "vpce1": ENDPOINT,
        "fn1": FUNCTION,
        "rt1": ROUTER,
        "nat0": NAT_NODE,
        "void": "void",
    }
    assert plan.function_ipv4 == {0: "10.0.1.10", 1: "10.0.2.11"}
    assert plan.function_ipv6 == {0: "2600:1f18:1:1::a"}
    fn1 = plan.nodes["fn1"]
    assert fn1.routes == ["default via 10.0.2.1 dev rt1"]  # no IPv6: no IPv6 default
    assert plan.nodes["rt1"].routes == [
        "blackhole 10.0.0.0/16",
        "blackhole 2600:1f18:1::/56",
        "::/0 via 2001:db8:0:3::2 dev eigw0",
        "52.216.0.0/15 via 192.0.2.9 dev vpce0",
        "52.94.0.0/22 via 192.0.2.11 dev vpce1",
        "0.0.0.0/0 via 192.0.2.13 dev nat0",
    ]
    assert "blackhole 0.0.0.0/0" in plan.nodes["rt0"].routes
    assert not any(r.startswith("0.0.0.0/0") for r in plan.nodes["rt0"].routes)
    assert any(r.startswith("0.0.0.0/0 via 192.0.2.") for r in plan.nodes["rt1"].routes)
    # who listens on what
    assert plan.hosted["vpce0"] == ["52.216.0.1"] and plan.hosted["vpce1"] == ["52.94.0.1"]
    assert "64:ff9b::c633:6435" not in plan.hosted["inet"]
    assert set(plan.hosted["inet"]) == {str(a) for a in DESTS} - {"64:ff9b::c633:6435"}
    assert plan.nodes["inet"].listen == {"eigw0": "eigw-1", "nat0": "nat-1"}
    assert plan.nodes["vpce0"].listen == {"rt0": "vpce-s3", "rt1": "vpce-s3"}
    # the gateways
    assert plan.nodes["eigw0"].forward == (False, True)
    assert plan.nodes["nat0"].forward == (True, False)
    assert plan.eips == {"nat-1": "203.0.113.10"}
    assert 'oifname "inet" snat to 203.0.113.10' in plan.nodes["nat0"].nft
    assert 'iifname != "inet" meta nfproto ipv6 accept' in plan.nodes["eigw0"].nft
    assert "policy drop" in plan.nodes["eigw0"].nft
    assert plan.nodes["rt0"].nft and plan.nodes["rt1"].nft == ""
    # the internet knows its way back to the function's IPv6 address and the EIP only
    assert plan.nodes["inet"].routes == [
        "2600:1f18:1:1::a/128 via 2001:db8:0:7::1 dev eigw0",
        "203.0.113.10/32 via 192.0.2.16 dev nat0",
        "0.0.0.0/0 via 192.0.2.19 dev void",
        "::/0 via 2001:db8:0:9::2 dev void",
    ]
    assert plan.nodes["void"].routes == ["blackhole 0.0.0.0/0", "blackhole ::/0"]
    assert plan.nodes["void"].forward == (False, False)
    # no table routes 64:ff9b::/96 to the NAT: no translator, IPv6 sent to it is discarded
    assert plan.nodes["nat0"].translator == "" and plan.nodes["nat0"].translator_routes == []
    assert "ip6" not in plan.nodes["nat0"].nft


NAT64 = (n("64:ff9b::/96"), {"NatGatewayId": "nat-1"})


def test_a_table_routing_64_ff9b_to_a_nat_gets_a_translator_there() -> None:
    """Row 0 routes 64:ff9b::/96 to nat-1, row 1 uses nat-1 for IPv4 only: the nat node runs
    tayga, forwards IPv6, maps the well-known prefix to the network-specific one tayga
    translates, routes that and its pool through the tun, and knows the way back to row 0's
    IPv6 address only; the internet node listens on the IPv4 address inside the NAT64 one."""
    subnets = [
        SubnetInput(
            0,
            "f",
            "subnet-a",
            n("10.0.1.0/24"),
            n("2600:1f18:1:1::/64"),
            (LOCAL4, LOCAL6, EIGW6, NAT4, NAT64),
            None,
        ),
        SubnetInput(
            1,
            "f",
            "subnet-b",
            n("10.0.2.0/24"),
            n("2600:1f18:1:2::/64"),
            (LOCAL4, LOCAL6, EIGW6, NAT4),
            None,
        ),
    ]
    plan = plan_lab(subnets, DESTS)
    nat = plan.nodes["nat0"]
    assert nat.forward == (True, True)
    assert nat.translator == tayga_config()
    assert tayga_config().splitlines() == [
        "tun-device nat64",
        "ipv4-addr 198.18.0.1",
        "ipv6-addr 2001:db8:64::1",
        "prefix 2001:db8:64:ff9b::/96",
        "dynamic-pool 198.18.0.0/24",
    ]
    assert nat.translator_routes == [f"{NAT64_NSP} dev {NAT64_DEVICE}", f"{NAT64_POOL} dev nat64"]
    assert "dnat ip6 prefix to ip6 daddr map { 64:ff9b::/96 : 2001:db8:64:ff9b::/96 }" in nat.nft
    assert 'oifname "inet" snat to 203.0.113.10' in nat.nft  # the pool leaves as the EIP
    back6 = [r for r in nat.routes if r.startswith("2600:")]
    assert [r.split()[0] for r in back6] == ["2600:1f18:1:1::a/128"]
    assert "blackhole ::/0" in nat.routes
    rt0 = plan.nodes["rt0"].routes
    assert any(r.startswith("64:ff9b::/96 via 2001:db8:") and r.endswith("dev nat0") for r in rt0)
    assert not any(r.startswith("64:ff9b::") for r in plan.nodes["rt1"].routes)
    # 64:ff9b::c633:6435 is 198.51.100.53, which the internet node hosts already: once
    assert plan.hosted["inet"].count("198.51.100.53") == 1
    assert "64:ff9b::c633:6435" not in plan.hosted["inet"]
    assert plan.nodes["inet"].loopback.count("198.51.100.53/32") == 1
    # a translator only where a table sends 64:ff9b::/96 to a NAT
    without = plan_lab([subnets[1]], DESTS)
    assert without.nodes["nat0"].translator == ""
    to_eigw = (n("64:ff9b::/96"), {"EgressOnlyInternetGatewayId": "eigw-1"})
    black_hole = SubnetInput(
        0, "f", "subnet-a", n("10.0.1.0/24"), n("2600:1f18:1:1::/64"), (NAT4, to_eigw), None
    )
    assert plan_lab([black_hole], DESTS).nodes["nat0"].translator == ""


def test_invented_addresses_come_from_documentation_ranges() -> None:
    plan = plan_lab(_subnets(), DESTS)
    documentation = [n(x) for x in ("192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24")]
    documentation.append(n("2001:db8::/32"))
    vpc = [n("10.0.0.0/16"), n("2600:1f18:1::/56")]
    destinations = {str(a) for a in DESTS}
    for node in plan.nodes.values():
        for _, address in node.addresses:
            iface = ipaddress.ip_interface(address)
            assert any(iface.ip in net for net in documentation + vpc), (node.name, address)
        for address in node.loopback:
            ip = ipaddress.ip_interface(address).ip
            assert str(ip) in destinations or any(ip in net for net in documentation), address


def test_a_subnet_too_small_for_the_function_address() -> None:
    tiny = SubnetInput(0, "f", "subnet-t", n("10.0.0.0/29"), None, (LOCAL4,), None)
    with pytest.raises(UserError, match="too small"):
        plan_lab([tiny], [])


def test_ip_batch_of_a_node() -> None:
    lines = plan_lab(_subnets(), DESTS).nodes["fn0"].ip_batch()
    assert lines == [
        "link set lo up",
        "link set rt0 up",
        "address add 10.0.1.10/24 dev rt0",
        "address add 2600:1f18:1:1::a/64 dev rt0 nodad",
        "route replace default via 10.0.1.1 dev rt0",
        "route replace default via 2600:1f18:1:1::1 dev rt0",
    ]


# --- what a computed cell predicts ---------------------------------------------------------------

BY_KEY = {d.key: d for d in DESTINATIONS}


@pytest.mark.parametrize(
    ("cell", "key", "has_ipv6", "want"),
    [
        (Cell(GATEWAY_ENDPOINT, "vpce-1"), "s3-ipv4", True, "vpce-1"),
        (Cell(EGRESS_ONLY, "eigw-1"), "internet-ipv6", True, "eigw-1"),
        (Cell(EGRESS_ONLY, "eigw-1"), "internet-ipv6", False, FAILS_FAST),
        (Cell(NAT, "nat-1"), "internet-ipv4", True, "nat-1"),
        (Cell(NAT, "nat-1"), "nat64", True, "nat-1"),  # through the NAT's translator
        (Cell(UNREACHABLE, "no matching route"), "internet-ipv4", True, "timed out"),
        (Cell(BLACK_HOLE, "eigw-1"), "nat64", True, "timed out"),
        (Cell(GATEWAY_ENDPOINT, "vpce-1", security_group=SG_BLOCKS), "s3-ipv4", True, "timed out"),
        (Cell(INTERNET_GATEWAY, "igw-1"), "internet-ipv4", True, None),
    ],
)
def test_expected_observation(cell: Cell, key: str, has_ipv6: bool, want: str | None) -> None:
    assert expected(cell, BY_KEY[key], has_ipv6) == want


def test_inbound_is_expected_dropped_behind_an_egress_only_gateway_only() -> None:
    row = Row("f", "vpc", "subnet-a", "us-east-1a", "rtb-1", True)
    row.cells["internet-ipv6"] = Cell(EGRESS_ONLY, "eigw-1")
    assert expected_inbound(row) == "timed out"
    row.cells["internet-ipv6"] = Cell(INTERNET_GATEWAY, "igw-1")
    assert expected_inbound(row) is None


def test_not_root_is_a_user_error(monkeypatch) -> None:
    monkeypatch.setattr(os, "geteuid", lambda: 1000)
    with pytest.raises(UserError, match="the lab needs root"), Lab.running(plan_lab([], [])):
        pytest.fail("no lab without root")


def test_a_bad_prefix_is_a_user_error() -> None:
    with (
        pytest.raises(UserError, match="lab prefix 'Bad-Prefix'"),
        Lab.running(plan_lab([], []), prefix="Bad-Prefix"),
    ):
        pytest.fail("no lab with that prefix")


# --- labs left behind ----------------------------------------------------------------------------


def _record(state_dir: Any, lab_id: str, pid: int, start: str | None) -> None:
    state_dir.mkdir(parents=True, exist_ok=True)
    names = [f"nlu{lab_id}-fn0", f"nlu{lab_id}-rt0"]  # never created
    doc = {"pid": pid, "pid_start": start, "lab_id": lab_id, "namespaces": names, "created": "x"}
    (state_dir / f"{lab_id}.json").write_text(json.dumps(doc))


def test_only_labs_whose_owner_is_gone_are_left_behind(tmp_path) -> None:
    state_dir = tmp_path / "labs"
    me = os.getpid()
    _record(state_dir, "aaaaaa", me, process_start(me))  # alive: this process
    _record(state_dir, "bbbbbb", me, "0")  # this pid, another start: the owner is gone
    (state_dir / "cccccc.json").write_text("{")  # half written by a lab starting now
    assert [r.lab_id for r in left_behind(state_dir)] == ["bbbbbb"]
    (done,) = clean_orphans(state_dir)
    assert done.startswith(f"lab bbbbbb (made x by pid {me}, which is gone): 0 namespaces")
    assert sorted(p.name for p in state_dir.iterdir()) == ["aaaaaa.json", "cccccc.json"]


# --- the aws-managed node and the resolv.conf of namespaces functions run in ----------------------


def test_function_namespaces_get_the_vpc_resolver_in_resolv_conf() -> None:
    resolver = ipaddress.IPv4Address("10.0.0.2")
    subnets = [dataclasses.replace(s, resolver4=resolver) for s in _subnets()]
    plan = plan_lab(subnets, DESTS)
    assert plan.nodes["fn0"].resolv_conf == (
        "nameserver 10.0.0.2\nnameserver fd00:ec2::253\noptions timeout:1 attempts:2\n"
    )
    assert plan.nodes["fn1"].resolv_conf == "nameserver 10.0.0.2\noptions timeout:1 attempts:2\n"
    assert [n for n, node in plan.nodes.items() if node.resolv_conf] == ["fn0", "fn1"]
    assert MANAGED_NAME not in plan.nodes  # only when asked for
    # a hand-made subnet without a resolver still gets a file: the host's must not leak in
    (without,) = plan_lab([_subnets()[1]], DESTS).nodes["fn1"].resolv_conf.splitlines()[:1]
    assert not without.startswith("nameserver")


def test_the_aws_managed_node_is_ipv4_only_and_resolves_through_the_dns_node() -> None:
    plan = plan_lab(_subnets(), DESTS, managed=True)
    aws, inet, dns = plan.nodes[MANAGED_NAME], plan.nodes["inet"], plan.nodes["dns"]
    assert aws.kind == MANAGED == AWS_MANAGED == "aws-managed"
    # IPv4 only: no IPv6 address, route or link-local address, no forwarding, no filter
    assert aws.loopback == [f"{MANAGED_SOURCE}/32"] and MANAGED_SOURCE in n("203.0.113.0/24")
    assert {i for i, _ in aws.addresses} == {"inet", "dns"}
    assert all(ipaddress.ip_interface(a).version == 4 for _, a in aws.addresses)
    assert not any(":" in r for r in aws.routes)
    batch = aws.ip_batch()
    for ifname in ("inet", "dns"):
        assert batch.index(f"link set {ifname} addrgenmode none") < batch.index(
            f"link set {ifname} up"
        )
    assert (aws.forward, aws.nft, aws.listen) == ((False, False), "", {})
    # out by the internet node from the stand-in public address; the way back to it
    (default,) = aws.routes
    inet_end = next(a for i, a in inet.addresses if i == MANAGED_NAME).split("/")[0]
    aws_end = next(a for i, a in aws.addresses if i == "inet").split("/")[0]
    assert default == f"default via {inet_end} dev inet src {MANAGED_SOURCE}"
    assert f"{MANAGED_SOURCE}/32 via {aws_end} dev {MANAGED_NAME}" in inet.routes
    assert all(ipaddress.ip_interface(a).version == 4 for i, a in inet.addresses if i == "aws")
    assert inet.listen[MANAGED_NAME] == AWS_MANAGED
    # its resolver: the dns node's end of their link, where unbound also answers
    dns_end = next(a for i, a in dns.addresses if i == MANAGED_NAME).split("/")[0]
    assert aws.resolv_conf == f"nameserver {dns_end}\noptions timeout:1 attempts:2\n"
    assert f"  interface: {dns_end}" in dns.resolver.splitlines()
    assert 'local-zone: "." static' in dns.resolver  # the data-holding one, not a forwarder
    # the rest of the lab is what it is without the aws node
    without = plan_lab(_subnets(), DESTS)
    assert {k: v for k, v in plan.nodes.items() if k not in ("aws", "dns", "inet")} == {
        k: v for k, v in without.nodes.items() if k != "inet"
    }
    assert plan.links[: len(without.links)] == without.links


def test_the_aws_node_beside_dns64_asks_the_data_holding_resolver() -> None:
    resolver = ipaddress.IPv4Address("10.0.0.2")
    dns64 = dataclasses.replace(_subnets()[0], resolver4=resolver, dns64=True)
    plan = plan_lab([dns64], DESTS, managed=True)
    aws_dns = plan.nodes["aws"].resolv_conf.split()[1]
    assert f"interface: {aws_dns}" in plan.nodes["dns"].resolver
    assert f"interface: {aws_dns}" not in plan.nodes["dns64"].resolver
    assert {i for i, _ in plan.nodes["dns"].addresses} >= {"aws", "dns64"}
