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
  default     = "natless-nat-gateway"

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{2,31}$", var.name))
    error_message = "name must be 3-32 lower-case letters, digits or hyphens, starting with a letter (it becomes part of an S3 bucket name)."
  }
}

variable "az_count" {
  description = "Availability zones to span (1-6)."
  type        = number
  default     = 2
}

variable "enable_dns64" {
  description = "DNS64 on the private subnets and 64:ff9b::/96 routed to the NAT gateway (NAT64): the functions then reach IPv4-only hosts over IPv6 through the NAT. Off by default, as in AWS: with it on, every IPv4-only name answers an IPv6 address too, which changes which path a dual-stack client takes."
  type        = bool
  default     = false
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
