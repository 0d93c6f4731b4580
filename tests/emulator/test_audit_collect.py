"""natless.audit.collect on the seeded emulator account: it reads back exactly what was seeded,
both ways of reading flow logs give the seeded bytes, failed calls become Problems, and the calls
a full audit makes are exactly the minimal IAM policy's actions.

The account is seeded once per module into a region of its own (REGION), so tests elsewhere on
the same worker's emulator never see it and it never sees theirs.
"""

from __future__ import annotations

import ipaddress
from datetime import UTC, datetime, timedelta

import boto3
import botocore.awsrequest
import pytest

from natless.audit import flowlogs
from natless.audit.collect import FlowLogReadError, collect, flow_log_flows
from natless.audit.iam import CallRecorder, policy_actions, policy_document, read_only
from natless.audit.inventory import Inventory, Problem, Vpc
from natless.errors import UserError
from tests.support.audit_seed import (
    DEFAULT_WORKLOAD,
    DUALSTACK_FUNCTION,
    IPV4_API_FUNCTION,
    Expected,
    Seeded,
    emit_traffic,
    seed_account,
)

# The seeded account's region: tests/emulator/test_audit.py seeds eu-central-1 and ap-southeast-1,
# and a worker's emulator may hold both modules' accounts at once.
REGION = "us-west-2"
EMPTY_REGION = "sa-east-1"  # nothing is ever created here but by the empty-account test
WINDOW_DAYS = 14


@pytest.fixture(scope="module")
def seeded_account(emulator) -> tuple[Seeded, Expected, datetime]:
    now = datetime.now(UTC).replace(microsecond=0)
    kwargs = emulator.client_kwargs()
    seeded = seed_account(kwargs, region=REGION)
    expected = emit_traffic(
        kwargs, seeded, DEFAULT_WORKLOAD, start=now - timedelta(days=WINDOW_DAYS), end=now
    )
    return seeded, expected, now


def _session(emulator, monkeypatch, region: str = REGION) -> boto3.session.Session:
    monkeypatch.setenv("AWS_ENDPOINT_URL", emulator.url)
    return boto3.session.Session(region_name=region)


@pytest.fixture
def session(fake_aws, emulator, monkeypatch) -> boto3.session.Session:
    return _session(emulator, monkeypatch)


def _seeded_vpc(inventory: Inventory, seeded: Seeded) -> Vpc:
    (vpc,) = [v for v in inventory.vpcs if v.id == seeded.vpc_id]
    return vpc


def _nat_ips(vpc: Vpc) -> list[str]:
    return [ip for nat in vpc.nat_gateways for ip in nat.private_ips]


