"""Certificates for the tests of CA bundles: self-signed ones of any validity, as PEM text."""

from __future__ import annotations

import datetime

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID


def make_ca(
    name: str, not_before: datetime.datetime, not_after: datetime.datetime, ca: bool = True
) -> x509.Certificate:
    """A self-signed P-256 certificate for ``name``: a CA unless ``ca`` is false."""
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
    """A bundle's comment before its first certificate, unwrapped into one line."""
    head = text.split("-----BEGIN CERTIFICATE-----", 1)[0]
    return " ".join(line.removeprefix("#").strip() for line in head.splitlines()).strip()


def pem(*certs: x509.Certificate) -> str:
    """The certificates as one PEM text."""
    return "".join(c.public_bytes(serialization.Encoding.PEM).decode() for c in certs)
