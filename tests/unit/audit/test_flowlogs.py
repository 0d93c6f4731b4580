"""natless.audit.flowlogs: parsing, the Insights query and its results, NAT legs, classes.

The Insights results here are built in the shape the CloudWatch Logs API reference documents
for GetQueryResults: ``results`` is a list of rows, each a list of ``{"field": name, "value":
text}`` objects, numbers as text. :func:`insights_rows` computes, in plain Python, what the
query asks AWS to compute (keep ACCEPT records with a NAT IP on one side, sum bytes per
srcaddr/dstaddr or per leading octets), so streaming and Insights are compared on the same
records.
"""

from __future__ import annotations

import ipaddress
from collections import defaultdict
from collections.abc import Iterable, Sequence

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from natless.audit.flowlogs import (
    AWS_UNKNOWN,
    DEFAULT_FORMAT,
    HEADER,
    INSIGHTS_PREFIX_LADDER,
    INSIGHTS_ROW_LIMIT,
    Classifier,
    Destination,
    Flow,
    ParseStats,
    breakdown,
    flows_from_insights,
    insights_query,
    insights_result_complete,
    is_default_format,
    nat_bytes_by_remote,
    parse_records,
)
from natless.cost.services import load_catalog
from natless.cost.traffic import TRAFFIC_CLASSES

NAT_A, NAT_B = "10.0.0.220", "10.0.1.33"
NATS = (NAT_A, NAT_B)
VPC = ("10.0.0.0/16",)
CLIENT = "10.0.12.7"
S3_PL = ("52.216.0.0/15",)
DDB_PL = ("3.218.180.0/22",)
CATALOG = load_catalog()

SETTINGS = settings(
    max_examples=150,
    deadline=None,
    database=None,  # nothing written into the checkout
    suppress_health_check=[HealthCheck.too_slow],
)


def record(
    src: str,
    dst: str,
    size: int,
    *,
    action: str = "ACCEPT",
    status: str = "OK",
    version: str = "2",
) -> str:
    """One flow-log record in AWS's default format."""
    return (
        f"{version} 123456789012 eni-0a1b2c3d4e5f60718 {src} {dst} 49152 443 6 "
        f"{size // 1000 + 1} {size} 1787400000 1787400060 {action} {status}"
    )


def nodata(status: str = "NODATA") -> str:
    return f"2 123456789012 eni-0a1b2c3d4e5f60718 - - - - - - - 1787400000 1787400060 - {status}"


def insights_rows(lines: Iterable[str], nats: Sequence[str], prefix: int | None = None):
    """GetQueryResults["results"] for insights_query(nats, ipv4_prefix=prefix) over ``lines``:
    a reference computation of what the query asks for, in the documented response shape."""
    sums: dict[tuple[str, ...], int] = defaultdict(int)
    for line in lines:
        parts = line.split()
        if len(parts) != 14 or parts[12] != "ACCEPT" or not (parts[3] in nats or parts[4] in nats):
            continue
        if prefix is None:
            sums[(parts[3], parts[4])] += int(parts[9])
        else:
            octets = prefix // 8
            sums[tuple(parts[3].split(".")[:octets] + parts[4].split(".")[:octets])] += int(
                parts[9]
            )
    rows = []
    for key, total in sums.items():
        if prefix is None:
            names = ["srcaddr", "dstaddr"]
        else:
            octets = prefix // 8
            names = [f"src{i}" for i in range(1, octets + 1)]
            names += [f"dst{i}" for i in range(1, octets + 1)]
        row = [{"field": name, "value": value} for name, value in zip(names, key, strict=True)]
        rows.append([*row, {"field": "bytes", "value": str(total)}])
    return rows


def classifier(**kwargs) -> Classifier:
    args = {"prefix_lists": {"s3": S3_PL, "dynamodb": DDB_PL}, "catalog": CATALOG} | kwargs
    return Classifier(**args)


# --- parsing -------------------------------------------------------------------------------------


def test_default_format_is_the_14_fields_of_version_2() -> None:
    assert len(DEFAULT_FORMAT.split()) == 14
    assert is_default_format(DEFAULT_FORMAT)
    assert is_default_format("  " + DEFAULT_FORMAT.replace(" ", "   ") + "\n")
    assert not is_default_format(DEFAULT_FORMAT + " ${pkt-srcaddr}")
    assert HEADER.split()[3:5] == ["srcaddr", "dstaddr"]


