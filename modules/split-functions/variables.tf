# Inputs with the same name in modules/function (vpc_id and subnet_ids inside its vpc_config)
# are validated there, with the same message: one rule in one place. The per-side ones
# (private_*, public_*) and what only this module uses are checked here.

variable "name" {
  description = "Base name: the functions are <name>-private and <name>-public, the rule <name>-schedule (letters, digits, hyphens and underscores, 1-48 characters, starting with a letter)."
  type        = string

  validation {
    condition     = can(regex("^[a-zA-Z][a-zA-Z0-9_-]{0,47}$", var.name))
    error_message = "name must be 1-48 letters, digits, hyphens or underscores, starting with a letter: the longest derived names (\"<name>-private\", \"/aws/lambda/<name>-private\") must stay within Lambda's and IAM's 64 character limits."
  }

  validation {
    condition     = !startswith(var.name, "sg-")
    error_message = "name must not start with \"sg-\": AWS reserves that prefix for security group IDs and refuses it in the name of the private function security group (\"<name>-private-...\")."
  }
}

variable "private_package_path" {
  description = "Deployment zip of the function inside the VPC (build it with `natless package session_counter`)."
  type        = string

  validation {
    condition     = endswith(var.private_package_path, ".zip") && fileexists(var.private_package_path)
    error_message = "private_package_path must name an existing .zip file: build it first with `natless package session_counter` (or `make package`)."
  }
}

variable "public_package_path" {
  description = "Deployment zip of the function outside any VPC (build it with `natless package metric_publisher`)."
  type        = string

  validation {
    condition     = endswith(var.public_package_path, ".zip") && fileexists(var.public_package_path)
    error_message = "public_package_path must name an existing .zip file: build it first with `natless package metric_publisher` (or `make package`)."
  }
}

variable "vpc_id" {
  description = "VPC of the private function's security group."
  type        = string
}

variable "subnet_ids" {
  description = "Subnets of the private function, one per AZ. Meant for the isolated tier of dual-stack-vpc: the function needs no route to the internet of either family."
  type        = list(string)
}

variable "egress_destinations" {
  description = "The only places the private function may connect to: a map from a label (used in rule descriptions and as the for_each key, so it must be known at plan time) to the destination's security group ID and TCP port, e.g. { database = { security_group_id = aws_security_group.db.id, port = 5432 } }."
  type = map(object({
    security_group_id = string
    port              = number
  }))

  validation {
    condition     = length(var.egress_destinations) >= 1
    error_message = "egress_destinations needs at least one destination (the database): a private function that may connect nowhere cannot do its job."
  }
}

variable "db_host" {
  description = "Hostname of the database (aws_db_instance.address), given to the private function as DB_HOST."
  type        = string

  validation {
    condition     = length(var.db_host) >= 1 && length(var.db_host) <= 253 && can(regex("^[A-Za-z0-9.:-]+$", var.db_host))
    error_message = "db_host must be a hostname or IP address (letters, digits, dots, hyphens, colons), e.g. aws_db_instance.this.address, not a URL or an endpoint with a port."
  }
}

variable "db_port" {
  description = "TCP port of the database (DB_PORT)."
  type        = number
  default     = 5432

  validation {
    condition     = var.db_port >= 1 && var.db_port <= 65535 && floor(var.db_port) == var.db_port
    error_message = "db_port must be a whole number from 1 to 65535 (PostgreSQL: 5432)."
  }
}

variable "db_name" {
  description = "Database the private function connects to (DB_NAME)."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z_][A-Za-z0-9_$]{0,62}$", var.db_name))
    error_message = "db_name must be a PostgreSQL identifier of 1-63 characters (letters, digits, underscores, dollar signs, not starting with a digit), e.g. \"app\"."
  }
}

variable "db_user" {
  description = "Database user the private function logs in as with an IAM token (DB_USER); it needs `GRANT rds_iam` in the database."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z_][A-Za-z0-9_]{0,62}$", var.db_user))
    error_message = "db_user must be 1-63 letters, digits or underscores, not starting with a digit, e.g. \"natless_reader\" (it becomes part of the rds-db:connect resource ARN)."
  }
}

