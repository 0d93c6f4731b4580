"""natless.emulator's provider override file and the warnings about a user's own state."""

from __future__ import annotations

from natless.emulator import Emulator, state_warnings, write_override
from tests.support.tfdirs import small_module


def test_override_file_replaces_only_its_own(tmp_path) -> None:
    folder = small_module(tmp_path / "my-stack")
    emu = Emulator(host="127.0.0.1", port=4566)  # not started: only its override text is used
    stale = Emulator(host="127.0.0.1", port=4000)
    write_override(stale, folder)  # left behind by an emulator that was killed
    override = write_override(emu, folder)
    assert '"http://127.0.0.1:4566"' in override.path.read_text()
    override.path.write_text(override.text + "# edited\n")
    assert override.remove() is False and override.path.exists()  # changed: kept
    override.path.write_text(override.text)
    assert override.remove() is True and not override.path.exists()
    assert override.remove() is False


def test_state_warnings(tmp_path) -> None:
    folder = small_module(tmp_path / "my-stack")
    assert state_warnings(folder) == []
    (folder / "backend.tf").write_text('# backend "s3" {}\nterraform {\n  cloud {\n  }\n}\n')
    (folder / "terraform.tfstate").write_text('{"version": 4, "resources": []}')
    (warning,) = state_warnings(folder)
    assert "a cloud block:" in warning and "s3" not in warning
    (folder / "backend.tf").write_text('terraform {\n  backend "s3" {\n  }\n}\n')
    (folder / "terraform.tfstate").write_text('{"version": 4, "resources": [{"type": "x"}]}')
    (warning,) = state_warnings(folder)
    assert 'backend "s3", resources in terraform.tfstate' in warning
    assert "terraform workspace new" in warning
    (folder / ".terraform").mkdir()
    (folder / ".terraform" / "environment").write_text("emulator")
    assert state_warnings(folder) == []  # `terraform workspace new emulator` was followed
