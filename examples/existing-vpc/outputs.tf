output "region" {
  description = "Region the stack lives in."
  value       = var.region
}

output "vpc_id" {
  description = "ID of the existing (classic) VPC."
  value       = aws_vpc.this.id
}

output "classic_private_subnet_ids" {
  description = "The VPC's original IPv4-only private subnets, ordered like the AZs: where workloads ran before the migration."
  value       = [for az in local.azs : aws_subnet.private[az].id]
}

output "classic_private_route_table_ids" {
  description = "Route tables of the original private subnets (0.0.0.0/0 to the AZ's NAT while it exists), ordered like the AZs."
  value       = [for az in local.azs : aws_route_table.private[az].id]
}

output "private_subnet_ids" {
  description = "The new dual-stack subnets of the VPC function, ordered like the AZs."
  value       = module.natless.private_subnet_ids
}

output "private_route_table_ids" {
  description = "Route tables of the new dual-stack subnets, ordered like the AZs."
  value       = module.natless.private_route_table_ids
}

output "nat_gateway_ids" {
  description = "The classic VPC's NAT gateways, one per AZ (none once enable_nat_gateway is false)."
  value       = [for az in local.nat_azs : aws_nat_gateway.this[az].id]
}

output "nat_alarm_arns" {
  description = "ARNs of the NAT processed-bytes alarms, keyed by the NAT's AZ: retire the NATs once these stay OK."
  value       = { for az, alarm in aws_cloudwatch_metric_alarm.nat_bytes : az => alarm.arn }
}

output "egress_only_internet_gateway_id" {
  description = "Egress-only internet gateway carrying the new subnets' IPv6 traffic."
  value       = module.natless.egress_only_internet_gateway_id
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
