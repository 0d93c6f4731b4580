"""Where natless finds the repository's files, and where it writes its own.

Run from a checkout of the repository (a clone, an editable install), everything is in it:
``modules/``, ``examples/`` and ``lambda_src/`` are read there, and ``build/``, ``reports/`` and
the scratch folder ``.natless/`` are written beside them (all three git-ignored).

Installed from a wheel, the package holds its Python code and price data only: the Terraform
modules, the examples and the Lambda sources stay in the repository (a root module of the user's
takes the modules by git URL, as the README shows). natless then looks for a checkout: the
folder NATLESS_HOME names, else the current folder or one of its parents. Without one, the
commands that deploy or package the examples refuse with a message that says so
(:func:`require_checkout`); the others (cost PLAN_JSON, advise, compare, routes, emulator,
clean) work anywhere. Their scratch state then goes to ``$XDG_STATE_HOME/natless`` (by default
``~/.local/state/natless``), never into the installed package, and reports to ``./reports``.

NATLESS_SCRATCH moves the scratch folder in every case (the fault tests give each run its own).
"""

from __future__ import annotations

import os
from pathlib import Path

from natless.errors import UserError

PACKAGE = Path(__file__).resolve().parent
HOME_ENV = "NATLESS_HOME"
SCRATCH_ENV = "NATLESS_SCRATCH"
# What makes a folder a natless checkout: one module, one example, one function of each kind.
CHECKOUT_MARKERS = ("modules/dual-stack-vpc", "examples/egress-only", "lambda_src/bench")


def is_checkout(folder: Path) -> bool:
    return all((folder / marker).is_dir() for marker in CHECKOUT_MARKERS)


def find_checkout() -> Path | None:
    """The checkout natless works in: NATLESS_HOME, the package's own, or the current folder's."""
    explicit = os.environ.get(HOME_ENV)
    if explicit:
        folder = Path(explicit).expanduser().resolve()
        return folder if is_checkout(folder) else None
    if is_checkout(PACKAGE.parent):
        return PACKAGE.parent
    here = Path.cwd()
    return next((p for p in (here, *here.parents) if is_checkout(p)), None)


def _state_home() -> Path:
    xdg = os.environ.get("XDG_STATE_HOME")
    return Path(xdg) if xdg and Path(xdg).is_absolute() else Path.home() / ".local" / "state"


CHECKOUT = find_checkout()
# Without a checkout nothing below ROOT exists (ROOT is then the folder the package is installed
# in): every reader of MODULES, EXAMPLES and LAMBDA_SRC calls require_checkout first, and nothing
# is written below ROOT.
ROOT = CHECKOUT or PACKAGE.parent
MODULES = ROOT / "modules"
EXAMPLES = ROOT / "examples"
LAMBDA_SRC = ROOT / "lambda_src"
# Generated, git-ignored scratch space: Terraform CLI config, working copies of root modules.
SCRATCH = Path(
    os.environ.get(SCRATCH_ENV)
    or (CHECKOUT / ".natless" if CHECKOUT else _state_home() / "natless")
)
BUILD = CHECKOUT / "build" if CHECKOUT else SCRATCH / "build"
REPORTS = CHECKOUT / "reports" if CHECKOUT else Path.cwd() / "reports"


def require_checkout(what: str) -> Path:
    """The checkout, or a UserError saying that ``what`` needs one and how to give it."""
    if CHECKOUT is not None:
        return CHECKOUT
    explicit = os.environ.get(HOME_ENV)
    looked = (
        f"{HOME_ENV}={explicit} is not one (it lacks {', '.join(CHECKOUT_MARKERS)})"
        if explicit
        else f"none found in {Path.cwd()} or its parents, nor set in {HOME_ENV}"
    )
    raise UserError(
        f"{what} needs a checkout of the natless repository: the Terraform modules, examples "
        f"and Lambda sources are not part of the installed Python package ({looked}). Clone "
        f"the repository and run natless inside the clone, or set {HOME_ENV}=/path/to/clone"
    )


def example_dir(name: str) -> Path:
    """The folder of a runnable example, or a UserError listing the ones that exist."""
    require_checkout(f"examples/{name}")
    path = EXAMPLES / name
    if not (path / "main.tf").is_file():
        known = sorted(p.name for p in EXAMPLES.iterdir() if (p / "main.tf").is_file())
        raise UserError(f"unknown example {name!r}; choose one of: {', '.join(known)}")
    return path
