# The public/private split: <name>-private runs inside the VPC (isolated subnets, no route to the
# internet of either family) and reaches only the database; <name>-public runs outside any VPC,
# is triggered by an EventBridge schedule, invokes <name>-private synchronously and publishes the
# result as a CloudWatch custom metric. No NAT gateway, no VPC endpoint, no internet route.

data "aws_partition" "current" {}

data "aws_region" "current" {}

data "aws_caller_identity" "current" {}

locals {
  tags = merge(var.tags, { "natless:module" = "split-functions" })

  functions = {
    private = { package_path = var.private_package_path, in_vpc = true }
    public  = { package_path = var.public_package_path, in_vpc = false }
  }

  # arn:PARTITION:rds-db:REGION:ACCOUNT:dbuser:DBI_RESOURCE_ID/DB_USER, the resource IAM
  # database authentication checks.
  db_user_arn = join(":", [
    "arn", data.aws_partition.current.partition, "rds-db", data.aws_region.current.name,
    data.aws_caller_identity.current.account_id, "dbuser", "${var.db_resource_id}/${var.db_user}",
  ])
}

resource "aws_cloudwatch_log_group" "this" {
  for_each = local.functions

  #checkov:skip=CKV_AWS_158:CloudWatch Logs encrypts at rest by default; pass kms_key_arn for a customer-managed key.
  #checkov:skip=CKV_AWS_338:Logs of a metric job; retention is the caller's choice (log_retention_days, default 30).
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
  for_each = local.functions

  name               = "${var.name}-${each.key}"
  description        = "Execution role of ${var.name}-${each.key} (natless split-functions)"
  assume_role_policy = data.aws_iam_policy_document.assume.json
  tags               = local.tags
}

