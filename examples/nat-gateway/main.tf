# The comparison case: the same stack as examples/egress-only plus one NAT gateway
# (nat_mode = "single") for IPv4 egress from the private subnets, USD 32.85/month + 0.045/GB +
# a public IPv4 address. IPv6 still leaves through the egress-only gateway.

locals {
  tags         = merge(var.tags, { "natless:example" = "nat-gateway", "natless:name" = var.name })
  package_path = coalesce(var.package_path, "${path.module}/../../build/bench.zip")
}

module "vpc" {
  source = "../../modules/dual-stack-vpc"

  name         = var.name
  az_count     = var.az_count
  nat_mode     = "single"
  enable_dns64 = var.enable_dns64
}

module "endpoints" {
  source = "../../modules/vpc-endpoints"

  name             = var.name
  vpc_id           = module.vpc.vpc_id
  gateway_services = ["s3", "dynamodb"]
  route_table_ids  = concat(module.vpc.private_route_table_ids, module.vpc.isolated_route_table_ids)

  # Only the bench bucket and table through the free endpoints: a function cannot use them to
  # reach other buckets or tables, other accounts' included.
  gateway_policy_resources = {
    s3       = [module.targets.bucket_arn]
    dynamodb = [module.targets.table_arn]
  }
}

module "targets" {
  source = "../../modules/bench-targets"

  name               = var.name
  object_expiry_days = var.object_expiry_days
}

module "pair" {
  source = "../../modules/lambda-pair"

  name         = var.name
  package_path = local.package_path
  vpc_id       = module.vpc.vpc_id
  subnet_ids   = module.vpc.private_subnet_ids
  policy_json  = module.targets.workload_policy_json

  # IPv4 HTTPS only to the gateway endpoints (S3, DynamoDB) and the VPC itself.
  vpc_ipv4_cidr_block         = module.vpc.vpc_cidr_block
  ipv4_egress_prefix_list_ids = module.endpoints.prefix_list_ids
  # This stack has a NAT: IPv4 HTTPS to anywhere, on top of the endpoints and the VPC.
  ipv4_egress_cidr_blocks = ["0.0.0.0/0"]

  environment = {
    TABLE_NAME  = module.targets.table_name
    QUEUE_URL   = module.targets.queue_url
    BUCKET_NAME = module.targets.bucket_name
    # SQS over IPv6 (sqs.REGION.api.aws) through the egress-only gateway; S3 and DynamoDB keep
    # their IPv4 names so they go through the gateway endpoints.
    NATLESS_DUALSTACK_SERVICES = "sqs"
    NATLESS_IP_PREFERENCE      = "ipv6first"
  }
}
