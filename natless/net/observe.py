"""Observed routes: build the lab for a computed route matrix, connect, and compare.

Each function subnet of the matrix (a row) gets its ``fn``/``rt`` pair (:mod:`natless.net.labplan`),
read through the same :class:`~natless.net.routes.Reader` as the matrix. Every destination gets a
real connection attempt to port 443 from the function's namespace, all at once, each with the
same timeout: TCP, then TLS verified against the lab's CA (by the address; by the name for the
by-name rows, sent as SNI), then ``GET /natless-lab/whoami``, which says who answered. The time
shown is the TCP connect's. Two destinations only the lab can answer are added: the IPv4-only
public host (198.51.100.10, a column of the matrix when observing) and inbound IPv6 (a connection
from the internet node to the function's IPv6 address, which an egress-only gateway must drop).

What the computed cell predicts:

* a gateway endpoint, egress-only gateway or NAT gateway (IPv4, and ``64:ff9b::/96`` through its
  NAT64 translator): the connection is answered, and that gateway carried it (the endpoint's own
  listener, or the internet node's listener on the interface from that gateway; through a NAT the
  listener sees the stand-in Elastic IP);
* unreachable, a black hole, or a security group that blocks it: the connection times out
  (nothing answers, nothing refuses);
* IPv6 from a function without an IPv6 address (Ipv6AllowedForDualStack off, or no /64): it
  fails at once, as it does in Lambda;
* a function without VPC config (Lambda's own network, the lab's ``aws`` node): IPv4 answered
  through it ("aws-managed"), IPv6 fails at once (it has no IPv6 address or route);
* anything else (an internet gateway, an unknown cell, VPC-local):
  the lab does not model it, so the observation is shown and not compared.
"""

from __future__ import annotations

import ipaddress
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

from natless.console.table import aligned
from natless.net import netns
from natless.net.dnsquery import NXDOMAIN, RCODES
from natless.net.lab import ANSWERED, FAILED, TIMED_OUT, Lab, Probe, ProbeResult
from natless.net.labdns import LabName, Representatives, lab_names, resolver_address, synthesise
from natless.net.labplan import (
    INTERNET_NAME,
    MANAGED_NAME,
    PUBLIC_IPV4_ONLY,
    LabPlan,
    SubnetInput,
    egress_rules,
    plan_lab,
)
from natless.net.routes import (
    AWS_MANAGED,
    BLACK_HOLE,
    DESTINATIONS,
    EGRESS_ONLY,
    GATEWAY_ENDPOINT,
    NAT,
    NAT64_PREFIX,
    SG_BLOCKS,
    UNREACHABLE,
    Cell,
    Destination,
    Reader,
    RouteMatrix,
    Row,
    cell_text,
    notes,
    rule_networks,
    subnet_ipv6,
    table_start,
)

PUBLIC_IPV4_ONLY_DEST = Destination(
    "public-ipv4-only", "IPv4-only public host", 4, address=str(PUBLIC_IPV4_ONLY)
)
# SQS (and every service without a prefix list) over IPv4: a stand-in address in Amazon's
# 52.0.0.0/8, outside the S3 and DynamoDB prefix lists, so it takes the IPv4 default route
SQS_IPV4_DEST = Destination("sqs-ipv4", "SQS (IPv4)", 4, address="198.51.100.80")
LAB_DESTINATIONS: tuple[Destination, ...] = (*DESTINATIONS, SQS_IPV4_DEST, PUBLIC_IPV4_ONLY_DEST)
NAME_PREFIX = "name:"  # keys of the by-name rows: name:<LabName.key>
INBOUND = "inbound-ipv6"
INBOUND_LABEL = "Inbound IPv6 (internet -> function)"
FAILS_FAST = "fails fast"
NOT_OBSERVED = "not observed"
DEFAULT_TIMEOUT_S = 1.0


