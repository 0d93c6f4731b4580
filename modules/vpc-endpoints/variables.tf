variable "name" {
  description = "Name prefix for the endpoints and their security group (letters, digits and hyphens, 1-32 characters)."
  type        = string
  default     = "natless"

  validation {
    condition     = can(regex("^[a-zA-Z][a-zA-Z0-9-]{0,31}$", var.name))
    error_message = "name must be 1-32 characters of letters, digits and hyphens, starting with a letter."
  }

  validation {
    condition     = !startswith(var.name, "sg-")
    error_message = "name must not start with \"sg-\": AWS reserves that prefix for security group IDs and refuses it in its security group name (\"<name>-endpoints-...\")."
  }
}

variable "vpc_id" {
  description = "ID of the VPC the endpoints belong to."
  type        = string

  validation {
    condition     = can(regex("^vpc-[0-9a-f]+$", var.vpc_id))
    error_message = "vpc_id must look like \"vpc-0123456789abcdef0\"."
  }
}

variable "gateway_services" {
  description = "Services reached through free gateway endpoints (only \"s3\" and \"dynamodb\" exist). They carry IPv4 only, via managed prefix lists."
  type        = list(string)
  default     = ["s3", "dynamodb"]

  validation {
    condition     = alltrue([for s in var.gateway_services : contains(["s3", "dynamodb"], s)])
    error_message = "gateway_services may only contain \"s3\" and \"dynamodb\" (AWS offers gateway endpoints for no other service); use interface_services for the rest."
  }
}

variable "route_table_ids" {
  description = "Route tables that get a route to every gateway endpoint: pass the private and the isolated tables so isolated workloads reach S3 and DynamoDB too."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for id in var.route_table_ids : can(regex("^rtb-[0-9a-f]+$", id))])
    error_message = "route_table_ids must be route table IDs like \"rtb-0123456789abcdef0\"."
  }
}

variable "interface_services" {
  description = "Services reached through interface endpoints (USD 0.01/h per AZ each), e.g. [\"xray\", \"ssm\"] for services with no IPv6 endpoint. Names as in com.amazonaws.REGION.NAME."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for s in var.interface_services : can(regex("^[a-z0-9][a-z0-9.-]*$", s))])
    error_message = "interface_services must be service short names such as \"sqs\", \"xray\" or \"ssm\" (lower case, as in com.amazonaws.REGION.NAME)."
  }

  validation {
    condition     = length(distinct(var.interface_services)) == length(var.interface_services)
    error_message = "interface_services lists a service twice: keep one of each."
  }
}

variable "subnet_ids" {
  description = "Subnets (one per AZ) where interface endpoints place their network interfaces. Required when interface_services is not empty."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for id in var.subnet_ids : can(regex("^subnet-[0-9a-f]+$", id))])
    error_message = "subnet_ids must be subnet IDs like \"subnet-0123456789abcdef0\"."
  }
}

variable "ip_address_type" {
  description = "IP address type of interface endpoints: \"dualstack\" (needs dual-stack subnets), \"ipv4\" or \"ipv6\"."
  type        = string
  default     = "dualstack"

  validation {
    condition     = contains(["ipv4", "dualstack", "ipv6"], var.ip_address_type)
    error_message = "ip_address_type must be \"ipv4\", \"dualstack\" or \"ipv6\"."
  }
}

variable "tags" {
  description = "Tags added to every resource."
  type        = map(string)
  default     = {}
}
