"""AWS's naming rules, checked at plan time on every name, name prefix and description.

A plan does not prove that AWS accepts a value: the provider validates few of these strings
(``aws_security_group`` checks its description's length only, and a rule description inside an
``ingress`` set whose CIDRs are unknown is not validated at all), so an apostrophe in a
security-group rule description passed every plan and failed every apply (issue 10). This file
checks the whole class of such values against the constraints of AWS's API reference.

How, in one ``terraform plan``:

1. ``write_both_variants`` generates a root module (Terraform JSON syntax, under the git-ignored
   ``.natless/``) that calls every module twice: once with each free-text input (``WORST_CASE``)
   at the LONGEST value its validation accepts and once at the SHORTEST, in a variety of every
   character the validation allows. Those values are derived from the validation regexes in
   ``modules/*/variables.tf``, so widening a validation widens this test.
2. Every planned managed resource is walked, nested blocks (``ingress``/``egress`` ...) included,
   and each (resource type, attribute path) in ``RULES`` is checked: allowed characters and
   minimum/maximum length as AWS documents them. A name that only exists after apply but has a
   known ``*_prefix`` is checked as prefix + the 26 characters the provider appends.
3. Completeness: a planned name-like attribute (``name``, ``name_prefix``, ``description``,
   ``*_name``, ``*_description``, ``bucket``, ``bucket_prefix``, at any depth, tags aside) that
   is neither in ``RULES`` nor in ``NOT_NAMES`` fails the test, so a new resource type forces a
   rule.
4. Not vacuous: each rule must have checked at least ``min_checked`` known values; values unknown
   until apply are counted apart, and a rule that may check none says why.

``test_checker_*`` are unit-level self-tests of the checker (no Terraform), including the
description that caused issue 10.
"""

from __future__ import annotations

import contextlib
import re
import shutil
import string
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import pytest

from natless.deploy.stack import Stack
from natless.paths import MODULES, SCRATCH
from tests.jsonroot import module_call, root_document, write_root

# --- the rules ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Rule:
    """What AWS accepts for one string attribute."""

    chars: str  # regex of ONE allowed character
    min_len: int
    max_len: int
    source: str  # the AWS API constraint this encodes
    forbidden: tuple[tuple[str, str], ...] = ()  # (regex searched in the value, why not)
    min_checked: int = 1  # known values the plan must have checked
    unchecked_why: str = ""  # required when min_checked is 0

    def problems(self, value: str) -> list[str]:
        found = []
        if not self.min_len <= len(value) <= self.max_len:
            found.append(f"length {len(value)}, allowed {self.min_len}-{self.max_len}")
        bad = sorted({c for c in value if re.fullmatch(self.chars, c) is None})
        if bad:
            found.append(f"characters {''.join(bad)!r} not in {self.chars}")
        found += [why for regex, why in self.forbidden if re.search(regex, value)]
        return found


# terraform-plugin-sdk id.PrefixedUniqueId: prefix + UTC timestamp (18 digits) + 8 hex digits.
UNIQUE_SUFFIX = "202501311259590000" + "0000001a"


def prefix_rule(rule: Rule, source: str) -> Rule:
    """The rule of a ``*_prefix`` attribute: the provider appends 26 characters to it."""
    return replace(rule, min_len=1, max_len=rule.max_len - len(UNIQUE_SUFFIX), source=source)


ANY = r"(?s:.)"
NO_CONTROL = r"[^\x00-\x1f\x7f]"

