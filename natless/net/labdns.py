"""The lab's DNS: the names it answers (as data) and the unbound configuration that answers them.

A function in a VPC asks the Amazon-provided resolver at the VPC's base address + 2 (10.0.0.2 in
10.0.0.0/16), or at ``fd00:ec2::253`` over IPv6. The lab puts an unbound there (a ``dns`` node
every function subnet's router sends those two addresses to, whatever its route table says, as
the VPC does), answering from local data only, with addresses the lab's listeners serve:

* IPv4-only names (``sqs.REGION.amazonaws.com``, ``s3.REGION.amazonaws.com`` and every bucket
  under it, S3's global ``s3.amazonaws.com`` (botocore's choice in us-east-1),
  ``dynamodb.REGION.amazonaws.com``, ...): A records only;
* dual-stack names (``sqs.REGION.api.aws``, ``s3.dualstack.REGION.amazonaws.com``, and every
  ``dualstack_host`` of ``natless/cost/data/services.json``): A and AAAA;
* a dual-stack public host and an IPv4-only public host (``*.natless.example``);
* every other name, among them dual-stack names that do not exist (``xray.REGION.api.aws``):
  NXDOMAIN (``local-zone: "." static``: nothing is ever asked of the internet).

Subnets with ``EnableDns64`` get a second unbound (node ``dns64``) with the ``dns64`` module,
forwarding to the first: unbound answers local data before its modules run, so the instance that
holds the data cannot synthesise; the forwarding one sees an A-only answer come back and
synthesises ``64:ff9b::/96`` AAAA records from it, as Route 53 Resolver does for such subnets.
"""

from __future__ import annotations

import ipaddress
import json
from dataclasses import dataclass
from importlib import resources

RESOLVER_OFFSET = 2  # the VPC resolver: the VPC's (primary) IPv4 block's base + 2
RESOLVER_IPV6 = ipaddress.IPv6Address("fd00:ec2::253")  # Route 53 Resolver over IPv6 (Nitro)
DNS64_PREFIX = ipaddress.IPv6Network("64:ff9b::/96")
TTL = 60
DUALSTACK_PUBLIC = "dualstack.natless.example"
IPV4ONLY_PUBLIC = "ipv4only.natless.example"


@dataclass(frozen=True)
class LabName:
    """A name the lab's resolver knows; no address at all is NXDOMAIN."""

    key: str
    label: str  # the row's label in the observed table
    name: str
    a: tuple[str, ...] = ()
    aaaa: tuple[str, ...] = ()
    subdomains: bool = False  # every name under it answers the same (bucket virtual hosts)
    probed: bool = True  # a row of the observed table (False: only in the resolver's data)

    def answers(self, dns64: bool) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """(A, AAAA) as a resolver gives them; DNS64 synthesises AAAA for an A-only name."""
        if dns64 and self.a and not self.aaaa:
            return self.a, tuple(synthesise(a) for a in self.a)
        return self.a, self.aaaa


def synthesise(address: str) -> str:
    """The DNS64 address of an IPv4 address (RFC 6052, a /96 prefix)."""
    v4 = int(ipaddress.IPv4Address(address))
    return str(ipaddress.IPv6Address(int(DNS64_PREFIX.network_address) + v4))


def resolver_address(vpc_cidr: str) -> ipaddress.IPv4Address:
    return ipaddress.IPv4Network(vpc_cidr, strict=False).network_address + RESOLVER_OFFSET


def dualstack_hosts() -> dict[str, str | None]:
    """Service -> its dual-stack host pattern ({region}, {bucket}), from services.json.

    Read as a data file of the ``natless`` package (not through natless.cost: the lab and the
    cost model are independent parts, see the import contracts in pyproject.toml).
    """
    text = resources.files("natless").joinpath("cost", "data", "services.json").read_text("utf-8")
    return {k: v["dualstack_host"] for k, v in json.loads(text)["services"].items()}


@dataclass(frozen=True)
class Representatives:
    """The addresses the lab serves that the names resolve into (the matrix's destinations)."""

    s3_ipv4: str
    s3_ipv6: str
    dynamodb_ipv4: str
    aws_ipv4: str  # SQS and the other services without a prefix list (a stand-in)
    aws_ipv6: str  # every dual-stack service but S3 (Amazon's 2600:1f00::/24)
    internet_ipv4: str
    internet_ipv6: str
    ipv4_only: str