variable "db_resource_id" {
  description = "The database instance's resource ID (aws_db_instance.resource_id, \"db-...\"), part of the rds-db:connect ARN."
  type        = string

  validation {
    condition     = can(regex("^(db|cluster)-[A-Z0-9]+$", var.db_resource_id))
    error_message = "db_resource_id must be the DbiResourceId of an instance (\"db-ABCDEFGHIJKLMNOPQRSTUVWXY\", aws_db_instance.resource_id) or a cluster's resource ID (\"cluster-...\"), not the instance identifier or its ARN."
  }
}

variable "db_sslmode" {
  description = "TLS to the database (DB_SSLMODE): \"verify-full\" (certificate chain and host name verified against DB_CA_BUNDLE, a PEM file in the package named in private_environment; lambda_src/session_counter ships the Amazon RDS CAs as \"rds-ca-bundle.pem\"), \"require\" (encrypted, certificate not verified, like libpq) or \"disable\" (local test servers only)."
  type        = string
  default     = "require"

  validation {
    condition     = contains(["require", "verify-full", "disable"], var.db_sslmode)
    error_message = "db_sslmode must be \"require\", \"verify-full\" or \"disable\" (RDS needs TLS for IAM authentication: use \"disable\" only for a local test server)."
  }
}

variable "private_environment" {
  description = "Extra environment of the private function, e.g. { SESSIONS_QUERY = \"...\", DB_CA_BUNDLE = \"rds-ca-bundle.pem\" }. The DB_HOST/DB_PORT/DB_NAME/DB_USER/DB_SSLMODE keys come from their own variables."
  type        = map(string)
  default     = {}

  validation {
    condition     = alltrue([for k in keys(var.private_environment) : can(regex("^[a-zA-Z][a-zA-Z0-9_]*$", k)) && !startswith(k, "AWS_") && !contains(["DB_HOST", "DB_PORT", "DB_NAME", "DB_USER", "DB_SSLMODE"], k)])
    error_message = "private_environment keys must be letters, digits and underscores starting with a letter; AWS_* names are reserved by Lambda and DB_HOST, DB_PORT, DB_NAME, DB_USER and DB_SSLMODE are set from db_host, db_port, db_name, db_user and db_sslmode."
  }
}

variable "metric_namespace" {
  description = "CloudWatch namespace of the published metric; the public function may write to this namespace only."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z0-9._/#:-][A-Za-z0-9 ._/#:-]{0,254}$", var.metric_namespace)) && !startswith(var.metric_namespace, "AWS/")
    error_message = "metric_namespace must be 1-255 characters of letters, digits, spaces and . - _ / # : (not starting with a space), and must not start with \"AWS/\" (reserved for AWS services), e.g. \"MyApp/Sessions\"."
  }
}

variable "metric_name" {
  description = "Name of the published metric (unit Count)."
  type        = string
  default     = "ActiveSessions"

  validation {
    condition     = length(var.metric_name) >= 1 && length(var.metric_name) <= 255 && can(regex("^[^:]+$", var.metric_name))
    error_message = "metric_name must be 1-255 characters without colons, e.g. \"ActiveSessions\"."
  }
}

variable "schedule_expression" {
  description = "When EventBridge triggers the public function: rate(...) or cron(...)."
  type        = string
  default     = "rate(5 minutes)"

  validation {
    condition     = can(regex("^(rate\\((1 (minute|hour|day)|[1-9][0-9]* (minutes|hours|days))\\)|cron\\(\\S+( \\S+){5}\\))$", var.schedule_expression))
    error_message = "schedule_expression must be \"rate(1 minute)\", \"rate(N minutes|hours|days)\" with N > 1, or a six-field \"cron(...)\", e.g. \"rate(5 minutes)\" or \"cron(0/5 * * * ? *)\"."
  }
}

variable "schedule_enabled" {
  description = "Whether the schedule triggers the public function. False keeps the rule (DISABLED), so turning it back on changes nothing else."
  type        = bool
  default     = true
}

