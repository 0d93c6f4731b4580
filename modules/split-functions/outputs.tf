output "private_function_name" {
  description = "Name of the function inside the VPC (queries the database)."
  value       = module.function["private"].function_name
}

output "private_function_arn" {
  description = "ARN of the function inside the VPC; the only function the public role may invoke."
  value       = module.function["private"].function_arn
}

output "public_function_name" {
  description = "Name of the scheduled function outside any VPC (invokes the private one, publishes the metric)."
  value       = module.function["public"].function_name
}

output "public_function_arn" {
  description = "ARN of the scheduled function outside any VPC."
  value       = module.function["public"].function_arn
}

output "private_role_arn" {
  description = "Execution role of the private function: its logs, its network interfaces and rds-db:connect on one database user."
  value       = module.function["private"].role_arn
}

output "public_role_arn" {
  description = "Execution role of the public function: its logs, lambda:InvokeFunction on the private function and cloudwatch:PutMetricData in one namespace."
  value       = module.function["public"].role_arn
}

output "private_security_group_id" {
  description = "Security group of the private function (no ingress; egress only to egress_destinations). Admit it in the database's group."
  value       = module.function["private"].security_group_id
}

output "rule_name" {
  description = "Name of the EventBridge schedule rule that triggers the public function."
  value       = aws_cloudwatch_event_rule.schedule.name
}

output "rule_arn" {
  description = "ARN of the EventBridge schedule rule (the source_arn of the public function's invoke permission)."
  value       = aws_cloudwatch_event_rule.schedule.arn
}

output "db_user_arn" {
  description = "The rds-db:connect resource the private function may use (arn:PARTITION:rds-db:REGION:ACCOUNT:dbuser:DBI_RESOURCE_ID/DB_USER)."
  value       = local.db_user_arn
}

output "metric_namespace" {
  description = "CloudWatch namespace of the published metric."
  value       = var.metric_namespace
}

output "metric_name" {
  description = "Name of the published metric (unit Count)."
  value       = var.metric_name
}

output "log_group_names" {
  description = "Log group of each function, keyed by side (private, public)."
  value       = { for k, f in module.function : k => f.log_group_name }
}
