"""The smallest fixes natless carries for moto gaps that block a dual-stack Terraform stack.

Each fix says what it changes, why, and where in moto; each is paired with a test in
tests/unit/emulator/test_fixes.py that runs *unpatched* moto and fails once upstream behaves
correctly, so the fix can be dropped. Fixes are applied only inside the emulator's server process
(natless.emulator.server), never to moto imported by tests or by users.

moto gaps that natless knows of and deliberately does *not* patch:
- moto does not load the AWS-managed IAM policies unless asked: configuration, not a patch; the
  server process runs with ``MOTO_IAM_LOAD_MANAGED_POLICIES=true``.
- IPv6-only subnets overflow AvailableIpAddressCount: natless never creates IPv6-only subnets
  (Lambda does not support them), so nothing is patched.
- DescribePrefixLists answers without Cidrs, and a Lambda function's VpcConfig.VpcId is
  hard-coded: read-side only. natless.net.routes reads the managed prefix list entries and the
  subnets instead, as it would on AWS.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import moto.logs.models as logs_models
from moto.ec2.models.security_groups import SecurityGroupRule
from moto.ec2.models.subnets import Subnet
from moto.ec2.models.vpcs import VPCBackend
from moto.ec2.responses.subnets import Subnets
from moto.ec2.responses.vpcs import VPCs
from moto.iam.access_control import IAMPolicy, PermissionResult
from moto.rds.models import DBParameterGroup
from moto.s3.models import FakeBucket

from natless.emulator.insights import NotNatless, insights_plan


@dataclass(frozen=True)
class Fix:
    name: str
    gap: str
    where: str
    apply: Callable[[], None]


def _subnet_ipv6_state() -> None:
    """DescribeSubnets: report ``Ipv6CidrBlockState.State`` as the plain string it stores.

    moto wraps the stored ``{"State": "associated"}`` in another dict, so the API answers
    ``"{'State': 'associated'}"`` and the AWS provider waits 3 minutes for "associated".
    """

    def ipv6_cidr_block_association_set(self: Subnet) -> list[dict[str, object]]:
        return [
            {
                "ipv6CidrBlock": assoc["ipv6CidrBlock"],
                "associationId": assoc["associationId"],
                "ipv6CidrBlockState": dict(assoc["ipv6CidrBlockState"]),
            }
            for assoc in self.ipv6_cidr_block_associations.values()
            if assoc["ipv6CidrBlockState"]["State"] == "associated"
        ]

    Subnet.ipv6_cidr_block_association_set = property(ipv6_cidr_block_association_set)


# ModifySubnetAttribute names that moto ignores, mapped to the Subnet attribute they set.
_SUBNET_ATTRIBUTES = {
    "EnableDns64": "enable_dns64",
    "EnableResourceNameDnsAAAARecordOnLaunch": None,  # stored in private_dns_name_options
    "PrivateDnsHostnameTypeOnLaunch": None,
}


def _subnet_attributes() -> None:
    """ModifySubnetAttribute: accept EnableDns64 and the two private-DNS-name options.

    moto only handles MapPublicIpOnLaunch, AssignIpv6AddressOnCreation and
    EnableResourceNameDnsARecordOnLaunch; the provider polls for the others until its 5-minute
    timeout. The values are stored so DescribeSubnets reads them back.
    """
    original = Subnets.modify_subnet_attribute
    Subnet.enable_dns64 = False  # class default, read by the DescribeSubnets serializer

    def modify_subnet_attribute(self: Subnets):  # type: ignore[no-untyped-def]
        subnet = self.ec2_backend.get_subnet(self._get_param("SubnetId"))
        dns64 = self._get_param("EnableDns64.Value")
        if dns64 is not None:
            subnet.enable_dns64 = str(dns64).lower() == "true"
        aaaa = self._get_param("EnableResourceNameDnsAAAARecordOnLaunch.Value")
        if aaaa is not None:
            subnet.private_dns_name_options_on_launch["EnableResourceNameDnsAAAARecord"] = (
                str(aaaa).lower() == "true"
            )
        hostname_type = self._get_param("PrivateDnsHostnameTypeOnLaunch")
        if hostname_type is not None:
            subnet.private_dns_name_options_on_launch["HostnameType"] = hostname_type
        return original(self)

    Subnets.modify_subnet_attribute = modify_subnet_attribute


def _vpc_endpoint_ip_options() -> None:
    """CreateVpcEndpoint/ModifyVpcEndpoint: keep ``IpAddressType`` and ``DnsOptions``.

    moto drops both, so DescribeVpcEndpoints answers without them and every later plan shows
    drift on dual-stack interface endpoints.
    """
    create, modify = VPCs.create_vpc_endpoint, VPCs.modify_vpc_endpoint

    def remember(self: VPCs, endpoint_id: str) -> None:
        endpoint = self.ec2_backend.describe_vpc_endpoints(vpc_end_point_ids=[endpoint_id])[0]
        ip_type = self._get_param("IpAddressType")
        if ip_type:
            endpoint.ip_address_type = ip_type
        record_type = self._get_param("DnsOptions.DnsRecordIpType")
        if record_type:
            endpoint.dns_options = {"DnsRecordIpType": record_type}

    def create_vpc_endpoint(self: VPCs):  # type: ignore[no-untyped-def]
        result = create(self)
        remember(self, result.result["VpcEndpoint"].id)
        return result

    def modify_vpc_endpoint(self: VPCs):  # type: ignore[no-untyped-def]
        result = modify(self)
        remember(self, self._get_param("VpcEndpointId"))
        return result

    VPCs.create_vpc_endpoint = create_vpc_endpoint
    VPCs.modify_vpc_endpoint = modify_vpc_endpoint


def _gateway_endpoint_routes() -> None:
    """ModifyVpcEndpoint: add/remove the prefix-list route when route tables are added/removed.

    moto creates a gateway endpoint's routes only at CreateVpcEndpoint; AddRouteTableIds and
    RemoveRouteTableIds (what the provider's aws_vpc_endpoint_route_table_association calls)
    only edit the endpoint's list, so the route tables never get the route. Found by
    natless's route-matrix apply test.
    """
    original = VPCBackend.modify_vpc_endpoint

    def modify_vpc_endpoint(
        self,
        vpc_id,
        policy_doc,
        add_subnets,
        remove_subnets,  # type: ignore[no-untyped-def]
        remove_route_tables,
        add_route_tables,
        *args,
        **kwargs,
    ):
        original(
            self,
            vpc_id,
            policy_doc,
            add_subnets,
            remove_subnets,
            remove_route_tables,
            add_route_tables,
            *args,
            **kwargs,
        )
        endpoint = self.describe_vpc_endpoints(vpc_end_point_ids=[vpc_id])[0]
        prefix_list = endpoint.destination_prefix_list_id
        if not prefix_list:
            return
        for table_id in add_route_tables or []:
            routes = self.get_route_table(table_id).routes
            if not any(r.destination_prefix_list_id == prefix_list for r in routes):
                self.create_route(
                    table_id, None, gateway_id=endpoint.id, destination_prefix_list_id=prefix_list
                )
        for table_id in remove_route_tables or []:
            self.delete_route(table_id, None, None, prefix_list)

    VPCBackend.modify_vpc_endpoint = modify_vpc_endpoint


def _is_insecure_transport_only(statement: dict[str, object]) -> bool:
    condition = statement.get("Condition") or {}
    if not isinstance(condition, dict) or set(condition) != {"Bool"}:
        return False
    test = condition["Bool"]
    if not isinstance(test, dict) or set(test) != {"aws:SecureTransport"}:
        return False
    value = test["aws:SecureTransport"]
    values = value if isinstance(value, list) else [value]
    return [str(v).lower() for v in values] == ["false"]


def _bucket_policy_tls_condition() -> None:
    """S3 bucket policies: a TLS-only Deny must not refuse requests to the emulator.

    moto evaluates only StringEquals conditions; a statement with any other condition is taken
    as matching, so the standard TLS-only policy (Deny s3:* when Bool aws:SecureTransport is
    "false") refuses every request. The emulator stands in for AWS's HTTPS endpoints on
    loopback, so it treats every request as secure transport: statements that apply only to
    insecure transport are left out of the evaluation; everything else is moto's. Not in the
    notes: found by the demo (s3_put answered 403 x100).
    """

    def get_permission(self: FakeBucket, action: str, resource: str):  # type: ignore[no-untyped-def]
        if self.policy is None:
            return PermissionResult.NEUTRAL
        document = json.loads(self.policy)
        statements = document.get("Statement", [])
        statements = statements if isinstance(statements, list) else [statements]
        kept = [s for s in statements if not _is_insecure_transport_only(s)]
        if not kept:
            return PermissionResult.NEUTRAL
        return IAMPolicy(json.dumps({**document, "Statement": kept})).is_action_permitted(
            action, resource
        )

    FakeBucket.get_permission = get_permission


def _security_group_rule_description() -> None:
    """DescribeSecurityGroupRules: keep the description of rules that name a group or a prefix
    list.

    moto reads a rule's description from its CIDR range only, so a rule with
    referenced_security_group_id or prefix_list_id comes back without one and every plan shows
    drift. Found by the public-private-split apply test (group) and the lambda-pair egress to
    the gateway endpoints' prefix lists (prefix list).
    """
    original_init = SecurityGroupRule.__init__
    prefix_list_at = 7  # SecurityGroupRule(ec2_backend, ..., source_group, prefix_list_id, ...)

    def __init__(self: SecurityGroupRule, *args, **kwargs):  # type: ignore[no-untyped-def]
        original_init(self, *args, **kwargs)
        given = args[prefix_list_at] if len(args) > prefix_list_at else None
        prefix_list = kwargs.get("prefix_list_id", given) or {}
        self.natless_prefix_list_description = prefix_list.get("Description")

    def description(self: SecurityGroupRule) -> str | None:
        return (
            self.ip_range.get("Description")
            or (self.source_group or {}).get("Description")
            or getattr(self, "natless_prefix_list_description", None)
        )

    SecurityGroupRule.__init__ = __init__
    SecurityGroupRule.description = property(description)


def _db_parameter_source() -> None:
    """ModifyDBParameterGroup: mark the parameters a user set with ``Source: user``.

    moto stores parameters without a Source; the provider keeps only user-sourced parameters
    when it reads a group back, so every parameter looks missing and every plan shows drift.
    Found by the public-private-split apply test.
    """
    original = DBParameterGroup.update_parameters

    def update_parameters(self: DBParameterGroup, new_parameters):  # type: ignore[no-untyped-def]
        marked = [{"Source": "user", **parameter} for parameter in new_parameters]
        original(self, marked)

    DBParameterGroup.update_parameters = update_parameters


def _insights_stats() -> None:
    """StartQuery/GetQueryResults: run natless's one Logs Insights query (parse, filter, stats).

    moto's Insights (moto/logs/logs_query) knows only ``fields``, ``sort`` and ``limit``: it
    answers ``parse``/``stats`` with the raw messages, so the audit's Insights path could not
    run on the emulator. The fix evaluates exactly natless's query shape
    (:func:`natless.emulator.insights.insights_plan`: a glob ``parse`` of the default flow-log
    format, a ``filter`` on the NAT addresses, ``stats sum(bytes) by srcaddr, dstaddr`` or by
    address octets, ``limit``) over the events of the queried groups and window, as moto
    selects them (epoch seconds, both ends included). Any other query goes to moto unchanged.
    """
    original = logs_models.execute_query

    def execute_query(log_groups, query, start_time, end_time):  # type: ignore[no-untyped-def]
        try:
            plan = insights_plan(query)
        except NotNatless:
            return original(log_groups, query, start_time, end_time)

        def messages() -> Iterator[str]:
            for group in log_groups:
                for stream in group.streams.values():
                    for event in stream.events:
                        if start_time and event.timestamp < start_time * 1000:
                            continue
                        if end_time and event.timestamp > end_time * 1000:
                            continue
                        yield event.message

        return plan(messages())

    logs_models.execute_query = execute_query


FIXES: tuple[Fix, ...] = (
    Fix(
        "subnet-ipv6-state",
        "Ipv6CidrBlockState.State is a stringified dict",
        "moto/ec2/models/subnets.py: Subnet.ipv6_cidr_block_association_set",
        _subnet_ipv6_state,
    ),
    Fix(
        "subnet-attributes",
        "ModifySubnetAttribute ignores EnableDns64 and private DNS name options",
        "moto/ec2/responses/subnets.py: Subnets.modify_subnet_attribute",
        _subnet_attributes,
    ),
    Fix(
        "vpc-endpoint-ip-options",
        "CreateVpcEndpoint ignores IpAddressType and DnsOptions",
        "moto/ec2/responses/vpcs.py: VPCs.create_vpc_endpoint",
        _vpc_endpoint_ip_options,
    ),
    Fix(
        "gateway-endpoint-routes",
        "ModifyVpcEndpoint route table changes do not touch the route tables",
        "moto/ec2/models/vpcs.py: VPCBackend.modify_vpc_endpoint / VPCEndPoint.modify",
        _gateway_endpoint_routes,
    ),
    Fix(
        "bucket-policy-tls-condition",
        "bucket policy conditions other than StringEquals always match (TLS-only Deny)",
        "moto/s3/models.py: FakeBucket.get_permission; moto/iam/access_control.py conditions",
        _bucket_policy_tls_condition,
    ),
    Fix(
        "security-group-rule-description",
        "rules that reference a security group or a prefix list lose their description",
        "moto/ec2/models/security_groups.py: SecurityGroupRule.__init__, .description",
        _security_group_rule_description,
    ),
    Fix(
        "db-parameter-source",
        "DB parameters carry no Source, so the provider reads none back",
        "moto/rds/models.py: DBParameterGroup.update_parameters",
        _db_parameter_source,
    ),
    Fix(
        "logs-insights-stats",
        "Logs Insights runs no parse/filter/stats: natless's query gets raw messages back",
        "moto/logs/logs_query/__init__.py: execute_query (called from moto/logs/models.py)",
        _insights_stats,
    ),
)


def apply_all() -> list[str]:
    """Apply every fix; returns their names (for the server's start-up line)."""
    for fix in FIXES:
        fix.apply()
    return [fix.name for fix in FIXES]
