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
  description = "Services reached through free gateway endpoints (only \"s3\" and \"dynamodb\" exist). They carry IPv4, via managed prefix lists; S3's can carry IPv6 too (gateway_endpoint_settings)."
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
  description = "Services reached through interface endpoints (USD 0.01/h per AZ each), e.g. [\"xray\", \"ssm\"] for services with no IPv6 endpoint (those get IPv4 endpoints unless ip_address_type says otherwise). Names as in com.amazonaws.REGION.NAME."
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
  description = "IP address type of the interface endpoints that interface_endpoint_settings does not set. null (the default): \"dualstack\" where the endpoint service accepts IPv6, else \"ipv4\" (X-Ray, SSM). \"dualstack\" (needs dual-stack subnets) or \"ipv4\" for every such endpoint: a service that does not accept the type is refused at plan. \"ipv6\" is refused: AWS requires IPv6-only subnets for it, and natless subnets are dual-stack."
  type        = string
  default     = null

  validation {
    condition     = contains(["ipv4", "dualstack", "ipv6"], coalesce(var.ip_address_type, "dualstack"))
    error_message = "ip_address_type must be \"ipv4\" or \"dualstack\", or null for each service's widest type."
  }

  validation {
    condition     = var.ip_address_type != "ipv6"
    error_message = "ip_address_type = \"ipv6\" is refused: AWS accepts it only on IPv6-only subnets, and natless subnets (and Lambda's) are dual-stack. Use \"dualstack\", which serves IPv6 clients too."
  }
}

variable "interface_endpoint_settings" {
  description = "Per-endpoint settings of the interface endpoints, keyed by a service of interface_services. Each field left null keeps the module-wide default: ip_address_type (\"ipv4\" or \"dualstack\"; default var.ip_address_type, else the widest type the service accepts), policy (an IAM policy JSON; default AWS's full-access policy), private_dns_enabled (default true), subnet_ids (default var.subnet_ids), security_group_ids (default the module's HTTPS-from-the-VPC group)."
  type = map(object({
    ip_address_type     = optional(string)
    policy              = optional(string)
    private_dns_enabled = optional(bool)
    subnet_ids          = optional(list(string))
    security_group_ids  = optional(list(string))
  }))
  default = {}

  validation {
    condition     = alltrue([for s in values(var.interface_endpoint_settings) : s.ip_address_type == null || contains(["ipv4", "dualstack"], coalesce(s.ip_address_type, "ipv4"))])
    error_message = "interface_endpoint_settings: ip_address_type must be \"ipv4\" or \"dualstack\" (\"ipv6\" needs IPv6-only subnets, which natless does not use); leave it null for the module-wide ip_address_type."
  }

  validation {
    condition     = alltrue([for s in values(var.interface_endpoint_settings) : s.policy == null || can(jsondecode(s.policy))])
    error_message = "interface_endpoint_settings: policy must be an IAM policy document in JSON (jsonencode(...) or data.aws_iam_policy_document.X.json)."
  }

  validation {
    condition     = alltrue([for s in values(var.interface_endpoint_settings) : s.subnet_ids == null || alltrue([for id in coalesce(s.subnet_ids, []) : can(regex("^subnet-[0-9a-f]+$", id))])])
    error_message = "interface_endpoint_settings: subnet_ids must be subnet IDs like \"subnet-0123456789abcdef0\"."
  }

  validation {
    condition     = alltrue([for s in values(var.interface_endpoint_settings) : s.security_group_ids == null || alltrue([for id in coalesce(s.security_group_ids, []) : can(regex("^sg-[0-9a-f]+$", id))])])
    error_message = "interface_endpoint_settings: security_group_ids must be security group IDs like \"sg-0123456789abcdef0\"; leave it null for the module's group."
  }
}

