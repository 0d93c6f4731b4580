# A dual-stack VPC for Lambda without NAT: per AZ a public, a private and an isolated subnet,
# each with an IPv4 range and its own IPv6 /64. Private subnets send IPv6 through a free
# egress-only internet gateway; IPv4 leaves only through a NAT gateway when nat_mode asks for one.

data "aws_availability_zones" "available" {
  state = "available"

  filter {
    name   = "opt-in-status"
    values = ["opt-in-not-required"]
  }
}

data "aws_caller_identity" "current" {}

locals {
  tags = merge(var.tags, { "natless:module" = "dual-stack-vpc" })

  # AZs sorted by name; an AZ's position in the region list fixes its subnet numbers, so adding
  # or removing AZs never renumbers the others.
  region_azs = sort(data.aws_availability_zones.available.names)
  azs        = slice(local.region_azs, 0, min(var.az_count, length(local.region_azs)))
  az_index   = { for i, az in local.region_azs : az => i }

  # Computed subnets: IPv4 block k of cidr_block (split by subnet_newbits), where
  # by_tier (default): k = tier * 8 + AZ index, room for 8 AZs per tier whatever az_count is;
  # by_az:             k = AZ index * 3 + tier, so a small VPC (a /24) holds a few AZs.
  # IPv6 /64 number tier * 8 + AZ index in both. An explicit *_subnet_cidrs entry replaces the
  # computed IPv4 block of that one subnet.
  tiers = { public = 0, private = 1, isolated = 2 }
  explicit_cidrs = {
    public   = var.public_subnet_cidrs
    private  = var.private_subnet_cidrs
    isolated = var.isolated_subnet_cidrs
  }
  subnet_names = {
    public   = var.public_subnet_names
    private  = var.private_subnet_names
    isolated = var.isolated_subnet_names
  }
  subnet_tags = {
    public   = var.public_subnet_tags
    private  = var.private_subnet_tags
    isolated = var.isolated_subnet_tags
  }
  route_table_tags = {
    public   = var.public_route_table_tags
    private  = var.private_route_table_tags
    isolated = var.isolated_route_table_tags
  }
  subnet_numbers = merge([
    for tier, t in local.tiers : {
      for az in local.azs : "${tier}/${az}" => {
        tier        = tier
        az          = az
        netnum      = var.subnet_numbering == "by_az" ? local.az_index[az] * 3 + t : t * 8 + local.az_index[az]
        ipv6_netnum = t * 8 + local.az_index[az]
        explicit    = lookup(local.explicit_cidrs[tier], az, null)
      }
    }
  ]...)
  subnets = {
    for key, s in local.subnet_numbers : key => merge(s, {
      # null when the numbering does not fit: a precondition on aws_vpc.this says why
      cidr = s.explicit != null ? s.explicit : try(cidrsubnet(var.cidr_block, var.subnet_newbits, s.netnum), null)
    })
  }
  computed_subnets = { for key, s in local.subnets : key => s if s.explicit == null }
  subnet_slots     = pow(2, var.subnet_newbits)
  slots_needed     = length(local.computed_subnets) == 0 ? 0 : max([for s in values(local.computed_subnets) : s.netnum]...) + 1

  # Plan-time CIDR checks. contains(a, b): b's network address at a's prefix is a's network.
  vpc_ipv4_blocks = concat([var.cidr_block], var.secondary_cidr_blocks)
  outside_the_vpc = [
    for key, s in local.subnets : "${key} = ${s.explicit}"
    if s.explicit != null && !anytrue([
      for block in local.vpc_ipv4_blocks : try(
        tonumber(split("/", block)[1]) <= tonumber(split("/", s.explicit)[1]) &&
        cidrsubnet("${cidrhost(s.explicit, 0)}/${split("/", block)[1]}", 0, 0) == block,
        false
      )
    ])
  ]
  planned_cidrs = [for key, s in local.subnets : { key = key, cidr = s.cidr } if s.cidr != null]
  subnet_overlaps = flatten([
    for i, a in local.planned_cidrs : [
      for b in slice(local.planned_cidrs, i + 1, length(local.planned_cidrs)) : "${a.key} (${a.cidr}) and ${b.key} (${b.cidr})"
      if try(
        cidrsubnet("${cidrhost(b.cidr, 0)}/${min(tonumber(split("/", a.cidr)[1]), tonumber(split("/", b.cidr)[1]))}", 0, 0) ==
        cidrsubnet("${cidrhost(a.cidr, 0)}/${min(tonumber(split("/", a.cidr)[1]), tonumber(split("/", b.cidr)[1]))}", 0, 0),
        false
      )
    ]
  ])
  block_overlaps = flatten([
    for i, a in local.vpc_ipv4_blocks : [
      for b in slice(local.vpc_ipv4_blocks, i + 1, length(local.vpc_ipv4_blocks)) : "${a} and ${b}"
      if try(
        cidrsubnet("${cidrhost(b, 0)}/${min(tonumber(split("/", a)[1]), tonumber(split("/", b)[1]))}", 0, 0) ==
        cidrsubnet("${cidrhost(a, 0)}/${min(tonumber(split("/", a)[1]), tonumber(split("/", b)[1]))}", 0, 0),
        false
      )
    ]
  ])
  # *_subnet_cidrs / *_subnet_names keys that are not AZs of this VPC would be ignored silently.
  unknown_az_keys = flatten([
    for input, byaz in {
      public_subnet_cidrs   = var.public_subnet_cidrs
      private_subnet_cidrs  = var.private_subnet_cidrs
      isolated_subnet_cidrs = var.isolated_subnet_cidrs
      public_subnet_names   = var.public_subnet_names
      private_subnet_names  = var.private_subnet_names
      isolated_subnet_names = var.isolated_subnet_names
    } : [for az in keys(byaz) : "${input}[\"${az}\"]" if !contains(local.azs, az)]
  ])

  network_acls = {
    for tier, acl in {
      public   = var.public_network_acl
      private  = var.private_network_acl
      isolated = var.isolated_network_acl
    } : tier => acl if acl != null
  }
  network_acl_rules = merge(flatten([
    for tier, acl in local.network_acls : [
      for direction, rules in { inbound = acl.inbound, outbound = acl.outbound } : {
        for r in rules : "${tier}/${direction}/${r.rule_number}" => merge(r, { tier = tier, egress = direction == "outbound" })
      }
    ]
  ])...)

  # IPv6: an Amazon-provided /56, or a block of ipv6_netmask_length from an IPAM pool.
  ipv6_prefix = var.ipv6_ipam_pool_id == null ? 56 : coalesce(var.ipv6_netmask_length, 56)

  nat_azs = {
    none   = []
    single = slice(local.azs, 0, 1)
    per_az = local.azs
  }[var.nat_mode]

  # Which NAT gateway (by its AZ) serves each private route table. Known at plan time.
  nat_az_for = var.nat_mode == "none" ? {} : {
    for az in local.azs : az => var.nat_mode == "single" ? local.azs[0] : az
  }

  vpc_prefix = tonumber(split("/", var.cidr_block)[1])
}

