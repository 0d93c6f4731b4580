output "vpc_id" {
  description = "ID of the VPC."
  value       = aws_vpc.this.id
}

output "vpc_cidr_block" {
  description = "IPv4 CIDR of the VPC."
  value       = aws_vpc.this.cidr_block
}

output "ipv6_cidr_block" {
  description = "The Amazon-provided IPv6 /56 of the VPC."
  value       = aws_vpc.this.ipv6_cidr_block
}

output "azs" {
  description = "Availability zones used, in the order of every per-AZ list output."
  value       = local.azs
}

output "public_subnet_ids" {
  description = "Public subnet IDs, ordered like azs."
  value       = [for az in local.azs : aws_subnet.this["public/${az}"].id]
}

output "private_subnet_ids" {
  description = "Private subnet IDs (IPv6 via the egress-only gateway; IPv4 via NAT if any), ordered like azs. Put Lambda functions here."
  value       = [for az in local.azs : aws_subnet.this["private/${az}"].id]
}

output "isolated_subnet_ids" {
  description = "Isolated subnet IDs (no default route of either family), ordered like azs."
  value       = [for az in local.azs : aws_subnet.this["isolated/${az}"].id]
}

output "public_route_table_id" {
  description = "ID of the public route table (shared by every public subnet)."
  value       = aws_route_table.public.id
}

output "private_route_table_ids" {
  description = "Private route table IDs, one per AZ, ordered like azs."
  value       = [for az in local.azs : aws_route_table.private[az].id]
}

output "isolated_route_table_ids" {
  description = "Isolated route table IDs, one per AZ, ordered like azs."
  value       = [for az in local.azs : aws_route_table.isolated[az].id]
}

output "internet_gateway_id" {
  description = "ID of the internet gateway (public subnets only)."
  value       = aws_internet_gateway.this.id
}

output "egress_only_internet_gateway_id" {
  description = "ID of the egress-only internet gateway that carries private IPv6 traffic."
  value       = aws_egress_only_internet_gateway.this.id
}

output "nat_gateway_ids" {
  description = "NAT gateway IDs ordered like azs: one per AZ for per_az, one for single, none for none."
  value       = [for az in local.azs : aws_nat_gateway.this[az].id if contains(local.nat_azs, az)]
}

output "nat_gateway_az_by_private_az" {
  description = "For each AZ, the AZ of the NAT gateway its private route table uses for IPv4 (empty when nat_mode is none). Known at plan time."
  value       = local.nat_az_for
}

output "default_security_group_id" {
  description = "ID of the VPC's default security group, which holds no rules."
  value       = aws_default_security_group.this.id
}

output "flow_log_group_name" {
  description = "CloudWatch Logs group receiving the VPC flow logs (null when flow logs are off)."
  value       = one(aws_cloudwatch_log_group.flow[*].name)
}

output "nat_alarm_arns" {
  description = "ARNs of the NAT processed-bytes alarms, keyed by the NAT gateway's AZ."
  value       = { for az, alarm in aws_cloudwatch_metric_alarm.nat_bytes : az => alarm.arn }
}

output "public_subnet_cidr_blocks" {
  description = "IPv4 CIDRs of the public subnets, ordered like azs (known at plan time)."
  value       = [for az in local.azs : local.subnets["public/${az}"].cidr]
}

output "private_subnet_cidr_blocks" {
  description = "IPv4 CIDRs of the private subnets, ordered like azs (known at plan time)."
  value       = [for az in local.azs : local.subnets["private/${az}"].cidr]
}

output "isolated_subnet_cidr_blocks" {
  description = "IPv4 CIDRs of the isolated subnets, ordered like azs (known at plan time)."
  value       = [for az in local.azs : local.subnets["isolated/${az}"].cidr]
}

output "secondary_cidr_blocks" {
  description = "The secondary IPv4 CIDR blocks associated with the VPC."
  value       = [for block in var.secondary_cidr_blocks : aws_vpc_ipv4_cidr_block_association.this[block].cidr_block]
}

output "network_acl_ids" {
  description = "IDs of the dedicated network ACLs, keyed by tier (only the tiers given one)."
  value       = { for tier, acl in aws_network_acl.this : tier => acl.id }
}
