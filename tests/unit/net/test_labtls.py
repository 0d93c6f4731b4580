"""The lab's CA: a client that trusts it verifies the leaf for every name, wildcard sub-name and
address it was made for, and refuses anything else; the keys are private to the lab's owner."""

from __future__ import annotations

import contextlib
import datetime
import socket
import ssl
import stat
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography import x509

from natless.net.labdns import Representatives, lab_names, unbound_config
from natless.net.labtls import LabCA, resolver_names, served_addresses

NAMES = ["sqs.us-east-1.api.aws", "*.s3.us-east-1.amazonaws.com", "s3.us-east-1.amazonaws.com"]
ADDRESSES = ["127.0.0.1", "::1", "198.51.100.10"]


@pytest.fixture(scope="module")
def ca(tmp_path_factory: pytest.TempPathFactory) -> LabCA:
    return LabCA.create(tmp_path_factory.mktemp("ca") / "lab", NAMES, ADDRESSES)


@pytest.fixture(scope="module")
def server(ca: LabCA) -> Iterator[int]:
    """A loopback TLS server with the lab's leaf: the port; each connection is handshaken and
    closed (a failed handshake is the client's to report)."""
    context = ca.server_context()
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]

    def serve() -> None:
        while True:
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            with conn:
                conn.settimeout(5)
                with contextlib.suppress(OSError, ssl.SSLError):
                    context.wrap_socket(conn, server_side=True).close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield port
    listener.shutdown(socket.SHUT_RDWR)  # wakes the accept
    listener.close()
    thread.join(timeout=5)


def _handshake(ca: LabCA, port: int, server_hostname: str) -> str:
    with (
        socket.create_connection(("127.0.0.1", port), timeout=5) as raw,
        ca.client_context().wrap_socket(raw, server_hostname=server_hostname) as tls,
    ):
        return str(tls.version())


@pytest.mark.parametrize(
    "hostname",
    [
        "sqs.us-east-1.api.aws",
        "s3.us-east-1.amazonaws.com",
        "my-bucket.s3.us-east-1.amazonaws.com",  # the wildcard
        "127.0.0.1",  # by IP SAN (no SNI is sent for an address)
    ],
)
def test_a_client_trusting_the_lab_ca_verifies_the_leaf(ca: LabCA, server: int, hostname) -> None:
    assert _handshake(ca, server, hostname) in ("TLSv1.2", "TLSv1.3")


@pytest.mark.parametrize(
    "hostname",
    [
        "sqs.us-east-1.amazonaws.com",  # not in the certificate
        "a.b.s3.us-east-1.amazonaws.com",  # a wildcard covers one label only
        "198.51.100.11",
    ],
)
def test_a_name_or_address_not_in_the_certificate_is_refused(
    ca: LabCA, server: int, hostname
) -> None:
    with pytest.raises(ssl.SSLCertVerificationError, match="mismatch"):
        _handshake(ca, server, hostname)


def test_another_labs_ca_does_not_verify_this_one(ca: LabCA, server: int, tmp_path: Path) -> None:
    other = LabCA.create(tmp_path / "other", NAMES, ADDRESSES)
    with pytest.raises(ssl.SSLCertVerificationError, match="unable to get local issuer"):
        _handshake(other, server, NAMES[0])


def test_the_default_trust_store_does_not_verify_the_lab(server: int) -> None:
    with (
        socket.create_connection(("127.0.0.1", server), timeout=5) as raw,
        pytest.raises(ssl.SSLCertVerificationError),
    ):
        ssl.create_default_context().wrap_socket(raw, server_hostname=NAMES[0])


def test_the_keys_are_the_owners_only_and_the_ca_key_is_not_kept(ca: LabCA) -> None:
    assert stat.S_IMODE(ca.directory.stat().st_mode) == 0o700
    assert stat.S_IMODE(ca.key_path.stat().st_mode) == 0o600
    assert sorted(p.name for p in ca.directory.iterdir()) == ["ca.pem", "server.key", "server.pem"]
    assert b"PRIVATE KEY" not in ca.ca_path.read_bytes()
    assert b"PRIVATE KEY" not in ca.cert_path.read_bytes()


def test_the_leaf_holds_the_names_and_addresses_for_a_day(ca: LabCA) -> None:
    (leaf,) = x509.load_pem_x509_certificates(ca.cert_path.read_bytes())
    (root,) = x509.load_pem_x509_certificates(ca.ca_path.read_bytes())
    assert leaf.issuer == root.subject
    leaf.verify_directly_issued_by(root)
    sans = leaf.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert sans.get_values_for_type(x509.DNSName) == NAMES
    assert [str(a) for a in sans.get_values_for_type(x509.IPAddress)] == ADDRESSES
    assert leaf.not_valid_after_utc - leaf.not_valid_before_utc <= datetime.timedelta(
        days=1, minutes=5
    )
    assert root.extensions.get_extension_for_class(x509.BasicConstraints).value.ca


def test_a_directory_that_exists_is_not_reused(ca: LabCA) -> None:
    with pytest.raises(FileExistsError):
        LabCA.create(ca.directory, NAMES, ADDRESSES)


def test_the_certificate_names_are_what_the_lab_resolver_answers() -> None:
    r = Representatives(
        s3_ipv4="52.216.0.1",
        s3_ipv6="2600:1fa0::1",
        dynamodb_ipv4="52.94.0.1",
        aws_ipv4="198.51.100.80",
        aws_ipv6="2600:1f00::1",
        internet_ipv4="198.51.100.1",
        internet_ipv6="2001:db8:1::1",
        ipv4_only="198.51.100.10",
    )
    names = lab_names("eu-west-1", r)
    found = resolver_names(unbound_config(names, ["10.0.0.2"]))
    assert "sqs.eu-west-1.api.aws" in found
    assert "*.s3.eu-west-1.amazonaws.com" in found  # bucket virtual hosts
    assert "*.s3.dualstack.eu-west-1.amazonaws.com" in found
    assert "ipv4only.natless.example" in found
    assert "xray.eu-west-1.api.aws" not in found  # NXDOMAIN: no certificate either
    answered = {n.name for n in names if n.a or n.aaaa}
    assert {n for n in found if not n.startswith("*.")} == answered
    assert resolver_names(unbound_config(names, ["10.0.0.2"], forward_to="192.0.2.9")) == []


def test_ipv4_addresses_are_also_served_in_their_nat64_form() -> None:
    assert served_addresses(["198.51.100.10", "2001:db8::1", "198.51.100.10"]) == [
        "198.51.100.10",
        "64:ff9b::c633:640a",
        "2001:db8::1",
    ]
