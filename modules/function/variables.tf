variable "name" {
  description = "Name of the function, its execution role and (as /aws/lambda/<name>) its log group: 1-64 letters, digits, hyphens and underscores, starting with a letter."
  type        = string

  validation {
    condition     = can(regex("^[a-zA-Z][a-zA-Z0-9_-]{0,63}$", var.name))
    error_message = "name must be 1-64 letters, digits, hyphens or underscores, starting with a letter: it names the function and its role, and Lambda and IAM allow 64 characters."
  }
}

variable "description" {
  description = "Description of the function (one line, 1-256 printable ASCII characters). Null: none."
  type        = string
  default     = null

  validation {
    condition     = var.description == null ? true : length(var.description) >= 1 && length(var.description) <= 256 && can(regex("^[ -~]+$", var.description))
    error_message = "description must be 1-256 printable ASCII characters on one line (Lambda allows 256), or null for none."
  }
}

variable "package_path" {
  description = "Path of the deployment zip (build it with `natless package <function>`); Terraform redeploys when its hash changes."
  type        = string

  validation {
    condition     = endswith(var.package_path, ".zip") && fileexists(var.package_path)
    error_message = "package_path must name an existing .zip file: build it first with `natless package <function>` (or `make package`)."
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
    error_message = "runtime must be a Python runtime of 3.12 or newer, e.g. \"python3.12\" or \"python3.13\" (natless packages are Python)."
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
  description = "Memory in MB (128-10240); the CPU share grows with it."
  type        = number
  default     = 256

  validation {
    condition     = var.memory_size >= 128 && var.memory_size <= 10240 && floor(var.memory_size) == var.memory_size
    error_message = "memory_size must be a whole number of MB from 128 to 10240."
  }
}

variable "timeout" {
  description = "Timeout in seconds (1-900)."
  type        = number
  default     = 30

  validation {
    condition     = var.timeout >= 1 && var.timeout <= 900 && floor(var.timeout) == var.timeout
    error_message = "timeout must be a whole number of seconds from 1 to 900."
  }
}

variable "environment" {
  description = "Environment variables of the function. Empty: no environment block."
  type        = map(string)
  default     = {}

  validation {
    condition     = alltrue([for k in keys(var.environment) : can(regex("^[a-zA-Z][a-zA-Z0-9_]*$", k)) && !startswith(k, "AWS_")])
    error_message = "environment keys must be letters, digits and underscores starting with a letter; AWS_* names are reserved by Lambda."
  }
}

variable "vpc_config" {
  description = "Null (the default): the function runs outside any VPC. Otherwise inside one: vpc_id (of its security group), subnet_ids (one per AZ; dual-stack ones for IPv6, Lambda does not support IPv6-only subnets) and ipv6_allowed_for_dual_stack (default true: IPv6 through the egress-only gateway)."
  type = object({
    vpc_id                      = string
    subnet_ids                  = list(string)
    ipv6_allowed_for_dual_stack = optional(bool, true)
  })
  default = null

  validation {
    condition     = var.vpc_config == null ? true : can(regex("^vpc-[0-9a-f]+$", var.vpc_config.vpc_id))
    error_message = "vpc_config.vpc_id must look like \"vpc-0123456789abcdef0\"."
  }

  validation {
    condition     = var.vpc_config == null ? true : length(var.vpc_config.subnet_ids) >= 1 && length(var.vpc_config.subnet_ids) <= 16
    error_message = "vpc_config.subnet_ids needs at least one subnet (ideally one per AZ) and at most 16, Lambda's limit; for a function outside any VPC, set vpc_config = null."
  }

  validation {
    condition     = var.vpc_config == null ? true : alltrue([for id in var.vpc_config.subnet_ids : can(regex("^subnet-[0-9a-f]+$", id))])
    error_message = "vpc_config.subnet_ids must be subnet IDs like \"subnet-0123456789abcdef0\"."
  }
}

variable "security_group_name_prefix" {
  description = "In a VPC: the name prefix of the function's security group (AWS appends 26 characters). Null: \"<name>-\"."
  type        = string
  default     = null

  validation {
    condition     = var.security_group_name_prefix == null ? true : can(regex("^[a-zA-Z0-9][a-zA-Z0-9._-]{0,99}$", var.security_group_name_prefix)) && !startswith(var.security_group_name_prefix, "sg-")
    error_message = "security_group_name_prefix must be 1-100 letters, digits, dots, hyphens or underscores, starting with a letter or digit and not with \"sg-\" (AWS reserves it for group IDs), or null for \"<name>-\"."
  }
}

variable "https_egress" {
  description = "In a VPC: whether the security group allows HTTPS (TCP 443) out to anywhere over IPv6 (the egress-only gateway) and over IPv4 to the VPC's own CIDR (interface endpoints), ipv4_egress_prefix_list_ids and ipv4_egress_cidr_blocks. False: only egress_destinations, for a function that needs neither an AWS API nor the internet."
  type        = bool
  default     = true
}

variable "vpc_ipv4_cidr_block" {
  description = "With https_egress: the VPC's IPv4 CIDR (dual-stack-vpc's vpc_cidr_block), where interface endpoints live. Null: read from vpc_config.vpc_id. Secondary CIDRs go in ipv4_egress_cidr_blocks."
  type        = string
  default     = null

  validation {
    condition     = var.vpc_ipv4_cidr_block == null || (can(cidrhost(var.vpc_ipv4_cidr_block, 0)) && can(regex("^[0-9.]+/[0-9]+$", var.vpc_ipv4_cidr_block)))
    error_message = "vpc_ipv4_cidr_block must be an IPv4 CIDR such as \"10.0.0.0/16\" (module.vpc.vpc_cidr_block), or null to read it from the VPC."
  }
}

variable "ipv4_egress_prefix_list_ids" {
  description = "With https_egress: managed prefix lists the function may send HTTPS to over IPv4, keyed by a label: the gateway endpoints', e.g. vpc-endpoints' prefix_list_ids ({ s3 = \"pl-...\", dynamodb = \"pl-...\" }). The labels are for_each keys, so they must be known at plan time; the IDs need not be."
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
  description = "With https_egress: extra IPv4 destinations of HTTPS beyond the gateway endpoints' prefix lists and the VPC: for a caller with a NAT gateway, [\"0.0.0.0/0\"]. Default none, so adding a NAT later opens no IPv4 HTTPS by itself. Each CIDR is a for_each key: give literal values."
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

variable "egress_destinations" {
  description = "In a VPC: security groups the function may connect to, whatever https_egress says: a map from a label (in rule descriptions and the for_each key, so known at plan time) to the group's ID and TCP port, e.g. { database = { security_group_id = aws_security_group.db.id, port = 5432 } }."
  type = map(object({
    security_group_id = string
    port              = number
  }))
  default = {}

  validation {
    condition     = alltrue([for k in keys(var.egress_destinations) : can(regex("^[a-zA-Z0-9][a-zA-Z0-9_-]{0,31}$", k))])
    error_message = "egress_destinations keys are labels of 1-32 letters, digits, hyphens or underscores, e.g. \"database\"."
  }

  validation {
    condition     = alltrue([for d in values(var.egress_destinations) : d.port >= 1 && d.port <= 65535 && floor(d.port) == d.port])
    error_message = "egress_destinations ports must be whole numbers from 1 to 65535, e.g. 5432 for PostgreSQL."
  }

  validation {
    # Unknown IDs (a group created in the same plan) pass; they are checked again at apply.
    condition     = alltrue([for d in values(var.egress_destinations) : d.security_group_id == null ? false : can(regex("^sg-[0-9a-f]+$", d.security_group_id))])
    error_message = "egress_destinations security_group_id must be a security group ID like \"sg-0123456789abcdef0\" (a CIDR is not accepted: the function may only reach known groups this way)."
  }
}

variable "reserved_concurrent_executions" {
  description = "Reserved concurrency. Null: unreserved, the Lambda default (the provider's -1). 0 stops the function from running."
  type        = number
  default     = null

  validation {
    condition     = var.reserved_concurrent_executions == null ? true : (var.reserved_concurrent_executions >= 0 && floor(var.reserved_concurrent_executions) == var.reserved_concurrent_executions)
    error_message = "reserved_concurrent_executions must be null (unreserved: use null, not -1) or a whole number from 0 up, within what the account has left above its 100 unreserved executions."
  }
}

variable "policy_json" {
  description = "The caller's IAM statements (a policy document in JSON, e.g. from data.aws_iam_policy_document), merged into the role's inline policy. Null: none."
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

variable "policy_name" {
  description = "Name of the role's one inline policy (renaming it replaces the policy)."
  type        = string
  default     = "natless-base"

  validation {
    condition     = can(regex("^[a-zA-Z0-9_+=,.@-]+$", var.policy_name)) && length(var.policy_name) >= 1 && length(var.policy_name) <= 128
    error_message = "policy_name must be 1-128 letters, digits or the characters _+=,.@- (IAM's rule for policy names)."
  }
}

variable "log_retention_days" {
  description = "Retention of the function's log group in days (one of the values CloudWatch Logs accepts)."
  type        = number
  default     = 30

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "log_retention_days must be one of 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288 or 3653."
  }
}

variable "kms_key_arn" {
  description = "KMS key for the function's environment variables and log group; the role gets kms:Decrypt on it. Null: AWS-managed encryption at rest."
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
  description = "Tags added to every resource. The module adds \"natless:module\" = \"function\" unless the caller sets that key (lambda-pair and split-functions set their own)."
  type        = map(string)
  default     = {}
}
