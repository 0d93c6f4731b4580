"""An account seeded as real ones look, for `natless audit` tests on the emulator.

:func:`seed_account` builds, with boto3 directly (seconds, no Terraform), what
terraform-aws-modules/vpc makes by default plus two VPC functions and a flow log:

* VPC 10.0.0.0/16 (IPv4 only), in two AZs: public subnets 10.0.101.0/24, 10.0.102.0/24 routed to an
  internet gateway, private subnets 10.0.1.0/24, 10.0.2.0/24 each with a route table whose
  0.0.0.0/0 goes to the NAT gateway (with an Elastic IP) of its AZ; no gateway endpoints;
* a VPC flow log (all traffic, AWS's default format, version 2) to a CloudWatch Logs group;
* two functions in both private subnets, sharing one security group (egress to all):
  ``natless-audit-dualstack`` (Python) talks only to destinations with IPv6 (S3, DynamoDB, SQS,
  an IPv6-capable host); ``natless-audit-ipv4api`` (Node.js) calls an IPv4-only API host.

:func:`emit_traffic` turns a workload, bytes per (function, destination), into what AWS would
record: NAT metrics (PutMetricData, AWS/NATGateway by NatGatewayId) and flow-log records
(PutLogEvents, default format) on the NAT's and the function's network interfaces. It follows
the route tables as they are NOW in the emulator, by longest-prefix match with prefix lists
expanded: a flow crosses a NAT only when its subnet's table sends the destination to a nat-
target. So after a gateway endpoint is added, S3 bytes stop crossing the NAT; after a subnet
gets IPv6 and the function may use it, IPv6-capable destinations leave over IPv6.

Destination addresses: S3 and DynamoDB from the region's managed prefix lists (as the emulator
gives them), SQS from an AMAZON range of the shipped ip-ranges snapshot (outside both lists),
the hosts from documentation ranges (198.51.100.0/24, 203.0.113.0/24, 2001:db8::/32).
"""

from __future__ import annotations

import io
import ipaddress
import json
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import boto3

from natless.audit.ipranges import load_ip_ranges
from natless.errors import UserError

VPC_CIDR = "10.0.0.0/16"
PUBLIC_CIDRS = ("10.0.101.0/24", "10.0.102.0/24")
PRIVATE_CIDRS = ("10.0.1.0/24", "10.0.2.0/24")
DUALSTACK_FUNCTION = "natless-audit-dualstack"
IPV4_API_FUNCTION = "natless-audit-ipv4api"
IPV4_ONLY_HOST = "api.ipv4-only.example"
IPV6_HOST = "www.dual-stack.example"
SQS_FALLBACK = "52.94.228.10"  # outside the emulator's DynamoDB list (52.94.0.0/22)
# Of each flow's bytes, this share is the request (function -> destination), the rest the answer.
SENT_SHARE_DENOMINATOR = 4

# What the functions send: bytes per (function, destination key) over one emit_traffic window.
# Every figure is a multiple of 16, so the split over two subnets, into request and answer, and
# into two records per leg is exact.
DEFAULT_WORKLOAD: dict[tuple[str, str], int] = {
    (DUALSTACK_FUNCTION, "s3"): 40_000_000_000,
    (DUALSTACK_FUNCTION, "dynamodb"): 12_000_000_000,
    (DUALSTACK_FUNCTION, "sqs"): 4_000_000_000,
    (DUALSTACK_FUNCTION, "ipv6_host"): 2_000_000_000,
    (IPV4_API_FUNCTION, "ipv4_host"): 6_000_000_000,
}


@dataclass(frozen=True)
class Destination:
    key: str  # "s3", "dynamodb", "sqs", "ipv4_host", "ipv6_host"
    label: str
    traffic_class: str  # its true class (natless.cost.traffic.TRAFFIC_CLASSES)
    ipv4: str
    ipv6: str | None  # None: reachable over IPv4 only
    host: str | None  # the name a function calls (for the hosts)
    service: str | None  # natless's catalog name (for the AWS services)


@dataclass(frozen=True)
class SeededFunction:
    name: str
    arn: str
    runtime: str
    subnet_ids: tuple[str, ...]
    security_group_ids: tuple[str, ...]
    environment: dict[str, str]
    # Per subnet, the function's (Hyperplane) network interface: (eni id, private IPv4).
    interfaces: dict[str, tuple[str, str]]


