# The public/private split: <name>-private runs inside the VPC (isolated subnets, no route to the
# internet of either family) and reaches only the database; <name>-public runs outside any VPC,
# is triggered by an EventBridge schedule, invokes <name>-private synchronously and publishes the
# result as a CloudWatch custom metric. No NAT gateway, no VPC endpoint, no internet route.
# Each function is a modules/function; what differs between them is in local.functions.

data "aws_partition" "current" {}

data "aws_region" "current" {}

data "aws_caller_identity" "current" {}

locals {
  tags = merge(var.tags, { "natless:module" = "split-functions" })

  arn_prefix = "arn:${data.aws_partition.current.partition}"
  region     = data.aws_region.current.name
  account_id = data.aws_caller_identity.current.account_id

  # arn:PARTITION:rds-db:REGION:ACCOUNT:dbuser:DBI_RESOURCE_ID/DB_USER, the resource IAM
  # database authentication checks.
  db_user_arn = "${local.arn_prefix}:rds-db:${local.region}:${local.account_id}:dbuser:${var.db_resource_id}/${var.db_user}"

  # Built from its name, not read from module.function["private"]: the public function's inputs
  # may not refer to the module call they belong to.
  private_function_arn = "${local.arn_prefix}:lambda:${local.region}:${local.account_id}:function:${var.name}-private"

  functions = {
    private = {
      description                    = "natless split: inside the VPC, queries the database, no internet route"
      package_path                   = var.private_package_path
      memory_size                    = var.private_memory_size
      timeout                        = var.private_timeout
      reserved_concurrent_executions = var.private_reserved_concurrent_executions
      policy_json                    = data.aws_iam_policy_document.private.json
      environment = merge(var.private_environment, {
        DB_HOST    = var.db_host
        DB_PORT    = tostring(var.db_port)
        DB_NAME    = var.db_name
        DB_USER    = var.db_user
        DB_SSLMODE = var.db_sslmode
      })
      # Isolated subnets: no IPv6 route, no HTTPS rules; only the destinations.
      vpc_config          = { vpc_id = var.vpc_id, subnet_ids = var.subnet_ids, ipv6_allowed_for_dual_stack = false }
      egress_destinations = var.egress_destinations
    }
    public = {
      description                    = "natless split: outside any VPC, invokes ${var.name}-private and publishes its result as a CloudWatch metric"
      package_path                   = var.public_package_path
      memory_size                    = var.public_memory_size
      timeout                        = var.public_timeout
      reserved_concurrent_executions = var.public_reserved_concurrent_executions
      policy_json                    = data.aws_iam_policy_document.public.json
      environment = {
        PRIVATE_FUNCTION_NAME      = "${var.name}-private"
        PRIVATE_FUNCTION_TIMEOUT_S = tostring(var.private_timeout)
        METRIC_NAMESPACE           = var.metric_namespace
        METRIC_NAME                = var.metric_name
      }
      vpc_config          = null
      egress_destinations = {}
    }
  }
}

# What each side may do beyond its own logs, network interfaces and KMS key (modules/function).
data "aws_iam_policy_document" "private" {
  statement {
    # IAM database authentication: the token the function signs locally is accepted for exactly
    # this database user of exactly this instance.
    sid       = "ConnectAsDatabaseUser"
    actions   = ["rds-db:connect"]
    resources = [local.db_user_arn]
  }
}

data "aws_iam_policy_document" "public" {
  statement {
    sid       = "InvokePrivateFunction"
    actions   = ["lambda:InvokeFunction"]
    resources = [local.private_function_arn]
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
}

module "function" {
  source   = "../function"
  for_each = local.functions

  name                           = "${var.name}-${each.key}"
  description                    = each.value.description
  package_path                   = each.value.package_path
  runtime                        = var.runtime
  architecture                   = var.architecture
  memory_size                    = each.value.memory_size
  timeout                        = each.value.timeout
  reserved_concurrent_executions = each.value.reserved_concurrent_executions
  environment                    = each.value.environment
  vpc_config                     = each.value.vpc_config
  # The group's name prefix since the first version (changing it would replace the group).
  security_group_name_prefix = "${substr(var.name, 0, 32)}-${each.key}-"
  https_egress               = false
  egress_destinations        = each.value.egress_destinations
  policy_json                = each.value.policy_json
  policy_name                = "natless-split-${each.key}"
  log_retention_days         = var.log_retention_days
  kms_key_arn                = var.kms_key_arn
  tracing_mode               = var.tracing_mode
  tags                       = local.tags
}

# A scheduled invocation that fails is not worth retrying: the next one comes with the schedule.
resource "aws_lambda_function_event_invoke_config" "public" {
  function_name                = module.function["public"].function_name
  maximum_retry_attempts       = 0
  maximum_event_age_in_seconds = 60
}

resource "aws_cloudwatch_event_rule" "schedule" {
  name                = "${var.name}-schedule"
  description         = "Triggers ${var.name}-public (natless split-functions)"
  schedule_expression = var.schedule_expression
  state               = var.schedule_enabled ? "ENABLED" : "DISABLED"
  tags                = local.tags

  lifecycle {
    precondition {
      condition     = var.public_timeout >= var.private_timeout + 5
      error_message = "public_timeout (${var.public_timeout} s) must be at least private_timeout + 5 (${var.private_timeout + 5} s): the public function waits for the private one and then still publishes the metric."
    }
  }
}

resource "aws_cloudwatch_event_target" "public" {
  rule      = aws_cloudwatch_event_rule.schedule.name
  target_id = "${var.name}-public"
  arn       = module.function["public"].function_arn
}

resource "aws_lambda_permission" "schedule" {
  statement_id   = "AllowEventBridgeSchedule"
  action         = "lambda:InvokeFunction"
  function_name  = module.function["public"].function_name
  principal      = "events.amazonaws.com"
  source_arn     = aws_cloudwatch_event_rule.schedule.arn
  source_account = local.account_id
}

# --- upgrades -------------------------------------------------------------------------------------
# Until modules/function existed, this module declared every resource itself. These blocks move
# each one into module.function["private"] or ["public"], so an upgrade replaces nothing.

moved {
  from = aws_cloudwatch_log_group.this["private"]
  to   = module.function["private"].aws_cloudwatch_log_group.this
}

moved {
  from = aws_cloudwatch_log_group.this["public"]
  to   = module.function["public"].aws_cloudwatch_log_group.this
}

moved {
  from = aws_iam_role.this["private"]
  to   = module.function["private"].aws_iam_role.this
}

moved {
  from = aws_iam_role.this["public"]
  to   = module.function["public"].aws_iam_role.this
}

moved {
  from = aws_iam_role_policy.private
  to   = module.function["private"].aws_iam_role_policy.this
}

moved {
  from = aws_iam_role_policy.public
  to   = module.function["public"].aws_iam_role_policy.this
}

moved {
  from = aws_security_group.private
  to   = module.function["private"].aws_security_group.this[0]
}

# Every rule keeps its key (the destination's label).
moved {
  from = aws_vpc_security_group_egress_rule.destination
  to   = module.function["private"].aws_vpc_security_group_egress_rule.destination
}

moved {
  from = aws_lambda_function.this["private"]
  to   = module.function["private"].aws_lambda_function.this
}

moved {
  from = aws_lambda_function.this["public"]
  to   = module.function["public"].aws_lambda_function.this
}
