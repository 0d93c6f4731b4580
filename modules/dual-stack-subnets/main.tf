# natless egress for an existing VPC: per AZ one new dual-stack subnet with a route table of its
# own, whose IPv6 leaves through a free egress-only internet gateway and whose IPv4 default route
# (optional) goes to a NAT gateway the VPC already has. The module only adds resources: no
# existing subnet, route table or VPC setting is modified or replaced.

data "aws_vpc" "this" {
  id = var.vpc_id
}

data "aws_availability_zones" "available" {
  state = "available"
}

locals {
  tags = merge(var.tags, { "natless:module" = "dual-stack-subnets" })

  azs = sort(keys(var.subnets))

  # The /64 of the subnet in AZ <region><letter> is number offset + the letter's position: keyed
  # by the AZ itself, so adding or removing AZs never renumbers (or replaces) the others.
  letters     = ["a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k", "l", "m", "n", "o", "p", "q", "r", "s", "t", "u", "v", "w", "x", "y", "z"]
  ipv6_netnum = { for az in local.azs : az => var.ipv6_netnum_offset + index(local.letters, substr(az, -1, 1)) }

  # The VPC's IPv6 block the /64s come from: the /56 this module associates, the one the caller
  # names, or the VPC's own (read at plan time when the VPC exists; "" when it has none).
  ipv6_cidr_block = (
    var.assign_ipv6_cidr_block ? aws_vpc_ipv6_cidr_block_association.this[0].ipv6_cidr_block :
    var.ipv6_cidr_block != null ? var.ipv6_cidr_block : data.aws_vpc.this.ipv6_cidr_block
  )
  ipv6_newbits = 64 - tonumber(try(split("/", local.ipv6_cidr_block)[1], 56))

  egress_only_internet_gateway_id = (
    var.egress_only_internet_gateway_id != null ? var.egress_only_internet_gateway_id :
    aws_egress_only_internet_gateway.this[0].id
  )

  # IPv4 default routes: only for AZs that get a subnet (the others are refused by a
  # precondition on the route tables, with a message instead of an invalid index).
  nat_routes = { for az, id in var.nat_gateway_ids : az => id if contains(local.azs, az) }

  vpc_ipv4_blocks = [for a in data.aws_vpc.this.cidr_block_associations : a.cidr_block if a.state == "associated"]
}

# --- the VPC's IPv6 block and the egress-only gateway ---------------------------------------------

resource "aws_vpc_ipv6_cidr_block_association" "this" {
  count = var.assign_ipv6_cidr_block ? 1 : 0

  vpc_id                           = var.vpc_id
  assign_generated_ipv6_cidr_block = true

  lifecycle {
    precondition {
      condition     = var.ipv6_cidr_block == null
      error_message = "ipv6_cidr_block is set, but assign_ipv6_cidr_block = true associates a new Amazon-provided /56: set assign_ipv6_cidr_block = false to carve the subnets from the block you gave, or leave ipv6_cidr_block null."
    }
  }
}

# Free, stateful, IPv6 only: outbound connections from the new subnets, nothing inbound.
resource "aws_egress_only_internet_gateway" "this" {
  count = var.egress_only_internet_gateway_id == null ? 1 : 0

  vpc_id = var.vpc_id
  tags   = merge(local.tags, { Name = var.name })
}

# --- the new subnets -------------------------------------------------------------------------------

