"""boto3 clients for the account the user points at (a real one, or the emulator via env)."""

from __future__ import annotations

import os

import boto3
import botocore.exceptions

from natless.errors import UserError

# The keys of an EC2 route (DescribeRouteTables) that name where it goes: the three natless builds
# routes to (GatewayId is igw-, vpce- for gateway endpoints, or local), then every other kind.
OTHER_ROUTE_TARGETS = (
    "TransitGatewayId",
    "VpcPeeringConnectionId",
    "NetworkInterfaceId",
    "InstanceId",
    "CarrierGatewayId",
    "LocalGatewayId",
    "CoreNetworkArn",
)
ROUTE_TARGETS = ("NatGatewayId", "EgressOnlyInternetGatewayId", "GatewayId", *OTHER_ROUTE_TARGETS)


def session(region: str | None = None) -> boto3.session.Session:
    """A boto3 session with a region, or a UserError that says how to set one."""
    # botocore reads AWS_DEFAULT_REGION; AWS_REGION is what Lambda and most tools set
    sess = boto3.session.Session(region_name=region or os.environ.get("AWS_REGION") or None)
    if not sess.region_name:
        raise UserError("no AWS region: pass --region or set AWS_REGION")
    if sess.get_credentials() is None:
        raise UserError(
            "no AWS credentials: configure a profile (AWS_PROFILE) or keys, or point natless "
            "at the emulator with the variables `natless emulator` prints"
        )
    return sess


def explain(exc: botocore.exceptions.BotoCoreError | botocore.exceptions.ClientError) -> str:
    """One line for an AWS SDK failure."""
    if isinstance(exc, botocore.exceptions.ClientError):
        err = exc.response.get("Error", {})
        return f"{err.get('Code', 'Error')}: {err.get('Message', str(exc))}"
    return str(exc)