# Private side: its own logs, the network interfaces Lambda manages for it, and one database user.
data "aws_iam_policy_document" "private" {
  #checkov:skip=CKV_AWS_356:Only the Lambda network-interface actions use "*"; EC2 Describe* cannot be scoped and Lambda checks Create/Delete against "*".
  statement {
    sid       = "WriteOwnLogs"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["${aws_cloudwatch_log_group.this["private"].arn}:*"]
  }

  statement {
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

  statement {
    # IAM database authentication: the token the function signs locally is accepted for exactly
    # this database user of exactly this instance.
    sid       = "ConnectAsDatabaseUser"
    actions   = ["rds-db:connect"]
    resources = [local.db_user_arn]
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

# Public side: its own logs, invoking the private function, and one metric namespace.
data "aws_iam_policy_document" "public" {
  statement {
    sid       = "WriteOwnLogs"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["${aws_cloudwatch_log_group.this["public"].arn}:*"]
  }

  statement {
    sid       = "InvokePrivateFunction"
    actions   = ["lambda:InvokeFunction"]
    resources = [aws_lambda_function.this["private"].arn]
  }

  statement {
    #checkov:skip=CKV_AWS_111:See PutMetricDataInNamespace below.
    # PutMetricData supports no resource-level permissions: Resource must be "*". The
    # cloudwatch:namespace condition limits it to the one configured namespace.
    sid       = "PutMetricDataInNamespace"
    actions   = ["cloudwatch:PutMetricData"]
    resources = ["*"]

    condition {
      test     = "StringEquals"
      variable = "cloudwatch:namespace"
      values   = [var.metric_namespace]
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

resource "aws_iam_role_policy" "private" {
  #checkov:skip=CKV_AWS_290:Only the Lambda network-interface actions are unconstrained; AWS requires Resource "*" for them.
  #checkov:skip=CKV_AWS_355:Only the Lambda network-interface actions use "*"; EC2 Describe* cannot be scoped.
  name   = "natless-split-private"
  role   = aws_iam_role.this["private"].id
  policy = data.aws_iam_policy_document.private.json
}

resource "aws_iam_role_policy" "public" {
  #checkov:skip=CKV_AWS_290:cloudwatch:PutMetricData has no resource-level permissions; it is constrained by the cloudwatch:namespace condition instead.
  #checkov:skip=CKV_AWS_355:Only cloudwatch:PutMetricData uses "*" (AWS requires it), limited to one namespace by a condition.
  name   = "natless-split-public"
  role   = aws_iam_role.this["public"].id
  policy = data.aws_iam_policy_document.public.json
}

# The private function's group: no ingress at all; egress only to the given destination groups
# on their ports. DNS needs no rule: security groups do not filter the Amazon-provided resolver.
resource "aws_security_group" "private" {
  name_prefix = "${substr(var.name, 0, 32)}-private-"
  description = "${var.name}-private: no ingress; egress only to the destinations it queries"
  vpc_id      = var.vpc_id
  tags        = merge(local.tags, { Name = "${var.name}-private" })

  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_vpc_security_group_egress_rule" "destination" {
  for_each = var.egress_destinations

  security_group_id            = aws_security_group.private.id
  description                  = "To ${each.key} on TCP ${each.value.port}"
  ip_protocol                  = "tcp"
  from_port                    = each.value.port
  to_port                      = each.value.port
  referenced_security_group_id = each.value.security_group_id
  tags                         = merge(local.tags, { Name = "${var.name}-private-to-${each.key}" })
}

resource "aws_lambda_function" "this" {
  for_each = local.functions

  #checkov:skip=CKV_AWS_116:The private function is only invoked synchronously (its errors go back to the caller). The public one answers its own failures (logged, ok false) and a missed schedule tick is not replayed (0 retries, 60 s event age): only a crash, timeout or throttle would reach a dead-letter queue, and the next tick replaces it.
  #checkov:skip=CKV_AWS_115:A concurrency cap is the caller's choice: private_reserved_concurrent_executions and public_reserved_concurrent_executions, default null (unreserved).
  #checkov:skip=CKV_AWS_272:natless builds its packages deterministically and Terraform redeploys when the zip's hash (source_code_hash) changes; code signing (signed artifacts from S3) is an organisation-level choice.
  #checkov:skip=CKV_AWS_173:The module puts endpoint and resource names and settings there, no secrets (the database password is a short-lived IAM token; private_environment is the caller's); Lambda encrypts it at rest, kms_key_arn adds a customer-managed key.
  #checkov:skip=CKV_AWS_50:X-Ray is opt-in (tracing_mode): the private function has no route to the X-Ray API.
  #checkov:skip=CKV_AWS_117:The pattern puts one function deliberately outside any VPC so that it reaches the AWS APIs without a NAT gateway.
  function_name    = "${var.name}-${each.key}"
  description      = each.key == "private" ? "natless split: inside the VPC, queries the database, no internet route" : "natless split: outside any VPC, invokes ${var.name}-private and publishes its result as a CloudWatch metric"
  role             = aws_iam_role.this[each.key].arn
  filename         = each.value.package_path
  source_code_hash = filebase64sha256(each.value.package_path)
  handler          = "handler.handler"
  runtime          = var.runtime
  architectures    = [var.architecture]
  memory_size      = each.key == "private" ? var.private_memory_size : var.public_memory_size
  timeout          = each.key == "private" ? var.private_timeout : var.public_timeout
  kms_key_arn      = var.kms_key_arn

  # null leaves the function unreserved (the provider's -1).
  reserved_concurrent_executions = each.key == "private" ? var.private_reserved_concurrent_executions : var.public_reserved_concurrent_executions

  environment {
    variables = each.key == "private" ? merge(var.private_environment, {
      DB_HOST    = var.db_host
      DB_PORT    = tostring(var.db_port)
      DB_NAME    = var.db_name
      DB_USER    = var.db_user
      DB_SSLMODE = var.db_sslmode
      }) : {
      PRIVATE_FUNCTION_NAME      = "${var.name}-private"
      PRIVATE_FUNCTION_TIMEOUT_S = tostring(var.private_timeout)
      METRIC_NAMESPACE           = var.metric_namespace
      METRIC_NAME                = var.metric_name
    }
  }

  tracing_config {
    mode = var.tracing_mode
  }

  dynamic "vpc_config" {
    for_each = each.value.in_vpc ? [1] : []
    content {
      subnet_ids                  = var.subnet_ids
      security_group_ids          = [aws_security_group.private.id]
      ipv6_allowed_for_dual_stack = false
    }
  }

  tags = merge(local.tags, { "natless:placement" = each.key == "private" ? "vpc" : "public" })

  lifecycle {
    precondition {
      condition     = var.public_timeout >= var.private_timeout + 5
      error_message = "public_timeout (${var.public_timeout} s) must be at least private_timeout + 5 (${var.private_timeout + 5} s): the public function waits for the private one and then still publishes the metric."
    }
  }

  # The roles must hold their permissions before Lambda checks them (network interfaces).
  depends_on = [aws_iam_role_policy.private, aws_cloudwatch_log_group.this]
}

# A scheduled invocation that fails is not worth retrying: the next one comes with the schedule.
resource "aws_lambda_function_event_invoke_config" "public" {
  function_name                = aws_lambda_function.this["public"].function_name
  maximum_retry_attempts       = 0
  maximum_event_age_in_seconds = 60
}

resource "aws_cloudwatch_event_rule" "schedule" {
  name                = "${var.name}-schedule"
  description         = "Triggers ${var.name}-public (natless split-functions)"
  schedule_expression = var.schedule_expression
  state               = var.schedule_enabled ? "ENABLED" : "DISABLED"
  tags                = local.tags
}

resource "aws_cloudwatch_event_target" "public" {
  rule      = aws_cloudwatch_event_rule.schedule.name
  target_id = "${var.name}-public"
  arn       = aws_lambda_function.this["public"].arn
}

resource "aws_lambda_permission" "schedule" {
  statement_id   = "AllowEventBridgeSchedule"
  action         = "lambda:InvokeFunction"
  function_name  = aws_lambda_function.this["public"].function_name
  principal      = "events.amazonaws.com"
  source_arn     = aws_cloudwatch_event_rule.schedule.arn
  source_account = data.aws_caller_identity.current.account_id
}
