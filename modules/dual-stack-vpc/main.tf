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

  # Subnet k of the VPC gets IPv4 block k (cidr_block split by subnet_newbits) and IPv6 /64 k.
  # k = tier * 8 + AZ index: room for 8 AZs per tier.
  tier_offset = { public = 0, private = 8, isolated = 16 }
  subnets = merge([
    for tier, offset in local.tier_offset : {
      for az in local.azs : "${tier}/${az}" => { tier = tier, az = az, netnum = offset + local.az_index[az] }
    }
  ]...)

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
  assign_generated_ipv6_cidr_block = true
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
      condition     = local.vpc_prefix + var.subnet_newbits <= 28
      error_message = "cidr_block /${local.vpc_prefix} plus subnet_newbits ${var.subnet_newbits} gives subnets smaller than /28, the smallest AWS allows: use a larger VPC or fewer subnet_newbits."
    }
    precondition {
      condition     = alltrue([for az in local.azs : local.az_index[az] < 8])
      error_message = "natless numbers subnets for up to 8 AZs per tier; this region lists more. Open an issue."
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

resource "aws_subnet" "this" {
  for_each = local.subnets

  vpc_id            = aws_vpc.this.id
  availability_zone = each.value.az
  cidr_block        = cidrsubnet(var.cidr_block, var.subnet_newbits, each.value.netnum)
  ipv6_cidr_block   = cidrsubnet(aws_vpc.this.ipv6_cidr_block, 8, each.value.netnum)

  assign_ipv6_address_on_creation = true
  map_public_ip_on_launch         = false
  enable_dns64                    = var.enable_dns64 && each.value.tier == "private"

  tags = merge(local.tags, {
    Name           = "${var.name}-${each.value.tier}-${each.value.az}"
    "natless:tier" = each.value.tier
  })
}

# --- public tier: both families to the internet gateway ---------------------------------------

resource "aws_route_table" "public" {
  vpc_id = aws_vpc.this.id
  tags   = merge(local.tags, { Name = "${var.name}-public", "natless:tier" = "public" })
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
  tags   = merge(local.tags, { Name = "${var.name}-private-${each.key}", "natless:tier" = "private" })
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
  tags   = merge(local.tags, { Name = "${var.name}-isolated-${each.key}", "natless:tier" = "isolated" })
}

resource "aws_route_table_association" "isolated" {
  for_each = toset(local.azs)

  subnet_id      = aws_subnet.this["isolated/${each.key}"].id
  route_table_id = aws_route_table.isolated[each.key].id
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
