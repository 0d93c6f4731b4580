"""Module READMEs' inputs and outputs tables, generated from the Terraform; unused declarations.

    python -m tests.tools.moddocs [FOLDER...]          # rewrite the tables (`make docs`)
    python -m tests.tools.moddocs --check [FOLDER...]  # exit 1: stale table, unused declaration

For every folder of modules/ and examples/ that declares a variable or an output, the tables of
its inputs (name, type as written, default or "required", description) and outputs (name,
description) go into its README.md between the markers `<!-- BEGIN_TF_DOCS -->` and
`<!-- END_TF_DOCS -->`. Everything outside them is hand-written and kept as it is; a README
without the markers gets the section appended at its end, and a folder without a README gets one
with just its name as the title. Rows follow the order of declaration (files by name).

`--check` also reads every .tf file of each folder and fails on a variable, local or data
source that nothing uses: not referenced at all, or only by declarations that are themselves
unused. References count wherever Terraform evaluates them, string interpolations and heredoc
templates included, but not in literal text (`"var.x"`), in comments or in a variable's own
validation.

The HCL parser is python-hcl2 (8.x). Its import name, `hcl2`, is also that of checkov's fork
(bc-python-hcl2), so the Makefile installs it into a folder of its own, `.venv/hcl2`, which this
tool puts on the import path for that one import (NATLESS_HCL2_LIB names another folder).
"""

from __future__ import annotations

import argparse
import importlib
import os
import re
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
PARENTS = ("modules", "examples")
BEGIN = "<!-- BEGIN_TF_DOCS -->"
END = "<!-- END_TF_DOCS -->"
NOTE = (
    "<!-- Generated from variables.tf and outputs.tf by `make docs` "
    "(python -m tests.tools.moddocs): edit those, not this section. -->"
)
HCL2_MAJOR = "8."


# --- the parser ---------------------------------------------------------------------------------


def hcl2() -> ModuleType:
    """python-hcl2 8.x, from `.venv/hcl2` (see the Makefile) when that folder exists.

    Imported here rather than at the top: the folder goes on the import path only for this import
    (it also holds python-hcl2's own `lark`, `regex` and `cli`, which nothing else should see).
    """
    lib = Path(os.environ.get("NATLESS_HCL2_LIB") or ROOT / ".venv" / "hcl2")
    added = "hcl2" not in sys.modules and lib.is_dir() and str(lib) not in sys.path
    if added:
        sys.path.insert(0, str(lib))
    try:
        module: ModuleType | None = importlib.import_module("hcl2")
    except ImportError:
        module = None
    finally:
        if added:
            sys.path.remove(str(lib))
    version = str(getattr(module, "__version__", ""))
    if module is None or not version.startswith(HCL2_MAJOR):
        found = f"hcl2 {version or '(no version)'} from {module.__file__}" if module else "none"
        raise SystemExit(
            f"moddocs needs python-hcl2 {HCL2_MAJOR}x in {lib} (found: {found}); "
            "`make venv` installs it there"
        )
    return module


# --- what a folder declares ----------------------------------------------------------------------


@dataclass(frozen=True)
class Input:
    name: str
    type: str  # HCL, on one line
    default: str | None  # HCL, on one line; None: required
    description: str


@dataclass(frozen=True)
class Output:
    name: str
    description: str


Ref = tuple[str, str]  # ("var", "name"), ("local", "name"), ("data", "type.name")


@dataclass
class Declaration:
    ref: Ref | None  # what references it; None for the roots (resources, outputs, modules, ...)
    where: str  # file:line, for messages
    refs: set[Ref] = field(default_factory=set)  # what it references


@dataclass
class Folder:
    inputs: list[Input] = field(default_factory=list)
    outputs: list[Output] = field(default_factory=list)
    declarations: list[Declaration] = field(default_factory=list)


def parse_folder(folder: Path) -> Folder:
    """Every *.tf file of `folder` (not its subfolders), in file-name order."""
    return parse_texts({p.name: p.read_text() for p in sorted(folder.glob("*.tf"))})


def parse_texts(files: dict[str, str]) -> Folder:
    """Like `parse_folder`, from {file name: HCL text}."""
    lib = hcl2()
    options = lib.SerializationOptions(
        with_comments=False, wrap_objects=True, wrap_tuples=True, preserve_heredocs=False
    )
    result = Folder()
    for name in sorted(files):
        tree = lib.parses_to_tree(files[name])
        result.declarations += _declarations(tree, name)
        # after _declarations: the transformer must not see the tree before it is read
        data = lib.serialize(lib.transform(tree), serialization_options=options)
        for block in data.get("variable", []):
            for label, body in block.items():
                result.inputs.append(_input(_unquote(label), body))
        for block in data.get("output", []):
            for label, body in block.items():
                result.outputs.append(Output(_unquote(label), _text(body.get("description"))))
    return result


def _input(name: str, body: dict[str, Any]) -> Input:
    return Input(
        name=name,
        type=_hcl(body["type"]) if "type" in body else "any",
        default=_hcl(body["default"]) if "default" in body else None,
        description=_text(body.get("description")),
    )


