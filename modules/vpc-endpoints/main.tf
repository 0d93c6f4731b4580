# Free gateway endpoints for S3/DynamoDB on the given route tables, and optional interface
# endpoints (private DNS, dual-stack where the service accepts IPv6) behind a security group that admits HTTPS
# from the VPC's own IPv4 and IPv6 ranges only. Per-endpoint settings (IP type, policy, private
# DNS, subnets, groups) override those defaults; an IP type the endpoint service does not
# accept is refused at plan.

data "aws_vpc" "this" {
  id = var.vpc_id

  # Checks across variables (a variable's own validation may name only itself before
  # Terraform 1.9): every per-endpoint setting names an endpoint this module creates.
  lifecycle {
    precondition {
      condition     = length(setsubtract(keys(var.interface_endpoint_settings), var.interface_services)) == 0
      error_message = "interface_endpoint_settings has settings for ${join(", ", sort(setsubtract(keys(var.interface_endpoint_settings), var.interface_services)))}, which interface_services does not list: add the service to interface_services or remove its settings."
    }
    precondition {
      condition     = length(setsubtract(concat(keys(var.gateway_endpoint_settings), keys(var.gateway_policy_resources)), var.gateway_services)) == 0
      error_message = "gateway_endpoint_settings or gateway_policy_resources names ${join(", ", sort(setsubtract(concat(keys(var.gateway_endpoint_settings), keys(var.gateway_policy_resources)), var.gateway_services)))}, which gateway_services does not list: add the service to gateway_services or remove its settings."
    }
    precondition {
      condition     = length([for svc in keys(var.gateway_policy_resources) : svc if try(var.gateway_endpoint_settings[svc].policy, null) != null]) == 0
      error_message = "gateway_policy_resources and gateway_endpoint_settings[SERVICE].policy both set the policy of ${join(", ", [for svc in keys(var.gateway_policy_resources) : svc if try(var.gateway_endpoint_settings[svc].policy, null) != null])}: keep one (gateway_policy_resources builds the policy from ARNs, policy is a whole document)."
    }
  }
}

data "aws_vpc_endpoint_service" "gateway" {
  for_each = toset(var.gateway_services)

  service      = each.key
  service_type = "Gateway"
}

data "aws_vpc_endpoint_service" "interface" {
  for_each = toset(var.interface_services)

  service      = each.key
  service_type = "Interface"
}

locals {
  tags = merge(var.tags, { "natless:module" = "vpc-endpoints" })

  # Interface endpoint services natless's service catalog (natless/cost/data/services.json:
  # dualstack_host null) knows as IPv4 only. Used only when DescribeVpcEndpointServices answers
  # without SupportedIpAddressTypes, as the emulator does; AWS answers with them.
  # tests/plan/test_vpc_endpoints_plan.py keeps this list equal to the catalog's.
  ipv4_only_services = ["ec2messages", "ssm", "ssmmessages", "xray"]

  # Each interface endpoint's settings: its entry of interface_endpoint_settings over the
  # module-wide defaults (security_group_ids null: the module's group).
  interface = {
    for svc in var.interface_services : svc => {
      ip_address_type = coalesce(
        try(var.interface_endpoint_settings[svc].ip_address_type, null),
        var.ip_address_type,
        contains(local.interface_ip_types[svc], "ipv6") ? "dualstack" : "ipv4",
      )
      policy              = try(var.interface_endpoint_settings[svc].policy, null)
      private_dns_enabled = coalesce(try(var.interface_endpoint_settings[svc].private_dns_enabled, null), true)
      subnet_ids          = try(var.interface_endpoint_settings[svc].subnet_ids, null) != null ? var.interface_endpoint_settings[svc].subnet_ids : var.subnet_ids
      security_group_ids  = try(var.interface_endpoint_settings[svc].security_group_ids, null)
    }
  }

  # The IP types each interface endpoint service accepts: AWS's answer, else the catalog.
  interface_ip_types = {
    for svc, service in data.aws_vpc_endpoint_service.interface : svc => (
      length(service.supported_ip_address_types) > 0 ? tolist(service.supported_ip_address_types) :
      contains(local.ipv4_only_services, svc) ? tolist(["ipv4"]) : tolist(["ipv4", "ipv6"])
    )
  }

  # The policy gateway_policy_resources builds: the service's actions on those resources only.
  # BUCKET/* covers the objects, TABLE/* a table's indexes and streams.
  gateway_policy_statements = {
    s3       = { sid = "OnlyTheseBuckets", action = "s3:*" }
    dynamodb = { sid = "OnlyTheseTables", action = "dynamodb:*" }
  }
  gateway = {
    for svc in var.gateway_services : svc => {
      ip_address_type = try(var.gateway_endpoint_settings[svc].ip_address_type, null)
      policy = (
        try(var.gateway_endpoint_settings[svc].policy, null) != null ? var.gateway_endpoint_settings[svc].policy :
        contains(keys(var.gateway_policy_resources), svc) ? jsonencode({
          Version = "2012-10-17"
          Statement = [{
            Sid       = local.gateway_policy_statements[svc].sid
            Effect    = "Allow"
            Principal = "*"
            Action    = local.gateway_policy_statements[svc].action
            Resource  = flatten([for arn in var.gateway_policy_resources[svc] : [arn, "${arn}/*"]])
          }]
        }) : null
      )
    }
  }
}

