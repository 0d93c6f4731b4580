"""What the emulator holds, kind by kind: taken before a stack is applied and compared after its
destroy, so that a test sees anything the destroy left behind.

    before = leftovers(kw)  # kw: emulator.client_kwargs()
    ...apply, destroy...
    assert leftovers(kw) == before

Each kind lists the IDs or names of what the user made (not the defaults AWS or the emulator
keeps: the default VPC and its subnets and security groups, service-linked roles, deleted NAT
gateways and endpoints), sorted, so two listings compare equal whatever order the API answers in.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import boto3

Client = Callable[[str], Any]

# The kinds every stack of the examples creates; tests of stacks that create more add their kinds.
STACK_KINDS = ("vpcs", "subnets", "functions", "tables", "queues", "buckets")
# ... and what a stack with its own network, endpoints and functions creates besides.
NETWORK_STACK_KINDS = (
    *STACK_KINDS,
    "security_groups",
    "nat_gateways",
    "addresses",
    "endpoints",
    "egress_only_gateways",
    "roles",
    "log_groups",
)

_GONE = ("deleted", "deleting")


def _security_groups(client: Client) -> list[str]:
    groups = client("ec2").describe_security_groups()["SecurityGroups"]
    return [g["GroupId"] for g in groups if g["GroupName"] != "default"]


def _nat_gateways(client: Client) -> list[str]:
    gateways = client("ec2").describe_nat_gateways()["NatGateways"]
    return [n["NatGatewayId"] for n in gateways if n["State"] not in _GONE]


def _endpoints(client: Client) -> list[str]:
    endpoints = client("ec2").describe_vpc_endpoints()["VpcEndpoints"]
    return [e["VpcEndpointId"] for e in endpoints if e["State"].lower() not in _GONE]


def _egress_only_gateways(client: Client) -> list[str]:
    found = client("ec2").describe_egress_only_internet_gateways()["EgressOnlyInternetGateways"]
    return [g["EgressOnlyInternetGatewayId"] for g in found]


def _roles(client: Client) -> list[str]:
    roles = client("iam").list_roles()["Roles"]
    return [r["RoleName"] for r in roles if not r["Path"].startswith("/aws-service-role/")]


KINDS: dict[str, Callable[[Client], list[str]]] = {
    "vpcs": lambda c: [
        v["VpcId"] for v in c("ec2").describe_vpcs()["Vpcs"] if not v.get("IsDefault")
    ],
    "subnets": lambda c: [
        s["SubnetId"] for s in c("ec2").describe_subnets()["Subnets"] if not s.get("DefaultForAz")
    ],
    "security_groups": _security_groups,
    "nat_gateways": _nat_gateways,
    "addresses": lambda c: [a["AllocationId"] for a in c("ec2").describe_addresses()["Addresses"]],
    "endpoints": _endpoints,
    "egress_only_gateways": _egress_only_gateways,
    "functions": lambda c: [f["FunctionName"] for f in c("lambda").list_functions()["Functions"]],
    "tables": lambda c: c("dynamodb").list_tables()["TableNames"],
    "queues": lambda c: c("sqs").list_queues().get("QueueUrls", []),
    "buckets": lambda c: [b["Name"] for b in c("s3").list_buckets()["Buckets"]],
    "roles": _roles,
    "log_groups": lambda c: [
        g["logGroupName"] for g in c("logs").describe_log_groups()["logGroups"]
    ],
    "db_instances": lambda c: [
        d["DBInstanceIdentifier"] for d in c("rds").describe_db_instances()["DBInstances"]
    ],
    "db_subnet_groups": lambda c: [
        g["DBSubnetGroupName"] for g in c("rds").describe_db_subnet_groups()["DBSubnetGroups"]
    ],
    "event_rules": lambda c: [r["Name"] for r in c("events").list_rules()["Rules"]],
    "secrets": lambda c: [s["Name"] for s in c("secretsmanager").list_secrets()["SecretList"]],
}


def leftovers(kw: dict[str, Any], kinds: Iterable[str] = STACK_KINDS) -> dict[str, list[str]]:
    """What the emulator at ``kw`` (boto3 client arguments) holds of each of ``kinds``."""
    clients: dict[str, Any] = {}

    def client(service: str) -> Any:
        if service not in clients:
            clients[service] = boto3.client(service, **kw)
        return clients[service]

    return {kind: sorted(KINDS[kind](client)) for kind in kinds}
