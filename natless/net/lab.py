"""The lab: a :class:`~natless.net.labplan.LabPlan` made real, probed, and removed.

    with Lab.running(plan) as lab:
        results = lab.probe([Probe("s3", "fn0", "52.216.0.1")], timeout=1.0)

Building: the namespaces (``<prefix><lab id>-<node>``, e.g. ``nl3fa2b1-rt0``) are added in one
``ip -batch``; each gets its sysctls (forwarding, no duplicate address detection, so addresses
work at once) from a thread inside it; the veth pairs are created straight into their two
namespaces (never in the host's, so deleting the namespaces removes every veth); then each
namespace is configured in parallel (one ``ip -batch``, one ``nft -f``); then the resolvers
(unbound) and, in nat nodes that do NAT64, the translators (tayga) start as children of this
process that the kernel kills with it (PR_SET_PDEATHSIG). The listeners are
sockets of this process, made inside each namespace and served by the lab's TLS front
(:class:`~natless.net.labfront.Front`: TLS with the lab's own CA, then HTTP; requests for AWS names
are relayed to ``upstream``, the emulator): no listener process exists to be left behind. The
CA's files are in ``<state dir>/<lab id>/`` (0700), removed at teardown.

A probe connects (that time is what it reports), completes the TLS handshake verifying the
listener's certificate against the lab's CA (by the probe's ``server_name``, else by the address)
and asks ``GET /natless-lab/whoami``: which node answered, through which interface, from which
source address.

Leaving the block (normally, by an exception, by Ctrl-C) closes the sockets and deletes the
namespaces. Before anything is made, a state file ``<scratch>/labs/<lab id>.json`` records the
owner (pid and start time), the namespace names and each child process (pid and start time);
teardown removes it last. A lab whose owner was killed (SIGKILL) stays until
:func:`clean_orphans` (run by ``natless clean``) kills its children and deletes its namespaces.
"""

from __future__ import annotations

import contextlib
import datetime
import errno
import json
import os
import re
import secrets
import selectors
import shutil
import signal
import socket
import ssl
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from natless.errors import UserError
from natless.interrupts import deferred
from natless.net import dnsquery, netns
from natless.net.dnsquery import AAAA, A, Answer
from natless.net.labfront import WHOAMI_PATH, Connection, Front
from natless.net.labplan import LISTEN_PORT, NAT64_DEVICE, LabPlan, Node
from natless.net.labtls import LabCA, resolver_names, served_addresses
from natless.paths import SCRATCH

DEFAULT_PREFIX = "nl"
PREFIX_ENV = "NATLESS_LAB_PREFIX"  # another prefix for a lab's namespaces (tests use their own)
PREFIX_PATTERN = re.compile(r"[a-z][a-z0-9]{0,7}")
STATE_DIR = SCRATCH / "labs"
REPLY_LIMIT = 4096
RESOLVER_START_S = 10.0  # unbound answers within ~0.05 s of its start
TRANSLATOR_START_S = 10.0  # tayga makes its tun device within a few ms of its start
KILL_WAIT_S = 5.0

ANSWERED, TIMED_OUT, FAILED = "answered", "timed out", "failed"


def _sysctls(node: Node) -> dict[str, str]:
    v4, v6 = node.forward
    return {
        "net.ipv6.conf.all.accept_dad": "0",
        "net.ipv6.conf.default.accept_dad": "0",
        "net.ipv6.conf.all.forwarding": str(int(v6)),
        "net.ipv6.conf.default.forwarding": str(int(v6)),
        "net.ipv4.ip_forward": str(int(v4)),
        "net.ipv4.conf.all.rp_filter": "0",
        "net.ipv4.conf.default.rp_filter": "0",
        # a gateway node forwards a router's packets back out of another interface: no redirects
        "net.ipv4.conf.all.send_redirects": "0",
        "net.ipv4.conf.default.send_redirects": "0",
    }


