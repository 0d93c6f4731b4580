"""Pitfalls users hit, reproduced by packets: the real examples and bench package in the lab.

Each example is applied once (module fixture); each test builds a lab for it
(:func:`natless.demo.functions_in_lab`): the VPC function runs in the namespace replica of its
first subnet, the public one in Lambda's own network, both with the lab's resolver and CA and no
endpoint override, so botocore picks the names and the address family itself and the packets
take the routes the tables give. Each test changes the function's configuration through the
Lambda API (environment, timeout) as a user would, invokes it, and reads both what the function
reports (errors, evidence, its diagnosis) and what the lab saw (which gateway carried each
connection, and the source address the server saw).

- egress-only: S3 and DynamoDB by their IPv4 names through the gateway endpoints, SQS by its
  dual-stack name through the egress-only gateway; SQS by its IPv4 name and the IPv4-only host
  time out (connect timeout x attempts, printed) and the result says why; with IPv4 tried first,
  the dual-stack name stalls one connect timeout (2 s, and botocore's default 60 s) before IPv6;
  a security group without IPv6 egress blocks IPv6; botocore's global dual-stack switch sends
  X-Ray to a name that does not exist.
- nat-gateway with enable_dns64: the IPv4-only host answers over IPv4 through the NAT (the server
  sees its Elastic IP) and, by its DNS64 address, over IPv6 through the NAT's translator.

Inbound through the egress-only gateway, and DNS64 without a NAT64 route (which the module
refuses), are observed by connections in tests/emulator/test_lab.py.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import boto3
import pytest

from natless.bench import invoker
from natless.demo import LAB_PUBLIC_URL, InLab, functions_in_lab
from natless.deploy.outputs import function_names
from natless.deploy.package import build_package
from natless.deploy.stack import Stack
from natless.net import lab as labmod
from natless.net.lab import PREFIX_ENV
from natless.net.labdns import IPV4ONLY_PUBLIC, synthesise
from natless.net.labplan import PUBLIC_IPV4_ONLY
from natless.net.routes import Reader, route_matrix
from natless.paths import EXAMPLES, SCRATCH_ENV

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="the lab needs root (CI runs as root)")

PREFIX = f"nlq{os.getpid() % 100000}"
IPV4_ONLY_URL = f"https://{IPV4ONLY_PUBLIC}/natless-bench"
CONNECT_TIMEOUT_S = 2.0  # the bench package's default (lambda_src/bench/netconf.py)
BOTOCORE_CONNECT_TIMEOUT_S = 60.0  # botocore.endpoint.DEFAULT_TIMEOUT
ATTEMPTS = 2  # the bench package's botocore total_max_attempts


@dataclass
class Deployed:
    example: str
    names: dict[str, str]  # vpc / public -> function name
    lam: Any
    ec2: Any
    baseline: dict[str, dict[str, str]]  # function -> its deployed environment
    timeouts: dict[str, int]  # function -> its deployed timeout


def _deploy(emulator, example: str, tf_vars: dict[str, Any]) -> Iterator[Deployed]:
    build_package("bench")
    stack = Stack.create(EXAMPLES / example, emulator.redirect())
    try:
        stack.apply(tf_vars)
        names = function_names(stack.outputs())
        kw = emulator.client_kwargs()
        sess = boto3.session.Session(
            aws_access_key_id=kw["aws_access_key_id"],
            aws_secret_access_key=kw["aws_secret_access_key"],
            region_name=kw["region_name"],
        )
        lam = invoker.lambda_client(sess, endpoint_url=emulator.url)
        ec2 = sess.client("ec2", endpoint_url=emulator.url)
        configs = {n: lam.get_function_configuration(FunctionName=n) for n in names.values()}
        yield Deployed(
            example,
            names,
            lam,
            ec2,
            {n: dict(c["Environment"]["Variables"]) for n, c in configs.items()},
            {n: int(c["Timeout"]) for n, c in configs.items()},
        )
    finally:
        stack.close()


@pytest.fixture(scope="module")
def egress_only(emulator) -> Iterator[Deployed]:
    yield from _deploy(emulator, "egress-only", {"name": "pit-egress-only"})


@pytest.fixture(scope="module")
def nat_dns64(emulator) -> Iterator[Deployed]:
    yield from _deploy(emulator, "nat-gateway", {"name": "pit-nat-dns64", "enable_dns64": True})


@pytest.fixture
def lab_env(monkeypatch, tmp_path) -> None:
    """This worker's namespace prefix and a scratch folder of its own for the labs' state."""
    monkeypatch.setenv(PREFIX_ENV, PREFIX)
    monkeypatch.setenv(SCRATCH_ENV, str(tmp_path / "scratch"))
    monkeypatch.setattr(labmod, "STATE_DIR", tmp_path / "scratch" / "labs")


@contextlib.contextmanager
def in_lab(deployed: Deployed, emulator) -> Iterator[InLab]:
    """The pair in a fresh lab (built from what is deployed now); afterwards both functions
    get their deployed configuration back."""
    reader = Reader(deployed.ec2, deployed.ec2.meta.region_name)
    names = [deployed.names["vpc"], deployed.names["public"]]
    matrix = route_matrix(deployed.ec2, deployed.lam, names, reader=reader)
    try:
        with functions_in_lab(emulator, reader, matrix) as lab:
            yield lab
    finally:
        for name in names:
            deployed.lam.update_function_configuration(
                FunctionName=name,
                Environment={"Variables": deployed.baseline[name]},
                Timeout=deployed.timeouts[name],
            )


def run(
    deployed: Deployed,
    placement: str,
    operations: list[str],
    env: dict[str, str | None] | None = None,
    url: str = LAB_PUBLIC_URL,
    timeout_s: int | None = None,
) -> dict[str, Any]:
    """One call of each operation, after setting ``env`` (None removes a variable) and the
    timeout in the function's configuration, as a user would with the Lambda API."""
    name = deployed.names[placement]
    variables = {**deployed.baseline[name], **(env or {})}
    deployed.lam.update_function_configuration(
        FunctionName=name,
        Environment={"Variables": {k: v for k, v in variables.items() if v is not None}},
        Timeout=timeout_s or deployed.timeouts[name],
    )
    event = {"iterations": 1, "operations": operations, "url": url}
    return invoker.invoke(deployed.lam, name, event)


