"""The emulator process: fixes in effect, local Invoke with Lambda's limits, clean stops."""

from __future__ import annotations

import io
import json
import signal
import subprocess
import sys
import textwrap
import time
import urllib.request
import zipfile

import boto3
import pytest

from natless.cli import main
from natless.emulator import Emulator
from tests.support.processes import wait_gone

# --- fixes are in effect in the server ------------------------------------------------------------


def test_fixes_are_in_effect(emulator) -> None:
    ec2 = boto3.client("ec2", **emulator.client_kwargs())
    vpc = ec2.create_vpc(CidrBlock="10.9.0.0/16", AmazonProvidedIpv6CidrBlock=True)["Vpc"]
    v6 = vpc["Ipv6CidrBlockAssociationSet"][0]["Ipv6CidrBlock"].replace("/56", "/64")
    subnet_id = ec2.create_subnet(VpcId=vpc["VpcId"], CidrBlock="10.9.0.0/24", Ipv6CidrBlock=v6)[
        "Subnet"
    ]["SubnetId"]
    try:
        ec2.modify_subnet_attribute(SubnetId=subnet_id, EnableDns64={"Value": True})
        (subnet,) = ec2.describe_subnets(SubnetIds=[subnet_id])["Subnets"]
        assert subnet["Ipv6CidrBlockAssociationSet"][0]["Ipv6CidrBlockState"]["State"] == (
            "associated"
        )
        assert subnet["EnableDns64"] is True
        endpoint = ec2.create_vpc_endpoint(
            VpcId=vpc["VpcId"],
            ServiceName="com.amazonaws.us-east-1.sqs",
            VpcEndpointType="Interface",
            SubnetIds=[subnet_id],
            IpAddressType="dualstack",
            DnsOptions={"DnsRecordIpType": "dualstack"},
        )["VpcEndpoint"]
        (read,) = ec2.describe_vpc_endpoints(VpcEndpointIds=[endpoint["VpcEndpointId"]])[
            "VpcEndpoints"
        ]
        assert read["IpAddressType"] == "dualstack"
        assert read["DnsOptions"] == {"DnsRecordIpType": "dualstack"}
        table = ec2.create_route_table(VpcId=vpc["VpcId"])["RouteTable"]["RouteTableId"]
        gateway = ec2.create_vpc_endpoint(
            VpcId=vpc["VpcId"], ServiceName="com.amazonaws.us-east-1.s3", VpcEndpointType="Gateway"
        )["VpcEndpoint"]["VpcEndpointId"]
        ec2.modify_vpc_endpoint(VpcEndpointId=gateway, AddRouteTableIds=[table])
        routes = ec2.describe_route_tables(RouteTableIds=[table])["RouteTables"][0]["Routes"]
        assert [r["GatewayId"] for r in routes if r.get("DestinationPrefixListId")] == [gateway]
        ec2.modify_vpc_endpoint(VpcEndpointId=gateway, RemoveRouteTableIds=[table])
        routes = ec2.describe_route_tables(RouteTableIds=[table])["RouteTables"][0]["Routes"]
        assert not [r for r in routes if r.get("DestinationPrefixListId")]
    finally:
        emulator.reset()


def test_tls_only_bucket_policy_admits_the_emulators_requests(emulator) -> None:
    s3 = boto3.client("s3", **emulator.client_kwargs())
    s3.create_bucket(Bucket="natless-tls-test")
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Deny",
                "Principal": "*",
                "Action": "s3:*",
                "Resource": ["arn:aws:s3:::natless-tls-test", "arn:aws:s3:::natless-tls-test/*"],
                "Condition": {"Bool": {"aws:SecureTransport": "false"}},
            },
            {
                "Effect": "Deny",
                "Principal": "*",
                "Action": "s3:PutObject",
                "Resource": "arn:aws:s3:::natless-tls-test/forbidden/*",
            },
        ],
    }
    try:
        s3.put_bucket_policy(Bucket="natless-tls-test", Policy=json.dumps(policy))
        s3.put_object(Bucket="natless-tls-test", Key="bench/x", Body=b"{}")
        with pytest.raises(s3.exceptions.ClientError):  # other statements still apply
            s3.put_object(Bucket="natless-tls-test", Key="forbidden/x", Body=b"{}")
    finally:
        emulator.reset()


def test_aws_managed_iam_policies_are_loaded(emulator) -> None:
    iam = boto3.client("iam", **emulator.client_kwargs())
    arn = "arn:aws:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole"
    assert (
        iam.get_policy(PolicyArn=arn)["Policy"]["PolicyName"] == "AWSLambdaVPCAccessExecutionRole"
    )


# --- the local Invoke service ---------------------------------------------------------------------


def _zip(source: str) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("handler.py", textwrap.dedent(source))
    return buf.getvalue()


FUNCTIONS = {
    "echo": """
        import os
        def handler(event, context):
            return {
                "event": event,
                "region": os.environ["AWS_REGION"],
                "endpoint": os.environ["AWS_ENDPOINT_URL"],
                "name": context.function_name,
                "db": os.environ.get("DB_HOST"),
                "left_ms": context.get_remaining_time_in_millis(),
            }
        """,
    "boom": """
        def handler(event, context):
            raise ValueError("database unreachable")
        """,
    "sleepy": """
        import time
        def handler(event, context):
            time.sleep(5)
        """,
    "huge": """
        def handler(event, context):
            return "x" * (7 * 1024 * 1024)
        """,
}