@dataclass(frozen=True)
class Observed:
    outcome: str  # answered, timed out, failed, not observed
    carrier: str | None = None  # answered: the gateway (or "function") that carried it
    source: str | None = None  # answered: the source address the listener saw
    seconds: float | None = None
    error: str | None = None  # failed: the errno's name; not observed: why
    expected: str | None = None  # what the computed cell predicts; None: not compared
    agrees: bool | None = None
    # by name: the resolver's rcode, the addresses in the order tried, and each attempt
    resolved: str | None = None
    addresses: tuple[str, ...] | None = None
    expected_addresses: tuple[str, ...] | None = None
    attempts: list[dict[str, Any]] = field(default_factory=list)
    stall_s: float | None = None  # time lost on addresses that did not answer before one did
    address: str | None = None  # the address that answered

    def text(self) -> str:
        if self.resolved not in (None, "NOERROR"):
            text = str(self.resolved)
        elif self.resolved is not None and self.outcome == ANSWERED:
            family = "IPv6" if ":" in (self.address or "") else "IPv4"
            text = f"{self.carrier or '?'} over {family}"
            if self.stall_s:
                text += f" after a {self.stall_s:.1f} s stall"
        elif self.outcome == ANSWERED:
            text = self.carrier or "?"
            if self.source and self.carrier and self.carrier.startswith("nat-"):
                text += f" (src {self.source})"
        elif self.outcome == TIMED_OUT:
            text = f"timed out {self.seconds:.1f} s"
        elif self.outcome == FAILED:
            text = f"fails fast ({self.error})"
        else:
            text = "-"
        return text + (" <- differs" if self.agrees is False else "")


@dataclass
class Observation:
    rows: list[dict[str, Observed]]  # one per matrix row: destination key (and INBOUND) -> it
    build_s: float
    teardown_s: float
    timeout_s: float
    eips: dict[str, str]  # NAT gateway id -> its stand-in Elastic IP
    lab_id: str
    namespaces: list[str]
    names: list[LabName] = field(default_factory=list)  # the by-name rows

    def disagreements(self, matrix: RouteMatrix) -> list[str]:
        """One line per cell whose observation contradicts the computed cell."""
        labels = _labels(matrix, self.names)
        out = []
        for row, cells in zip(matrix.rows, self.rows, strict=True):
            for key, seen in cells.items():
                if seen.agrees is False:
                    out.append(
                        f"{row.function} {row.subnet_id} {labels[key]}: computed "
                        f"{seen.expected}, observed {seen.text().removesuffix(' <- differs')}"
                    )
        return out


def _labels(matrix: RouteMatrix, names: list[LabName]) -> dict[str, str]:
    labels = {d.key: d.label for d in matrix.destinations} | {INBOUND: INBOUND_LABEL}
    return labels | {f"{NAME_PREFIX}{n.key}": n.label for n in names}


def expected(cell: Cell, dest: Destination, has_ipv6: bool) -> str | None:
    """What the lab should observe for a computed cell (see the module docstring)."""
    if cell.kind == AWS_MANAGED:  # Lambda's own network: IPv4 out, no IPv6 at all
        return AWS_MANAGED if dest.family == 4 else FAILS_FAST
    if dest.family == 6 and not has_ipv6:
        return FAILS_FAST
    if cell.security_group == SG_BLOCKS or cell.kind in (UNREACHABLE, BLACK_HOLE):
        return TIMED_OUT
    if cell.kind in (GATEWAY_ENDPOINT, EGRESS_ONLY):
        return cell.target
    if cell.kind == NAT and (dest.family == 4 or _in_nat64(cell.address or dest.address)):
        return cell.target
    return None


def _in_nat64(address: str | None) -> bool:
    return address is not None and ipaddress.ip_address(address) in NAT64_PREFIX


def expected_inbound(row: Row) -> str | None:
    """Inbound IPv6 is dropped when the function's IPv6 leaves through an egress-only gateway
    or not at all; through anything else (an internet gateway) the lab does not model it."""
    cell = row.cells.get("internet-ipv6")
    if cell is None or cell.kind not in (EGRESS_ONLY, UNREACHABLE, BLACK_HOLE):
        return None
    return TIMED_OUT


