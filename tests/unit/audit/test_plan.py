"""natless.audit.plan on hand-built inventories: exact money, step order, the no-flow-logs case
and the SDK advice.

The account: a terraform-aws-modules-style VPC, a NAT per AZ, two functions in its private
subnets; the flow logs split the NAT's bytes between S3, DynamoDB, SQS, an IPv4-only host and an
IPv6-capable host. Every expected figure is computed here from natless/cost/data/pricing.json.
"""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

import pytest

from natless.audit.flowlogs import Breakdown, Destination
from natless.audit.inventory import (
    FlowLog,
    Function,
    Inventory,
    NatGateway,
    Route,
    RouteTable,
    SecurityGroupEgress,
    Subnet,
    Vpc,
)
from natless.audit.plan import (
    GB,
    Step,
    free_cidrs,
    gb_per_month,
    order_steps,
    plan_audit,
    plan_vpc,
)
from natless.cost.pricing import load_prices, nat_instance_monthly
from natless.cost.services import load_catalog
from natless.cost.traffic import TRAFFIC_CLASSES

PRICES = load_prices("us-east-1")
CATALOG = load_catalog()
WINDOW = 14
GIB = 2**30
# Seeded bytes over the window, per class and destination.
SPLIT = {
    "s3": 30 * GIB,
    "dynamodb": 10 * GIB,
    "aws_ipv6": 5 * GIB,
    "internet_ipv4_only": 20 * GIB,
    "internet_ipv6": 15 * GIB,
    "aws_ipv4_only": 0,
}
NAT_A, NAT_B = 50 * GIB, 30 * GIB  # what CloudWatch says each NAT processed: 80 GiB in all
PL = {"s3": "pl-63a5400a", "dynamodb": "pl-02cd2c6b"}


def month(count: int) -> Decimal:
    """The test's own scaling: bytes over 14 days -> GB (2^30) a month of 730 h."""
    return Decimal(count) / Decimal(2**30) * Decimal(730) / Decimal(14 * 24)


def nat_usd(count: int) -> Decimal:
    return month(count) * Decimal("0.045")


def same(a: Decimal | None, b: Decimal) -> bool:
    """Equal to 20 decimal places: the code and the test divide in different orders, so the
    28th significant digit may differ; a cent of error is 10^18 times larger."""
    return a is not None and abs(a - b) <= Decimal("1e-20")


FIXED = Decimal("0.045") * 730 + Decimal("0.005") * 730  # hours + one public IPv4: 36.50


def vpc(
    *,
    nat_bytes: tuple[int | None, int | None] = (NAT_A, NAT_B),
    functions: tuple[Function, ...] | None = None,
) -> Vpc:
    subnets = (
        Subnet("subnet-pub-a", "us-east-1a", "10.0.0.0/24", None, "rtb-public"),
        Subnet("subnet-pub-b", "us-east-1b", "10.0.1.0/24", None, "rtb-public"),
        Subnet("subnet-priv-a", "us-east-1a", "10.0.10.0/24", None, "rtb-priv-a"),
        Subnet("subnet-priv-b", "us-east-1b", "10.0.11.0/24", None, "rtb-priv-b"),
    )
    local = Route("10.0.0.0/16", "local")
    tables = (
        RouteTable("rtb-main", (local,), (), True),
        RouteTable(
            "rtb-public",
            (local, Route("0.0.0.0/0", "igw-1")),
            ("subnet-pub-a", "subnet-pub-b"),
            False,
        ),
        RouteTable("rtb-priv-a", (local, Route("0.0.0.0/0", "nat-a")), ("subnet-priv-a",), False),
        RouteTable("rtb-priv-b", (local, Route("0.0.0.0/0", "nat-b")), ("subnet-priv-b",), False),
    )
    nats = (
        NatGateway(
            "nat-a", "subnet-pub-a", "us-east-1a", ("10.0.0.5",), ("54.0.0.1",), ("eni-a",),
            "public", nat_bytes[0],
        ),
        NatGateway(
            "nat-b", "subnet-pub-b", "us-east-1b", ("10.0.1.5",), ("54.0.0.2",), ("eni-b",),
            "public", nat_bytes[1],
        ),
    )  # fmt: skip
    if functions is None:
        functions = (
            Function(
                "orders", "arn:orders", "python3.12", ("subnet-priv-a", "subnet-priv-b"),
                ("sg-fn",), False, {"QUEUE": "orders"},
            ),
            Function(
                "rates", "arn:rates", "nodejs20.x", ("subnet-priv-a", "subnet-priv-b"),
                ("sg-fn",), False, {"AWS_USE_DUALSTACK_ENDPOINT": "true"},
            ),
        )  # fmt: skip
    return Vpc(
        id="vpc-1",
        ipv4_cidrs=("10.0.0.0/16",),
        ipv6_cidrs=(),
        subnets=subnets,
        route_tables=tables,
        nat_gateways=nats,
        gateway_endpoints={},
        flow_logs=(FlowLog("fl-1", "vpc-1", "cloud-watch-logs", "/flow", "default", "ALL"),),
        functions=functions,
        security_groups={
            "sg-fn": SecurityGroupEgress("sg-fn", ("0.0.0.0/0",), (), (), (("-1", None, None),))
        },
    )


