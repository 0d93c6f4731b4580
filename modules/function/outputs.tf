output "function_name" {
  description = "Name of the function."
  value       = aws_lambda_function.this.function_name
}

output "function_arn" {
  description = "ARN of the function (unqualified)."
  value       = aws_lambda_function.this.arn
}

output "invoke_arn" {
  description = "ARN to invoke the function from API Gateway."
  value       = aws_lambda_function.this.invoke_arn
}

output "role_name" {
  description = "Name of the execution role (attach more policies to it from outside if needed)."
  value       = aws_iam_role.this.name
}

output "role_arn" {
  description = "ARN of the execution role: its logs, network interfaces (in a VPC), kms:Decrypt (with kms_key_arn) and policy_json."
  value       = aws_iam_role.this.arn
}

output "log_group_name" {
  description = "Name of the function's log group, /aws/lambda/<name>."
  value       = aws_cloudwatch_log_group.this.name
}

output "security_group_id" {
  description = "The function's security group (no ingress; egress as configured), or null outside a VPC. Admit it in the groups of egress_destinations."
  value       = one(aws_security_group.this[*].id)
}
