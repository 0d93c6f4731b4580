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
sockets of this process, made inside each namespace and served by one thread: no listener
process exists to be left behind.

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
import signal
import socket
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from natless.errors import UserError
from natless.interrupts import deferred
from natless.net import dnsquery, netns
from natless.net.dnsquery import AAAA, A, Answer
from natless.net.labplan import LISTEN_PORT, NAT64_DEVICE, LabPlan, Node
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


@dataclass(frozen=True)
class ProbeResult:
    outcome: str  # ANSWERED, TIMED_OUT or FAILED
    seconds: float
    node: str | None = None  # the node whose listener answered
    via: str | None = None  # that listener's label for the interface it came in by
    peer: str | None = None  # the source address the listener saw
    error: str | None = None  # FAILED: the errno's name


class _Listeners:
    """Listening sockets (one per node and ingress interface) served by one thread.

    Each accepted connection gets one JSON line, ``{"node", "via", "peer"}``, then is closed.
    """

    def __init__(self) -> None:
        self.sockets: list[tuple[socket.socket, str, str]] = []  # socket, node, via
        self._wake_r, self._wake_w = socket.socketpair()
        self._thread: threading.Thread | None = None

    def add(self, node: str, ifname: str, via: str, sock: socket.socket) -> None:
        self.sockets.append((sock, node, via))

    def start(self) -> None:
        self._thread = threading.Thread(target=self._serve, name="lab-listeners", daemon=True)
        with deferred():
            self._thread.start()

    def _serve(self) -> None:
        sel = selectors.DefaultSelector()
        sel.register(self._wake_r, selectors.EVENT_READ, None)
        for sock, node, via in self.sockets:
            sock.setblocking(False)
            sel.register(sock, selectors.EVENT_READ, (node, via))
        while True:
            for key, _ in sel.select():
                if key.data is None:
                    sel.close()
                    return
                node, via = key.data
                try:
                    conn, peer = key.fileobj.accept()  # type: ignore[union-attr]
                except OSError:
                    continue
                with conn:
                    conn.settimeout(1.0)
                    host = str(peer[0]).removeprefix("::ffff:")
                    line = json.dumps({"node": node, "via": via, "peer": host}) + "\n"
                    with contextlib.suppress(OSError):
                        conn.sendall(line.encode())

    def stop(self) -> None:
        if self._thread is not None:
            with contextlib.suppress(OSError):
                self._wake_w.send(b"x")
            with deferred():
                self._thread.join(timeout=5)
            self._thread = None
        for sock, _, _ in self.sockets:
            sock.close()
        self.sockets.clear()
        self._wake_r.close()
        self._wake_w.close()


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

    def __init__(self, plan: LabPlan, prefix: str, state_dir: Path) -> None:
        self.plan = plan
        self.lab_id = secrets.token_hex(3)
        self.prefix = prefix
        self.state_path = state_dir / f"{self.lab_id}.json"
        self.listeners = _Listeners()
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
        cls, plan: LabPlan, prefix: str | None = None, state_dir: Path | None = None
    ) -> Iterator[Lab]:
        """Build the lab, yield it, and always remove it (build and teardown times are kept).

        ``prefix`` starts every namespace name (default: $NATLESS_LAB_PREFIX, else "nl").
        """
        prefix = prefix or os.environ.get(PREFIX_ENV) or DEFAULT_PREFIX
        if not PREFIX_PATTERN.fullmatch(prefix):
            raise UserError(
                f"lab prefix {prefix!r}: give 1 to 8 lower-case letters and digits, "
                "starting with a letter"
            )
        netns.require_lab_tools(translator=any(n.translator for n in plan.nodes.values()))
        lab = cls(plan, prefix, state_dir or STATE_DIR)
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
        self.listeners.start()

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
        with (
            tempfile.TemporaryFile() as errors,  # the child keeps its own copy of the fd
            tempfile.NamedTemporaryFile(
                "w", prefix=f"natless-unbound-{namespace}-", suffix=".conf"
            ) as conf,
        ):
            conf.write(config)
            conf.flush()
            proc = netns.start_in_netns(namespace, ["unbound", "-d", "-c", conf.name], errors)
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

    def _start_translator(self, node: Node) -> None:
        """Run tayga with the node's config in its namespace; once its tun device exists, bring
        it up and add the routes through it. Recorded in the state file as a resolver is."""
        namespace = self.namespace(node.name)
        with (
            tempfile.TemporaryFile() as errors,
            tempfile.NamedTemporaryFile(
                "w", prefix=f"natless-tayga-{namespace}-", suffix=".conf"
            ) as conf,
        ):
            conf.write(node.translator)
            conf.flush()
            argv = ["tayga", "--nodetach", "-c", conf.name]
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
        self._stop_children()
        netns.delete_namespaces(self.namespaces)
        left = netns.existing(self.namespaces)
        if left:
            raise UserError(f"lab {self.lab_id}: could not delete {', '.join(left)}")
        self.state_path.unlink(missing_ok=True)

    # --- probing ------------------------------------------------------------------------------

    def probe(self, probes: list[Probe], timeout: float) -> dict[str, ProbeResult]:
        """Connect to every probe's address at once; each gets ``timeout`` seconds to connect."""
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
        try:
            return _run_probes(probes, socks, timeout)
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
        self, source: str, addresses: list[str], timeout: float
    ) -> list[tuple[str, ProbeResult]]:
        """One connection attempt after the other until one is answered, each with ``timeout``,
        as ``socket.create_connection`` (and so botocore) goes through getaddrinfo's list."""
        attempts: list[tuple[str, ProbeResult]] = []
        for address in addresses:
            result = self.probe([Probe("one", source, address)], timeout)["one"]
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


