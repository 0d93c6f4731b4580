output "table_name" {
  description = "Name of the DynamoDB table (pk/sk strings)."
  value       = aws_dynamodb_table.this.name
}

output "table_arn" {
  description = "ARN of the DynamoDB table."
  value       = aws_dynamodb_table.this.arn
}

output "queue_url" {
  description = "URL of the SQS queue."
  value       = aws_sqs_queue.this.url
}

output "queue_arn" {
  description = "ARN of the SQS queue."
  value       = aws_sqs_queue.this.arn
}

output "bucket_name" {
  description = "Name of the S3 bucket."
  value       = aws_s3_bucket.this.bucket
}

output "bucket_arn" {
  description = "ARN of the S3 bucket."
  value       = aws_s3_bucket.this.arn
}

output "object_prefix" {
  description = "Key prefix the workload writes under (and lifecycle expires)."
  value       = local.object_prefix
}

output "workload_policy_json" {
  description = "IAM policy for the benchmark workload: PutItem/Query on the table, SendMessage on the queue, PutObject/ListBucket under object_prefix in the bucket. Pass it to lambda-pair's policy_json."
  value       = data.aws_iam_policy_document.workload.json
}