def test_records_parse_to_exact_flows() -> None:
    lines = [
        record(NAT_A, "52.216.8.9", 1234),
        record("198.51.100.7", NAT_B, 987_654_321_000),
        record(CLIENT, NAT_A, 0) + "\n",
    ]
    assert list(parse_records(lines)) == [
        Flow(NAT_A, "52.216.8.9", 1234),
        Flow("198.51.100.7", NAT_B, 987_654_321_000),
        Flow(CLIENT, NAT_A, 0),
    ]


def test_header_nodata_skipdata_reject_and_malformed_are_left_out_and_counted() -> None:
    lines = [
        HEADER,
        nodata("NODATA"),
        nodata("SKIPDATA"),
        record(NAT_A, "198.51.100.7", 500, action="REJECT"),
        record(NAT_A, "198.51.100.7", 100),
        "",
        "   ",
        "garbage",
        record(NAT_A, "198.51.100.7", 100, version="5"),
        record(NAT_A, "198.51.100.7", 100).replace(" 100 ", " 1x0 "),
        record(NAT_A, "198.51.100.7", 100).replace(" 100 ", " -5 "),
        record(NAT_A, "not-an-ip", 100),
        record(NAT_A, "198.51.100.7", 100, status="BROKEN"),
        record(NAT_A, "198.51.100.7", 100, action="MAYBE"),
        record(NAT_A, "198.51.100.7", 100) + " extra",
        record("198.51.100.7", NAT_A, 50),
    ]
    stats = ParseStats()
    flows = list(parse_records(lines, stats))
    assert flows == [Flow(NAT_A, "198.51.100.7", 100), Flow("198.51.100.7", NAT_A, 50)]
    assert (stats.records, stats.skipped, stats.rejected, stats.malformed) == (2, 3, 1, 8)
    assert stats.lines == 14  # the two blank lines are not lines of the log


def test_stats_fill_as_records_go_by() -> None:
    stats = ParseStats()
    flows = parse_records([record(NAT_A, "198.51.100.7", 1), nodata()], stats)
    next(flows)
    assert stats.records == 1
    assert list(flows) == []
    assert stats.skipped == 1


def test_ipv6_addresses_are_one_remote_however_written() -> None:
    lines = [
        record("2001:DB8:0:0::1", "2600:1f18:0:0:0:0:0:5", 10),
        record("2001:db8::1", "2600:1F18::5", 20),
    ]
    flows = list(parse_records(lines))
    assert {(f.src, f.dst) for f in flows} == {("2001:db8::1", "2600:1f18::5")}
    nat6 = ["2001:db8::1"]
    assert nat_bytes_by_remote(flows, nat6, ["2001:db8::/56"]) == {"2600:1f18::5": 30}
    # An IPv6 VPC block keeps the IPv6 inside legs out as the IPv4 one does.
    inside = list(parse_records([record("2001:db8::1", "2001:db8::99", 7)]))
    assert nat_bytes_by_remote(inside, nat6, ["10.0.0.0/16", "2001:db8::/56"]) == {}


# --- NAT legs ------------------------------------------------------------------------------------


def test_both_internet_legs_count_once_each_and_inside_legs_not_at_all() -> None:
    lines = [
        record(CLIENT, NAT_A, 1000),  # inside leg: client -> NAT
        record(NAT_A, "198.51.100.7", 1000),  # internet leg: NAT -> remote
        record("198.51.100.7", NAT_A, 5000),  # internet leg: remote -> NAT
        record(NAT_A, CLIENT, 5000),  # inside leg: NAT -> client
        record(CLIENT, "198.51.100.7", 1000),  # the client's own interface: not the NAT's
        record(NAT_B, "52.216.8.9", 300),
        record(NAT_A, NAT_B, 999),  # between the NATs: inside the VPC
    ]
    totals = nat_bytes_by_remote(parse_records(lines), NATS, VPC)
    assert totals == {"198.51.100.7": 6000, "52.216.8.9": 300}


def test_a_vpc_with_two_blocks_keeps_both_inside() -> None:
    lines = [record(NAT_A, "100.64.3.4", 10), record(NAT_A, "198.51.100.7", 20)]
    assert nat_bytes_by_remote(parse_records(lines), NATS, ["10.0.0.0/16", "100.64.0.0/16"]) == {
        "198.51.100.7": 20
    }


# --- Insights ------------------------------------------------------------------------------------