def test_collect_reads_back_the_seeded_account(session, seeded_account) -> None:
    seeded, expected, now = seeded_account
    inventory = collect(session, vpc_id=seeded.vpc_id, window_days=WINDOW_DAYS, now=now)
    assert inventory.problems == ()
    assert inventory.region == REGION
    (vpc,) = inventory.vpcs
    assert vpc.id == seeded.vpc_id
    assert vpc.ipv4_cidrs == ("10.0.0.0/16",)
    assert vpc.ipv6_cidrs == ()

    subnets = {s.id: s for s in vpc.subnets}
    assert set(subnets) == {*seeded.public_subnet_ids, *seeded.private_subnet_ids}
    for az, public, private, table in zip(
        seeded.azs,
        seeded.public_subnet_ids,
        seeded.private_subnet_ids,
        seeded.private_route_table_ids,
        strict=True,
    ):
        assert subnets[public].az == subnets[private].az == az
        assert subnets[public].route_table_id == seeded.public_route_table_id
        assert subnets[private].route_table_id == table
        assert subnets[private].ipv6_cidr is None

    tables = {t.id: t for t in vpc.route_tables}
    assert {r.target for r in tables[seeded.public_route_table_id].routes} == {
        "local",
        seeded.igw_id,
    }
    for az, table in zip(seeded.azs, seeded.private_route_table_ids, strict=True):
        routes = {(r.destination, r.target) for r in tables[table].routes}
        assert routes == {("10.0.0.0/16", "local"), ("0.0.0.0/0", seeded.nat_by_az(az))}

    nats = {n.id: n for n in vpc.nat_gateways}
    assert set(nats) == set(seeded.nat_gateway_ids)
    for nat_id, nat in nats.items():
        assert nat.private_ips == (seeded.nat_private_ips[nat_id],)
        assert nat.public_ips == (seeded.nat_public_ips[nat_id],)
        assert nat.network_interface_ids == (seeded.nat_interface_ids[nat_id],)
        assert nat.connectivity == "public"
        assert nat.az == seeded.azs[seeded.nat_gateway_ids.index(nat_id)]
        assert nat.bytes_processed == expected.nat_bytes[nat_id]
    assert sum(expected.nat_bytes.values()) == sum(DEFAULT_WORKLOAD.values())

    assert vpc.gateway_endpoints == {}
    assert vpc.egress_only_gateway_ids == ()
    (flow_log,) = vpc.flow_logs
    assert flow_log.id == seeded.flow_log_id
    assert flow_log.resource_id == seeded.vpc_id
    assert flow_log.destination_type == "cloud-watch-logs"
    assert flow_log.log_group == seeded.log_group
    assert flowlogs.is_default_format(flow_log.log_format)
    assert flow_log.traffic_type == "ALL"

    functions = {f.name: f for f in vpc.functions}
    assert set(functions) == {DUALSTACK_FUNCTION, IPV4_API_FUNCTION}
    for name, function in functions.items():
        seeded_function = seeded.functions[name]
        assert function.arn == seeded_function.arn
        assert function.runtime == seeded_function.runtime
        assert function.subnet_ids == seeded.private_subnet_ids
        assert function.security_group_ids == (seeded.security_group_id,)
        assert function.ipv6_allowed_for_dual_stack is False
        assert function.environment == seeded_function.environment
    (group,) = vpc.security_groups.values()
    assert group.group_id == seeded.security_group_id
    assert (group.ipv4_cidrs, group.ipv6_cidrs, group.ports) == (
        ("0.0.0.0/0",),
        (),
        (("-1", None, None),),
    )

    assert inventory.prefix_lists == seeded.prefix_lists
    assert inventory.prefix_list_ids == seeded.prefix_list_ids


def test_every_vpc_of_the_region_without_vpc_id(session, seeded_account) -> None:
    """Without --vpc: the seeded VPC as with it, beside the region's default VPC (which the
    emulator, like AWS, creates in every region: no NAT, no function)."""
    seeded, _, now = seeded_account
    only = collect(session, vpc_id=seeded.vpc_id, now=now)
    every = collect(session, now=now)
    assert _seeded_vpc(every, seeded) == only.vpcs[0]
    (default,) = [v for v in every.vpcs if v.id != seeded.vpc_id]
    assert (default.nat_gateways, default.functions, default.flow_logs) == ((), (), ())


def _flows_by_remote(session, seeded, now, method: str, **kwargs) -> tuple[str, dict[str, int]]:
    vpc = _seeded_vpc(collect(session, vpc_id=seeded.vpc_id, now=now), seeded)
    nat_ips = _nat_ips(vpc)
    used, flows = flow_log_flows(
        session,
        vpc.flow_logs[0],
        nat_ips,
        start=now - timedelta(days=WINDOW_DAYS),
        end=now,
        method=method,
        **kwargs,
    )
    return used, flowlogs.nat_bytes_by_remote(flows, nat_ips, vpc.ipv4_cidrs)


def test_insights_and_streaming_give_the_seeded_bytes(session, seeded_account) -> None:
    seeded, expected, now = seeded_account
    enis = tuple(seeded.nat_interface_ids.values())
    results = {
        "stream, NAT streams only": _flows_by_remote(
            session, seeded, now, "stream", interface_ids=enis
        ),
        "stream, whole group": _flows_by_remote(session, seeded, now, "stream"),
        "insights": _flows_by_remote(session, seeded, now, "insights"),
        "insights, inside legs dropped": _flows_by_remote(
            session, seeded, now, "insights", vpc_cidrs=(seeded.vpc_cidr,)
        ),
        "auto": _flows_by_remote(session, seeded, now, "auto"),
    }
    assert {name: used for name, (used, _) in results.items()} == {
        "stream, NAT streams only": "stream",
        "stream, whole group": "stream",
        "insights": "insights",
        "insights, inside legs dropped": "insights",
        "auto": "insights",
    }
    for name, (_, by_remote) in results.items():
        assert by_remote == expected.bytes_by_remote, name
    assert sum(expected.bytes_by_remote.values()) == sum(expected.nat_bytes.values())
    assert set(expected.bytes_by_remote) == {d.ipv4 for d in seeded.destinations.values()}


