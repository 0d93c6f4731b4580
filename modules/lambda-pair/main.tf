# One package, deployed twice: <name>-vpc in dual-stack private subnets, <name>-public outside
# any VPC, with the same environment (plus NATLESS_PLACEMENT) so their latencies compare. Each
# is a modules/function; what differs between them is in local.functions.

locals {
  tags = merge(var.tags, { "natless:module" = "lambda-pair" })

  functions = {
    vpc = {
      description = "natless inside the VPC (dual-stack, no NAT needed)"
      vpc_config = {
        vpc_id                      = var.vpc_id
        subnet_ids                  = var.subnet_ids
        ipv6_allowed_for_dual_stack = var.ipv6_allowed_for_dual_stack
      }
    }
    public = {
      description = "natless outside any VPC"
      vpc_config  = null
    }
  }
}

module "function" {
  source   = "../function"
  for_each = local.functions

  name         = "${var.name}-${each.key}"
  description  = each.value.description
  package_path = var.package_path
  handler      = var.handler
  runtime      = var.runtime
  architecture = var.architecture
  memory_size  = var.memory_size
  timeout      = var.timeout
  environment  = merge(var.environment, { NATLESS_PLACEMENT = each.key })
  vpc_config   = each.value.vpc_config

  # The group's name prefix since the first version (changing it would replace the group).
  security_group_name_prefix  = "${substr(var.name, 0, 32)}-fn-"
  vpc_ipv4_cidr_block         = var.vpc_ipv4_cidr_block
  ipv4_egress_prefix_list_ids = var.ipv4_egress_prefix_list_ids
  ipv4_egress_cidr_blocks     = var.ipv4_egress_cidr_blocks

  reserved_concurrent_executions = var.reserved_concurrent_executions
  policy_json                    = var.policy_json
  policy_name                    = "natless-base"
  log_retention_days             = var.log_retention_days
  kms_key_arn                    = var.kms_key_arn
  tracing_mode                   = var.tracing_mode
  tags                           = local.tags
}

# --- upgrades -------------------------------------------------------------------------------------
# Until modules/function existed, this module declared every resource itself. These blocks move
# each one into module.function["vpc"] or ["public"], so an upgrade replaces nothing.

moved {
  from = aws_cloudwatch_log_group.this["vpc"]
  to   = module.function["vpc"].aws_cloudwatch_log_group.this
}

moved {
  from = aws_cloudwatch_log_group.this["public"]
  to   = module.function["public"].aws_cloudwatch_log_group.this
}

moved {
  from = aws_iam_role.this["vpc"]
  to   = module.function["vpc"].aws_iam_role.this
}

moved {
  from = aws_iam_role.this["public"]
  to   = module.function["public"].aws_iam_role.this
}

moved {
  from = aws_iam_role_policy.base["vpc"]
  to   = module.function["vpc"].aws_iam_role_policy.this
}

moved {
  from = aws_iam_role_policy.base["public"]
  to   = module.function["public"].aws_iam_role_policy.this
}

moved {
  from = aws_security_group.function
  to   = module.function["vpc"].aws_security_group.this[0]
}

# Every rule, whatever its key, keeps its key.
moved {
  from = aws_vpc_security_group_egress_rule.https
  to   = module.function["vpc"].aws_vpc_security_group_egress_rule.https
}

moved {
  from = aws_lambda_function.this["vpc"]
  to   = module.function["vpc"].aws_lambda_function.this
}

moved {
  from = aws_lambda_function.this["public"]
  to   = module.function["public"].aws_lambda_function.this
}

# Earlier still, the rules were keyed by address family, "ipv4" being 0.0.0.0/0. Terraform chains
# these with the move above. A caller who passes ipv4_egress_cidr_blocks = ["0.0.0.0/0"] (one with
# a NAT) keeps that rule as it is; for one who does not, Terraform plans the removal of exactly
# that rule.
moved {
  from = aws_vpc_security_group_egress_rule.https["ipv4"]
  to   = aws_vpc_security_group_egress_rule.https["0.0.0.0/0"]
}

moved {
  from = aws_vpc_security_group_egress_rule.https["ipv6"]
  to   = aws_vpc_security_group_egress_rule.https["::/0"]
}
