output "vpc_function_name" {
  description = "Name of the function inside the VPC."
  value       = aws_lambda_function.this["vpc"].function_name
}

output "vpc_function_arn" {
  description = "ARN of the function inside the VPC."
  value       = aws_lambda_function.this["vpc"].arn
}

output "public_function_name" {
  description = "Name of the function outside any VPC."
  value       = aws_lambda_function.this["public"].function_name
}

output "public_function_arn" {
  description = "ARN of the function outside any VPC."
  value       = aws_lambda_function.this["public"].arn
}

output "role_arn" {
  description = "Execution role of the VPC function: its logs, network interfaces and policy_json."
  value       = aws_iam_role.this["vpc"].arn
}

output "public_role_arn" {
  description = "Execution role of the public function: its logs and policy_json, no network-interface permissions."
  value       = aws_iam_role.this["public"].arn
}

output "security_group_id" {
  description = "Security group of the VPC function (no ingress; HTTPS egress over IPv4 and IPv6)."
  value       = aws_security_group.function.id
}

output "log_group_names" {
  description = "Log group of each function, keyed by placement (vpc, public)."
  value       = { for k, g in aws_cloudwatch_log_group.this : k => g.name }
}
