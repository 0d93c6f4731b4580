"""The benchmark operations: six by default, and ``xray_put`` on request.

``xray_put`` is not in the default set: X-Ray has no dual-stack name and no gateway endpoint,
so from a NAT-less subnet it needs an interface endpoint, and a default run must not spend
its calls timing out. Ask for it to show exactly that pitfall.

Each operation binds to its client and configuration once (outside the timed loop) and returns
a zero-argument callable that performs exactly one call; the runner times each call.
"""

from __future__ import annotations

import json
import secrets
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass

import clients
import httpget
from netconf import Settings

Call = Callable[[], object]
PK = "bench"
S3_PREFIX = "bench/"


@dataclass(frozen=True)
class Operation:
    name: str
    service: str  # evidence key: dynamodb | sqs | s3 | xray | http
    needs: tuple[str, ...]  # environment variables without which the operation cannot run
    bind: Callable[[Settings, str], Call]


def _unique_sk() -> str:
    return f"{time.time_ns():020d}-{uuid.uuid4().hex[:12]}"


def _body() -> str:
    return json.dumps({"natless": "bench", "ts_ns": time.time_ns()})


def _dynamodb_put(settings: Settings, url: str) -> Call:
    client, table = clients.get("dynamodb", settings), settings.table_name
    return lambda: client.put_item(
        TableName=table, Item={"pk": {"S": PK}, "sk": {"S": _unique_sk()}}
    )


def _dynamodb_query(settings: Settings, url: str) -> Call:
    client, table = clients.get("dynamodb", settings), settings.table_name
    return lambda: client.query(
        TableName=table,
        KeyConditionExpression="pk = :pk",
        ExpressionAttributeValues={":pk": {"S": PK}},
        Limit=10,
    )


def _sqs_send(settings: Settings, url: str) -> Call:
    client, queue_url = clients.get("sqs", settings), settings.queue_url
    return lambda: client.send_message(QueueUrl=queue_url, MessageBody=_body())


def _s3_put(settings: Settings, url: str) -> Call:
    client, bucket = clients.get("s3", settings), settings.bucket_name
    return lambda: client.put_object(
        Bucket=bucket,
        Key=f"{S3_PREFIX}{uuid.uuid4()}.json",
        Body=_body().encode(),
        ContentType="application/json",
    )


def _s3_list(settings: Settings, url: str) -> Call:
    client, bucket = clients.get("s3", settings), settings.bucket_name
    return lambda: client.list_objects_v2(Bucket=bucket, Prefix=S3_PREFIX, MaxKeys=10)


class UnprocessedSegment(Exception):
    """X-Ray answered 200 but did not accept the segment (its error code is the message)."""


def trace_segment() -> str:
    """One minimal valid X-Ray segment document, closed (start and end time), as JSON."""
    now = time.time()
    return json.dumps(
        {
            "name": "natless-bench",
            "id": secrets.token_hex(8),  # 16 hex digits
            "trace_id": f"1-{int(now):08x}-{secrets.token_hex(12)}",  # 1-<epoch hex>-<24 hex>
            "start_time": now,
            "end_time": now + 0.001,
        }
    )


def _xray_put(settings: Settings, url: str) -> Call:
    client = clients.get("xray", settings)

    def call() -> object:
        response = client.put_trace_segments(TraceSegmentDocuments=[trace_segment()])
        rejected = response.get("UnprocessedTraceSegments") or []
        if rejected:
            raise UnprocessedSegment(str(rejected[0].get("ErrorCode") or rejected[0]))
        return response

    return call


def _http_get(settings: Settings, url: str) -> Call:
    return lambda: httpget.get(
        url, settings.ip_preference, settings.connect_timeout, settings.read_timeout
    )


OPERATIONS: dict[str, Operation] = {
    op.name: op
    for op in (
        Operation("dynamodb_put", "dynamodb", ("TABLE_NAME",), _dynamodb_put),
        Operation("dynamodb_query", "dynamodb", ("TABLE_NAME",), _dynamodb_query),
        Operation("sqs_send", "sqs", ("QUEUE_URL",), _sqs_send),
        Operation("s3_put", "s3", ("BUCKET_NAME",), _s3_put),
        Operation("s3_list", "s3", ("BUCKET_NAME",), _s3_list),
        Operation("http_get", "http", (), _http_get),
        Operation("xray_put", "xray", (), _xray_put),
    )
}
DEFAULT_OPERATIONS = tuple(name for name in OPERATIONS if name != "xray_put")

SETTING_OF_ENV = {
    "TABLE_NAME": "table_name",
    "QUEUE_URL": "queue_url",
    "BUCKET_NAME": "bucket_name",
}


def missing_config(op: Operation, settings: Settings) -> list[str]:
    """The environment variables this operation needs that are not set."""
    return [env for env in op.needs if getattr(settings, SETTING_OF_ENV[env]) is None]
