# The benchmark's targets: a DynamoDB table, an SQS queue and an S3 bucket, all encrypted, plus
# the least-privilege IAM policy the workload needs on exactly these three.

locals {
  tags          = merge(var.tags, { "natless:module" = "bench-targets" })
  object_prefix = "bench/"
}

resource "aws_dynamodb_table" "this" {
  #checkov:skip=CKV_AWS_119:Encrypted at rest with the AWS-owned key by default; pass kms_key_arn for a customer-managed key.
  name         = var.name
  billing_mode = "PAY_PER_REQUEST"
  hash_key     = "pk"
  range_key    = "sk"

  attribute {
    name = "pk"
    type = "S"
  }

  attribute {
    name = "sk"
    type = "S"
  }

  server_side_encryption {
    enabled     = true
    kms_key_arn = var.kms_key_arn
  }

  point_in_time_recovery {
    enabled = true
  }

  tags = merge(local.tags, { Name = var.name })
}

resource "aws_sqs_queue" "this" {
  name                      = var.name
  message_retention_seconds = 3600
  sqs_managed_sse_enabled   = var.kms_key_arn == null ? true : null
  kms_master_key_id         = var.kms_key_arn
  tags                      = merge(local.tags, { Name = var.name })
}

resource "aws_s3_bucket" "this" {
  #checkov:skip=CKV_AWS_18:Benchmark scratch bucket; server access logs would need a second bucket and hold nothing of value.
  #checkov:skip=CKV_AWS_144:Benchmark objects expire within days; cross-region replication would only add cost.
  #checkov:skip=CKV_AWS_145:Encrypted with SSE-S3 by default; pass kms_key_arn for SSE-KMS.
  #checkov:skip=CKV2_AWS_62:No consumer needs object events from a benchmark bucket.
  bucket_prefix = "${var.name}-"
  force_destroy = var.force_destroy
  tags          = merge(local.tags, { Name = var.name })
}

resource "aws_s3_bucket_ownership_controls" "this" {
  bucket = aws_s3_bucket.this.id

  rule {
    object_ownership = "BucketOwnerEnforced"
  }
}

resource "aws_s3_bucket_public_access_block" "this" {
  bucket                  = aws_s3_bucket.this.id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_versioning" "this" {
  bucket = aws_s3_bucket.this.id

  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "this" {
  bucket = aws_s3_bucket.this.id

  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm     = var.kms_key_arn == null ? "AES256" : "aws:kms"
      kms_master_key_id = var.kms_key_arn
    }
    bucket_key_enabled = var.kms_key_arn != null
  }
}

# Optional only so that a throw-away stack on the emulator can skip the provider's fixed 55 s
# consistency wait for this resource (object_expiry_days = null); on by default.
resource "aws_s3_bucket_lifecycle_configuration" "this" {
  count = var.object_expiry_days == null ? 0 : 1

  bucket = aws_s3_bucket.this.id

  rule {
    id     = "expire-benchmark-objects"
    status = "Enabled"

    filter {
      prefix = local.object_prefix
    }

    expiration {
      days = var.object_expiry_days
    }
  }

  rule {
    id     = "bucket-hygiene"
    status = "Enabled"

    filter {}

    noncurrent_version_expiration {
      noncurrent_days = 1
    }

    abort_incomplete_multipart_upload {
      days_after_initiation = 1
    }
  }

  depends_on = [aws_s3_bucket_versioning.this]
}

moved {
  from = aws_s3_bucket_lifecycle_configuration.this
  to   = aws_s3_bucket_lifecycle_configuration.this[0]
}

data "aws_iam_policy_document" "tls_only" {
  statement {
    sid     = "DenyInsecureTransport"
    effect  = "Deny"
    actions = ["s3:*"]
    resources = [
      aws_s3_bucket.this.arn,
      "${aws_s3_bucket.this.arn}/*",
    ]

    principals {
      type        = "*"
      identifiers = ["*"]
    }

    condition {
      test     = "Bool"
      variable = "aws:SecureTransport"
      values   = ["false"]
    }
  }
}

resource "aws_s3_bucket_policy" "tls_only" {
  bucket = aws_s3_bucket.this.id
  policy = data.aws_iam_policy_document.tls_only.json

  depends_on = [aws_s3_bucket_public_access_block.this]
}

# What the benchmark workload may do, on these three resources only.
data "aws_iam_policy_document" "workload" {
  statement {
    sid       = "Table"
    actions   = ["dynamodb:PutItem", "dynamodb:Query"]
    resources = [aws_dynamodb_table.this.arn]
  }

  statement {
    sid       = "Queue"
    actions   = ["sqs:SendMessage"]
    resources = [aws_sqs_queue.this.arn]
  }

  statement {
    sid       = "WriteObjects"
    actions   = ["s3:PutObject"]
    resources = ["${aws_s3_bucket.this.arn}/${local.object_prefix}*"]
  }

  statement {
    sid       = "ListObjects"
    actions   = ["s3:ListBucket"]
    resources = [aws_s3_bucket.this.arn]

    condition {
      test     = "StringLike"
      variable = "s3:prefix"
      values   = ["${local.object_prefix}*"]
    }
  }

  dynamic "statement" {
    for_each = var.kms_key_arn == null ? [] : [var.kms_key_arn]
    content {
      sid       = "UseKey"
      actions   = ["kms:GenerateDataKey", "kms:Decrypt"]
      resources = [statement.value]
    }
  }
}
