# Every input is passed on to modules/function (vpc_id and subnet_ids inside its vpc_config) and
# validated there, under the same name and with the same message: one rule in one place. Only
# what this module adds is checked here: the base name and NATLESS_PLACEMENT.

variable "name" {
  description = "Base name: the functions are <name>-vpc and <name>-public (letters, digits, hyphens and underscores, 1-48 characters, so every derived name fits AWS limits)."
  type        = string

  validation {
    condition     = can(regex("^[a-zA-Z][a-zA-Z0-9_-]{0,47}$", var.name))
    error_message = "name must be 1-48 letters, digits, hyphens or underscores, starting with a letter: the longest derived names (\"<name>-public\", \"/aws/lambda/<name>-public\") must stay within Lambda's 64 and IAM's 64 character limits."
  }

  validation {
    condition     = !startswith(var.name, "sg-")
    error_message = "name must not start with \"sg-\": AWS reserves that prefix for security group IDs and refuses it in the name of the function security group (\"<name>-fn-...\")."
  }
}

variable "package_path" {
  description = "Path of the deployment zip (build it with `natless package bench`)."
  type        = string
}

variable "handler" {
  description = "Function entry point, module.function."
  type        = string
  default     = "handler.handler"
}

variable "runtime" {
  description = "Python runtime, python3.12 or newer."
  type        = string
  default     = "python3.12"
}

variable "architecture" {
  description = "Instruction set: \"arm64\" (cheaper per GB-second) or \"x86_64\"."
  type        = string
  default     = "arm64"
}

variable "memory_size" {
  description = "Memory in MB (128-10240); CPU share grows with it."
  type        = number
  default     = 1024
}

variable "timeout" {
  description = "Function timeout in seconds (1-900). 600 sequential calls take about 7 s in AWS."
  type        = number
  default     = 120
}

variable "environment" {
  description = "Environment variables of both functions (NATLESS_PLACEMENT is added: \"vpc\" or \"public\")."
  type        = map(string)
  default     = {}

  validation {
    condition     = !contains(keys(var.environment), "NATLESS_PLACEMENT")
    error_message = "environment must not set NATLESS_PLACEMENT: the module sets it to \"vpc\" or \"public\"."
  }
}

variable "vpc_id" {
  description = "VPC of the VPC function's security group."
  type        = string
}

variable "subnet_ids" {
  description = "Dual-stack subnets of the VPC function, one per AZ (the private tier of dual-stack-vpc). Lambda does not support IPv6-only subnets."
  type        = list(string)
}

variable "vpc_ipv4_cidr_block" {
  description = "IPv4 CIDR of the VPC (dual-stack-vpc's vpc_cidr_block): the VPC function may send HTTPS there, i.e. to interface endpoints. Null: read from vpc_id. Secondary CIDRs go in ipv4_egress_cidr_blocks."
  type        = string
  default     = null
}

variable "ipv4_egress_prefix_list_ids" {
  description = "Managed prefix lists the VPC function may send HTTPS to over IPv4, keyed by a label: the gateway endpoints', e.g. vpc-endpoints' prefix_list_ids ({ s3 = \"pl-...\", dynamodb = \"pl-...\" }). The labels are for_each keys, so they must be known at plan time; the IDs need not be."
  type        = map(string)
  default     = {}
}

variable "ipv4_egress_cidr_blocks" {
  description = "Extra IPv4 destinations of the VPC function's HTTPS, beyond the gateway endpoints' prefix lists and the VPC: for a caller with a NAT gateway, [\"0.0.0.0/0\"]. Default none, so adding a NAT later opens no IPv4 HTTPS by itself. Each CIDR is a for_each key: give literal values."
  type        = list(string)
  default     = []
}

variable "reserved_concurrent_executions" {
  description = "Reserved concurrency of each of the two functions (each reserves this many from the account's pool). Null: unreserved, the Lambda default (the provider's -1). 0 stops the functions from running."
  type        = number
  default     = null
}

variable "ipv6_allowed_for_dual_stack" {
  description = "Let the VPC function send IPv6 (through the egress-only gateway). Needs dual-stack subnets."
  type        = bool
  default     = true
}

variable "policy_json" {
  description = "Extra IAM policy (JSON) both functions get, e.g. bench-targets' workload_policy_json. Null: none."
  type        = string
  default     = null
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
  description = "X-Ray tracing: \"PassThrough\" or \"Active\". X-Ray has no IPv6 endpoint, so Active tracing from a NAT-less VPC needs an xray interface endpoint."
  type        = string
  default     = "PassThrough"
}

variable "tags" {
  description = "Tags added to every resource."
  type        = map(string)
  default     = {}
}