resource "aws_vpc" "this" {
  cidr_block                       = var.cidr_block
  assign_generated_ipv6_cidr_block = var.ipv6_ipam_pool_id == null ? true : null
  ipv6_ipam_pool_id                = var.ipv6_ipam_pool_id
  ipv6_netmask_length              = var.ipv6_ipam_pool_id == null ? null : local.ipv6_prefix
  enable_dns_support               = true
  enable_dns_hostnames             = true

  tags = merge(local.tags, { Name = var.name })

  lifecycle {
    precondition {
      condition     = var.az_count <= length(local.region_azs)
      error_message = "az_count is ${var.az_count} but this region has only ${length(local.region_azs)} available availability zones: lower az_count."
    }
    precondition {
      condition     = !(var.enable_dns64 && var.nat_mode == "none")
      error_message = "enable_dns64 = true needs nat_mode = \"single\" or \"per_az\": DNS64 answers IPv4-only names with 64:ff9b::/96 addresses that only a NAT gateway translates (NAT64). Without a NAT, connections to IPv4-only hosts hang until they time out. Set nat_mode, or keep enable_dns64 = false."
    }
    precondition {
      condition     = length(local.computed_subnets) == 0 || local.vpc_prefix + var.subnet_newbits <= 28
      error_message = "cidr_block /${local.vpc_prefix} plus subnet_newbits ${var.subnet_newbits} gives subnets smaller than /28, the smallest AWS allows: use a larger VPC or fewer subnet_newbits (with a /24, subnet_numbering = \"by_az\" and subnet_newbits 3 or 4)."
    }
    precondition {
      condition     = alltrue([for az in local.azs : local.az_index[az] < 8])
      error_message = "natless numbers subnets for up to 8 AZs per tier; this region lists more. Open an issue."
    }
    precondition {
      condition     = local.slots_needed <= local.subnet_slots
      error_message = "cidr_block split by subnet_newbits ${var.subnet_newbits} holds ${local.subnet_slots} subnets, but subnet_numbering \"${var.subnet_numbering}\" numbers these up to ${local.slots_needed - 1} (needs ${local.slots_needed}): raise subnet_newbits (the VPC prefix plus it must stay <= 28), use subnet_numbering = \"by_az\" (3 per AZ), a larger cidr_block, fewer AZs, or explicit *_subnet_cidrs."
    }
    precondition {
      condition     = length(local.unknown_az_keys) == 0
      error_message = "${join(", ", local.unknown_az_keys)}: not an AZ of this VPC, whose AZs are ${join(", ", local.azs)}. Key *_subnet_cidrs and *_subnet_names by these names, or raise az_count."
    }
    precondition {
      condition     = length(local.outside_the_vpc) == 0
      error_message = "Subnet CIDRs outside the VPC: ${join(", ", local.outside_the_vpc)}. Each must lie inside cidr_block (${var.cidr_block}) or one of secondary_cidr_blocks: change the CIDR or add its range to secondary_cidr_blocks."
    }
    precondition {
      condition     = length(local.subnet_overlaps) == 0
      error_message = "Subnet CIDRs overlap: ${join("; ", local.subnet_overlaps)}. Give the explicit *_subnet_cidrs ranges that no other subnet (computed ones included) uses."
    }
    precondition {
      condition     = length(local.block_overlaps) == 0
      error_message = "VPC CIDR blocks overlap: ${join("; ", local.block_overlaps)}. secondary_cidr_blocks must not overlap cidr_block or each other."
    }
    precondition {
      condition     = var.ipv6_netmask_length == null || var.ipv6_ipam_pool_id != null
      error_message = "ipv6_netmask_length is only for a block from an IPAM pool: set ipv6_ipam_pool_id too, or leave ipv6_netmask_length null (an Amazon-provided /56)."
    }
  }
}

