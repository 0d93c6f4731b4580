# Migrating an existing VPC to natless. The first half is a classic IPv4-only VPC, as a user of
# terraform-aws-modules/vpc has it (written out as plain resources): per AZ a public and a private
# subnet, an internet gateway, and a NAT gateway with its Elastic IP in every AZ. The second half
# is what the migration adds on top, without modifying any of it: natless's dual-stack subnets
# (IPv6 through a free egress-only internet gateway, IPv4 still through the AZ's NAT), gateway
# endpoints on their route tables, the benchmark pair in the new subnets, and an alarm per NAT
# that tells when the NAT has nothing left to carry. enable_nat_gateway = false retires the NATs.

data "aws_availability_zones" "available" {
  state = "available"

  filter {
    name   = "opt-in-status"
    values = ["opt-in-not-required"]
  }
}

locals {
  tags         = merge(var.tags, { "natless:example" = "existing-vpc", "natless:name" = var.name })
  package_path = coalesce(var.package_path, "${path.module}/../../build/bench.zip")

  cidr_block = "10.0.0.0/16"
  azs        = slice(sort(data.aws_availability_zones.available.names), 0, min(var.az_count, length(data.aws_availability_zones.available.names)))
  az_index   = { for i, az in local.azs : az => i }
  nat_azs    = var.enable_nat_gateway ? local.azs : []
}

# === The VPC as it is before the migration ========================================================
# terraform-aws-modules/vpc with enable_nat_gateway = true, one_nat_gateway_per_az = true,
# private_subnets = 10.0.1.0/24..., public_subnets = 10.0.101.0/24... and no IPv6.

resource "aws_vpc" "this" {
  #checkov:skip=CKV2_AWS_11:This VPC stands for the user's existing one, with terraform-aws-modules/vpc's default enable_flow_log = false; the migration adds subnets and leaves its logging as it is (dual-stack-vpc shows flow logs).
  cidr_block           = local.cidr_block
  enable_dns_support   = true
  enable_dns_hostnames = true

  tags = { Name = var.name }

  # The IPv6 /56 is associated by module.natless (aws_vpc_ipv6_cidr_block_association). After
  # that, the provider reads the VPC's assign_generated_ipv6_cidr_block back as true; without
  # this line the next plan would set it to false again, which removes the /56.
  lifecycle {
    ignore_changes = [assign_generated_ipv6_cidr_block]
  }
}

# The default security group holds no rules (terraform-aws-modules/vpc's manage_default_security_group).
resource "aws_default_security_group" "this" {
  vpc_id  = aws_vpc.this.id
  ingress = []
  egress  = []
  tags    = { Name = "${var.name}-default" }
}

resource "aws_internet_gateway" "this" {
  vpc_id = aws_vpc.this.id
  tags   = { Name = var.name }
}

resource "aws_subnet" "public" {
  for_each = local.az_index

  vpc_id                  = aws_vpc.this.id
  availability_zone       = each.key
  cidr_block              = cidrsubnet(local.cidr_block, 8, 101 + each.value)
  map_public_ip_on_launch = false
  tags                    = { Name = "${var.name}-public-${each.key}" }
}

resource "aws_subnet" "private" {
  for_each = local.az_index

  vpc_id            = aws_vpc.this.id
  availability_zone = each.key
  cidr_block        = cidrsubnet(local.cidr_block, 8, 1 + each.value)
  tags              = { Name = "${var.name}-private-${each.key}" }
}

resource "aws_route_table" "public" {
  vpc_id = aws_vpc.this.id
  tags   = { Name = "${var.name}-public" }
}

resource "aws_route" "public_internet_gateway" {
  route_table_id         = aws_route_table.public.id
  destination_cidr_block = "0.0.0.0/0"
  gateway_id             = aws_internet_gateway.this.id
}

resource "aws_route_table_association" "public" {
  for_each = local.az_index

  subnet_id      = aws_subnet.public[each.key].id
  route_table_id = aws_route_table.public.id
}

resource "aws_eip" "nat" {
  for_each = toset(local.nat_azs)

  domain = "vpc"
  tags   = { Name = "${var.name}-${each.key}" }

  depends_on = [aws_internet_gateway.this]
}

