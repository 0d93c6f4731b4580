"""natless sub-commands (see natless.cli)."""
