"""Every validation rule of the network modules: the plan fails, naming the problem."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from natless.paths import ROOT
from natless.stack import Stack, TerraformFailed
from tests.refusals import refusals

pytestmark = pytest.mark.plan

FIXTURE = ROOT / "tests" / "fixtures" / "network"

BAD_INPUTS = {
    "name-charset": ({"name": "bad_name!"}, "name must be 1-32 characters"),
    "name-length": ({"name": "n" * 33}, "name must be 1-32 characters"),
    "name-start": ({"name": "9lives"}, "starting with a letter"),
    "name-sg-prefix": ({"name": "sg-web"}, 'name must not start with "sg-"'),
    "cidr-syntax": ({"cidr_block": "10.0.0.0"}, "cidr_block must be an IPv4 CIDR"),
    "cidr-ipv6": ({"cidr_block": "fd00::/56"}, "cidr_block must be an IPv4 CIDR"),
    "cidr-too-large": ({"cidr_block": "10.0.0.0/8"}, "between /16 and /23"),
    "cidr-too-small": ({"cidr_block": "10.0.0.0/24"}, "between /16 and /23"),
    "cidr-host-bits": ({"cidr_block": "10.0.1.0/16"}, "host bits set"),
    "az-count-zero": ({"az_count": 0}, "az_count must be a whole number from 1 to 6"),
    "az-count-seven": ({"az_count": 7}, "az_count must be a whole number from 1 to 6"),
    "az-count-fraction": ({"az_count": 1.5}, "az_count must be a whole number from 1 to 6"),
    "nat-mode": ({"nat_mode": "gateway"}, 'nat_mode must be one of "none", "single" or "per_az"'),
    "dns64-without-nat": (
        {"enable_dns64": True, "nat_mode": "none"},
        "enable_dns64 = true needs nat_mode",
    ),
    "retention": ({"flow_log_retention_days": 42}, "flow_log_retention_days must be one of"),
    "alarm-threshold": ({"nat_bytes_alarm_gb_per_day": -1}, "must be a positive number of GB"),
    "gateway-service": ({"gateway_services": ["sqs"]}, 'may only contain "s3" and "dynamodb"'),
    "interface-service-name": ({"interface_services": ["Bad Name"]}, "service short names"),
    "interface-service-twice": ({"interface_services": ["sqs", "sqs"]}, "lists a service twice"),
    "endpoint-ip-type": ({"endpoint_ip_address_type": "v6"}, "ip_address_type must be"),
}


@pytest.fixture(scope="module")
def stack(emulator) -> Iterator[Stack]:
    with Stack.create(FIXTURE, emulator) as st:
        yield st


@pytest.fixture(scope="module")
def failures(stack: Stack) -> dict[str, str]:
    return refusals(stack, BAD_INPUTS, alone=["dns64-without-nat"])


@pytest.mark.parametrize("case", sorted(BAD_INPUTS))
def test_bad_input_is_refused_with_a_clear_message(failures: dict[str, str], case: str) -> None:
    assert BAD_INPUTS[case][1] in failures[case]


def test_more_azs_than_the_region_has(emulator) -> None:
    """us-west-1 has two AZs: asking for three fails at plan time and says so."""
    with (
        Stack.create(FIXTURE, emulator, region="us-west-1") as stack,
        pytest.raises(TerraformFailed) as failed,
    ):
        stack.plan({"az_count": 3})
    text = " ".join(str(failed.value).split())
    assert "az_count is 3 but this region has only 2 available availability zones" in text


def test_subnets_smaller_than_slash_28_are_refused(stack: Stack) -> None:
    with pytest.raises(TerraformFailed) as failed:
        stack.plan({"cidr_block": "10.0.0.0/23", "subnet_newbits": 6})
    assert "smaller than /28" in " ".join(str(failed.value).split())
