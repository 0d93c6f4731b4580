output "gateway_endpoint_ids" {
  description = "Gateway endpoint IDs keyed by service (\"s3\", \"dynamodb\")."
  value       = { for svc, ep in aws_vpc_endpoint.gateway : svc => ep.id }
}

output "prefix_list_ids" {
  description = "AWS-managed prefix list IDs (IPv4) of the gateway endpoints, keyed by service: use them in security group egress rules."
  value       = { for svc, ep in aws_vpc_endpoint.gateway : svc => ep.prefix_list_id }
}

output "interface_endpoint_ids" {
  description = "Interface endpoint IDs keyed by service."
  value       = { for svc, ep in aws_vpc_endpoint.interface : svc => ep.id }
}

output "interface_endpoint_dns_names" {
  description = "DNS names of each interface endpoint, keyed by service (private DNS also answers the service's public name)."
  value       = { for svc, ep in aws_vpc_endpoint.interface : svc => ep.dns_entry[*].dns_name }
}

output "security_group_id" {
  description = "ID of the security group on the interface endpoints (null when there are none)."
  value       = one(aws_security_group.interface[*].id)
}
