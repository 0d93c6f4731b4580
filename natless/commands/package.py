"""`natless package`: build deterministic Lambda zips and print their Terraform hashes."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from natless import paths
from natless.commands.argtypes import name_arg, path_arg
from natless.console.table import aligned
from natless.deploy.package import PackageResult, build_package, function_dir, known_functions
from natless.errors import UserError

NAME = "package"
HELP = "build build/<function>.zip from lambda_src/<function>/ and print its base64 SHA-256"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "functions",
        nargs="*",
        type=name_arg,
        metavar="FUNCTION",
        help="function folder(s) under lambda_src/ (default: all of them)",
    )
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    parser.add_argument(
        "--src-root", type=path_arg, default=None, help="where function folders live (lambda_src/)"
    )
    parser.add_argument(
        "--out-dir", type=path_arg, default=None, help="where the zips are written (build/)"
    )


def run(args: argparse.Namespace) -> int:
    if args.src_root is None:
        paths.require_checkout("natless package without --src-root")
    src_root = args.src_root or paths.LAMBDA_SRC
    out_dir = args.out_dir or paths.BUILD
    functions = args.functions or known_functions(src_root)
    if not functions:
        raise UserError(f"no function folders (with *.py files) under {src_root}; check --src-root")
    for name in functions:  # every name before the first build
        function_dir(name, src_root)
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UserError(
            f"--out-dir {out_dir}: cannot create this folder ({exc.strerror or exc}); "
            "give a writable folder"
        ) from None
    results = [build_package(name, src_root, out_dir) for name in dict.fromkeys(functions)]
    print(render_json(results) if args.json else render_table(results))
    return 0


def _display(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(paths.ROOT))
    except ValueError:
        return str(path)


def render_json(results: list[PackageResult]) -> str:
    return json.dumps(
        [
            {
                "function": r.function,
                "size": r.size,
                "sha256_base64": r.sha256_b64,
                "path": str(r.path),
                "files": len(r.files),
            }
            for r in results
        ],
        indent=2,
    )


def render_table(results: list[PackageResult]) -> str:
    rows = [(r.function, str(r.size), r.sha256_b64, _display(r.path)) for r in results]
    return "\n".join(aligned(("function", "size", "sha256(base64)", "path"), rows, right={1}))
