"""The lab's topology as data: namespaces, veth links, addresses, routes and nftables rules.

Pure: from what the route matrix read (each function subnet's addresses, its expanded route table,
its security groups' egress rules) to the text the kernel is given (``ip -batch`` lines, an
``nft -f`` ruleset). :mod:`natless.net.lab` runs it; the unit tests read it.

Topology (one ``fn``/``rt`` pair per row of the matrix, one node per gateway the tables name)::

    fn0 --- rt0 --+-- vpce0 (S3 listeners)        eigw0 --+
                  +-- vpce1 (DynamoDB listeners)          +-- inet (all listeners)
                  +-- eigw0 ----------------------------- +
                  +-- nat0 (snat to a stand-in EIP) ------+
    fn1 --- rt1 --+-- ...

* ``fn<i>``: the function's addresses (an IPv4 host of the subnet, an IPv6 host of its /64);
  default routes of both families to its router. It never drops anything itself: a blackhole route
  or an nftables drop in the sending namespace would fail ``connect()`` at once (EINVAL, EPERM),
  where a VPC lets the connection hang.
* ``rt<i>``: the subnet's route table. Routes to a gateway endpoint, egress-only gateway or NAT
  gateway go to that node; VPC-local routes, blackhole-state routes, targets the lab does not
  model (internet gateways, peering, transit gateways) and a missing default are ``blackhole``
  routes: a forwarded packet is discarded without an ICMP error, as the VPC router does. The
  security groups' egress rules filter packets from the function in its forward chain (drop,
  silent).
* ``eigw<j>``: IPv6 only, stateful: replies of outbound connections pass, a new inbound one is
  dropped.
* ``nat<j>``: IPv4 source NAT to a stand-in Elastic IP from 203.0.113.0/24 (the emulator's EIPs
  are not documentation addresses, and an address the lab puts on an interface must be one).
  Where a table routes ``64:ff9b::/96`` to it, NAT64 too: tayga (a userspace stateless
  translator on a tun device, ``nat64``) turns the IPv6 packet into IPv4 with a source from its
  dynamic pool (198.18.0.0/24), and the IPv4 masquerade then puts the Elastic IP on it, so the
  internet node sees the EIP, as behind AWS's NAT64. One detour: RFC 6052 (3.1) forbids the
  well-known prefix with non-global IPv4 addresses and tayga enforces it, but every IPv4 address
  of the lab is a documentation one; so the node first maps ``64:ff9b::/96`` to the
  network-specific prefix ``2001:db8:64:ff9b::/96`` (nftables ``dnat prefix``, stateful: the
  replies get their 64:ff9b:: source back), and tayga translates that prefix. The pool comes from
  198.18.0.0/15 (RFC 2544, benchmarking): not a documentation range the lab hands out (link
  /31s are allocated through all of 192.0.2.0/24, EIPs from 203.0.113.0/24), never routed
  outside the nat node (the masquerade replaces it), and tayga takes it as a pool. Without such
  a route, IPv6 sent to the node is discarded.
* ``vpce<j>``: hosts listeners on the destination addresses the tables send to that endpoint:
  the regional service reached without the internet node.
* ``inet``: hosts listeners on every destination address (S3 and DynamoDB too, so a subnet
  without the endpoint reaches them the long way); one listening socket per upstream interface
  (SO_BINDTODEVICE) tells which gateway delivered the connection. What it cannot deliver (its
  own inbound probes to a function no gateway leads back to) goes to ``void``, a namespace that
  forwards nothing and discards it silently.
* ``aws`` (``plan_lab(..., managed=True)``): where functions without VPC configuration run, as
  in the VPC Lambda owns. IPv4 only: a link to ``inet`` (whose listener on it says
  ``aws-managed``) and one to ``dns``, no IPv6 address (not even a link-local one:
  ``addrgenmode none``) and no IPv6 route, so an IPv6 connect fails at once with ENETUNREACH
  and glibc's getaddrinfo sorts AAAA answers last. Its connections leave from a stand-in
  public address (:data:`MANAGED_SOURCE`, a documentation address on its loopback, chosen by
  the default route's ``src``), which the internet node routes back. One node for every such
  function: Lambda gives them all the same network, so a list of names would change nothing in
  the topology; which function runs where is the emulator's placement
  (``Emulator.place``), not the plan's.

  Why IPv4 only. AWS documents outbound IPv6 for Lambda only for VPC functions:
  "VpcConfig - AWS Lambda" (https://docs.aws.amazon.com/lambda/latest/dg/API_VpcConfig.html),
  ``Ipv6AllowedForDualStack``: "Allows outbound IPv6 traffic on VPC functions that are
  connected to dual-stack subnets", the only IPv6 switch a function has; the AWS Compute Blog's
  "AWS Lambda networking over IPv6" (https://aws.amazon.com/blogs/compute/aws-lambda-networking-over-ipv6)
  says Lambda "previously only supported inbound and outbound connectivity over IPv4" and
  describes outbound IPv6 through a VPC's dual-stack subnets and an egress-only gateway. No
  AWS page describes outbound IPv6 for a function without VPC configuration, so the lab gives
  it none; should AWS add it, this node is what to change.

Namespaces a function runs in (``fn<i>``, ``aws``) carry :attr:`Node.resolv_conf`, which the
lab writes to ``/etc/netns/<namespace>/resolv.conf``: ``ip netns exec`` (the emulator's placed
invocations) bind-mounts it over ``/etc/resolv.conf``, so the function's own resolver library
asks the lab's unbound (the VPC resolver's addresses; for ``aws``, the ``dns`` node's end of
their link) and never the host's.

Every address the lab invents comes from documentation ranges: link networks from 192.0.2.0/24
(/31 each) and 2001:db8::/48 (/64 each), Elastic IPs from 203.0.113.0/24, the IPv4-only public
host at 198.51.100.10. The matrix's destinations are documentation addresses too, except S3's
and DynamoDB's, which must lie in their AWS prefix lists for the gateway endpoint routes to
match: those exist only on loopback interfaces of namespaces that have no route to the host's
interfaces.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from natless.errors import UserError
from natless.net.labdns import RESOLVER_IPV6, LabName, unbound_config
from natless.net.routes import (
    AWS_MANAGED,
    EGRESS_ONLY,
    GATEWAY_ENDPOINT,
    NAT,
    NAT64_PREFIX,
    IPAddress,
    IPNetwork,
    route_target,
)

LINK_V4 = ipaddress.IPv4Network("192.0.2.0/24")  # a /31 per link
LINK_V6 = ipaddress.IPv6Network("2001:db8::/48")  # a /64 per link
EIP_POOL = ipaddress.IPv4Network("203.0.113.0/24")  # stand-in Elastic IPs
EIP_OFFSET = 10
PUBLIC_IPV4_ONLY = ipaddress.IPv4Address("198.51.100.10")  # a public host without IPv6
MAX_LINKS = LINK_V4.num_addresses // 2
# NAT64 in a nat node (see the module docstring for why these ranges)
NAT64_DEVICE = "nat64"  # tayga's tun device
NAT64_POOL = ipaddress.IPv4Network("198.18.0.0/24")  # tayga's dynamic pool (RFC 2544 range)
NAT64_SELF4 = NAT64_POOL.network_address + 1  # tayga's own IPv4 address (ICMP errors)
NAT64_SELF6 = ipaddress.IPv6Address("2001:db8:64::1")  # tayga's own IPv6 address
NAT64_NSP = ipaddress.IPv6Network("2001:db8:64:ff9b::/96")  # what 64:ff9b::/96 is mapped to
# AWS reserves a subnet's first four addresses (network, router, DNS, future) and its last.
FUNCTION_HOST_OFFSET = 10
ROUTER_HOST_OFFSET = 1  # the VPC router's address in every subnet
LISTEN_PORT = 443
# The aws-managed node (functions without VPC configuration): its name and stand-in public
# address (outside the EIP range, which counts up from 203.0.113.10 per NAT gateway).
MANAGED_NAME = "aws"
MANAGED_SOURCE = ipaddress.IPv4Address("203.0.113.200")
# resolv.conf options where functions run. The lab's resolvers answer from local data within
# milliseconds (about 0.05 s after unbound starts): an unanswered query means the lab is broken,
# and glibc's default (5 s per try, 2 tries, per server) would turn that into the function's
# Sandbox.Timedout instead of a resolver error. With 1 s x 2 tries, the loss shows as a DNS
# failure (EAI_AGAIN) within 2 s per server.
RESOLV_OPTIONS = "options timeout:1 attempts:2"

FUNCTION, ROUTER, EIGW, NAT_NODE, ENDPOINT, INTERNET, DNS = (
    "function",
    "router",
    "eigw",
    "nat",
    "endpoint",
    "internet",
    "dns",
)
MANAGED = AWS_MANAGED  # the aws node's kind, and the internet node's label for its link
DNS_NAME, DNS64_NAME = "dns", "dns64"
INTERNET_NAME = "inet"
VOID_NAME = VOID = "void"
TABLE = "natless"

# Route kinds of the matrix that lead to a lab node, and that node's kind and name prefix
_NODE_OF_KIND = {
    GATEWAY_ENDPOINT: (ENDPOINT, "vpce"),
    EGRESS_ONLY: (EIGW, "eigw"),
    NAT: (NAT_NODE, "nat"),
}


@dataclass(frozen=True)
class SubnetInput:
    """One function subnet (a row of the matrix), as the lab needs it."""

    row: int
    function: str
    subnet_id: str
    ipv4: ipaddress.IPv4Network
    ipv6: ipaddress.IPv6Network | None  # None: the function has no IPv6 address here
    routes: tuple[tuple[IPNetwork, dict[str, Any]], ...]  # the table, prefix lists expanded
    egress_rules: tuple[str, ...] | None  # nft rule bodies; None: no security group to enforce
    resolver4: ipaddress.IPv4Address | None = None  # the VPC resolver (base + 2); None: no DNS
    dns64: bool = False  # the subnet's EnableDns64


@dataclass
class Node:
    """A namespace. Its interface to a peer is named after the peer (names are per namespace)."""

    name: str
    kind: str
    aws_id: str | None = None
    loopback: list[str] = field(default_factory=list)  # addresses with prefix length, on lo
    addresses: list[tuple[str, str]] = field(default_factory=list)  # (interface, address/len)
    routes: list[str] = field(default_factory=list)  # `ip route replace` arguments
    nft: str = ""  # an nftables ruleset, "" for none
    forward: tuple[bool, bool] = (False, False)  # IPv4, IPv6 forwarding
    listen: dict[str, str] = field(default_factory=dict)  # interface -> label of its peer
    resolver: str = ""  # an unbound.conf to run in this namespace, "" for none
    translator: str = ""  # a tayga.conf to run in this namespace, "" for none
    translator_routes: list[str] = field(default_factory=list)  # via its tun, once it exists
    resolv_conf: str = ""  # /etc/resolv.conf of what runs here (functions), "" for none
    ipv6: bool = True  # False: no IPv6 on its links, not even link-local (addrgenmode none)

    def ip_batch(self) -> list[str]:
        """The ``ip -batch`` lines that configure this namespace (links already exist)."""
        lines = ["link set lo up"]
        lines += [f"address add {a} dev lo" for a in self.loopback]
        for ifname in dict.fromkeys(i for i, _ in self.addresses):
            if not self.ipv6:  # before `up`, which would add the fe80:: address
                lines.append(f"link set {ifname} addrgenmode none")
            lines.append(f"link set {ifname} up")
        for ifname, address in self.addresses:
            nodad = " nodad" if ":" in address else ""
            lines.append(f"address add {address} dev {ifname}{nodad}")
        lines += [f"route replace {r}" for r in self.routes]
        return lines


@dataclass(frozen=True)
class Link:
    """A veth pair between two namespaces."""

    a: str
    b: str


@dataclass
class LabPlan:
    nodes: dict[str, Node]
    links: list[Link]
    function_ipv4: dict[int, str]  # row -> the function's IPv4 address
    function_ipv6: dict[int, str]  # row -> its IPv6 address (rows that have one)
    eips: dict[str, str]  # NAT gateway id -> its stand-in Elastic IP
    hosted: dict[str, list[str]]  # node name -> the destination addresses it listens on

    def node_by_aws_id(self, aws_id: str) -> Node | None:
        return next((n for n in self.nodes.values() if n.aws_id == aws_id), None)

    def carrier(self, node_name: str | None, via: str | None) -> str | None:
        """What carried a connection that a listener of ``node_name`` accepted on the link it
        labels ``via``: a gateway endpoint's ID (its own listener), the internet node's label of
        the link (a gateway's ID, or "aws-managed"), "function" (an inbound connection that
        reached the function), else the node's name."""
        node = self.nodes.get(node_name or "")
        if node is None:
            return node_name
        if node.kind == ENDPOINT:
            return node.aws_id
        if node.kind == INTERNET:
            return via
        return FUNCTION if node.kind == FUNCTION else node.name


