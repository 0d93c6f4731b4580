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

  validation {
    condition     = endswith(var.package_path, ".zip") && fileexists(var.package_path)
    error_message = "package_path must name an existing .zip file: build it first with `natless package bench` (or `make package`)."
  }
}

variable "handler" {
  description = "Function entry point, module.function."
  type        = string
  default     = "handler.handler"

  validation {
    condition     = can(regex("^[A-Za-z_][A-Za-z0-9_./-]*\\.[A-Za-z_][A-Za-z0-9_]*$", var.handler))
    error_message = "handler must look like \"module.function\", e.g. \"handler.handler\"."
  }
}

variable "runtime" {
  description = "Python runtime, python3.12 or newer."
  type        = string
  default     = "python3.12"

  validation {
    condition     = can(regex("^python3\\.(1[2-9]|[2-9][0-9])$", var.runtime))
    error_message = "runtime must be a Python runtime of 3.12 or newer, e.g. \"python3.12\" or \"python3.13\" (the package is Python)."
  }
}

variable "architecture" {
  description = "Instruction set: \"arm64\" (cheaper per GB-second) or \"x86_64\"."
  type        = string
  default     = "arm64"

  validation {
    condition     = contains(["arm64", "x86_64"], var.architecture)
    error_message = "architecture must be \"arm64\" or \"x86_64\"."
  }
}

variable "memory_size" {
  description = "Memory in MB (128-10240); CPU share grows with it."
  type        = number
  default     = 1024

  validation {
    condition     = var.memory_size >= 128 && var.memory_size <= 10240 && floor(var.memory_size) == var.memory_size
    error_message = "memory_size must be a whole number of MB from 128 to 10240."
  }
}

variable "timeout" {
  description = "Function timeout in seconds (1-900). 600 sequential calls take about 7 s in AWS."
  type        = number
  default     = 120

  validation {
    condition     = var.timeout >= 1 && var.timeout <= 900 && floor(var.timeout) == var.timeout
    error_message = "timeout must be a whole number of seconds from 1 to 900."
  }
}

variable "environment" {
  description = "Environment variables of both functions (NATLESS_PLACEMENT is added: \"vpc\" or \"public\")."
  type        = map(string)
  default     = {}

  validation {
    condition     = alltrue([for k in keys(var.environment) : can(regex("^[a-zA-Z][a-zA-Z0-9_]*$", k)) && !startswith(k, "AWS_") && k != "NATLESS_PLACEMENT"])
    error_message = "environment keys must be letters, digits and underscores starting with a letter; AWS_* names are reserved by Lambda and NATLESS_PLACEMENT is set by the module."
  }
}

variable "vpc_id" {
  description = "VPC of the VPC function's security group."
  type        = string

  validation {
    condition     = can(regex("^vpc-[0-9a-f]+$", var.vpc_id))
    error_message = "vpc_id must look like \"vpc-0123456789abcdef0\"."
  }
}

variable "subnet_ids" {
  description = "Dual-stack subnets of the VPC function, one per AZ (the private tier of dual-stack-vpc). Lambda does not support IPv6-only subnets."
  type        = list(string)

  validation {
    condition     = length(var.subnet_ids) >= 1 && length(var.subnet_ids) <= 16
    error_message = "subnet_ids needs at least one subnet (ideally one per AZ) and at most 16, Lambda's limit."
  }

  validation {
    condition     = alltrue([for id in var.subnet_ids : can(regex("^subnet-[0-9a-f]+$", id))])
    error_message = "subnet_ids must be subnet IDs like \"subnet-0123456789abcdef0\"."
  }
}

variable "vpc_ipv4_cidr_block" {
  description = "IPv4 CIDR of the VPC (dual-stack-vpc's vpc_cidr_block): the VPC function may send HTTPS there, i.e. to interface endpoints. Null: read from vpc_id. Secondary CIDRs go in ipv4_egress_cidr_blocks."
  type        = string
  default     = null

  validation {
    condition     = var.vpc_ipv4_cidr_block == null || (can(cidrhost(var.vpc_ipv4_cidr_block, 0)) && can(regex("^[0-9.]+/[0-9]+$", var.vpc_ipv4_cidr_block)))
    error_message = "vpc_ipv4_cidr_block must be an IPv4 CIDR such as \"10.0.0.0/16\" (module.vpc.vpc_cidr_block), or null to read it from the VPC."
  }
}

