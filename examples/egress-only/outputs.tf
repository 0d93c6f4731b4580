output "region" {
  description = "Region the stack lives in."
  value       = var.region
}

output "vpc_id" {
  description = "ID of the dual-stack VPC."
  value       = module.vpc.vpc_id
}

output "private_subnet_ids" {
  description = "Private subnets of the VPC function, ordered like the AZs."
  value       = module.vpc.private_subnet_ids
}

output "nat_gateway_ids" {
  description = "NAT gateways (none in this example)."
  value       = module.vpc.nat_gateway_ids
}

output "egress_only_internet_gateway_id" {
  description = "Egress-only internet gateway carrying the private subnets' IPv6 traffic."
  value       = module.vpc.egress_only_internet_gateway_id
}

output "function_names" {
  description = "The benchmark pair, keyed by placement (vpc, public)."
  value = {
    vpc    = module.pair.vpc_function_name
    public = module.pair.public_function_name
  }
}

output "table_name" {
  description = "DynamoDB table of the benchmark."
  value       = module.targets.table_name
}

output "queue_url" {
  description = "SQS queue of the benchmark."
  value       = module.targets.queue_url
}

output "bucket_name" {
  description = "S3 bucket of the benchmark."
  value       = module.targets.bucket_name
}
