"""The module READMEs' generated tables and the unused-declaration check (tests/tools/moddocs)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.tools import moddocs
from tests.tools.moddocs import BEGIN, END

VARIABLES = r"""
variable "settings" {
  description = <<-EOT
    Per-function settings.

    Keys are labels | values objects:
    - memory in MB
    - timeout in s
  EOT
  type = map(object({
    memory  = number
    timeout = optional(number, 30)
  }))
  default = null
}

variable "name" {
  # a comment is not part of the description
  description = "Base name, e.g. \"orders\" (<name>-vpc); `a|b` in code."
  type        = string
}

variable "cidrs" {
  type    = list(string)
  default = ["10.0.0.0/16", "fd00::/8"]
}

variable "limits" {
  description = "Either || both."
  type        = object({ min = number, max = optional(number) })
  default = {
    min = 1
    max = 5
  }
}

variable "enabled" {
  description = "A switch."
  type        = bool
  default     = false
}

variable "ratio" {
  default = 0.5
}
"""

OUTPUTS = """
output "id" {
  description = "The ID | or null."
  value       = var.name
}

output "plain" {
  value = var.cidrs
}
"""


def test_inputs_keep_types_and_defaults_as_written() -> None:
    parsed = moddocs.parse_texts({"variables.tf": VARIABLES, "outputs.tf": OUTPUTS})
    by_name = {i.name: i for i in parsed.inputs}
    assert [i.name for i in parsed.inputs] == [
        "settings",
        "name",
        "cidrs",
        "limits",
        "enabled",
        "ratio",
    ]
    assert (
        by_name["settings"].type == "map(object({memory = number, timeout = optional(number, 30)}))"
    )
    assert by_name["settings"].default == "null"
    assert by_name["name"].default is None
    assert by_name["name"].description == 'Base name, e.g. "orders" (<name>-vpc); `a|b` in code.'
    assert by_name["cidrs"].default == '["10.0.0.0/16", "fd00::/8"]'
    assert by_name["limits"].type == "object({min = number, max = optional(number)})"
    assert by_name["limits"].default == "{min = 1, max = 5}"
    assert by_name["enabled"].default == "false"
    assert (by_name["ratio"].type, by_name["ratio"].default) == ("any", "0.5")
    assert by_name["settings"].description.startswith("Per-function settings.\n\nKeys are")


def test_rendered_tables() -> None:
    section = moddocs.render(
        moddocs.parse_texts({"variables.tf": VARIABLES, "outputs.tf": OUTPUTS})
    )
    lines = section.splitlines()
    assert lines[0] == BEGIN and lines[-1] == END
    assert (
        "| `settings` | `map(object({memory = number, timeout = optional(number, 30)}))` | `null` "
        "| Per-function settings.<br><br>Keys are labels \\| values objects:"
        "<br>- memory in MB<br>- timeout in s |"
    ) in lines
    assert (
        '| `name` | `string` | required | Base name, e.g. "orders" (&lt;name>-vpc); '
        "`a\\|b` in code. |"
    ) in lines
    assert '| `cidrs` | `list(string)` | `["10.0.0.0/16", "fd00::/8"]` |  |' in lines
    assert (
        "| `limits` | `object({min = number, max = optional(number)})` | `{min = 1, max = 5}` "
        "| Either \\|\\| both. |" in lines
    )
    assert "| `enabled` | `bool` | `false` | A switch. |" in lines
    assert "| `ratio` | `any` | `0.5` |  |" in lines
    assert "| `id` | The ID \\| or null. |" in lines
    assert "| `plain` |  |" in lines
    assert "No input is required." not in lines  # `name` is
    assert section == moddocs.render(
        moddocs.parse_texts({"outputs.tf": OUTPUTS, "variables.tf": VARIABLES})
    )


def test_no_required_input_and_no_outputs_are_said() -> None:
    section = moddocs.render(moddocs.parse_texts({"v.tf": 'variable "a" {\n  default = 1\n}\n'}))
    assert "No input is required." in section
    assert section.split("## Outputs", 1)[1].strip().startswith("None.")


def test_code_span_around_backticks() -> None:
    assert moddocs.code("a`b") == "``a`b``"
    assert moddocs.code("`x`") == "`` `x` ``"


def test_splice_keeps_the_hand_written_part() -> None:
    hand = "# m\n\nProse above.\n\n"
    after = "\n\n## Notes\n\nProse below.\n"
    readme = hand + f"{BEGIN}\nold tables\n{END}" + after
    assert moddocs.splice(readme, f"{BEGIN}\nnew\n{END}") == hand + f"{BEGIN}\nnew\n{END}" + after


def test_splice_appends_when_there_are_no_markers() -> None:
    assert moddocs.splice("# m\n\nProse.\n\n\n", "SECTION") == "# m\n\nProse.\n\nSECTION\n"


@pytest.mark.parametrize(
    "readme", [f"{BEGIN}\n", f"{END}\n{BEGIN}\n", f"{BEGIN}\n{END}\n{BEGIN}\n{END}\n"]
)
def test_splice_refuses_broken_markers(readme: str) -> None:
    with pytest.raises(ValueError, match="exactly one"):
        moddocs.splice(readme, "SECTION")


def _module(root: Path, name: str = "m") -> Path:
    folder = root / "modules" / name
    folder.mkdir(parents=True)
    (folder / "variables.tf").write_text(VARIABLES)
    (folder / "outputs.tf").write_text(OUTPUTS)
    (folder / "main.tf").write_text(
        'resource "null_resource" "x" {\n'
        "  triggers = { a = jsonencode([var.settings, var.limits, var.enabled, var.ratio]) }\n"
        "}\n"
    )
    (folder / "README.md").write_text("# m\n\nHand-written.\n")
    return folder


def test_check_detects_staleness(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = _module(tmp_path)
    assert moddocs.main(["--check", "--root", str(tmp_path)]) == 1
    assert "modules/m/README.md: inputs/outputs tables are stale" in capsys.readouterr().err

    assert moddocs.main(["--root", str(tmp_path)]) == 0
    written = (folder / "README.md").read_text()
    assert written.startswith("# m\n\nHand-written.\n\n" + BEGIN)
    assert moddocs.main(["--check", "--root", str(tmp_path)]) == 0
    assert moddocs.main(["--root", str(tmp_path)]) == 0
    assert (folder / "README.md").read_text() == written  # idempotent

    outputs = folder / "outputs.tf"
    outputs.write_text(outputs.read_text().replace("The ID", "The new ID"))
    assert moddocs.main(["--check", "--root", str(tmp_path)]) == 1
    assert "modules/m/README.md: inputs/outputs tables are stale" in capsys.readouterr().err
    assert (folder / "README.md").read_text() == written  # --check writes nothing


def test_check_names_a_missing_readme_and_unused_declarations(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = _module(tmp_path)
    (folder / "README.md").unlink()
    (folder / "extra.tf").write_text('data "aws_partition" "current" {}\n')
    assert moddocs.main(["--check", "--root", str(tmp_path)]) == 1
    err = capsys.readouterr().err.splitlines()
    assert err == [
        "modules/m/extra.tf:1: data.aws_partition.current is never used",
        "modules/m/README.md: missing (make docs writes it)",
    ]
    assert moddocs.main(["--root", str(tmp_path)]) == 1  # unused still fails; README written
    assert (folder / "README.md").read_text().startswith(f"# m\n\n{BEGIN}")


USED = r"""
variable "in_for_each" {}
variable "in_string" {}
variable "in_heredoc" {}
variable "in_directive" {}
variable "in_local" {}
variable "in_count" {}
variable "in_output" {}

