"""Each emulator fix is still needed: these tests run *unpatched* moto in-process and pass only
while the gap is there. When one fails, upstream moto fixed that gap: delete the fix from
natless/emulator/fixes.py and this test. (That the fixes work is tested in
tests/emulator/test_emulator.py, against the patched server.)
"""

from __future__ import annotations

import time

import boto3
import pytest
from moto import mock_aws

from natless.audit.flowlogs import insights_query

UPSTREAM_FIXED = "upstream moto fixed this gap: drop fix {!r} from natless/emulator/fixes.py"


@pytest.fixture
def ec2(fake_aws):
    with mock_aws():
        yield boto3.client("ec2", region_name="us-east-1")


def _dual_stack_subnet(ec2) -> tuple[str, str]:
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16", AmazonProvidedIpv6CidrBlock=True)["Vpc"]
    v6 = vpc["Ipv6CidrBlockAssociationSet"][0]["Ipv6CidrBlock"].replace("/56", "/64")
    subnet = ec2.create_subnet(VpcId=vpc["VpcId"], CidrBlock="10.0.0.0/24", Ipv6CidrBlock=v6)
    return vpc["VpcId"], subnet["Subnet"]["SubnetId"]


def test_gap_subnet_ipv6_state_is_a_stringified_dict(ec2) -> None:
    _, subnet_id = _dual_stack_subnet(ec2)
    (subnet,) = ec2.describe_subnets(SubnetIds=[subnet_id])["Subnets"]
    state = subnet["Ipv6CidrBlockAssociationSet"][0]["Ipv6CidrBlockState"]["State"]
    assert state != "associated", UPSTREAM_FIXED.format("subnet-ipv6-state")


def test_gap_modify_subnet_attribute_ignores_dns64(ec2) -> None:
    _, subnet_id = _dual_stack_subnet(ec2)
    ec2.modify_subnet_attribute(SubnetId=subnet_id, EnableDns64={"Value": True})
    (subnet,) = ec2.describe_subnets(SubnetIds=[subnet_id])["Subnets"]
    assert subnet.get("EnableDns64") is not True, UPSTREAM_FIXED.format("subnet-attributes")


def test_gap_vpc_endpoint_drops_ip_address_type(ec2) -> None:
    vpc_id, subnet_id = _dual_stack_subnet(ec2)
    endpoint = ec2.create_vpc_endpoint(
        VpcId=vpc_id,
        ServiceName="com.amazonaws.us-east-1.sqs",
        VpcEndpointType="Interface",
        SubnetIds=[subnet_id],
        IpAddressType="dualstack",
        DnsOptions={"DnsRecordIpType": "dualstack"},
    )["VpcEndpoint"]
    (read,) = ec2.describe_vpc_endpoints(VpcEndpointIds=[endpoint["VpcEndpointId"]])["VpcEndpoints"]
    assert "IpAddressType" not in read, UPSTREAM_FIXED.format("vpc-endpoint-ip-options")


def test_gap_modify_vpc_endpoint_adds_no_route(ec2) -> None:
    vpc_id, _ = _dual_stack_subnet(ec2)
    table = ec2.create_route_table(VpcId=vpc_id)["RouteTable"]["RouteTableId"]
    endpoint = ec2.create_vpc_endpoint(
        VpcId=vpc_id, ServiceName="com.amazonaws.us-east-1.s3", VpcEndpointType="Gateway"
    )["VpcEndpoint"]
    ec2.modify_vpc_endpoint(VpcEndpointId=endpoint["VpcEndpointId"], AddRouteTableIds=[table])
    (read,) = ec2.describe_route_tables(RouteTableIds=[table])["RouteTables"]
    has_route = any(r.get("DestinationPrefixListId") for r in read["Routes"])
    assert not has_route, UPSTREAM_FIXED.format("gateway-endpoint-routes")


def test_gap_lambda_invoke_needs_docker(fake_aws) -> None:
    """Why the emulator carries a local Invoke service: moto runs functions only in Docker."""
    import io
    import json
    import zipfile

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("handler.py", "def handler(event, context):\n    return {'ran': True}\n")
    with mock_aws():
        iam = boto3.client("iam", region_name="us-east-1")
        role = iam.create_role(RoleName="r", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
        lam = boto3.client("lambda", region_name="us-east-1")
        lam.create_function(
            FunctionName="f",
            Runtime="python3.12",
            Role=role,
            Handler="handler.handler",
            Code={"ZipFile": buf.getvalue()},
        )
        try:
            response = lam.invoke(FunctionName="f", Payload=b"{}")
            payload = response["Payload"].read()
        except Exception:  # moto may raise instead of answering
            return
    ran = response.get("FunctionError") is None and json.loads(payload or b"{}") == {"ran": True}
    assert not ran, "moto now runs Python functions without Docker: the local Invoke may go"


TLS_ONLY = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Sid": "DenyInsecureTransport",
            "Effect": "Deny",
            "Principal": "*",
            "Action": "s3:*",
            "Resource": ["arn:aws:s3:::natless-gap", "arn:aws:s3:::natless-gap/*"],
            "Condition": {"Bool": {"aws:SecureTransport": "false"}},
        }
    ],
}