def test_the_insights_query_parses_the_default_format_filters_the_nats_and_sums() -> None:
    query = insights_query([NAT_A, NAT_B, NAT_A])
    lines = query.splitlines()
    assert lines[0] == (
        'parse @message "* * * * * * * * * * * * * *" as version, accountid, interfaceid, '
        "srcaddr, dstaddr, srcport, dstport, protocol, packets, bytes, start, end, action, "
        "logstatus"
    )
    assert lines[1] == (
        '| filter action = "ACCEPT" and (srcaddr in ["10.0.0.220", "10.0.1.33"] '
        'or dstaddr in ["10.0.0.220", "10.0.1.33"])'
    )
    assert lines[2] == "| stats sum(bytes) as bytes by srcaddr, dstaddr"
    assert lines[3] == f"| limit {INSIGHTS_ROW_LIMIT}"


def test_the_insights_query_can_drop_inside_legs_and_group_by_prefix() -> None:
    query = insights_query([NAT_A], vpc_cidrs=["10.0.0.0/16", "100.64.0.1/16"], ipv4_prefix=16)
    assert 'isIpInSubnet(dstaddr, "10.0.0.0/16") or isIpInSubnet(dstaddr, "100.64.0.0/16")' in (
        query
    )
    assert 'srcaddr in ["10.0.0.220"] and not (' in query
    assert '| parse dstaddr "*.*.*.*" as dst1, dst2, dst3, dst4' in query
    assert "| stats sum(bytes) as bytes by src1, src2, dst1, dst2" in query
    with pytest.raises(ValueError, match="at least one NAT"):
        insights_query([])
    with pytest.raises(ValueError, match="not an IP address"):
        insights_query(["nat-0abc"])
    with pytest.raises(ValueError, match="ipv4_prefix"):
        insights_query([NAT_A], ipv4_prefix=20)


def test_a_full_result_is_not_complete() -> None:
    assert insights_result_complete(INSIGHTS_ROW_LIMIT - 1)
    assert not insights_result_complete(INSIGHTS_ROW_LIMIT)
    assert INSIGHTS_PREFIX_LADDER[0] is None and INSIGHTS_PREFIX_LADDER[-1] == 8


def test_insights_rows_give_the_streaming_figures() -> None:
    lines = [
        record(CLIENT, NAT_A, 1000),
        record(NAT_A, "198.51.100.7", 1000),
        record(NAT_A, "198.51.100.7", 24),
        record("198.51.100.7", NAT_A, 5000),
        record(NAT_B, "52.216.8.9", 300),
        record(NAT_B, "52.216.8.9", 1, action="REJECT"),
        nodata(),
    ]
    rows = insights_rows(lines, NATS)
    assert [
        {"field": "srcaddr", "value": NAT_A},
        {"field": "dstaddr", "value": "198.51.100.7"},
        {
            "field": "bytes",
            "value": "1024",
        },
    ] in rows
    streamed = nat_bytes_by_remote(parse_records(lines), NATS, VPC)
    assert nat_bytes_by_remote(flows_from_insights(rows), NATS, VPC) == streamed
    assert streamed == {"198.51.100.7": 6024, "52.216.8.9": 300}


def test_insights_values_as_aws_prints_them() -> None:
    rows = [
        [
            {"field": "srcaddr", "value": NAT_A},
            {"field": "dstaddr", "value": "198.51.100.7"},
            {"field": "sum(bytes)", "value": "1.5E10"},
        ],
        [{"field": "srcaddr", "value": NAT_A}, {"field": "dstaddr", "value": "198.51.100.8"}],
        [
            {"field": "srcaddr", "value": NAT_A},
            {"field": "dstaddr", "value": "198.51.100.9"},
            {"field": "bytes", "value": "12.5"},
        ],
        [{"field": "srcaddr", "value": ""}, {"field": "dstaddr", "value": NAT_A}],
        [{"field": "@ptr", "value": "CmAKJQ"}],
    ]
    stats = ParseStats()
    assert list(flows_from_insights(rows, stats=stats)) == [
        Flow(NAT_A, "198.51.100.7", 15_000_000_000)
    ]
    assert (stats.records, stats.malformed) == (1, 4)


