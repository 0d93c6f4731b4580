"""Reading ``terraform show -json`` output: the resources, their configuration, the topology."""
