"""One audit of one region, as data: read the account, read and classify the NAT gateways'
flow logs, then price and plan.

The steps: read the region (:func:`natless.audit.collect.collect`), read each VPC's flow logs for
the NAT gateways' addresses (one Logs Insights query, or streamed records), classify the remote
addresses (:class:`natless.audit.flowlogs.Classifier`, with DNS from
:mod:`natless.audit.resolve` when asked), then price and plan (:mod:`natless.audit.plan`).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3

from natless.audit import collect as collecting
from natless.audit.flowlogs import (
    DEFAULT_FORMAT,
    Breakdown,
    Classifier,
    breakdown,
    nat_bytes_by_remote,
)
from natless.audit.inventory import FlowLog, Problem, Vpc
from natless.audit.ipranges import load_ip_ranges
from natless.audit.plan import AuditPlan, plan_audit
from natless.audit.resolve import Resolver
from natless.console.progress import Progress
from natless.cost.pricing import load_prices
from natless.cost.services import GATEWAY_SERVICES, Catalog, load_catalog

DEFAULT_WINDOW_DAYS = 14


def service_names(catalog: Catalog, region: str) -> dict[str, str]:
    """IPv4 (and dual-stack) host name -> catalog service, for the services that have no
    managed prefix list: ``sqs.us-east-1.amazonaws.com`` -> sqs, ``api.ecr...`` -> ecr."""
    names: dict[str, str] = {}
    for service in catalog.services.values():
        if service.name in GATEWAY_SERVICES or not service.interface_endpoint:
            continue
        parts = service.interface_endpoint.split(".")
        names[".".join(reversed(parts)) + f".{region}.amazonaws.com"] = service.name
        host = service.dualstack_host
        if host and "{bucket}" not in host:
            names[host.format(region=region)] = service.name
    return names


def services_by_address(resolver: Resolver, names: dict[str, str]) -> dict[str, str]:
    found: dict[str, str] = {}
    for name, service in sorted(names.items()):
        for address in resolver.addresses(name):
            found.setdefault(address, service)
    return found


def _usable(flow_log: FlowLog) -> str | None:
    """Why natless cannot read ``flow_log``, or None."""
    if flow_log.destination_type != "cloud-watch-logs" or not flow_log.log_group:
        return f"flow log {flow_log.id} delivers to {flow_log.destination_type} (natless reads " \
            "CloudWatch Logs only)"  # fmt: skip
    if " ".join(flow_log.log_format.split()) != DEFAULT_FORMAT:
        return f"flow log {flow_log.id} has a custom format (natless reads AWS's default format)"
    if flow_log.traffic_type == "REJECT":
        return f"flow log {flow_log.id} records rejected traffic only"
    return None


def _nat_flow_logs(vpc: Vpc) -> tuple[list[FlowLog], list[str]]:
    """The readable flow logs that see the NAT gateways, one per log group (a VPC-wide one
    alone when there is one), and why the others cannot be used."""
    nat_resources = {vpc.id} | {n.subnet_id for n in vpc.nat_gateways}
    nat_resources |= {i for n in vpc.nat_gateways for i in n.network_interface_ids}
    usable: list[FlowLog] = []
    why: list[str] = []
    for flow_log in vpc.flow_logs:
        if flow_log.resource_id not in nat_resources:
            continue
        reason = _usable(flow_log)
        if reason:
            why.append(reason)
        else:
            usable.append(flow_log)
    whole = [f for f in usable if f.resource_id == vpc.id]
    chosen = whole[:1] or list({f.log_group: f for f in usable}.values())
    return chosen, why


def _flows(
    session: boto3.session.Session,
    vpc: Vpc,
    classifier: Classifier,
    *,
    start: datetime,
    end: datetime,
    method: str,
    say: Callable[[str], None],
) -> tuple[Breakdown | None, str, list[Problem]]:
    """The VPC's NAT traffic by destination, how it was read, and the calls that failed."""
    if not vpc.nat_gateways:
        return None, "no NAT gateway in this VPC", []
    chosen, why = _nat_flow_logs(vpc)
    if not chosen:
        reason = "; ".join(why) or "the VPC has no flow logs"
        return None, reason, []
    nat_ips = [ip for n in vpc.nat_gateways for ip in n.private_ips]
    interfaces = [i for n in vpc.nat_gateways for i in n.network_interface_ids]
    totals: dict[str, int] = {}
    used: list[str] = []
    for flow_log in chosen:
        say(f"{vpc.id}: reading flow log {flow_log.id} ({flow_log.log_group})")
        try:
            how, flows = collecting.flow_log_flows(
                session, flow_log, nat_ips, start=start, end=end, method=method,
                progress=say, interface_ids=interfaces,
            )  # fmt: skip
            counted = nat_bytes_by_remote(flows, nat_ips, vpc.ipv4_cidrs)
        except collecting.FlowLogReadError as exc:
            problem = Problem(exc.call, exc.detail)
            return None, f"reading flow log {flow_log.id} failed ({exc.call})", [problem]
        for address, count in counted.items():
            totals[address] = totals.get(address, 0) + count
        used.append(f"{flow_log.id} in {flow_log.log_group}, read by {how}")
    return breakdown(totals, classifier), "; ".join(used), []


