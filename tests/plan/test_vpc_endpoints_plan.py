"""Plan tests of modules/vpc-endpoints' per-endpoint settings, through tests/fixtures/vpc-endpoints.

Two scenarios (tests/fixtures/vpc-endpoints/scenarios/): ``defaults`` plans the module as every
user who sets nothing new has it (no IP type and no policy sent for the gateway endpoints), and
``settings`` sets every per-endpoint field. The refusals of bad settings are in that fixture's
refusals.yaml (tests/plan/test_refusals.py plans them); the emulator applies the settings in
the coverage scenarios (tests/coverage.py).

Also here, without a plan: the module's fallback list of IPv4-only endpoint services equals
natless's service catalog, and the examples scope their gateway endpoints to the bench bucket
and table.
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from natless.cost.services import load_catalog
from natless.paths import EXAMPLES, MODULES
from tests.plan.targets import ScenarioPlan, on

pytestmark = pytest.mark.plan

TARGET = "vpc-endpoints"
EP = "module.endpoints"
GATEWAY = f"{EP}.aws_vpc_endpoint.gateway"
INTERFACE = f"{EP}.aws_vpc_endpoint.interface"
BUCKET = "arn:aws:s3:::natless-bench"
TABLE = "arn:aws:dynamodb:us-east-1:123456789012:table/natless-bench"
# The examples whose gateway endpoints the bench workload uses (public-private-split has none).
EXAMPLES_WITH_GATEWAYS = ("egress-only", "nat-gateway", "existing-vpc")


def test_plan_matches_inventory(scenario_plan: ScenarioPlan) -> None:
    scenario_plan.check_inventory()


@on("defaults")
def test_defaults_send_no_ip_type_and_no_policy(scenario_plan: ScenarioPlan) -> None:
    """An upgrade that sets nothing new: the gateway endpoints leave both to AWS, as before."""
    gateways = scenario_plan.instances(GATEWAY)
    assert set(gateways) == {"s3", "dynamodb"}
    for change in gateways.values():
        assert change["after_unknown"].get("ip_address_type") is True
        assert change["after_unknown"].get("policy") is True
    assert scenario_plan.instances(INTERFACE) == {}


def _policy(change: dict[str, Any]) -> dict[str, Any]:
    return json.loads(change["after"]["policy"])


@on("settings")
def test_s3_gateway_is_dual_stack_and_dynamodb_stays_unset(scenario_plan: ScenarioPlan) -> None:
    gateways = scenario_plan.instances(GATEWAY)
    assert gateways["s3"]["after"]["ip_address_type"] == "dualstack"
    assert gateways["dynamodb"]["after_unknown"].get("ip_address_type") is True


@on("settings")
def test_gateway_policies_allow_only_the_given_resources(scenario_plan: ScenarioPlan) -> None:
    gateways = scenario_plan.instances(GATEWAY)
    expected = {
        "s3": ("s3:*", [BUCKET, f"{BUCKET}/*"]),
        "dynamodb": ("dynamodb:*", [TABLE, f"{TABLE}/*"]),
    }
    for service, (action, resources) in expected.items():
        (statement,) = _policy(gateways[service])["Statement"]
        assert statement["Effect"] == "Allow"
        assert statement["Principal"] == "*"
        assert statement["Action"] == action
        assert statement["Resource"] == resources


@on("settings")
def test_interface_endpoints_take_their_own_settings(scenario_plan: ScenarioPlan) -> None:
    endpoints = {k: v["after"] for k, v in scenario_plan.instances(INTERFACE).items()}
    unknown = {k: v["after_unknown"] for k, v in scenario_plan.instances(INTERFACE).items()}
    assert set(endpoints) == {"sqs", "xray", "sts"}
    # no module-wide type: each service's widest (xray accepts IPv4 only), and sts's own
    types = {
        svc: (e["ip_address_type"], e["dns_options"][0]["dns_record_ip_type"])
        for svc, e in endpoints.items()
    }
    assert types == {
        "sqs": ("dualstack", "dualstack"),
        "xray": ("ipv4", "ipv4"),
        "sts": ("ipv4", "ipv4"),
    }
    # sqs and xray: the module-wide subnets and the module's group, private DNS, AWS's policy
    for svc in ("sqs", "xray"):
        assert endpoints[svc]["private_dns_enabled"] is True
        assert sorted(endpoints[svc]["subnet_ids"]) == scenario_plan.tf_vars["subnet_ids"]
        assert unknown[svc]["security_group_ids"] is True
        assert unknown[svc]["policy"] is True
    # sts: everything of its own
    sts = endpoints["sts"]
    assert sts["private_dns_enabled"] is False
    assert sts["subnet_ids"] == ["subnet-0123456789abcdef0"]
    assert sts["security_group_ids"] == ["sg-0123456789abcdef0"]
    assert json.loads(sts["policy"])["Statement"][0]["Action"] == "sts:AssumeRole"


def _ipv4_only_services_in_module() -> list[str]:
    text = (MODULES / "vpc-endpoints" / "main.tf").read_text()
    match = re.search(r"ipv4_only_services\s*=\s*\[([^\]]*)\]", text)
    assert match, "modules/vpc-endpoints/main.tf has no local ipv4_only_services"
    return re.findall(r'"([^"]+)"', match[1])


def test_ipv4_only_fallback_equals_the_service_catalog() -> None:
    """The module cannot read natless/cost/data/services.json (a module may be used without the
    rest of natless), so it carries the list; this keeps the two equal."""
    catalog = load_catalog()
    ipv4_only = sorted(
        s.interface_endpoint
        for s in catalog.services.values()
        if s.dualstack_host is None and s.interface_endpoint
    )
    assert ipv4_only  # the catalog does list IPv4-only services (xray, ssm)
    assert _ipv4_only_services_in_module() == ipv4_only


def _module_block(text: str, label: str) -> str:
    """The text of ``module "label" { ... }`` (braces balanced)."""
    start = text.index(f'module "{label}" {{')
    depth = 0
    for index in range(start, len(text)):
        depth += {"{": 1, "}": -1}.get(text[index], 0)
        if depth == 0 and text[index] == "}":
            return text[start : index + 1]
    raise AssertionError(f"unbalanced module {label}")


@pytest.mark.parametrize("example", EXAMPLES_WITH_GATEWAYS)
def test_examples_scope_gateway_endpoints_to_the_bench_resources(example: str) -> None:
    """The examples pass the bench bucket and table (module outputs, no literal ARN) to both
    gateway endpoints, so the bench function cannot use them for other buckets and tables."""
    block = " ".join(
        _module_block((EXAMPLES / example / "main.tf").read_text(), "endpoints").split()
    )
    assert (
        "gateway_policy_resources = { s3 = [module.targets.bucket_arn] "
        "dynamodb = [module.targets.table_arn] }"
    ) in block.replace(",", "")
    assert "arn:" not in block
