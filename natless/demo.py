"""The whole job in one run: deploy an example, check its routes, run the pair, compare, clean up.

Two targets share every step:

- the embedded emulator (``natless demo``): natless starts it and stops it; functions run
  through the emulator's local Invoke service. Where the machine allows it (root, network
  namespaces, nftables and unbound installable), they run in the lab (:mod:`natless.net.lab`):
  each inside a namespace replica of its subnet, or of Lambda's own network for the function
  without VPC config, with the lab's resolver, its CA and no endpoint override, so their calls
  take the routes the tables give to a TLS front of the emulator; the report says which paths
  carried them. Otherwise one line says why and they run on this host against the emulator's
  loopback endpoint, with a local stand-in for the public API;
- an AWS account (``natless demo --aws``, ``make e2e``): refuses to start unless the caller's
  account equals NATLESS_SANDBOX_ACCOUNT_ID; every name and tag carries the run id; destroy
  retries while AWS releases the VPC function's network interfaces. ``--endpoint-url`` points
  this path at any AWS-compatible endpoint instead (the tests use the emulator).

Whatever happens after the first resource is created (success, failure, Ctrl-C, SIGTERM,
SIGHUP), the stack is destroyed; if that fails or a second signal stops it, the working copy and
its state are kept and the exact command that finishes the teardown is printed. A run killed
outright (SIGKILL) leaves its working copy for ``natless clean``; the next run says so.
"""

from __future__ import annotations

import contextlib
import json
import sys
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import boto3

from natless import aws
from natless.bench import invoker
from natless.bench.compare import compare
from natless.bench.localhttp import LocalApi
from natless.bench.report import render_table, write_report
from natless.console.progress import Progress
from natless.deploy.clean import notice_left_behind
from natless.deploy.outputs import function_names
from natless.deploy.package import build_package, known_functions
from natless.deploy.sandbox import require_sandbox
from natless.deploy.stack import Stack
from natless.emulator import ACCESS_KEY, REGION, SECRET_KEY, Emulator
from natless.errors import UserError
from natless.net.lab import Lab
from natless.net.labdns import DUALSTACK_PUBLIC
from natless.net.labplan import MANAGED_NAME, MANAGED_SOURCE
from natless.net.observe import prepare
from natless.net.routes import Reader, RouteMatrix, render, route_matrix
from natless.paths import REPORTS, example_dir

STAGES = 7
EMULATOR_TEARDOWN = "stop the emulator, and every resource with it"
# The examples that deploy a Lambda pair (the demo runs and compares it).
PAIR_EXAMPLES = ("egress-only", "nat-gateway")
LAB_MODES = ("auto", "on", "off")
# What a function in the lab trusts instead of the public CAs: the lab CA (botocore reads
# AWS_CA_BUNDLE, Python's ssl SSL_CERT_FILE, requests REQUESTS_CA_BUNDLE); what it loses: the
# endpoint override, so the SDK resolves the region's real names and picks the family itself.
CA_VARIABLES = ("AWS_CA_BUNDLE", "SSL_CERT_FILE", "REQUESTS_CA_BUNDLE")
LAB_UNSET = ("AWS_ENDPOINT_URL",)
LAB_PUBLIC_URL = f"https://{DUALSTACK_PUBLIC}/natless-bench"  # the lab's dual-stack public host


@dataclass
class Target:
    """Where the stack goes: the embedded emulator, an AWS account, or another endpoint."""

    mode: str  # "emulator" or "aws"
    endpoint_url: str | None = None
    region: str | None = None
    destroy_attempts: int = 1
    destroy_wait_s: float = 0.0

    @property
    def local(self) -> bool:
        """True when nothing runs in AWS (so no public internet for the workload either)."""
        return self.mode == "emulator" or self.endpoint_url is not None


@dataclass
class DemoResult:
    run_id: str
    report_dir: Path
    reports: dict[str, Path]
    outputs: dict[str, Any]
    timings: dict[str, float] = field(default_factory=dict)


def new_run_id() -> str:
    return f"{datetime.now(UTC):%Y%m%dT%H%M%SZ}-{uuid.uuid4().hex[:6]}"