def run_audit(
    session: boto3.session.Session,
    *,
    vpc_id: str | None = None,
    window_days: int = DEFAULT_WINDOW_DAYS,
    method: str = "auto",
    ip_ranges: Path | None = None,
    resolver: Resolver | None = None,
    now: datetime | None = None,
    progress: Progress | None = None,
) -> AuditPlan:
    """The whole audit of ``session``'s region, as data (the CLI renders it)."""
    region = str(session.region_name)
    prices = load_prices(region)  # an unpriced region fails before any AWS call
    ranges_date, aws_ranges = load_ip_ranges(region, ip_ranges)
    catalog = load_catalog()
    end = now or datetime.now(UTC)
    start = end - timedelta(days=window_days)
    say = _sayer(progress)

    with _stage(progress, "read the account", region):
        inventory = collecting.collect(
            session, vpc_id=vpc_id, window_days=window_days, now=end, progress=say
        )
    by_address: dict[str, str] = {}
    has_ipv6 = None
    if resolver is not None:
        with _stage(progress, "resolve", "AWS service names of the region"):
            by_address = services_by_address(resolver, service_names(catalog, region))
        has_ipv6 = resolver.has_ipv6
    classifier = Classifier(
        prefix_lists=inventory.prefix_lists,
        aws_ranges=aws_ranges,
        services_by_address=by_address,
        has_ipv6=has_ipv6,
        catalog=catalog,
        prefix_list_ids=inventory.prefix_list_ids,
        aws_ranges_date=ranges_date,
    )
    breakdowns: dict[str, Breakdown | None] = {}
    how: dict[str, str] = {}
    problems = list(inventory.problems)
    with _stage(progress, "read flow logs", f"{window_days} days up to {end:%Y-%m-%d %H:%M} UTC"):
        for vpc in inventory.vpcs:
            found, note, failed = _flows(
                session, vpc, classifier, start=start, end=end, method=method, say=say
            )
            breakdowns[vpc.id], how[vpc.id] = found, note
            problems += failed
    inventory = replace(inventory, problems=tuple(problems))
    details = {
        "window": f"{start:%Y-%m-%d %H:%M} to {end:%Y-%m-%d %H:%M} UTC",
        "ip_ranges": f"createDate {ranges_date} ({ip_ranges or 'snapshot shipped with natless'})",
        "dns": "A, PTR and AAAA lookups (--resolve)" if resolver else "not used (--resolve)",
    }
    return plan_audit(
        inventory, breakdowns, prices, catalog, flow_logs=how, context=_context(), details=details
    )


def _context() -> list[str]:
    endpoint = os.environ.get("AWS_ENDPOINT_URL")
    if endpoint:
        return [
            f"on an emulator ({endpoint}): the bytes, flow logs and functions are what was "
            "seeded there, not AWS's"
        ]
    return []


def _sayer(progress: Progress | None) -> Callable[[str], None]:
    out = progress.out if progress is not None else None

    def say(text: str) -> None:
        if out is not None:
            print(f"      {text}", file=out, flush=True)

    return say


def _stage(progress: Progress | None, name: str, detail: str = "") -> Any:
    return progress.stage(name, detail) if progress is not None else nullcontext()