def lab_names(region: str, r: Representatives) -> list[LabName]:
    """The names the lab answers for ``region``; the probed ones first, in table order."""
    probed = [
        LabName("s3", f"S3 s3.{region}.amazonaws.com", f"s3.{region}.amazonaws.com",
                (r.s3_ipv4,), subdomains=True),
        LabName("s3-dualstack", f"S3 dual-stack s3.dualstack.{region}.amazonaws.com",
                f"s3.dualstack.{region}.amazonaws.com", (r.s3_ipv4,), (r.s3_ipv6,),
                subdomains=True),
        LabName("dynamodb", f"DynamoDB dynamodb.{region}.amazonaws.com",
                f"dynamodb.{region}.amazonaws.com", (r.dynamodb_ipv4,)),
        LabName("dynamodb-dualstack", f"DynamoDB dual-stack dynamodb.{region}.api.aws",
                f"dynamodb.{region}.api.aws", (r.dynamodb_ipv4,), (r.aws_ipv6,)),
        LabName("sqs", f"SQS sqs.{region}.amazonaws.com", f"sqs.{region}.amazonaws.com",
                (r.aws_ipv4,)),
        LabName("sqs-dualstack", f"SQS dual-stack sqs.{region}.api.aws",
                f"sqs.{region}.api.aws", (r.aws_ipv4,), (r.aws_ipv6,)),
        LabName("public-dualstack", f"Dual-stack host {DUALSTACK_PUBLIC}", DUALSTACK_PUBLIC,
                (r.internet_ipv4,), (r.internet_ipv6,)),
        LabName("public-ipv4-only", f"IPv4-only host {IPV4ONLY_PUBLIC}", IPV4ONLY_PUBLIC,
                (r.ipv4_only,)),
        LabName("xray-dualstack", f"X-Ray dual-stack xray.{region}.api.aws (none)",
                f"xray.{region}.api.aws"),
    ]  # fmt: skip
    # S3's global name, which botocore still uses in us-east-1 (its legacy
    # s3.us_east_1_regional_endpoint default) for every bucket: IPv4 only, like the regional one
    s3_global = LabName("s3-global", "S3 s3.amazonaws.com (global)", "s3.amazonaws.com",
                        (r.s3_ipv4,), subdomains=True, probed=False)  # fmt: skip
    known = {n.name for n in probed} | {s3_global.name}
    more: list[LabName] = [s3_global]
    for service, pattern in dualstack_hosts().items():
        ipv4_name = f"{service}.{region}.amazonaws.com"
        if ipv4_name not in known:  # every service has its IPv4-only regional name
            more.append(LabName(f"{service}", ipv4_name, ipv4_name, (r.aws_ipv4,), probed=False))
            known.add(ipv4_name)
        if pattern is None or "{bucket}" in pattern:
            continue
        host = pattern.format(region=region)
        if host not in known:
            a, aaaa = (r.aws_ipv4,), (r.aws_ipv6,)
            more.append(LabName(f"{service}-dualstack", host, host, a, aaaa, probed=False))
            known.add(host)
    return probed + more


def unbound_config(names: list[LabName], listen: list[str], forward_to: str | None = None) -> str:
    """An unbound.conf for a lab resolver: in the foreground, as the user that starts it, no
    files, no control socket, no trust anchor, listening on ``listen`` (and 127.0.0.1, which the
    lab asks to know it is up).

    Without ``forward_to``: it answers ``names`` from local data and NXDOMAIN for anything else.
    With it: a DNS64 resolver (``64:ff9b::/96``) that forwards everything to that address.
    """
    lines = [
        "server:",
        "  do-daemonize: no",
        '  username: ""',
        '  chroot: ""',
        '  pidfile: ""',
        '  directory: "/"',
        "  use-syslog: no",
        '  logfile: ""',
        "  verbosity: 0",
        "  num-threads: 1",
        "  so-reuseport: no",
        "  do-ip4: yes",
        "  do-ip6: yes",
        '  auto-trust-anchor-file: ""',
        "  access-control: 0.0.0.0/0 allow",
        "  access-control: ::/0 allow",
        *(f"  interface: {a}" for a in dict.fromkeys(["127.0.0.1", *listen])),
    ]
    if forward_to is not None:
        lines += [
            '  module-config: "dns64 iterator"',
            f"  dns64-prefix: {DNS64_PREFIX}",
            "  do-not-query-localhost: no",
            "forward-zone:",
            '  name: "."',
            f"  forward-addr: {forward_to}",
        ]
    else:
        lines += ['  module-config: "iterator"', '  local-zone: "." static']
        for n in names:
            if not n.a and not n.aaaa:
                continue  # NXDOMAIN: the "." static zone answers it
            if n.subdomains:
                lines.append(f'  local-zone: "{n.name}." redirect')
            lines += [f'  local-data: "{n.name}. {TTL} IN A {a}"' for a in n.a]
            lines += [f'  local-data: "{n.name}. {TTL} IN AAAA {a}"' for a in n.aaaa]
    lines += ["remote-control:", "  control-enable: no"]
    return "\n".join(lines) + "\n"