def test_a_full_insights_answer_is_asked_again_per_prefix(
    session, seeded_account, monkeypatch
) -> None:
    """With a row limit below the exact answer's rows, the query is re-run per /24, /16, /8 of
    the remote side until it fits; the emulator's fix evaluates those coarse queries too."""
    seeded, expected, now = seeded_account
    # The exact answer with the inside legs dropped: a row per (NAT, remote) and direction.
    exact_rows = 2 * len(expected.bytes_by_remote) * len(seeded.nat_gateway_ids)
    eights = {str(ipaddress.ip_network(f"{a}/8", strict=False)) for a in expected.bytes_by_remote}
    assert len(eights) < len(expected.bytes_by_remote)  # /8 merges S3's and DynamoDB's 3.x
    monkeypatch.setattr(flowlogs, "INSIGHTS_ROW_LIMIT", exact_rows - 2)
    used, by_remote = _flows_by_remote(
        session, seeded, now, "insights", vpc_cidrs=(seeded.vpc_cidr,)
    )
    assert used.startswith("insights (per /8 of the remote side")
    per_eight: dict[str, int] = {}
    for address, nbytes in expected.bytes_by_remote.items():
        block = str(ipaddress.ip_network(f"{address}/8", strict=False))
        per_eight[block] = per_eight.get(block, 0) + nbytes
    assert by_remote == per_eight


def _deny(session: boto3.session.Session, service: str, operation: str, code: str) -> None:
    """Make ``operation`` fail as AWS does without the permission (botocore answers it)."""

    def answer(**_: object):  # type: ignore[no-untyped-def]
        response = botocore.awsrequest.AWSResponse("https://denied", 403, {}, None)
        message = f"You are not authorized to perform: {service}:{operation}"
        return response, {"Error": {"Code": code, "Message": message}}

    session.events.register(f"before-call.{service}.{operation}", answer)


def test_a_denied_call_is_named_and_the_audit_goes_on(session, seeded_account) -> None:
    seeded, _, now = seeded_account
    _deny(session, "ec2", "DescribeFlowLogs", "UnauthorizedOperation")
    _deny(session, "cloudwatch", "GetMetricData", "AccessDenied")
    inventory = collect(session, vpc_id=seeded.vpc_id, now=now)
    assert inventory.problems == (
        Problem(
            "ec2:DescribeFlowLogs",
            "UnauthorizedOperation: You are not authorized to perform: ec2:DescribeFlowLogs",
        ),
        Problem(
            "cloudwatch:GetMetricData",
            "AccessDenied: You are not authorized to perform: cloudwatch:GetMetricData",
        ),
    )
    (vpc,) = inventory.vpcs
    assert vpc.flow_logs == ()
    assert {n.id: n.bytes_processed for n in vpc.nat_gateways} == dict.fromkeys(
        seeded.nat_gateway_ids
    )
    assert {f.name for f in vpc.functions} == set(seeded.functions)
    assert len(vpc.subnets) == 4
    assert inventory.prefix_lists == seeded.prefix_lists


def test_a_denied_insights_query_falls_back_to_streaming(session, seeded_account) -> None:
    seeded, expected, now = seeded_account
    flow_log = _seeded_vpc(collect(session, vpc_id=seeded.vpc_id, now=now), seeded).flow_logs[0]
    _deny(session, "logs", "StartQuery", "AccessDeniedException")
    used, by_remote = _flows_by_remote(session, seeded, now, "auto")
    assert used == (
        "stream (Insights not used: logs:StartQuery: AccessDeniedException: You are not "
        "authorized to perform: logs:StartQuery)"
    )
    assert by_remote == expected.bytes_by_remote
    with pytest.raises(FlowLogReadError) as denied:
        flow_log_flows(
            session,
            flow_log,
            list(seeded.nat_private_ips.values()),
            start=now - timedelta(days=1),
            end=now,
            method="insights",
        )
    assert denied.value.call == "logs:StartQuery"


def test_a_vpc_id_that_does_not_exist(session, seeded_account) -> None:
    with pytest.raises(UserError, match=rf"VPC vpc-0123456789abcdef0 not found in {REGION}"):
        collect(session, vpc_id="vpc-0123456789abcdef0")


