"""The session_counter package as natless builds it (pg8000 vendored by pip, or from the cache in
build/.vendor) carries the Amazon RDS CA bundle that examples/public-private-split trusts.
"""

from __future__ import annotations

import zipfile

from natless.deploy.package import build_package
from tests.tools import rds_ca


def test_bundle_is_in_the_session_counter_package() -> None:
    package = build_package("session_counter")
    assert rds_ca.BUNDLE_NAME in package.files
    with zipfile.ZipFile(package.path) as archive:
        assert archive.read(rds_ca.BUNDLE_NAME) == rds_ca.BUNDLE.read_bytes()