# EC2 CreateSecurityGroup GroupName / GroupDescription, and the Description of IpRange,
# Ipv6Range, UserIdGroupPair, PrefixListId and SecurityGroupRuleRequest: "Up to 255 characters
# in length. Valid characters: a-z, A-Z, 0-9, spaces, and ._-:/()#,@[]+=&;{}!$*". No apostrophe
# (issue 10). GroupName "cannot start with sg-"; GroupDescription is required (not empty).
SG_CHARS = r"[a-zA-Z0-9 ._\-:/()#,@\[\]+=&;{}!$*]"
SG_NAME = Rule(
    SG_CHARS,
    1,
    255,
    "EC2 CreateSecurityGroup GroupName: up to 255 of a-zA-Z0-9, spaces and "
    "._-:/()#,@[]+=&;{}!$*, not starting with sg-",
    forbidden=(("^sg-", "security group names cannot start with sg-"),),
)
SG_DESCRIPTION = Rule(
    SG_CHARS,
    1,
    255,
    "EC2 CreateSecurityGroup GroupDescription: 1-255 of a-zA-Z0-9, spaces and "
    "._-:/()#,@[]+=&;{}!$*",
)
SG_RULE_DESCRIPTION = Rule(
    SG_CHARS,
    0,
    255,
    "EC2 IpRange/Ipv6Range/UserIdGroupPair/SecurityGroupRuleRequest Description: up to 255 of "
    "a-zA-Z0-9, spaces and ._-:/()#,@[]+=&;{}!$*",
)
# IAM CreateRole RoleName: [\w+=,.@-]{1,64}. CreateRole/CreatePolicy Description: up to 1000 of
# [\u0009\u000A\u000D\u0020-\u007E\u00A1-\u00FF]. PutRolePolicy/CreatePolicy PolicyName:
# [\w+=,.@-]{1,128}. (\w is ASCII here: letters, digits, underscore.)
IAM_CHARS = r"[A-Za-z0-9_+=,.@-]"
IAM_ROLE_NAME = Rule(IAM_CHARS, 1, 64, r"IAM CreateRole RoleName: [\w+=,.@-]{1,64}")
IAM_DESCRIPTION = Rule(
    r"[\u0009\u000A\u000D\u0020-\u007E\u00A1-\u00FF]",
    0,
    1000,
    r"IAM CreateRole Description: up to 1000 of [\u0009\u000A\u000D\u0020-\u007E\u00A1-\u00FF]",
)
IAM_POLICY_NAME = Rule(IAM_CHARS, 1, 128, r"IAM PutRolePolicy PolicyName: [\w+=,.@-]{1,128}")
# Lambda CreateFunction FunctionName: as a bare name (not an ARN) 1-64 of [a-zA-Z0-9-_];
# Description: 0-256 characters. AddPermission StatementId: ([a-zA-Z0-9-_]+), 1-100.
LAMBDA_NAME = Rule(
    r"[a-zA-Z0-9_-]",
    1,
    64,
    "Lambda CreateFunction FunctionName: a name (not an ARN) is 1-64 of [a-zA-Z0-9-_]",
)
LAMBDA_DESCRIPTION = Rule(ANY, 0, 256, "Lambda CreateFunction Description: 0-256 characters")
LAMBDA_STATEMENT_ID = Rule(
    r"[a-zA-Z0-9_-]", 1, 100, "Lambda AddPermission StatementId: ([a-zA-Z0-9-_]+), 1-100"
)
# CloudWatch Logs CreateLogGroup logGroupName: [\.\-_/#A-Za-z0-9]+, 1-512.
LOG_GROUP_NAME = Rule(
    r"[.\-_/#A-Za-z0-9]",
    1,
    512,
    r"CloudWatch Logs CreateLogGroup logGroupName: [\.\-_/#A-Za-z0-9]+, 1-512",
)
# EventBridge PutRule Name and PutTargets Target Id: [\.\-_A-Za-z0-9]+, 1-64. PutRule
# Description: up to 512. CreateEventBus Name (PutRule EventBusName as a name): [/\.\-_A-Za-z0-9]+,
# 1-256.
EVENTS_NAME = Rule(
    r"[.\-_A-Za-z0-9]", 1, 64, r"EventBridge PutRule Name, Target Id: [\.\-_A-Za-z0-9]+, 1-64"
)
EVENTS_DESCRIPTION = Rule(ANY, 0, 512, "EventBridge PutRule Description: up to 512 characters")
EVENT_BUS_NAME = Rule(
    r"[/.\-_A-Za-z0-9]",
    1,
    256,
    r"EventBridge CreateEventBus Name / PutRule EventBusName: [/\.\-_A-Za-z0-9]+, 1-256",
)
# CloudWatch PutMetricAlarm AlarmName: 1-255, "only UTF-8 characters, and can't contain ASCII
# control characters"; AlarmDescription: 0-1024. Metric MetricName: 1-255.
ALARM_NAME = Rule(
    NO_CONTROL,
    1,
    255,
    "CloudWatch PutMetricAlarm AlarmName: 1-255 UTF-8 characters, no ASCII control characters",
)
ALARM_DESCRIPTION = Rule(
    ANY, 0, 1024, "CloudWatch PutMetricAlarm AlarmDescription: 0-1024 characters"
)
METRIC_NAME = Rule(NO_CONTROL, 1, 255, "CloudWatch Metric MetricName: 1-255 characters")
# SQS CreateQueue QueueName: up to 80 characters, alphanumerics, hyphens and underscores; a FIFO
# queue's name ends with the .fifo suffix (counted in the 80).
SQS_NAME = Rule(
    r"[A-Za-z0-9_.-]",
    1,
    80,
    "SQS CreateQueue QueueName: up to 80 alphanumerics, hyphens, underscores (FIFO: + .fifo)",
    forbidden=((r"\.(?!fifo$)", "a period only in a FIFO queue's .fifo suffix"),),
)
# DynamoDB CreateTable TableName: [a-zA-Z0-9_.-]+, 3-255. AttributeDefinition AttributeName:
# 1-255 characters.
DYNAMODB_TABLE_NAME = Rule(
    r"[a-zA-Z0-9_.-]", 3, 255, "DynamoDB CreateTable TableName: [a-zA-Z0-9_.-]+, 3-255"
)
DYNAMODB_ATTRIBUTE_NAME = Rule(
    ANY, 1, 255, "DynamoDB AttributeDefinition AttributeName: 1-255 characters"
)
# S3 general purpose bucket naming rules: 3-63 characters; lower-case letters, digits, periods
# and hyphens; begin and end with a letter or digit; no two adjacent periods; not formatted as an
# IP address; reserved prefixes xn--, sthree-, amzn-s3-demo- and suffixes -s3alias, --ol-s3,
# .mrap, --x-s3, --table-s3.
S3_RESERVED_PREFIX = (r"^(xn--|sthree-|amzn-s3-demo-)", "reserved prefix")
S3_BUCKET = Rule(
    r"[a-z0-9.-]",
    3,
    63,
    "S3 bucket naming rules: 3-63 of a-z0-9.-, starting and ending with a letter or digit",
    forbidden=(
        (r"^[.-]|[.-]$", "must begin and end with a letter or digit"),
        (r"\.\.", "no two adjacent periods"),
        (r"^\d+\.\d+\.\d+\.\d+$", "must not be formatted as an IP address"),
        S3_RESERVED_PREFIX,
        (r"(-s3alias|--ol-s3|\.mrap|--x-s3|--table-s3)$", "reserved suffix"),
    ),
)
S3_BUCKET_PREFIX = replace(
    prefix_rule(S3_BUCKET, "aws_s3_bucket bucket_prefix: bucket rules, 63 - 26 = 37 characters"),
    forbidden=(
        (r"^[.-]", "must begin with a letter or digit"),
        (r"\.\.", "no two adjacent periods"),
        S3_RESERVED_PREFIX,
    ),
)
# KMS CreateAlias AliasName: "alias/" + ^[a-zA-Z0-9/_-]+$, 1-256; alias/aws/ is reserved.
# CreateKey Description: 0-8192 characters.
KMS_ALIAS = Rule(
    r"[a-zA-Z0-9/_-]",
    7,
    256,
    "KMS CreateAlias AliasName: alias/ + [a-zA-Z0-9/_-]+, up to 256, not alias/aws/",
    forbidden=(
        (r"^(?!alias/)", "must begin with alias/"),
        (r"^alias/aws/", "alias/aws/ is reserved for AWS managed keys"),
    ),
)
KMS_DESCRIPTION = Rule(ANY, 0, 8192, "KMS CreateKey Description: 0-8192 characters")