# The default security group holds no rules: nothing may use it by accident.
resource "aws_default_security_group" "this" {
  vpc_id  = aws_vpc.this.id
  ingress = []
  egress  = []
  tags    = merge(local.tags, { Name = "${var.name}-default-deny" })
}

resource "aws_internet_gateway" "this" {
  vpc_id = aws_vpc.this.id
  tags   = merge(local.tags, { Name = var.name })
}

# Free, stateful, IPv6 only: outbound connections from private subnets, nothing inbound.
resource "aws_egress_only_internet_gateway" "this" {
  vpc_id = aws_vpc.this.id
  tags   = merge(local.tags, { Name = var.name })
}

# Secondary IPv4 blocks, for subnets given explicit CIDRs inside them.
resource "aws_vpc_ipv4_cidr_block_association" "this" {
  for_each = toset(var.secondary_cidr_blocks)

  vpc_id     = aws_vpc.this.id
  cidr_block = each.key
}

resource "aws_subnet" "this" {
  for_each = local.subnets

  vpc_id            = aws_vpc.this.id
  availability_zone = each.value.az
  cidr_block        = each.value.cidr
  ipv6_cidr_block   = cidrsubnet(aws_vpc.this.ipv6_cidr_block, 64 - local.ipv6_prefix, each.value.ipv6_netnum)

  assign_ipv6_address_on_creation = true
  map_public_ip_on_launch         = false
  enable_dns64                    = var.enable_dns64 && each.value.tier == "private"

  tags = merge(local.tags, local.subnet_tags[each.value.tier], {
    Name           = lookup(local.subnet_names[each.value.tier], each.value.az, "${var.name}-${each.value.tier}-${each.value.az}")
    "natless:tier" = each.value.tier
  })

  # a subnet in a secondary block waits for the block
  depends_on = [aws_vpc_ipv4_cidr_block_association.this]
}

# --- public tier: both families to the internet gateway ---------------------------------------

resource "aws_route_table" "public" {
  vpc_id = aws_vpc.this.id
  tags   = merge(local.tags, local.route_table_tags.public, { Name = "${var.name}-public", "natless:tier" = "public" })
}

resource "aws_route" "public_ipv4" {
  route_table_id         = aws_route_table.public.id
  destination_cidr_block = "0.0.0.0/0"
  gateway_id             = aws_internet_gateway.this.id
}

