"""The function packages of lambda_src/ imported into the test process."""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from types import ModuleType

from natless.paths import LAMBDA_SRC


@contextmanager
def handler_module(function: str) -> Iterator[ModuleType]:
    """lambda_src/<function>/handler.py, loaded by its path for the ``with`` block.

    It is imported under a name of its own (``natless_test_<function>``), so it meets no other
    ``handler`` module, and it runs its module code with the environment of that moment: set the
    function's environment variables first. Removed from ``sys.modules`` on leaving.
    """
    name = f"natless_test_{function}"
    spec = importlib.util.spec_from_file_location(name, LAMBDA_SRC / function / "handler.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
        yield module
    finally:
        sys.modules.pop(name, None)