def _emulator_at(url: str) -> Emulator:
    parsed = urlparse(url)
    if parsed.scheme != "http" or not parsed.hostname or not parsed.port:
        raise UserError(f"--endpoint-url must look like http://127.0.0.1:PORT, got {url!r}")
    return Emulator(host=parsed.hostname, port=parsed.port)


def _session(target: Target, emulator: Emulator | None) -> boto3.session.Session:
    if emulator is not None:
        return boto3.session.Session(
            aws_access_key_id=ACCESS_KEY, aws_secret_access_key=SECRET_KEY, region_name=REGION
        )
    return aws.session(target.region)


@dataclass
class InLab:
    """Functions running in a lab: the node each runs in, and who sent what the lab saw."""

    lab: Lab
    placed: dict[str, str]  # function -> the lab node its invocations run in
    senders: dict[str, str]  # a source address as the lab's listeners see it -> function(s)

    def paths(self) -> dict[str, str]:
        """``function -> host``: the gateway (or Lambda's network) that carried its requests
        there, the source family the listener saw, and how many connections."""
        seen: Counter[tuple[str, str, str, str]] = Counter()
        for c in self.lab.connections():
            if c.kind not in ("aws", "public"):
                continue
            carrier = self.lab.plan.carrier(c.node, c.via)
            family = "IPv6" if ":" in c.peer else "IPv4"
            host = c.host or c.server_name or "?"
            seen[(self.senders.get(c.peer, c.peer), host, carrier or c.node, family)] += 1
        return {
            f"{function} -> {host}": f"{carrier} ({family}), {n} connection{'s' * (n != 1)}"
            for (function, host, carrier, family), n in sorted(seen.items())
        }


@contextlib.contextmanager
def functions_in_lab(
    emulator: Emulator,
    reader: Reader,
    matrix: RouteMatrix,
    *,
    prefix: str | None = None,
    state_dir: Path | None = None,
) -> Iterator[InLab]:
    """Build the lab for the matrix's functions and run their invocations inside it until the
    block ends; then they run on this host again and the lab is removed.

    A VPC function runs in the namespace of its first subnet (the matrix's rows are sorted by
    availability zone, then subnet ID: Lambda itself spreads invocations over every subnet,
    whose routes `natless routes --observe` checks one by one); a function without VPC config
    runs in the lab's ``aws`` node, Lambda's own network (IPv4 only). Each trusts the lab CA and
    has no endpoint override: the SDK resolves the region's real names through the lab's
    resolver and connects to what they answer.
    """
    plan = prepare(reader, matrix, managed=True).plan
    with Lab.running(plan, prefix, state_dir, upstream=emulator.url) as lab:
        assert lab.ca is not None
        placed: dict[str, str] = {}
        senders: dict[str, str] = {}
        for index, row in enumerate(matrix.rows):
            node = f"fn{index}" if f"fn{index}" in plan.nodes else MANAGED_NAME
            if placed.setdefault(row.function, node) != node:
                continue  # another subnet of a function already placed: not where it runs
            if node == MANAGED_NAME:
                continue
            senders[plan.function_ipv4[index]] = row.function
            if index in plan.function_ipv6:
                senders[plan.function_ipv6[index]] = row.function
            for cell in row.cells.values():  # what leaves through its NAT has the NAT's address
                if cell.target in plan.eips:
                    senders[plan.eips[cell.target]] = row.function
        managed = [f for f, node in placed.items() if node == MANAGED_NAME]
        if managed:  # Lambda's network: every such function leaves from its one address
            senders[str(MANAGED_SOURCE)] = ", ".join(managed)
        env = dict.fromkeys(CA_VARIABLES, str(lab.ca.ca_path))
        try:
            for function, node in placed.items():
                emulator.place(function, lab.namespace(node), env, LAB_UNSET)
            yield InLab(lab, placed, senders)
        finally:
            for function in placed:
                with contextlib.suppress(UserError, OSError):
                    emulator.place(function, None)