def test_coarse_rows_keep_the_nat_side_and_the_remote_block() -> None:
    lines = [
        record(NAT_A, "198.51.100.7", 10),
        record("198.51.100.200", NAT_A, 20),
        record(NAT_B, "198.51.100.9", 30),
        record(CLIENT, NAT_A, 99),  # an inside leg: its "remote" block lies in the VPC
        record(NAT_B, "203.0.113.1", 40),
    ]
    rows = insights_rows(lines, NATS, prefix=24)
    flows = list(flows_from_insights(rows, nat_private_ips=NATS))
    assert Flow(NAT_A, "198.51.100.0/24", 10) in flows
    assert Flow("198.51.100.0/24", NAT_A, 20) in flows
    assert nat_bytes_by_remote(flows, NATS, VPC) == {"198.51.100.0/24": 60, "203.0.113.0/24": 40}
    with pytest.raises(ValueError, match="NAT private IPs"):
        list(flows_from_insights(rows))


# --- classification ------------------------------------------------------------------------------


def test_each_class_with_its_evidence() -> None:
    asked: list[str] = []

    def has_ipv6(address: str) -> bool | None:
        asked.append(address)
        return {"198.51.100.7": True, "198.51.100.8": False}.get(address)

    c = classifier(
        prefix_list_ids={"s3": "pl-63a5400a"},
        aws_ranges=[
            ("18.204.0.0/14", "AMAZON"),
            ("18.204.0.0/14", "EC2"),
            ("54.231.0.0/16", "S3"),
            ("2600:1f18::/33", "EC2"),
            ("44.192.0.0/11", "AMAZON"),
        ],
        aws_ranges_date="2026-08-22-15-17-05",
        services_by_address={"44.200.0.10": "sqs", "44.200.0.11": "xray"},
        has_ipv6=has_ipv6,
    )
    expect = {
        "52.217.1.1": ("s3", "S3", True, "in pl-63a5400a (s3 prefix list): 52.216.0.0/15"),
        "3.218.181.5": ("dynamodb", "DynamoDB", True, "in the dynamodb managed prefix list"),
        "44.200.0.10": ("aws_ipv6", "SQS", True, "Amazon SQS"),
        "44.200.0.11": ("aws_ipv4_only", "X-Ray", False, "AWS X-Ray"),
        "18.204.1.1": ("aws_ipv4_only", AWS_UNKNOWN, None, "2026-08-22-15-17-05: EC2 18.204"),
        "44.192.0.1": ("aws_ipv4_only", AWS_UNKNOWN, None, "AMAZON 44.192.0.0/11"),
        "54.231.9.9": ("s3", "S3", True, "S3 54.231.0.0/16"),
        "2600:1f18::9": ("aws_ipv6", AWS_UNKNOWN, True, "EC2 2600:1f18::/33"),
        "198.51.100.7": ("internet_ipv6", "internet", True, "AAAA record found"),
        "198.51.100.8": ("internet_ipv4_only", "internet", False, "no AAAA"),
        "198.51.100.9": ("internet_ipv4_only", "internet", None, "no answer"),
        "2001:db8::5": ("internet_ipv6", "internet", True, "IPv6 address"),
        "203.0.113.0/24": ("internet_ipv4_only", "internet", None, "/24 block"),
        "54.231.7.0/24": ("s3", "S3", True, "S3 54.231.0.0/16"),
    }
    for address, (traffic_class, label, ipv6, evidence) in expect.items():
        got = c.classify(address)
        assert (got.traffic_class, got.label, got.ipv6) == (traffic_class, label, ipv6), address
        assert evidence in got.evidence, (address, got.evidence)
        assert got.traffic_class in TRAFFIC_CLASSES
    assert sorted(asked) == ["198.51.100.7", "198.51.100.8", "198.51.100.9"]
    c.classify("198.51.100.7")
    assert len(asked) == 3  # once per address


def test_without_has_ipv6_an_internet_ipv4_address_has_ipv6_unknown() -> None:
    got = classifier().classify("198.51.100.7")
    assert got == Destination(
        "internet_ipv4_only", "internet", None, "IPv6 unknown: no AAAA look-up (--resolve)"
    )
    assert classifier().classify("2001:db8::7").traffic_class == "internet_ipv6"


def test_a_block_is_aws_only_when_one_range_covers_it() -> None:
    c = classifier(aws_ranges=[("198.51.100.0/26", "AMAZON")])
    assert c.classify("198.51.100.3").traffic_class == "aws_ipv4_only"
    assert c.classify("198.51.100.0/24").traffic_class == "internet_ipv4_only"


def test_bad_classifier_input_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="not an IP address"):
        classifier().classify("nat-0abc")
    with pytest.raises(ValueError, match="not an IP address"):
        classifier(services_by_address={"x": "sqs"})