def seeded_breakdown(split: dict[str, int] = SPLIT) -> Breakdown:
    rows = [
        (
            "52.216.1.1",
            Destination("s3", "S3", True, "in pl-63a5400a (s3 prefix list)"),
            split["s3"],
        ),
        (
            "52.94.0.1",
            Destination("dynamodb", "DynamoDB", True, "in pl-02cd2c6b"),
            split["dynamodb"],
        ),
        (
            "54.239.1.1",
            Destination("aws_ipv6", "SQS", True, "an address of SQS"),
            split["aws_ipv6"],
        ),
        (
            "198.51.100.7",
            Destination("internet_ipv4_only", "internet", False, "no AAAA record"),
            split["internet_ipv4_only"],
        ),
        (
            "203.0.113.9",
            Destination("internet_ipv6", "internet", True, "AAAA record found"),
            split["internet_ipv6"],
        ),
    ]
    rows = sorted((r for r in rows if r[2]), key=lambda r: -r[2])
    return Breakdown({c: split.get(c, 0) for c in TRAFFIC_CLASSES}, tuple(rows))


def plan(
    v: Vpc | None = None,
    b: Breakdown | str | None = "seeded",
    flow_logs: str = "fl-1 read by stream",
    **kw,
):  # type: ignore[no-untyped-def]
    breakdown = seeded_breakdown() if b == "seeded" else b
    return plan_vpc(
        v or vpc(),
        breakdown,  # type: ignore[arg-type]
        prices=PRICES,
        catalog=CATALOG,
        window_days=WINDOW,
        region="us-east-1",
        prefix_list_ids=PL,
        flow_logs=flow_logs,
        **kw,
    )


def test_month_scaling_and_binary_gb() -> None:
    assert GB == 2**30
    assert gb_per_month(14 * GIB, PRICES, 14) == month(14 * GIB)
    assert gb_per_month(14 * GIB, PRICES, 14) == Decimal(730) / 24  # 1 GiB a day -> 30.4166 GB


def test_nat_gateways_fixed_and_processing() -> None:
    p = plan()
    a, b = p.nats
    assert (a.id, a.az, a.bytes_window) == ("nat-a", "us-east-1a", NAT_A)
    assert a.fixed_usd == FIXED == Decimal("36.50")
    assert same(a.processing_usd, nat_usd(NAT_A))
    assert same(b.processing_usd, nat_usd(NAT_B))
    assert same(p.nat_processing_usd, nat_usd(NAT_A + NAT_B))
    assert same(p.before_usd, 2 * FIXED + nat_usd(NAT_A + NAT_B))


def test_traffic_by_class_equals_the_breakdown() -> None:
    p = plan()
    assert p.traffic is not None
    by_class = {t.traffic_class: t for t in p.traffic}
    assert tuple(by_class) == TRAFFIC_CLASSES
    for name, count in SPLIT.items():
        assert by_class[name].bytes_window == count
        assert same(by_class[name].nat_usd, nat_usd(count))
    assert by_class["internet_ipv6"].has_ipv6 is True
    assert by_class["internet_ipv4_only"].has_ipv6 is False
    assert p.unclassified_bytes_window == 0
    assert [d.address for d in p.destinations] == [
        "52.216.1.1", "198.51.100.7", "203.0.113.9", "52.94.0.1", "54.239.1.1",
    ]  # fmt: skip