def lab_inputs(reader: Reader, matrix: RouteMatrix) -> list[SubnetInput]:
    """Each VPC row of the matrix as the lab needs it, read afresh (subnet, route table)."""
    out = []
    for index, row in enumerate(matrix.rows):
        if row.placement != "vpc" or row.subnet_id is None:
            continue
        (subnet,) = reader.subnets([row.subnet_id])
        table = reader.route_table(subnet)
        ipv6 = subnet_ipv6(subnet) if row.ipv6_allowed else None
        resolver = resolver_address(reader.vpc_cidr(subnet["VpcId"]))
        rules = None
        if row.security_group_ids:
            groups = reader.security_groups(row.security_group_ids)
            rules = egress_rules(groups, lambda p: list(rule_networks(reader, p)))
        out.append(
            SubnetInput(
                index,
                row.function,
                row.subnet_id,
                ipaddress.IPv4Network(subnet["CidrBlock"]),
                ipv6 if isinstance(ipv6, ipaddress.IPv6Network) else None,
                tuple(reader.expand(table)),
                rules,
                resolver,
                bool(subnet.get("EnableDns64")),
            )
        )
    return out


def _address(reader: Reader, cell: Cell, dest: Destination) -> str | None:
    if cell.address:
        return cell.address
    found = reader.address(dest)
    return str(found) if found else None


def _observed(plan: LabPlan, result: ProbeResult | None, want: str | None, why: str) -> Observed:
    if result is None:
        return Observed(NOT_OBSERVED, error=why, expected=want)
    carrier = plan.carrier(result.node, result.via) if result.outcome == ANSWERED else None
    seen = Observed(
        result.outcome,
        carrier,
        result.peer,
        round(result.seconds, 3),
        result.error,
        want,
    )
    if want is None:
        return seen
    if result.outcome == ANSWERED:
        agrees = carrier == want
    elif result.outcome == TIMED_OUT:
        agrees = want == TIMED_OUT
    else:
        agrees = want == FAILS_FAST
    return Observed(**{**asdict(seen), "agrees": agrees})


@dataclass(frozen=True)
class Prepared:
    """The lab for a matrix and the connections to make in it (``<row>/<destination key>``)."""

    plan: LabPlan
    probes: list[Probe]
    inputs: list[SubnetInput] = field(default_factory=list)
    names: list[LabName] = field(default_factory=list)
    # row -> (the node its connections leave from, the resolver it asks; None: none)
    sources: dict[int, tuple[str, str | None]] = field(default_factory=dict)


def prepare(reader: Reader, matrix: RouteMatrix, managed: bool = False) -> Prepared:
    """Plan the lab for the matrix's rows: every destination address of every row is listened
    on, and probed from that row's function (and inbound from the internet node).

    A VPC row's function is its subnet's ``fn`` node; a row without VPC config (and, with
    ``managed``, the lab in any case: natless.demo runs such functions there) gets Lambda's own
    network, the ``aws`` node, which every such row shares."""
    inputs = lab_inputs(reader, matrix)
    sources: dict[int, tuple[str, str | None]] = {
        s.row: (f"fn{s.row}", str(s.resolver4) if s.resolver4 else None) for s in inputs
    }
    outside = [i for i, row in enumerate(matrix.rows) if row.placement == AWS_MANAGED]
    managed = managed or bool(outside)
    addresses: dict[tuple[int, str], str] = {}
    for index, row in enumerate(matrix.rows):
        if index in sources or index in outside:
            for dest in matrix.destinations:
                address = _address(reader, row.cells[dest.key], dest)
                if address:
                    addresses[(index, dest.key)] = address
    names = lab_names(reader.region, representatives(reader, matrix.destinations))
    wanted = [ipaddress.ip_address(a) for a in addresses.values()]
    wanted += [ipaddress.ip_address(a) for n in names for a in (*n.a, *n.aaaa)]
    plan = plan_lab(inputs, wanted, names, managed=managed)
    if managed:
        server = nameservers(plan.nodes[MANAGED_NAME].resolv_conf)
        sources |= {i: (MANAGED_NAME, server[0] if server else None) for i in outside}
    probes = [Probe(f"{i}/{key}", sources[i][0], a) for (i, key), a in addresses.items()]
    probes += [Probe(f"{i}/{INBOUND}", INTERNET_NAME, a) for i, a in plan.function_ipv6.items()]
    return Prepared(plan, probes, inputs, [n for n in names if n.probed], sources)


