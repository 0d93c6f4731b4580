"""Synthetic plans: small ``terraform show -json PLANFILE`` documents built from
``resource_changes`` entries (``address``, ``type``, ``name``, ``change: {actions, after,
after_unknown}``), so the cost tests need neither Terraform nor the emulator. Real plans of the
examples are priced in tests/plan/test_cost_plans.py.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from natless.cost.model import Estimate, estimate
from natless.cost.plan.read import summarize_plan
from natless.cost.pricing import load_prices
from natless.cost.services import load_catalog

US = "us-east-1"


def change(
    rtype: str,
    name: str,
    after: dict[str, Any] | None = None,
    *,
    key: str | int | None = None,
    actions: tuple[str, ...] = ("create",),
    after_unknown: dict[str, Any] | None = None,
    module: str = "",
) -> dict[str, Any]:
    """One ``resource_changes`` entry."""
    index = "" if key is None else f"[{key}]" if isinstance(key, int) else f'["{key}"]'
    address = f"{rtype}.{name}{index}"
    entry: dict[str, Any] = {
        "address": f"{module}.{address}" if module else address,
        "mode": "managed",
        "type": rtype,
        "name": name,
        "change": {
            "actions": list(actions),
            "after": after if after is not None else {},
            "after_unknown": after_unknown or {},
        },
    }
    if key is not None:
        entry["index"] = key
    if module:
        entry["module_address"] = module
    return entry


def make_plan(
    changes: list[dict[str, Any]],
    *,
    region: str | None = US,
    root_module: dict[str, Any] | None = None,
    variables: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """A minimal `terraform show -json PLANFILE` document."""
    providers = {}
    if region is not None:
        providers["aws"] = {
            "name": "aws",
            "full_name": "registry.terraform.io/hashicorp/aws",
            "expressions": {"region": {"constant_value": region}},
        }
    plan: dict[str, Any] = {
        "format_version": "1.2",
        "terraform_version": "1.9.8",
        "planned_values": {"root_module": {}},
        "resource_changes": changes,
        "configuration": {"provider_config": providers, "root_module": root_module or {}},
    }
    if variables is not None:
        plan["variables"] = {k: {"value": v} for k, v in variables.items()}
    return plan


def subnets(azs: int, region: str = US) -> list[dict[str, Any]]:
    return [
        change("aws_subnet", "private", {"availability_zone": f"{region}{z}"}, key=i)
        for i, z in enumerate("abcdef"[:azs])
    ]


def egress_only_changes(azs: int, region: str = US) -> list[dict[str, Any]]:
    """Dual-stack VPC: subnets, EIGW, S3/DynamoDB gateway endpoints, one VPC function."""
    return [
        change("aws_vpc", "this", {"cidr_block": "10.0.0.0/16"}),
        *subnets(azs, region),
        change("aws_egress_only_internet_gateway", "this", {}),
        *(
            change(
                "aws_vpc_endpoint",
                "gateway",
                {"service_name": f"com.amazonaws.{region}.{s}", "vpc_endpoint_type": "Gateway"},
                key=s,
            )
            for s in ("s3", "dynamodb")
        ),
        change(
            "aws_lambda_function",
            "private",
            {"vpc_config": [{"ipv6_allowed_for_dual_stack": True}]},
            after_unknown={"vpc_config": [{"subnet_ids": True}]},
        ),
    ]


def nat_changes(count: int, region: str = US) -> list[dict[str, Any]]:
    zones = [f"{region}{z}" for z in "abcdef"[:count]]
    return [
        *(change("aws_eip", "nat", {"domain": "vpc"}, key=z) for z in zones),
        *(change("aws_nat_gateway", "this", {"connectivity_type": "public"}, key=z) for z in zones),
    ]


def interface_endpoint(
    service: str, subnet_ids: list[str] | None, region: str = US, **kwargs: Any
) -> dict[str, Any]:
    after: dict[str, Any] = {
        "service_name": f"com.amazonaws.{region}.{service}",
        "vpc_endpoint_type": "Interface",
    }
    if subnet_ids is not None:
        after["subnet_ids"] = subnet_ids
    return change("aws_vpc_endpoint", "interface", after, key=service, **kwargs)


def egress_only_plan(azs: int = 2, region: str = US) -> dict[str, Any]:
    return make_plan(egress_only_changes(azs, region), region=region)


def single_nat_plan(azs: int = 2, region: str = US) -> dict[str, Any]:
    return make_plan([*egress_only_changes(azs, region), *nat_changes(1, region)], region=region)


def per_az_nat_plan(azs: int = 3, region: str = US) -> dict[str, Any]:
    return make_plan([*egress_only_changes(azs, region), *nat_changes(azs, region)], region=region)


def sqs_endpoint_plan() -> dict[str, Any]:
    return make_plan([*egress_only_changes(2), interface_endpoint("sqs", ["subnet-a", "subnet-b"])])


def priced(
    plan: dict[str, Any],
    traffic: dict[str, Any] | None = None,
    region: str = US,
    azs: int = 2,
) -> Estimate:
    catalog = load_catalog()
    summary = summarize_plan(plan, catalog)
    volumes = {k: Decimal(str(v)) for k, v in (traffic or {}).items()}
    return estimate(summary.topology(azs), volumes, load_prices(region), catalog)
