variable "name" {
  description = "Name prefix for every resource (letters, digits and hyphens, 1-32 characters, starting with a letter)."
  type        = string

  validation {
    condition     = can(regex("^[a-zA-Z][a-zA-Z0-9-]{0,31}$", var.name))
    error_message = "name must be 1-32 characters of letters, digits and hyphens, starting with a letter (it prefixes resource names and tags), e.g. \"natless-demo\"."
  }
}

variable "cidr_block" {
  description = "IPv4 CIDR of the VPC, /16 to /26. Subnets are carved from it, each 2^subnet_newbits smaller: with subnet_numbering \"by_tier\" 3 tiers x 8 AZ slots (a /23 gives /28 subnets), with \"by_az\" 3 slots per AZ (a /24 gives /27 subnets for 2 AZs)."
  type        = string
  default     = "10.0.0.0/16"

  validation {
    condition     = can(cidrhost(var.cidr_block, 0)) && can(regex("^\\d+\\.\\d+\\.\\d+\\.\\d+/\\d+$", var.cidr_block))
    error_message = "cidr_block must be an IPv4 CIDR such as \"10.0.0.0/16\"."
  }

  validation {
    condition     = !can(cidrhost(var.cidr_block, 0)) || (tonumber(try(split("/", var.cidr_block)[1], 0)) >= 16 && tonumber(try(split("/", var.cidr_block)[1], 0)) <= 26)
    error_message = "cidr_block must be between /16 and /26 (AWS allows /16-/28 for a VPC; natless carves at least 3 subnets of at least /28 from it). Use e.g. \"10.0.0.0/16\", or a /24 with subnet_numbering = \"by_az\"."
  }

  validation {
    condition     = !can(cidrhost(var.cidr_block, 0)) || try(cidrsubnet(var.cidr_block, 0, 0) == var.cidr_block, false)
    error_message = "cidr_block has host bits set: write the network address (e.g. \"10.0.0.0/16\", not \"10.0.1.0/16\")."
  }
}

variable "subnet_newbits" {
  description = "Bits added to cidr_block's prefix for each IPv4 subnet (5 turns a /16 into /21 subnets of 2048 addresses), so cidr_block holds 2^subnet_newbits subnet slots. The VPC prefix plus this must stay <= 28. subnet_numbering \"by_tier\" needs 5 or more (24 slots); \"by_az\" needs 3 slots per AZ (2 for 1 AZ, 3 for 2 AZs, 4 for up to 5 AZs)."
  type        = number
  default     = 5

  validation {
    condition     = var.subnet_newbits >= 2 && var.subnet_newbits <= 12 && floor(var.subnet_newbits) == var.subnet_newbits
    error_message = "subnet_newbits must be a whole number from 2 to 12 (5 or more leaves room for 3 tiers x 8 AZs; fewer needs subnet_numbering = \"by_az\")."
  }
}