def errors(result: dict[str, Any], operation: str) -> dict[str, int]:
    return result["operations"][operation]["error_codes"]


def paths(lab: InLab, function: str) -> dict[str, str]:
    """host -> "carrier (family), N connections" for one function's connections."""
    prefix = f"{function} -> "
    return {k.removeprefix(prefix): v for k, v in lab.paths().items() if k.startswith(prefix)}


def carried(lab: InLab, host: str) -> list[tuple[str, str]]:
    """(carrier label, source address) of every relayed or answered connection to ``host``."""
    return [(c.via, c.peer) for c in lab.lab.connections() if c.host == host]


# --- egress-only ------------------------------------------------------------------------------


def test_egress_only_services_take_the_endpoints_and_the_eigw(egress_only, emulator, lab_env):
    ops = ["dynamodb_put", "s3_put", "sqs_send", "http_get"]
    with in_lab(egress_only, emulator) as lab:
        vpc = run(egress_only, "vpc", ops)
        public = run(egress_only, "public", ops)
        seen_vpc = paths(lab, egress_only.names["vpc"])
        seen_public = paths(lab, egress_only.names["public"])
    print(f"\nvpc: {seen_vpc}\npublic: {seen_public}")
    for result in (vpc, public):
        assert {op: result["operations"][op]["errors"] for op in ops} == dict.fromkeys(ops, 0)
    region = egress_only.ec2.meta.region_name
    bucket = egress_only.baseline[egress_only.names["vpc"]]["BUCKET_NAME"]
    by_host = {host.removeprefix(f"{bucket}."): how for host, how in seen_vpc.items()}
    assert by_host[f"dynamodb.{region}.amazonaws.com"].startswith("vpce-")
    # botocore's S3 name in us-east-1 is still the global one (s3.amazonaws.com): IPv4 only
    s3_host = "s3.amazonaws.com" if region == "us-east-1" else f"s3.{region}.amazonaws.com"
    assert by_host[s3_host].startswith("vpce-")
    assert by_host[f"sqs.{region}.api.aws"].startswith("eigw-")
    assert "(IPv6)" in by_host[f"sqs.{region}.api.aws"]
    assert by_host["dualstack.natless.example"].startswith("eigw-")
    assert vpc["evidence"]["sqs"]["family"] == "ipv6"
    # Lambda's own network: IPv4 only, every name over IPv4
    assert seen_public and all(v.startswith("aws-managed (IPv4)") for v in seen_public.values())
    assert public["evidence"]["sqs"]["family"] == "ipv4"