def test_steps_ordered_by_saving_with_exact_figures() -> None:
    p = plan()
    keys = [s.key for s in p.steps]
    assert keys == ["gateway-endpoints", "dual-stack", "nat-remove:nat-b", "nat-instance:nat-a"]
    gateway, dual, remove, instance = p.steps
    # 1. S3 + DynamoDB gateway endpoints on the two private route tables
    assert same(gateway.saving_usd, nat_usd(SPLIT["s3"] + SPLIT["dynamodb"]))
    assert gateway.module == "modules/vpc-endpoints"
    assert gateway.inputs == {
        "vpc_id": "vpc-1",
        "gateway_services": ["s3", "dynamodb"],
        "route_table_ids": ["rtb-priv-a", "rtb-priv-b"],
    }
    assert "rtb-priv-a, rtb-priv-b" in gateway.title and "route_table_ids" in gateway.title
    # 2. IPv6: SQS and the IPv6-capable host leave through the egress-only gateway
    assert same(dual.saving_usd, nat_usd(SPLIT["aws_ipv6"] + SPLIT["internet_ipv6"]))
    assert dual.module == "modules/dual-stack-subnets"
    assert dual.inputs == {
        "vpc_id": "vpc-1",
        "subnets": {"us-east-1a": "10.0.2.0/24", "us-east-1b": "10.0.3.0/24"},
        "nat_gateway_ids": {"us-east-1a": "nat-a", "us-east-1b": "nat-b"},
    }
    assert "move functions orders, rates" in dual.title
    # 3. one NAT for the IPv4-only host: nat-b goes, its share crosses AZs both ways
    share = Decimal(NAT_B) / Decimal(NAT_A + NAT_B)
    cross = month(SPLIT["internet_ipv4_only"]) * share * Decimal("0.01") * 2
    assert same(remove.adds_usd, cross)
    assert same(remove.saving_usd, FIXED - cross)
    assert remove.inputs == {"nat_gateway_ids": {"us-east-1b": "nat-a"}}
    assert "198.51.100.7" in remove.title and "keep one NAT, nat-a in us-east-1a" in remove.title
    assert set(remove.requires) == {"gateway-endpoints", "dual-stack"}
    # 4. or a NAT instance instead of nat-a
    instance_usd = nat_instance_monthly(PRICES, 1, "t4g.nano") + Decimal("0.005") * 730
    assert instance.alternative
    assert same(instance.adds_usd, instance_usd)
    assert same(instance.saving_usd, FIXED + nat_usd(SPLIT["internet_ipv4_only"]) - instance_usd)
    # totals: the alternative is not in "after"
    assert same(
        p.after_usd, p.before_usd - gateway.saving_usd - dual.saving_usd - remove.saving_usd
    )
    assert same(p.after_usd, FIXED + nat_usd(SPLIT["internet_ipv4_only"]) + cross)


def test_larger_ipv6_volume_puts_dual_stack_first() -> None:
    split = {**SPLIT, "internet_ipv6": 100 * GIB}
    p = plan(v=vpc(nat_bytes=(100 * GIB, 65 * GIB)), b=seeded_breakdown(split))
    assert [s.key for s in p.steps][:2] == ["dual-stack", "gateway-endpoints"]
    assert p.steps[0].saving_usd > p.steps[1].saving_usd


def test_order_steps_never_puts_a_step_before_what_it_needs() -> None:
    def step(key: str, saving: int, requires: tuple[str, ...] = ()) -> Step:
        zero = Decimal(0)
        return Step(key, key, Decimal(saving), zero, None, {}, (), requires)

    ordered = order_steps([step("a", 1), step("b", 5), step("c", 9, ("a",)), step("d", 3)])
    assert [s.key for s in ordered] == ["b", "d", "a", "c"]