@pytest.fixture(scope="module")
def functions(emulator):
    kw = emulator.client_kwargs()
    role = boto3.client("iam", **kw).create_role(
        RoleName="invoke-test", AssumeRolePolicyDocument="{}"
    )
    lam = boto3.client("lambda", **kw)
    for name, source in FUNCTIONS.items():
        lam.create_function(
            FunctionName=name,
            Runtime="python3.12",
            Role=role["Role"]["Arn"],
            Handler="handler.handler",
            Code={"ZipFile": _zip(source)},
            Timeout=1 if name == "sleepy" else 10,
            Environment={"Variables": {"DB_HOST": "db.example.internal"}},
        )
    yield lam
    for name in FUNCTIONS:
        lam.delete_function(FunctionName=name)
    boto3.client("iam", **kw).delete_role(RoleName="invoke-test")


def test_invoke_runs_deployed_code_with_its_configuration(emulator, functions) -> None:
    response = functions.invoke(FunctionName="echo", Payload=json.dumps({"n": 1}))
    assert response["StatusCode"] == 200 and "FunctionError" not in response
    result = json.loads(response["Payload"].read())
    assert result["event"] == {"n": 1}
    assert result["endpoint"] == emulator.url and result["region"] == "us-east-1"
    assert result["name"] == "echo" and result["db"] == "db.example.internal"
    assert 0 < result["left_ms"] <= 10_000


def test_env_overrides_apply_without_changing_the_deployment(emulator, functions) -> None:
    url = f"{emulator.url}/natless-api/env-overrides/echo"
    request = urllib.request.Request(url, data=b'{"DB_HOST": "127.0.0.1"}', method="PUT")
    urllib.request.urlopen(request, timeout=5).close()
    try:
        result = json.loads(functions.invoke(FunctionName="echo")["Payload"].read())
        assert result["db"] == "127.0.0.1"
        config = functions.get_function_configuration(FunctionName="echo")
        assert config["Environment"]["Variables"]["DB_HOST"] == "db.example.internal"
    finally:
        urllib.request.urlopen(urllib.request.Request(url, method="DELETE"), timeout=5).close()


def test_handler_error_is_reported_like_lambda(functions) -> None:
    response = functions.invoke(FunctionName="boom")
    assert response["FunctionError"] == "Unhandled"
    error = json.loads(response["Payload"].read())
    assert error["errorType"] == "ValueError" and error["errorMessage"] == "database unreachable"


def test_timeout_is_enforced(functions) -> None:
    started = time.monotonic()
    response = functions.invoke(FunctionName="sleepy")
    assert time.monotonic() - started < 4
    assert response["FunctionError"] == "Unhandled"
    error = json.loads(response["Payload"].read())
    assert error["errorType"] == "Sandbox.Timedout"
    assert "Task timed out after 1.00 seconds" in error["errorMessage"]


def test_response_over_6_mb_is_refused(functions) -> None:
    response = functions.invoke(FunctionName="huge")
    assert response["FunctionError"] == "Unhandled"
    error = json.loads(response["Payload"].read())
    assert error["errorType"] == "Function.ResponseSizeTooLarge"


def test_request_over_6_mb_is_refused(functions) -> None:
    with pytest.raises(functions.exceptions.ClientError) as refused:
        functions.invoke(FunctionName="echo", Payload=json.dumps({"x": "y" * (6 * 1024 * 1024)}))
    assert refused.value.response["ResponseMetadata"]["HTTPStatusCode"] == 413


def test_unknown_function_is_404(functions) -> None:
    with pytest.raises(functions.exceptions.ResourceNotFoundException):
        functions.invoke(FunctionName="nope")


# --- stopping: no orphan process ------------------------------------------------------------------


def test_stops_on_normal_exit_and_on_exception() -> None:
    with Emulator.start() as emu:
        pid = emu.process.pid
    assert not wait_gone([pid], timeout=10)
    with pytest.raises(RuntimeError), Emulator.start() as emu:
        pid = emu.process.pid
        raise RuntimeError("boom")
    assert not wait_gone([pid], timeout=10)


HOLDER = """
import sys, time
from natless.emulator import Emulator
with Emulator.start() as emu:
    print(emu.process.pid, flush=True)
    time.sleep(60)
"""


def _holder() -> tuple[subprocess.Popen[str], int]:
    proc = subprocess.Popen([sys.executable, "-c", HOLDER], stdout=subprocess.PIPE, text=True)
    line = proc.stdout.readline()  # type: ignore[union-attr]
    return proc, int(line)


def test_ctrl_c_stops_the_server() -> None:
    proc, server = _holder()
    proc.send_signal(signal.SIGINT)
    proc.wait(timeout=120)  # a guard, not a speed claim: a loaded CI machine is slow
    assert not wait_gone([server], timeout=10)


def test_server_exits_when_its_parent_is_killed() -> None:
    proc, server = _holder()
    proc.kill()  # no cleanup code runs in the parent
    proc.wait(timeout=5)
    assert not wait_gone([server], timeout=5)


def test_emulator_command_reports_a_taken_port(capsys) -> None:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        port = sock.getsockname()[1]
        assert main(["emulator", "--port", str(port)]) == 2
    assert f"127.0.0.1:{port} is already in use" in capsys.readouterr().err


def test_emulator_command_stops_cleanly_on_ctrl_c() -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "natless", "emulator"], stdout=subprocess.PIPE, text=True
    )
    first = proc.stdout.readline()  # type: ignore[union-attr]
    assert first.startswith("natless emulator listening on http://127.0.0.1:")
    children = subprocess.run(
        ["pgrep", "-P", str(proc.pid)], capture_output=True, text=True
    ).stdout.split()
    assert len(children) == 1
    proc.send_signal(signal.SIGINT)
    out, _ = proc.communicate(timeout=120)  # a guard, not a speed claim
    assert proc.returncode == 0 and "stopped" in out
    assert not wait_gone([int(children[0])], timeout=10)