def _run_probes(
    probes: list[Probe], socks: dict[str, socket.socket], timeout: float
) -> dict[str, ProbeResult]:
    results: dict[str, ProbeResult] = {}
    replies: dict[str, bytes] = {}
    sel = selectors.DefaultSelector()
    started = time.monotonic()
    for p in probes:
        sock = socks[p.key]
        sock.setblocking(False)
        code = sock.connect_ex((p.address, p.port))
        if code not in (0, errno.EINPROGRESS):
            results[p.key] = ProbeResult(FAILED, 0.0, error=errno.errorcode.get(code, str(code)))
        else:
            sel.register(sock, selectors.EVENT_WRITE, p.key)
    connected: dict[str, float] = {}
    deadline = started + timeout
    while sel.get_map():
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            break
        for key, _ in sel.select(remaining):
            name, sock = key.data, key.fileobj
            assert isinstance(sock, socket.socket)
            if name not in connected:
                code = sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
                if code:
                    sel.unregister(sock)
                    elapsed = time.monotonic() - started
                    error = errno.errorcode.get(code, str(code))
                    results[name] = ProbeResult(FAILED, elapsed, error=error)
                    continue
                connected[name] = time.monotonic() - started
                sel.modify(sock, selectors.EVENT_READ, name)
                deadline = max(deadline, time.monotonic() + timeout)  # time to read the reply
                continue
            chunk = b""
            with contextlib.suppress(OSError):
                chunk = sock.recv(REPLY_LIMIT)
            replies[name] = replies.get(name, b"") + chunk
            if not chunk or b"\n" in replies[name]:
                sel.unregister(sock)
    sel.close()
    for p in probes:
        if p.key in results:
            continue
        if p.key not in connected:
            results[p.key] = ProbeResult(TIMED_OUT, timeout)
            continue
        try:
            reply = json.loads(replies.get(p.key, b"").split(b"\n", 1)[0])
        except ValueError:
            results[p.key] = ProbeResult(FAILED, connected[p.key], error="no reply")
            continue
        results[p.key] = ProbeResult(
            ANSWERED, connected[p.key], reply["node"], reply["via"], reply["peer"]
        )
    return results


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
    """Delete the namespaces of labs whose owner was killed; one line per lab removed."""
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
        if netns.existing(record.namespaces):
            continue
        record.path.unlink(missing_ok=True)
        done.append(
            f"lab {record.lab_id} (made {record.created} by pid {record.pid}, which is gone): "
            f"{len(present)} namespaces deleted"
            + (f", {killed} resolver or translator processes killed" if killed else "")
        )
    return done
