"""AWS's published IP ranges (``ip-ranges.json``) for one region, to tell AWS from the internet.

A NAT gateway's remote address that lies in one of these ranges belongs to AWS: an AWS service
API or another customer's EC2 address. Which service is often unknown (most API endpoints are
only in the catch-all ``AMAZON`` ranges), so the audit treats such bytes conservatively as an
AWS service without IPv6 (see :class:`natless.audit.flowlogs.Classifier`).

There is no network access at audit time by design (the audit makes only AWS read calls), so
the ranges come from a file: the user's own copy of https://ip-ranges.amazonaws.com/ip-ranges.json
(``path``), or the dated snapshot shipped in ``natless/audit/data/ip-ranges-snapshot.json``
(real AWS data, cut down to a few regions and the three fields read here; its ``source`` names
the repository, path and commit it was taken from).
"""

from __future__ import annotations

import ipaddress
import json
from importlib import resources
from pathlib import Path
from typing import Any

from natless.errors import UserError
from natless.jsonfile import read_json_file

SNAPSHOT = "ip-ranges-snapshot.json"
GLOBAL = "GLOBAL"
DOWNLOAD_URL = "https://ip-ranges.amazonaws.com/ip-ranges.json"


def load_ip_ranges(
    region: str, path: Path | None = None
) -> tuple[str, tuple[tuple[str, str], ...]]:
    """``(createDate, ((cidr, service), ...))`` for ``region`` and ``GLOBAL``, IPv4 then IPv6.

    ``path``: an ``ip-ranges.json`` in AWS's format; None: the shipped snapshot, which covers
    only the regions it lists (any other region is a UserError that says how to get the file).
    Every CIDR is checked here, so a damaged file fails with its entry named, not mid-audit.
    """
    if path is None:
        text = resources.files("natless.audit").joinpath("data", SNAPSHOT).read_text("utf-8")
        doc = json.loads(text)
        where = f"the ip-ranges snapshot natless/audit/data/{SNAPSHOT}"
        covered = doc.get("regions", [])
        if region not in covered:
            raise UserError(
                f"{where} covers only {', '.join(r for r in covered if r != GLOBAL)}, "
                f"not {region}; download {DOWNLOAD_URL} and pass it with --ip-ranges PATH"
            )
    else:
        doc = read_json_file(path, "ip-ranges file")
        where = f"ip-ranges file {path}"
    return _ranges(doc, region, where)


def _ranges(doc: Any, region: str, where: str) -> tuple[str, tuple[tuple[str, str], ...]]:
    if not isinstance(doc, dict) or not isinstance(doc.get("prefixes"), list):
        raise UserError(
            f"{where} is not AWS's ip-ranges.json (no 'prefixes' list); download {DOWNLOAD_URL}"
        )
    created = doc.get("createDate")
    if not isinstance(created, str) or not created:
        raise UserError(f"{where} has no createDate; download {DOWNLOAD_URL}")
    wanted = {region, GLOBAL}
    ranges: list[tuple[str, str]] = []
    for key, field in (("prefixes", "ip_prefix"), ("ipv6_prefixes", "ipv6_prefix")):
        entries = doc.get(key, [])
        if not isinstance(entries, list):
            raise UserError(f"{where}: '{key}' must be a list")
        for index, entry in enumerate(entries):
            if not isinstance(entry, dict):
                raise UserError(f"{where}: {key}[{index}] must be an object")
            if entry.get("region") not in wanted:
                continue
            cidr, service = entry.get(field), entry.get("service")
            if not isinstance(cidr, str) or not isinstance(service, str) or not service:
                raise UserError(f"{where}: {key}[{index}] needs '{field}' and 'service'")
            try:
                network = ipaddress.ip_network(cidr, strict=True)
            except ValueError:
                raise UserError(f"{where}: {key}[{index}] has no valid CIDR: {cidr!r}") from None
            ranges.append((network.compressed, service))
    if region != GLOBAL and not any(
        isinstance(e, dict) and e.get("region") == region for e in doc["prefixes"]
    ):
        raise UserError(
            f"{where} has no IPv4 prefixes for region {region}; check the region name "
            f"or download a current {DOWNLOAD_URL}"
        )
    return created, tuple(ranges)