variable "gateway_endpoint_settings" {
  description = "Per-endpoint settings of the gateway endpoints, keyed by a service of gateway_services. ip_address_type: null (AWS's default, IPv4) or \"ipv4\", or \"dualstack\" for s3 only (AWS added IPv6 to S3 gateway endpoints in November 2025; DynamoDB's stays IPv4). policy: an IAM policy JSON for the endpoint (default AWS's full-access policy; see also gateway_policy_resources)."
  type = map(object({
    ip_address_type = optional(string)
    policy          = optional(string)
  }))
  default = {}

  validation {
    condition     = alltrue([for k in keys(var.gateway_endpoint_settings) : contains(["s3", "dynamodb"], k)])
    error_message = "gateway_endpoint_settings keys must be \"s3\" or \"dynamodb\" (the only gateway endpoints); use interface_endpoint_settings for interface endpoints."
  }

  validation {
    condition     = alltrue([for s in values(var.gateway_endpoint_settings) : s.ip_address_type == null || contains(["ipv4", "dualstack"], coalesce(s.ip_address_type, "ipv4"))])
    error_message = "gateway_endpoint_settings: ip_address_type must be \"ipv4\" or \"dualstack\" (gateway endpoints have no IPv6-only type), or null."
  }

  validation {
    condition     = try(var.gateway_endpoint_settings["dynamodb"].ip_address_type, null) != "dualstack"
    error_message = "gateway_endpoint_settings: DynamoDB's gateway endpoint is IPv4 only; ip_address_type = \"dualstack\" exists for s3 alone. Remove it from dynamodb (a client reaches DynamoDB over IPv6 at dynamodb.REGION.api.aws through the egress-only gateway)."
  }

  validation {
    condition     = alltrue([for s in values(var.gateway_endpoint_settings) : s.policy == null || can(jsondecode(s.policy))])
    error_message = "gateway_endpoint_settings: policy must be an IAM policy document in JSON (jsonencode(...) or data.aws_iam_policy_document.X.json)."
  }
}

variable "gateway_policy_resources" {
  description = "Scope the gateway endpoints to these resources: service (\"s3\", \"dynamodb\") -> bucket or table ARNs. The endpoint then gets a policy that allows that service's actions on those buckets (and their objects) or tables (and their indexes and streams) only, so a workload cannot reach other accounts' buckets and tables through the endpoint. A service left out keeps AWS's full-access policy. Cannot be combined with gateway_endpoint_settings[SERVICE].policy."
  type        = map(list(string))
  default     = {}

  validation {
    condition     = alltrue([for k in keys(var.gateway_policy_resources) : contains(["s3", "dynamodb"], k)])
    error_message = "gateway_policy_resources keys must be \"s3\" or \"dynamodb\" (the only gateway endpoints)."
  }

  validation {
    condition     = alltrue([for arns in values(var.gateway_policy_resources) : length(arns) > 0])
    error_message = "gateway_policy_resources: an empty list would let nothing through the endpoint; list at least one ARN, or leave the service out to keep AWS's full-access policy."
  }

  validation {
    condition     = alltrue([for arn in try(var.gateway_policy_resources["s3"], []) : can(regex("^arn:[a-z-]+:s3:::[a-z0-9][a-z0-9.-]*[a-z0-9]$", arn))])
    error_message = "gateway_policy_resources[\"s3\"] must be bucket ARNs like \"arn:aws:s3:::my-bucket\" (no key path: the module adds BUCKET/* itself); pass module.X.bucket_arn."
  }

  validation {
    condition     = alltrue([for arn in try(var.gateway_policy_resources["dynamodb"], []) : can(regex("^arn:[a-z-]+:dynamodb:[a-z0-9-]+:[0-9]{12}:table/[A-Za-z0-9_.-]+$", arn))])
    error_message = "gateway_policy_resources[\"dynamodb\"] must be table ARNs like \"arn:aws:dynamodb:us-east-1:123456789012:table/orders\" (the module adds TABLE/* for indexes and streams); pass module.X.table_arn."
  }
}

variable "tags" {
  description = "Tags added to every resource."
  type        = map(string)
  default     = {}
}