# --- security groups -> nftables ----------------------------------------------------------------

_PROTOCOLS = {"tcp": "tcp", "6": "tcp", "udp": "udp", "17": "udp", "icmp": "icmp", "1": "icmp"}
_PROTOCOLS |= {"icmpv6": "ipv6-icmp", "58": "ipv6-icmp"}


def _network_match(net: IPNetwork) -> str:
    family = "ip" if net.version == 4 else "ip6"
    if net.prefixlen == 0:
        return f"meta nfproto ipv{net.version}"
    return f"{family} daddr {net}"


def permission_rules(permission: dict[str, Any], networks: Iterable[IPNetwork]) -> list[str]:
    """The nft rules (one per network) that accept what one egress permission allows.

    Protocol ``-1`` matches everything; TCP and UDP keep their port range; ICMP matches the
    protocol only (type and code are not modelled). Rules naming another security group reach no
    service or internet address (as in :func:`natless.net.routes.egress_allows`): none.
    """
    protocol = str(permission.get("IpProtocol", "")).lower()
    parts: list[str] = []
    if protocol not in ("-1", "all"):
        name = _PROTOCOLS.get(protocol, protocol if protocol.isdigit() else None)
        if name is None:
            return []
        parts.append(f"meta l4proto {name}")
        low, high = permission.get("FromPort"), permission.get("ToPort")
        ports = (int(low), int(high)) if low is not None and high is not None else None
        if name in ("tcp", "udp") and ports not in (None, (-1, -1), (0, 65535)):
            parts.append(f"th dport {low}" if low == high else f"th dport {low}-{high}")
    return [" ".join([_network_match(net), *parts, "accept"]) for net in networks]


