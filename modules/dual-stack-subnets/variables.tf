variable "name" {
  description = "Name prefix of every resource's Name tag (letters, digits and hyphens, 1-32 characters, starting with a letter)."
  type        = string

  validation {
    condition     = can(regex("^[a-zA-Z][a-zA-Z0-9-]{0,31}$", var.name))
    error_message = "name must be 1-32 characters of letters, digits and hyphens, starting with a letter (it prefixes the Name tags), e.g. \"orders\"."
  }
}

variable "vpc_id" {
  description = "ID of the existing VPC the dual-stack subnets go into. Nothing in it is modified: the module only adds resources."
  type        = string

  validation {
    condition     = can(regex("^vpc-[0-9a-f]+$", var.vpc_id))
    error_message = "vpc_id must be a VPC ID like \"vpc-0123456789abcdef0\"."
  }
}

variable "subnets" {
  description = "The new dual-stack subnets: availability zone name => IPv4 CIDR, free space inside one of the VPC's IPv4 blocks (e.g. { \"us-east-1a\" = \"10.0.64.0/22\" }). One subnet and one route table per AZ, keyed by the AZ name."
  type        = map(string)

  validation {
    condition     = length(var.subnets) > 0
    error_message = "subnets needs at least one entry: availability zone name => IPv4 CIDR, e.g. { \"us-east-1a\" = \"10.0.64.0/22\" }."
  }

  validation {
    condition     = alltrue([for az in keys(var.subnets) : can(regex("^[a-z]{2}(-[a-z]+)+-[0-9]+[a-z]$", az))])
    error_message = "subnets keys must be availability zone names such as \"us-east-1a\" (the region plus a letter); AZ IDs like \"use1-az1\" are not accepted."
  }

  validation {
    condition = alltrue([
      for cidr in values(var.subnets) :
      can(regex("^[0-9]+\\.[0-9]+\\.[0-9]+\\.[0-9]+/[0-9]+$", cidr)) && can(cidrhost(cidr, 0))
    ])
    error_message = "subnets values must be IPv4 CIDRs such as \"10.0.64.0/22\"."
  }

  validation {
    condition = alltrue([
      for cidr in values(var.subnets) :
      !can(cidrhost(cidr, 0)) || (tonumber(try(split("/", cidr)[1], 0)) >= 16 && tonumber(try(split("/", cidr)[1], 0)) <= 28)
    ])
    error_message = "subnets values must be /16 to /28, the subnet sizes AWS allows (a Lambda function takes one IPv4 address per subnet and security group; /24 leaves 251)."
  }

  validation {
    condition     = alltrue([for cidr in values(var.subnets) : !can(cidrhost(cidr, 0)) || try(cidrsubnet(cidr, 0, 0) == cidr, false)])
    error_message = "subnets values have host bits set: write each CIDR's network address (e.g. \"10.0.64.0/22\", not \"10.0.65.0/22\")."
  }

  validation {
    # Two CIDRs overlap when the shorter prefix contains the other's network address.
    condition = alltrue(flatten([
      for a, x in var.subnets : [
        for b, y in var.subnets : a == b || !can(cidrhost(x, 0)) || !can(cidrhost(y, 0)) || try(
          cidrsubnet("${cidrhost(x, 0)}/${min(tonumber(split("/", x)[1]), tonumber(split("/", y)[1]))}", 0, 0)
          != cidrsubnet("${cidrhost(y, 0)}/${min(tonumber(split("/", x)[1]), tonumber(split("/", y)[1]))}", 0, 0),
          true
        )
      ]
    ]))
    error_message = "subnets CIDRs overlap: give every AZ a range of its own."
  }
}

variable "assign_ipv6_cidr_block" {
  description = "Associate an Amazon-provided IPv6 /56 with the VPC (aws_vpc_ipv6_cidr_block_association) and carve the subnets' /64s from it. Set false when the VPC already has an IPv6 block: the /64s then come from ipv6_cidr_block, or from the VPC's own block when that is null."
  type        = bool
  default     = true
}