def unchecked(rule: Rule, why: str) -> Rule:
    """The rule where the plan holds no known value to check, with the reason."""
    return replace(rule, min_checked=0, unchecked_why=why)


S3_SUBRESOURCES = (
    "aws_s3_bucket_lifecycle_configuration",
    "aws_s3_bucket_ownership_controls",
    "aws_s3_bucket_policy",
    "aws_s3_bucket_public_access_block",
    "aws_s3_bucket_server_side_encryption_configuration",
    "aws_s3_bucket_versioning",
)
BUCKET_REFERENCE = "aws_s3_bucket.this.id, unknown until apply (its name is checked there)"
DEFAULT_GROUP = "AWS names and describes the default group itself (computed: default)"
NO_RULES = "the default group keeps no rules (ingress = [], egress = [])"
NAME_SET = "the modules set name, so the prefix is computed (checked once one uses it)"

# resource type -> attribute path ("*": every element of a list or set) -> rule
RULES: dict[str, dict[str, Rule]] = {
    "aws_security_group": {
        "name": SG_NAME,
        "name_prefix": prefix_rule(SG_NAME, "aws_security_group name_prefix: 255 - 26 = 229"),
        "description": SG_DESCRIPTION,
        "ingress.*.description": SG_RULE_DESCRIPTION,
        "egress.*.description": unchecked(
            SG_RULE_DESCRIPTION,
            "no group has inline egress rules (egress = [] or aws_vpc_security_group_egress_rule)",
        ),
    },
    "aws_default_security_group": {
        "name": unchecked(SG_NAME, DEFAULT_GROUP),
        "name_prefix": unchecked(prefix_rule(SG_NAME, "as aws_security_group"), DEFAULT_GROUP),
        "description": unchecked(SG_DESCRIPTION, DEFAULT_GROUP),
        "ingress.*.description": unchecked(SG_RULE_DESCRIPTION, NO_RULES),
        "egress.*.description": unchecked(SG_RULE_DESCRIPTION, NO_RULES),
    },
    "aws_vpc_security_group_egress_rule": {"description": SG_RULE_DESCRIPTION},
    "aws_vpc_security_group_ingress_rule": {"description": SG_RULE_DESCRIPTION},
    "aws_security_group_rule": {"description": SG_RULE_DESCRIPTION},
    "aws_iam_role": {
        "name": IAM_ROLE_NAME,
        "name_prefix": prefix_rule(IAM_ROLE_NAME, "aws_iam_role name_prefix: 64 - 26 = 38"),
        "description": IAM_DESCRIPTION,
    },
    "aws_iam_role_policy": {
        "name": IAM_POLICY_NAME,
        "name_prefix": unchecked(
            prefix_rule(IAM_POLICY_NAME, "aws_iam_role_policy name_prefix: 128 - 26"), NAME_SET
        ),
    },
    "aws_iam_policy": {
        "name": IAM_POLICY_NAME,
        "name_prefix": prefix_rule(IAM_POLICY_NAME, "aws_iam_policy name_prefix: 128 - 26"),
        "description": IAM_DESCRIPTION,
    },
    "aws_lambda_function": {"function_name": LAMBDA_NAME, "description": LAMBDA_DESCRIPTION},
    "aws_lambda_function_event_invoke_config": {"function_name": LAMBDA_NAME},
    "aws_lambda_permission": {"function_name": LAMBDA_NAME, "statement_id": LAMBDA_STATEMENT_ID},
    "aws_cloudwatch_log_group": {
        "name": LOG_GROUP_NAME,
        "name_prefix": unchecked(
            prefix_rule(LOG_GROUP_NAME, "aws_cloudwatch_log_group name_prefix: 512 - 26"), NAME_SET
        ),
    },
    "aws_cloudwatch_event_rule": {
        "name": EVENTS_NAME,
        "name_prefix": unchecked(
            prefix_rule(EVENTS_NAME, "aws_cloudwatch_event_rule name_prefix: 64 - 26"), NAME_SET
        ),
        "description": EVENTS_DESCRIPTION,
        "event_bus_name": EVENT_BUS_NAME,
    },
    "aws_cloudwatch_event_target": {
        "rule": EVENTS_NAME,
        "target_id": EVENTS_NAME,
        "event_bus_name": EVENT_BUS_NAME,
    },
    "aws_cloudwatch_metric_alarm": {
        "alarm_name": ALARM_NAME,
        "alarm_description": unchecked(
            ALARM_DESCRIPTION,
            "the NAT alarms' description embeds the NAT gateway ID, unknown until apply "
            "(about 150 of the 1024 characters)",
        ),
        "metric_name": unchecked(METRIC_NAME, "the NAT alarms use metric_query instead"),
        "metric_query.*.metric.*.metric_name": METRIC_NAME,
    },
    "aws_sqs_queue": {
        "name": SQS_NAME,
        "name_prefix": unchecked(
            prefix_rule(SQS_NAME, "aws_sqs_queue name_prefix: 80 - 26 = 54"), NAME_SET
        ),
    },
    "aws_dynamodb_table": {
        "name": DYNAMODB_TABLE_NAME,
        "attribute.*.name": DYNAMODB_ATTRIBUTE_NAME,
    },
    "aws_s3_bucket": {"bucket": S3_BUCKET, "bucket_prefix": S3_BUCKET_PREFIX},
    **{rtype: {"bucket": unchecked(S3_BUCKET, BUCKET_REFERENCE)} for rtype in S3_SUBRESOURCES},
    "aws_kms_alias": {
        "name": KMS_ALIAS,
        "name_prefix": prefix_rule(KMS_ALIAS, "aws_kms_alias name_prefix: 256 - 26"),
    },
    "aws_kms_key": {"description": KMS_DESCRIPTION},
}

