"""The lab's certificate authority: one per lab, so that real clients verify real names.

A function in the lab calls ``https://sqs.us-east-1.api.aws`` with no endpoint override; the
lab's listeners must then present a certificate for that name that the function's SDK accepts.
Each lab makes its own CA (EC P-256, valid one day) and one leaf certificate signed by it for
every name the lab's resolver answers (``*.name`` too for names with bucket-style subdomains) and
every address the lab serves (IP SANs, so a probe by address verifies as well). Clients trust it
through ``AWS_CA_BUNDLE`` / ``SSL_CERT_FILE`` = :attr:`LabCA.ca_path`; nothing outside the lab
ever trusts it, and its private keys live in a directory the lab owns (mode 0700, keys 0600) and
deletes at teardown (``natless clean`` deletes a killed lab's).

The CA's key signs once and is not kept: only the leaf's key is written. A new lab makes a new
CA, so a leftover bundle never verifies another lab's listeners.

The listeners that present its certificate are :mod:`natless.net.labfront`.
"""

from __future__ import annotations

import datetime
import ipaddress
import os
import re
import ssl
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from natless.net.labdns import synthesise

VALIDITY = datetime.timedelta(days=1)
CLOCK_SKEW = datetime.timedelta(minutes=5)  # not-before in the past: clocks of the lab agree,
# but a certificate that starts "now" fails for a client whose clock reads a second earlier
CA_FILE, CERT_FILE, KEY_FILE = "ca.pem", "server.pem", "server.key"
_LOCAL_DATA = re.compile(r'^\s*local-data:\s*"(\S+?)\.?\s', re.MULTILINE)
_REDIRECT = re.compile(r'^\s*local-zone:\s*"(\S+?)\.?"\s+redirect', re.MULTILINE)


@dataclass(frozen=True)
class LabCA:
    """A lab's CA bundle and its server certificate (with key) on disk."""

    directory: Path
    dns_names: tuple[str, ...]
    ip_addresses: tuple[str, ...]

    @property
    def ca_path(self) -> Path:
        """The PEM bundle a client trusts (``AWS_CA_BUNDLE``, ``SSL_CERT_FILE``)."""
        return self.directory / CA_FILE

    @property
    def cert_path(self) -> Path:
        return self.directory / CERT_FILE

    @property
    def key_path(self) -> Path:
        return self.directory / KEY_FILE

    @classmethod
    def create(
        cls,
        directory: Path,
        dns_names: Iterable[str],
        ip_addresses: Iterable[str],
        validity: datetime.timedelta = VALIDITY,
    ) -> LabCA:
        """Make the CA and the leaf for these names and addresses into ``directory`` (created
        0700; it must not exist yet: a lab's keys are never mixed with another's)."""
        names = tuple(dict.fromkeys(n.lower().rstrip(".") for n in dns_names))
        addresses = tuple(dict.fromkeys(str(ipaddress.ip_address(a)) for a in ip_addresses))
        directory.mkdir(mode=0o700, parents=False)
        now = datetime.datetime.now(datetime.UTC)
        start, end = now - CLOCK_SKEW, now + validity
        ca_key = ec.generate_private_key(ec.SECP256R1())
        ca_name = x509.Name(
            [
                x509.NameAttribute(NameOID.ORGANIZATION_NAME, "natless lab"),
                x509.NameAttribute(NameOID.COMMON_NAME, f"natless lab CA {directory.name}"),
            ]
        )
        ca_ski = x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key())
        ca = (
            x509.CertificateBuilder()
            .subject_name(ca_name)
            .issuer_name(ca_name)
            .public_key(ca_key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(start)
            .not_valid_after(end)
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(_key_usage(cert_sign=True), critical=True)
            .add_extension(ca_ski, critical=False)
            .sign(ca_key, hashes.SHA256())
        )
        key = ec.generate_private_key(ec.SECP256R1())
        sans: list[x509.GeneralName] = [x509.DNSName(n) for n in names]
        sans += [x509.IPAddress(ipaddress.ip_address(a)) for a in addresses]
        leaf_name = names[0] if names else (addresses[0] if addresses else "natless lab")
        leaf = (
            x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, leaf_name[:64])]))
            .issuer_name(ca_name)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(start)
            .not_valid_after(end)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(_key_usage(cert_sign=False), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), False)
            .add_extension(x509.SubjectAlternativeName(sans), critical=False)
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ca_ski), False
            )
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), False)
            .sign(ca_key, hashes.SHA256())
        )
        pem = serialization.Encoding.PEM
        made = cls(directory, names, addresses)
        made.ca_path.write_bytes(ca.public_bytes(pem))
        made.cert_path.write_bytes(leaf.public_bytes(pem))  # clients hold the CA
        key_pem = key.private_bytes(
            pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        fd = os.open(made.key_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as out:
            out.write(key_pem)
        return made

    def server_context(self) -> ssl.SSLContext:
        """For the listeners: the leaf and its chain, TLS 1.2 or newer."""
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.minimum_version = ssl.TLSVersion.TLSv1_2
        context.load_cert_chain(self.cert_path, self.key_path)
        return context

    def client_context(self) -> ssl.SSLContext:
        """For the lab's own probes: trusts this CA only, checks the host name (or IP address),
        TLS 1.2 or newer."""
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)  # verifies and checks host names
        context.minimum_version = ssl.TLSVersion.TLSv1_2
        context.load_verify_locations(cafile=self.ca_path)
        return context


def _key_usage(cert_sign: bool) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=not cert_sign,
        content_commitment=False,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=cert_sign,
        crl_sign=cert_sign,
        encipher_only=False,
        decipher_only=False,
    )


def resolver_names(config: str) -> list[str]:
    """The names a lab resolver's unbound.conf answers (its ``local-data``), with ``*.name``
    for each ``redirect`` zone (every name under it answers the same: bucket virtual hosts).

    Read from the configuration because that is what the lab's functions resolve: the
    certificate then covers exactly the names a function can reach by DNS."""
    names = list(dict.fromkeys(_LOCAL_DATA.findall(config)))
    names += [f"*.{zone}" for zone in dict.fromkeys(_REDIRECT.findall(config))]
    return names


def served_addresses(addresses: Iterable[str]) -> list[str]:
    """The addresses and, for IPv4 ones, their DNS64/NAT64 form (``64:ff9b::/96``): a function
    behind a translator connects to the synthesised address and checks the certificate against
    it."""
    out: list[str] = []
    for address in addresses:
        out.append(address)
        if ipaddress.ip_address(address).version == 4:
            out.append(synthesise(address))
    return list(dict.fromkeys(out))
