# One package, deployed twice: <name>-vpc in dual-stack private subnets, <name>-public outside
# any VPC, with the same environment (plus NATLESS_PLACEMENT) so their latencies compare.

data "aws_partition" "current" {}

locals {
  tags = merge(var.tags, { "natless:module" = "lambda-pair" })

  placements = {
    vpc    = { in_vpc = true }
    public = { in_vpc = false }
  }
}

resource "aws_cloudwatch_log_group" "this" {
  for_each = local.placements

  #checkov:skip=CKV_AWS_158:CloudWatch Logs encrypts at rest by default; pass kms_key_arn for a customer-managed key.
  #checkov:skip=CKV_AWS_338:Benchmark logs; retention is the caller's choice (log_retention_days, default 30).
  name              = "/aws/lambda/${var.name}-${each.key}"
  retention_in_days = var.log_retention_days
  kms_key_id        = var.kms_key_arn
  tags              = local.tags
}

data "aws_iam_policy_document" "assume" {
  statement {
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["lambda.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "this" {
  for_each = local.placements

  name               = "${var.name}-${each.key}"
  description        = "Execution role of ${var.name}-${each.key} (natless lambda-pair)"
  assume_role_policy = data.aws_iam_policy_document.assume.json
  tags               = local.tags
}

data "aws_iam_policy_document" "base" {
  for_each = local.placements

  # The caller's extra permissions (policy_json) merge into the same inline policy.
  source_policy_documents = var.policy_json == null ? [] : [var.policy_json]

  statement {
    sid       = "WriteOwnLogs"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["${aws_cloudwatch_log_group.this[each.key].arn}:*"]
  }

  dynamic "statement" {
    for_each = each.value.in_vpc ? [1] : []
    content {
      #checkov:skip=CKV_AWS_111:See ManageNetworkInterfaces below.
      # The network-interface actions Lambda needs for a VPC function (the action set of the
      # AWS-managed AWSLambdaVPCAccessExecutionRole). EC2 Describe* actions cannot be scoped to a
      # resource, and Lambda validates Create/Delete against "*", so this is the one "*".
      sid = "ManageNetworkInterfaces"
      actions = [
        "ec2:CreateNetworkInterface",
        "ec2:DescribeNetworkInterfaces",
        "ec2:DescribeSubnets",
        "ec2:DeleteNetworkInterface",
        "ec2:AssignPrivateIpAddresses",
        "ec2:UnassignPrivateIpAddresses",
      ]
      resources = ["*"]
    }
  }

  dynamic "statement" {
    for_each = var.kms_key_arn == null ? [] : [var.kms_key_arn]
    content {
      sid       = "DecryptEnvironment"
      actions   = ["kms:Decrypt"]
      resources = [statement.value]
    }
  }
}

resource "aws_iam_role_policy" "base" {
  for_each = local.placements

  #checkov:skip=CKV_AWS_290:Of the module's own statements only the Lambda network-interface actions (VPC role) are unconstrained; AWS requires Resource "*" for them. policy_json statements are the caller's.
  #checkov:skip=CKV_AWS_355:Of the module's own statements only the Lambda network-interface actions use "*"; EC2 Describe* cannot be scoped and Lambda checks Create/Delete against "*".
  name   = "natless-base"
  role   = aws_iam_role.this[each.key].id
  policy = data.aws_iam_policy_document.base[each.key].json
}

# No ingress at all; egress TCP 443 only. IPv6 to anywhere (the egress-only gateway). IPv4 only
# where a NAT-less VPC has an IPv4 path: the gateway endpoints' prefix lists and the VPC itself
# (interface endpoints), plus ipv4_egress_cidr_blocks, so a NAT added later opens nothing by itself.
# The group keeps its original description: changing it would replace the group.
resource "aws_security_group" "function" {
  name_prefix = "${substr(var.name, 0, 32)}-fn-"
  description = "${var.name}-vpc: no ingress, HTTPS egress over IPv4 and IPv6"
  vpc_id      = var.vpc_id
  tags        = merge(local.tags, { Name = "${var.name}-vpc" })

  lifecycle {
    create_before_destroy = true
  }
}

data "aws_vpc" "this" {
  count = var.vpc_ipv4_cidr_block == null ? 1 : 0

  id = var.vpc_id
}

locals {
  vpc_ipv4_cidr_block = coalesce(var.vpc_ipv4_cidr_block, one(data.aws_vpc.this[*].cidr_block))

  # One rule per destination, keyed by its identity and known at plan time: "::/0", "vpc", a
  # prefix list's label ("pl:s3"), an extra CIDR itself ("0.0.0.0/0").
  https_egress = merge(
    { "::/0" = { cidr_ipv4 = null, cidr_ipv6 = "::/0", prefix_list_id = null, to = "anywhere over ipv6" } },
    { vpc = { cidr_ipv4 = local.vpc_ipv4_cidr_block, cidr_ipv6 = null, prefix_list_id = null, to = "the VPC over ipv4 (interface endpoints)" } },
    { for label, id in var.ipv4_egress_prefix_list_ids : "pl:${label}" => { cidr_ipv4 = null, cidr_ipv6 = null, prefix_list_id = id, to = "the ${label} prefix list over ipv4" } },
    { for cidr in var.ipv4_egress_cidr_blocks : cidr => { cidr_ipv4 = cidr, cidr_ipv6 = null, prefix_list_id = null, to = "${cidr == "0.0.0.0/0" ? "anywhere" : cidr} over ipv4" } },
  )
}

resource "aws_vpc_security_group_egress_rule" "https" {
  for_each = local.https_egress

  security_group_id = aws_security_group.function.id
  description       = "HTTPS to ${each.value.to}"
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443
  cidr_ipv4         = each.value.cidr_ipv4
  cidr_ipv6         = each.value.cidr_ipv6
  prefix_list_id    = each.value.prefix_list_id
  tags              = local.tags

  lifecycle {
    precondition {
      condition     = !contains(var.ipv4_egress_cidr_blocks, local.vpc_ipv4_cidr_block)
      error_message = "ipv4_egress_cidr_blocks must not repeat the VPC's own CIDR (${local.vpc_ipv4_cidr_block}): the module already allows HTTPS to it, and AWS refuses a duplicate rule. Remove it from ipv4_egress_cidr_blocks."
    }
  }
}

# Earlier versions keyed the rules by address family, "ipv4" being 0.0.0.0/0. A caller who passes
# ipv4_egress_cidr_blocks = ["0.0.0.0/0"] (one with a NAT) keeps that rule as it is; for one who
# does not, Terraform plans the removal of exactly that rule.
moved {
  from = aws_vpc_security_group_egress_rule.https["ipv4"]
  to   = aws_vpc_security_group_egress_rule.https["0.0.0.0/0"]
}

moved {
  from = aws_vpc_security_group_egress_rule.https["ipv6"]
  to   = aws_vpc_security_group_egress_rule.https["::/0"]
}

resource "aws_lambda_function" "this" {
  for_each = local.placements

  #checkov:skip=CKV_AWS_116:Invoked synchronously by the harness; there are no asynchronous events to dead-letter.
  #checkov:skip=CKV_AWS_115:A concurrency cap is the caller's choice: reserved_concurrent_executions, default null (unreserved), so a benchmark run is not throttled by its own cap.
  #checkov:skip=CKV_AWS_272:natless builds its packages deterministically and Terraform redeploys when the zip's hash (source_code_hash) changes; code signing (signed artifacts from S3) is an organisation-level choice.
  #checkov:skip=CKV_AWS_173:Lambda encrypts the environment at rest with an AWS-managed key, kms_key_arn adds a customer-managed one; the module adds only NATLESS_PLACEMENT and the examples pass resource names and settings, no secrets.
  #checkov:skip=CKV_AWS_50:X-Ray is opt-in (tracing_mode): it has no IPv6 endpoint, so Active tracing in a NAT-less VPC needs an interface endpoint.
  #checkov:skip=CKV_AWS_117:The pair compares a function inside the VPC with one deliberately outside any VPC.
  function_name    = "${var.name}-${each.key}"
  description      = "natless ${each.key == "vpc" ? "inside the VPC (dual-stack, no NAT needed)" : "outside any VPC"}"
  role             = aws_iam_role.this[each.key].arn
  filename         = var.package_path
  source_code_hash = filebase64sha256(var.package_path)
  handler          = var.handler
  runtime          = var.runtime
  architectures    = [var.architecture]
  memory_size      = var.memory_size
  timeout          = var.timeout
  kms_key_arn      = var.kms_key_arn

  # null leaves the function unreserved (the provider's -1).
  reserved_concurrent_executions = var.reserved_concurrent_executions

  environment {
    variables = merge(var.environment, { NATLESS_PLACEMENT = each.key })
  }

  tracing_config {
    mode = var.tracing_mode
  }

  dynamic "vpc_config" {
    for_each = each.value.in_vpc ? [1] : []
    content {
      subnet_ids                  = var.subnet_ids
      security_group_ids          = [aws_security_group.function.id]
      ipv6_allowed_for_dual_stack = var.ipv6_allowed_for_dual_stack
    }
  }

  tags = merge(local.tags, { "natless:placement" = each.key })

  # The role must hold its network-interface permissions before Lambda checks them.
  depends_on = [aws_iam_role_policy.base, aws_cloudwatch_log_group.this]
}