def egress_rules(
    groups: list[dict[str, Any]], networks: Callable[[dict[str, Any]], Iterable[IPNetwork]]
) -> tuple[str, ...]:
    """Every accept rule of the groups' egress permissions (any group's rule is enough)."""
    return tuple(
        rule
        for group in groups
        for permission in group.get("IpPermissionsEgress", [])
        for rule in permission_rules(permission, networks(permission))
    )


def router_ruleset(
    function_if: str, rules: tuple[str, ...] | None, resolvers: Iterable[IPAddress] = ()
) -> str:
    """The router's forward chain: packets from the function pass the security groups' egress
    rules or are dropped (silently); replies of allowed connections pass (groups are stateful).
    DNS to the VPC resolver's addresses always passes: security groups do not filter traffic to
    the Amazon-provided DNS server."""
    if rules is None:
        return ""
    exempt = [
        f"{'ip' if a.version == 4 else 'ip6'} daddr {a} meta l4proto {{ udp, tcp }} "
        "th dport 53 accept"
        for a in resolvers
    ]
    lines = [
        f"table inet {TABLE} {{",
        "  chain forward {",
        "    type filter hook forward priority filter; policy accept;",
        f'    iifname "{function_if}" jump egress',
        "  }",
        "  chain egress {",
        "    ct state established,related accept",
        *(f"    {rule}" for rule in [*exempt, *rules]),
        "    drop",
        "  }",
        "}",
    ]
    return "\n".join(lines) + "\n"


