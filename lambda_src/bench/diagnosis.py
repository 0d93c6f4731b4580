"""Why a service's calls failed, in one line, from what the function itself observed.

The function sees only its own side: what getaddrinfo answered and how each connect ended. It
cannot see route tables, security groups or the resolver's configuration, so each explanation
states the observation and names the usual cause as an example, never as a verdict.

Added to each service's evidence: ``stall_s`` and ``connections`` (always) and ``diagnosis``
(only for a service whose calls failed in this invocation). ``stall_s`` sums, over the
``connections`` opened in this invocation, the seconds lost to failed attempts before each
connected: with a pooled connection the first call pays it once; a server that closes every
connection makes every call pay it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from attempts import CONNECTED, TIMEOUT, HostLog, Log

SHOWN_ADDRESSES = 4  # addresses named in the one-line explanation
# Counted without a call (config_error says why): nothing to diagnose.
NOT_NETWORK = frozenset({"MissingConfig"})
# What each outcome of a connect means, as far as the function can tell.
CAUSES = {
    TIMEOUT: "no answer within the connect timeout: a silently dropped packet, "
    "e.g. no route for this family",
    "ECONNREFUSED": "the address answered with a TCP reset: reachable, but nothing accepts "
    "on this port (or a firewall rejects)",
    "ENETUNREACH": "the kernel or a router reported no route at once (a VPC route table drops "
    "silently instead)",
    "EHOSTUNREACH": "the kernel or a router reported the host unreachable at once",
}
RESOLVE_CAUSES = {
    "EAI_NONAME": "NXDOMAIN",
    "EAI_NODATA": "the name has no address records",
    "EAI_AGAIN": "the resolver gave no answer in time: no reachable DNS server, or it failed",
}


def failed_services(
    results: Mapping[str, Mapping[str, Any]], service_of: Mapping[str, str]
) -> set[str]:
    """Services with at least one failed call that could have touched the network."""
    return {
        service_of[name]
        for name, result in results.items()
        if any(code not in NOT_NETWORK for code in result.get("error_codes", {}))
    }


def annotate(
    evidence: dict[str, dict[str, Any]],
    targets: Mapping[str, tuple[str, int] | None],
    log: Log,
    failed: Iterable[str],
) -> dict[str, dict[str, Any]]:
    """Each service's evidence with stall_s, connections and, if it failed, diagnosis."""
    failed = set(failed)
    for service, seen in evidence.items():
        target = targets.get(service)
        entry = log.get(*target) if target else None
        seen["stall_s"] = round(entry.stall_s, 3) if entry else 0.0
        seen["connections"] = entry.outcomes[CONNECTED] if entry else 0
        if service in failed:
            seen["diagnosis"] = diagnose(target, entry)
    return evidence


def diagnose(target: tuple[str, int] | None, entry: HostLog | None) -> dict[str, Any]:
    host, port = target if target else (None, None)
    return {
        "host": host,
        "port": port,
        "resolved": (
            [{"family": f, "address": a} for f, a in entry.addresses]
            if entry and entry.addresses is not None
            else None
        ),
        "resolve_error": entry.resolve_error if entry else None,
        "attempts": [a.as_dict() for a in entry.attempts] if entry else [],
        "attempts_total": entry.total_attempts if entry else 0,
        "explanation": explain(host, entry),
    }


def explain(host: str | None, entry: HostLog | None) -> str:
    if host is None:
        return "no request was sent: the call failed before reaching the network"
    if entry is None or (entry.resolve_error is None and not entry.total_attempts):
        return (
            f"no new connection to {host} in this invocation (a pooled connection was reused, "
            "or the call failed before connecting): the failures are in error_codes"
        )
    if entry.resolve_error is not None:
        return _explain_resolution(host, entry.resolve_error)
    return f"{_explain_answer(host, entry)}; {_explain_attempts(entry)}"


def is_dualstack_name(host: str) -> bool:
    return host.endswith(".api.aws") or ".dualstack." in host


def _explain_resolution(host: str, error: str) -> str:
    text = f"{host} does not resolve ({RESOLVE_CAUSES.get(error, error)}, {error})"
    if error in ("EAI_NONAME", "EAI_NODATA") and is_dualstack_name(host):
        text += ": this service has no dual-stack endpoint"
    return text


def _explain_answer(host: str, entry: HostLog) -> str:
    addresses = entry.addresses or []
    if not addresses:
        return f"{host} resolved to no address"
    families = {family for family, _ in addresses}
    if families == {"ipv4"}:
        kind = "IPv4 addresses only"
    elif families == {"ipv6"}:
        kind = "IPv6 addresses only"
    else:
        kind = "IPv4 and IPv6 addresses"
    shown = ", ".join(address for _, address in addresses[:SHOWN_ADDRESSES])
    more = len(addresses) - SHOWN_ADDRESSES
    return f"{host} has {kind} ({shown}{f' and {more} more' if more > 0 else ''})"


def _phrase(outcome: str, entry: HostLog) -> str:
    if outcome == TIMEOUT:
        if entry.connect_timeout is not None:
            return f"timed out after {entry.connect_timeout:g} s"
        return "timed out"
    if outcome == "ECONNREFUSED":
        return "was refused (ECONNREFUSED)"
    return f"failed ({outcome})"


def _explain_attempts(entry: HostLog) -> str:
    failed = {o: n for o, n in entry.outcomes.most_common() if o != CONNECTED}
    connected = entry.outcomes[CONNECTED]
    if not failed:
        return (
            f"every connect succeeded ({connected}): the calls failed after connecting "
            "(TLS, HTTP or the service; see error_codes)"
        )
    main = next(iter(failed))
    cause = CAUSES.get(main, f"see {main}")
    if not connected and len(failed) == 1:
        n = failed[main]
        tries = f"{n} attempt{'s' * (n != 1)}"
        what = "each connect to it" if n != 1 else "its one connect"
        return f"{what} {_phrase(main, entry)} ({tries}): {cause}"
    parts = [f"{n} {_phrase(o, entry)} ({_families(entry, o)})" for o, n in failed.items()]
    if connected:
        parts.append(
            f"{connected} connected ({_families(entry, CONNECTED)}) after {entry.stall_s:.3f} s "
            "lost to the failed ones (addresses are tried one at a time: no Happy Eyeballs)"
        )
    return f"connects: {', '.join(parts)}; failed: {cause}"


def _families(entry: HostLog, outcome: str) -> str:
    """The address families of the kept attempts with this outcome: "ipv4", "ipv4+ipv6"."""
    families = dict.fromkeys(a.family for a in entry.attempts if a.outcome == outcome)
    return "+".join(families) or "?"