# Types with rules that no module plans today, so a module that starts using one is checked at
# once. The test fails when one of these is planned (move it out) or another ruled type is not.
NOT_PLANNED = {
    "aws_vpc_security_group_ingress_rule",
    "aws_security_group_rule",
    "aws_iam_policy",
    "aws_kms_alias",
    "aws_kms_key",
}

# Name-like attributes that hold no name this project chooses: type -> path -> why.
NOT_NAMES: dict[str, dict[str, str]] = {
    "aws_vpc_endpoint": {"service_name": "AWS's own service name (com.amazonaws.REGION.sqs)"},
    "aws_flow_log": {"log_group_name": "deprecated alias of log_destination, left unset"},
    "aws_dynamodb_table": {"restore_source_name": "unset: no table is restored from another"},
    "aws_s3_bucket": {
        "bucket_domain_name": "computed by AWS from the bucket name",
        "bucket_regional_domain_name": "computed by AWS from the bucket name",
    },
}

NAME_KEYS = {"name", "name_prefix", "description", "bucket", "bucket_prefix"}
NAME_SUFFIXES = ("_name", "_name_prefix", "_description")
# Map attributes: their keys are data (tag keys, environment variable names, metric dimensions),
# not attributes. Tags are free text in AWS and left out on purpose.
MAP_ATTRIBUTES = {"tags", "tags_all", "variables", "dimensions"}


def is_name_like(key: str) -> bool:
    return key in NAME_KEYS or key.endswith(NAME_SUFFIXES)


# --- the checker ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Value:
    """One planned string: ``value`` None means unknown until apply."""

    path: str  # concrete, e.g. ingress[0].description
    value: str | None
    derived_from_prefix: bool = False


def values_at(after: Any, unknown: Any, segments: list[str], at: str = "") -> Iterator[Value]:
    """The values at a path pattern ("ingress.*.description") of a planned ``after``."""
    if unknown is True:
        yield Value(at, None)
        return
    if not segments:
        if isinstance(after, str):
            yield Value(at, after)
        elif after is not None:
            raise TypeError(f"{at} is {type(after).__name__}, not a string")
        return
    head, rest = segments[0], segments[1:]
    if head == "*":
        for i, item in enumerate(after or []):
            sub = unknown[i] if isinstance(unknown, list) and i < len(unknown) else False
            yield from values_at(item, sub, rest, f"{at}[{i}]")
        return
    if not isinstance(after, dict):
        return
    sub = unknown.get(head, False) if isinstance(unknown, dict) else False
    yield from values_at(after.get(head), sub, rest, f"{at}.{head}" if at else head)


@dataclass
class Tally:
    checked: Counter[tuple[str, str]] = field(default_factory=Counter)
    unknown: Counter[tuple[str, str]] = field(default_factory=Counter)
    problems: list[str] = field(default_factory=list)
    values: set[str] = field(default_factory=set)  # every known value checked


