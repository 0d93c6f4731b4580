"""`natless audit`: what a running account pays for NAT, where that traffic goes, and the plan to
move it (read-only: Describe/Get/List calls and one Logs Insights query)."""
