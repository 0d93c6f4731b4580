output "vpc_id" {
  description = "ID of the VPC (the vpc_id input)."
  value       = var.vpc_id
}

output "vpc_cidr_block" {
  description = "Primary IPv4 CIDR of the VPC (read from the VPC): lambda-pair's vpc_ipv4_cidr_block."
  value       = data.aws_vpc.this.cidr_block
}

output "ipv6_cidr_block" {
  description = "The VPC's IPv6 block the subnets' /64s come from: the Amazon-provided /56 this module associated, or the VPC's own."
  value       = local.ipv6_cidr_block
}

output "ipv6_cidr_block_association_id" {
  description = "ID of the IPv6 block association this module made (null when assign_ipv6_cidr_block is false)."
  value       = one(aws_vpc_ipv6_cidr_block_association.this[*].id)
}

output "azs" {
  description = "Availability zones of the new subnets, sorted by name: the order of every per-AZ list output."
  value       = local.azs
}

output "private_subnet_ids" {
  description = "The new dual-stack subnet IDs, ordered like azs. Put Lambda functions (with ipv6_allowed_for_dual_stack) here."
  value       = [for az in local.azs : aws_subnet.this[az].id]
}

output "private_subnet_cidr_blocks" {
  description = "IPv4 CIDRs of the new subnets, ordered like azs."
  value       = [for az in local.azs : aws_subnet.this[az].cidr_block]
}

output "private_subnet_ipv6_cidr_blocks" {
  description = "IPv6 /64 of each new subnet, ordered like azs."
  value       = [for az in local.azs : aws_subnet.this[az].ipv6_cidr_block]
}

output "private_route_table_ids" {
  description = "Route table IDs of the new subnets, one per AZ, ordered like azs: pass them to vpc-endpoints' route_table_ids."
  value       = [for az in local.azs : aws_route_table.this[az].id]
}

output "egress_only_internet_gateway_id" {
  description = "ID of the egress-only internet gateway the new subnets send IPv6 to (created here, or the one given)."
  value       = local.egress_only_internet_gateway_id
}

output "nat_gateway_id_by_az" {
  description = "For each AZ with an IPv4 default route, the NAT gateway it goes to (empty when no NAT is used). Keys known at plan time."
  value       = local.nat_routes
}