def eigw_ruleset() -> str:
    """IPv6 only; outbound connections and their replies pass, a new inbound one is dropped."""
    return (
        f"table inet {TABLE} {{\n"
        "  chain forward {\n"
        "    type filter hook forward priority filter; policy drop;\n"
        "    ct state established,related accept\n"
        f'    iifname != "{INTERNET_NAME}" meta nfproto ipv6 accept\n'
        "  }\n"
        "}\n"
    )


def nat_ruleset(eip: str, nat64: bool = False) -> str:
    """IPv4 source NAT to the Elastic IP toward the internet; nothing new comes in.

    ``nat64``: also map ``64:ff9b::/96`` to :data:`NAT64_NSP` before routing (tayga refuses the
    well-known prefix with documentation IPv4 addresses, RFC 6052 3.1)."""
    six = (
        f"table ip6 {TABLE} {{\n"
        "  chain prerouting {\n"
        "    type nat hook prerouting priority dstnat; policy accept;\n"
        f"    dnat ip6 prefix to ip6 daddr map {{ {NAT64_PREFIX} : {NAT64_NSP} }}\n"
        "  }\n"
        "}\n"
    )
    return (six if nat64 else "") + (
        f"table ip {TABLE} {{\n"
        "  chain postrouting {\n"
        "    type nat hook postrouting priority srcnat; policy accept;\n"
        f'    oifname "{INTERNET_NAME}" snat to {eip}\n'
        "  }\n"
        "  chain forward {\n"
        "    type filter hook forward priority filter; policy drop;\n"
        "    ct state established,related accept\n"
        f'    iifname != "{INTERNET_NAME}" accept\n'
        "  }\n"
        "  chain input {\n"
        "    type filter hook input priority filter; policy accept;\n"
        f'    iifname "{INTERNET_NAME}" ct state new drop\n'
        "  }\n"
        "}\n"
    )


