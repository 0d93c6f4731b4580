"""Terraform folders of a user's own, for the commands that take ``--tf-dir``."""

from __future__ import annotations

from pathlib import Path


def small_module(folder: Path) -> Path:
    """``folder``, created, with one main.tf that holds only a provider block."""
    folder.mkdir()
    (folder / "main.tf").write_text('provider "aws" {\n  region = "eu-central-1"\n}\n')
    return folder
