output "region" {
  description = "Region the stack lives in."
  value       = var.region
}

output "vpc_id" {
  description = "ID of the dual-stack VPC (no NAT gateway)."
  value       = module.vpc.vpc_id
}

output "isolated_subnet_ids" {
  description = "Subnets of the database and the private function: no default route of either family."
  value       = module.vpc.isolated_subnet_ids
}

output "private_function_name" {
  description = "Function inside the VPC that counts the active sessions."
  value       = module.split.private_function_name
}

output "public_function_name" {
  description = "Scheduled function outside any VPC that invokes the private one and publishes the metric."
  value       = module.split.public_function_name
}

output "function_names" {
  description = "Both functions, keyed by side (private, public)."
  value = {
    private = module.split.private_function_name
    public  = module.split.public_function_name
  }
}

output "private_security_group_id" {
  description = "Security group of the private function (egress to the database only)."
  value       = module.split.private_security_group_id
}

output "db_security_group_id" {
  description = "Security group of the database (PostgreSQL from the private function only)."
  value       = aws_security_group.db.id
}

output "db_instance_identifier" {
  description = "Identifier of the RDS instance."
  value       = aws_db_instance.this.identifier
}

output "db_endpoint" {
  description = "Hostname of the database (DB_HOST of the private function)."
  value       = aws_db_instance.this.address
}

output "db_port" {
  description = "Port of the database."
  value       = aws_db_instance.this.port
}

output "db_name" {
  description = "Database holding the sessions table."
  value       = var.db_name
}

output "db_user" {
  description = "IAM-authenticated database user of the private function."
  value       = var.db_user
}

output "db_sslmode" {
  description = "How the private function secures its database connection: \"verify-full\" (certificate and host name checked against db_ca_bundle) or \"require\" (db_ca_bundle = null: encrypted, not verified)."
  value       = local.db_sslmode
}

output "db_ca_bundle" {
  description = "The CA bundle, inside the private package, the private function trusts for the database (null: not verified)."
  value       = var.db_ca_bundle
}

output "db_master_user_secret_arn" {
  description = "Secrets Manager secret with the master password (managed by RDS, never in Terraform state)."
  value       = try(aws_db_instance.this.master_user_secret[0].secret_arn, null)
}

output "rule_name" {
  description = "EventBridge rule that triggers the public function."
  value       = module.split.rule_name
}

output "metric_namespace" {
  description = "CloudWatch namespace of the published metric."
  value       = module.split.metric_namespace
}

output "metric_name" {
  description = "Name of the published metric."
  value       = module.split.metric_name
}