def tayga_config() -> str:
    """tayga's configuration in a nat node: its tun device, its own addresses, the prefix it
    translates (the network-specific one 64:ff9b::/96 is mapped to) and its dynamic pool, from
    which each IPv6 source gets an IPv4 address (the masquerade then replaces it by the EIP)."""
    return (
        f"tun-device {NAT64_DEVICE}\n"
        f"ipv4-addr {NAT64_SELF4}\n"
        f"ipv6-addr {NAT64_SELF6}\n"
        f"prefix {NAT64_NSP}\n"
        f"dynamic-pool {NAT64_POOL}\n"
    )


def routes_nat64(net: IPNetwork, route: dict[str, Any]) -> bool:
    """Whether this route sends (part of) 64:ff9b::/96 to a NAT gateway."""
    return net.version == 6 and net.overlaps(NAT64_PREFIX) and route_target(route).kind == NAT


def resolv_conf(servers: Iterable[IPAddress | str]) -> str:
    """The resolv.conf of a namespace functions run in: its resolvers in order, then
    :data:`RESOLV_OPTIONS`. Without a server, a file all the same, so the host's resolver (a
    ``nameserver`` line no lab route leads to) is never what the function asks; glibc then
    asks 127.0.0.1, where nothing listens, and fails at once."""
    lines = [f"nameserver {a}" for a in servers] or ["# no resolver in this subnet's lab"]
    return "\n".join([*lines, RESOLV_OPTIONS]) + "\n"


# --- the plan -----------------------------------------------------------------------------------


def _host(net: IPNetwork, offset: int) -> IPAddress:
    if offset >= net.num_addresses - 1:
        raise UserError(f"subnet {net} is too small for the lab's addresses")
    return net.network_address + offset


def table_routes(
    routes: Iterable[tuple[IPNetwork, dict[str, Any]]], via: Callable[[str, int], str | None]
) -> list[str]:
    """A route table as ``ip route replace`` arguments.

    ``via(aws_id, family)`` gives the next hop toward a gateway node ("ADDRESS dev IF") or None
    when the lab has no such node. Everything else, and a missing default, is a blackhole route.
    """
    out: list[str] = []
    defaults = {4: False, 6: False}
    for net, route in routes:
        if net.prefixlen == 0:
            defaults[net.version] = True
        cell = route_target(route)
        hop = via(cell.target, net.version) if cell.kind in _NODE_OF_KIND and cell.target else None
        out.append(f"{net} via {hop}" if hop else f"blackhole {net}")
    return [f"blackhole {d}" for d, v in (("0.0.0.0/0", 4), ("::/0", 6)) if not defaults[v]] + out


