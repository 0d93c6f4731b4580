"""Where a NAT gateway's bytes go, from VPC flow logs: parse, aggregate per remote, classify.

Two ways to the same figures (bytes per remote address on the NAT's internet legs):

- **Insights** (:func:`insights_query`, :func:`flows_from_insights`): one CloudWatch Logs
  Insights query parses the default format, keeps the NAT's records and sums bytes per
  (srcaddr, dstaddr) on AWS's side. An account with billions of records costs one query and
  at most :data:`INSIGHTS_ROW_LIMIT` result rows, not a download. When a result fills the row
  limit it may be cut short, so the caller runs the same query one step coarser
  (:data:`INSIGHTS_PREFIX_LADDER`: per address, then per IPv4 /24, /16, /8), which always
  ends: at /8 a result has at most 2 x 256 rows per NAT /8.
- **Streaming** (:func:`parse_records`): the records themselves, line by line, where Insights
  is unavailable (an S3 destination, the emulator) or the user asks. Time grows with the
  records, memory with the distinct addresses: nothing holds the records.

Both feed :func:`nat_bytes_by_remote`, then :class:`Classifier` puts each remote in one of
natless's traffic classes (:data:`natless.cost.traffic.TRAFFIC_CLASSES`) and
:func:`breakdown` totals them.

Hot-path rule: a record costs one ``str.split`` and dictionary look-ups; an address is parsed
with :mod:`ipaddress` once per distinct address (each cache below), never once per record.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from natless.cost.services import Catalog, Service
from natless.cost.traffic import TRAFFIC_CLASSES

DEFAULT_FORMAT = (
    "${version} ${account-id} ${interface-id} ${srcaddr} ${dstaddr} ${srcport} ${dstport} "
    "${protocol} ${packets} ${bytes} ${start} ${end} ${action} ${log-status}"
)
# The header line AWS writes at the top of each flow-log file it delivers to S3.
HEADER = DEFAULT_FORMAT.replace("${", "").replace("}", "")
_FIELDS = 14
# Insights field names for the 14 fields (a hyphen is not allowed in a field name).
INSIGHTS_FIELDS = (
    "version, accountid, interfaceid, srcaddr, dstaddr, srcport, dstport, protocol, packets, "
    "bytes, start, end, action, logstatus"
)
# At most this many rows come back from one Logs Insights query (the `limit` command's
# default and maximum); a result of exactly this size may be cut short.
INSIGHTS_ROW_LIMIT = 10_000
# Group the remote side per address (None), then per IPv4 /24, /16, /8 when a result fills the
# row limit. NAT gateway legs are IPv4 (their private address is), so every row is IPv4.
INSIGHTS_PREFIX_LADDER: tuple[int | None, ...] = (None, 24, 16, 8)
# A parse cache holds at most this many addresses, then starts again: memory stays bounded
# even on a window with millions of distinct addresses, at the price of re-parsing.
_CACHE_MAX = 1 << 16
AWS_UNKNOWN = "AWS (service unknown)"
INTERNET = "internet"


def is_default_format(log_format: str) -> bool:
    """True when a flow log's format string is AWS's default (the only one parsed here)."""
    return log_format.split() == DEFAULT_FORMAT.split()


# --- records -------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Flow:
    """One record's (or one Insights row's) bytes from ``src`` to ``dst``.

    ``src`` and ``dst`` are addresses in :mod:`ipaddress`'s compressed form, or, on a coarse
    Insights result, the remote side's network (``"203.0.113.0/24"``).
    """

    src: str
    dst: str
    bytes: int


# Flow's frozen __init__ sets each field through object.__setattr__; on the hot path a record's
# Flow is built by setting its slots directly (the same object, ~15% less time per record).
_new_object = object.__new__
_set_src = Flow.src.__set__  # type: ignore[attr-defined]
_set_dst = Flow.dst.__set__  # type: ignore[attr-defined]
_set_bytes = Flow.bytes.__set__  # type: ignore[attr-defined]


def _flow(src: str, dst: str, size: int) -> Flow:
    flow = _new_object(Flow)
    _set_src(flow, src)
    _set_dst(flow, dst)
    _set_bytes(flow, size)
    return flow


@dataclass
class ParseStats:
    """What a parse saw, filled in as it goes (so a caller can report it afterwards)."""

    records: int = 0  # records (or Insights rows) turned into a Flow
    skipped: int = 0  # header lines, NODATA/SKIPDATA records ("-" fields): no traffic to count
    malformed: int = 0  # lines that are not a version-2 default-format record
    rejected: int = 0  # REJECT records: dropped traffic, never processed by the NAT

    @property
    def lines(self) -> int:
        return self.records + self.skipped + self.malformed + self.rejected


def _normal(address: str) -> str:
    """The compressed form of an IP address ("" when it is none), so that IPv6 written two
    ways is one remote, and the streaming and Insights paths key on the same text."""
    try:
        return ipaddress.ip_address(address).compressed
    except ValueError:
        return ""


def parse_records(lines: Iterable[str], stats: ParseStats | None = None) -> Iterator[Flow]:
    """Flows from flow-log records in AWS's default format (version 2), one per line.

    Header lines and NODATA/SKIPDATA records are skipped, REJECT records (dropped traffic) are
    left out, anything else that is not a 14-field version-2 record is counted as malformed;
    blank lines are ignored. ``stats`` (optional) is updated as records go by.
    """
    if stats is None:
        stats = ParseStats()
    cache: dict[str, str] = {}
    known = cache.get
    for line in lines:
        parts = line.split()
        if len(parts) != _FIELDS:
            if parts:
                stats.malformed += 1
            continue
        if parts[0] != "2":
            if parts[0] == "version":
                stats.skipped += 1
            else:
                stats.malformed += 1
            continue
        if parts[13] != "OK":
            if parts[13] in ("NODATA", "SKIPDATA"):
                stats.skipped += 1
            else:
                stats.malformed += 1
            continue
        if parts[12] != "ACCEPT":
            if parts[12] == "REJECT":
                stats.rejected += 1
            else:
                stats.malformed += 1
            continue
        raw_src, raw_dst = parts[3], parts[4]
        src = known(raw_src)
        if src is None:
            if len(cache) >= _CACHE_MAX:
                cache.clear()
            src = cache[raw_src] = _normal(raw_src)
        dst = known(raw_dst)
        if dst is None:
            if len(cache) >= _CACHE_MAX:
                cache.clear()
            dst = cache[raw_dst] = _normal(raw_dst)
        try:
            size = int(parts[9])
        except ValueError:
            size = -1
        if not src or not dst or size < 0:
            stats.malformed += 1
            continue
        stats.records += 1
        yield _flow(src, dst, size)


# --- Logs Insights -------------------------------------------------------------------------------


def _quoted(values: Iterable[str]) -> str:
    return ", ".join(f'"{v}"' for v in values)


def _canonical_ips(addresses: Iterable[str], what: str) -> list[str]:
    result: list[str] = []
    for address in addresses:
        normal = _normal(address)
        if not normal:
            raise ValueError(f"{what}: not an IP address: {address!r}")
        if normal not in result:
            result.append(normal)
    return result


def insights_query(
    nat_private_ips: Sequence[str],
    *,
    vpc_cidrs: Sequence[str] = (),
    ipv4_prefix: int | None = None,
) -> str:
    """The ONE Logs Insights query: bytes per (srcaddr, dstaddr) of the NATs' records.

    It parses ``@message`` in the default format (a glob, so any log group works, not only one
    whose fields Insights discovers), keeps ACCEPT records with a NAT private IP on one side,
    and sums bytes per (srcaddr, dstaddr). ``vpc_cidrs`` also drops the inside legs (client to
    NAT) on AWS's side, which only saves result rows. ``ipv4_prefix`` (24, 16 or 8) groups
    both sides by their first octets instead (fields ``src1``.. and ``dst1``..): a step down
    :data:`INSIGHTS_PREFIX_LADDER` when the exact result fills :data:`INSIGHTS_ROW_LIMIT`.
    """
    nats = _canonical_ips(nat_private_ips, "NAT private IP")
    if not nats:
        raise ValueError("insights_query needs at least one NAT private IP")
    if ipv4_prefix not in INSIGHTS_PREFIX_LADDER:
        raise ValueError(f"ipv4_prefix must be one of {INSIGHTS_PREFIX_LADDER}, not {ipv4_prefix}")
    glob = " ".join(["*"] * _FIELDS)
    nat_list = f"[{_quoted(nats)}]"
    lines = [f'parse @message "{glob}" as {INSIGHTS_FIELDS}']
    if vpc_cidrs:
        cidrs = [ipaddress.ip_network(c, strict=False).compressed for c in vpc_cidrs]

        def outside(field: str) -> str:
            return "not (" + " or ".join(f'isIpInSubnet({field}, "{c}")' for c in cidrs) + ")"

        lines.append(
            f'| filter action = "ACCEPT" and ((srcaddr in {nat_list} and {outside("dstaddr")})'
            f" or (dstaddr in {nat_list} and {outside('srcaddr')}))"
        )
    else:
        lines.append(
            f'| filter action = "ACCEPT" and (srcaddr in {nat_list} or dstaddr in {nat_list})'
        )
    if ipv4_prefix is None:
        lines.append("| stats sum(bytes) as bytes by srcaddr, dstaddr")
    else:
        octets = ipv4_prefix // 8
        lines.append('| parse srcaddr "*.*.*.*" as src1, src2, src3, src4')
        lines.append('| parse dstaddr "*.*.*.*" as dst1, dst2, dst3, dst4')
        keys = [f"src{i}" for i in range(1, octets + 1)] + [f"dst{i}" for i in range(1, octets + 1)]
        lines.append(f"| stats sum(bytes) as bytes by {', '.join(keys)}")
    lines.append(f"| limit {INSIGHTS_ROW_LIMIT}")
    return "\n".join(lines)


def insights_result_complete(row_count: int) -> bool:
    """False when a result has as many rows as Insights returns at most: it may be cut short,
    so run the next, coarser query of :data:`INSIGHTS_PREFIX_LADDER`."""
    return row_count < INSIGHTS_ROW_LIMIT


def _insights_bytes(value: str | None) -> int:
    """A ``sum(bytes)`` value: Insights prints numbers as text, large ones possibly with an
    exponent ("1.5E10"); a negative or fractional sum is not a byte count."""
    if value is None:
        return -1
    try:
        return int(value)
    except ValueError:
        pass
    try:
        number = Decimal(value)
    except InvalidOperation:
        return -1
    if not number.is_finite() or number != number.to_integral_value():
        return -1
    return int(number)


class _Blocks:
    """Coarse rows: the network of the first octets of each side, and which NAT IP it holds."""

    def __init__(self, nat_private_ips: Collection[str]) -> None:
        self._nats = [ipaddress.ip_address(ip) for ip in _canonical_ips(nat_private_ips, "NAT")]
        self._cache: dict[tuple[str, ...], tuple[str, str]] = {}

    def side(self, octets: tuple[str, ...]) -> tuple[str, str]:
        """(network text, a NAT IP inside it or "") for the leading octets; ("", "") if bad."""
        found = self._cache.get(octets)
        if found is None:
            text = ".".join(octets + ("0",) * (4 - len(octets))) + f"/{8 * len(octets)}"
            try:
                network = ipaddress.IPv4Network(text)
            except ValueError:
                found = ("", "")
            else:
                nat = next((str(ip) for ip in self._nats if ip in network), "")
                found = (network.compressed, nat)
            self._cache[octets] = found
        return found


def flows_from_insights(
    rows: Iterable[list[dict[str, str]]],
    *,
    nat_private_ips: Collection[str] = (),
    stats: ParseStats | None = None,
) -> Iterator[Flow]:
    """Flows from the rows of GetQueryResults["results"] of :func:`insights_query`.

    Each row is a list of ``{"field": name, "value": text}``. Exact rows give Flow(srcaddr,
    dstaddr, bytes). Coarse rows (``src1``.., ``dst1``..) need ``nat_private_ips`` to tell the
    NAT's side: that side becomes one of the NAT's IPs, the other its network
    ("203.0.113.0/24"), so :func:`nat_bytes_by_remote` works on both unchanged. A coarse row
    with a NAT IP in both networks (a remote in the NAT's own prefix: an inside leg, or a
    private NAT's peer at /16 or /8) is given the destination side as remote.
    Rows without addresses or bytes are counted as malformed in ``stats``.
    """
    if stats is None:
        stats = ParseStats()
    cache: dict[str, str] = {}
    blocks: _Blocks | None = None
    for row in rows:
        fields = {item.get("field"): item.get("value") for item in row}
        size = _insights_bytes(fields.get("bytes", fields.get("sum(bytes)")))
        if "srcaddr" in fields or "dstaddr" in fields:
            raw_src, raw_dst = fields.get("srcaddr") or "", fields.get("dstaddr") or ""
            src = cache.get(raw_src)
            if src is None:
                src = cache[raw_src] = _normal(raw_src)
            dst = cache.get(raw_dst)
            if dst is None:
                dst = cache[raw_dst] = _normal(raw_dst)
            if not src or not dst or size < 0:
                stats.malformed += 1
                continue
            stats.records += 1
            yield Flow(src, dst, size)
            continue
        if "src1" not in fields:
            stats.malformed += 1
            continue
        if blocks is None:
            if not nat_private_ips:
                raise ValueError("coarse Insights rows need the NAT private IPs")
            blocks = _Blocks(nat_private_ips)
        octets = sum(1 for i in range(1, 4) if f"src{i}" in fields)
        src_net, src_nat = blocks.side(
            tuple(str(fields.get(f"src{i}")) for i in range(1, octets + 1))
        )
        dst_net, dst_nat = blocks.side(
            tuple(str(fields.get(f"dst{i}")) for i in range(1, octets + 1))
        )
        if not src_net or not dst_net or size < 0 or not (src_nat or dst_nat):
            stats.malformed += 1
            continue
        stats.records += 1
        if src_nat:
            yield Flow(src_nat, dst_net, size)
        else:
            yield Flow(src_net, dst_nat, size)


# --- NAT legs ------------------------------------------------------------------------------------


def _inside(remote: str, networks: Sequence[ipaddress.IPv4Network | ipaddress.IPv6Network]) -> bool:
    if "/" in remote:
        block = ipaddress.ip_network(remote, strict=False)
        return any(n.version == block.version and n.overlaps(block) for n in networks)
    address = ipaddress.ip_address(remote)
    return any(address in n for n in networks)


def nat_bytes_by_remote(
    flows: Iterable[Flow], nat_private_ips: Collection[str], vpc_cidrs: Sequence[str]
) -> dict[str, int]:
    """Bytes the NATs processed per remote (outside-the-VPC) address.

    A flow counts when one side is a NAT private IP and the other lies outside ``vpc_cidrs``:
    the NAT's internet legs, each direction once. The inside legs (client to NAT and back) are
    the same bytes again and are left out. Memory grows with the distinct addresses seen, not
    with the flows.
    """
    nats = frozenset(_canonical_ips(nat_private_ips, "NAT private IP"))
    networks = [ipaddress.ip_network(c, strict=False) for c in vpc_cidrs]
    inside: dict[str, bool] = {}
    totals: dict[str, int] = {}
    is_inside, total = inside.get, totals.get
    for flow in flows:
        if flow.src in nats:
            remote = flow.dst
        elif flow.dst in nats:
            remote = flow.src
        else:
            continue
        known = is_inside(remote)
        if known is None:
            known = inside[remote] = _inside(remote, networks)
        if not known:
            totals[remote] = total(remote, 0) + flow.bytes
    return totals


# --- classification ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Destination:
    traffic_class: str  # one of natless.cost.traffic.TRAFFIC_CLASSES
    label: str  # "S3", "DynamoDB", "SQS", "AWS (service unknown)", "internet"
    ipv6: bool | None  # has an IPv6 way: True/False, None = unknown
    evidence: str  # what the class rests on, for the report


_Address = ipaddress.IPv4Address | ipaddress.IPv6Address


class _PrefixTable:
    """Longest-prefix match: per IP version, one dict per prefix length from network number to
    entries, so a look-up costs one dict probe per distinct prefix length (at most 33 or 129),
    not one comparison per range (thousands in ip-ranges.json)."""

    def __init__(self, entries: Iterable[tuple[str, str]]) -> None:
        tables: dict[int, dict[int, dict[int, list[tuple[str, str]]]]] = {4: {}, 6: {}}
        for cidr, value in entries:
            network = ipaddress.ip_network(cidr, strict=False)
            shift = network.max_prefixlen - network.prefixlen
            by_number = tables[network.version].setdefault(network.prefixlen, {})
            by_number.setdefault(int(network.network_address) >> shift, []).append(
                (network.compressed, value)
            )
        self._tables = {
            version: sorted(by_length.items(), reverse=True)
            for version, by_length in tables.items()
        }

    def matches(self, address: _Address, longest: int) -> list[tuple[str, str]]:
        """Entries whose network holds ``address`` with a prefix of at most ``longest`` bits
        (a block: ranges covering it all), longest prefix first."""
        number = int(address)
        found: list[tuple[str, str]] = []
        for length, by_number in self._tables[address.version]:
            if length > longest:
                continue
            hit = by_number.get(number >> (address.max_prefixlen - length))
            if hit:
                found.extend(hit)
        return found


def _short(service: Service) -> str:
    """The title without "Amazon "/"AWS " (SQS, STS): the name a report line has room for."""
    for prefix in ("Amazon ", "AWS "):
        if service.title.startswith(prefix):
            return service.title[len(prefix) :]
    return service.title


# ip-ranges.json services with a gateway endpoint: an address in their regional ranges is
# reachable through it, as one in the managed prefix list is.
_RANGE_GATEWAY = {"S3": "s3", "DYNAMODB": "dynamodb"}


class Classifier:
    """Puts a remote address in one of natless's traffic classes, with the evidence.

    Order: the region's S3/DynamoDB managed prefix lists; addresses resolved from the catalog's
    service names; AWS's ip-ranges.json (service unknown: an AWS service without IPv6,
    conservatively); else the internet, with IPv6 only when the address is IPv6 or ``has_ipv6``
    found an AAAA record. Each distinct address is classified once (cached).
    """

    def __init__(
        self,
        *,
        prefix_lists: Mapping[str, Sequence[str]],
        aws_ranges: Sequence[tuple[str, str]] = (),
        services_by_address: Mapping[str, str] = {},  # read only
        has_ipv6: Callable[[str], bool | None] | None = None,
        catalog: Catalog,
        prefix_list_ids: Mapping[str, str] = {},  # read only
        aws_ranges_date: str = "",
    ) -> None:
        self._catalog = catalog
        self._has_ipv6 = has_ipv6
        self._prefix_list_ids = dict(prefix_list_ids)
        self._ranges_name = f"ip-ranges.json {aws_ranges_date}".rstrip()
        for name in prefix_lists:
            catalog.service(name)  # a prefix list of a service natless does not know: a bug
        self._prefix_lists = _PrefixTable(
            (cidr, name) for name, cidrs in prefix_lists.items() for cidr in cidrs
        )
        self._aws = _PrefixTable(aws_ranges)
        self._resolved: dict[str, Service] = {}
        for address, name in services_by_address.items():
            normal = _normal(address)
            if not normal:
                raise ValueError(f"services_by_address: not an IP address: {address!r}")
            self._resolved[normal] = catalog.service(name)
        self._cache: dict[str, Destination] = {}

    def classify(self, address: str) -> Destination:
        """The destination class of an address, or of a block ("203.0.113.0/24") from a
        coarse Insights result (AWS only when one AWS range covers the whole block)."""
        found = self._cache.get(address)
        if found is None:
            found = self._cache[address] = self._classify(address)
        return found

    def _service(self, name: str, evidence: str) -> Destination:
        service = self._catalog.service(name)
        return Destination(service.traffic_class, _short(service), service.ipv6, evidence)

    def _classify(self, address: str) -> Destination:
        try:
            if "/" in address:
                block = ipaddress.ip_network(address, strict=False)
                ip: _Address = block.network_address
                longest = block.prefixlen
            else:
                block = None
                ip = ipaddress.ip_address(address)
                longest = ip.max_prefixlen
        except ValueError:
            raise ValueError(f"not an IP address or network: {address!r}") from None
        listed = self._prefix_lists.matches(ip, longest)
        if listed:
            cidr, name = listed[0]
            pl = self._prefix_list_ids.get(name)
            where = f"{pl} ({name} prefix list)" if pl else f"the {name} managed prefix list"
            return self._service(name, f"in {where}: {cidr}")
        if block is None and ip.compressed in self._resolved:
            service = self._resolved[ip.compressed]
            return self._service(service.name, f"an address of {service.title}'s endpoint")
        ranges = self._aws.matches(ip, longest)
        if ranges:
            cidr, service_name = next(((c, s) for c, s in ranges if s != "AMAZON"), ranges[0])
            evidence = f"{self._ranges_name}: {service_name} {cidr}"
            gateway = _RANGE_GATEWAY.get(service_name)
            if gateway is not None and self._catalog.get(gateway) is not None:
                return self._service(gateway, evidence)
            if ip.version == 6:
                return Destination("aws_ipv6", AWS_UNKNOWN, True, f"{evidence}; an IPv6 address")
            return Destination("aws_ipv4_only", AWS_UNKNOWN, None, evidence)
        if ip.version == 6:
            return Destination("internet_ipv6", INTERNET, True, "an IPv6 address")
        if block is not None:
            return Destination(
                "internet_ipv4_only", INTERNET, None, f"a /{longest} block: IPv6 not looked up"
            )
        if self._has_ipv6 is None:
            return Destination(
                "internet_ipv4_only", INTERNET, None, "IPv6 unknown: no AAAA look-up (--resolve)"
            )
        answer = self._has_ipv6(address)
        if answer:
            return Destination("internet_ipv6", INTERNET, True, "AAAA record found")
        if answer is False:
            return Destination("internet_ipv4_only", INTERNET, False, "no AAAA record")
        return Destination("internet_ipv4_only", INTERNET, None, "AAAA look-up gave no answer")


@dataclass(frozen=True)
class Breakdown:
    bytes_by_class: dict[str, int]  # every TRAFFIC_CLASSES key present
    destinations: tuple[tuple[str, Destination, int], ...]  # (address, destination, bytes), desc

    @property
    def total_bytes(self) -> int:
        return sum(self.bytes_by_class.values())

    def as_json(self) -> dict[str, Any]:
        return {
            "total_bytes": self.total_bytes,
            "bytes_by_class": dict(self.bytes_by_class),
            "destinations": [
                {
                    "address": address,
                    "bytes": size,
                    "traffic_class": dest.traffic_class,
                    "label": dest.label,
                    "ipv6": dest.ipv6,
                    "evidence": dest.evidence,
                }
                for address, dest, size in self.destinations
            ],
        }


def breakdown(bytes_by_remote: Mapping[str, int], classifier: Classifier) -> Breakdown:
    """Bytes per traffic class and per destination (largest first, then by address)."""
    by_class = dict.fromkeys(TRAFFIC_CLASSES, 0)
    rows: list[tuple[str, Destination, int]] = []
    for address, size in bytes_by_remote.items():
        destination = classifier.classify(address)
        by_class[destination.traffic_class] += size
        rows.append((address, destination, size))
    rows.sort(key=lambda row: (-row[2], row[0]))
    return Breakdown(bytes_by_class=by_class, destinations=tuple(rows))