@dataclass(frozen=True)
class Seeded:
    region: str
    account_id: str
    vpc_id: str
    vpc_cidr: str
    azs: tuple[str, str]
    igw_id: str
    public_subnet_ids: tuple[str, str]  # by AZ, in the order of azs
    private_subnet_ids: tuple[str, str]
    public_route_table_id: str
    private_route_table_ids: tuple[str, str]
    nat_gateway_ids: tuple[str, str]
    nat_private_ips: dict[str, str]  # nat id -> private IP
    nat_public_ips: dict[str, str]
    nat_interface_ids: dict[str, str]  # nat id -> eni
    security_group_id: str
    role_arn: str
    log_group: str
    flow_log_id: str
    functions: dict[str, SeededFunction]
    destinations: dict[str, Destination]
    prefix_lists: dict[str, tuple[str, ...]]  # "s3"/"dynamodb" -> CIDRs
    prefix_list_ids: dict[str, str]
    # What a `--resolve` lookup would find, for classifier tests: address -> catalog service,
    # and address -> whether its host has an AAAA record.
    services_by_address: dict[str, str]
    has_ipv6: dict[str, bool]

    def nat_by_az(self, az: str) -> str:
        return self.nat_gateway_ids[self.azs.index(az)]


@dataclass(frozen=True)
class Expected:
    """What an audit of the emit_traffic window must report."""

    start: datetime
    end: datetime
    # NAT id -> bytes it processed (BytesInFromSource + BytesInFromDestination); 0 for a NAT
    # nothing crossed (its metrics are still written, as AWS writes zeros).
    nat_bytes: dict[str, int]
    # Bytes that crossed a NAT, per remote address (what flowlogs.nat_bytes_by_remote must give).
    bytes_by_remote: dict[str, int]
    # Bytes that crossed a NAT, per destination key and per true traffic class (all classes).
    bytes_by_destination: dict[str, int]
    bytes_by_class: dict[str, int]
    # Bytes per (function, destination key) and the way they left: "nat-..", "vpce-..",
    # "eigw-..", "igw-..".
    ways: dict[tuple[str, str], dict[str, int]] = field(default_factory=dict)
    records: int = 0  # flow-log records written


def _client_factory(session_or_kwargs: Any, region: str | None = None):  # type: ignore[no-untyped-def]
    if isinstance(session_or_kwargs, boto3.session.Session):
        session = session_or_kwargs
        if region and session.region_name != region:
            raise ValueError(f"session is for {session.region_name}, not {region}")
        return session.client
    kwargs = {**session_or_kwargs, **({"region_name": region} if region else {})}
    return lambda service: boto3.client(service, **kwargs)


def _zip() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("handler.py", "def handler(event, context):\n    return 1\n")
    return buf.getvalue()


def _prefix_lists(ec2: Any, region: str) -> tuple[dict[str, tuple[str, ...]], dict[str, str]]:
    cidrs: dict[str, tuple[str, ...]] = {}
    ids: dict[str, str] = {}
    for service in ("s3", "dynamodb"):
        (found,) = ec2.describe_managed_prefix_lists(
            Filters=[{"Name": "prefix-list-name", "Values": [f"com.amazonaws.{region}.{service}"]}]
        )["PrefixLists"]
        ids[service] = found["PrefixListId"]
        entries = ec2.get_managed_prefix_list_entries(PrefixListId=found["PrefixListId"])
        cidrs[service] = tuple(sorted(e["Cidr"] for e in entries["Entries"]))
    return cidrs, ids


def _sqs_address(region: str, prefix_lists: Mapping[str, tuple[str, ...]]) -> str:
    """An address in an AMAZON-only IPv4 range of the region (no other service's range holds
    it) and outside the S3/DynamoDB prefix lists: how an SQS endpoint looks in ip-ranges.json.
    The snapshot covers a few regions; elsewhere SQS_FALLBACK."""
    try:
        _, ranges = load_ip_ranges(region)
    except UserError:  # a region the snapshot does not cover: an address AWS announces as AMAZON
        return SQS_FALLBACK
    listed = [ipaddress.ip_network(c) for cs in prefix_lists.values() for c in cs]
    others = [ipaddress.ip_network(c) for c, s in ranges if s != "AMAZON"]
    for cidr, service in sorted(ranges):
        net = ipaddress.ip_network(cidr)
        if service != "AMAZON" or net.version != 4 or net.num_addresses < 256:
            continue
        address = net.network_address + 10
        if not any(address in n for n in listed + others):
            return str(address)
    raise AssertionError(f"no AMAZON-only range in the ip-ranges snapshot for {region}")