resource "aws_route" "public_ipv6" {
  route_table_id              = aws_route_table.public.id
  destination_ipv6_cidr_block = "::/0"
  gateway_id                  = aws_internet_gateway.this.id
}

resource "aws_route_table_association" "public" {
  for_each = toset(local.azs)

  subnet_id      = aws_subnet.this["public/${each.key}"].id
  route_table_id = aws_route_table.public.id
}

# --- NAT gateways, only when nat_mode asks for them --------------------------------------------

resource "aws_eip" "nat" {
  for_each = toset(local.nat_azs)

  domain = "vpc"
  tags   = merge(local.tags, { Name = "${var.name}-nat-${each.key}" })
}

resource "aws_nat_gateway" "this" {
  for_each = toset(local.nat_azs)

  allocation_id = aws_eip.nat[each.key].id
  subnet_id     = aws_subnet.this["public/${each.key}"].id
  tags          = merge(local.tags, { Name = "${var.name}-${each.key}" })

  depends_on = [aws_internet_gateway.this]
}

# --- private tier: IPv6 via the egress-only gateway, IPv4 (and NAT64) via NAT if any -----------

resource "aws_route_table" "private" {
  for_each = toset(local.azs)

  vpc_id = aws_vpc.this.id
  tags   = merge(local.tags, local.route_table_tags.private, { Name = "${var.name}-private-${each.key}", "natless:tier" = "private" })
}

resource "aws_route" "private_ipv6_egress_only" {
  for_each = toset(local.azs)

  route_table_id              = aws_route_table.private[each.key].id
  destination_ipv6_cidr_block = "::/0"
  egress_only_gateway_id      = aws_egress_only_internet_gateway.this.id
}

resource "aws_route" "private_ipv4_nat" {
  for_each = local.nat_az_for

  route_table_id         = aws_route_table.private[each.key].id
  destination_cidr_block = "0.0.0.0/0"
  nat_gateway_id         = aws_nat_gateway.this[each.value].id
}

resource "aws_route" "private_nat64" {
  for_each = var.enable_dns64 ? local.nat_az_for : {}

  route_table_id              = aws_route_table.private[each.key].id
  destination_ipv6_cidr_block = "64:ff9b::/96"
  nat_gateway_id              = aws_nat_gateway.this[each.value].id
}

resource "aws_route_table_association" "private" {
  for_each = toset(local.azs)

  subnet_id      = aws_subnet.this["private/${each.key}"].id
  route_table_id = aws_route_table.private[each.key].id
}

# --- isolated tier: no default route of either family (gateway endpoints may be added) ---------

resource "aws_route_table" "isolated" {
  for_each = toset(local.azs)

  vpc_id = aws_vpc.this.id
  tags   = merge(local.tags, local.route_table_tags.isolated, { Name = "${var.name}-isolated-${each.key}", "natless:tier" = "isolated" })
}

resource "aws_route_table_association" "isolated" {
  for_each = toset(local.azs)

  subnet_id      = aws_subnet.this["isolated/${each.key}"].id
  route_table_id = aws_route_table.isolated[each.key].id
}

# --- dedicated network ACLs, only for the tiers that ask for one ------------------------------

resource "aws_network_acl" "this" {
  for_each = local.network_acls

  #checkov:skip=CKV2_AWS_1:Each ACL is attached to every subnet of its tier by aws_network_acl_association.this (for_each over those subnets), which checkov's graph does not follow.
  vpc_id = aws_vpc.this.id
  tags   = merge(local.tags, { Name = "${var.name}-${each.key}", "natless:tier" = each.key })
}

# One association per subnet, keyed like the subnet (destroying one returns the subnet to the
# VPC's default ACL).
resource "aws_network_acl_association" "this" {
  for_each = { for key, s in local.subnets : key => s if contains(keys(local.network_acls), s.tier) }

  network_acl_id = aws_network_acl.this[each.value.tier].id
  subnet_id      = aws_subnet.this[each.key].id
}

resource "aws_network_acl_rule" "this" {
  for_each = local.network_acl_rules

  network_acl_id  = aws_network_acl.this[each.value.tier].id
  egress          = each.value.egress
  rule_number     = each.value.rule_number
  rule_action     = each.value.rule_action
  protocol        = each.value.protocol
  from_port       = each.value.from_port
  to_port         = each.value.to_port
  cidr_block      = each.value.cidr_block
  ipv6_cidr_block = each.value.ipv6_cidr_block
  icmp_type       = each.value.icmp_type
  icmp_code       = each.value.icmp_code
}