def nameservers(resolv_conf: str) -> list[str]:
    """The ``nameserver`` addresses of a resolv.conf text, in order."""
    return [
        line.split()[1]
        for line in resolv_conf.splitlines()
        if line.startswith("nameserver") and len(line.split()) > 1
    ]


def representatives(reader: Reader, destinations: tuple[Destination, ...]) -> Representatives:
    """The addresses the names resolve into: the matrix's own destinations, so that each
    answer's route is a computed cell."""
    by_key = {d.key: d for d in (*LAB_DESTINATIONS, *destinations)}  # the matrix's own win

    def of(key: str) -> str:
        found = reader.address(by_key[key])
        if found is None:  # a service without a prefix list: its fixed stand-in
            return str(by_key[key].address or SQS_IPV4_DEST.address)
        return str(found)

    return Representatives(
        s3_ipv4=of("s3-ipv4"),
        s3_ipv6=of("s3-ipv6"),
        dynamodb_ipv4=of("dynamodb-ipv4"),
        aws_ipv4=of("sqs-ipv4"),
        aws_ipv6=of("sqs-dualstack-ipv6"),
        internet_ipv4=of("internet-ipv4"),
        internet_ipv6=of("internet-ipv6"),
        ipv4_only=of("public-ipv4-only"),
    )


# --- by name ------------------------------------------------------------------------------------

_PRECEDENCE_V4 = 35  # RFC 6724's default policy table: ::ffff:0:0/96 35, ::/0 40


def getaddrinfo_order(
    addresses: list[str], usable: list[bool], ipv4_first: bool = False
) -> list[str]:
    """The order glibc's getaddrinfo returns them in, by RFC 6724's rules 1 (usable destinations
    first: a route and a source address exist) and 6 (higher precedence: IPv6 40 over IPv4 35),
    otherwise stable. So: AAAA first when the function has IPv6, A first when it has not.

    ``ipv4_first``: as with ``precedence ::ffff:0:0/96 100`` in /etc/gai.conf (or a runtime
    that asks for IPv4 first, as Node.js's ``--dns-result-order=ipv4first``)."""
    v4 = 100 if ipv4_first else _PRECEDENCE_V4
    keyed = [
        (not ok, -(v4 if ":" not in a else 40), i, a)
        for i, (a, ok) in enumerate(zip(addresses, usable, strict=True))
    ]
    return [a for *_, a in sorted(keyed)]


def expected_by_name(
    row: Row, destinations: tuple[Destination, ...], name: LabName, dns64: bool, has_ipv6: bool
) -> tuple[str | None, tuple[str, ...]]:
    """What the computed matrix predicts for a connection by name, and the answers' addresses.

    The answers are tried in getaddrinfo order; each address is a destination of the matrix
    (a DNS64 address takes the NAT64 column's route: same /96). The first whose cell predicts a
    carrier is where it lands; before it, cells that time out or fail fast are the stall.
    """
    a, aaaa = name.answers(dns64)
    if not a and not aaaa:
        return RCODES[NXDOMAIN], ()
    if row.placement == AWS_MANAGED:  # IPv4 only: the A answers, through Lambda's network
        return (AWS_MANAGED if a else FAILS_FAST), (*a, *aaaa)
    order = [*aaaa, *a] if has_ipv6 else [*a, *aaaa]
    cells = {row.cells[d.key].address: d for d in destinations if row.cells[d.key].address}
    failures: list[str] = []
    for address in order:
        dest = cells.get(address)
        if dest is None and any(address == synthesise(v4) for v4 in a):
            dest = next((d for d in destinations if d.key == "nat64"), None)
        if dest is None:
            return None, tuple(order)
        want = expected(row.cells[dest.key], dest, has_ipv6)
        if want is None:
            return None, tuple(order)
        if want not in (TIMED_OUT, FAILS_FAST):
            return want, tuple(order)
        failures.append(want)
    return (TIMED_OUT if TIMED_OUT in failures else FAILS_FAST), tuple(order)


