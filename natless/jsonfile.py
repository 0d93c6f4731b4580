"""Reading a JSON document the user names on the command line; every failure is a UserError."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

from natless.errors import UserError


def read_json_file(path: Path, what: str, *, decimals: bool = False) -> Any:
    """A JSON document from ``path``; a missing or non-JSON file is a UserError.

    ``decimals``: read non-integer numbers as Decimal (money and volumes), not float.
    """
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise UserError(f"{what} {path}: no such file") from None
    except IsADirectoryError:
        raise UserError(f"{what} {path} is a directory, not a JSON file") from None
    except UnicodeDecodeError:
        raise UserError(f"{what} {path} is not JSON text") from None
    except OSError as exc:
        raise UserError(f"cannot read {what} {path}: {exc.strerror}") from None
    try:
        return json.loads(text, parse_float=Decimal if decimals else float)
    except json.JSONDecodeError as exc:
        raise UserError(f"{what} {path} is not valid JSON: {exc.msg} (line {exc.lineno})") from None
