variable "name" {
  description = "Name prefix for every resource (letters, digits and hyphens, 1-32 characters, starting with a letter)."
  type        = string

  validation {
    condition     = can(regex("^[a-zA-Z][a-zA-Z0-9-]{0,31}$", var.name))
    error_message = "name must be 1-32 characters of letters, digits and hyphens, starting with a letter (it prefixes resource names and tags), e.g. \"natless-demo\"."
  }
}

variable "cidr_block" {
  description = "IPv4 CIDR of the VPC, /16 to /23. Subnets are carved from it: 3 tiers x up to 8 AZs, each 2^subnet_newbits smaller (a /23 gives /28 subnets)."
  type        = string
  default     = "10.0.0.0/16"

  validation {
    condition     = can(cidrhost(var.cidr_block, 0)) && can(regex("^\\d+\\.\\d+\\.\\d+\\.\\d+/\\d+$", var.cidr_block))
    error_message = "cidr_block must be an IPv4 CIDR such as \"10.0.0.0/16\"."
  }

  validation {
    condition     = !can(cidrhost(var.cidr_block, 0)) || (tonumber(try(split("/", var.cidr_block)[1], 0)) >= 16 && tonumber(try(split("/", var.cidr_block)[1], 0)) <= 23)
    error_message = "cidr_block must be between /16 and /23 (AWS allows /16-/28 for a VPC; natless carves 24 subnets of at least /28 from it). Use e.g. \"10.0.0.0/16\"."
  }

  validation {
    condition     = !can(cidrhost(var.cidr_block, 0)) || try(cidrsubnet(var.cidr_block, 0, 0) == var.cidr_block, false)
    error_message = "cidr_block has host bits set: write the network address (e.g. \"10.0.0.0/16\", not \"10.0.1.0/16\")."
  }
}

variable "subnet_newbits" {
  description = "Bits added to cidr_block's prefix for each IPv4 subnet (5 turns a /16 into /21 subnets of 2048 addresses). The VPC prefix plus this must stay <= 28."
  type        = number
  default     = 5

  validation {
    condition     = var.subnet_newbits >= 5 && var.subnet_newbits <= 12 && floor(var.subnet_newbits) == var.subnet_newbits
    error_message = "subnet_newbits must be a whole number from 5 to 12 (5 leaves room for 3 tiers x 8 AZs)."
  }
}

variable "az_count" {
  description = "How many availability zones to span (1-6, no more than the region has). Subnets are keyed by AZ name, so changing this never renumbers existing subnets."
  type        = number
  default     = 2

  validation {
    condition     = var.az_count >= 1 && var.az_count <= 6 && floor(var.az_count) == var.az_count
    error_message = "az_count must be a whole number from 1 to 6."
  }
}

variable "nat_mode" {
  description = "IPv4 egress for private subnets: \"none\" (IPv6 via the egress-only gateway only), \"single\" (one NAT gateway shared by every AZ) or \"per_az\" (one NAT gateway per AZ)."
  type        = string
  default     = "none"

  validation {
    condition     = contains(["none", "single", "per_az"], var.nat_mode)
    error_message = "nat_mode must be one of \"none\", \"single\" or \"per_az\"."
  }
}

variable "enable_dns64" {
  description = "Turn on DNS64 on the private subnets and route 64:ff9b::/96 to the NAT gateway (NAT64), so IPv6 clients reach IPv4-only names. Needs nat_mode \"single\" or \"per_az\"."
  type        = bool
  default     = false
}

variable "enable_flow_logs" {
  description = "Send VPC flow logs (all traffic) to a CloudWatch Logs group."
  type        = bool
  default     = true
}

variable "flow_log_retention_days" {
  description = "Retention of the flow log group in days (one of the values CloudWatch Logs accepts)."
  type        = number
  default     = 365

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.flow_log_retention_days)
    error_message = "flow_log_retention_days must be one of 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288 or 3653."
  }
}

variable "log_kms_key_arn" {
  description = "KMS key ARN to encrypt the flow log group with. Null keeps CloudWatch Logs' default encryption at rest."
  type        = string
  default     = null

  validation {
    condition     = var.log_kms_key_arn == null || can(regex("^arn:[a-z-]+:kms:[a-z0-9-]+:[0-9]{12}:key/.+$", var.log_kms_key_arn))
    error_message = "log_kms_key_arn must be a KMS key ARN (arn:PARTITION:kms:REGION:ACCOUNT:key/ID) or null."
  }
}

variable "nat_bytes_alarm_gb_per_day" {
  description = "When set (and NAT gateways exist), one CloudWatch alarm per NAT gateway fires when the bytes it processes in a day exceed this many GB. Null: no alarms."
  type        = number
  default     = null

  validation {
    condition     = var.nat_bytes_alarm_gb_per_day == null || try(var.nat_bytes_alarm_gb_per_day > 0, false)
    error_message = "nat_bytes_alarm_gb_per_day must be a positive number of GB per day, or null for no alarms."
  }
}

variable "alarm_actions" {
  description = "ARNs (e.g. an SNS topic) notified when a NAT traffic alarm fires."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for arn in var.alarm_actions : can(regex("^arn:", arn))])
    error_message = "alarm_actions must be a list of ARNs, e.g. [\"arn:aws:sns:us-east-1:123456789012:ops\"]."
  }
}

variable "tags" {
  description = "Tags added to every resource."
  type        = map(string)
  default     = {}
}