variable "runtime" {
  description = "Python runtime of both functions, python3.12 or newer."
  type        = string
  default     = "python3.12"
}

variable "architecture" {
  description = "Instruction set of both functions: \"arm64\" (cheaper per GB-second) or \"x86_64\". The vendored packages are pure Python, so either works."
  type        = string
  default     = "arm64"
}

variable "private_memory_size" {
  description = "Memory of the private function in MB (128-10240)."
  type        = number
  default     = 256

  validation {
    condition     = var.private_memory_size >= 128 && var.private_memory_size <= 10240 && floor(var.private_memory_size) == var.private_memory_size
    error_message = "private_memory_size must be a whole number of MB from 128 to 10240."
  }
}

variable "public_memory_size" {
  description = "Memory of the public function in MB (128-10240)."
  type        = number
  default     = 256

  validation {
    condition     = var.public_memory_size >= 128 && var.public_memory_size <= 10240 && floor(var.public_memory_size) == var.public_memory_size
    error_message = "public_memory_size must be a whole number of MB from 128 to 10240."
  }
}

variable "private_timeout" {
  description = "Timeout of the private function in seconds (1-840); the public function waits up to this long plus a margin."
  type        = number
  default     = 30

  validation {
    condition     = var.private_timeout >= 1 && var.private_timeout <= 840 && floor(var.private_timeout) == var.private_timeout
    error_message = "private_timeout must be a whole number of seconds from 1 to 840 (the public function, at most 900 s, must outlive it)."
  }
}

variable "public_timeout" {
  description = "Timeout of the public function in seconds; at least private_timeout + 5."
  type        = number
  default     = 60

  validation {
    condition     = var.public_timeout >= 6 && var.public_timeout <= 900 && floor(var.public_timeout) == var.public_timeout
    error_message = "public_timeout must be a whole number of seconds from 6 to 900 (and at least private_timeout + 5)."
  }
}

variable "private_reserved_concurrent_executions" {
  description = "Reserved concurrency of the private function: also the most database connections it opens at once. Null: unreserved, the Lambda default (the provider's -1). 0 stops it, and with it every metric."
  type        = number
  default     = null

  validation {
    condition     = var.private_reserved_concurrent_executions == null ? true : (var.private_reserved_concurrent_executions >= 0 && floor(var.private_reserved_concurrent_executions) == var.private_reserved_concurrent_executions)
    error_message = "private_reserved_concurrent_executions must be null (unreserved: use null, not -1) or a whole number from 0 up, within what the account has left above its 100 unreserved executions."
  }
}

variable "public_reserved_concurrent_executions" {
  description = "Reserved concurrency of the public (scheduled) function; 1 keeps two ticks from overlapping (a throttled tick is dropped, not retried). Null: unreserved, the Lambda default (the provider's -1). 0 stops the schedule's invocations."
  type        = number
  default     = null

  validation {
    condition     = var.public_reserved_concurrent_executions == null ? true : (var.public_reserved_concurrent_executions >= 0 && floor(var.public_reserved_concurrent_executions) == var.public_reserved_concurrent_executions)
    error_message = "public_reserved_concurrent_executions must be null (unreserved: use null, not -1) or a whole number from 0 up, within what the account has left above its 100 unreserved executions."
  }
}

variable "log_retention_days" {
  description = "Retention of the functions' log groups in days (one of the values CloudWatch Logs accepts)."
  type        = number
  default     = 30
}

variable "kms_key_arn" {
  description = "KMS key for the functions' environment variables and log groups. Null: AWS-managed encryption at rest."
  type        = string
  default     = null
}

variable "tracing_mode" {
  description = "X-Ray tracing of both functions: \"PassThrough\" or \"Active\". The private function has no route to the X-Ray API, so Active tracing there needs an xray interface endpoint."
  type        = string
  default     = "PassThrough"
}

variable "tags" {
  description = "Tags added to every resource."
  type        = map(string)
  default     = {}
}