def planned_values(change: dict[str, Any], path: str) -> Iterator[Value]:
    after = change.get("after") or {}
    unknown = change.get("after_unknown") or {}
    for found in values_at(after, unknown, path.split(".")):
        prefix_key = f"{path}_prefix"
        if found.value is None and "." not in path and isinstance(after.get(prefix_key), str):
            # name_prefix / bucket_prefix known: the provider appends a 26-character unique id.
            yield replace(found, value=after[prefix_key] + UNIQUE_SUFFIX, derived_from_prefix=True)
        else:
            yield found


def check_resource(rc: dict[str, Any], tally: Tally, rules: dict[str, dict[str, Rule]]) -> None:
    """Check one entry of ``resource_changes`` against ``rules``, counting into ``tally``."""
    if rc["mode"] != "managed" or rc["change"]["actions"] == ["delete"]:
        return
    for path, rule in rules.get(rc["type"], {}).items():
        key = (rc["type"], path)
        for found in planned_values(rc["change"], path):
            if found.value is None:
                tally.unknown[key] += 1
                continue
            tally.checked[key] += 1
            tally.values.add(found.value)
            for problem in rule.problems(found.value):
                origin = " (name_prefix + 26 generated characters)" * found.derived_from_prefix
                tally.problems.append(
                    f"{rc['address']} {found.path} = {found.value!r}{origin}: {problem} "
                    f"[{rule.source}]"
                )


def attribute_paths(change: dict[str, Any]) -> set[str]:
    """Every attribute path of a planned resource, "*" for list elements, maps left out."""
    paths: set[str] = set()

    def walk(node: Any, at: str) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if key in MAP_ATTRIBUTES:
                    continue
                path = f"{at}.{key}" if at else key
                paths.add(path)
                walk(value, path)
        elif isinstance(node, list):
            for item in node:
                walk(item, f"{at}.*")

    walk(change.get("after") or {}, "")
    walk(change.get("after_unknown") or {}, "")
    return paths


def unruled_names(rc: dict[str, Any], rules: dict[str, dict[str, Rule]]) -> set[str]:
    """Name-like attribute paths of a planned resource that no rule covers and none excuses."""
    if rc["mode"] != "managed" or rc["change"]["actions"] == ["delete"]:
        return set()
    covered = set(rules.get(rc["type"], {})) | set(NOT_NAMES.get(rc["type"], {}))
    return {
        f"{rc['type']}.{path}"
        for path in attribute_paths(rc["change"])
        if is_name_like(path.rsplit(".", 1)[-1]) and path not in covered
    }


# --- worst-case inputs, derived from the modules' validations ------------------------------------

_CLASS_BODY = r"\^?(?:\\.|[^\]\\])+"
# ^[first][rest]{m,n}$  (name-like validations), or ^[class]+$ with length() bounds
_BOUNDED = re.compile(rf"^\^\[({_CLASS_BODY})\]\[({_CLASS_BODY})\]\{{(\d+),(\d+)\}}\$$")
_REPEATED = re.compile(rf"^\^\[({_CLASS_BODY})\]\+\$$")
PRINTABLE = [chr(c) for c in range(0x20, 0x7F)]


def expand_class(body: str) -> list[str]:
    """The characters of a regex character class body (ASCII printable for a negated one)."""
    negated = body.startswith("^")
    body = body.removeprefix("^")
    chars: list[str] = []
    i = 0
    while i < len(body):
        c = body[i]
        if c == "\\":
            chars.append(body[i + 1])
            i += 2
        elif i + 2 < len(body) and body[i + 1] == "-":
            chars += [chr(x) for x in range(ord(c), ord(body[i + 2]) + 1)]
            i += 3
        else:
            chars.append(c)
            i += 1
    if negated:
        return [c for c in PRINTABLE if c not in chars]
    return list(dict.fromkeys(chars))


