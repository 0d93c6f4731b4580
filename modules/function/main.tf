# One Lambda function with everything it needs: its log group, an execution role with one inline
# policy (its own logs; Lambda's network-interface actions when in a VPC; kms:Decrypt with a
# customer-managed key; the caller's statements) and, in a VPC, a security group of its own with
# no ingress and only the egress it is given. lambda-pair and split-functions are made of it.

locals {
  # The caller's "natless:module" wins, so lambda-pair's and split-functions' resources say so.
  tags   = merge({ "natless:module" = "function" }, var.tags)
  in_vpc = var.vpc_config != null

  security_group_name_prefix = coalesce(var.security_group_name_prefix, "${var.name}-")
}

# --- logs and role --------------------------------------------------------------------------------

resource "aws_cloudwatch_log_group" "this" {
  #checkov:skip=CKV_AWS_158:CloudWatch Logs encrypts at rest by default; pass kms_key_arn for a customer-managed key.
  #checkov:skip=CKV_AWS_338:Retention is the caller's choice (log_retention_days, default 30): natless's functions are benchmarks and a metric job.
  name              = "/aws/lambda/${var.name}"
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
  name               = var.name
  description        = "Execution role of ${var.name} (natless ${local.tags["natless:module"]})"
  assume_role_policy = data.aws_iam_policy_document.assume.json
  tags               = local.tags
}