def test_breakdown_totals_every_class_and_orders_destinations() -> None:
    result = breakdown(
        {"52.217.1.1": 10, "198.51.100.7": 30, "198.51.100.6": 30, "2001:db8::5": 5},
        classifier(),
    )
    assert list(result.bytes_by_class) == list(TRAFFIC_CLASSES)
    assert result.bytes_by_class == {
        "s3": 10,
        "dynamodb": 0,
        "aws_ipv6": 0,
        "aws_ipv4_only": 0,
        "internet_ipv6": 5,
        "internet_ipv4_only": 60,
    }
    assert [a for a, _, _ in result.destinations] == [
        "198.51.100.6",
        "198.51.100.7",
        "52.217.1.1",
        "2001:db8::5",
    ]
    doc = result.as_json()
    assert doc["total_bytes"] == 75
    assert doc["destinations"][2] == {
        "address": "52.217.1.1",
        "bytes": 10,
        "traffic_class": "s3",
        "label": "S3",
        "ipv6": True,
        "evidence": "in the s3 managed prefix list: 52.216.0.0/15",
    }


# --- properties ----------------------------------------------------------------------------------

REMOTES = [
    "52.216.8.9",
    "52.217.0.1",
    "3.218.180.5",
    "18.204.1.1",
    "198.51.100.7",
    "198.51.100.77",
    "203.0.113.9",
    "2001:db8::5",
    "2600:1f18::9",
]
INSIDE = [CLIENT, "10.0.3.4", NAT_A, NAT_B]


def records_of(addresses: list[str]):
    pick = st.sampled_from(addresses)
    return st.lists(
        st.tuples(
            pick,
            pick,
            st.integers(min_value=0, max_value=10**12),
            st.sampled_from(["ACCEPT", "ACCEPT", "ACCEPT", "REJECT"]),
            st.sampled_from(["OK", "OK", "OK", "NODATA"]),
        ),
        max_size=60,
    )


RECORDS = records_of(REMOTES + INSIDE)
# A NAT gateway's legs are IPv4 (its private address is), so a coarse result holds IPv4 only.
IPV4_RECORDS = records_of([a for a in REMOTES if ":" not in a] + INSIDE)


def lines_of(records) -> list[str]:
    return [
        nodata(status) if status != "OK" else record(src, dst, size, action=action)
        for src, dst, size, action, status in records
    ]


def expected_nat_bytes(records) -> int:
    """The NAT-leg bytes, counted directly: ACCEPT+OK, one side a NAT, the other outside."""
    inside = ipaddress.ip_network(VPC[0])

    def outside(address: str) -> bool:
        ip = ipaddress.ip_address(address)
        return ip.version != 4 or ip not in inside

    total = 0
    for src, dst, size, action, status in records:
        if status != "OK" or action != "ACCEPT":
            continue
        if (src in NATS and outside(dst)) or (dst in NATS and outside(src)):
            total += size
    return total


@SETTINGS
@given(RECORDS)
def test_classified_bytes_are_the_nat_leg_bytes(records) -> None:
    lines = lines_of(records)
    result = breakdown(
        nat_bytes_by_remote(parse_records(lines), NATS, VPC),
        classifier(aws_ranges=[("18.204.0.0/14", "EC2"), ("2600:1f18::/33", "EC2")]),
    )
    assert sum(result.bytes_by_class.values()) == expected_nat_bytes(records)
    assert sum(size for _, _, size in result.destinations) == expected_nat_bytes(records)


@SETTINGS
@given(RECORDS)
def test_streaming_and_insights_give_the_same_figures(records) -> None:
    lines = lines_of(records)
    streamed = nat_bytes_by_remote(parse_records(lines), NATS, VPC)
    rows = insights_rows(lines, NATS)
    assert nat_bytes_by_remote(flows_from_insights(rows), NATS, VPC) == streamed


@SETTINGS
@given(IPV4_RECORDS, st.sampled_from([24, 16]))
def test_a_coarse_insights_result_is_the_streaming_figures_per_block(records, prefix) -> None:
    lines = lines_of(records)
    per_block: dict[str, int] = defaultdict(int)
    for remote, size in nat_bytes_by_remote(parse_records(lines), NATS, VPC).items():
        per_block[str(ipaddress.ip_network(f"{remote}/{prefix}", strict=False))] += size
    rows = insights_rows(lines, NATS, prefix=prefix)
    coarse = nat_bytes_by_remote(flows_from_insights(rows, nat_private_ips=NATS), NATS, VPC)
    assert coarse == per_block