def by_name(
    lab: Lab, source: str, server: str, name: str, timeout: float, ipv4_first: bool = False
) -> dict[str, Any]:
    """Resolve from the function's namespace, order as getaddrinfo does, connect in turn (TLS
    with ``name`` as SNI: the certificate must hold the name, as for an SDK)."""
    answers = lab.resolve(source, server, name, timeout)
    rcode = next((x.rcode for x in answers if x.rcode != 0), 0)
    found = [address for answer in reversed(answers) for address in answer.addresses]
    order = getaddrinfo_order(found, lab.usable(source, found), ipv4_first) if found else []
    return {
        "resolved": "no reply" if rcode < 0 else RCODES.get(rcode, str(rcode)),
        "order": order,
        "attempts": lab.connect_in_order(source, order, timeout, name) if order else [],
    }


def probe_names(
    lab: Lab,
    sources: dict[int, tuple[str, str | None]],
    names: list[LabName],
    timeout: float,
) -> dict[str, dict[str, Any]]:
    """Every (row, name) at once, one thread each: ``<row>/name:<key>`` -> its outcome.
    ``sources``: row -> (the node that asks and connects, its resolver; None: not asked)."""
    return netns.in_parallel(
        {
            f"{row}/{NAME_PREFIX}{n.key}": (
                lambda source=source, server=server, name=n.name: by_name(
                    lab, source, server, name, timeout
                )
            )
            for row, (source, server) in sources.items()
            if server is not None
            for n in names
        }
    )


def _observed_name(
    plan: LabPlan, found: dict[str, Any] | None, want: str | None, addresses: tuple[str, ...]
) -> Observed:
    if found is None:
        return Observed(NOT_OBSERVED, error="no resolver", expected=want)
    attempts = found["attempts"]
    stall = sum(r.seconds for _, r in attempts if r.outcome != ANSWERED)
    last_address, last = attempts[-1] if attempts else (None, None)
    if last is not None and last.outcome == ANSWERED:
        outcome, carrier, peer = ANSWERED, plan.carrier(last.node, last.via), last.peer
    else:
        timed_out = any(r.outcome == TIMED_OUT for _, r in attempts)
        outcome, carrier, peer = (TIMED_OUT if timed_out else FAILED), None, None
    seen = Observed(
        outcome,
        carrier,
        peer,
        round(stall + (last.seconds if last and last.outcome == ANSWERED else 0), 3),
        attempts[-1][1].error if attempts and outcome == FAILED else None,
        want,
        None,
        found["resolved"],
        tuple(found["order"]),
        addresses,
        [{"address": a, **asdict(r)} for a, r in attempts],
        round(stall, 3) if outcome == ANSWERED else None,
        last_address if outcome == ANSWERED else None,
    )
    if want is None:
        return seen
    if want == RCODES[NXDOMAIN] or seen.resolved != "NOERROR":
        agrees = seen.resolved == want
    elif set(seen.addresses or ()) != set(addresses):
        agrees = False
    elif outcome == ANSWERED:
        agrees = carrier == want
    else:
        agrees = (outcome, want) in ((TIMED_OUT, TIMED_OUT), (FAILED, FAILS_FAST))
    return replace(seen, agrees=agrees)