resource "aws_vpc_endpoint" "gateway" {
  for_each = data.aws_vpc_endpoint_service.gateway

  vpc_id            = var.vpc_id
  service_name      = each.value.service_name
  vpc_endpoint_type = "Gateway"
  # null (the default): not sent, AWS's default (IPv4, full-access policy).
  ip_address_type = local.gateway[each.key].ip_address_type
  policy          = local.gateway[each.key].policy
  tags            = merge(local.tags, { Name = "${var.name}-${each.key}" })
}

# One association per (service, route table), keyed "SERVICE/INDEX": the keys are known at plan
# time even when the route table IDs are not, so a plan shows every table that gets a route.
resource "aws_vpc_endpoint_route_table_association" "gateway" {
  for_each = {
    for pair in setproduct(keys(aws_vpc_endpoint.gateway), range(length(var.route_table_ids))) :
    "${pair[0]}/${pair[1]}" => { service = pair[0], route_table_id = var.route_table_ids[pair[1]] }
  }

  vpc_endpoint_id = aws_vpc_endpoint.gateway[each.value.service].id
  route_table_id  = each.value.route_table_id
}

resource "aws_security_group" "interface" {
  # Always with interface endpoints, even when each brings its own groups
  # (interface_endpoint_settings): a count cannot depend on group IDs unknown until apply.
  count = length(var.interface_services) > 0 ? 1 : 0

  #checkov:skip=CKV2_AWS_5:Attached to every interface endpoint below (security_group_ids); checkov does not follow the [0] index of a counted group.

  name_prefix = "${var.name}-endpoints-"
  description = "HTTPS from inside the VPC to its interface endpoints"
  vpc_id      = var.vpc_id

  # No egress rules: endpoints only answer (this also removes AWS's default allow-all egress).
  egress = []

  ingress {
    description      = "HTTPS from the IPv4 and IPv6 ranges of the VPC"
    protocol         = "tcp"
    from_port        = 443
    to_port          = 443
    cidr_blocks      = [data.aws_vpc.this.cidr_block]
    ipv6_cidr_blocks = compact([data.aws_vpc.this.ipv6_cidr_block])
  }

  tags = merge(local.tags, { Name = "${var.name}-endpoints" })

  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_vpc_endpoint" "interface" {
  for_each = data.aws_vpc_endpoint_service.interface

  vpc_id              = var.vpc_id
  service_name        = each.value.service_name
  vpc_endpoint_type   = "Interface"
  private_dns_enabled = local.interface[each.key].private_dns_enabled
  # The same choice as local.interface, written out: a plan's JSON holds no locals, and `natless
  # cost` follows this expression through var.subnet_ids to the subnets (one per AZ it bills).
  subnet_ids         = try(var.interface_endpoint_settings[each.key].subnet_ids, null) != null ? var.interface_endpoint_settings[each.key].subnet_ids : var.subnet_ids
  security_group_ids = coalesce(local.interface[each.key].security_group_ids, aws_security_group.interface[*].id)
  ip_address_type    = local.interface[each.key].ip_address_type
  policy             = local.interface[each.key].policy

  dns_options {
    dns_record_ip_type = local.interface[each.key].ip_address_type
  }

  tags = merge(local.tags, { Name = "${var.name}-${each.key}" })

  lifecycle {
    precondition {
      condition     = length(local.interface[each.key].subnet_ids) > 0
      error_message = "interface_services needs subnet_ids: give one subnet per AZ for the network interfaces of the ${each.key} endpoint (subnet_ids, or interface_endpoint_settings[\"${each.key}\"].subnet_ids)."
    }
    precondition {
      condition = alltrue([
        for family in(local.interface[each.key].ip_address_type == "dualstack" ? ["ipv4", "ipv6"] : ["ipv4"]) :
        contains(local.interface_ip_types[each.key], family)
      ])
      error_message = "The ${each.key} endpoint service (${each.value.service_name}) accepts ${join(" and ", local.interface_ip_types[each.key])} only, not ip_address_type = \"${local.interface[each.key].ip_address_type}\": set interface_endpoint_settings = { ${each.key} = { ip_address_type = \"ipv4\" } } (or ip_address_type = \"ipv4\" for every interface endpoint)."
    }
  }
}