def process_start(pid: int) -> str | None:
    """When process ``pid`` started (clock ticks since boot), None if it does not exist: a pid
    alone can be reused, the pair names one process."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return stat.rsplit(")", 1)[1].split()[19]


@dataclass(frozen=True)
class Probe:
    key: str  # the caller's name for it
    source: str  # the node the connection leaves from
    address: str
    port: int = LISTEN_PORT
    server_name: str | None = None  # SNI and the name the certificate must hold (else: address)


@dataclass(frozen=True)
class ProbeResult:
    outcome: str  # ANSWERED, TIMED_OUT or FAILED
    seconds: float
    node: str | None = None  # the node whose listener answered
    via: str | None = None  # that listener's label for the interface it came in by
    peer: str | None = None  # the source address the listener saw
    error: str | None = None  # FAILED: the errno's name, "TLS: <reason>", or "no reply"


def _listening_socket(ifname: str) -> socket.socket:
    """A dual-stack TCP listener on port 443 that only accepts what arrives on ``ifname``."""
    sock = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_BINDTODEVICE, ifname.encode())
        sock.bind(("::", LISTEN_PORT))
        sock.listen(64)
    except OSError:
        sock.close()
        raise
    return sock


class Lab:
    """A running lab; make one with :meth:`running`."""

    def __init__(
        self, plan: LabPlan, prefix: str, state_dir: Path, upstream: str | None = None
    ) -> None:
        self.plan = plan
        self.lab_id = secrets.token_hex(3)
        self.prefix = prefix
        self.state_path = state_dir / f"{self.lab_id}.json"
        self.key_dir = state_dir / self.lab_id  # the lab CA's files (see natless.net.labtls)
        self.listeners = Front(upstream)
        self.ca: LabCA | None = None
        self._client_context: ssl.SSLContext | None = None
        self.build_s: float | None = None
        self.teardown_s: float | None = None
        self.resolvers: dict[str, subprocess.Popen[bytes]] = {}  # node -> its unbound
        self.translators: dict[str, subprocess.Popen[bytes]] = {}  # node -> its tayga

    def namespace(self, node: str) -> str:
        return f"{self.prefix}{self.lab_id}-{node}"

    @property
    def namespaces(self) -> list[str]:
        return [self.namespace(n) for n in self.plan.nodes]

    @classmethod
    @contextlib.contextmanager
    def running(
        cls,
        plan: LabPlan,
        prefix: str | None = None,
        state_dir: Path | None = None,
        upstream: str | None = None,
    ) -> Iterator[Lab]:
        """Build the lab, yield it, and always remove it (build and teardown times are kept).

        ``prefix`` starts every namespace name (default: $NATLESS_LAB_PREFIX, else "nl").
        ``upstream``: ``http://HOST:PORT`` (the emulator, reached from the host's namespace)
        that requests for AWS names are relayed to; without it they get a 502.
        """
        prefix = prefix or os.environ.get(PREFIX_ENV) or DEFAULT_PREFIX
        if not PREFIX_PATTERN.fullmatch(prefix):
            raise UserError(
                f"lab prefix {prefix!r}: give 1 to 8 lower-case letters and digits, "
                "starting with a letter"
            )
        netns.require_lab_tools(translator=any(n.translator for n in plan.nodes.values()))
        lab = cls(plan, prefix, state_dir or STATE_DIR, upstream)
        started = time.monotonic()
        try:
            lab._write_state()
            lab._build()
            lab.build_s = time.monotonic() - started
            yield lab
        finally:
            started = time.monotonic()
            with deferred():
                lab._teardown()
            lab.teardown_s = time.monotonic() - started

    def _write_state(self) -> None:
        self.state_path.parent.mkdir(parents=True, exist_ok=True)
        pid = os.getpid()
        record = {
            "pid": pid,
            "pid_start": process_start(pid),
            "lab_id": self.lab_id,
            "namespaces": self.namespaces,
            "processes": [
                {"pid": p.pid, "pid_start": process_start(p.pid), "node": n}
                for n, p in [*self.resolvers.items(), *self.translators.items()]
            ],
            "created": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        }
        self.state_path.write_text(json.dumps(record, indent=2) + "\n")

    def _build(self) -> None:
        nodes = self.plan.nodes
        self.ca = LabCA.create(self.key_dir, self.certificate_names(), self.certificate_addresses())
        self._client_context = self.ca.client_context()
        netns.ip_batch(
            [f"netns add {self.namespace(n)}" for n in nodes], "adding network namespaces"
        )
        netns.in_each_netns(
            {
                self.namespace(n): (lambda node=node: netns.write_sysctls(_sysctls(node)))
                for n, node in nodes.items()
            }
        )
        netns.ip_batch(
            [
                f"link add name {link.b} netns {self.namespace(link.a)} type veth "
                f"peer name {link.a} netns {self.namespace(link.b)}"
                for link in self.plan.links
            ],
            "creating veth pairs",
        )
        netns.in_each_netns(
            {
                self.namespace(n): (lambda node=node: self._configure(node))
                for n, node in nodes.items()
            }
        )
        for n, node in nodes.items():  # /etc/netns/<ns>: what `ip netns exec` gives a function
            if node.resolv_conf:
                netns.write_etc(self.namespace(n), netns.etc_files(node.resolv_conf))
        # the data-holding resolver first: the DNS64 one forwards to it
        for name, node in sorted(nodes.items(), key=lambda item: item[0] != "dns"):
            if node.resolver:
                self._start_resolver(name, node.resolver)
        for node in nodes.values():
            if node.translator:
                self._start_translator(node)
        for name, node in nodes.items():
            for ifname, via in node.listen.items():
                sock = netns.in_netns(self.namespace(name), lambda i=ifname: _listening_socket(i))
                self.listeners.add(name, ifname, via, sock)
        self.listeners.start(self.ca.server_context())

    def certificate_names(self) -> list[str]:
        """The names the listeners' certificate holds: every name the lab's resolver answers."""
        found = [n for node in self.plan.nodes.values() for n in resolver_names(node.resolver)]
        return list(dict.fromkeys(found))

    def certificate_addresses(self) -> list[str]:
        """Its IP addresses: every address a listener serves (and its NAT64 form), and the
        functions' own (the inbound probe's destination)."""
        hosted = [a for addresses in self.plan.hosted.values() for a in addresses]
        functions = [*self.plan.function_ipv4.values(), *self.plan.function_ipv6.values()]
        return served_addresses([*hosted, *functions])

    def connections(self) -> list[Connection]:
        """Every connection the listeners accepted so far (see natless.net.labfront.Connection)."""
        return self.listeners.connections()

    def _configure(self, node: Node) -> None:
        netns.ip_batch(node.ip_batch(), f"configuring {node.name} ({node.kind})")
        if node.nft:
            netns.run(["nft", "-f", "-"], node.nft, f"nftables of {node.name} ({node.kind})")

    def _start_resolver(self, node: str, config: str) -> None:
        """Run unbound with ``config`` in the node's namespace; return once it answers.

        Its pid (and start time) goes into the state file at once, so that ``natless clean``
        can kill it should this process be killed without its PR_SET_PDEATHSIG taking effect.
        """
        namespace = self.namespace(node)
        conf = self._config_file(f"natless-unbound-{namespace}.conf", config)
        with tempfile.TemporaryFile() as errors:  # the child keeps its own copy of the fd
            proc = netns.start_in_netns(namespace, ["unbound", "-d", "-c", str(conf)], errors)
            self.resolvers[node] = proc
            self._write_state()
            deadline = time.monotonic() + RESOLVER_START_S
            while True:
                if proc.poll() is not None:
                    errors.seek(0)
                    said = errors.read().decode(errors="replace").strip()
                    raise netns.LabError(f"unbound in {node} exited ({proc.returncode}): {said}")
                answer = netns.in_netns(
                    namespace,
                    lambda: dnsquery.query("127.0.0.1", "natless.invalid", A, 0.2),
                )
                if answer.rcode >= 0:
                    return
                if time.monotonic() > deadline:
                    raise netns.LabError(f"unbound in {node}: no answer in {RESOLVER_START_S} s")

    def _config_file(self, name: str, text: str) -> Path:
        """A child's configuration, in the lab's own folder (with the CA's files): removed with
        the lab, or by clean_orphans after a killed run, never left in TMPDIR."""
        path = self.key_dir / name
        path.write_text(text)
        return path

    def _start_translator(self, node: Node) -> None:
        """Run tayga with the node's config in its namespace; once its tun device exists, bring
        it up and add the routes through it. Recorded in the state file as a resolver is."""
        namespace = self.namespace(node.name)
        conf = self._config_file(f"natless-tayga-{namespace}.conf", node.translator)
        with tempfile.TemporaryFile() as errors:
            argv = ["tayga", "--nodetach", "-c", str(conf)]
            proc = netns.start_in_netns(namespace, argv, errors)
            self.translators[node.name] = proc
            self._write_state()
            deadline = time.monotonic() + TRANSLATOR_START_S
            while not netns.in_netns(namespace, lambda: _has_device(NAT64_DEVICE)):
                if proc.poll() is not None:
                    errors.seek(0)
                    said = errors.read().decode(errors="replace").strip()
                    raise netns.LabError(f"tayga in {node.name} exited ({proc.returncode}): {said}")
                if time.monotonic() > deadline:
                    raise netns.LabError(
                        f"tayga in {node.name}: no {NAT64_DEVICE} device in {TRANSLATOR_START_S} s"
                    )
                time.sleep(0.01)
        lines = [
            f"link set {NAT64_DEVICE} up",
            *(f"route replace {r}" for r in node.translator_routes),
        ]
        netns.in_netns(
            namespace, lambda: netns.ip_batch(lines, f"routes through tayga in {node.name}")
        )

    def _stop_children(self) -> None:
        children = [(f"unbound in {n}", p) for n, p in self.resolvers.items()]
        children += [(f"tayga in {n}", p) for n, p in self.translators.items()]
        for _, proc in children:
            if proc.poll() is None:
                proc.kill()
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=KILL_WAIT_S)
        left = [what for what, p in children if p.poll() is None]
        if left:
            raise UserError(f"lab {self.lab_id}: {', '.join(left)} did not exit")

    def _teardown(self) -> None:
        self.listeners.stop()
        shutil.rmtree(self.key_dir, ignore_errors=True)
        self._stop_children()
        netns.remove_etc(self.namespaces)
        netns.delete_namespaces(self.namespaces)
        left = netns.existing(self.namespaces)
        if left:
            raise UserError(f"lab {self.lab_id}: could not delete {', '.join(left)}")
        self.state_path.unlink(missing_ok=True)

    # --- probing ------------------------------------------------------------------------------

    def probe(self, probes: list[Probe], timeout: float) -> dict[str, ProbeResult]:
        """Connect to every probe's address at once; each gets ``timeout`` seconds to connect,
        then ``timeout`` again for the TLS handshake and the whoami reply."""
        sources = sorted({p.source for p in probes})
        made: dict[str, list[socket.socket]] = {}
        for source in sources:
            mine = [p for p in probes if p.source == source]
            made[source] = netns.in_netns(
                self.namespace(source),
                lambda mine=mine: [
                    socket.socket(socket.AF_INET6 if ":" in p.address else socket.AF_INET)
                    for p in mine
                ],
            )
        socks = {p.key: made[p.source].pop(0) for p in probes}
        assert self._client_context is not None, "probe a running lab"
        try:
            return _run_probes(probes, socks, timeout, self._client_context)
        finally:
            for sock in socks.values():
                sock.close()

    def resolve(self, source: str, server: str, name: str, timeout: float) -> list[Answer]:
        """The A and AAAA answers for ``name`` from ``server``, asked from node ``source``."""
        return netns.in_netns(
            self.namespace(source),
            lambda: [dnsquery.query(server, name, t, timeout) for t in (A, AAAA)],
        )

    def usable(self, source: str, addresses: list[str]) -> list[bool]:
        """Whether node ``source`` has a route and a source address for each address: the test
        glibc's getaddrinfo makes (a UDP connect, no packet sent) to put unusable ones last."""

        def check() -> list[bool]:
            out = []
            for address in addresses:
                family = socket.AF_INET6 if ":" in address else socket.AF_INET
                with socket.socket(family, socket.SOCK_DGRAM) as sock:
                    try:
                        sock.connect((address, LISTEN_PORT))
                        out.append(True)
                    except OSError:
                        out.append(False)
            return out

        return netns.in_netns(self.namespace(source), check)

    def connect_in_order(
        self, source: str, addresses: list[str], timeout: float, server_name: str | None = None
    ) -> list[tuple[str, ProbeResult]]:
        """One connection attempt after the other until one is answered, each with ``timeout``,
        as ``socket.create_connection`` (and so botocore) goes through getaddrinfo's list;
        ``server_name``: the name resolved (SNI, and what the certificate must hold)."""
        attempts: list[tuple[str, ProbeResult]] = []
        for address in addresses:
            one = Probe("one", source, address, server_name=server_name)
            result = self.probe([one], timeout)["one"]
            attempts.append((address, result))
            if result.outcome == ANSWERED:
                break
        return attempts


def _has_device(name: str) -> bool:
    """Whether the calling thread's namespace has a network device ``name``."""
    try:
        socket.if_nametoindex(name)
    except OSError:
        return False
    return True


_CONNECTING, _HANDSHAKE, _SENDING, _READING = range(4)


@dataclass
class _Attempt:
    """One probe on its way: connect, TLS handshake, send the whoami request, read the reply."""

    probe: Probe
    sock: socket.socket
    deadline: float
    stage: int = _CONNECTING
    connected_s: float = 0.0
    request: bytes = b""
    reply: bytes = b""


def _run_probes(
    probes: list[Probe],
    socks: dict[str, socket.socket],
    timeout: float,
    context: ssl.SSLContext,
) -> dict[str, ProbeResult]:
    """All probes at once on non-blocking sockets, one selector. Each has ``timeout`` to connect
    (a timed-out connect is TIMED_OUT, reported with ``timeout`` seconds); once connected it has
    ``timeout`` again for TLS and the reply; the seconds reported are the connect's."""
    results: dict[str, ProbeResult] = {}
    sel = selectors.DefaultSelector()
    started = time.monotonic()
    wrapped: list[ssl.SSLSocket] = []

    def fail(attempt: _Attempt, error: str, seconds: float | None = None) -> None:
        seconds = attempt.connected_s if seconds is None else seconds
        results[attempt.probe.key] = ProbeResult(FAILED, seconds, error=error)

    def advance(attempt: _Attempt) -> int | None:
        """Go on as far as the socket allows; the event to wait for, or None when done."""
        sock = attempt.sock
        try:
            if attempt.stage == _CONNECTING:
                code = sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
                if code:
                    error = errno.errorcode.get(code, str(code))
                    fail(attempt, error, time.monotonic() - started)
                    return None
                attempt.connected_s = time.monotonic() - started
                attempt.deadline = time.monotonic() + timeout  # TLS and the reply
                name = attempt.probe.server_name
                tls = context.wrap_socket(
                    sock,
                    server_hostname=name or attempt.probe.address,  # an address: no SNI sent
                    do_handshake_on_connect=False,
                )
                wrapped.append(tls)
                attempt.sock, attempt.stage = tls, _HANDSHAKE
                address = attempt.probe.address
                host = name or (f"[{address}]" if ":" in address else address)
                attempt.request = (
                    f"GET {WHOAMI_PATH} HTTP/1.1\r\nHost: {host}\r\n"
                    "User-Agent: natless-lab-probe\r\nConnection: close\r\n\r\n"
                ).encode()
            assert isinstance(attempt.sock, ssl.SSLSocket)
            tls = attempt.sock
            if attempt.stage == _HANDSHAKE:
                tls.do_handshake()
                attempt.stage = _SENDING
            while attempt.stage == _SENDING:
                sent = tls.send(attempt.request)
                attempt.request = attempt.request[sent:]
                if not attempt.request:
                    attempt.stage = _READING
            while True:
                chunk = tls.recv(REPLY_LIMIT)
                attempt.reply += chunk
                reply = _whoami(attempt.reply, complete=not chunk)
                if reply is not None or not chunk or len(attempt.reply) > REPLY_LIMIT:
                    break
        except ssl.SSLWantReadError:
            return selectors.EVENT_READ
        except ssl.SSLWantWriteError:
            return selectors.EVENT_WRITE
        except ssl.SSLCertVerificationError as exc:
            fail(attempt, f"TLS: {exc.verify_message or exc.reason}")
            return None
        except ssl.SSLError as exc:
            if attempt.stage == _HANDSHAKE:
                fail(attempt, f"TLS: {exc.reason or exc}")
                return None
            reply = _whoami(attempt.reply, complete=True)
        except OSError as exc:
            if attempt.stage == _HANDSHAKE:
                fail(attempt, f"TLS: {errno.errorcode.get(exc.errno or 0, str(exc))}")
                return None
            reply = _whoami(attempt.reply, complete=True)
        if reply is None:
            fail(attempt, "no reply")
        else:
            results[attempt.probe.key] = ProbeResult(
                ANSWERED, attempt.connected_s, reply["node"], reply["via"], reply["peer"]
            )
        return None

    pending: dict[str, _Attempt] = {}
    for p in probes:
        sock = socks[p.key]
        sock.setblocking(False)
        code = sock.connect_ex((p.address, p.port))
        if code not in (0, errno.EINPROGRESS):
            results[p.key] = ProbeResult(FAILED, 0.0, error=errno.errorcode.get(code, str(code)))
        else:
            pending[p.key] = _Attempt(p, sock, started + timeout)
            sel.register(sock, selectors.EVENT_WRITE, p.key)
    try:
        while pending:
            now = time.monotonic()
            for key, attempt in list(pending.items()):
                if attempt.deadline <= now:
                    sel.unregister(attempt.sock)
                    del pending[key]
                    if attempt.stage == _CONNECTING:
                        results[key] = ProbeResult(TIMED_OUT, timeout)
                    elif attempt.stage == _HANDSHAKE:
                        fail(attempt, "TLS: handshake timed out")
                    else:
                        fail(attempt, "no reply")
            if not pending:
                break
            wait = min(a.deadline for a in pending.values()) - time.monotonic()
            for selected, _ in sel.select(max(wait, 0.0)):
                attempt = pending[selected.data]
                sel.unregister(selected.fileobj)
                event = advance(attempt)
                if event is None:
                    del pending[selected.data]
                else:
                    sel.register(attempt.sock, event, selected.data)
    finally:
        sel.close()
        for tls in wrapped:
            tls.close()
    return results


def _whoami(reply: bytes, complete: bool) -> dict[str, Any] | None:
    """The whoami JSON of an HTTP reply once its body is all there (by Content-Length, or by
    the end of the connection when ``complete``); None if it is not (yet) one."""
    head, sep, body = reply.partition(b"\r\n\r\n")
    if not sep:
        return None
    lines = head.decode("latin-1").split("\r\n")
    if lines[0].split(" ")[1:2] != ["200"]:
        return None
    fields = (line.partition(":") for line in lines[1:])
    length = next((int(v) for k, _, v in fields if k.lower() == "content-length"), None)
    if length is not None:
        if len(body) < length:
            return None
        body = body[:length]
    elif not complete:
        return None
    try:
        found = json.loads(body)
    except ValueError:
        return None
    return found if isinstance(found, dict) and "node" in found else None


# --- labs left behind ---------------------------------------------------------------------------


@dataclass(frozen=True)
class LabRecord:
    """A lab's state file: who made it and the namespaces it named."""

    path: Path
    lab_id: str
    pid: int
    namespaces: tuple[str, ...]
    created: str
    processes: tuple[tuple[int, str | None], ...] = ()  # (pid, start): resolvers, translators


def left_behind(state_dir: Path | None = None) -> list[LabRecord]:
    """The labs whose owner process is gone (its pid is free, or reused by another process)."""
    found = []
    for path in sorted((state_dir or STATE_DIR).glob("*.json")):
        try:
            record = json.loads(path.read_text())
            pid, start = int(record["pid"]), record.get("pid_start")
            names = tuple(str(n) for n in record["namespaces"])
            processes = tuple(
                (int(p["pid"]), p.get("pid_start")) for p in record.get("processes", [])
            )
        except (OSError, ValueError, KeyError, TypeError):
            continue  # being written by a lab starting now, or not ours
        if process_start(pid) is None or process_start(pid) != start:
            found.append(
                LabRecord(
                    path,
                    str(record.get("lab_id")),
                    pid,
                    names,
                    str(record.get("created")),
                    processes,
                )
            )
    return found


def clean_orphans(state_dir: Path | None = None) -> list[str]:
    """Delete the namespaces (and the CA's key directory) of labs whose owner was killed; one
    line per lab removed."""
    done = []
    for record in left_behind(state_dir):
        killed = 0
        for pid, start in record.processes:  # the same process, not a reused pid
            if start is not None and process_start(pid) == start:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
                    killed += 1
        present = netns.existing(record.namespaces)
        netns.delete_namespaces(present)
        netns.remove_etc(record.namespaces)
        if netns.existing(record.namespaces):
            continue
        shutil.rmtree(record.path.with_suffix(""), ignore_errors=True)  # the lab CA's files
        record.path.unlink(missing_ok=True)
        done.append(
            f"lab {record.lab_id} (made {record.created} by pid {record.pid}, which is gone): "
            f"{len(present)} namespaces deleted"
            + (f", {killed} resolver or translator processes killed" if killed else "")
        )
    return done