# --- flow logs ------------------------------------------------------------------------------------

resource "aws_cloudwatch_log_group" "flow" {
  count = var.enable_flow_logs ? 1 : 0

  #checkov:skip=CKV_AWS_158:CloudWatch Logs encrypts log data at rest by default; pass log_kms_key_arn for a customer-managed key (USD 1/month per key).
  name              = "/natless/${var.name}/vpc-flow-logs"
  retention_in_days = var.flow_log_retention_days
  kms_key_id        = var.log_kms_key_arn
  tags              = local.tags
}

data "aws_iam_policy_document" "flow_assume" {
  statement {
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["vpc-flow-logs.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [data.aws_caller_identity.current.account_id]
    }
  }
}

data "aws_iam_policy_document" "flow_write" {
  count = var.enable_flow_logs ? 1 : 0

  statement {
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"]
    resources = [aws_cloudwatch_log_group.flow[0].arn, "${aws_cloudwatch_log_group.flow[0].arn}:*"]
  }
}

resource "aws_iam_role" "flow" {
  count = var.enable_flow_logs ? 1 : 0

  name_prefix        = "${substr(var.name, 0, 24)}-flow-"
  assume_role_policy = data.aws_iam_policy_document.flow_assume.json
  tags               = local.tags
}

resource "aws_iam_role_policy" "flow" {
  count = var.enable_flow_logs ? 1 : 0

  name   = "write-flow-logs"
  role   = aws_iam_role.flow[0].id
  policy = data.aws_iam_policy_document.flow_write[0].json
}

resource "aws_flow_log" "this" {
  count = var.enable_flow_logs ? 1 : 0

  vpc_id                   = aws_vpc.this.id
  traffic_type             = "ALL"
  log_destination_type     = "cloud-watch-logs"
  log_destination          = aws_cloudwatch_log_group.flow[0].arn
  iam_role_arn             = aws_iam_role.flow[0].arn
  max_aggregation_interval = 60
  tags                     = merge(local.tags, { Name = var.name })
}

# Flow logs to S3 as well, when asked (no role: S3 delivery uses the bucket's policy).
resource "aws_flow_log" "s3" {
  count = var.flow_log_s3 == null ? 0 : 1

  vpc_id                   = aws_vpc.this.id
  traffic_type             = "ALL"
  log_destination_type     = "s3"
  log_destination          = var.flow_log_s3.destination_arn
  max_aggregation_interval = 60
  tags                     = merge(local.tags, { Name = "${var.name}-s3" })

  # only when asked: without the block AWS keeps its defaults (plain-text, daily partitions)
  dynamic "destination_options" {
    for_each = var.flow_log_s3.file_format == null && var.flow_log_s3.per_hour_partition == null ? [] : [var.flow_log_s3]

    content {
      file_format        = destination_options.value.file_format
      per_hour_partition = destination_options.value.per_hour_partition
    }
  }
}

# --- egress cost monitoring: alarm on each NAT gateway's daily processed bytes -----------------

resource "aws_cloudwatch_metric_alarm" "nat_bytes" {
  for_each = var.nat_bytes_alarm_gb_per_day == null ? {} : aws_nat_gateway.this

  alarm_name          = "${var.name}-nat-${each.key}-bytes-per-day"
  alarm_description   = "NAT gateway ${each.value.id} processed more than ${var.nat_bytes_alarm_gb_per_day} GB in a day (each GB costs the NAT processing charge)."
  comparison_operator = "GreaterThanThreshold"
  evaluation_periods  = 1
  threshold           = var.nat_bytes_alarm_gb_per_day * 1073741824
  treat_missing_data  = "notBreaching"
  alarm_actions       = var.alarm_actions

  metric_query {
    id          = "processed"
    expression  = "upload + download"
    label       = "Bytes processed per day"
    return_data = true
  }

  metric_query {
    id = "upload"
    metric {
      namespace   = "AWS/NATGateway"
      metric_name = "BytesOutToDestination"
      period      = 86400
      stat        = "Sum"
      dimensions  = { NatGatewayId = each.value.id }
    }
  }

  metric_query {
    id = "download"
    metric {
      namespace   = "AWS/NATGateway"
      metric_name = "BytesInFromDestination"
      period      = 86400
      stat        = "Sum"
      dimensions  = { NatGatewayId = each.value.id }
    }
  }

  tags = local.tags
}