def variety(chars: list[str], length: int) -> str:
    """``length`` characters taken in turn from lower case, upper case, digits and the rest."""
    kinds = [
        [c for c in chars if c in string.ascii_lowercase],
        [c for c in chars if c in string.ascii_uppercase],
        [c for c in chars if c in string.digits],
        [c for c in chars if c not in string.ascii_letters + string.digits],
    ]
    kinds = [k for k in kinds if k]
    out = []
    for i in range(length):
        kind = kinds[i % len(kinds)]
        out.append(kind[(i // len(kinds)) % len(kind)])
    return "".join(out)


def variable_block(module: str, variable: str) -> str:
    text = (MODULES / module / "variables.tf").read_text()
    match = re.search(rf'^variable "{re.escape(variable)}" \{{$(.*?)^\}}$', text, re.M | re.S)
    assert match, f"modules/{module}/variables.tf declares no variable {variable!r}"
    return match[1]


def validation_regex(module: str, variable: str) -> str:
    """The first validation regex of a variable that has a shape ``extremes`` understands."""
    block = variable_block(module, variable)
    for literal in re.findall(r'regex\("((?:[^"\\]|\\.)*)"', block):
        regex = literal.replace('\\"', '"').replace("\\\\", "\\")
        if _BOUNDED.match(regex) or _REPEATED.match(regex):
            return regex
    raise AssertionError(f"no validation regex of a known shape for {module} {variable}")


def length_bounds(module: str, variable: str) -> tuple[int | None, int | None]:
    """The ``length(var.X) >= a`` and ``<= b`` bounds of a variable's validation, if any."""
    block = variable_block(module, variable)
    bounds = []
    for op in (">=", "<="):
        match = re.search(rf"length\(var\.{variable}\) {op} (\d+)", block)
        bounds.append(int(match[1]) if match else None)
    return bounds[0], bounds[1]


def extremes(module: str, variable: str) -> tuple[str, str, str]:
    """The shortest and the longest value the variable's validation accepts, and its regex."""
    regex = validation_regex(module, variable)
    bounded = _BOUNDED.match(regex)
    if bounded:
        first, rest = expand_class(bounded[1]), expand_class(bounded[2])
        low, high = int(bounded[3]), int(bounded[4])
        return first[0] + variety(rest, low), first[0] + variety(rest, high), regex
    repeated = _REPEATED.match(regex)
    low, high = length_bounds(module, variable)
    assert repeated and low is not None and high is not None, f"{module} {variable}: no bounds"
    chars = expand_class(repeated[1])
    return variety(chars, low), variety(chars, high), regex


# Every module input that reaches a name or description, at its extremes: (module, variable).
# egress_destinations is a map whose keys (labels) go into rule descriptions; split-functions
# passes its own to modules/function, which validates them.
WORST_CASE = [
    ("dual-stack-vpc", "name"),
    ("vpc-endpoints", "name"),
    ("lambda-pair", "name"),
    ("bench-targets", "name"),
    ("split-functions", "name"),
    ("split-functions", "metric_namespace"),
    ("split-functions", "metric_name"),
    ("function", "name"),
    ("function", "description"),
    ("function", "security_group_name_prefix"),
    ("function", "policy_name"),
    ("function", "egress_destinations"),
]
# Inputs in names or descriptions that are no free text: (module, variable) -> why.
NOT_TEXT = {
    ("dual-stack-vpc", "nat_bytes_alarm_gb_per_day"): "a number, in the NAT alarm's description "
    "(unknown until apply anyway)",
    ("function", "https_egress"): "a bool choosing one of two fixed group descriptions (the "
    "longest variant plans one, the shortest the other)",
}
VARIANTS = ("shortest", "longest")
WORK = SCRATCH / "aws-names"


def worst_case(variant: str) -> dict[tuple[str, str], str]:
    index = VARIANTS.index(variant)
    return {key: extremes(*key)[index] for key in WORST_CASE}


def module_calls(variant: str) -> dict[str, tuple[str, dict[str, Any]]]:
    """label -> (module, inputs): every module, its free text at one extreme."""
    text = worst_case(variant)
    longest = variant == "longest"
    vpc = f"vpc_{variant}"
    literal_vpc = {"vpc_id": "vpc-0123456789abcdef0"}
    return {
        vpc: (
            "dual-stack-vpc",
            {
                "name": text[("dual-stack-vpc", "name")],
                "az_count": 3 if longest else 1,
                "nat_mode": "per_az" if longest else "single",
                "nat_bytes_alarm_gb_per_day": 5,
            },
        ),
        f"endpoints_{variant}": (
            "vpc-endpoints",
            {
                "name": text[("vpc-endpoints", "name")],
                "vpc_id": f"${{module.{vpc}.vpc_id}}",
                "route_table_ids": f"${{module.{vpc}.private_route_table_ids}}",
                "interface_services": ["sqs", "xray"] if longest else ["sqs"],
                "interface_endpoint_settings": {"xray": {"ip_address_type": "ipv4"}}
                if longest
                else {},
                "subnet_ids": f"${{module.{vpc}.private_subnet_ids}}",
            },
        ),
        f"pair_{variant}": (
            "lambda-pair",
            {
                "name": text[("lambda-pair", "name")],
                "package_path": "${path.module}/fn.zip",
                "subnet_ids": ["subnet-0123456789abcdef0"],
                "vpc_ipv4_cidr_block": "10.0.0.0/16",  # the made-up vpc_id cannot be looked up
                **literal_vpc,
            },
        ),
        f"targets_{variant}": ("bench-targets", {"name": text[("bench-targets", "name")]}),
        # In a VPC with its own group: the longest variant with the egress_destinations group
        # (the longer description), the shortest with HTTPS egress.
        f"function_{variant}": (
            "function",
            {
                "name": text[("function", "name")],
                "description": text[("function", "description")],
                "package_path": "${path.module}/fn.zip",
                "vpc_config": {
                    "subnet_ids": ["subnet-0123456789abcdef0"],
                    **literal_vpc,
                },
                "security_group_name_prefix": text[("function", "security_group_name_prefix")],
                "https_egress": not longest,
                "vpc_ipv4_cidr_block": None if longest else "10.0.0.0/16",
                "egress_destinations": {
                    text[("function", "egress_destinations")]: {
                        "security_group_id": "sg-0123456789abcdef0",
                        "port": 65535 if longest else 1,
                    }
                },
                "policy_name": text[("function", "policy_name")],
            },
        ),
        f"split_{variant}": (
            "split-functions",
            {
                "name": text[("split-functions", "name")],
                "private_package_path": "${path.module}/fn.zip",
                "public_package_path": "${path.module}/fn.zip",
                "subnet_ids": ["subnet-0123456789abcdef0"],
                "egress_destinations": {
                    text[("function", "egress_destinations")]: {
                        "security_group_id": "sg-0123456789abcdef0",
                        "port": 65535 if longest else 1,
                    }
                },
                "db_host": "db.example.internal",
                "db_name": "app",
                "db_user": "reader",
                "db_resource_id": "db-ABCDEFGHIJKLMNOPQRSTUVWXY0",
                "metric_namespace": text[("split-functions", "metric_namespace")],
                "metric_name": text[("split-functions", "metric_name")],
                **literal_vpc,
            },
        ),
    }


def root_module(folder: Path) -> dict[str, Any]:
    """Both variants as one Terraform JSON root module (a ``main.tf.json`` document)."""
    calls = {
        label: module_call(folder, module, inputs)
        for variant in VARIANTS
        for label, (module, inputs) in module_calls(variant).items()
    }
    return root_document(calls)


def write_both_variants() -> Path:
    folder = WORK / f"root-{uuid.uuid4().hex[:8]}"
    return write_root(folder, root_module(folder))


def remove_root(folder: Path) -> None:
    shutil.rmtree(folder, ignore_errors=True)
    with contextlib.suppress(OSError):
        folder.parent.rmdir()  # WORK, when no other run uses it


_ASSIGNMENT = re.compile(r"^\s*(\w+)\s*=\s*(.+)$", re.M)


def inputs_in_names() -> set[tuple[str, str]]:
    """(module, variable) of every ``var.X`` on a name-like line of ``modules/*/main.tf``."""
    ruled = {path.rsplit(".", 1)[-1] for paths in RULES.values() for path in paths}
    return {
        (main.parent.name, variable)
        for main in MODULES.glob("*/main.tf")
        for key, value in _ASSIGNMENT.findall(main.read_text())
        if is_name_like(key) or key in ruled
        for variable in re.findall(r"\bvar\.(\w+)", value)
    }


# --- the plan --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def planned(emulator) -> dict[str, Any]:
    """One plan of both variants of every module (about 12 s of terraform plan)."""
    folder = write_both_variants()
    try:
        with Stack.create(folder, emulator.redirect()) as stack:
            return stack.plan()
    finally:
        remove_root(folder)


@pytest.fixture(scope="module")
def tally(planned: dict[str, Any]) -> Tally:
    result = Tally()
    for rc in planned["resource_changes"]:
        check_resource(rc, result, RULES)
    return result


def planned_types(plan: dict[str, Any]) -> set[str]:
    return {
        rc["type"]
        for rc in plan["resource_changes"]
        if rc["mode"] == "managed" and rc["change"]["actions"] != ["delete"]
    }


@pytest.mark.plan
def test_every_planned_name_and_description_is_accepted_by_aws(tally: Tally) -> None:
    assert not tally.problems, "values AWS rejects at apply:\n" + "\n".join(tally.problems)


@pytest.mark.plan
def test_every_planned_name_attribute_has_a_rule(planned: dict[str, Any]) -> None:
    unruled = set().union(*(unruled_names(rc, RULES) for rc in planned["resource_changes"]))
    assert not unruled, (
        f"name-like attributes without a rule: {sorted(unruled)}; add the AWS constraint to "
        "RULES (or, when the value is no name the modules choose, the reason to NOT_NAMES)"
    )


@pytest.mark.plan
def test_every_rule_checked_known_values(planned: dict[str, Any], tally: Tally) -> None:
    types = planned_types(planned)
    assert not NOT_PLANNED & types, f"planned now, remove from NOT_PLANNED: {NOT_PLANNED & types}"
    assert set(RULES) - types == NOT_PLANNED, "ruled types no module plans belong in NOT_PLANNED"
    report = []
    too_few = []
    for rtype in sorted(types & set(RULES)):
        for path, rule in RULES[rtype].items():
            checked, unknown = tally.checked[(rtype, path)], tally.unknown[(rtype, path)]
            report.append(f"{rtype}.{path}: {checked} checked, {unknown} unknown until apply")
            if checked < rule.min_checked:
                too_few.append(f"{rtype}.{path}: {checked} < {rule.min_checked}")
    print("\n" + "\n".join(report))
    assert not too_few, f"rules that checked too few planned values: {too_few}"


@pytest.mark.plan
def test_the_longest_inputs_reached_the_checked_names(tally: Tally) -> None:
    longest = worst_case("longest")
    reaching = inputs_in_names() | {("function", "egress_destinations")}  # each.key
    missing = [
        key
        for key in WORST_CASE
        if key in reaching and not any(longest[key] in value for value in tally.values)
    ]
    assert not missing, f"longest inputs found in no checked value: {missing}"


# --- self-tests of the checker and of the worst-case inputs (no Terraform) ---------------------


def security_group_change(description: str) -> dict[str, Any]:
    """A planned interface-endpoint group as in ``resource_changes`` (CIDRs unknown)."""
    return {
        "address": "module.endpoints.aws_security_group.interface[0]",
        "mode": "managed",
        "type": "aws_security_group",
        "change": {
            "actions": ["create"],
            "after": {
                "description": "HTTPS from inside the VPC to its interface endpoints",
                "egress": [],
                "ingress": [{"description": description, "from_port": 443, "protocol": "tcp"}],
                "name": None,
                "name_prefix": "natless-endpoints-",
                "tags": {"Name": "the VPC's endpoints"},  # tags are free text: never checked
            },
            "after_unknown": {
                "ingress": [{"cidr_blocks": True, "ipv6_cidr_blocks": True}],
                "name": True,
            },
        },
    }


def test_checker_rejects_the_apostrophe_of_issue_10() -> None:
    old = Tally()
    check_resource(
        security_group_change("HTTPS from the VPC's own IPv4 and IPv6 ranges"), old, RULES
    )
    (problem,) = old.problems
    assert "ingress[0].description" in problem and 'characters "\'"' in problem
    new = Tally()
    check_resource(
        security_group_change("HTTPS from the IPv4 and IPv6 ranges of the VPC"), new, RULES
    )
    assert new.problems == []
    assert new.checked[("aws_security_group", "ingress.*.description")] == 1
    # the name is unknown (name_prefix): checked as the prefix plus the provider's 26 characters
    assert new.checked[("aws_security_group", "name")] == 1


def test_checker_lengths_prefixes_and_unknown_values() -> None:
    role = {
        "address": "aws_iam_role.flow",
        "mode": "managed",
        "type": "aws_iam_role",
        "change": {
            "actions": ["create"],
            "after": {"name": None, "name_prefix": "x" * 39, "description": None},
            "after_unknown": {"name": True, "description": True},
        },
    }
    function = {
        "address": "aws_lambda_function.this",
        "mode": "managed",
        "type": "aws_lambda_function",
        "change": {
            "actions": ["create"],
            "after": {"function_name": "f" * 65, "description": "d" * 257},
            "after_unknown": {},
        },
    }
    tally = Tally()
    for rc in (role, function):
        check_resource(rc, tally, RULES)
    assert len(tally.problems) == 4, tally.problems  # prefix 39 > 38, name 65 > 64, 65, 257
    assert any("name_prefix + 26 generated characters" in p for p in tally.problems)
    assert tally.unknown[("aws_iam_role", "description")] == 1
    assert tally.checked[("aws_iam_role", "description")] == 0
    assert S3_BUCKET.problems("my..bucket-") == [
        "must begin and end with a letter or digit",
        "no two adjacent periods",
    ]
    assert SG_NAME.problems("sg-web") == ["security group names cannot start with sg-"]
    assert SQS_NAME.problems("jobs.fifo") == [] and SQS_NAME.problems("jobs.v2") != []


def test_checker_demands_a_rule_for_every_name_attribute() -> None:
    topic = {
        "address": "aws_sns_topic.alerts",
        "mode": "managed",
        "type": "aws_sns_topic",
        "change": {
            "actions": ["create"],
            "after": {"name": "alerts", "display_name": "", "tags": {"team_name": "x"}},
            "after_unknown": {"delivery": [{"description": True}]},
        },
    }
    assert unruled_names(topic, RULES) == {
        "aws_sns_topic.name",
        "aws_sns_topic.display_name",
        "aws_sns_topic.delivery.*.description",
    }
    assert unruled_names(security_group_change("x"), RULES) == set()


def test_rules_are_well_formed() -> None:
    for rtype, paths in RULES.items():
        for path, rule in paths.items():
            where = f"{rtype}.{path}"
            re.compile(rule.chars)
            assert all(re.compile(regex) and why for regex, why in rule.forbidden), where
            assert rule.source and 0 <= rule.min_len <= rule.max_len, where
            assert rule.min_checked > 0 or rule.unchecked_why, f"{where}: say why none is checked"
            assert path not in NOT_NAMES.get(rtype, {}), f"{where} both ruled and excused"
    assert set(RULES) >= NOT_PLANNED


@pytest.mark.parametrize("key", WORST_CASE, ids=lambda k: f"{k[0]}.{k[1]}")
def test_worst_case_inputs_are_the_extremes_of_their_validation(key: tuple[str, str]) -> None:
    shortest, longest, regex = extremes(*key)
    low, high = length_bounds(*key)

    def valid(value: str) -> bool:
        in_bounds = (low is None or len(value) >= low) and (high is None or len(value) <= high)
        return in_bounds and re.fullmatch(regex, value) is not None

    assert valid(shortest) and valid(longest)
    assert not valid(longest + longest[-1]), "a longer value is valid: not the longest"
    assert not valid(shortest[:-1]), "a shorter value is valid: not the shortest"
    assert len(set(longest)) >= min(len(longest), 4), "the longest value mixes character kinds"


def test_every_input_that_reaches_a_name_has_a_worst_case_value() -> None:
    """Inputs on name-like lines of modules/*/main.tf are all in WORST_CASE (or NOT_TEXT)."""
    used = inputs_in_names()
    assert ("vpc-endpoints", "name") in used  # the scan sees module names
    missing = used - set(WORST_CASE) - set(NOT_TEXT)
    assert not missing, f"inputs used in names or descriptions without a worst case: {missing}"