variable "ipv6_cidr_block" {
  description = "With assign_ipv6_cidr_block = false: the VPC's IPv6 block to carve the /64s from (e.g. the ipv6_cidr_block of the VPC's Terraform resource, which may be unknown until apply). Null reads the VPC's block at plan time."
  type        = string
  default     = null

  validation {
    condition = var.ipv6_cidr_block == null ? true : (
      can(cidrhost(var.ipv6_cidr_block, 0)) && strcontains(var.ipv6_cidr_block, ":")
      && contains(["44", "48", "52", "56", "60"], try(split("/", var.ipv6_cidr_block)[1], ""))
    )
    error_message = "ipv6_cidr_block must be an IPv6 CIDR of /44, /48, /52, /56 or /60 (the sizes of a VPC's IPv6 block), such as \"2600:1f18:1234:5600::/56\", or null."
  }

  validation {
    condition = var.ipv6_cidr_block == null || !can(cidrhost(var.ipv6_cidr_block, 0)) || try(
      cidrhost("${split("/", var.ipv6_cidr_block)[0]}/128", 0) == cidrhost(var.ipv6_cidr_block, 0), false
    )
    error_message = "ipv6_cidr_block has host bits set: write the block's network address (e.g. \"2600:1f18:1234:5600::/56\", not \"2600:1f18:1234:5601::/56\")."
  }
}

variable "ipv6_netnum_offset" {
  description = "Which /64s of the VPC's IPv6 block the subnets take: the subnet in AZ <region><letter> gets /64 number offset + the letter's position (a = 0, b = 1, ...). Keyed by the AZ, so adding or removing an AZ never renumbers the others. Raise it when the block's first /64s are already used by other subnets."
  type        = number
  default     = 0

  validation {
    condition     = var.ipv6_netnum_offset >= 0 && var.ipv6_netnum_offset <= 230 && floor(var.ipv6_netnum_offset) == var.ipv6_netnum_offset
    error_message = "ipv6_netnum_offset must be a whole number from 0 to 230 (a /56 holds /64s 0-255, and AZ letters add up to 25)."
  }
}

variable "egress_only_internet_gateway_id" {
  description = "The VPC's existing egress-only internet gateway. Null creates one (it is free). Must be known at plan time: an ID of a gateway created in the same apply makes the count unknown."
  type        = string
  default     = null

  validation {
    condition     = var.egress_only_internet_gateway_id == null || can(regex("^eigw-[0-9a-f]+$", var.egress_only_internet_gateway_id))
    error_message = "egress_only_internet_gateway_id must be an ID like \"eigw-0123456789abcdef0\", or null to create one."
  }
}

variable "nat_gateway_ids" {
  description = "Optional IPv4 default route per AZ: AZ name => ID of an existing NAT gateway (0.0.0.0/0 in that AZ's new route table goes there). AZs left out get no IPv4 default route. Drop entries to retire a NAT."
  type        = map(string)
  default     = {}

  validation {
    condition     = alltrue([for az in keys(var.nat_gateway_ids) : can(regex("^[a-z]{2}(-[a-z]+)+-[0-9]+[a-z]$", az))])
    error_message = "nat_gateway_ids keys must be availability zone names such as \"us-east-1a\", the same keys as subnets."
  }

  validation {
    condition     = alltrue([for id in values(var.nat_gateway_ids) : can(regex("^nat-[0-9a-f]+$", id))])
    error_message = "nat_gateway_ids values must be NAT gateway IDs like \"nat-0123456789abcdef0\"."
  }
}

variable "enable_dns64" {
  description = "Turn on DNS64 on the new subnets and route 64:ff9b::/96 to each AZ's NAT gateway (NAT64), so IPv6 clients reach IPv4-only names. Needs a nat_gateway_ids entry for every AZ of subnets."
  type        = bool
  default     = false
}

variable "tags" {
  description = "Tags added to every resource."
  type        = map(string)
  default     = {}
}
