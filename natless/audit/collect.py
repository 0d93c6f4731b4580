"""Read one region of an account into an :class:`~natless.audit.inventory.Inventory`, read-only.

Every call is a Describe/Get/List call (the list is ``natless/audit/data/iam-policy.json``, checked
against the calls a full audit makes by tests/emulator/test_audit_collect.py). Each call is made
once per region, not once per VPC, and the answers are grouped by VPC here: an account with 50
VPCs costs the same 14 calls as one with a single VPC (plus the pages of long answers).

A call that fails (no permission, throttled to the end of its retries, a service not offered in
the region) becomes a :class:`~natless.audit.inventory.Problem` naming it, and the audit goes on
without what it would have told: a report that names the one missing permission is worth more
than no report.

The flow-log records are read separately (:func:`flow_log_flows`), after the plan knows which
NAT addresses matter, in one of two ways:

* ``insights``: one CloudWatch Logs Insights query (``natless.audit.flowlogs.insights_query``)
  that makes AWS parse the records and sum the bytes per (source, destination) pair. The cost is
  one query whatever the number of records; the answer grows with distinct address pairs.
  Insights returns at most 10,000 rows, so an answer that fills them is asked again per /24,
  /16 or /8 of the remote side, which always fits (at /8: at most 2 x 256 rows per NAT /8).
* ``stream``: FilterLogEvents, page by page, parsed and aggregated here. Memory stays flat (one
  page of at most 10,000 events at a time); the time grows with the number of records in the
  window. Used where Insights is unavailable or when the user asks.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import botocore.exceptions

from natless.audit.flowlogs import (
    DEFAULT_FORMAT,
    INSIGHTS_PREFIX_LADDER,
    INSIGHTS_ROW_LIMIT,
    Flow,
    flows_from_insights,
    insights_query,
    insights_result_complete,
    is_default_format,
    parse_records,
)
from natless.audit.iam import iam_action
from natless.audit.inventory import (
    FlowLog,
    Function,
    Inventory,
    NatGateway,
    Problem,
    Route,
    RouteTable,
    SecurityGroupEgress,
    Subnet,
    Vpc,
)
from natless.aws import ROUTE_TARGETS, explain
from natless.errors import UserError

Progress = Callable[[str], None]

# Gateway endpoint services the inventory reports (their managed prefix lists are read too).
PREFIX_LIST_SERVICES = ("s3", "dynamodb")
# A page of one metric query: 14 days at one point per day is 14 points, far below GetMetricData's
# 100,800 points per call; a day is also a period CloudWatch keeps for 455 days (1-minute points
# only for 15), so the window can be widened without losing data.
METRIC_PERIOD_S = 86_400
# GetMetricData takes at most 500 queries per call; two per NAT gateway.
NATS_PER_METRIC_CALL = 250
# Where NAT gateways count the bytes they process (see :func:`_nat_bytes`).
NAT_BYTES_METRICS = ("BytesInFromSource", "BytesInFromDestination")
INSIGHTS_TIMEOUT_S = 900.0  # Insights stops a query itself after 60 minutes; natless waits 15
INSIGHTS_POLL_S = 1.0
STREAM_PROGRESS_EVERY = 100_000  # records between two progress lines of the streaming path
LOG_STREAMS_PER_CALL = 100  # FilterLogEvents takes at most 100 logStreamNames
METHODS = ("auto", "insights", "stream")


class FlowLogReadError(UserError):
    """A flow-log call failed (``call`` names it, as in a Problem): the audit can go on without
    the flows, or the CLI prints the message."""

    def __init__(self, call: str, message: str) -> None:
        super().__init__(f"{call}: {message}")
        self.call = call
        self.detail = message


class _Reader:
    """Makes the calls; a failed call is recorded as a Problem and answers None."""

    def __init__(self, session: boto3.session.Session, progress: Progress | None) -> None:
        self.session = session
        self.problems: list[Problem] = []
        self._clients: dict[str, Any] = {}
        self._progress = progress

    def client(self, service: str) -> Any:
        if service not in self._clients:
            self._clients[service] = self.session.client(service)
        return self._clients[service]

    def say(self, text: str) -> None:
        if self._progress is not None:
            self._progress(text)

    def pages(self, service: str, method: str, key: str, **params: Any) -> list[Any] | None:
        """Every item under ``key`` of every page, or None (and a Problem) when the call failed."""
        client = self.client(service)
        call = iam_action(service, client.meta.method_to_api_mapping[method])
        items: list[Any] = []
        try:
            if client.can_paginate(method):
                for page in client.get_paginator(method).paginate(**params):
                    items.extend(page.get(key, []))
            else:
                items.extend(getattr(client, method)(**params).get(key, []))
        except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as exc:
            self.problems.append(Problem(call, explain(exc)))
            return None
        return items


def _vpc_filter(vpc_id: str | None) -> dict[str, Any]:
    return {"Filters": [{"Name": "vpc-id", "Values": [vpc_id]}]} if vpc_id else {}


def collect(
    session: boto3.session.Session,
    *,
    vpc_id: str | None = None,
    window_days: int = 14,
    now: datetime | None = None,
    progress: Progress | None = None,
) -> Inventory:
    """What the audit needs of ``session``'s region: its VPCs (or only ``vpc_id``), their subnets,
    route tables, available NAT gateways with the bytes they processed over the last
    ``window_days`` days up to ``now``, gateway endpoints, egress-only gateways, flow logs and VPC
    functions (with their security groups' egress), and the S3/DynamoDB managed prefix lists.

    A ``vpc_id`` the region does not have is a UserError; an account without VPCs is an
    Inventory without VPCs. Failed calls are in ``problems``.
    """
    region = session.region_name
    if not region:
        raise UserError("no AWS region: pass --region or set AWS_REGION")
    if window_days < 1:
        raise UserError(f"the window must be at least 1 day, got {window_days}")
    end = now or datetime.now(UTC)
    start = end - timedelta(days=window_days)
    reader = _Reader(session, progress)

    reader.say(f"reading the VPCs of {region}")
    vpcs = reader.pages("ec2", "describe_vpcs", "Vpcs", **_vpc_filter(vpc_id))
    if vpc_id and vpcs is not None and not vpcs:
        raise UserError(
            f"VPC {vpc_id} not found in {region}: check the id and the region (--region), "
            "or leave out --vpc to audit every VPC of the region"
        )
    vpcs = sorted(vpcs or [], key=lambda v: v["VpcId"])
    prefix_lists, prefix_list_ids = _prefix_lists(reader, region)
    if not vpcs:
        return Inventory(
            region, window_days, (), prefix_lists, prefix_list_ids, tuple(reader.problems)
        )

    reader.say("reading subnets, route tables, NAT gateways, endpoints and flow logs")
    only = _vpc_filter(vpc_id)
    subnets = reader.pages("ec2", "describe_subnets", "Subnets", **only) or []
    tables = reader.pages("ec2", "describe_route_tables", "RouteTables", **only) or []
    nat_filters = [{"Name": "state", "Values": ["available"]}]
    if vpc_id:
        nat_filters.append({"Name": "vpc-id", "Values": [vpc_id]})
    nats = reader.pages("ec2", "describe_nat_gateways", "NatGateways", Filter=nat_filters) or []
    endpoints = reader.pages("ec2", "describe_vpc_endpoints", "VpcEndpoints", **only) or []
    eigws = (
        reader.pages("ec2", "describe_egress_only_internet_gateways", "EgressOnlyInternetGateways")
        or []
    )
    flow_logs = reader.pages("ec2", "describe_flow_logs", "FlowLogs") or []

    reader.say("reading the Lambda functions")
    functions = reader.pages("lambda", "list_functions", "Functions") or []

    subnet_vpc = {s["SubnetId"]: s["VpcId"] for s in subnets}
    # A function's VPC is its subnets' (VpcConfig.VpcId is not read: the emulator fakes it).
    in_vpc = [
        f
        for f in functions
        if (f.get("VpcConfig") or {}).get("SubnetIds")
        and f["VpcConfig"]["SubnetIds"][0] in subnet_vpc
    ]
    group_ids = sorted({g for f in in_vpc for g in f["VpcConfig"].get("SecurityGroupIds", [])})
    groups = _security_groups(reader, group_ids)

    reader.say(f"reading {len(nats)} NAT gateways' bytes over {window_days} days (CloudWatch)")
    nat_bytes = _nat_bytes(reader, [n["NatGatewayId"] for n in nats], start, end)

    nat_vpc = {
        address["NetworkInterfaceId"]: nat["VpcId"]
        for nat in nats
        for address in nat.get("NatGatewayAddresses", [])
        if address.get("NetworkInterfaceId")
    }
    resource_vpc = {**subnet_vpc, **nat_vpc, **{v["VpcId"]: v["VpcId"] for v in vpcs}}
    built = tuple(
        _vpc(
            vpc,
            subnets=[s for s in subnets if s["VpcId"] == vpc["VpcId"]],
            tables=[t for t in tables if t["VpcId"] == vpc["VpcId"]],
            nats=[n for n in nats if n["VpcId"] == vpc["VpcId"]],
            nat_bytes=nat_bytes,
            endpoints=[e for e in endpoints if e["VpcId"] == vpc["VpcId"]],
            eigws=[
                g
                for g in eigws
                if any(a.get("VpcId") == vpc["VpcId"] for a in g.get("Attachments", []))
            ],
            flow_logs=[
                f for f in flow_logs if resource_vpc.get(f.get("ResourceId", "")) == vpc["VpcId"]
            ],
            functions=[
                f for f in in_vpc if subnet_vpc.get(f["VpcConfig"]["SubnetIds"][0]) == vpc["VpcId"]
            ],
            groups=groups,
        )
        for vpc in vpcs
    )
    return Inventory(
        region, window_days, built, prefix_lists, prefix_list_ids, tuple(reader.problems)
    )


def _prefix_lists(
    reader: _Reader, region: str
) -> tuple[dict[str, tuple[str, ...]], dict[str, str]]:
    """The CIDRs of the region's S3 and DynamoDB managed prefix lists (what a gateway endpoint
    routes), read from GetManagedPrefixListEntries: DescribePrefixLists' Cidrs is not read, as
    the emulator leaves it empty and the entries are the documented source."""
    names = {f"com.amazonaws.{region}.{service}": service for service in PREFIX_LIST_SERVICES}
    found = reader.pages(
        "ec2",
        "describe_managed_prefix_lists",
        "PrefixLists",
        Filters=[{"Name": "prefix-list-name", "Values": sorted(names)}],
    )
    cidrs: dict[str, tuple[str, ...]] = {}
    ids: dict[str, str] = {}
    for prefix_list in sorted(found or [], key=lambda p: p["PrefixListName"]):
        service = names.get(prefix_list["PrefixListName"])
        if service is None or service in ids:
            continue
        ids[service] = prefix_list["PrefixListId"]
        entries = reader.pages(
            "ec2",
            "get_managed_prefix_list_entries",
            "Entries",
            PrefixListId=prefix_list["PrefixListId"],
        )
        cidrs[service] = tuple(sorted(e["Cidr"] for e in entries or []))
    return cidrs, ids


def _security_groups(reader: _Reader, group_ids: list[str]) -> dict[str, SecurityGroupEgress]:
    groups: dict[str, SecurityGroupEgress] = {}
    # A filter, not GroupIds: a group deleted since the function was configured is then simply
    # absent instead of failing the whole call. At most 200 filter values per call.
    for i in range(0, len(group_ids), 200):
        found = reader.pages(
            "ec2",
            "describe_security_groups",
            "SecurityGroups",
            Filters=[{"Name": "group-id", "Values": group_ids[i : i + 200]}],
        )
        for group in found or []:
            groups[group["GroupId"]] = _egress(group)
    return groups


def _egress(group: dict[str, Any]) -> SecurityGroupEgress:
    rules = group.get("IpPermissionsEgress", [])
    ports = []
    for rule in rules:
        protocol = str(rule.get("IpProtocol", "-1"))
        if protocol == "-1":
            ports.append((protocol, None, None))
        else:
            ports.append((protocol, rule.get("FromPort"), rule.get("ToPort")))
    return SecurityGroupEgress(
        group_id=group["GroupId"],
        ipv4_cidrs=tuple(r["CidrIp"] for rule in rules for r in rule.get("IpRanges", [])),
        ipv6_cidrs=tuple(r["CidrIpv6"] for rule in rules for r in rule.get("Ipv6Ranges", [])),
        prefix_list_ids=tuple(
            p["PrefixListId"] for rule in rules for p in rule.get("PrefixListIds", [])
        ),
        ports=tuple(ports),
    )


def _nat_bytes(
    reader: _Reader, nat_ids: list[str], start: datetime, end: datetime
) -> dict[str, int | None]:
    """Bytes each NAT gateway processed from ``start`` to ``end`` (None: the call failed).

    Processed bytes are ``BytesInFromSource + BytesInFromDestination``: every byte a NAT gateway
    forwards enters it exactly once, from a client inside the VPC (BytesInFromSource) or back
    from the destination (BytesInFromDestination), and AWS charges NAT data processing per GB
    in either direction. The two ``BytesOut*`` metrics are the same bytes leaving again (less
    what the gateway dropped), so adding them would count each byte twice. Metric names and
    meanings: https://docs.aws.amazon.com/vpc/latest/userguide/metrics-dimensions-nat-gateway.html
    """
    totals: dict[str, int | None] = {}
    for i in range(0, len(nat_ids), NATS_PER_METRIC_CALL):
        batch = nat_ids[i : i + NATS_PER_METRIC_CALL]
        queries = [
            {
                "Id": f"m{index}_{m}",
                "MetricStat": {
                    "Metric": {
                        "Namespace": "AWS/NATGateway",
                        "MetricName": metric,
                        "Dimensions": [{"Name": "NatGatewayId", "Value": nat_id}],
                    },
                    "Period": METRIC_PERIOD_S,
                    "Stat": "Sum",
                    "Unit": "Bytes",
                },
                "ReturnData": True,
            }
            for index, nat_id in enumerate(batch)
            for m, metric in enumerate(NAT_BYTES_METRICS)
        ]
        results = reader.pages(
            "cloudwatch",
            "get_metric_data",
            "MetricDataResults",
            MetricDataQueries=queries,
            StartTime=start,
            EndTime=end,
        )
        if results is None:
            totals.update(dict.fromkeys(batch))
            continue
        sums = dict.fromkeys((q["Id"] for q in queries), 0.0)
        for result in results:
            sums[result["Id"]] += sum(result.get("Values", []))
        for index, nat_id in enumerate(batch):
            totals[nat_id] = round(
                sum(sums[f"m{index}_{m}"] for m in range(len(NAT_BYTES_METRICS)))
            )
    return totals


def _route(route: dict[str, Any]) -> Route:
    destination = (
        route.get("DestinationCidrBlock")
        or route.get("DestinationIpv6CidrBlock")
        or route.get("DestinationPrefixListId")
        or "?"
    )
    target = next((route[key] for key in ROUTE_TARGETS if route.get(key)), "?")
    return Route(destination, target)


def _vpc(
    vpc: dict[str, Any],
    *,
    subnets: list[dict[str, Any]],
    tables: list[dict[str, Any]],
    nats: list[dict[str, Any]],
    nat_bytes: dict[str, int | None],
    endpoints: list[dict[str, Any]],
    eigws: list[dict[str, Any]],
    flow_logs: list[dict[str, Any]],
    functions: list[dict[str, Any]],
    groups: dict[str, SecurityGroupEgress],
) -> Vpc:
    main_table = next(
        (
            t["RouteTableId"]
            for t in tables
            if any(a.get("Main") for a in t.get("Associations", []))
        ),
        "",
    )
    explicit = {
        a["SubnetId"]: t["RouteTableId"]
        for t in tables
        for a in t.get("Associations", [])
        if a.get("SubnetId")
    }
    subnet_az = {s["SubnetId"]: s["AvailabilityZone"] for s in subnets}
    built_subnets = tuple(
        Subnet(
            id=s["SubnetId"],
            az=s["AvailabilityZone"],
            ipv4_cidr=s["CidrBlock"],
            ipv6_cidr=next(
                (
                    a["Ipv6CidrBlock"]
                    for a in s.get("Ipv6CidrBlockAssociationSet", [])
                    if a.get("Ipv6CidrBlockState", {}).get("State") == "associated"
                ),
                None,
            ),
            route_table_id=explicit.get(s["SubnetId"], main_table),
        )
        for s in sorted(subnets, key=lambda s: (s["AvailabilityZone"], s["CidrBlock"]))
    )
    built_tables = tuple(
        RouteTable(
            id=t["RouteTableId"],
            routes=tuple(_route(r) for r in t.get("Routes", [])),
            subnet_ids=tuple(
                sorted(a["SubnetId"] for a in t.get("Associations", []) if a.get("SubnetId"))
            ),
            main=t["RouteTableId"] == main_table,
        )
        for t in sorted(tables, key=lambda t: t["RouteTableId"])
    )
    built_nats = tuple(
        NatGateway(
            id=n["NatGatewayId"],
            subnet_id=n["SubnetId"],
            az=subnet_az.get(n["SubnetId"], ""),
            private_ips=tuple(
                a["PrivateIp"] for a in n.get("NatGatewayAddresses", []) if a.get("PrivateIp")
            ),
            public_ips=tuple(
                a["PublicIp"] for a in n.get("NatGatewayAddresses", []) if a.get("PublicIp")
            ),
            network_interface_ids=tuple(
                a["NetworkInterfaceId"]
                for a in n.get("NatGatewayAddresses", [])
                if a.get("NetworkInterfaceId")
            ),
            connectivity=n.get("ConnectivityType", "public"),
            bytes_processed=nat_bytes.get(n["NatGatewayId"]),
        )
        for n in sorted(nats, key=lambda n: (subnet_az.get(n["SubnetId"], ""), n["NatGatewayId"]))
    )
    gateway_endpoints: dict[str, str] = {}
    for endpoint in sorted(endpoints, key=lambda e: e["VpcEndpointId"]):
        if endpoint.get("VpcEndpointType") != "Gateway":
            continue
        if str(endpoint.get("State", "available")).lower() != "available":
            continue
        service = endpoint["ServiceName"].rsplit(".", 1)[-1]
        gateway_endpoints.setdefault(service, endpoint["VpcEndpointId"])
    built_functions = tuple(
        _function(f) for f in sorted(functions, key=lambda f: f["FunctionName"])
    )
    wanted_groups = {g for f in built_functions for g in f.security_group_ids}
    return Vpc(
        id=vpc["VpcId"],
        ipv4_cidrs=tuple(
            a["CidrBlock"]
            for a in vpc.get("CidrBlockAssociationSet", [{"CidrBlock": vpc["CidrBlock"]}])
            if a.get("CidrBlockState", {}).get("State", "associated") == "associated"
        ),
        ipv6_cidrs=tuple(
            a["Ipv6CidrBlock"]
            for a in vpc.get("Ipv6CidrBlockAssociationSet", [])
            if a.get("Ipv6CidrBlockState", {}).get("State") == "associated"
        ),
        subnets=built_subnets,
        route_tables=built_tables,
        nat_gateways=built_nats,
        gateway_endpoints=gateway_endpoints,
        flow_logs=tuple(_flow_log(f) for f in sorted(flow_logs, key=lambda f: f["FlowLogId"])),
        functions=built_functions,
        security_groups={g: groups[g] for g in sorted(wanted_groups) if g in groups},
        egress_only_gateway_ids=tuple(sorted(g["EgressOnlyInternetGatewayId"] for g in eigws)),
    )


def _function(function: dict[str, Any]) -> Function:
    config = function["VpcConfig"]
    return Function(
        name=function["FunctionName"],
        arn=function["FunctionArn"],
        runtime=function.get("Runtime"),
        subnet_ids=tuple(config.get("SubnetIds", [])),
        security_group_ids=tuple(config.get("SecurityGroupIds", [])),
        ipv6_allowed_for_dual_stack=bool(config.get("Ipv6AllowedForDualStack", False)),
        environment=dict((function.get("Environment") or {}).get("Variables") or {}),
    )


def _flow_log(flow_log: dict[str, Any]) -> FlowLog:
    return FlowLog(
        id=flow_log["FlowLogId"],
        resource_id=flow_log.get("ResourceId", ""),
        destination_type=flow_log.get("LogDestinationType", "cloud-watch-logs"),
        log_group=flow_log.get("LogGroupName"),
        log_format=flow_log.get("LogFormat") or DEFAULT_FORMAT,
        traffic_type=flow_log.get("TrafficType", "ALL"),
    )


# --- flow-log records ---------------------------------------------------------------------------


def flow_log_flows(
    session: boto3.session.Session,
    flow_log: FlowLog,
    nat_private_ips: Sequence[str],
    *,
    start: datetime,
    end: datetime,
    method: str = "auto",
    progress: Progress | None = None,
    interface_ids: Sequence[str] = (),
    vpc_cidrs: Sequence[str] = (),
    insights_timeout_s: float = INSIGHTS_TIMEOUT_S,
) -> tuple[str, Iterator[Flow]]:
    """The flows of ``flow_log`` from ``start`` to ``end``, and how they were read.

    ``method``: "insights" (one Logs Insights query, summed by AWS), "stream" (every record read
    with FilterLogEvents and parsed here) or "auto" (insights; stream when the query could not
    run or the query service did not run its parse/stats, and the returned method then says
    why). An Insights answer that fills the row limit is asked again one step coarser (per /24,
    /16, /8 of the remote side, :data:`natless.audit.flowlogs.INSIGHTS_PREFIX_LADDER`); the
    method then says "insights (per /24 ...)".

    ``interface_ids``: the NAT gateways' network interfaces; when given, streaming reads only
    their log streams (flow logs write one stream per interface, named after it), which hold
    every record with a NAT address. ``vpc_cidrs``: the VPC's CIDRs; when given, the Insights
    query also drops the inside legs on AWS's side (fewer result rows, same figures), which the
    coarser queries need: without them a full answer is not asked again ("auto" streams).

    A failed call raises :class:`FlowLogReadError` naming it (for "stream", while iterating).
    """
    if method not in METHODS:
        raise UserError(f"unknown flow-log method {method!r}; choose one of {', '.join(METHODS)}")
    if flow_log.destination_type != "cloud-watch-logs" or not flow_log.log_group:
        raise UserError(
            f"flow log {flow_log.id} delivers to {flow_log.destination_type}; natless reads flow "
            "logs from CloudWatch Logs only: add a flow log to a CloudWatch Logs log group"
        )
    if not is_default_format(flow_log.log_format):
        raise UserError(
            f"flow log {flow_log.id} uses a custom format ({flow_log.log_format}); natless reads "
            "AWS's default format (version 2) only: add a flow log with the default format"
        )
    if end <= start:
        raise UserError(f"the flow-log window ends ({end}) before it starts ({start})")
    logs = session.client("logs")
    group = flow_log.log_group
    if method == "stream":
        return "stream", _stream(logs, group, interface_ids, start, end, progress)
    reason: str | None = None
    for prefix in INSIGHTS_PREFIX_LADDER:
        query = insights_query(nat_private_ips, vpc_cidrs=vpc_cidrs, ipv4_prefix=prefix)
        try:
            rows = _insights_rows(logs, group, query, start, end, insights_timeout_s, progress)
        except FlowLogReadError as exc:
            if method == "insights":
                raise
            reason = str(exc)
            break
        reason = _why_not_stats(rows)
        if reason is not None:
            if method == "insights":
                raise FlowLogReadError("logs:GetQueryResults", reason)
            break
        complete = insights_result_complete(len(rows))
        if not complete and not vpc_cidrs:
            # Coarse rows cannot tell an inside leg (client to NAT) from an internet leg when
            # the client's and the NAT's prefixes are one: the query must drop them itself.
            reason = (
                f"the answer filled Insights' {INSIGHTS_ROW_LIMIT:,} rows and the VPC's CIDRs "
                "were not given for a coarser query"
            )
            if method == "insights":
                raise FlowLogReadError("logs:GetQueryResults", reason)
            break
        if complete or prefix == INSIGHTS_PREFIX_LADDER[-1]:
            used = (
                "insights"
                if prefix is None
                else (
                    f"insights (per /{prefix} of the remote side: the exact answer filled "
                    f"{INSIGHTS_ROW_LIMIT:,} rows)"
                )
            )
            return used, flows_from_insights(rows, nat_private_ips=nat_private_ips)
    return (
        f"stream (Insights not used: {reason})",
        _stream(logs, group, interface_ids, start, end, progress),
    )


def _why_not_stats(rows: list[list[dict[str, str]]]) -> str | None:
    """None when ``rows`` are a stats answer (or empty); else why they cannot be used: a query
    service that does not run parse/stats answers with the raw records (@message, @ptr)."""
    for row in rows:
        fields = {cell.get("field") for cell in row}
        if "bytes" not in fields and "sum(bytes)" not in fields:
            return (
                "the query service answered without the query's sum(bytes): it did not run "
                "the query's parse/stats"
            )
    return None


def _insights_rows(
    logs: Any,
    group: str,
    query: str,
    start: datetime,
    end: datetime,
    timeout_s: float,
    progress: Progress | None,
) -> list[list[dict[str, str]]]:
    try:
        query_id = logs.start_query(
            logGroupName=group,
            startTime=int(start.timestamp()),
            endTime=int(end.timestamp()),
            queryString=query,
            limit=INSIGHTS_ROW_LIMIT,
        )["queryId"]
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as exc:
        raise FlowLogReadError("logs:StartQuery", explain(exc)) from None
    if progress is not None:
        progress(f"Logs Insights query {query_id} on {group} started")
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            answer = logs.get_query_results(queryId=query_id)
        except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as exc:
            raise FlowLogReadError("logs:GetQueryResults", explain(exc)) from None
        status = answer.get("status")
        if status == "Complete":
            return list(answer.get("results", []))
        if status in ("Failed", "Cancelled", "Timeout", "Unknown"):
            raise FlowLogReadError(
                "logs:GetQueryResults", f"Logs Insights query {query_id} ended {status}"
            )
        if time.monotonic() >= deadline:
            raise FlowLogReadError(
                "logs:GetQueryResults",
                f"Logs Insights query {query_id} did not finish within {timeout_s:.0f} s "
                f"(still {status}); shorten the window or read the records by streaming",
            )
        time.sleep(INSIGHTS_POLL_S)


def _stream(
    logs: Any,
    group: str,
    interface_ids: Sequence[str],
    start: datetime,
    end: datetime,
    progress: Progress | None,
) -> Iterator[Flow]:
    return parse_records(_messages(logs, group, interface_ids, start, end, progress))


def _stream_names(logs: Any, group: str, interface_ids: Sequence[str]) -> list[str]:
    names: list[str] = []
    try:
        for interface in sorted(set(interface_ids)):
            pages = logs.get_paginator("describe_log_streams").paginate(
                logGroupName=group, logStreamNamePrefix=interface
            )
            names.extend(s["logStreamName"] for page in pages for s in page.get("logStreams", []))
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as exc:
        raise FlowLogReadError("logs:DescribeLogStreams", explain(exc)) from None
    return sorted(set(names))


def _messages(
    logs: Any,
    group: str,
    interface_ids: Sequence[str],
    start: datetime,
    end: datetime,
    progress: Progress | None,
) -> Iterator[str]:
    """Every record's text, page by page: one page (at most 10,000 events) in memory at a time."""
    window = {"startTime": int(start.timestamp() * 1000), "endTime": int(end.timestamp() * 1000)}
    if interface_ids:
        names = _stream_names(logs, group, interface_ids)
        if not names:
            return
        selections: Iterable[dict[str, Any]] = (
            {"logStreamNames": names[i : i + LOG_STREAMS_PER_CALL]}
            for i in range(0, len(names), LOG_STREAMS_PER_CALL)
        )
    else:
        selections = ({},)
    count = 0
    paginator = logs.get_paginator("filter_log_events")
    try:
        for selection in selections:
            for page in paginator.paginate(logGroupName=group, **window, **selection):
                for event in page.get("events", []):
                    yield event["message"]
                    count += 1
                    if progress is not None and count % STREAM_PROGRESS_EVERY == 0:
                        progress(f"{count:,} flow-log records read")
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as exc:
        raise FlowLogReadError("logs:FilterLogEvents", explain(exc)) from None
    if progress is not None:
        progress(f"{count:,} flow-log records read")