def run_demo(
    example: str,
    target: Target,
    *,
    iterations: int = invoker.DEFAULT_ITERATIONS,
    reports_root: Path = REPORTS,
    run_id: str | None = None,
    progress: Progress | None = None,
    lab: str = "auto",
) -> DemoResult:
    """Deploy, route, run the pair, compare, report, destroy (see the module docstring).

    ``lab`` (the embedded emulator only): "auto" runs the pair in the lab when this machine
    allows it and says why not otherwise; "on" requires it; "off" never builds it.
    """
    source = example_dir(example)
    if lab not in LAB_MODES:
        raise UserError(f"lab must be one of {', '.join(LAB_MODES)}, got {lab!r}")
    if example not in PAIR_EXAMPLES:
        raise UserError(
            f"the demo runs a Lambda pair, which examples/{example} does not deploy; choose one "
            f"of: {', '.join(PAIR_EXAMPLES)}"
        )
    if not 1 <= iterations <= 10000:
        raise UserError(f"iterations must be 1..10000, got {iterations}")
    notice_left_behind()
    run = _Run(example, source, target, iterations, reports_root, run_id or new_run_id(), lab)
    run.progress = progress or Progress(STAGES)
    with ExitStack() as cleanup:
        try:
            result = run.deploy_and_measure(cleanup)
        except BaseException:
            if run.created:
                print("natless: the run stopped early: destroying what it created", file=sys.stderr)
            raise
        # 7. destroy: the ExitStack does it here, or after any failure or Ctrl-C above
        what = EMULATOR_TEARDOWN if target.mode == "emulator" else "terraform destroy"
        with run.progress.stage("destroy", what):
            cleanup.close()
    result.timings = dict(run.progress.timings)
    return result


