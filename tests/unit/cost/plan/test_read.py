"""natless.cost.plan.read: what a plan holds that costs money (NAT gateways, public IPv4,
interface endpoints and their width, functions, the region).

Plans are synthetic (tests/support/plans.py).
"""

from __future__ import annotations

from natless.cost.model import Endpoint
from natless.cost.money import usd
from natless.cost.plan.read import summarize_plan
from natless.cost.services import load_catalog
from tests.support.plans import (
    change,
    egress_only_changes,
    interface_endpoint,
    make_plan,
    nat_changes,
    priced,
    subnets,
)


def test_deleted_resources_do_not_count_but_replaced_ones_do() -> None:
    plan = make_plan(
        [
            *egress_only_changes(2),
            change("aws_nat_gateway", "old", {}, key=0, actions=("delete",)),
            change("aws_eip", "old", {"domain": "vpc"}, key=0, actions=("delete",)),
            change("aws_nat_gateway", "kept", {}, actions=("no-op",)),
            change("aws_nat_gateway", "new", {}, actions=("delete", "create")),
            change("aws_nat_gateway", "upd", {"connectivity_type": "public"}, actions=("update",)),
        ]
    )
    assert summarize_plan(plan, load_catalog()).nat_gateways == 3


def test_private_nat_gateways_are_not_egress() -> None:
    plan = make_plan(
        [*egress_only_changes(2), change("aws_nat_gateway", "p", {"connectivity_type": "private"})]
    )
    summary = summarize_plan(plan, load_catalog())
    assert (summary.nat_gateways, summary.private_nat_gateways, summary.public_ipv4) == (0, 1, 0)
    assert any("private NAT" in n for n in summary.notes(2))


def test_public_ipv4_counts_eips_and_at_least_one_per_nat() -> None:
    catalog = load_catalog()
    nat_only = make_plan([change("aws_nat_gateway", "x", {}), *subnets(2)])
    assert summarize_plan(nat_only, catalog).public_ipv4 == 1  # its EIP made elsewhere
    spare = make_plan([*nat_changes(1), change("aws_eip", "spare", {"domain": "vpc"})])
    assert summarize_plan(spare, catalog).public_ipv4 == 2


def test_endpoint_width_from_after_unknown_list() -> None:
    endpoint = interface_endpoint("xray", None, after_unknown={"subnet_ids": [True, True, True]})
    plan = make_plan([*egress_only_changes(3), endpoint])
    [found] = summarize_plan(plan, load_catalog()).interface_endpoints
    assert (found.service, found.azs, found.azs_from) == ("xray", 3, "after_unknown")


def test_endpoint_width_from_configuration_resource_references() -> None:
    endpoint = interface_endpoint("ssm", None, after_unknown={"subnet_ids": True})
    config = {
        "resources": [
            {
                "address": "aws_vpc_endpoint.interface",
                "mode": "managed",
                "type": "aws_vpc_endpoint",
                "name": "interface",
                "expressions": {"subnet_ids": {"references": ["aws_subnet.private"]}},
            }
        ]
    }
    plan = make_plan([*egress_only_changes(3), endpoint], root_module=config)
    [found] = summarize_plan(plan, load_catalog()).interface_endpoints
    assert (found.azs, found.azs_from) == (3, "configuration")


def test_endpoint_width_from_indexed_references() -> None:
    endpoint = interface_endpoint("ssm", None, after_unknown={"subnet_ids": True})
    refs = [
        "aws_subnet.private[0].id",
        "aws_subnet.private[0]",
        "aws_subnet.private[1].id",
        "aws_subnet.private[1]",
        "aws_subnet.private",
    ]
    config = {
        "resources": [
            {
                "type": "aws_vpc_endpoint",
                "name": "interface",
                "expressions": {"subnet_ids": {"references": refs}},
            }
        ]
    }
    plan = make_plan([*egress_only_changes(3), endpoint], root_module=config)
    [found] = summarize_plan(plan, load_catalog()).interface_endpoints
    assert found.azs == 2


def test_endpoint_width_through_module_variable_and_output() -> None:
    """Root passes module.vpc.private_subnet_ids to module.endpoints' var.subnet_ids."""
    module = "module.endpoints"
    endpoint = interface_endpoint("xray", None, after_unknown={"subnet_ids": True}, module=module)
    vpc_subnets = [
        change(
            "aws_subnet",
            "private",
            {"availability_zone": f"us-east-1{z}"},
            key=i,
            module="module.vpc",
        )
        for i, z in enumerate("abc")
    ]
    config = {
        "module_calls": {
            "vpc": {
                "module": {
                    "outputs": {
                        "private_subnet_ids": {"expression": {"references": ["aws_subnet.private"]}}
                    }
                }
            },
            "endpoints": {
                "expressions": {
                    "subnet_ids": {"references": ["module.vpc.private_subnet_ids", "module.vpc"]}
                },
                "module": {
                    "resources": [
                        {
                            "type": "aws_vpc_endpoint",
                            "name": "interface",
                            "expressions": {"subnet_ids": {"references": ["var.subnet_ids"]}},
                        }
                    ]
                },
            },
        }
    }
    plan = make_plan([*vpc_subnets, endpoint], root_module=config)
    summary = summarize_plan(plan, load_catalog())
    [found] = summary.interface_endpoints
    assert (found.azs, found.azs_from, summary.azs) == (3, "configuration", 3)


