variable "name" {
  description = "Name prefix of the table, queue and bucket (lower-case letters, digits and hyphens, 3-36 characters, starting with a letter; S3 bucket names allow no upper case)."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{2,35}$", var.name))
    error_message = "name must be 3-36 lower-case letters, digits or hyphens, starting with a letter (the bucket name is \"<name>-\" plus 26 generated characters, 63 at most), e.g. \"natless-demo\"."
  }
}

variable "object_expiry_days" {
  description = "Days after which benchmark objects (prefix bench/) expire; noncurrent versions go 1 day after they are replaced. null: no lifecycle rules at all (natless's emulator demo does this to skip the provider's 55 s consistency wait; keep a number in AWS)."
  type        = number
  default     = 7

  validation {
    condition     = var.object_expiry_days == null || try(var.object_expiry_days >= 1 && floor(var.object_expiry_days) == var.object_expiry_days, false)
    error_message = "object_expiry_days must be a whole number of days, at least 1 (or null for no lifecycle rules)."
  }
}

variable "force_destroy" {
  description = "Let terraform destroy delete the bucket even when it still holds benchmark objects (the bucket only ever holds throw-away data)."
  type        = bool
  default     = true
}

variable "kms_key_arn" {
  description = "Customer-managed KMS key for the table, queue and bucket. Null uses AWS-owned/managed keys (still encrypted at rest)."
  type        = string
  default     = null

  validation {
    condition     = var.kms_key_arn == null || can(regex("^arn:[a-z-]+:kms:[a-z0-9-]+:[0-9]{12}:key/.+$", var.kms_key_arn))
    error_message = "kms_key_arn must be a KMS key ARN (arn:PARTITION:kms:REGION:ACCOUNT:key/ID) or null."
  }
}

variable "tags" {
  description = "Tags added to every resource."
  type        = map(string)
  default     = {}
}