def _destinations(
    region: str, prefix_lists: Mapping[str, tuple[str, ...]]
) -> dict[str, Destination]:
    def first(service: str) -> str:
        return str(ipaddress.ip_network(prefix_lists[service][0]).network_address + 10)

    sqs = _sqs_address(region, prefix_lists)
    return {
        "s3": Destination("s3", "S3", "s3", first("s3"), "2600:1fa0:4000::10", None, "s3"),
        "dynamodb": Destination(
            "dynamodb",
            "DynamoDB",
            "dynamodb",
            first("dynamodb"),
            "2600:1f18:4000::10",
            None,
            "dynamodb",
        ),
        "sqs": Destination("sqs", "SQS", "aws_ipv6", sqs, "2600:1f18:4001::10", None, "sqs"),
        "ipv4_host": Destination(
            "ipv4_host",
            IPV4_ONLY_HOST,
            "internet_ipv4_only",
            "198.51.100.10",
            None,
            IPV4_ONLY_HOST,
            None,
        ),
        "ipv6_host": Destination(
            "ipv6_host",
            IPV6_HOST,
            "internet_ipv6",
            "203.0.113.10",
            "2001:db8::10",
            IPV6_HOST,
            None,
        ),
    }


def seed_account(session_or_kwargs: Any, *, region: str) -> Seeded:
    """Create the seeded account's resources in ``region`` (a region nothing else uses, so the
    audit's figures are exactly the seeded ones). ``session_or_kwargs``: a boto3 Session for
    ``region`` or ``Emulator.client_kwargs()`` (its region is replaced)."""
    client = _client_factory(session_or_kwargs, region)
    ec2, iam, logs, lam, sts = (client(s) for s in ("ec2", "iam", "logs", "lambda", "sts"))
    account_id = sts.get_caller_identity()["Account"]
    azs = (f"{region}a", f"{region}b")

    vpc_id = ec2.create_vpc(CidrBlock=VPC_CIDR)["Vpc"]["VpcId"]
    ec2.modify_vpc_attribute(VpcId=vpc_id, EnableDnsHostnames={"Value": True})
    igw = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
    ec2.attach_internet_gateway(InternetGatewayId=igw, VpcId=vpc_id)

    public = tuple(
        ec2.create_subnet(VpcId=vpc_id, CidrBlock=cidr, AvailabilityZone=az)["Subnet"]["SubnetId"]
        for cidr, az in zip(PUBLIC_CIDRS, azs, strict=True)
    )
    private = tuple(
        ec2.create_subnet(VpcId=vpc_id, CidrBlock=cidr, AvailabilityZone=az)["Subnet"]["SubnetId"]
        for cidr, az in zip(PRIVATE_CIDRS, azs, strict=True)
    )
    public_rtb = ec2.create_route_table(VpcId=vpc_id)["RouteTable"]["RouteTableId"]
    ec2.create_route(RouteTableId=public_rtb, DestinationCidrBlock="0.0.0.0/0", GatewayId=igw)
    for subnet in public:
        ec2.associate_route_table(RouteTableId=public_rtb, SubnetId=subnet)

    nat_ids: list[str] = []
    private_rtbs: list[str] = []
    for subnet_public, subnet_private in zip(public, private, strict=True):
        allocation = ec2.allocate_address(Domain="vpc")["AllocationId"]
        nat = ec2.create_nat_gateway(SubnetId=subnet_public, AllocationId=allocation)
        nat_ids.append(nat["NatGateway"]["NatGatewayId"])
        rtb = ec2.create_route_table(VpcId=vpc_id)["RouteTable"]["RouteTableId"]
        ec2.create_route(
            RouteTableId=rtb, DestinationCidrBlock="0.0.0.0/0", NatGatewayId=nat_ids[-1]
        )
        ec2.associate_route_table(RouteTableId=rtb, SubnetId=subnet_private)
        private_rtbs.append(rtb)
    nats = ec2.describe_nat_gateways(NatGatewayIds=nat_ids)["NatGateways"]
    addresses = {n["NatGatewayId"]: n["NatGatewayAddresses"][0] for n in nats}

    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": ["lambda.amazonaws.com", "vpc-flow-logs.amazonaws.com"]},
                "Action": "sts:AssumeRole",
            }
        ],
    }
    role_arn = iam.create_role(
        RoleName=f"natless-audit-seed-{region}", AssumeRolePolicyDocument=json.dumps(trust)
    )["Role"]["Arn"]

    log_group = f"/natless/audit-seed/{vpc_id}/flow-logs"
    logs.create_log_group(logGroupName=log_group)
    flow = ec2.create_flow_logs(
        ResourceIds=[vpc_id],
        ResourceType="VPC",
        TrafficType="ALL",
        LogDestinationType="cloud-watch-logs",
        LogGroupName=log_group,
        DeliverLogsPermissionArn=role_arn,
    )
    (flow_log_id,) = flow["FlowLogIds"]

    group = ec2.create_security_group(
        GroupName="natless-audit-functions", Description="the seeded functions", VpcId=vpc_id
    )["GroupId"]  # the default egress rule: all traffic to 0.0.0.0/0

    specs = (
        (DUALSTACK_FUNCTION, "python3.12", {"BUCKET": "natless-audit-data", "TABLE": "orders"}),
        (IPV4_API_FUNCTION, "nodejs20.x", {"API_URL": f"https://{IPV4_ONLY_HOST}/v1"}),
    )
    functions: dict[str, SeededFunction] = {}
    nat_ips = {a["PrivateIp"] for a in addresses.values()}
    for name, runtime, environment in specs:
        arn = lam.create_function(
            FunctionName=name,
            Runtime=runtime,
            Role=role_arn,
            Handler="handler.handler",
            Code={"ZipFile": _zip()},
            Environment={"Variables": environment},
            VpcConfig={"SubnetIds": list(private), "SecurityGroupIds": [group]},
        )["FunctionArn"]
        interfaces = {}
        for subnet in private:
            eni = ec2.create_network_interface(
                SubnetId=subnet, Groups=[group], Description=f"AWS Lambda VPC ENI-{name}"
            )["NetworkInterface"]
            assert eni["PrivateIpAddress"] not in nat_ips
            interfaces[subnet] = (eni["NetworkInterfaceId"], eni["PrivateIpAddress"])
        functions[name] = SeededFunction(
            name, arn, runtime, private, (group,), environment, interfaces
        )

    prefix_lists, prefix_list_ids = _prefix_lists(ec2, region)
    destinations = _destinations(region, prefix_lists)
    return Seeded(
        region=region,
        account_id=account_id,
        vpc_id=vpc_id,
        vpc_cidr=VPC_CIDR,
        azs=azs,
        igw_id=igw,
        public_subnet_ids=public,  # type: ignore[arg-type]
        private_subnet_ids=private,  # type: ignore[arg-type]
        public_route_table_id=public_rtb,
        private_route_table_ids=tuple(private_rtbs),  # type: ignore[arg-type]
        nat_gateway_ids=tuple(nat_ids),  # type: ignore[arg-type]
        nat_private_ips={n: a["PrivateIp"] for n, a in addresses.items()},
        nat_public_ips={n: a.get("PublicIp", "") for n, a in addresses.items()},
        nat_interface_ids={n: a["NetworkInterfaceId"] for n, a in addresses.items()},
        security_group_id=group,
        role_arn=role_arn,
        log_group=log_group,
        flow_log_id=flow_log_id,
        functions=functions,
        destinations=destinations,
        prefix_lists=prefix_lists,
        prefix_list_ids=prefix_list_ids,
        services_by_address={
            d.ipv4: d.service for d in destinations.values() if d.service is not None
        },
        has_ipv6={d.ipv4: d.ipv6 is not None for d in destinations.values() if d.host},
    )


