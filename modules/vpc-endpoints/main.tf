# Free gateway endpoints for S3/DynamoDB on the given route tables, and optional interface
# endpoints (private DNS, dual-stack by default) behind a security group that admits HTTPS
# from the VPC's own IPv4 and IPv6 ranges only.

data "aws_vpc" "this" {
  id = var.vpc_id
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
}

resource "aws_vpc_endpoint" "gateway" {
  for_each = data.aws_vpc_endpoint_service.gateway

  vpc_id            = var.vpc_id
  service_name      = each.value.service_name
  vpc_endpoint_type = "Gateway"
  tags              = merge(local.tags, { Name = "${var.name}-${each.key}" })
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
    precondition {
      condition     = length(var.subnet_ids) > 0
      error_message = "interface_services needs subnet_ids: give one subnet per AZ for the endpoints' network interfaces."
    }
  }
}

resource "aws_vpc_endpoint" "interface" {
  for_each = data.aws_vpc_endpoint_service.interface

  vpc_id              = var.vpc_id
  service_name        = each.value.service_name
  vpc_endpoint_type   = "Interface"
  private_dns_enabled = true
  subnet_ids          = var.subnet_ids
  security_group_ids  = [aws_security_group.interface[0].id]
  ip_address_type     = var.ip_address_type

  dns_options {
    dns_record_ip_type = var.ip_address_type
  }

  tags = merge(local.tags, { Name = "${var.name}-${each.key}" })
}
