"""What an egress configuration costs a month, and which one to choose.

Pure computation on list prices (``data/pricing.json``) and a service catalog
(``data/services.json``): ``model`` prices one topology, ``patterns`` compares the egress
patterns, ``advise`` recommends one for a workload, ``plan`` reads a Terraform plan JSON into a
topology, ``render`` writes the tables. It imports nothing that deploys, benchmarks or emulates.
"""
