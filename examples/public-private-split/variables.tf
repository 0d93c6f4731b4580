variable "region" {
  description = "AWS region to deploy into."
  type        = string
  default     = "us-east-1"

  validation {
    condition     = can(regex("^[a-z]{2}(-[a-z]+)+-[0-9]$", var.region))
    error_message = "region must be an AWS region name such as \"us-east-1\" or \"eu-central-1\"."
  }
}

variable "name" {
  description = "Name prefix of every resource and the database instance identifier (lower-case letters, digits and single hyphens, 3-32 characters)."
  type        = string
  default     = "natless-split"

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,30}[a-z0-9]$", var.name)) && !strcontains(var.name, "--")
    error_message = "name must be 3-32 lower-case letters, digits or hyphens, starting with a letter, not ending with a hyphen and without \"--\" (it becomes the RDS instance identifier)."
  }
}

variable "az_count" {
  description = "Availability zones to span (2-6): an RDS subnet group needs subnets in at least two."
  type        = number
  default     = 2

  validation {
    condition     = var.az_count >= 2 && var.az_count <= 6 && floor(var.az_count) == var.az_count
    error_message = "az_count must be a whole number from 2 to 6: an RDS DB subnet group needs subnets in at least two availability zones."
  }
}

variable "db_engine_version" {
  description = "PostgreSQL version: a major version (\"16\", RDS picks the default minor and upgrades it) or major.minor (\"16.4\"). 16 or newer."
  type        = string
  default     = "16"

  validation {
    condition     = can(regex("^(1[6-9]|[2-9][0-9])(\\.[0-9]+)?$", var.db_engine_version))
    error_message = "db_engine_version must be PostgreSQL 16 or newer, as \"16\" or \"16.4\"."
  }
}

variable "db_instance_class" {
  description = "Instance class of the database."
  type        = string
  default     = "db.t4g.micro"

  validation {
    condition     = can(regex("^db\\.[a-z0-9-]+\\.[a-z0-9]+$", var.db_instance_class))
    error_message = "db_instance_class must be an RDS instance class such as \"db.t4g.micro\"."
  }
}

variable "db_name" {
  description = "Database created on the instance (holds the application's sessions table)."
  type        = string
  default     = "app"

  validation {
    condition     = can(regex("^[a-zA-Z][a-zA-Z0-9_]{0,62}$", var.db_name))
    error_message = "db_name must be 1-63 letters, digits or underscores, starting with a letter (RDS's rule for PostgreSQL database names)."
  }
}

variable "db_master_username" {
  description = "Master user of the instance; its password is generated and kept in Secrets Manager by RDS."
  type        = string
  default     = "natless_admin"

  validation {
    condition     = can(regex("^[a-zA-Z][a-zA-Z0-9_]{0,62}$", var.db_master_username)) && !contains(["rdsadmin", "rds_superuser", "rds_iam"], lower(var.db_master_username))
    error_message = "db_master_username must be 1-63 letters, digits or underscores, starting with a letter, and not an RDS reserved name (rdsadmin, rds_superuser, rds_iam)."
  }
}

variable "db_user" {
  description = "Database user the private function logs in as with IAM authentication (create it with `CREATE USER ...; GRANT rds_iam TO ...`)."
  type        = string
  default     = "natless_reader"
}

variable "db_ca_bundle" {
  description = "PEM file, inside the private package, of the CAs the private function trusts for the database's certificate (DB_CA_BUNDLE, with DB_SSLMODE=verify-full: chain and host name checked). The default is the Amazon RDS CA bundle shipped in lambda_src/session_counter (see its header for the regions it covers). null opts out of verification: TLS only (require), open to an impostor of the database inside the VPC; not recommended."
  type        = string
  default     = "rds-ca-bundle.pem"

  validation {
    condition     = var.db_ca_bundle == null || can(regex("^[A-Za-z0-9._-][A-Za-z0-9._/-]*\\.(pem|crt)$", var.db_ca_bundle))
    error_message = "db_ca_bundle must be a relative path of a .pem or .crt file inside the package, e.g. \"rds-ca-bundle.pem\", or null."
  }
}

variable "deletion_protection" {
  description = "Protect the database from deletion. Off for the demo so `terraform destroy` removes everything."
  type        = bool
  default     = false
}

variable "metric_namespace" {
  description = "CloudWatch namespace of the ActiveSessions metric."
  type        = string
  default     = "Natless/PublicPrivateSplit"
}

variable "schedule_expression" {
  description = "When the public function runs."
  type        = string
  default     = "rate(5 minutes)"
}

variable "schedule_enabled" {
  description = "Whether the schedule is on."
  type        = bool
  default     = true
}

variable "private_package_path" {
  description = "Package of the private function. Null: build/session_counter.zip of this repository (make it with `natless package session_counter`)."
  type        = string
  default     = null
}

variable "public_package_path" {
  description = "Package of the public function. Null: build/metric_publisher.zip of this repository (make it with `natless package metric_publisher`)."
  type        = string
  default     = null
}

variable "tags" {
  description = "Extra tags on every resource (the provider's default_tags)."
  type        = map(string)
  default     = {}
}