variable "subnet_numbering" {
  description = "How computed IPv4 subnets are numbered. \"by_tier\" (the default, unchanged): subnet k = tier x 8 + the AZ's position in the region, 24 slots whatever az_count is. \"by_az\": k = the AZ's position x 3 + tier (public 0, private 1, isolated 2), so only 3 slots per AZ in use: a /24 fits 2 AZs of /27 subnets. Both never renumber when az_count changes; switching between them renumbers (replaces) every computed subnet. IPv6 /64 numbers are the same in both."
  type        = string
  default     = "by_tier"

  validation {
    condition     = contains(["by_tier", "by_az"], var.subnet_numbering)
    error_message = "subnet_numbering must be \"by_tier\" (24 slots, the default) or \"by_az\" (3 slots per AZ, for a small VPC such as a /24)."
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

variable "public_subnet_cidrs" {
  description = "Explicit IPv4 CIDRs of the public subnets, keyed by AZ name (e.g. { \"us-east-1a\" = \"10.0.0.0/24\" }). AZs not listed keep their computed CIDR. Each must be /16 to /28 and, checked at plan time, inside cidr_block or one of secondary_cidr_blocks and overlap no other subnet."
  type        = map(string)
  default     = {}

  validation {
    condition     = alltrue([for cidr in values(var.public_subnet_cidrs) : can(regex("^\\d+\\.\\d+\\.\\d+\\.\\d+/\\d+$", cidr)) && can(cidrhost(cidr, 0))])
    error_message = "public_subnet_cidrs values must be IPv4 CIDRs such as \"10.0.0.0/24\", keyed by AZ name."
  }

  validation {
    condition     = alltrue([for cidr in values(var.public_subnet_cidrs) : !can(cidrhost(cidr, 0)) || try(tonumber(split("/", cidr)[1]) >= 16 && tonumber(split("/", cidr)[1]) <= 28, false)])
    error_message = "public_subnet_cidrs values must be /16 to /28: AWS's smallest subnet is a /28 (16 addresses, 11 usable). Use e.g. \"10.0.0.0/28\" rather than a /29."
  }

  validation {
    condition     = alltrue([for cidr in values(var.public_subnet_cidrs) : !can(cidrhost(cidr, 0)) || try(cidrsubnet(cidr, 0, 0) == cidr, false)])
    error_message = "public_subnet_cidrs has a CIDR with host bits set: write the network address (e.g. \"10.0.1.0/24\", not \"10.0.1.5/24\")."
  }
}

variable "public_subnet_names" {
  description = "Name tags of the public subnets, keyed by AZ name. AZs not listed are named \"<name>-public-<az>\"."
  type        = map(string)
  default     = {}

  validation {
    condition     = alltrue([for n in values(var.public_subnet_names) : length(n) >= 1 && length(n) <= 256])
    error_message = "public_subnet_names values must be 1-256 characters (the limit of an AWS tag value); leave an AZ out to keep its default name."
  }
}

variable "public_subnet_tags" {
  description = "Extra tags for every public subnet (e.g. { \"kubernetes.io/role/elb\" = \"1\" }), merged over tags. Name and natless:tier stay the module's."
  type        = map(string)
  default     = {}
}

variable "public_route_table_tags" {
  description = "Extra tags for the public route table, merged over tags. Name and natless:tier stay the module's."
  type        = map(string)
  default     = {}
}

variable "private_subnet_cidrs" {
  description = "Explicit IPv4 CIDRs of the private subnets, keyed by AZ name (e.g. { \"us-east-1a\" = \"10.0.0.0/24\" }). AZs not listed keep their computed CIDR. Each must be /16 to /28 and, checked at plan time, inside cidr_block or one of secondary_cidr_blocks and overlap no other subnet."
  type        = map(string)
  default     = {}

  validation {
    condition     = alltrue([for cidr in values(var.private_subnet_cidrs) : can(regex("^\\d+\\.\\d+\\.\\d+\\.\\d+/\\d+$", cidr)) && can(cidrhost(cidr, 0))])
    error_message = "private_subnet_cidrs values must be IPv4 CIDRs such as \"10.0.0.0/24\", keyed by AZ name."
  }

  validation {
    condition     = alltrue([for cidr in values(var.private_subnet_cidrs) : !can(cidrhost(cidr, 0)) || try(tonumber(split("/", cidr)[1]) >= 16 && tonumber(split("/", cidr)[1]) <= 28, false)])
    error_message = "private_subnet_cidrs values must be /16 to /28: AWS's smallest subnet is a /28 (16 addresses, 11 usable). Use e.g. \"10.0.0.0/28\" rather than a /29."
  }

  validation {
    condition     = alltrue([for cidr in values(var.private_subnet_cidrs) : !can(cidrhost(cidr, 0)) || try(cidrsubnet(cidr, 0, 0) == cidr, false)])
    error_message = "private_subnet_cidrs has a CIDR with host bits set: write the network address (e.g. \"10.0.1.0/24\", not \"10.0.1.5/24\")."
  }
}

variable "private_subnet_names" {
  description = "Name tags of the private subnets, keyed by AZ name. AZs not listed are named \"<name>-private-<az>\"."
  type        = map(string)
  default     = {}

  validation {
    condition     = alltrue([for n in values(var.private_subnet_names) : length(n) >= 1 && length(n) <= 256])
    error_message = "private_subnet_names values must be 1-256 characters (the limit of an AWS tag value); leave an AZ out to keep its default name."
  }
}

variable "private_subnet_tags" {
  description = "Extra tags for every private subnet (e.g. { \"kubernetes.io/role/internal-elb\" = \"1\" }), merged over tags. Name and natless:tier stay the module's."
  type        = map(string)
  default     = {}
}

variable "private_route_table_tags" {
  description = "Extra tags for the private route tables, merged over tags. Name and natless:tier stay the module's."
  type        = map(string)
  default     = {}
}

variable "isolated_subnet_cidrs" {
  description = "Explicit IPv4 CIDRs of the isolated subnets, keyed by AZ name (e.g. { \"us-east-1a\" = \"10.0.0.0/24\" }). AZs not listed keep their computed CIDR. Each must be /16 to /28 and, checked at plan time, inside cidr_block or one of secondary_cidr_blocks and overlap no other subnet."
  type        = map(string)
  default     = {}

  validation {
    condition     = alltrue([for cidr in values(var.isolated_subnet_cidrs) : can(regex("^\\d+\\.\\d+\\.\\d+\\.\\d+/\\d+$", cidr)) && can(cidrhost(cidr, 0))])
    error_message = "isolated_subnet_cidrs values must be IPv4 CIDRs such as \"10.0.0.0/24\", keyed by AZ name."
  }

  validation {
    condition     = alltrue([for cidr in values(var.isolated_subnet_cidrs) : !can(cidrhost(cidr, 0)) || try(tonumber(split("/", cidr)[1]) >= 16 && tonumber(split("/", cidr)[1]) <= 28, false)])
    error_message = "isolated_subnet_cidrs values must be /16 to /28: AWS's smallest subnet is a /28 (16 addresses, 11 usable). Use e.g. \"10.0.0.0/28\" rather than a /29."
  }

  validation {
    condition     = alltrue([for cidr in values(var.isolated_subnet_cidrs) : !can(cidrhost(cidr, 0)) || try(cidrsubnet(cidr, 0, 0) == cidr, false)])
    error_message = "isolated_subnet_cidrs has a CIDR with host bits set: write the network address (e.g. \"10.0.1.0/24\", not \"10.0.1.5/24\")."
  }
}

variable "isolated_subnet_names" {
  description = "Name tags of the isolated subnets, keyed by AZ name. AZs not listed are named \"<name>-isolated-<az>\"."
  type        = map(string)
  default     = {}

  validation {
    condition     = alltrue([for n in values(var.isolated_subnet_names) : length(n) >= 1 && length(n) <= 256])
    error_message = "isolated_subnet_names values must be 1-256 characters (the limit of an AWS tag value); leave an AZ out to keep its default name."
  }
}

variable "isolated_subnet_tags" {
  description = "Extra tags for every isolated subnet (e.g. { \"kubernetes.io/role/internal-elb\" = \"1\" }), merged over tags. Name and natless:tier stay the module's."
  type        = map(string)
  default     = {}
}

variable "isolated_route_table_tags" {
  description = "Extra tags for the isolated route tables, merged over tags. Name and natless:tier stay the module's."
  type        = map(string)
  default     = {}
}

variable "public_network_acl" {
  description = "A dedicated network ACL for the public subnets, its rules as data: { inbound = [...], outbound = [...] }, each rule { rule_number, rule_action (\"allow\"/\"deny\"), protocol (\"-1\", \"tcp\", \"udp\", \"icmp\" or a number, \"58\" for ICMPv6), from_port/to_port (tcp/udp), exactly one of cidr_block/ipv6_cidr_block, icmp_type/icmp_code }. An omitted direction allows all traffic of both families (rules 100 and 101), so {} is an allow-all ACL of its own. Network ACLs are stateless: allow the return traffic (ephemeral ports 1024-65535) too. Null: the subnets stay on the VPC's default ACL, which allows everything."
  type = object({
    inbound = optional(list(object({
      rule_number     = number
      rule_action     = string
      protocol        = string
      from_port       = optional(number)
      to_port         = optional(number)
      cidr_block      = optional(string)
      ipv6_cidr_block = optional(string)
      icmp_type       = optional(number)
      icmp_code       = optional(number)
      })), [
      { rule_number = 100, rule_action = "allow", protocol = "-1", cidr_block = "0.0.0.0/0" },
      { rule_number = 101, rule_action = "allow", protocol = "-1", ipv6_cidr_block = "::/0" },
    ])
    outbound = optional(list(object({
      rule_number     = number
      rule_action     = string
      protocol        = string
      from_port       = optional(number)
      to_port         = optional(number)
      cidr_block      = optional(string)
      ipv6_cidr_block = optional(string)
      icmp_type       = optional(number)
      icmp_code       = optional(number)
      })), [
      { rule_number = 100, rule_action = "allow", protocol = "-1", cidr_block = "0.0.0.0/0" },
      { rule_number = 101, rule_action = "allow", protocol = "-1", ipv6_cidr_block = "::/0" },
    ])
  })
  default = null

  validation {
    condition     = var.public_network_acl == null ? true : alltrue([for r in concat(var.public_network_acl.inbound, var.public_network_acl.outbound) : contains(["allow", "deny"], r.rule_action)])
    error_message = "public_network_acl: every rule_action must be \"allow\" or \"deny\"."
  }

  validation {
    condition     = var.public_network_acl == null ? true : alltrue([for r in concat(var.public_network_acl.inbound, var.public_network_acl.outbound) : (r.cidr_block == null) != (r.ipv6_cidr_block == null) && (r.cidr_block == null || can(cidrnetmask(r.cidr_block))) && (r.ipv6_cidr_block == null || can(cidrhost(r.ipv6_cidr_block, 0)) && !can(cidrnetmask(r.ipv6_cidr_block)))])
    error_message = "public_network_acl: every rule needs exactly one of cidr_block (IPv4, e.g. \"0.0.0.0/0\") or ipv6_cidr_block (e.g. \"::/0\"); write two rules to match both families."
  }

  validation {
    condition     = var.public_network_acl == null ? true : alltrue([for rules in [var.public_network_acl.inbound, var.public_network_acl.outbound] : length(distinct([for r in rules : r.rule_number])) == length(rules) && alltrue([for r in rules : r.rule_number >= 1 && r.rule_number <= 32766 && floor(r.rule_number) == r.rule_number])])
    error_message = "public_network_acl: rule_number must be a whole number from 1 to 32766, used once per direction (inbound and outbound are numbered separately)."
  }

  validation {
    condition     = var.public_network_acl == null ? true : alltrue([for r in concat(var.public_network_acl.inbound, var.public_network_acl.outbound) : can(regex("^(-1|all|tcp|udp|icmp|[0-9]{1,3})$", r.protocol)) && (!contains(["tcp", "udp", "6", "17"], r.protocol) || (r.from_port != null && r.to_port != null))])
    error_message = "public_network_acl: protocol must be \"-1\" (all), \"tcp\", \"udp\", \"icmp\" or a protocol number (\"58\" for ICMPv6), and tcp/udp rules need from_port and to_port (e.g. 443 and 443, or 1024 and 65535 for return traffic)."
  }
}

variable "private_network_acl" {
  description = "A dedicated network ACL for the private subnets, its rules as data: { inbound = [...], outbound = [...] }, each rule { rule_number, rule_action (\"allow\"/\"deny\"), protocol (\"-1\", \"tcp\", \"udp\", \"icmp\" or a number, \"58\" for ICMPv6), from_port/to_port (tcp/udp), exactly one of cidr_block/ipv6_cidr_block, icmp_type/icmp_code }. An omitted direction allows all traffic of both families (rules 100 and 101), so {} is an allow-all ACL of its own. Network ACLs are stateless: allow the return traffic (ephemeral ports 1024-65535) too. Null: the subnets stay on the VPC's default ACL, which allows everything."
  type = object({
    inbound = optional(list(object({
      rule_number     = number
      rule_action     = string
      protocol        = string
      from_port       = optional(number)
      to_port         = optional(number)
      cidr_block      = optional(string)
      ipv6_cidr_block = optional(string)
      icmp_type       = optional(number)
      icmp_code       = optional(number)
      })), [
      { rule_number = 100, rule_action = "allow", protocol = "-1", cidr_block = "0.0.0.0/0" },
      { rule_number = 101, rule_action = "allow", protocol = "-1", ipv6_cidr_block = "::/0" },
    ])
    outbound = optional(list(object({
      rule_number     = number
      rule_action     = string
      protocol        = string
      from_port       = optional(number)
      to_port         = optional(number)
      cidr_block      = optional(string)
      ipv6_cidr_block = optional(string)
      icmp_type       = optional(number)
      icmp_code       = optional(number)
      })), [
      { rule_number = 100, rule_action = "allow", protocol = "-1", cidr_block = "0.0.0.0/0" },
      { rule_number = 101, rule_action = "allow", protocol = "-1", ipv6_cidr_block = "::/0" },
    ])
  })
  default = null

  validation {
    condition     = var.private_network_acl == null ? true : alltrue([for r in concat(var.private_network_acl.inbound, var.private_network_acl.outbound) : contains(["allow", "deny"], r.rule_action)])
    error_message = "private_network_acl: every rule_action must be \"allow\" or \"deny\"."
  }

  validation {
    condition     = var.private_network_acl == null ? true : alltrue([for r in concat(var.private_network_acl.inbound, var.private_network_acl.outbound) : (r.cidr_block == null) != (r.ipv6_cidr_block == null) && (r.cidr_block == null || can(cidrnetmask(r.cidr_block))) && (r.ipv6_cidr_block == null || can(cidrhost(r.ipv6_cidr_block, 0)) && !can(cidrnetmask(r.ipv6_cidr_block)))])
    error_message = "private_network_acl: every rule needs exactly one of cidr_block (IPv4, e.g. \"0.0.0.0/0\") or ipv6_cidr_block (e.g. \"::/0\"); write two rules to match both families."
  }

  validation {
    condition     = var.private_network_acl == null ? true : alltrue([for rules in [var.private_network_acl.inbound, var.private_network_acl.outbound] : length(distinct([for r in rules : r.rule_number])) == length(rules) && alltrue([for r in rules : r.rule_number >= 1 && r.rule_number <= 32766 && floor(r.rule_number) == r.rule_number])])
    error_message = "private_network_acl: rule_number must be a whole number from 1 to 32766, used once per direction (inbound and outbound are numbered separately)."
  }

  validation {
    condition     = var.private_network_acl == null ? true : alltrue([for r in concat(var.private_network_acl.inbound, var.private_network_acl.outbound) : can(regex("^(-1|all|tcp|udp|icmp|[0-9]{1,3})$", r.protocol)) && (!contains(["tcp", "udp", "6", "17"], r.protocol) || (r.from_port != null && r.to_port != null))])
    error_message = "private_network_acl: protocol must be \"-1\" (all), \"tcp\", \"udp\", \"icmp\" or a protocol number (\"58\" for ICMPv6), and tcp/udp rules need from_port and to_port (e.g. 443 and 443, or 1024 and 65535 for return traffic)."
  }
}

variable "isolated_network_acl" {
  description = "A dedicated network ACL for the isolated subnets, its rules as data: { inbound = [...], outbound = [...] }, each rule { rule_number, rule_action (\"allow\"/\"deny\"), protocol (\"-1\", \"tcp\", \"udp\", \"icmp\" or a number, \"58\" for ICMPv6), from_port/to_port (tcp/udp), exactly one of cidr_block/ipv6_cidr_block, icmp_type/icmp_code }. An omitted direction allows all traffic of both families (rules 100 and 101), so {} is an allow-all ACL of its own. Network ACLs are stateless: allow the return traffic (ephemeral ports 1024-65535) too. Null: the subnets stay on the VPC's default ACL, which allows everything."
  type = object({
    inbound = optional(list(object({
      rule_number     = number
      rule_action     = string
      protocol        = string
      from_port       = optional(number)
      to_port         = optional(number)
      cidr_block      = optional(string)
      ipv6_cidr_block = optional(string)
      icmp_type       = optional(number)
      icmp_code       = optional(number)
      })), [
      { rule_number = 100, rule_action = "allow", protocol = "-1", cidr_block = "0.0.0.0/0" },
      { rule_number = 101, rule_action = "allow", protocol = "-1", ipv6_cidr_block = "::/0" },
    ])
    outbound = optional(list(object({
      rule_number     = number
      rule_action     = string
      protocol        = string
      from_port       = optional(number)
      to_port         = optional(number)
      cidr_block      = optional(string)
      ipv6_cidr_block = optional(string)
      icmp_type       = optional(number)
      icmp_code       = optional(number)
      })), [
      { rule_number = 100, rule_action = "allow", protocol = "-1", cidr_block = "0.0.0.0/0" },
      { rule_number = 101, rule_action = "allow", protocol = "-1", ipv6_cidr_block = "::/0" },
    ])
  })
  default = null

  validation {
    condition     = var.isolated_network_acl == null ? true : alltrue([for r in concat(var.isolated_network_acl.inbound, var.isolated_network_acl.outbound) : contains(["allow", "deny"], r.rule_action)])
    error_message = "isolated_network_acl: every rule_action must be \"allow\" or \"deny\"."
  }

  validation {
    condition     = var.isolated_network_acl == null ? true : alltrue([for r in concat(var.isolated_network_acl.inbound, var.isolated_network_acl.outbound) : (r.cidr_block == null) != (r.ipv6_cidr_block == null) && (r.cidr_block == null || can(cidrnetmask(r.cidr_block))) && (r.ipv6_cidr_block == null || can(cidrhost(r.ipv6_cidr_block, 0)) && !can(cidrnetmask(r.ipv6_cidr_block)))])
    error_message = "isolated_network_acl: every rule needs exactly one of cidr_block (IPv4, e.g. \"0.0.0.0/0\") or ipv6_cidr_block (e.g. \"::/0\"); write two rules to match both families."
  }

  validation {
    condition     = var.isolated_network_acl == null ? true : alltrue([for rules in [var.isolated_network_acl.inbound, var.isolated_network_acl.outbound] : length(distinct([for r in rules : r.rule_number])) == length(rules) && alltrue([for r in rules : r.rule_number >= 1 && r.rule_number <= 32766 && floor(r.rule_number) == r.rule_number])])
    error_message = "isolated_network_acl: rule_number must be a whole number from 1 to 32766, used once per direction (inbound and outbound are numbered separately)."
  }

  validation {
    condition     = var.isolated_network_acl == null ? true : alltrue([for r in concat(var.isolated_network_acl.inbound, var.isolated_network_acl.outbound) : can(regex("^(-1|all|tcp|udp|icmp|[0-9]{1,3})$", r.protocol)) && (!contains(["tcp", "udp", "6", "17"], r.protocol) || (r.from_port != null && r.to_port != null))])
    error_message = "isolated_network_acl: protocol must be \"-1\" (all), \"tcp\", \"udp\", \"icmp\" or a protocol number (\"58\" for ICMPv6), and tcp/udp rules need from_port and to_port (e.g. 443 and 443, or 1024 and 65535 for return traffic)."
  }
}

variable "secondary_cidr_blocks" {
  description = "Additional IPv4 CIDR blocks associated with the VPC (/16 to /28 each, AWS's rules for which ranges may be combined apply). Computed subnets stay in cidr_block; put subnets in these blocks with *_subnet_cidrs."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for cidr in var.secondary_cidr_blocks : can(regex("^\\d+\\.\\d+\\.\\d+\\.\\d+/\\d+$", cidr)) && can(cidrhost(cidr, 0)) && try(cidrsubnet(cidr, 0, 0) == cidr, false) && try(tonumber(split("/", cidr)[1]) >= 16 && tonumber(split("/", cidr)[1]) <= 28, false)])
    error_message = "secondary_cidr_blocks must be IPv4 network addresses from /16 to /28 without host bits, e.g. [\"10.1.0.0/16\"]."
  }

  validation {
    condition     = length(distinct(var.secondary_cidr_blocks)) == length(var.secondary_cidr_blocks)
    error_message = "secondary_cidr_blocks lists a block twice: list each once."
  }
}