resource "aws_nat_gateway" "this" {
  for_each = toset(local.nat_azs)

  allocation_id = aws_eip.nat[each.key].id
  subnet_id     = aws_subnet.public[each.key].id
  tags          = { Name = "${var.name}-${each.key}" }

  depends_on = [aws_internet_gateway.this]
}

resource "aws_route_table" "private" {
  for_each = local.az_index

  vpc_id = aws_vpc.this.id
  tags   = { Name = "${var.name}-private-${each.key}" }
}

resource "aws_route" "private_nat_gateway" {
  for_each = toset(local.nat_azs)

  route_table_id         = aws_route_table.private[each.key].id
  destination_cidr_block = "0.0.0.0/0"
  nat_gateway_id         = aws_nat_gateway.this[each.key].id
}

resource "aws_route_table_association" "private" {
  for_each = local.az_index

  subnet_id      = aws_subnet.private[each.key].id
  route_table_id = aws_route_table.private[each.key].id
}

# === What the migration adds ======================================================================

# New dual-stack subnets beside the old ones (10.0.64.0/22, 10.0.68.0/22, ...), each with its own
# route table: ::/0 to a new egress-only gateway, 0.0.0.0/0 to the NAT of its AZ while it exists.
module "natless" {
  source = "../../modules/dual-stack-subnets"

  name            = var.name
  vpc_id          = aws_vpc.this.id
  subnets         = { for az, i in local.az_index : az => cidrsubnet(local.cidr_block, 6, 16 + i) }
  nat_gateway_ids = { for az, nat in aws_nat_gateway.this : az => nat.id }
}

# Free gateway endpoints for S3 and DynamoDB on the new route tables only (the old tables keep
# sending that traffic through the NATs until the workloads in them move).
module "endpoints" {
  source = "../../modules/vpc-endpoints"

  name             = var.name
  vpc_id           = module.natless.vpc_id
  gateway_services = ["s3", "dynamodb"]
  route_table_ids  = module.natless.private_route_table_ids

  # Only the bench bucket and table through the free endpoints: a function cannot use them to
  # reach other buckets or tables, other accounts' included.
  gateway_policy_resources = {
    s3       = [module.targets.bucket_arn]
    dynamodb = [module.targets.table_arn]
  }
}

module "targets" {
  source = "../../modules/bench-targets"

  name               = var.name
  object_expiry_days = var.object_expiry_days
}

# The benchmark pair, the VPC function in the new subnets: what a migrated function looks like.
module "pair" {
  source = "../../modules/lambda-pair"

  name         = var.name
  package_path = local.package_path
  vpc_id       = module.natless.vpc_id
  subnet_ids   = module.natless.private_subnet_ids
  policy_json  = module.targets.workload_policy_json

  # The new subnets are dual-stack: the function may send IPv6 (the module's default, shown).
  ipv6_allowed_for_dual_stack = true

  # IPv4 HTTPS to the gateway endpoints and the VPC, and to anywhere while a NAT exists. The
  # VPC's CIDR as a literal: module.natless.vpc_cidr_block is read from the VPC, unknown while
  # the VPC is created in the same apply (as here), and lambda-pair needs it known.
  vpc_ipv4_cidr_block         = local.cidr_block
  ipv4_egress_prefix_list_ids = module.endpoints.prefix_list_ids
  ipv4_egress_cidr_blocks     = var.enable_nat_gateway ? ["0.0.0.0/0"] : []

  environment = {
    TABLE_NAME  = module.targets.table_name
    QUEUE_URL   = module.targets.queue_url
    BUCKET_NAME = module.targets.bucket_name
    # SQS over IPv6 (sqs.REGION.api.aws) through the egress-only gateway; S3 and DynamoDB keep
    # their IPv4 names so they go through the gateway endpoints.
    NATLESS_DUALSTACK_SERVICES = "sqs"
    NATLESS_IP_PREFERENCE      = "ipv6first"
  }
}

# One alarm per NAT on the bytes it processes in a day. Once every workload has moved to the new
# subnets, it stays OK: that is when enable_nat_gateway = false can retire the NATs.
resource "aws_cloudwatch_metric_alarm" "nat_bytes" {
  for_each = aws_nat_gateway.this

  alarm_name          = "${var.name}-nat-${each.key}-bytes-per-day"
  alarm_description   = "NAT gateway ${each.value.id} processed more than ${var.nat_bytes_alarm_gb_per_day} GB in a day: something still uses it."
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
}