# --- traffic --------------------------------------------------------------------------------------


def _routes(
    ec2: Any, table: dict[str, Any], pl_cidrs: dict[str, list[str]]
) -> list[tuple[Any, str]]:
    """(network, target) of every route of ``table``, prefix lists expanded (as the router does)."""
    found = []
    for route in table["Routes"]:
        if route.get("State") == "blackhole":
            continue
        target = (
            route.get("NatGatewayId")
            or route.get("EgressOnlyInternetGatewayId")
            or route.get("GatewayId")
            or route.get("NetworkInterfaceId")
            or route.get("TransitGatewayId")
            or route.get("VpcPeeringConnectionId")
            or "?"
        )
        if route.get("DestinationPrefixListId"):
            pl = route["DestinationPrefixListId"]
            if pl not in pl_cidrs:
                entries = ec2.get_managed_prefix_list_entries(PrefixListId=pl)["Entries"]
                pl_cidrs[pl] = [e["Cidr"] for e in entries]
            found += [(ipaddress.ip_network(c), target) for c in pl_cidrs[pl]]
        for key in ("DestinationCidrBlock", "DestinationIpv6CidrBlock"):
            if route.get(key):
                found.append((ipaddress.ip_network(route[key]), target))
    return found


def _way(routes: list[tuple[Any, str]], address: str) -> str | None:
    ip = ipaddress.ip_address(address)
    matches = [(net, target) for net, target in routes if net.version == ip.version and ip in net]
    if not matches:
        return None
    return max(matches, key=lambda m: m[0].prefixlen)[1]


