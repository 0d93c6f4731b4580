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
  description = "Name prefix of every resource (lower-case letters, digits and hyphens, 3-32 characters)."
  type        = string
  default     = "natless-existing-vpc"

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{2,31}$", var.name))
    error_message = "name must be 3-32 lower-case letters, digits or hyphens, starting with a letter (it becomes part of an S3 bucket name)."
  }
}

variable "az_count" {
  description = "Availability zones to span (1-6)."
  type        = number
  default     = 2

  validation {
    condition     = var.az_count >= 1 && var.az_count <= 6 && floor(var.az_count) == var.az_count
    error_message = "az_count must be a whole number from 1 to 6."
  }
}

variable "enable_nat_gateway" {
  description = "Keep the classic VPC's NAT gateways (one per AZ) and the new subnets' IPv4 default routes to them. false is the migration's last step: it deletes the NATs, their Elastic IPs and every 0.0.0.0/0 route to them."
  type        = bool
  default     = true
}

variable "nat_bytes_alarm_gb_per_day" {
  description = "Threshold of each NAT's alarm: GB processed in a day (in plus out). While the alarm fires, something still sends traffic through that NAT."
  type        = number
  default     = 1

  validation {
    condition     = var.nat_bytes_alarm_gb_per_day > 0
    error_message = "nat_bytes_alarm_gb_per_day must be a positive number of GB per day."
  }
}

variable "alarm_actions" {
  description = "ARNs (e.g. an SNS topic) notified when a NAT alarm fires."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for arn in var.alarm_actions : can(regex("^arn:", arn))])
    error_message = "alarm_actions must be a list of ARNs, e.g. [\"arn:aws:sns:us-east-1:123456789012:ops\"]."
  }
}

variable "object_expiry_days" {
  description = "Days before the benchmark bucket's objects expire. null drops the bucket's lifecycle rules: `natless demo` does that on the emulator only, where the provider's fixed 55 s wait for them would be most of the apply; keep a number in AWS."
  type        = number
  default     = 7
}

variable "package_path" {
  description = "Path of the benchmark package. Null: build/bench.zip of this repository (make it with `natless package bench`)."
  type        = string
  default     = null
}

variable "tags" {
  description = "Extra tags on every resource (the provider's default_tags)."
  type        = map(string)
  default     = {}
}