def _hcl(value: Any) -> str:
    """A serialized expression back as HCL on one line (objects and tuples come wrapped)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        if value.startswith("${") and value.endswith("}"):
            return value[2:-1]
        return value
    return str(value)


def _unquote(label: str) -> str:
    return label[1:-1] if len(label) >= 2 and label[0] == label[-1] == '"' else label


def _text(value: Any) -> str:
    """The value of a literal string (a description): quotes off, escapes resolved."""
    if value is None:
        return ""
    text = hcl2().utils.process_escape_sequences(_unquote(_hcl(value)))
    return text.replace("$${", "${").replace("%%{", "%{")


# --- references ----------------------------------------------------------------------------------

ROOT_REF_PATTERN = re.compile(
    r"(?<![\w.])(?:(var|local)\.([A-Za-z_][\w-]*)|(data)\.([A-Za-z_][\w-]*)\.([A-Za-z_][\w-]*))"
)
TEMPLATE_OPEN = re.compile(r"(?<![$%])[$%]\{")


def _declarations(tree: Any, file: str) -> list[Declaration]:
    """The top-level declarations of one file and what each references."""
    found: list[Declaration] = []
    body = tree.children[0]
    for item in body.children:
        if getattr(item, "data", None) != "block":
            continue
        kind = _name(item.children[0])
        labels = [_name(c) for c in item.children[1:] if getattr(c, "data", None) != "body"]
        labels = [label for label in labels if label is not None]
        where = f"{file}:{item.meta.line}"
        if kind == "locals":
            inner = next(c for c in item.children if getattr(c, "data", None) == "body")
            for attribute in inner.children:
                if getattr(attribute, "data", None) == "attribute":
                    ref = ("local", _name(attribute.children[0]) or "")
                    found.append(
                        Declaration(ref, f"{file}:{attribute.meta.line}", _refs(attribute))
                    )
            continue
        ref: Ref | None = None
        if kind == "variable" and labels:
            ref = ("var", labels[0])
        elif kind == "data" and len(labels) >= 2:
            ref = ("data", f"{labels[0]}.{labels[1]}")
        refs = _refs(item)
        refs.discard(ref)  # a variable's own validation does not use it
        found.append(Declaration(ref, where, refs))
    return found


def _name(node: Any) -> str | None:
    """The text of an identifier or a literal string label."""
    data = getattr(node, "data", None)
    if data == "identifier":
        return str(node.children[0])
    if data == "string":
        return "".join(str(t) for t in _tokens(node) if t.type == "STRING_CHARS")
    return None


def _tokens(node: Any) -> Iterator[Any]:
    """The tokens under `node`, in source order."""
    for child in node.children:
        if hasattr(child, "children"):
            yield from _tokens(child)
        else:
            yield child


def _refs(node: Any) -> set[Ref]:
    """var.X, local.X and data.T.N evaluated anywhere under `node`."""
    found: set[Ref] = set()
    tokens = list(_tokens(node))
    for i, token in enumerate(tokens):
        if token.type in ("HEREDOC_TEMPLATE", "HEREDOC_TEMPLATE_TRIM"):
            for expression in template_expressions(str(token)):
                found |= refs_in_text(expression)
            continue
        if token.type != "NAME" or (i and tokens[i - 1].type == "DOT"):
            continue
        # the names after `token`, as long as each follows a dot: var.x -> ["x"]
        names = []
        for dot, name in zip(tokens[i + 1 : i + 5 : 2], tokens[i + 2 : i + 5 : 2], strict=False):
            if dot.type != "DOT" or name.type != "NAME":
                break
            names.append(str(name))
        if token in ("var", "local") and names:
            found.add((str(token), names[0]))
        elif token == "data" and len(names) >= 2:
            found.add(("data", f"{names[0]}.{names[1]}"))
    return found


def template_expressions(text: str) -> list[str]:
    """The insides of the `${...}` and `%{...}` of a template (`$${` and `%%{` are literal)."""
    found = []
    for opening in TEMPLATE_OPEN.finditer(text):
        depth, i, quote = 1, opening.end(), False
        while i < len(text) and depth:
            char = text[i]
            if quote:
                if char == "\\":
                    i += 1
                elif char == '"':
                    quote = False
            elif char == '"':
                quote = True
            elif char == "{":
                depth += 1
            elif char == "}":
                depth -= 1
            i += 1
        found.append(text[opening.end() : i - 1])
    return found


def refs_in_text(expression: str) -> set[Ref]:
    """References in the text of one template expression."""
    found: set[Ref] = set()
    for match in ROOT_REF_PATTERN.finditer(expression):
        if match.group(1):
            found.add((match.group(1), match.group(2)))
        else:
            found.add(("data", f"{match.group(4)}.{match.group(5)}"))
    return found


def unused(declarations: Iterable[Declaration]) -> list[str]:
    """Variables, locals and data sources that no root reaches, one message each, in file order."""
    declarations = list(declarations)
    by_ref = {d.ref: d for d in declarations if d.ref is not None}
    reached: set[Ref] = set()
    todo = [ref for d in declarations if d.ref is None for ref in d.refs]
    while todo:
        ref = todo.pop()
        if ref in reached or ref not in by_ref:
            continue
        reached.add(ref)
        todo += by_ref[ref].refs
    mentioned = {ref for d in declarations for ref in d.refs}
    messages = []
    for d in declarations:
        if d.ref is None or d.ref in reached:
            continue
        why = "used only by unused declarations" if d.ref in mentioned else "never used"
        messages.append(f"{d.where}: {'.'.join(d.ref)} is {why}")
    return messages


# --- Markdown --------------------------------------------------------------------------------


def code(text: str) -> str:
    """`text` as a code span in a table cell."""
    fence = "`" * (max((len(run) for run in re.findall(r"`+", text)), default=0) + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}".replace("|", "\\|")


def cell(text: str) -> str:
    """Prose for a table cell: paragraphs kept, `|` escaped, `<` shown outside code spans."""
    paragraphs = [p for p in re.split(r"\n\s*\n", text.strip()) if p.strip()]
    rendered = []
    for paragraph in paragraphs:
        lines = [line.strip() for line in paragraph.splitlines() if line.strip()]
        joined = lines[0] if lines else ""
        for line in lines[1:]:
            joined += ("<br>" if re.match(r"([-*+]|\d+[.)]) ", line) else " ") + line
        rendered.append(joined)
    parts = re.split(r"(`+[^`]*?`+)", "<br><br>".join(rendered))
    # outside code spans, a bare `<word>` would be taken for an HTML tag and vanish
    out = "".join(p if i % 2 else re.sub(r"<(?!br>)", "&lt;", p) for i, p in enumerate(parts))
    return out.replace("|", "\\|")


def render(folder: Folder) -> str:
    """The generated section, markers included."""
    lines = [BEGIN, NOTE, "## Inputs", ""]
    if folder.inputs:
        lines += ["| Name | Type | Default | Description |", "|---|---|---|---|"]
        for i in folder.inputs:
            default = "required" if i.default is None else code(i.default)
            lines.append(f"| {code(i.name)} | {code(i.type)} | {default} | {cell(i.description)} |")
        if all(i.default is not None for i in folder.inputs):
            lines += ["", "No input is required."]
    else:
        lines.append("None.")
    lines += ["", "## Outputs", ""]
    if folder.outputs:
        lines += ["| Name | Description |", "|---|---|"]
        lines += [f"| {code(o.name)} | {cell(o.description)} |" for o in folder.outputs]
    else:
        lines.append("None.")
    return "\n".join([*lines, END])


def splice(readme: str, section: str) -> str:
    """`readme` with `section` between its markers, or appended when it has none."""
    begins, ends = readme.count(BEGIN), readme.count(END)
    if begins == ends == 0:
        return readme.rstrip("\n") + "\n\n" + section + "\n"
    start, stop = readme.find(BEGIN), readme.find(END)
    if begins != 1 or ends != 1 or stop < start:
        raise ValueError(f"needs exactly one {BEGIN} followed by one {END}")
    return readme[:start] + section + readme[stop + len(END) :]


# --- the command ---------------------------------------------------------------------------------


def folders(root: Path = ROOT) -> list[Path]:
    """The module and example folders with Terraform in them."""
    return [p for parent in PARENTS for p in sorted((root / parent).glob("*/")) if _has_tf(p)]


def _has_tf(path: Path) -> bool:
    return path.is_dir() and any(path.glob("*.tf"))


def run(root: Path, check: bool, only: Iterable[Path] = ()) -> list[str]:
    """Write (or with `check`, compare) the READMEs; the problems found, one line each.

    `only`: these folders instead of every module and example.
    """
    problems = []
    for path in [root / p for p in only] or folders(root):
        relative = path.relative_to(root).as_posix()
        folder = parse_folder(path)
        problems += [f"{relative}/{message}" for message in unused(folder.declarations)]
        readme = path / "README.md"
        exists = readme.is_file()
        old = readme.read_text() if exists else f"# {path.name}\n"
        try:
            new = splice(old, render(folder))
        except ValueError as error:
            problems.append(f"{relative}/README.md: {error}")
            continue
        if exists and new == old:
            continue
        if check:
            state = "inputs/outputs tables are stale" if exists else "missing"
            problems.append(f"{relative}/README.md: {state} (make docs writes it)")
        else:
            readme.write_text(new)
            print(f"wrote {relative}/README.md")
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.tools.moddocs", description=__doc__)
    parser.add_argument(
        "--check",
        action="store_true",
        help="write nothing; exit 1 if a README is stale or a declaration unused",
    )
    parser.add_argument(
        "folders", nargs="*", type=Path, metavar="FOLDER", help="default: modules/* examples/*"
    )
    parser.add_argument("--root", type=Path, default=ROOT, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    problems = run(args.root, args.check, args.folders)
    for problem in problems:
        print(problem, file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