def _record(
    eni: str, account: str, src: str, dst: str, sport: int, dport: int, nbytes: int, t: int
) -> str:
    packets = max(1, nbytes // 1400)
    return (
        f"2 {account} {eni} {src} {dst} {sport} {dport} 6 {packets} {nbytes} {t} {t + 60} ACCEPT OK"
    )


def _interface(ec2: Any, function: SeededFunction, subnet_id: str) -> tuple[str, str]:
    """The function's network interface in ``subnet_id``: the seeded one, else one found by its
    description, else a new one (a function moved to another subnet gets an interface there)."""
    if subnet_id in function.interfaces:
        return function.interfaces[subnet_id]
    description = f"AWS Lambda VPC ENI-{function.name}"
    found = ec2.describe_network_interfaces(Filters=[{"Name": "subnet-id", "Values": [subnet_id]}])
    for eni in found["NetworkInterfaces"]:
        if eni.get("Description") == description:
            return eni["NetworkInterfaceId"], eni["PrivateIpAddress"]
    eni = ec2.create_network_interface(
        SubnetId=subnet_id, Groups=list(function.security_group_ids), Description=description
    )["NetworkInterface"]
    return eni["NetworkInterfaceId"], eni["PrivateIpAddress"]


def _halves(n: int) -> tuple[int, int]:
    return n // 2, n - n // 2


def emit_traffic(
    session_or_kwargs: Any,
    seeded: Seeded,
    workload: Mapping[tuple[str, str], int] = DEFAULT_WORKLOAD,
    *,
    start: datetime,
    end: datetime,
) -> Expected:
    """Write the records and metrics of ``workload`` (bytes per (function, destination key))
    into the window ``start``..``end`` (at least 2 hours, ending at most 2 hours from now and
    starting at most 14 days ago: what CloudWatch accepts); returns what an audit of that window
    must report. A function's bytes are split evenly over its subnets; each flow is a request
    (a quarter of its bytes) and an answer (the rest), each written as two records (two
    aggregation intervals) per leg.

    Windows of successive calls must not overlap, or the audit sees both.
    """
    if end - start < timedelta(hours=2):
        raise ValueError("the window must be at least 2 hours long")
    client = _client_factory(session_or_kwargs, seeded.region)
    ec2, lam, logs, cw = (client(s) for s in ("ec2", "lambda", "logs", "cloudwatch"))
    tables = ec2.describe_route_tables(Filters=[{"Name": "vpc-id", "Values": [seeded.vpc_id]}])[
        "RouteTables"
    ]
    main = next(t for t in tables if any(a.get("Main") for a in t.get("Associations", [])))
    table_of = {
        a["SubnetId"]: t for t in tables for a in t.get("Associations", []) if a.get("SubnetId")
    }
    subnets = {
        s["SubnetId"]: s
        for s in ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [seeded.vpc_id]}])[
            "Subnets"
        ]
    }
    pl_cidrs: dict[str, list[str]] = {}
    nat_ip = seeded.nat_private_ips
    base = int((end - timedelta(hours=1)).timestamp())  # records in the window's last hour
    records: dict[str, list[tuple[int, str]]] = {}  # eni -> (ms, message)
    sent_by_nat = dict.fromkeys(seeded.nat_gateway_ids, 0)
    received_by_nat = dict.fromkeys(seeded.nat_gateway_ids, 0)
    by_remote: dict[str, int] = {}
    by_destination: dict[str, int] = {}
    ways: dict[tuple[str, str], dict[str, int]] = {}
    port = 40_000
    tick = 0

    def put(eni: str, message: str) -> None:
        nonlocal tick
        tick += 1
        records.setdefault(eni, []).append(((base + tick) * 1000, message))

    for (name, key), total in sorted(workload.items()):
        function = seeded.functions[name]
        destination = seeded.destinations[key]
        config = lam.get_function_configuration(FunctionName=name)["VpcConfig"]
        subnet_ids = config["SubnetIds"]
        share = [total // len(subnet_ids)] * len(subnet_ids)
        share[0] += total - sum(share)
        for subnet_id, nbytes in zip(subnet_ids, share, strict=True):
            subnet = subnets[subnet_id]
            has_ipv6 = any(
                a.get("Ipv6CidrBlockState", {}).get("State") == "associated"
                for a in subnet.get("Ipv6CidrBlockAssociationSet", [])
            )
            use_v6 = bool(destination.ipv6 and has_ipv6 and config.get("Ipv6AllowedForDualStack"))
            remote = destination.ipv6 if use_v6 else destination.ipv4
            assert remote is not None
            routes = _routes(ec2, table_of.get(subnet_id, main), pl_cidrs)
            way = _way(routes, remote) or "none"
            ways.setdefault((name, key), {})
            ways[(name, key)][way] = ways[(name, key)].get(way, 0) + nbytes
            sent = nbytes // SENT_SHARE_DENOMINATOR
            received = nbytes - sent
            port += 1
            t = base + tick
            eni, fn_ip = _interface(ec2, function, subnet_id)
            if not use_v6:  # the function's own interface sees both directions
                for half in _halves(sent):
                    put(eni, _record(eni, seeded.account_id, fn_ip, remote, port, 443, half, t))
                for half in _halves(received):
                    put(eni, _record(eni, seeded.account_id, remote, fn_ip, 443, port, half, t))
            if not way.startswith("nat-"):
                continue
            nat_eni, nip = seeded.nat_interface_ids[way], nat_ip[way]
            account = seeded.account_id
            for half in _halves(sent):  # inside leg in, then the internet leg out
                put(nat_eni, _record(nat_eni, account, fn_ip, remote, port, 443, half, t))
                put(nat_eni, _record(nat_eni, account, nip, remote, port, 443, half, t))
            for half in _halves(received):  # the answer back: internet leg in, inside leg out
                put(nat_eni, _record(nat_eni, account, remote, nip, 443, port, half, t))
                put(nat_eni, _record(nat_eni, account, remote, fn_ip, 443, port, half, t))
            sent_by_nat[way] += sent
            received_by_nat[way] += received
            by_remote[remote] = by_remote.get(remote, 0) + nbytes
            by_destination[key] = by_destination.get(key, 0) + nbytes

    for nat_eni in seeded.nat_interface_ids.values():  # a quiet interval on each NAT
        put(nat_eni, f"2 {seeded.account_id} {nat_eni} - - - - - - - {base} {base + 60} - NODATA")

    count = 0
    for eni, events in sorted(records.items()):
        stream = f"{eni}-all"
        existing = logs.describe_log_streams(
            logGroupName=seeded.log_group, logStreamNamePrefix=stream
        )["logStreams"]
        if not any(s["logStreamName"] == stream for s in existing):
            logs.create_log_stream(logGroupName=seeded.log_group, logStreamName=stream)
        events.sort()
        for i in range(0, len(events), 1000):
            batch = [{"timestamp": ms, "message": m} for ms, m in events[i : i + 1000]]
            logs.put_log_events(
                logGroupName=seeded.log_group, logStreamName=stream, logEvents=batch
            )
        count += len(events)

    stamp = end - timedelta(minutes=30)
    for nat_id in seeded.nat_gateway_ids:
        values = {
            "BytesInFromSource": sent_by_nat[nat_id],
            "BytesOutToDestination": sent_by_nat[nat_id],
            "BytesInFromDestination": received_by_nat[nat_id],
            "BytesOutToSource": received_by_nat[nat_id],
        }
        cw.put_metric_data(
            Namespace="AWS/NATGateway",
            MetricData=[
                {
                    "MetricName": metric,
                    "Dimensions": [{"Name": "NatGatewayId", "Value": nat_id}],
                    "Timestamp": stamp,
                    "Value": float(value),
                    "Unit": "Bytes",
                }
                for metric, value in values.items()
            ],
        )

    by_class = dict.fromkeys(
        ("s3", "dynamodb", "aws_ipv6", "aws_ipv4_only", "internet_ipv6", "internet_ipv4_only"), 0
    )
    for key, nbytes in by_destination.items():
        by_class[seeded.destinations[key].traffic_class] += nbytes
    return Expected(
        start=start,
        end=end,
        nat_bytes={n: sent_by_nat[n] + received_by_nat[n] for n in seeded.nat_gateway_ids},
        bytes_by_remote=by_remote,
        bytes_by_destination=by_destination,
        bytes_by_class=by_class,
        ways=ways,
        records=count,
    )