def test_endpoint_width_from_root_variable_value() -> None:
    endpoint = interface_endpoint("xray", None, after_unknown={"subnet_ids": True})
    config = {
        "resources": [
            {
                "type": "aws_vpc_endpoint",
                "name": "interface",
                "expressions": {"subnet_ids": {"references": ["var.subnets"]}},
            }
        ]
    }
    plan = make_plan([endpoint], root_module=config, variables={"subnets": ["s-1", "s-2"]})
    [found] = summarize_plan(plan, load_catalog()).interface_endpoints
    assert (found.azs, found.azs_from) == (2, "configuration")


def test_endpoint_width_unknown_is_assumed_one_per_az() -> None:
    endpoint = interface_endpoint("xray", None, after_unknown={"subnet_ids": True})
    config = {
        "resources": [
            {
                "type": "aws_vpc_endpoint",
                "name": "interface",
                "expressions": {"subnet_ids": {"references": ["local.private_ids"]}},
            }
        ]
    }
    plan = make_plan([*egress_only_changes(3), endpoint], root_module=config)
    summary = summarize_plan(plan, load_catalog())
    [found] = summary.interface_endpoints
    assert (found.azs, found.azs_from) == (None, "unknown")
    assert summary.topology(3).interface_endpoints == (Endpoint("xray", 3),)
    assert any("assumed one per AZ (3" in n for n in summary.notes(3))


def test_endpoint_width_from_the_azs_of_the_subnets_it_draws_from() -> None:
    """The shape of real plans: the list is unknown, and built from a local in a for-expression.

    modules/dual-stack-vpc has ``private_subnet_ids = [for az in local.azs :
    aws_subnet.this["private/${az}"].id]``; aws_subnet.this also holds the public and isolated
    subnets, in the same AZs. One subnet per AZ at most: the endpoint spans those AZs.
    """
    module = "module.endpoints"
    endpoint = interface_endpoint("sqs", None, after_unknown={"subnet_ids": True}, module=module)
    vpc_subnets = [
        change(
            "aws_subnet",
            "this",
            {"availability_zone": f"us-east-1{z}"},
            key=f"{tier}/us-east-1{z}",
            module="module.vpc",
        )
        for tier in ("public", "private", "isolated")
        for z in "ab"
    ]
    config = {
        "module_calls": {
            "vpc": {
                "module": {
                    "outputs": {
                        "private_subnet_ids": {
                            "expression": {"references": ["local.azs", "aws_subnet.this"]}
                        }
                    }
                }
            },
            "endpoints": {
                "expressions": {
                    "subnet_ids": {"references": ["module.vpc.private_subnet_ids", "module.vpc"]}
                },
                "module": {
                    "resources": [
                        {
                            "type": "aws_vpc_endpoint",
                            "name": "interface",
                            "expressions": {"subnet_ids": {"references": ["var.subnet_ids"]}},
                        }
                    ]
                },
            },
        }
    }
    plan = make_plan([*vpc_subnets, endpoint], root_module=config)
    summary = summarize_plan(plan, load_catalog())
    [found] = summary.interface_endpoints
    assert (found.azs, found.azs_from, summary.azs) == (2, "subnet_azs", 2)
    assert summary.topology(3).interface_endpoints == (Endpoint("sqs", 2),)  # not --azs
    assert summary.notes(3) == []
    assert usd(priced(plan, azs=3).fixed_usd) == "14.60"


def test_planned_values_only_plan() -> None:
    plan = {
        "format_version": "1.2",
        "planned_values": {
            "root_module": {
                "resources": [
                    {
                        "address": "aws_nat_gateway.a",
                        "mode": "managed",
                        "type": "aws_nat_gateway",
                        "name": "a",
                        "values": {},
                    },
                ],
                "child_modules": [
                    {
                        "address": "module.x",
                        "resources": [
                            {
                                "address": "module.x.aws_egress_only_internet_gateway.e",
                                "mode": "managed",
                                "type": "aws_egress_only_internet_gateway",
                                "name": "e",
                                "values": {},
                            }
                        ],
                    }
                ],
            }
        },
    }
    summary = summarize_plan(plan, load_catalog())
    assert (summary.nat_gateways, summary.egress_only_gateways, summary.region) == (1, 1, None)


def test_region_from_provider_variable_or_subnet_zones() -> None:
    catalog = load_catalog()
    by_var = make_plan(subnets(2), region=None, variables={"region": "eu-central-1"})
    by_var["configuration"]["provider_config"]["aws"] = {
        "name": "aws",
        "expressions": {"region": {"references": ["var.region"]}},
    }
    assert summarize_plan(by_var, catalog).region == "eu-central-1"
    by_zone = make_plan(subnets(2, "ap-southeast-1"), region=None)
    assert summarize_plan(by_zone, catalog).region == "ap-southeast-1"


def test_lambda_functions_and_the_ipv6_switch() -> None:
    plan = make_plan(
        [
            *egress_only_changes(2),
            change("aws_lambda_function", "public", {"vpc_config": []}),
            change(
                "aws_lambda_function",
                "legacy",
                {"vpc_config": [{"subnet_ids": ["s-1"], "ipv6_allowed_for_dual_stack": False}]},
            ),
        ]
    )
    summary = summarize_plan(plan, load_catalog())
    found = {f.address: (f.in_vpc, f.ipv6_allowed) for f in summary.functions}
    assert found == {
        "aws_lambda_function.private": (True, True),
        "aws_lambda_function.public": (False, None),
        "aws_lambda_function.legacy": (True, False),
    }
    assert any("aws_lambda_function.legacy" in n for n in summary.notes(2))