variable "ipv4_egress_prefix_list_ids" {
  description = "Managed prefix lists the VPC function may send HTTPS to over IPv4, keyed by a label: the gateway endpoints', e.g. vpc-endpoints' prefix_list_ids ({ s3 = \"pl-...\", dynamodb = \"pl-...\" }). The labels are for_each keys, so they must be known at plan time; the IDs need not be."
  type        = map(string)
  default     = {}

  validation {
    condition     = alltrue([for k in keys(var.ipv4_egress_prefix_list_ids) : can(regex("^[a-zA-Z0-9][a-zA-Z0-9_-]{0,31}$", k))])
    error_message = "ipv4_egress_prefix_list_ids keys are labels of 1-32 letters, digits, hyphens or underscores, e.g. \"s3\" or \"dynamodb\" (pass module.endpoints.prefix_list_ids as it is)."
  }

  validation {
    condition     = alltrue([for id in values(var.ipv4_egress_prefix_list_ids) : id == null ? false : can(regex("^pl-[0-9a-f]+$", id))])
    error_message = "ipv4_egress_prefix_list_ids values must be prefix list IDs like \"pl-63a5400a\" (the prefix_list_id of a gateway endpoint, or module.endpoints.prefix_list_ids), not a CIDR: put CIDRs in ipv4_egress_cidr_blocks."
  }
}

variable "ipv4_egress_cidr_blocks" {
  description = "Extra IPv4 destinations of the VPC function's HTTPS, beyond the gateway endpoints' prefix lists and the VPC: for a caller with a NAT gateway, [\"0.0.0.0/0\"]. Default none, so adding a NAT later opens no IPv4 HTTPS by itself. Each CIDR is a for_each key: give literal values."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for c in var.ipv4_egress_cidr_blocks : can(cidrhost(c, 0)) && can(regex("^[0-9.]+/[0-9]+$", c))])
    error_message = "ipv4_egress_cidr_blocks must be IPv4 CIDRs such as \"0.0.0.0/0\" or \"203.0.113.0/24\"; IPv6 HTTPS to ::/0 is always allowed (egress-only gateway), and prefix lists go in ipv4_egress_prefix_list_ids."
  }

  validation {
    condition     = alltrue([for c in var.ipv4_egress_cidr_blocks : try(cidrhost(c, 0) == split("/", c)[0], true)])
    error_message = "ipv4_egress_cidr_blocks entries must start at their network address (e.g. \"10.1.0.0/16\", not \"10.1.2.3/16\"): AWS stores the network address, and the next plan would differ."
  }

  validation {
    condition     = length(distinct(var.ipv4_egress_cidr_blocks)) == length(var.ipv4_egress_cidr_blocks)
    error_message = "ipv4_egress_cidr_blocks must not list a CIDR twice: remove the duplicate."
  }
}

variable "reserved_concurrent_executions" {
  description = "Reserved concurrency of each of the two functions (each reserves this many from the account's pool). Null: unreserved, the Lambda default (the provider's -1). 0 stops the functions from running."
  type        = number
  default     = null

  validation {
    condition     = var.reserved_concurrent_executions == null ? true : (var.reserved_concurrent_executions >= 0 && floor(var.reserved_concurrent_executions) == var.reserved_concurrent_executions)
    error_message = "reserved_concurrent_executions must be null (unreserved: use null, not -1) or a whole number from 0 up; AWS also keeps 100 of the account's concurrency unreserved, so 2 x this value must fit in the rest."
  }
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

  validation {
    condition     = var.policy_json == null || can(jsondecode(var.policy_json).Statement)
    error_message = "policy_json must be an IAM policy document in JSON with a Statement, or null."
  }

  validation {
    condition     = var.policy_json == null || !can(regex("\"Sid\"\\s*:\\s*\"(WriteOwnLogs|ManageNetworkInterfaces|DecryptEnvironment)\"", var.policy_json))
    error_message = "policy_json must not use the Sids WriteOwnLogs, ManageNetworkInterfaces or DecryptEnvironment: the module's own statements carry them and would replace yours. Rename your statements."
  }
}

variable "log_retention_days" {
  description = "Retention of the functions' log groups in days (one of the values CloudWatch Logs accepts)."
  type        = number
  default     = 30

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "log_retention_days must be one of 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288 or 3653."
  }
}

variable "kms_key_arn" {
  description = "KMS key for the functions' environment variables and log groups. Null: AWS-managed encryption at rest."
  type        = string
  default     = null

  validation {
    condition     = var.kms_key_arn == null || can(regex("^arn:[a-z-]+:kms:[a-z0-9-]+:[0-9]{12}:key/.+$", var.kms_key_arn))
    error_message = "kms_key_arn must be a KMS key ARN (arn:PARTITION:kms:REGION:ACCOUNT:key/ID) or null."
  }
}

variable "tracing_mode" {
  description = "X-Ray tracing: \"PassThrough\" or \"Active\". X-Ray has no IPv6 endpoint, so Active tracing from a NAT-less VPC needs an xray interface endpoint."
  type        = string
  default     = "PassThrough"

  validation {
    condition     = contains(["PassThrough", "Active"], var.tracing_mode)
    error_message = "tracing_mode must be \"PassThrough\" or \"Active\"."
  }
}

variable "tags" {
  description = "Tags added to every resource."
  type        = map(string)
  default     = {}
}