class _Builder:
    def __init__(self) -> None:
        self.nodes: dict[str, Node] = {INTERNET_NAME: Node(INTERNET_NAME, INTERNET)}
        self.links: list[Link] = []
        self.link_addr: dict[tuple[str, str], tuple[str, str]] = {}  # (node, peer) -> v4, v6
        self.by_aws_id: dict[str, str] = {}
        self.counts: dict[str, int] = {}
        self.pool_links = 0  # links numbered from the documentation ranges

    def gateway(self, kind: str, aws_id: str) -> Node:
        if aws_id not in self.by_aws_id:
            node_kind, prefix = _NODE_OF_KIND[kind]
            index = self.counts.get(prefix, 0)
            self.counts[prefix] = index + 1
            node = Node(f"{prefix}{index}", node_kind, aws_id)
            self.nodes[node.name] = node
            self.by_aws_id[aws_id] = node.name
        return self.nodes[self.by_aws_id[aws_id]]

    def link(self, a: str, b: str) -> None:
        """A veth a<->b with a /31 and a /64 from the documentation ranges."""
        if (a, b) in self.link_addr:
            return
        k = self.pool_links
        self.pool_links += 1
        if k >= MAX_LINKS:
            raise UserError(f"the lab needs more than {MAX_LINKS} links; name fewer functions")
        v4 = (LINK_V4.network_address + 2 * k, LINK_V4.network_address + 2 * k + 1)
        v6net = ipaddress.IPv6Network((int(LINK_V6.network_address) + (k << 64), 64))
        v6 = (v6net.network_address + 1, v6net.network_address + 2)
        self.links.append(Link(a, b))
        self.link_addr[(a, b)] = (str(v4[0]), str(v6[0]))
        self.link_addr[(b, a)] = (str(v4[1]), str(v6[1]))
        self.nodes[a].addresses += [(b, f"{v4[0]}/31"), (b, f"{v6[0]}/64")]
        self.nodes[b].addresses += [(a, f"{v4[1]}/31"), (a, f"{v6[1]}/64")]

    def link4(self, a: str, b: str) -> None:
        """A veth a<->b with a /31 only (the next one of the pool; its /64 stays unused)."""
        self.link(a, b)
        for node, peer in ((a, b), (b, a)):
            addresses = self.nodes[node].addresses
            addresses[:] = [(i, x) for i, x in addresses if i != peer or ":" not in x]

    def hop(self, frm: str, to: str, family: int) -> str:
        """The next hop on frm's link to ``to``: "ADDRESS dev IF"."""
        v4, v6 = self.link_addr[(to, frm)]
        return f"{v4 if family == 4 else v6} dev {to}"


