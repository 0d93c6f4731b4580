"""Apply coverage, as data: scenarios that apply every input of every module.

A plan proves a configuration valid, not that AWS (or its stand-in) accepts the values: an
apostrophe in a security-group rule description passed every plan test and failed every apply.
So each module input is applied at least once with a non-default value, in as few applies as
possible: two root modules, written here as data in Terraform's JSON syntax (``main.tf.json``),
calling the modules.

``APPLIED_BY`` is the table: module -> input -> the scenario that applies it with a value other
than its default. ``PLANNED_ONLY`` lists the inputs no scenario can set, with the reason and the
test that covers each instead.

tests/unit/test_coverage_table.py checks that the table lists every input of every module;
tests/emulator/test_coverage_apply.py applies the scenarios and checks each claim of the table
against Terraform's own view of the module calls.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from natless.paths import MODULES, SCRATCH
from tests.jsonroot import HANDLER, module_call, root_document, write_root

MODULE_NAMES = (
    "dual-stack-vpc",
    "vpc-endpoints",
    "lambda-pair",
    "bench-targets",
    "split-functions",
    "function",
    "dual-stack-subnets",
)
TAGS = {"natless:test": "coverage"}
KMS = "${aws_kms_key.cov.arn}"
ZIP = "${path.module}/fn.zip"
VPC_ID = "${module.vpc.vpc_id}"
PRIVATE_SUBNETS = "${module.vpc.private_subnet_ids}"
ISOLATED_SUBNETS = "${module.vpc.isolated_subnet_ids}"
TOPIC = "arn:aws:sns:us-east-1:123456789012:natless-coverage-alarms"
# vpc-endpoints: an interface endpoint policy, and a gateway one scoped to the bench table.
ENDPOINT_POLICY = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "sts:*", "Resource": "*"}],
    }
)
TABLE_ENDPOINT_POLICY = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {"Sid": "OnlyTheBenchTable", "Effect": "Allow", "Principal": "*",
             "Action": "dynamodb:*",
             "Resource": ["${module.targets.table_arn}", "${module.targets.table_arn}/*"]}
        ],
    }
)  # fmt: skip
WORKLOAD_POLICY = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {"Sid": "ReadOwnTable", "Effect": "Allow", "Action": "dynamodb:GetItem",
             "Resource": "${module.targets.table_arn}"}
        ],
    }
)  # fmt: skip

# Root resources the scenarios' module calls refer to.
SUPPORT: dict[str, Any] = {
    "aws_kms_key": {
        "cov": {
            "description": "natless coverage test key",
            "deletion_window_in_days": 7,
            "enable_key_rotation": True,
        }
    },
    "aws_security_group": {
        "db": {
            "name_prefix": "cov-db-",
            "description": "Stand-in database security group",
            "vpc_id": VPC_ID,
        }
    },
}

SCENARIOS: dict[str, dict[str, tuple[str, dict[str, Any]]]] = {
    # 6 AZs (18 subnets), one NAT with DNS64, IPv4 interface endpoints, customer-managed KMS
    # everywhere, NAT alarms, and every function input away from its default.
    "wide": {
        "vpc": (
            "dual-stack-vpc",
            {
                "name": "cov-wide",
                "cidr_block": "10.64.0.0/20",
                "subnet_newbits": 6,
                "az_count": 6,
                "nat_mode": "single",
                "enable_dns64": True,
                "flow_log_retention_days": 30,
                "log_kms_key_arn": KMS,
                "nat_bytes_alarm_gb_per_day": 50,
                "alarm_actions": [TOPIC],
                # explicit CIDRs among the computed /26s, one in the secondary block
                "secondary_cidr_blocks": ["10.65.0.0/24"],
                "public_subnet_cidrs": {"us-east-1c": "10.64.12.0/28"},
                "private_subnet_cidrs": {"us-east-1a": "10.64.8.0/24"},
                "isolated_subnet_cidrs": {"us-east-1b": "10.65.0.0/28"},
                "public_subnet_names": {"us-east-1a": "cov-wide-edge-a"},
                "private_subnet_names": {"us-east-1a": "cov-wide-app-a"},
                "isolated_subnet_names": {"us-east-1b": "cov-wide-db-b"},
                "public_subnet_tags": {"kubernetes.io/role/elb": "1"},
                "private_subnet_tags": {"kubernetes.io/role/internal-elb": "1"},
                "isolated_subnet_tags": {"natless:cov": "isolated"},
                "public_route_table_tags": {"natless:cov": "public-rt"},
                "private_route_table_tags": {"natless:cov": "private-rt"},
                "isolated_route_table_tags": {"natless:cov": "isolated-rt"},
                "public_network_acl": {},  # allow-all of both families, the module's default rules
                # return traffic in, HTTPS out, each rule for both families
                "private_network_acl": {
                    direction: [
                        {
                            "rule_number": 100 + i,
                            "rule_action": "allow",
                            "protocol": "tcp",
                            "from_port": low,
                            "to_port": high,
                            family: everything,
                        }
                        for i, (family, everything) in enumerate(
                            (("cidr_block", "0.0.0.0/0"), ("ipv6_cidr_block", "::/0"))
                        )
                    ]
                    for direction, low, high in (("inbound", 1024, 65535), ("outbound", 443, 443))
                },
                "isolated_network_acl": {
                    "inbound": [
                        {
                            "rule_number": 100,
                            "rule_action": "allow",
                            "protocol": "-1",
                            "cidr_block": "10.64.0.0/20",
                        }
                    ],
                    "outbound": [
                        {
                            "rule_number": 100,
                            "rule_action": "allow",
                            "protocol": "-1",
                            "cidr_block": "10.64.0.0/20",
                        },
                        {
                            "rule_number": 200,
                            "rule_action": "deny",
                            "protocol": "58",
                            "icmp_type": -1,
                            "icmp_code": -1,
                            "ipv6_cidr_block": "::/0",
                        },
                    ],
                },
                # as well as the CloudWatch Logs flow log
                # (file_format/per_hour_partition only planned: moto drops DestinationOptions)
                "flow_log_s3": {"destination_arn": "${module.targets.bucket_arn}"},
                "tags": TAGS,
            },
        ),
        "endpoints": (
            "vpc-endpoints",
            {
                "name": "cov-wide",
                "vpc_id": VPC_ID,
                "gateway_services": ["s3"],
                "route_table_ids": "${module.vpc.private_route_table_ids}",
                "interface_services": ["sqs", "logs", "sts"],
                "subnet_ids": PRIVATE_SUBNETS,
                "ip_address_type": "ipv4",
                # sts away from every module-wide default; a dual-stack S3 gateway endpoint
                # scoped to the bench bucket
                "interface_endpoint_settings": {
                    "sts": {
                        "ip_address_type": "dualstack",
                        "policy": ENDPOINT_POLICY,
                        "private_dns_enabled": False,
                        "subnet_ids": ISOLATED_SUBNETS,
                        "security_group_ids": ["${aws_security_group.db.id}"],
                    }
                },
                "gateway_endpoint_settings": {"s3": {"ip_address_type": "dualstack"}},
                "gateway_policy_resources": {"s3": ["${module.targets.bucket_arn}"]},
                "tags": TAGS,
            },
        ),
        "pair": (
            "lambda-pair",
            {
                "name": "cov-wide",
                "package_path": ZIP,
                "handler": HANDLER,
                "runtime": "python3.13",
                "architecture": "x86_64",
                "memory_size": 256,
                "timeout": 15,
                "environment": {"COVERAGE": "wide"},
                "vpc_id": VPC_ID,
                "subnet_ids": PRIVATE_SUBNETS,
                "ipv6_allowed_for_dual_stack": False,
                "vpc_ipv4_cidr_block": "${module.vpc.vpc_cidr_block}",
                "ipv4_egress_prefix_list_ids": "${module.endpoints.prefix_list_ids}",
                # this scenario has a NAT
                "ipv4_egress_cidr_blocks": ["0.0.0.0/0", "192.0.2.0/24"],
                "reserved_concurrent_executions": 3,
                "policy_json": WORKLOAD_POLICY,
                "log_retention_days": 7,
                "kms_key_arn": KMS,
                "tracing_mode": "Active",
                "tags": TAGS,
            },
        ),
        "targets": (
            "bench-targets",
            {
                "name": "cov-wide",
                "object_expiry_days": 3,
                "force_destroy": False,
                "kms_key_arn": KMS,
                "tags": TAGS,
            },
        ),
        "split": (
            "split-functions",
            {
                "name": "cov-wide-split",
                "private_package_path": ZIP,
                "public_package_path": ZIP,
                "vpc_id": VPC_ID,
                "subnet_ids": ISOLATED_SUBNETS,
                "egress_destinations": {
                    "database": {
                        "security_group_id": "${aws_security_group.db.id}",
                        "port": 6432,
                    }
                },
                "db_host": "db.cov.internal",
                "db_port": 6432,
                "db_name": "cov",
                "db_user": "counter",
                "db_resource_id": "db-COVERAGE0123",
                "db_sslmode": "verify-full",
                "private_environment": {"COVERAGE": "wide"},
                "metric_namespace": "natless/coverage",
                "metric_name": "CoverageSessions",
                "schedule_expression": "rate(1 hour)",
                "schedule_enabled": False,
                "runtime": "python3.13",
                "architecture": "x86_64",
                "private_memory_size": 512,
                "public_memory_size": 192,
                "private_timeout": 20,
                "public_timeout": 40,
                "private_reserved_concurrent_executions": 4,
                "public_reserved_concurrent_executions": 1,
                "log_retention_days": 14,
                "kms_key_arn": KMS,
                "tracing_mode": "Active",
                "tags": TAGS,
            },
        ),
        # modules/function called directly (lambda-pair and split-functions call it with their
        # own values): both kinds of egress on one group, every input but https_egress away from
        # its default.
        "fn": (
            "function",
            {
                "name": "cov-wide-fn",
                "description": "natless coverage: every input of modules/function",
                "package_path": ZIP,
                "handler": HANDLER,
                "runtime": "python3.13",
                "architecture": "x86_64",
                "memory_size": 192,
                "timeout": 12,
                "environment": {"COVERAGE": "wide-fn"},
                "vpc_config": {
                    "vpc_id": VPC_ID,
                    "subnet_ids": PRIVATE_SUBNETS,
                    "ipv6_allowed_for_dual_stack": False,
                },
                "security_group_name_prefix": "cov-wide-fn-group-",
                "vpc_ipv4_cidr_block": "${module.vpc.vpc_cidr_block}",
                "ipv4_egress_prefix_list_ids": "${module.endpoints.prefix_list_ids}",
                "ipv4_egress_cidr_blocks": ["198.51.100.0/24"],
                "egress_destinations": {
                    "database": {"security_group_id": "${aws_security_group.db.id}", "port": 6432}
                },
                "reserved_concurrent_executions": 2,
                "policy_json": WORKLOAD_POLICY,
                "policy_name": "cov-wide-fn-policy",
                "log_retention_days": 3,
                "kms_key_arn": KMS,
                "tracing_mode": "Active",
                "tags": TAGS,
            },
        ),
    },
    # 1 AZ, a NAT per AZ with DNS64, no flow logs, dual-stack interface endpoints, a bucket
    # without lifecycle rules.
    "narrow": {
        "vpc": (
            "dual-stack-vpc",
            {
                "name": "cov-narrow",
                "az_count": 1,
                "nat_mode": "per_az",
                "enable_dns64": True,
                "enable_flow_logs": False,
                # 3 slots per AZ: /18s of the /16 (10.0.192.0/18 stays free for "subnets")
                "subnet_numbering": "by_az",
                "subnet_newbits": 2,
            },
        ),
        "endpoints": (
            "vpc-endpoints",
            {
                "name": "cov-narrow",
                "vpc_id": VPC_ID,
                "route_table_ids": "${module.vpc.private_route_table_ids}",
                "interface_services": ["sqs", "xray"],
                "subnet_ids": PRIVATE_SUBNETS,
                "ip_address_type": "dualstack",
                # xray's endpoint service is IPv4 only (the module refuses it dual-stack); a
                # whole policy document on the DynamoDB gateway endpoint
                "interface_endpoint_settings": {"xray": {"ip_address_type": "ipv4"}},
                "gateway_endpoint_settings": {
                    "s3": {"ip_address_type": "ipv4"},
                    "dynamodb": {"policy": TABLE_ENDPOINT_POLICY},
                },
            },
        ),
        # The pair at its defaults but the endpoints' prefix lists: the VPC's CIDR read from
        # vpc_id, no IPv4 HTTPS to 0.0.0.0/0 although this VPC has NATs.
        "pair": (
            "lambda-pair",
            {
                "name": "cov-narrow",
                "package_path": ZIP,
                "handler": HANDLER,
                "vpc_id": VPC_ID,
                "subnet_ids": PRIVATE_SUBNETS,
                "ipv4_egress_prefix_list_ids": "${module.endpoints.prefix_list_ids}",
            },
        ),
        # null: no lifecycle rules (what `natless demo` asks for on the emulator)
        "targets": ("bench-targets", {"name": "cov-narrow", "object_expiry_days": None}),
        # A function in the VPC whose group allows no egress at all.
        "fn": (
            "function",
            {
                "name": "cov-narrow-fn",
                "package_path": ZIP,
                "handler": HANDLER,
                "vpc_config": {"vpc_id": VPC_ID, "subnet_ids": PRIVATE_SUBNETS},
                "https_egress": False,
            },
        ),
        # natless subnets added to a VPC that exists (here the one above): its /56 (no new
        # association), its NAT for IPv4 and DNS64, /64 number 64 + the AZ letter.
        "subnets": (
            "dual-stack-subnets",
            {
                "name": "cov-narrow-added",
                "vpc_id": VPC_ID,
                "subnets": {"us-east-1a": "10.0.200.0/24"},
                "assign_ipv6_cidr_block": False,
                "ipv6_cidr_block": "${module.vpc.ipv6_cidr_block}",
                "ipv6_netnum_offset": 64,
                "nat_gateway_ids": {"us-east-1a": "${module.vpc.nat_gateway_ids[0]}"},
                "enable_dns64": True,
                "tags": TAGS,
            },
        ),
    },
}

# module -> input -> scenario that applies it with a non-default value
APPLIED_BY: dict[str, dict[str, str]] = {
    module: {
        name: "wide"
        for label, (source, inputs) in SCENARIOS["wide"].items()
        if source == module
        for name in inputs
    }
    for module in MODULE_NAMES
}
APPLIED_BY["dual-stack-vpc"]["enable_flow_logs"] = "narrow"
APPLIED_BY["dual-stack-vpc"]["subnet_numbering"] = "narrow"
APPLIED_BY["function"]["https_egress"] = "narrow"
APPLIED_BY["dual-stack-subnets"] = dict.fromkeys(SCENARIOS["narrow"]["subnets"][1], "narrow")

# module -> input -> (why it is not in a scenario, the test that covers it instead)
PLANNED_ONLY: dict[str, dict[str, tuple[str, str]]] = {
    "dual-stack-vpc": {
        name: (
            "moto 5.2.5 implements no IPAM API (no CreateIpam/CreateIpamPool in "
            "moto/ec2/responses, and CreateVpc ignores Ipv6IpamPoolId), so no pool exists to "
            "allocate the VPC's IPv6 block from",
            "tests/plan/test_dual_stack_vpc_breadth.py::test_ipv6_block_from_the_ipam_pool "
            "(scenario breadth-2az of tests/fixtures/network)",
        )
        for name in ("ipv6_ipam_pool_id", "ipv6_netmask_length")
    },
    "dual-stack-subnets": {
        "egress_only_internet_gateway_id": (
            "it decides a count, so it must be known at plan time: a gateway created in the "
            "same root module (the scenarios' only kind) is unknown until applied",
            "tests/plan/test_existing_vpc_plan.py::test_vpc_that_already_has_an_ipv6_block; "
            "tests/emulator/test_existing_vpc_apply.py applies the module's own gateway",
        ),
    },
}

_VARIABLE = re.compile(r'^variable\s+"([^"]+)"', re.MULTILINE)


def module_inputs(module: str) -> set[str]:
    return set(_VARIABLE.findall((MODULES / module / "variables.tf").read_text()))


def root_module(scenario: str) -> dict[str, Any]:
    """The scenario as a Terraform JSON root module (a ``main.tf.json`` document)."""
    folder = root_dir(scenario)
    calls = {
        label: module_call(folder, source, inputs)
        for label, (source, inputs) in SCENARIOS[scenario].items()
    }
    resources = SUPPORT
    if "split" not in calls:  # only the split functions need the stand-in database group
        resources = {
            rtype: {name: body for name, body in bodies.items() if "${module.vpc" not in str(body)}
            for rtype, bodies in SUPPORT.items()
        }
    return root_document(calls, resources)


def root_dir(scenario: str) -> Path:
    return SCRATCH / "coverage" / scenario


def write_scenario(scenario: str) -> Path:
    return write_root(root_dir(scenario), root_module(scenario))
