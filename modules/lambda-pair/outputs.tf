output "vpc_function_name" {
  description = "Name of the function inside the VPC."
  value       = module.function["vpc"].function_name
}

output "vpc_function_arn" {
  description = "ARN of the function inside the VPC."
  value       = module.function["vpc"].function_arn
}

output "public_function_name" {
  description = "Name of the function outside any VPC."
  value       = module.function["public"].function_name
}

output "public_function_arn" {
  description = "ARN of the function outside any VPC."
  value       = module.function["public"].function_arn
}

output "role_arn" {
  description = "Execution role of the VPC function: its logs, network interfaces and policy_json."
  value       = module.function["vpc"].role_arn
}

output "public_role_arn" {
  description = "Execution role of the public function: its logs and policy_json, no network-interface permissions."
  value       = module.function["public"].role_arn
}

output "security_group_id" {
  description = "Security group of the VPC function (no ingress; HTTPS egress over IPv4 and IPv6)."
  value       = module.function["vpc"].security_group_id
}

output "log_group_names" {
  description = "Log group of each function, keyed by placement (vpc, public)."
  value       = { for k, f in module.function : k => f.log_group_name }
}