def test_gap_bucket_policy_non_string_condition_always_matches() -> None:
    """moto's bucket-policy check (FakeBucket.get_permission) takes a Bool condition as true."""
    import json

    from moto.iam.access_control import PermissionResult
    from moto.s3.models import FakeBucket

    bucket = FakeBucket.__new__(FakeBucket)  # only .policy is read
    bucket.policy = json.dumps(TLS_ONLY).encode()
    verdict = bucket.get_permission("s3:PutObject", "arn:aws:s3:::natless-gap/bench/x")
    assert verdict == PermissionResult.DENIED, UPSTREAM_FIXED.format("bucket-policy-tls-condition")


def test_gap_group_referencing_rule_loses_its_description(ec2) -> None:
    vpc_id, _ = _dual_stack_subnet(ec2)
    source = ec2.create_security_group(GroupName="src", Description="s", VpcId=vpc_id)["GroupId"]
    target = ec2.create_security_group(GroupName="dst", Description="d", VpcId=vpc_id)["GroupId"]
    ec2.authorize_security_group_ingress(
        GroupId=target,
        IpPermissions=[
            {
                "IpProtocol": "tcp",
                "FromPort": 5432,
                "ToPort": 5432,
                "UserIdGroupPairs": [{"GroupId": source, "Description": "from the function"}],
            }
        ],
    )
    rules = ec2.describe_security_group_rules(Filters=[{"Name": "group-id", "Values": [target]}])
    ingress = [r for r in rules["SecurityGroupRules"] if not r["IsEgress"]]
    assert ingress and not ingress[0].get("Description"), UPSTREAM_FIXED.format(
        "security-group-rule-description"
    )


def test_gap_prefix_list_rule_loses_its_description(ec2) -> None:
    vpc_id, _ = _dual_stack_subnet(ec2)
    group = ec2.create_security_group(GroupName="fn", Description="f", VpcId=vpc_id)["GroupId"]
    (s3,) = [
        p["PrefixListId"]
        for p in ec2.describe_prefix_lists()["PrefixLists"]
        if p["PrefixListName"].endswith(".s3")
    ]
    ec2.authorize_security_group_egress(
        GroupId=group,
        IpPermissions=[
            {
                "IpProtocol": "tcp",
                "FromPort": 443,
                "ToPort": 443,
                "PrefixListIds": [{"PrefixListId": s3, "Description": "HTTPS to S3"}],
            }
        ],
    )
    rules = ec2.describe_security_group_rules(Filters=[{"Name": "group-id", "Values": [group]}])
    to_s3 = [r for r in rules["SecurityGroupRules"] if r.get("PrefixListId") == s3]
    assert to_s3 and not to_s3[0].get("Description"), UPSTREAM_FIXED.format(
        "security-group-rule-description"
    )


def test_gap_db_parameters_have_no_source(fake_aws) -> None:
    with mock_aws():
        rds = boto3.client("rds", region_name="us-east-1")
        rds.create_db_parameter_group(
            DBParameterGroupName="natless-gap", DBParameterGroupFamily="postgres16", Description="x"
        )
        rds.modify_db_parameter_group(
            DBParameterGroupName="natless-gap",
            Parameters=[
                {
                    "ParameterName": "rds.force_ssl",
                    "ParameterValue": "1",
                    "ApplyMethod": "immediate",
                }
            ],
        )
        params = rds.describe_db_parameters(DBParameterGroupName="natless-gap")["Parameters"]
    (force_ssl,) = [p for p in params if p["ParameterName"] == "rds.force_ssl"]
    assert "Source" not in force_ssl, UPSTREAM_FIXED.format("db-parameter-source")


def test_gap_logs_insights_runs_no_parse_or_stats(fake_aws) -> None:
    """moto answers natless's one Insights query with the raw records, not the sums."""
    record = "2 123456789012 eni-1 10.0.0.9 198.51.100.10 40001 443 6 10 1000 {t} {t} ACCEPT OK"
    with mock_aws():
        logs = boto3.client("logs", region_name="us-east-1")
        logs.create_log_group(logGroupName="flows")
        logs.create_log_stream(logGroupName="flows", logStreamName="eni-1-all")
        now = int(time.time())
        logs.put_log_events(
            logGroupName="flows",
            logStreamName="eni-1-all",
            logEvents=[
                {"timestamp": (now - 60 + i) * 1000, "message": record.format(t=now - 60)}
                for i in range(2)
            ],
        )
        query_id = logs.start_query(
            logGroupName="flows",
            startTime=now - 3600,
            endTime=now,
            queryString=insights_query(["10.0.0.9"]),
        )["queryId"]
        rows = logs.get_query_results(queryId=query_id)["results"]
    assert rows, "moto returned nothing: the gap test no longer sees the query's answer"
    fields = {cell["field"] for row in rows for cell in row}
    # Unpatched: one row per record with @ptr (no parse, no stats). Fixed upstream: one row
    # {srcaddr, dstaddr, bytes: "2000"}.
    assert "bytes" not in fields, UPSTREAM_FIXED.format("logs-insights-stats")