def test_every_nat_goes_when_nothing_ipv4_only_is_left() -> None:
    split = {**SPLIT, "internet_ipv4_only": 0}
    p = plan(v=vpc(nat_bytes=(40 * GIB, 20 * GIB)), b=seeded_breakdown(split))
    keys = [s.key for s in p.steps]
    assert keys == ["gateway-endpoints", "dual-stack", "nat-remove:nat-a", "nat-remove:nat-b"]
    assert all(s.saving_usd == FIXED for s in p.steps[2:])
    assert same(p.after_usd, Decimal(0))


def test_without_the_dual_stack_step_a_removed_nat_s_routes_are_repointed_by_hand() -> None:
    """No IPv6-capable traffic: the functions stay in the VPC's own subnets, whose tables
    natless did not make, so the step names them and the route change, not a module."""
    split = {**SPLIT, "aws_ipv6": 0, "internet_ipv6": 0}
    p = plan(b=seeded_breakdown(split))
    assert [s.key for s in p.steps] == [
        "gateway-endpoints",
        "nat-remove:nat-b",
        "nat-instance:nat-a",
    ]
    remove = p.steps[1]
    assert remove.module is None
    assert remove.inputs == {"route_table_ids": ["rtb-priv-b"], "nat_gateway_id": "nat-a"}
    assert any(
        "for RTB in rtb-priv-b: aws ec2 replace-route --route-table-id RTB "
        "--destination-cidr-block 0.0.0.0/0 --nat-gateway-id nat-a" in line
        for line in remove.evidence
    ), remove.evidence
    only_gateway = {**split, "internet_ipv4_only": 0}  # 40 GiB, all to S3 and DynamoDB
    nothing_left = plan(v=vpc(nat_bytes=(25 * GIB, 15 * GIB)), b=seeded_breakdown(only_gateway))
    gone = [s for s in nothing_left.steps if s.key.startswith("nat-remove")]
    assert [s.inputs for s in gone] == [
        {"route_table_ids": ["rtb-priv-a"]},
        {"route_table_ids": ["rtb-priv-b"]},
    ]
    assert all(any("aws ec2 delete-route" in e for e in s.evidence) for s in gone)


def test_no_flow_logs_says_what_it_cannot_classify_and_how_to_turn_them_on() -> None:
    p = plan(b=None, flow_logs="")
    assert p.traffic is None and p.steps == ()
    assert p.after_usd == p.before_usd
    assert same(p.before_usd, 2 * FIXED + nat_usd(NAT_A + NAT_B))
    (note,) = p.notes
    assert f"cannot classify the NAT traffic ({NAT_A + NAT_B:,} bytes in the window)" in note
    assert (
        "aws ec2 create-flow-logs --region us-east-1 --resource-type VPC --resource-ids vpc-1"
        in note
    )
    assert "--log-destination-type cloud-watch-logs" in note
    assert p.flow_logs == "no flow logs of this VPC could be read"


def test_unclassified_nat_bytes_stay_on_the_nat() -> None:
    extra = 8 * GIB
    p = plan(v=vpc(nat_bytes=(NAT_A + extra, NAT_B)))
    assert p.unclassified_bytes_window == extra
    assert any(f"{extra:,} bytes are unclassified" in n for n in p.notes)
    remove = next(s for s in p.steps if s.key == "nat-remove:nat-b")
    share = Decimal(NAT_B) / Decimal(NAT_A + extra + NAT_B)
    left = SPLIT["internet_ipv4_only"] + extra
    assert same(remove.adds_usd, month(left) * share * Decimal("0.01") * 2)


def test_unknown_nat_bytes_price_nothing_and_split_inter_az_evenly() -> None:
    p = plan(v=vpc(nat_bytes=(None, None)))
    assert all(n.processing_usd is None for n in p.nats)
    assert same(p.before_usd, 2 * FIXED)
    remove = next(s for s in p.steps if s.key.startswith("nat-remove"))
    assert same(remove.adds_usd, month(SPLIT["internet_ipv4_only"]) / 2 * Decimal("0.01") * 2)


