"""The latency benchmark: invoke the pair, compare the two placements, write the report.

``invoker`` calls the deployed functions; ``compare`` is pure statistics; ``report`` and
``chart`` write results.json, report.md and latency.png; ``localhttp`` is the local stand-in for
the public API the functions fetch when nothing runs in AWS.
"""