def observe(
    reader: Reader,
    matrix: RouteMatrix,
    timeout: float = DEFAULT_TIMEOUT_S,
    prefix: str | None = None,
    state_dir: Path | None = None,
) -> Observation:
    """Build the lab for the matrix's VPC rows, probe every cell (and inbound), tear it down."""
    prepared = prepare(reader, matrix)
    plan = prepared.plan
    with Lab.running(plan, prefix, state_dir) as lab:
        results = lab.probe(prepared.probes, timeout)
        by_name = probe_names(lab, prepared.sources, prepared.names, timeout)
    dns64 = {s.row for s in prepared.inputs if s.dns64}
    rows: list[dict[str, Observed]] = []
    for index, row in enumerate(matrix.rows):
        if index not in prepared.sources:
            absent = Observed(NOT_OBSERVED, error="no VPC")
            keys = [*(d.key for d in matrix.destinations), INBOUND]
            keys += [f"{NAME_PREFIX}{n.key}" for n in prepared.names]
            rows.append(dict.fromkeys(keys, absent))
            continue
        cells: dict[str, Observed] = {}
        has_ipv6 = index in plan.function_ipv6
        for dest in matrix.destinations:
            want = expected(row.cells[dest.key], dest, has_ipv6)
            result = results.get(f"{index}/{dest.key}")
            cells[dest.key] = _observed(plan, result, want, "no address")
        cells[INBOUND] = _observed(
            plan,
            results.get(f"{index}/{INBOUND}"),
            expected_inbound(row) if has_ipv6 else None,
            "no inbound path" if row.placement == AWS_MANAGED else "the function has no IPv6",
        )
        for name in prepared.names:
            want, addresses = expected_by_name(
                row, matrix.destinations, name, index in dns64, has_ipv6
            )
            key = f"{NAME_PREFIX}{name.key}"
            cells[key] = _observed_name(plan, by_name.get(f"{index}/{key}"), want, addresses)
        rows.append(cells)
    assert lab.build_s is not None and lab.teardown_s is not None
    return Observation(
        rows,
        lab.build_s,
        lab.teardown_s,
        timeout,
        plan.eips,
        lab.lab_id,
        lab.namespaces,
        prepared.names,
    )


def render_observed(matrix: RouteMatrix, observation: Observation) -> str:
    """The matrix's table with an "observed" line under each destination, then the notes, the
    stand-in Elastic IPs, the lab's times and every disagreement."""
    header, lines = table_start(matrix)
    for dest in matrix.destinations:
        lines.append([dest.label, *(cell_text(row.cells[dest.key]) for row in matrix.rows)])
        lines.append(["  observed", *(cells[dest.key].text() for cells in observation.rows)])
    lines.append(
        [
            INBOUND_LABEL,
            *("expected: dropped" if c[INBOUND].expected else "-" for c in observation.rows),
        ]
    )
    lines.append(["  observed", *(cells[INBOUND].text() for cells in observation.rows)])
    for name in observation.names:
        key = f"{NAME_PREFIX}{name.key}"
        lines.append([f"by name: {name.label}", *(_want_text(c[key]) for c in observation.rows)])
        lines.append(["  observed", *(cells[key].text() for cells in observation.rows)])
    out = [*aligned(header, lines, rule="-"), *notes(matrix)]
    for nat, eip in observation.eips.items():
        out.append(f"- {nat}: stand-in Elastic IP {eip} in the lab (203.0.113.0/24)")
    out.append(
        f"lab: built in {observation.build_s:.2f} s, torn down in {observation.teardown_s:.2f} s; "
        f"connect timeout {observation.timeout_s:g} s; every answer over TLS verified against "
        "the lab's CA (by name or address), then HTTP"
    )
    wrong = observation.disagreements(matrix)
    if wrong:
        out.append(f"{len(wrong)} cells disagree with the computed matrix:")
        out += [f"  {line}" for line in wrong]
    else:
        out.append("every observed cell agrees with the computed matrix")
    return "\n".join(out)


def _want_text(seen: Observed) -> str:
    if seen.expected is None:
        return "-"
    if seen.expected in (TIMED_OUT, FAILS_FAST, RCODES[NXDOMAIN]):
        return seen.expected
    return f"expected: {seen.expected}"


def observation_json(matrix: RouteMatrix, observation: Observation) -> dict[str, Any]:
    """The matrix's JSON with, per row, ``observed`` (label -> fields) and a ``lab`` summary."""
    doc = matrix.as_json()
    labels = _labels(matrix, observation.names)
    for row_doc, cells in zip(doc["rows"], observation.rows, strict=True):
        row_doc["observed"] = {labels[k]: asdict(v) for k, v in cells.items()}
    doc["lab"] = {
        "build_s": round(observation.build_s, 3),
        "teardown_s": round(observation.teardown_s, 3),
        "timeout_s": observation.timeout_s,
        "elastic_ips": observation.eips,
        "lab_id": observation.lab_id,
        "namespaces": observation.namespaces,
        "disagreements": observation.disagreements(matrix),
    }
    return doc