locals {
  base    = "${var.in_local}-x"
  derived = [for s in local.base : upper(s)]
}

data "aws_region" "current" {}
data "aws_caller_identity" "me" {}

resource "aws_thing" "a" {
  for_each = var.in_for_each
  count    = var.in_count ? 1 : 0
  name     = "prefix-${var.in_string}-${local.derived[0]}"
  policy   = <<-EOT
    {"Resource": "arn:${data.aws_region.current.name}:${var.in_heredoc}",
     "Note": "%{ if var.in_directive }on%{ endif }"}
  EOT
}

output "me" {
  value = data.aws_caller_identity.me.account_id
}

output "n" {
  value = var.in_output
}
"""


def _unused(text: str) -> list[str]:
    return moddocs.unused(moddocs.parse_texts({"main.tf": text}).declarations)


def test_used_declarations_pass() -> None:
    assert _unused(USED) == []


def test_unused_declarations_are_found() -> None:
    text = (
        USED
        + r"""
variable "unused" {
  # var.commented is a comment
  description = "literal text var.literal and $${var.escaped}"
  validation {
    condition     = length(var.unused) > 0
    error_message = "Needs one."
  }
}
variable "commented" {}
variable "literal" {}
variable "escaped" {}
variable "via_unused_local" {}

locals {
  orphan = upper(var.via_unused_local)
  chain  = local.orphan
}

data "aws_partition" "current" {}
"""
    )

    expected = [
        ('variable "unused" {', "var.unused is never used"),
        ('variable "commented" {}', "var.commented is never used"),
        ('variable "literal" {}', "var.literal is never used"),
        ('variable "escaped" {}', "var.escaped is never used"),
        (
            'variable "via_unused_local" {}',
            "var.via_unused_local is used only by unused declarations",
        ),
        (
            "  orphan = upper(var.via_unused_local)",
            "local.orphan is used only by unused declarations",
        ),
        ("  chain  = local.orphan", "local.chain is never used"),
        ('data "aws_partition" "current" {}', "data.aws_partition.current is never used"),
    ]
    lines = text.splitlines()
    assert _unused(text) == [f"main.tf:{lines.index(line) + 1}: {what}" for line, what in expected]


def test_references_across_files_count() -> None:
    files = {
        "variables.tf": 'variable "x" {}\n',
        "data.tf": 'data "aws_region" "r" {}\n',
        "outputs.tf": 'output "o" {\n  value = "${var.x}/${data.aws_region.r.name}"\n}\n',
    }
    assert moddocs.unused(moddocs.parse_texts(files).declarations) == []


def test_template_expressions() -> None:
    text = 'a ${var.x} $${var.lit} %{ for k in local.ks }${k}%{ endfor } ${ {"}" = 1}["}"] }'
    assert moddocs.template_expressions(text) == [
        "var.x",
        " for k in local.ks ",
        "k",
        " endfor ",
        ' {"}" = 1}["}"] ',
    ]


def test_every_repository_folder_parses() -> None:
    for folder in moddocs.folders():
        parsed = moddocs.parse_folder(folder)
        assert parsed.inputs or parsed.outputs, folder