def test_sqs_by_its_ipv4_name_times_out_and_says_why(egress_only, emulator, lab_env):
    with in_lab(egress_only, emulator):
        result = run(egress_only, "vpc", ["sqs_send"], {"NATLESS_DUALSTACK_SERVICES": None})
    diagnosis = result["evidence"]["sqs"]["diagnosis"]
    seconds = [a["seconds"] for a in diagnosis["attempts"]]
    print(f"\nSQS by its IPv4 name: {seconds} s ({sum(seconds):.2f} s); {diagnosis['explanation']}")
    assert errors(result, "sqs_send") == {"ConnectTimeoutError": 1}
    assert diagnosis["host"] == f"sqs.{egress_only.ec2.meta.region_name}.amazonaws.com"
    assert [a["outcome"] for a in diagnosis["attempts"]] == ["timeout"] * ATTEMPTS
    assert [r["family"] for r in diagnosis["resolved"]] == ["ipv4"]
    assert "IPv4 addresses only" in diagnosis["explanation"]


def test_the_ipv4_only_host_times_out(egress_only, emulator, lab_env):
    with in_lab(egress_only, emulator) as lab:
        result = run(egress_only, "vpc", ["http_get"], url=IPV4_ONLY_URL)
        seen = carried(lab, IPV4ONLY_PUBLIC)
    diagnosis = result["evidence"]["http"]["diagnosis"]
    print(f"\nIPv4-only host: {diagnosis['attempts']}; {diagnosis['explanation']}")
    assert result["operations"]["http_get"]["errors"] == 1
    assert {a["address"] for a in diagnosis["attempts"]} == {str(PUBLIC_IPV4_ONLY)}
    assert {a["outcome"] for a in diagnosis["attempts"]} == {"timeout"}
    assert seen == []  # nothing reached the host


@pytest.mark.parametrize("connect_timeout", [CONNECT_TIMEOUT_S, BOTOCORE_CONNECT_TIMEOUT_S])
def test_ipv4_first_stalls_one_connect_timeout_before_ipv6(
    egress_only, emulator, lab_env, connect_timeout
):
    """No Happy Eyeballs in botocore: the dead family is tried first and waited for."""
    env = {"NATLESS_IP_PREFERENCE": "ipv4first", "NATLESS_CONNECT_TIMEOUT": f"{connect_timeout:g}"}
    with in_lab(egress_only, emulator) as lab:
        result = run(egress_only, "vpc", ["sqs_send"], env, timeout_s=int(connect_timeout) + 30)
        seen = paths(lab, egress_only.names["vpc"])
    evidence = result["evidence"]["sqs"]
    call_ms = result["operations"]["sqs_send"]["p50"]
    print(f"\nipv4first, connect timeout {connect_timeout:g} s: stall {evidence['stall_s']} s, "
          f"call {call_ms} ms, over {evidence['family']}")  # fmt: skip
    assert result["operations"]["sqs_send"]["errors"] == 0
    assert evidence["family"] == "ipv6" and evidence["connections"] == 1
    assert evidence["stall_s"] >= connect_timeout  # the IPv4 attempt waited its full timeout
    assert any(k.startswith("sqs.") and v.startswith("eigw-") for k, v in seen.items())


