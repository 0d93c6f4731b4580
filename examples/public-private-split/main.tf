# The public/private split: a scheduled function outside the VPC invokes a function inside the
# VPC, which counts the active sessions in a private PostgreSQL database; the outside function
# publishes the count as a CloudWatch metric. The database and the inside function live in the
# isolated subnets, which have no route to the internet of either family: no NAT gateway, no
# egress-only gateway route, no VPC endpoint.

locals {
  tags = merge(var.tags, { "natless:example" = "public-private-split", "natless:name" = var.name })

  private_package_path = coalesce(var.private_package_path, "${path.module}/../../build/session_counter.zip")
  public_package_path  = coalesce(var.public_package_path, "${path.module}/../../build/metric_publisher.zip")

  # Known at plan time, so the security group rules show their port before apply.
  db_port = 5432
  # verify-full: the private function checks the database's certificate chain and host name.
  db_sslmode = var.db_ca_bundle == null ? "require" : "verify-full"
}

module "vpc" {
  source = "../../modules/dual-stack-vpc"

  name     = var.name
  az_count = var.az_count
  nat_mode = "none"
}

# --- the private database -------------------------------------------------------------------

resource "aws_db_subnet_group" "this" {
  name        = var.name
  description = "${var.name}: the isolated subnets (no route to the internet)"
  subnet_ids  = module.vpc.isolated_subnet_ids
}

resource "aws_security_group" "db" {
  name_prefix = "${var.name}-db-"
  description = "${var.name} database: PostgreSQL from the private function only, no egress"
  vpc_id      = module.vpc.vpc_id
  tags        = { Name = "${var.name}-db" }

  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_vpc_security_group_ingress_rule" "db_from_private_function" {
  security_group_id            = aws_security_group.db.id
  description                  = "PostgreSQL from ${var.name}-private"
  ip_protocol                  = "tcp"
  from_port                    = local.db_port
  to_port                      = local.db_port
  referenced_security_group_id = module.split.private_security_group_id
}

# Log every connection and statements slower than a second; TLS is required (RDS for
# PostgreSQL 15+ requires it by default; stated here so it does not depend on the default).
resource "aws_db_parameter_group" "this" {
  name_prefix = "${var.name}-"
  description = "${var.name}: TLS required, connection and slow-statement logging"
  family      = "postgres${split(".", var.db_engine_version)[0]}"

  parameter {
    name  = "rds.force_ssl"
    value = "1"
  }

  parameter {
    name  = "log_connections"
    value = "1"
  }

  parameter {
    name  = "log_statement"
    value = "ddl"
  }

  parameter {
    name  = "log_min_duration_statement"
    value = "1000"
  }

  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_cloudwatch_log_group" "db" {
  #checkov:skip=CKV_AWS_158:CloudWatch Logs encrypts at rest by default; a demo needs no customer-managed key.
  #checkov:skip=CKV_AWS_338:Demo database logs; 30 days is enough to follow the example.
  name              = "/aws/rds/instance/${var.name}/postgresql"
  retention_in_days = 30
}

resource "aws_db_instance" "this" {
  #checkov:skip=CKV_AWS_157:A single-AZ demo instance; set multi_az = true for production.
  #checkov:skip=CKV_AWS_118:Enhanced monitoring needs a monitoring role and costs extra; not needed to follow the example.
  #checkov:skip=CKV_AWS_353:Performance Insights is not needed for a one-table demo on db.t4g.micro.
  #checkov:skip=CKV_AWS_293:deletion_protection is a variable (default false) so the demo can be destroyed in one step.
  identifier     = var.name
  engine         = "postgres"
  engine_version = var.db_engine_version
  instance_class = var.db_instance_class

  allocated_storage = 20
  storage_type      = "gp3"
  storage_encrypted = true

  port     = local.db_port
  db_name  = var.db_name
  username = var.db_master_username
  # The master password lives in Secrets Manager, managed by RDS: it is never in Terraform state.
  manage_master_user_password = true
  # The functions log in with short-lived IAM tokens instead of passwords.
  iam_database_authentication_enabled = true

  db_subnet_group_name   = aws_db_subnet_group.this.name
  vpc_security_group_ids = [aws_security_group.db.id]
  parameter_group_name   = aws_db_parameter_group.this.name
  publicly_accessible    = false
  multi_az               = false

  enabled_cloudwatch_logs_exports = ["postgresql"]
  auto_minor_version_upgrade      = true
  backup_retention_period         = 1
  copy_tags_to_snapshot           = true
  skip_final_snapshot             = true
  deletion_protection             = var.deletion_protection
  apply_immediately               = true

  depends_on = [aws_cloudwatch_log_group.db]
}

# --- the two functions ------------------------------------------------------------------------

module "split" {
  source = "../../modules/split-functions"

  name                 = var.name
  private_package_path = local.private_package_path
  public_package_path  = local.public_package_path

  vpc_id     = module.vpc.vpc_id
  subnet_ids = module.vpc.isolated_subnet_ids
  egress_destinations = {
    database = { security_group_id = aws_security_group.db.id, port = local.db_port }
  }

  db_host        = aws_db_instance.this.address
  db_port        = local.db_port
  db_name        = var.db_name
  db_user        = var.db_user
  db_resource_id = aws_db_instance.this.resource_id
  # TLS always; the certificate and host name are verified against the RDS CA bundle shipped in
  # the package unless db_ca_bundle = null opts out.
  db_sslmode          = local.db_sslmode
  private_environment = var.db_ca_bundle == null ? {} : { DB_CA_BUNDLE = var.db_ca_bundle }

  metric_namespace    = var.metric_namespace
  schedule_expression = var.schedule_expression
  schedule_enabled    = var.schedule_enabled
}