data "aws_iam_policy_document" "this" {
  #checkov:skip=CKV_AWS_356:Of the module's own statements only the Lambda network-interface actions use "*"; EC2 Describe* cannot be scoped and Lambda checks Create/Delete against "*". policy_json statements are the caller's.

  # The caller's statements (policy_json) merge into the same inline policy.
  source_policy_documents = var.policy_json == null ? [] : [var.policy_json]

  statement {
    sid       = "WriteOwnLogs"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["${aws_cloudwatch_log_group.this.arn}:*"]
  }

  dynamic "statement" {
    for_each = local.in_vpc ? [1] : []
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

resource "aws_iam_role_policy" "this" {
  #checkov:skip=CKV_AWS_290:Of the module's own statements only the Lambda network-interface actions (in a VPC) are unconstrained; AWS requires Resource "*" for them. policy_json statements are the caller's.
  #checkov:skip=CKV_AWS_355:Of the module's own statements only the Lambda network-interface actions use "*"; EC2 Describe* cannot be scoped and Lambda checks Create/Delete against "*". policy_json statements are the caller's.
  name   = var.policy_name
  role   = aws_iam_role.this.id
  policy = data.aws_iam_policy_document.this.json
}

# --- security group (in a VPC) ------------------------------------------------------------------
# No ingress at all. Egress only as given: with https_egress, TCP 443 to IPv6 anywhere (the
# egress-only gateway) and over IPv4 only where a NAT-less VPC has an IPv4 path: the gateway
# endpoints' prefix lists and the VPC itself (interface endpoints), plus ipv4_egress_cidr_blocks,
# so a NAT added later opens nothing by itself; and each of egress_destinations on its port.
# DNS needs no rule: security groups do not filter the Amazon-provided resolver.

resource "aws_security_group" "this" {
  #checkov:skip=CKV2_AWS_5:Attached to the function below (vpc_config.security_group_ids); checkov does not follow the [0] index of a counted group.
  count = local.in_vpc ? 1 : 0

  name_prefix = local.security_group_name_prefix
  # Changing the description replaces the group: these are the texts lambda-pair's and
  # split-functions' groups have always had.
  description = var.https_egress ? "${var.name}: no ingress, HTTPS egress over IPv4 and IPv6" : "${var.name}: no ingress; egress only to the destinations it queries"
  vpc_id      = var.vpc_config.vpc_id
  tags        = merge(local.tags, { Name = var.name })

  lifecycle {
    create_before_destroy = true

    precondition {
      condition     = !startswith(local.security_group_name_prefix, "sg-")
      error_message = "The security group's name would start with \"sg-\" (\"${local.security_group_name_prefix}\"), which AWS reserves for group IDs: rename the function or set security_group_name_prefix."
    }

    precondition {
      condition     = var.https_egress || (length(var.ipv4_egress_prefix_list_ids) == 0 && length(var.ipv4_egress_cidr_blocks) == 0 && var.vpc_ipv4_cidr_block == null)
      error_message = "vpc_ipv4_cidr_block, ipv4_egress_prefix_list_ids and ipv4_egress_cidr_blocks shape the HTTPS egress, which https_egress = false turns off: set https_egress = true or leave them unset."
    }
  }
}

data "aws_vpc" "this" {
  count = local.in_vpc && var.https_egress && var.vpc_ipv4_cidr_block == null ? 1 : 0

  id = var.vpc_config.vpc_id
}

locals {
  vpc_ipv4_cidr_block = var.vpc_ipv4_cidr_block != null ? var.vpc_ipv4_cidr_block : one(data.aws_vpc.this[*].cidr_block)

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
  for_each = { for key, rule in local.https_egress : key => rule if local.in_vpc && var.https_egress }

  security_group_id = aws_security_group.this[0].id
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

resource "aws_vpc_security_group_egress_rule" "destination" {
  for_each = local.in_vpc ? var.egress_destinations : {}

  security_group_id            = aws_security_group.this[0].id
  description                  = "To ${each.key} on TCP ${each.value.port}"
  ip_protocol                  = "tcp"
  from_port                    = each.value.port
  to_port                      = each.value.port
  referenced_security_group_id = each.value.security_group_id
  tags                         = merge(local.tags, { Name = "${var.name}-to-${each.key}" })
}

# --- the function -----------------------------------------------------------------------------------

resource "aws_lambda_function" "this" {
  #checkov:skip=CKV_AWS_116:natless's callers invoke synchronously (the harness, the split's public side; errors go back to the caller) or drop a failed scheduled event on purpose (the next tick replaces it): there is nothing to dead-letter, so the module has no dead_letter_config.
  #checkov:skip=CKV_AWS_115:A concurrency cap is the caller's choice: reserved_concurrent_executions, default null (unreserved), so a benchmark run is not throttled by its own cap.
  #checkov:skip=CKV_AWS_272:natless builds its packages deterministically and Terraform redeploys when the zip's hash (source_code_hash) changes; code signing (signed artifacts from S3) is an organisation-level choice.
  #checkov:skip=CKV_AWS_173:Lambda encrypts the environment at rest with an AWS-managed key, kms_key_arn adds a customer-managed one; natless's callers put resource names and settings there, no secrets (the split's database password is a short-lived IAM token).
  #checkov:skip=CKV_AWS_50:X-Ray is opt-in (tracing_mode): it has no IPv6 endpoint, so Active tracing in a NAT-less VPC needs an interface endpoint.
  #checkov:skip=CKV_AWS_117:vpc_config is the caller's choice: natless's patterns put one function deliberately outside any VPC, where it reaches AWS APIs without a NAT gateway.
  function_name    = var.name
  description      = var.description
  role             = aws_iam_role.this.arn
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

  dynamic "environment" {
    for_each = length(var.environment) > 0 ? [var.environment] : []
    content {
      variables = environment.value
    }
  }

  tracing_config {
    mode = var.tracing_mode
  }

  dynamic "vpc_config" {
    for_each = local.in_vpc ? [var.vpc_config] : []
    content {
      subnet_ids                  = vpc_config.value.subnet_ids
      security_group_ids          = [aws_security_group.this[0].id]
      ipv6_allowed_for_dual_stack = vpc_config.value.ipv6_allowed_for_dual_stack
    }
  }

  tags = merge(local.tags, { "natless:placement" = local.in_vpc ? "vpc" : "public" })

  # The role must hold its network-interface permissions before Lambda checks them.
  depends_on = [aws_iam_role_policy.this, aws_cloudwatch_log_group.this]
}
