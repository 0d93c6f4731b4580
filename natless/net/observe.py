"""Observed routes: build the lab for a computed route matrix, connect, and compare.

Each function subnet of the matrix (a row) gets its ``fn``/``rt`` pair (:mod:`natless.net.labplan`),
read through the same :class:`~natless.net.routes.Reader` as the matrix. Every destination gets a
real TCP connection attempt to port 443 from the function's namespace, all at once, each with the
same timeout; two destinations only the lab can answer are added: the IPv4-only public host
(198.51.100.10, a column of the matrix when observing) and inbound IPv6 (a connection from the
internet node to the function's IPv6 address, which an egress-only gateway must drop).

What the computed cell predicts:

* a gateway endpoint, egress-only gateway or (IPv4) NAT gateway: the connection is answered, and
  that gateway carried it (the endpoint's own listener, or the internet node's listener on the
  interface from that gateway; through a NAT the listener sees the stand-in Elastic IP);
* unreachable, a black hole, or a security group that blocks it: the connection times out
  (nothing answers, nothing refuses);
* IPv6 from a function without an IPv6 address (Ipv6AllowedForDualStack off, or no /64): it
  fails at once, as it does in Lambda;
* anything else (an internet gateway, NAT64 through a NAT gateway, an unknown cell, VPC-local):
  the lab does not model it, so the observation is shown and not compared.
"""

from __future__ import annotations

import ipaddress
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from natless.console.table import aligned
from natless.net.lab import ANSWERED, FAILED, TIMED_OUT, Lab, Probe, ProbeResult
from natless.net.labplan import (
    ENDPOINT,
    FUNCTION,
    INTERNET,
    INTERNET_NAME,
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
)

PUBLIC_IPV4_ONLY_DEST = Destination(
    "public-ipv4-only", "IPv4-only public host", 4, address=str(PUBLIC_IPV4_ONLY)
)
LAB_DESTINATIONS: tuple[Destination, ...] = (*DESTINATIONS, PUBLIC_IPV4_ONLY_DEST)
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

    def text(self) -> str:
        if self.outcome == ANSWERED:
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

    def disagreements(self, matrix: RouteMatrix) -> list[str]:
        """One line per cell whose observation contradicts the computed cell."""
        labels = {d.key: d.label for d in matrix.destinations} | {INBOUND: INBOUND_LABEL}
        out = []
        for row, cells in zip(matrix.rows, self.rows, strict=True):
            for key, seen in cells.items():
                if seen.agrees is False:
                    out.append(
                        f"{row.function} {row.subnet_id} {labels[key]}: computed "
                        f"{seen.expected}, observed {seen.text().removesuffix(' <- differs')}"
                    )
        return out


def expected(cell: Cell, dest: Destination, has_ipv6: bool) -> str | None:
    """What the lab should observe for a computed cell (see the module docstring)."""
    if cell.kind == AWS_MANAGED:
        return None
    if dest.family == 6 and not has_ipv6:
        return FAILS_FAST
    if cell.security_group == SG_BLOCKS or cell.kind in (UNREACHABLE, BLACK_HOLE):
        return TIMED_OUT
    if cell.kind in (GATEWAY_ENDPOINT, EGRESS_ONLY) or (cell.kind == NAT and dest.family == 4):
        return cell.target
    return None


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
            )
        )
    return out


def _address(reader: Reader, cell: Cell, dest: Destination) -> str | None:
    if cell.address:
        return cell.address
    found = reader.address(dest)
    return str(found) if found else None


def _carrier(plan: LabPlan, result: ProbeResult) -> str | None:
    node = plan.nodes.get(result.node or "")
    if node is None:
        return result.node
    if node.kind == ENDPOINT:
        return node.aws_id
    if node.kind == INTERNET:
        return result.via
    return FUNCTION if node.kind == FUNCTION else node.name


def _observed(plan: LabPlan, result: ProbeResult | None, want: str | None, why: str) -> Observed:
    if result is None:
        return Observed(NOT_OBSERVED, error=why, expected=want)
    carrier = _carrier(plan, result) if result.outcome == ANSWERED else None
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


def prepare(reader: Reader, matrix: RouteMatrix) -> Prepared:
    """Plan the lab for the matrix's VPC rows: every destination address of every row is
    listened on, and probed from that row's function (and inbound from the internet node)."""
    inputs = lab_inputs(reader, matrix)
    in_lab = {s.row for s in inputs}
    addresses: dict[tuple[int, str], str] = {}
    for index, row in enumerate(matrix.rows):
        if index in in_lab:
            for dest in matrix.destinations:
                address = _address(reader, row.cells[dest.key], dest)
                if address:
                    addresses[(index, dest.key)] = address
    plan = plan_lab(inputs, [ipaddress.ip_address(a) for a in addresses.values()])
    probes = [Probe(f"{i}/{key}", f"fn{i}", a) for (i, key), a in addresses.items()]
    probes += [Probe(f"{i}/{INBOUND}", INTERNET_NAME, a) for i, a in plan.function_ipv6.items()]
    return Prepared(plan, probes)


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
    rows: list[dict[str, Observed]] = []
    in_lab = {int(n.removeprefix("fn")) for n, node in plan.nodes.items() if node.kind == FUNCTION}
    for index, row in enumerate(matrix.rows):
        if index not in in_lab:
            absent = Observed(NOT_OBSERVED, error="no VPC")
            rows.append(dict.fromkeys([*(d.key for d in matrix.destinations), INBOUND], absent))
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
            "the function has no IPv6 address",
        )
        rows.append(cells)
    assert lab.build_s is not None and lab.teardown_s is not None
    return Observation(
        rows, lab.build_s, lab.teardown_s, timeout, plan.eips, lab.lab_id, lab.namespaces
    )


def render_observed(matrix: RouteMatrix, observation: Observation) -> str:
    """The matrix's table with an "observed" line under each destination, then the notes, the
    stand-in Elastic IPs, the lab's times and every disagreement."""
    header = ["", *(row.function for row in matrix.rows)]
    lines = [
        ["subnet", *(row.subnet_id or "(no VPC)" for row in matrix.rows)],
        ["az", *(row.az or "-" for row in matrix.rows)],
        ["route table", *(row.route_table_id or "-" for row in matrix.rows)],
    ]
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
    out = [*aligned(header, lines, rule="-"), *notes(matrix)]
    for nat, eip in observation.eips.items():
        out.append(f"- {nat}: stand-in Elastic IP {eip} in the lab (203.0.113.0/24)")
    out.append(
        f"lab: built in {observation.build_s:.2f} s, torn down in {observation.teardown_s:.2f} s; "
        f"connect timeout {observation.timeout_s:g} s"
    )
    wrong = observation.disagreements(matrix)
    if wrong:
        out.append(f"{len(wrong)} cells disagree with the computed matrix:")
        out += [f"  {line}" for line in wrong]
    else:
        out.append("every observed cell agrees with the computed matrix")
    return "\n".join(out)


def observation_json(matrix: RouteMatrix, observation: Observation) -> dict[str, Any]:
    """The matrix's JSON with, per row, ``observed`` (label -> fields) and a ``lab`` summary."""
    doc = matrix.as_json()
    labels = {d.key: d.label for d in matrix.destinations} | {INBOUND: INBOUND_LABEL}
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
