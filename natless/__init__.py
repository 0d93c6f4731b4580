"""natless: run AWS Lambda in a VPC without a NAT gateway, and prove it."""

__version__ = "0.1.0"