def plan_lab(
    subnets: list[SubnetInput],
    destinations: Iterable[IPAddress],
    names: Sequence[LabName] = (),
    managed: bool = False,
) -> LabPlan:
    """The lab for these function subnets, listening on ``destinations`` (port 443); subnets
    with a resolver address get the ``dns`` node (``dns64`` for DNS64 subnets) answering
    ``names``. ``managed``: also the ``aws`` node for functions without VPC configuration
    (IPv4 to the internet node only, resolving through ``dns``)."""
    b = _Builder()
    dns_listen: dict[str, list[IPAddress]] = {}  # resolver node -> addresses it answers on
    fn4: dict[int, str] = {}
    fn6: dict[int, str] = {}
    served: dict[str, list[IPNetwork]] = {}  # gateway endpoint node -> networks routed to it
    behind: dict[str, list[tuple[str, int]]] = {}  # gateway node -> (router, row) using it
    nat64: dict[str, list[int]] = {}  # nat node -> rows whose table sends 64:ff9b::/96 to it
    for s in subnets:
        fn, rt = f"fn{s.row}", f"rt{s.row}"
        b.nodes[fn] = Node(fn, FUNCTION, s.subnet_id, listen={rt: "function"})
        b.nodes[rt] = Node(rt, ROUTER, s.subnet_id, forward=(True, True))
        b.links.append(Link(fn, rt))
        offset = FUNCTION_HOST_OFFSET + s.row
        fn4[s.row] = str(_host(s.ipv4, offset))
        router4 = _host(s.ipv4, ROUTER_HOST_OFFSET)
        b.nodes[fn].addresses.append((rt, f"{fn4[s.row]}/{s.ipv4.prefixlen}"))
        b.nodes[rt].addresses.append((fn, f"{router4}/{s.ipv4.prefixlen}"))
        b.nodes[fn].routes.append(f"default via {router4} dev {rt}")
        if s.ipv6 is not None:
            fn6[s.row] = str(_host(s.ipv6, offset))
            router6 = _host(s.ipv6, ROUTER_HOST_OFFSET)
            b.nodes[fn].addresses.append((rt, f"{fn6[s.row]}/{s.ipv6.prefixlen}"))
            b.nodes[rt].addresses.append((fn, f"{router6}/{s.ipv6.prefixlen}"))
            b.nodes[fn].routes.append(f"default via {router6} dev {rt}")
        for net, route in s.routes:
            cell = route_target(route)
            if cell.kind in _NODE_OF_KIND and cell.target:
                gw = b.gateway(cell.kind, cell.target)
                b.link(rt, gw.name)
                if (rt, s.row) not in behind.setdefault(gw.name, []):
                    behind[gw.name].append((rt, s.row))
                if gw.kind == ENDPOINT:
                    served.setdefault(gw.name, []).append(net)
                if routes_nat64(net, route) and s.row not in nat64.setdefault(gw.name, []):
                    nat64[gw.name].append(s.row)

        def via(aws_id: str, family: int, rt: str = rt) -> str | None:
            name = b.by_aws_id.get(aws_id)
            return b.hop(rt, name, family) if name else None

        b.nodes[rt].routes += table_routes(s.routes, via)
        resolvers: list[IPAddress] = []
        if s.resolver4 is not None:
            resolvers = [s.resolver4, *([RESOLVER_IPV6] if s.row in fn6 else [])]
            dns = DNS64_NAME if s.dns64 else DNS_NAME
            b.nodes.setdefault(dns, Node(dns, DNS))
            b.link(rt, dns)
            # the resolver may sit in the function's own subnet (10.0.0.2 in 10.0.0.0/24):
            # a host route sends it to the router all the same
            b.nodes[fn].routes.append(f"{s.resolver4}/32 via {router4} dev {rt}")
            for address in resolvers:
                family = address.version
                b.nodes[rt].routes.append(f"{address}/{address.max_prefixlen} via "
                                          f"{b.hop(rt, dns, family)}")  # fmt: skip
                if address not in dns_listen.setdefault(dns, []):
                    dns_listen[dns].append(address)
            b.nodes[dns].routes.append(f"{fn4[s.row]}/32 via {b.hop(dns, rt, 4)}")
            if s.row in fn6:
                b.nodes[dns].routes.append(f"{fn6[s.row]}/128 via {b.hop(dns, rt, 6)}")
        b.nodes[rt].nft = router_ruleset(fn, s.egress_rules, resolvers)
        b.nodes[fn].resolv_conf = resolv_conf(resolvers)

    eips: dict[str, str] = {}
    inet = b.nodes[INTERNET_NAME]
    gateways = [n for n in b.nodes.values() if n.kind in (EIGW, NAT_NODE, ENDPOINT)]
    for gw in gateways:
        for rt, row in behind.get(gw.name, []):  # return routes to each function behind it
            if gw.kind != EIGW:
                gw.routes.append(f"{fn4[row]}/32 via {b.hop(gw.name, rt, 4)}")
            if row in fn6 and (gw.kind != NAT_NODE or row in nat64.get(gw.name, [])):
                gw.routes.append(f"{fn6[row]}/128 via {b.hop(gw.name, rt, 6)}")
        if gw.kind == ENDPOINT:
            gw.routes += ["blackhole 0.0.0.0/0", "blackhole ::/0"]
            gw.listen = {rt: gw.aws_id or gw.name for rt, _ in behind.get(gw.name, [])}
            continue
        b.link(gw.name, INTERNET_NAME)
        inet.listen[gw.name] = gw.aws_id or gw.name
        if gw.kind == EIGW:
            gw.forward = (False, True)
            gw.routes += ["blackhole 0.0.0.0/0", f"::/0 via {b.hop(gw.name, INTERNET_NAME, 6)}"]
            gw.nft = eigw_ruleset()
            for _, row in behind.get(gw.name, []):
                if row in fn6:
                    inet.routes.append(f"{fn6[row]}/128 via {b.hop(INTERNET_NAME, gw.name, 6)}")
        else:
            eip = str(EIP_POOL.network_address + EIP_OFFSET + len(eips))
            eips[gw.aws_id or gw.name] = eip
            translates = bool(nat64.get(gw.name))
            gw.forward = (True, translates)
            gw.loopback.append(f"{eip}/32")
            gw.routes += [f"0.0.0.0/0 via {b.hop(gw.name, INTERNET_NAME, 4)}", "blackhole ::/0"]
            gw.nft = nat_ruleset(eip, translates)
            if translates:
                gw.translator = tayga_config()
                gw.translator_routes = [
                    f"{NAT64_NSP} dev {NAT64_DEVICE}",
                    f"{NAT64_POOL} dev {NAT64_DEVICE}",
                ]
            inet.routes.append(f"{eip}/32 via {b.hop(INTERNET_NAME, gw.name, 4)}")
    # The internet node's own connections (inbound probes) must not meet a blackhole route,
    # which fails them at once (EINVAL): what it cannot deliver goes to the "void" node, which
    # forwards nothing and discards it silently, so the connection hangs as it would.
    void = Node(VOID_NAME, VOID, routes=["blackhole 0.0.0.0/0", "blackhole ::/0"])
    b.nodes[VOID_NAME] = void
    b.link(INTERNET_NAME, VOID_NAME)
    inet.routes += [
        f"0.0.0.0/0 via {b.hop(INTERNET_NAME, VOID_NAME, 4)}",
        f"::/0 via {b.hop(INTERNET_NAME, VOID_NAME, 6)}",
    ]

    managed_dns: str | None = None  # the dns node's end of its link to the aws node
    if managed:
        aws = Node(MANAGED_NAME, MANAGED, loopback=[f"{MANAGED_SOURCE}/32"], ipv6=False)
        b.nodes[MANAGED_NAME] = aws
        b.nodes.setdefault(DNS_NAME, Node(DNS_NAME, DNS))
        b.link4(MANAGED_NAME, INTERNET_NAME)
        b.link4(MANAGED_NAME, DNS_NAME)
        aws.routes.append(
            f"default via {b.hop(MANAGED_NAME, INTERNET_NAME, 4)} src {MANAGED_SOURCE}"
        )
        inet.routes.append(f"{MANAGED_SOURCE}/32 via {b.hop(INTERNET_NAME, MANAGED_NAME, 4)}")
        inet.listen[MANAGED_NAME] = MANAGED
        managed_dns = b.link_addr[(DNS_NAME, MANAGED_NAME)][0]
        aws.resolv_conf = resolv_conf([managed_dns])

    if DNS64_NAME in dns_listen:  # the DNS64 resolver forwards to the one that has the data
        b.nodes.setdefault(DNS_NAME, Node(DNS_NAME, DNS))
        b.link(DNS64_NAME, DNS_NAME)
    for name in (DNS_NAME, DNS64_NAME):
        if name not in b.nodes:
            continue
        node = b.nodes[name]
        listen = dns_listen.get(name, [])
        node.loopback += [f"{a}/{a.max_prefixlen}" for a in listen]
        answer_on = [str(a) for a in listen]
        forward = None
        if DNS64_NAME in dns_listen:  # the data-holding one also answers on its dns64 link
            link_end = b.link_addr[(DNS_NAME, DNS64_NAME)][0]
            forward, answer_on = (
                (link_end, answer_on) if name == DNS64_NAME else (None, [*answer_on, link_end])
            )
        if name == DNS_NAME and managed_dns is not None:
            answer_on = [*answer_on, managed_dns]
        node.resolver = unbound_config(list(names), answer_on, forward)

    hosted: dict[str, list[str]] = {}
    translated = any(nat64.values())
    listened: list[IPAddress] = []
    for address in destinations:
        if address in NAT64_PREFIX:  # a synthesised address: only a translator reaches it,
            if not translated:  # and what it reaches is the IPv4 address inside
                continue
            address = ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
        listened.append(address)
    for address in dict.fromkeys(listened):
        prefix = 32 if address.version == 4 else 128
        hosted.setdefault(INTERNET_NAME, []).append(str(address))
        inet.loopback.append(f"{address}/{prefix}")
        for name, nets in served.items():
            if any(n.version == address.version and address in n for n in nets):
                hosted.setdefault(name, []).append(str(address))
                b.nodes[name].loopback.append(f"{address}/{prefix}")
    return LabPlan(b.nodes, b.links, fn4, fn6, eips, hosted)
