# Lambda in a VPC without a NAT gateway: a dual-stack VPC whose private subnets send IPv6 out
# through a free egress-only internet gateway, free gateway endpoints for S3 and DynamoDB, and
# the benchmark pair (the same package inside and outside the VPC).

locals {
  tags         = merge(var.tags, { "natless:example" = "egress-only", "natless:name" = var.name })
  package_path = coalesce(var.package_path, "${path.module}/../../build/bench.zip")
}

module "vpc" {
  source = "../../modules/dual-stack-vpc"

  name     = var.name
  az_count = var.az_count
  nat_mode = "none"
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