@dataclass
class _Run:
    example: str
    source: Path
    target: Target
    iterations: int
    reports_root: Path
    run_id: str
    lab: str = "auto"
    progress: Progress = field(default_factory=lambda: Progress(STAGES))
    created: bool = False  # a Terraform working copy exists (resources may too)

    def deploy_and_measure(self, cleanup: ExitStack) -> DemoResult:
        target, progress = self.target, self.progress
        # 1. where to deploy
        where = f" at {target.endpoint_url}" if target.endpoint_url else ""
        with progress.stage("target", target.mode + where):
            emulator: Emulator | None = None
            if target.mode == "emulator":
                emulator = cleanup.enter_context(Emulator.start())
            elif target.endpoint_url:
                emulator = _emulator_at(target.endpoint_url)
            sess = _session(target, emulator)
            endpoint = {"endpoint_url": emulator.url} if emulator else {}
            account = None
            if target.mode == "aws":
                account = require_sandbox(sess.client("sts", **endpoint))
                print(f"      sandbox account {account} confirmed", flush=True)
        # 2. the package
        with progress.stage("package", "lambda_src/bench -> build/bench.zip"):
            package = build_package("bench")
        # 3. deploy
        tf_vars: dict[str, Any] = {
            "name": f"natless-{self.run_id[-6:]}",
            "tags": {"natless:run-id": self.run_id},
        }
        if not emulator:  # deploy where the harness reads routes and invokes
            tf_vars["region"] = sess.region_name
        if target.mode == "emulator":
            # No bucket lifecycle rules on a stack that lives a minute: the provider's fixed 55 s
            # consistency wait for them would be the apply's critical path. Their values are
            # applied by the tests (tests/emulator/test_coverage_apply.py); AWS runs keep them.
            tf_vars["object_expiry_days"] = None
        with progress.stage("apply", f"examples/{self.example} as {tf_vars['name']}"):
            stack = Stack.create(
                self.source, emulator.redirect() if emulator else None, account=account
            )
            if target.mode == "emulator":
                # The run's own emulator holds every resource and nothing outlives it: stopping
                # it is the teardown (terraform destroy would spend 15 s deleting them one by one
                # from a process about to exit). The test suite destroys every example for real.
                cleanup.callback(stack.discard_with, emulator.stop)
            else:
                cleanup.callback(stack.close, target.destroy_attempts, target.destroy_wait_s)
            self.created = True
            stack.apply(tf_vars)
            outputs = stack.outputs()
        functions = function_names(outputs)
        lam = invoker.lambda_client(sess, **endpoint)
        # 4. routes
        with progress.stage("routes", ", ".join(functions.values())):
            ec2 = sess.client("ec2", **endpoint)
            matrix = route_matrix(ec2, lam, [functions["vpc"], functions["public"]])
            print(render(matrix), flush=True)
        # 5. the pair
        with progress.stage("run", f"{self.iterations} calls per operation in each placement"):
            in_lab = None
            if emulator is not None and target.mode == "emulator":
                in_lab = self.enter_lab(
                    cleanup, emulator, Reader(ec2, ec2.meta.region_name), matrix
                )
            if in_lab is not None:
                url: str | None = LAB_PUBLIC_URL
            else:
                url = cleanup.enter_context(LocalApi()).url if target.local else None
            results = invoker.run_pair(lam, functions, iterations=self.iterations, url=url)
        # 6. compare and report
        with progress.stage("compare", "ratio of medians, 95% interval widened by the A/A noise"):
            comparison = compare(results["vpc"], results["public"])
            meta = {
                "run_id": self.run_id,
                "example": self.example,
                "mode": "endpoint" if target.endpoint_url else target.mode,
                "iterations": self.iterations,
                "package_sha256": package.sha256_b64,
                "functions": functions,
            }
            if emulator is not None and target.mode == "emulator":
                meta["path"] = "lab" if in_lab is not None else "loopback"
            if in_lab is not None:
                meta["lab"] = (
                    f"{in_lab.lab.lab_id}, built in {in_lab.lab.build_s:.2f} s; "
                    + ", ".join(f"{f} in {n}" for f, n in in_lab.placed.items())
                )
                meta["lab_paths"] = in_lab.paths()
                print("paths the lab saw (function -> host: carrier, source family):")
                for what, how in meta["lab_paths"].items():
                    print(f"  {what}: {how}")
            report_dir = self.reports_root / self.run_id
            reports = write_report(
                report_dir,
                comparison,
                results["vpc"],
                results["public"],
                routes=matrix.as_json(),
                meta=meta,
            )
            shown = "lab" if meta.get("path") == "lab" else meta["mode"]
            print(render_table(comparison, mode=shown), flush=True)
        return DemoResult(self.run_id, report_dir, reports, outputs)

    def enter_lab(
        self, cleanup: ExitStack, emulator: Emulator, reader: Reader, matrix: RouteMatrix
    ) -> InLab | None:
        """The pair placed in a lab that ``cleanup`` removes, or None (said in one line) when
        the lab is off or, in "auto", this machine cannot build it."""
        if self.lab == "off":
            print("      lab: off (--lab off): the functions run on this host", flush=True)
            return None
        try:  # the lab checks (and installs) what it needs before it makes anything
            in_lab = cleanup.enter_context(functions_in_lab(emulator, reader, matrix))
        except UserError as exc:
            why = str(exc)
        else:
            where = ", ".join(f"{f} in {n}" for f, n in in_lab.placed.items())
            print(f"      lab: built in {in_lab.lab.build_s:.2f} s; {where}", flush=True)
            return in_lab
        if self.lab == "on":
            raise UserError(f"--lab on: the lab cannot run here: {why}")
        print(
            f"      lab: not used ({why}); the functions run on this host against the "
            "emulator's loopback endpoint",
            flush=True,
        )
        return None


def describe_reports(result: DemoResult) -> str:
    names = ", ".join(path.name for path in result.reports.values())
    return f"report: {result.report_dir}/ ({names})"


def results_json(result: DemoResult) -> str:
    return json.dumps(
        {
            "run_id": result.run_id,
            "report_dir": str(result.report_dir),
            "reports": {k: str(v) for k, v in result.reports.items()},
            "timings_s": result.timings,
        },
        indent=2,
    )


def plan_example_json(name: str, tf_vars: dict[str, Any] | None = None) -> dict[str, Any]:
    """Plan an example on the embedded emulator and return ``terraform show -json`` of it.

    No AWS account is needed: what a configuration costs depends on the configuration only.
    The example's Lambda packages are built first (the plan reads their hashes).
    """
    source = example_dir(name)
    for function in known_functions():
        build_package(function)
    with Emulator.start() as emulator, Stack.create(source, emulator.redirect()) as stack:
        return stack.plan(tf_vars)