resource "aws_subnet" "this" {
  for_each = toset(local.azs)

  vpc_id            = var.vpc_id
  availability_zone = each.key
  cidr_block        = var.subnets[each.key]
  ipv6_cidr_block   = cidrsubnet(local.ipv6_cidr_block, local.ipv6_newbits, local.ipv6_netnum[each.key])

  # Dual-stack, never IPv6-only: Lambda does not support IPv6-only subnets.
  ipv6_native                     = false
  assign_ipv6_address_on_creation = true
  map_public_ip_on_launch         = false
  enable_dns64                    = var.enable_dns64

  tags = merge(local.tags, {
    Name           = "${var.name}-dual-stack-${each.key}"
    "natless:tier" = "private"
  })

  lifecycle {
    precondition {
      condition     = contains(data.aws_availability_zones.available.names, each.key)
      error_message = "subnets: ${each.key} is not an available availability zone of this region; use one of: ${join(", ", sort(data.aws_availability_zones.available.names))}."
    }
    precondition {
      condition = anytrue([
        for block in local.vpc_ipv4_blocks :
        tonumber(split("/", var.subnets[each.key])[1]) >= tonumber(split("/", block)[1])
        && cidrsubnet("${cidrhost(var.subnets[each.key], 0)}/${split("/", block)[1]}", 0, 0) == cidrsubnet(block, 0, 0)
      ])
      error_message = "subnets: ${var.subnets[each.key]} (${each.key}) is not inside any IPv4 block of ${var.vpc_id} (${join(", ", local.vpc_ipv4_blocks)}): pick free space inside one of them, or associate a secondary IPv4 block with the VPC first."
    }
    precondition {
      condition     = local.ipv6_cidr_block != ""
      error_message = "${var.vpc_id} has no IPv6 CIDR block and assign_ipv6_cidr_block is false: set assign_ipv6_cidr_block = true (the module associates an Amazon-provided /56), or give the block in ipv6_cidr_block."
    }
    precondition {
      condition     = local.ipv6_netnum[each.key] < pow(2, local.ipv6_newbits)
      error_message = "ipv6_netnum_offset ${var.ipv6_netnum_offset} puts ${each.key}'s /64 at number ${local.ipv6_netnum[each.key]}, past the end of the VPC's IPv6 block (${local.ipv6_cidr_block} holds ${pow(2, local.ipv6_newbits)}): lower ipv6_netnum_offset."
    }
    precondition {
      condition     = length(distinct(values(local.ipv6_netnum))) == length(local.azs)
      error_message = "Two AZs of subnets end in the same letter (${join(", ", local.azs)}), so they would get the same IPv6 /64: use AZs of this region, one per letter."
    }
    precondition {
      condition     = !var.enable_dns64 || contains(keys(var.nat_gateway_ids), each.key)
      error_message = "enable_dns64 = true needs a NAT gateway for ${each.key} in nat_gateway_ids: DNS64 answers IPv4-only names with 64:ff9b::/96 addresses that only a NAT gateway translates (NAT64). Without a NAT, connections to IPv4-only hosts hang until they time out. Add the AZ to nat_gateway_ids, or keep enable_dns64 = false."
    }
  }
}

# --- one route table per new subnet: IPv6 to the egress-only gateway, IPv4 to a NAT if given -----

resource "aws_route_table" "this" {
  for_each = toset(local.azs)

  vpc_id = var.vpc_id
  tags   = merge(local.tags, { Name = "${var.name}-dual-stack-${each.key}", "natless:tier" = "private" })

  lifecycle {
    precondition {
      condition     = alltrue([for az in keys(var.nat_gateway_ids) : contains(local.azs, az)])
      error_message = "nat_gateway_ids names AZs without a subnet (${join(", ", setsubtract(keys(var.nat_gateway_ids), local.azs))}): its keys must be keys of subnets (${join(", ", local.azs)})."
    }
  }
}

resource "aws_route" "ipv6_egress_only" {
  for_each = toset(local.azs)

  route_table_id              = aws_route_table.this[each.key].id
  destination_ipv6_cidr_block = "::/0"
  egress_only_gateway_id      = local.egress_only_internet_gateway_id
}

resource "aws_route" "ipv4_nat" {
  for_each = local.nat_routes

  route_table_id         = aws_route_table.this[each.key].id
  destination_cidr_block = "0.0.0.0/0"
  nat_gateway_id         = each.value
}

resource "aws_route" "nat64" {
  for_each = var.enable_dns64 ? local.nat_routes : {}

  route_table_id              = aws_route_table.this[each.key].id
  destination_ipv6_cidr_block = "64:ff9b::/96"
  nat_gateway_id              = each.value
}

resource "aws_route_table_association" "this" {
  for_each = toset(local.azs)

  subnet_id      = aws_subnet.this[each.key].id
  route_table_id = aws_route_table.this[each.key].id
}