def test_a_group_without_ipv6_egress_blocks_ipv6(egress_only, emulator, lab_env):
    """The function moved to a group that allows all IPv4 egress and no IPv6 (a group made before
    the VPC had IPv6, or by a tool that writes IPv4 rules only): IPv4 to the gateway endpoints
    still works, every IPv6 connection is dropped, so SQS's dual-stack name times out."""
    name = egress_only.names["vpc"]
    vpc_config = egress_only.lam.get_function_configuration(FunctionName=name)["VpcConfig"]
    # the subnet's VPC: moto answers VpcConfig.VpcId with a placeholder ("vpc-123abc")
    subnet = egress_only.ec2.describe_subnets(SubnetIds=vpc_config["SubnetIds"][:1])["Subnets"][0]
    group_id = egress_only.ec2.create_security_group(
        GroupName="pit-no-ipv6-egress",
        Description="all IPv4 egress, no IPv6",
        VpcId=subnet["VpcId"],
    )["GroupId"]
    try:
        # a new group in a VPC with IPv6 egresses everywhere in both families: drop the IPv6 rule
        egress_only.ec2.revoke_security_group_egress(
            GroupId=group_id,
            IpPermissions=[{"IpProtocol": "-1", "Ipv6Ranges": [{"CidrIpv6": "::/0"}]}],
        )
        egress_only.lam.update_function_configuration(
            FunctionName=name,
            VpcConfig={
                "SubnetIds": vpc_config["SubnetIds"],
                "SecurityGroupIds": [group_id],
                "Ipv6AllowedForDualStack": True,
            },
        )
        with in_lab(egress_only, emulator):
            result = run(egress_only, "vpc", ["sqs_send", "dynamodb_put"])
    finally:
        egress_only.lam.update_function_configuration(
            FunctionName=name,
            VpcConfig={
                "SubnetIds": vpc_config["SubnetIds"],
                "SecurityGroupIds": vpc_config["SecurityGroupIds"],
                "Ipv6AllowedForDualStack": vpc_config["Ipv6AllowedForDualStack"],
            },
        )
        egress_only.ec2.delete_security_group(GroupId=group_id)
    assert "diagnosis" in result["evidence"]["sqs"], json.dumps(result["evidence"])
    diagnosis = result["evidence"]["sqs"]["diagnosis"]
    print(f"\nno IPv6 egress rule: {diagnosis['attempts']}")
    assert errors(result, "sqs_send") == {"ConnectTimeoutError": 1}
    assert {a["outcome"] for a in diagnosis["attempts"] if a["family"] == "ipv6"} == {"timeout"}
    # IPv4 through the endpoint
    assert result["operations"]["dynamodb_put"]["errors"] == 0, json.dumps(result["evidence"])


def test_the_global_dualstack_switch_sends_xray_to_a_name_that_does_not_exist(
    egress_only, emulator, lab_env
):
    global_switch = {"NATLESS_DUALSTACK_SERVICES": "sdk", "AWS_USE_DUALSTACK_ENDPOINT": "true"}
    with in_lab(egress_only, emulator):
        result = run(egress_only, "vpc", ["xray_put", "sqs_send"], global_switch)
    region = egress_only.ec2.meta.region_name
    diagnosis = result["evidence"]["xray"]["diagnosis"]
    print(f"\nglobal switch: {diagnosis['explanation']}")
    assert result["dualstack_by_sdk"] is True
    assert diagnosis["host"] == f"xray.{region}.api.aws"
    assert diagnosis["resolve_error"] == "EAI_NONAME" and diagnosis["attempts"] == []
    assert set(errors(result, "xray_put")) == {"EndpointConnectionError"}
    # the same switch is right for SQS, which has a dual-stack name
    assert result["operations"]["sqs_send"]["errors"] == 0, result["evidence"]["sqs"]
    assert result["evidence"]["sqs"]["host"] == f"sqs.{region}.api.aws"


# --- nat-gateway with DNS64 -------------------------------------------------------------------


def test_the_ipv4_only_host_answers_through_the_nat_with_its_elastic_ip(
    nat_dns64, emulator, lab_env
):
    with in_lab(nat_dns64, emulator) as lab:
        result = run(nat_dns64, "vpc", ["http_get"], {"NATLESS_IP_PREFERENCE": "ipv4first"},
                     url=IPV4_ONLY_URL)  # fmt: skip
        seen = carried(lab, IPV4ONLY_PUBLIC)
        eips = set(lab.lab.plan.eips.values())
    print(f"\nIPv4 through the NAT: {seen}")
    assert result["operations"]["http_get"]["errors"] == 0
    assert result["evidence"]["http"]["address"] == str(PUBLIC_IPV4_ONLY)
    assert seen and {via for via, _ in seen} <= {f for f in lab.lab.plan.eips}
    assert {peer for _, peer in seen} <= eips


def test_dns64_and_nat64_reach_the_ipv4_only_host_over_ipv6(nat_dns64, emulator, lab_env):
    with in_lab(nat_dns64, emulator) as lab:
        result = run(nat_dns64, "vpc", ["http_get"], url=IPV4_ONLY_URL)  # ipv6first (deployed)
        seen = carried(lab, IPV4ONLY_PUBLIC)
        eips = set(lab.lab.plan.eips.values())
    evidence = result["evidence"]["http"]
    print(f"\nDNS64 + NAT64: {evidence['address']} -> {seen}")
    assert result["operations"]["http_get"]["errors"] == 0
    assert evidence["family"] == "ipv6"
    assert evidence["address"] == synthesise(str(PUBLIC_IPV4_ONLY))
    assert seen and {peer for _, peer in seen} <= eips  # translated, then the NAT's address
