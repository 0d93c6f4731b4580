"""Plain-text output for a terminal: aligned tables and the stage-by-stage progress lines.

Imports nothing of natless but the foundation modules; every other subpackage may use it.
"""