def test_existing_gateway_endpoint_routes_are_not_added_again() -> None:
    v = vpc()
    tables = tuple(
        replace(t, routes=(*t.routes, Route(PL["s3"], "vpce-1"), Route(PL["dynamodb"], "vpce-2")))
        if t.id.startswith("rtb-priv")
        else t
        for t in v.route_tables
    )
    p = plan(v=replace(v, route_tables=tables))
    assert "gateway-endpoints" not in [s.key for s in p.steps]
    assert any("another region" in n for n in p.notes)


def test_functions_findings_and_sdk_advice() -> None:
    p = plan()
    orders, rates = p.functions
    assert orders.uses_nat and not orders.ipv6_ready
    assert [(s.id, s.dual_stack, s.ipv4_default) for s in orders.subnets] == [
        ("subnet-priv-a", False, "nat-a"),
        ("subnet-priv-b", False, "nat-b"),
    ]
    assert orders.sg_ipv6_egress == ()
    assert "use_dualstack_endpoint=True" in orders.sdk[0] and "SQS" in orders.sdk[0]
    assert "connect_timeout=2" in orders.sdk[0] and "Happy Eyeballs" in orders.sdk[0]
    assert not any("AWS_USE_DUALSTACK_ENDPOINT" in line for line in orders.sdk)
    assert "useDualstackEndpoint: true" in rates.sdk[0]
    assert "connectionTimeout: 2000" in rates.sdk[0]
    assert any(line.startswith("remove AWS_USE_DUALSTACK_ENDPOINT=true") for line in rates.sdk)


def test_a_ready_function_needs_only_its_sdk_settings() -> None:
    v = vpc()
    subnets = tuple(
        replace(s, ipv6_cidr=f"2600:1f18::{i}/64") if s.id.startswith("subnet-priv") else s
        for i, s in enumerate(v.subnets)
    )
    groups = {"sg-fn": replace(v.security_groups["sg-fn"], ipv6_cidrs=("::/0",))}
    functions = tuple(replace(f, ipv6_allowed_for_dual_stack=True) for f in v.functions)
    ready = replace(
        v,
        subnets=subnets,
        security_groups=groups,
        functions=functions,
        ipv6_cidrs=("2600:1f18::/56",),
    )
    p = plan(v=ready)
    assert all(f.ipv6_ready for f in p.functions)
    dual = next(s for s in p.steps if s.key == "dual-stack")
    assert dual.module is None and dual.title.startswith("turn on per-client dual-stack endpoints")


def test_free_cidrs_skip_used_space() -> None:
    assert free_cidrs(vpc(), ["us-east-1a", "us-east-1b", "us-east-1c"]) == {
        "us-east-1a": "10.0.2.0/24",
        "us-east-1b": "10.0.3.0/24",
        "us-east-1c": "10.0.4.0/24",
    }


def test_plan_audit_covers_every_vpc_and_keeps_problems() -> None:
    inventory = Inventory("us-east-1", WINDOW, (vpc(),), {}, PL)
    audit = plan_audit(inventory, {"vpc-1": seeded_breakdown()}, PRICES, CATALOG)
    assert [v.vpc_id for v in audit.vpcs] == ["vpc-1"]
    assert same(audit.before_usd, 2 * FIXED + nat_usd(NAT_A + NAT_B))
    doc = audit.as_json()
    assert doc["vpcs"][0]["steps"][0]["key"] == "gateway-endpoints"
    assert doc["vpcs"][0]["traffic"][0] == {
        "class": "s3",
        "bytes_window": SPLIT["s3"],
        "gb_month": str(round(month(SPLIT["s3"]), 6).normalize()),
        "nat_processing_usd_month": str(nat_usd(SPLIT["s3"]).quantize(Decimal("0.01"))),
        "has_ipv6": True,
        "way_out": "S3 gateway endpoint (free)",
    }


@pytest.mark.parametrize("runtime", [None, "provided.al2023", "go1.x"])
def test_unknown_runtimes_get_generic_advice(runtime: str | None) -> None:
    fn = Function("x", "arn:x", runtime, ("subnet-priv-a",), ("sg-fn",), False)
    p = plan(v=vpc(functions=(fn,)))
    assert "per SDK client" in p.functions[0].sdk[0]