def test_an_empty_account(fake_aws, emulator, monkeypatch) -> None:
    """A region with only its default VPC reports that one (nothing to save); without it, no
    VPC at all: an inventory, not an error."""
    session = _session(emulator, monkeypatch, EMPTY_REGION)
    inventory = collect(session)
    assert inventory.problems == ()
    (default,) = inventory.vpcs
    assert (default.nat_gateways, default.functions, default.flow_logs) == ((), (), ())
    ec2 = boto3.client("ec2", **{**emulator.client_kwargs(), "region_name": EMPTY_REGION})
    for subnet in default.subnets:
        ec2.delete_subnet(SubnetId=subnet.id)
    for igw in ec2.describe_internet_gateways(
        Filters=[{"Name": "attachment.vpc-id", "Values": [default.id]}]
    )["InternetGateways"]:
        ec2.detach_internet_gateway(InternetGatewayId=igw["InternetGatewayId"], VpcId=default.id)
        ec2.delete_internet_gateway(InternetGatewayId=igw["InternetGatewayId"])
    ec2.delete_vpc(VpcId=default.id)
    empty = collect(session)
    assert (empty.vpcs, empty.problems) == ((), ())
    assert set(empty.prefix_lists) == {"s3", "dynamodb"}
    with pytest.raises(UserError, match=f"VPC {default.id} not found in {EMPTY_REGION}"):
        collect(session, vpc_id=default.id)


def test_the_iam_policy_is_exactly_the_calls_of_a_full_audit(session, seeded_account) -> None:
    """Every call a full audit makes (collect, then the flow logs both ways) is in the policy,
    every action of the policy is called, and each is read-only."""
    seeded, _, now = seeded_account
    with CallRecorder(session) as calls:
        inventory = collect(session, now=now)
        vpc = _seeded_vpc(inventory, seeded)
        for method in ("insights", "stream"):
            _, flows = flow_log_flows(
                session,
                vpc.flow_logs[0],
                _nat_ips(vpc),
                start=now - timedelta(days=WINDOW_DAYS),
                end=now,
                method=method,
                interface_ids=[e for n in vpc.nat_gateways for e in n.network_interface_ids],
            )
            assert sum(f.bytes for f in flows) > 0
    recorded = calls.actions()
    assert recorded == policy_actions()
    assert all(read_only(action) for action in recorded), sorted(recorded)
    document = policy_document()
    assert document["Version"] == "2012-10-17"
    assert all(s["Effect"] == "Allow" for s in document["Statement"])


def test_the_recorder_names_iam_actions(session, emulator) -> None:
    """The recorder's names are IAM's (cloudwatch:, not monitoring:), failed calls included."""
    _deny(session, "ec2", "DescribeVpcs", "UnauthorizedOperation")
    with CallRecorder(session) as calls:
        session.client("cloudwatch").list_metrics(Namespace="AWS/NATGateway")
        collect(session)
    assert {"cloudwatch:ListMetrics", "ec2:DescribeVpcs"} <= calls.actions()


def test_auto_streams_where_insights_runs_no_stats(fake_aws) -> None:
    """On moto without natless's fix (in-process, as upstream ships it) Insights answers with
    raw records: "auto" says so and streams, with the same figures; "insights" refuses."""
    from moto import mock_aws

    now = datetime.now(UTC).replace(microsecond=0)
    with mock_aws():
        session = boto3.session.Session(region_name=REGION)
        seeded = seed_account(session, region=REGION)
        expected = emit_traffic(session, seeded, start=now - timedelta(days=1), end=now)
        vpc = _seeded_vpc(collect(session, vpc_id=seeded.vpc_id, now=now), seeded)
        window = {"start": now - timedelta(days=1), "end": now}
        used, flows = flow_log_flows(
            session, vpc.flow_logs[0], _nat_ips(vpc), method="auto", **window
        )
        by_remote = flowlogs.nat_bytes_by_remote(flows, _nat_ips(vpc), vpc.ipv4_cidrs)
        with pytest.raises(FlowLogReadError, match="did not run the query's parse/stats"):
            flow_log_flows(session, vpc.flow_logs[0], _nat_ips(vpc), method="insights", **window)
    assert used == (
        "stream (Insights not used: the query service answered without the query's "
        "sum(bytes): it did not run the query's parse/stats)"
    )
    assert by_remote == expected.bytes_by_remote