variable "ipv6_ipam_pool_id" {
  description = "IPAM pool to allocate the VPC's IPv6 block from, instead of an Amazon-provided /56. Null (default): Amazon-provided /56."
  type        = string
  default     = null

  validation {
    condition     = var.ipv6_ipam_pool_id == null || can(regex("^ipam-pool-[0-9a-f]+$", var.ipv6_ipam_pool_id))
    error_message = "ipv6_ipam_pool_id must be an IPAM pool ID such as \"ipam-pool-0123456789abcdef0\", or null for an Amazon-provided /56."
  }
}

variable "ipv6_netmask_length" {
  description = "Prefix length of the IPv6 block taken from ipv6_ipam_pool_id: 44, 48, 52 or 56 (room for the 24 /64s natless numbers). Null with a pool: 56. Only with ipv6_ipam_pool_id."
  type        = number
  default     = null

  validation {
    condition     = var.ipv6_netmask_length == null || contains([44, 48, 52, 56], coalesce(var.ipv6_netmask_length, 0))
    error_message = "ipv6_netmask_length must be 44, 48, 52 or 56 (a /60 holds only 16 /64s, natless numbers up to 24), or null."
  }
}

variable "flow_log_s3" {
  description = "Also send VPC flow logs (all traffic) to S3: { destination_arn = bucket ARN, optionally with a folder (\"arn:aws:s3:::my-bucket/flow/\"), optional file_format = \"plain-text\" or \"parquet\" and per_hour_partition = true/false; left out, AWS's defaults apply: plain-text, daily partitions }. An object, so the ARN of a bucket created in the same apply works. Independent of enable_flow_logs (CloudWatch Logs): set both for both. The bucket's policy must let delivery.logs.amazonaws.com write (AWS adds it when you own the bucket). Null: no S3 flow log."
  type = object({
    destination_arn    = string
    file_format        = optional(string)
    per_hour_partition = optional(bool)
  })
  default = null

  validation {
    condition     = var.flow_log_s3 == null ? true : can(regex("^arn:[a-z-]+:s3:::[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](/.*)?$", var.flow_log_s3.destination_arn))
    error_message = "flow_log_s3.destination_arn must be an S3 bucket ARN, e.g. \"arn:aws:s3:::my-flow-logs\" or \"arn:aws:s3:::my-flow-logs/vpc/\"."
  }

  validation {
    condition     = var.flow_log_s3 == null ? true : contains(["plain-text", "parquet"], coalesce(var.flow_log_s3.file_format, "plain-text"))
    error_message = "flow_log_s3.file_format must be \"plain-text\" or \"parquet\"."
  }
}
