"""A real NATS JetStream cluster for scenario tests: Debian's `nats-server`
(package nats-server, 2.9) on ephemeral loopback ports, plus a tiny NATS
client on plain sockets to talk to it.

    with natstest.NatsCluster(size=3) as cluster:     # started and ready
        c = cluster.connect(0)                         # a NatsClient on n1
        c.js_api("STREAM.CREATE.KV_x", {...})
        cluster.kill(1)                                # SIGKILL n2
        cluster.restart(1)                             # same ports, same store

Why a real server: what a test of NATS use must show (replication, losing a
server, a restarted server catching up) is the server's behaviour, which a
fake would only restate. Why a tiny client rather than nats-py: the suite
runs on Debian's python3 with its packages, and nats-py is not one of them;
the text protocol needs a page of code.

Only the standard library is used (not sbtest, which needs dnspython), so
this runs under any python3.

Nothing sleeps and hopes: every wait polls with a deadline and fails saying
what it waited for, with the tail of the servers' log files.
"""
import atexit
import base64
import ctypes
import json
import os
import re
import secrets
import shutil
import signal
import socket
import ssl
import subprocess
import tempfile
import threading
import time
import urllib.error
import urllib.request
from urllib.parse import quote

NATS_SERVER = os.environ.get("SB_NATS_SERVER") or shutil.which("nats-server") \
    or "/usr/sbin/nats-server"

# How long start() and restart() wait for servers to be ready. On loopback
# a new 3-node cluster is ready in 0.3-0.5 s, a restarted server in about
# 2 s (until then its /healthz says "JetStream has not established contact
# with a meta leader"); 20 s leaves room for a loaded CI machine.
READY_TIMEOUT = 20.0
# How long stop() lets a server shut down after SIGTERM before SIGKILL.
STOP_TIMEOUT = 10.0
# How many times start() picks new ports when a server finds one taken
# (another process may bind a port between our choosing it and the server
# binding it).
START_ATTEMPTS = 5
LOG_TAIL_LINES = 40

_PR_SET_PDEATHSIG = 1


class NatsError(Exception):
    """A -ERR from a server, or a connection that failed or closed."""


class JetStreamError(NatsError):
    """A JetStream API reply with an "error" member: its code, err_code and
    description are kept."""

    def __init__(self, subject, error):
        self.subject = subject
        self.code = error.get("code")
        self.err_code = error.get("err_code")
        self.description = error.get("description", "")
        super().__init__(f"{subject}: {self.code}/{self.err_code} {self.description}")


class _PortTaken(Exception):
    """A server exited because one of its ports was taken: start() picks
    new ones."""


def poll(condition, timeout, what, interval=0.05, describe=None):
    """Call `condition` until it returns a true value, which is returned.
    After `timeout` seconds fail, saying `what` was awaited, the last value
    or exception, and `describe()` when given (a log tail). OSError,
    NatsError and ValueError (a half-written JSON reply) count as not yet."""
    deadline = time.monotonic() + timeout
    last = None
    while True:
        try:
            last = condition()
            if last:
                return last
        except (OSError, NatsError, ValueError) as e:
            last = e
        if time.monotonic() >= deadline:
            extra = f"\n{describe()}" if describe else ""
            raise AssertionError(
                f"timed out after {timeout}s waiting for {what} (last: {last!r}){extra}")
        time.sleep(interval)


def free_tcp_ports(count):
    """`count` distinct TCP ports free on 127.0.0.1 right now: all are held
    at once while chosen, so they differ from each other. Another process
    may take one before the server binds it: start() retries then."""
    socks = []
    try:
        for _ in range(count):
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            socks.append(s)
            s.bind(("127.0.0.1", 0))
        return [s.getsockname()[1] for s in socks]
    finally:
        for s in socks:
            s.close()


def _die_with_parent(parent):
    """A preexec_fn: the server gets SIGKILL when the thread that started
    it exits, so a test process that dies by a signal (no atexit, no
    cleanups) leaves no nats-server behind."""
    def preexec():
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        if os.getppid() != parent:  # the parent died before prctl
            os._exit(1)
    return preexec


def _conf_string(value):
    """A value for the server's config file, double-quoted: the format's
    quoted strings take JSON's escapes."""
    return json.dumps(str(value))


def _openssl(*args):
    done = subprocess.run(["openssl", *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          text=True)
    if done.returncode != 0:
        raise RuntimeError(f"openssl {' '.join(args)} failed:\n{done.stderr}")


class _TLSFiles:
    """A throwaway CA, a server certificate for IP 127.0.0.1 and DNS
    localhost (clients check the name they dialled: an IP here), and a
    client certificate for mutual TLS, all signed by the CA, made with the
    `openssl` command line in `directory`. EC P-256 keys: milliseconds."""

    def __init__(self, directory):
        os.makedirs(directory, exist_ok=True)
        p = lambda name: os.path.join(directory, name)  # noqa: E731
        self.ca_key, self.ca_file = p("ca.key"), p("ca.pem")
        self.cert_file, self.key_file = p("server.pem"), p("server.key")
        self.client_cert, self.client_key = p("client.pem"), p("client.key")
        for key in (self.ca_key, self.key_file, self.client_key):
            _openssl("genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256",
                     "-out", key)
        _openssl("req", "-x509", "-new", "-key", self.ca_key, "-out", self.ca_file,
                 "-days", "2", "-subj", "/CN=Switchboard NATS test CA",
                 "-addext", "basicConstraints=critical,CA:TRUE",
                 "-addext", "keyUsage=critical,keyCertSign,cRLSign")
        self._issue(p("server"), self.key_file, self.cert_file, "127.0.0.1",
                    "extendedKeyUsage = serverAuth\n"
                    "subjectAltName = IP:127.0.0.1, DNS:localhost\n")
        self._issue(p("client"), self.client_key, self.client_cert, "switchboard-test",
                    "extendedKeyUsage = clientAuth\n")

    def _issue(self, base, key, cert, cn, ext):
        with open(base + ".ext", "w") as f:
            f.write("basicConstraints = critical, CA:FALSE\n"
                    "keyUsage = critical, digitalSignature\n" + ext)
        _openssl("req", "-new", "-key", key, "-out", base + ".csr", "-subj", f"/CN={cn}")
        _openssl("x509", "-req", "-in", base + ".csr", "-CA", self.ca_file,
                 "-CAkey", self.ca_key, "-CAcreateserial", "-days", "2", "-out", cert,
                 "-extfile", base + ".ext")


class _Node:
    """One server's fixed facts: name, ports, files; and its process."""

    def __init__(self, index, root):
        self.index = index
        self.name = f"n{index + 1}"
        self.dir = os.path.join(root, self.name)
        self.store_dir = os.path.join(self.dir, "store")
        self.config = os.path.join(self.dir, "nats.conf")
        self.log = os.path.join(self.dir, "nats.log")
        self.port = self.cluster_port = self.http_port = None
        self.proc = None

    def running(self):
        return self.proc is not None and self.proc.poll() is None


_live = set()
_live_lock = threading.Lock()


@atexit.register
def _stop_all():
    """Stop every cluster still running when the interpreter exits: a test
    that fails before its cleanup ran, or forgot one."""
    with _live_lock:
        clusters = list(_live)
    for cluster in clusters:
        cluster.stop()


class NatsCluster:
    """`size` nats-server processes with JetStream, named n1..n<size>, on
    127.0.0.1; routed to each other as one cluster when size > 1. Indexes
    (i) are 0-based: i=0 is n1.

    user/password or token: clients must authenticate (routes between the
    servers do not). tls: None for plain text; True for TLS on the client
    port (clients verify the server against ca_file); "verify" for mutual
    TLS (clients must also present a certificate signed by ca_file, such as
    client_cert/client_key). Routes and the monitoring port stay plain.

    Each server has its own directory in one tempdir: nats.conf, nats.log
    (stdout and stderr, appended to across restarts) and store/ (JetStream's
    store_dir). max_mem and max_file are the JetStream limits per server.

    Cleanup: stop() (also on leaving a `with` block); an atexit hook stops
    any cluster still running when the interpreter exits; and each server
    gets SIGKILL from the kernel when the thread that started it exits
    (PR_SET_PDEATHSIG), which covers a test process killed by a signal.
    Hence: start and restart servers from a thread that outlives them (the
    main thread, as unittest runs tests)."""

    def __init__(self, size=3, user=None, password=None, token=None, tls=None,
                 cluster_name="sbtest", max_mem="64MB", max_file="256MB", debug=False):
        if size < 1:
            raise ValueError("size must be at least 1")
        if token is not None and (user is not None or password is not None):
            raise ValueError("token or user/password, not both")
        if (user is None) != (password is None):
            raise ValueError("user and password go together")
        if tls not in (None, False, True, "verify"):
            raise ValueError("tls is None, True or 'verify'")
        self.size = size
        self.user, self.password, self.token = user, password, token
        self.tls = tls or None
        self.cluster_name = cluster_name
        self.max_mem, self.max_file = max_mem, max_file
        self.debug = debug
        self.dir = None
        self.nodes = []
        self._tls_files = None
        self._started = False

    # -- public facts -------------------------------------------------------

    @property
    def names(self):
        return [n.name for n in self.nodes]

    @property
    def urls(self):
        """Every server's client URL, n1 first: nats://127.0.0.1:PORT (the
        scheme is tls:// when the cluster uses TLS)."""
        scheme = "tls" if self.tls else "nats"
        return [f"{scheme}://127.0.0.1:{n.port}" for n in self.nodes]

    def client_urls_for(self, i, credentials=False):
        """The URLs a client that should prefer server i is given: server i's
        first, then the others, so it can fail over. With `credentials`, each
        carries the cluster's user:password@ or token@."""
        urls = self.urls
        urls = urls[i:i + 1] + urls[:i] + urls[i + 1:]
        if credentials and (self.user is not None or self.token is not None):
            auth = quote(self.token, safe="") if self.token is not None else \
                f"{quote(self.user, safe='')}:{quote(self.password, safe='')}"
            urls = [u.replace("://", f"://{auth}@", 1) for u in urls]
        return urls

    def port(self, i):
        return self.nodes[i].port

    def monitor_url(self, i, path=""):
        return f"http://127.0.0.1:{self.nodes[i].http_port}/{path.lstrip('/')}"

    def log_path(self, i):
        return self.nodes[i].log

    def store_dir(self, i):
        return self.nodes[i].store_dir

    @property
    def ca_file(self):
        return self._tls_files.ca_file if self._tls_files else None

    @property
    def client_cert(self):
        return self._tls_files.client_cert if self._tls_files else None

    @property
    def client_key(self):
        return self._tls_files.client_key if self._tls_files else None

    def running(self, i):
        return self.nodes[i].running()

    # -- lifecycle ----------------------------------------------------------

    def start(self):
        """Make the tempdir (and TLS files), write each server's config and
        start them all; return once all are ready (see wait_ready), within
        READY_TIMEOUT. A server that finds a port taken makes the whole
        cluster start again on new ports, up to START_ATTEMPTS times."""
        if self._started:
            raise RuntimeError("cluster already started")
        self._started = True
        self.dir = tempfile.mkdtemp(prefix="sb-nats-")
        with _live_lock:
            _live.add(self)
        try:
            if self.tls:
                self._tls_files = _TLSFiles(os.path.join(self.dir, "tls"))
            self.nodes = [_Node(i, self.dir) for i in range(self.size)]
            for attempt in range(1, START_ATTEMPTS + 1):
                ports = free_tcp_ports(3 * self.size)
                for n in self.nodes:
                    n.port, n.cluster_port, n.http_port = ports[3 * n.index:3 * n.index + 3]
                    shutil.rmtree(n.dir, ignore_errors=True)
                    os.makedirs(n.store_dir)
                for n in self.nodes:
                    self._write_config(n)
                    self._spawn(n)
                try:
                    self.wait_ready()
                    return self
                except _PortTaken:
                    for n in self.nodes:
                        self._terminate(n, kill=True)
                    if attempt == START_ATTEMPTS:
                        raise AssertionError(
                            f"nats-server found a port taken {START_ATTEMPTS} times\n"
                            + self.log_tails())
        except BaseException:
            self.stop()
            raise

    def stop(self):
        """SIGTERM every server (SIGKILL after STOP_TIMEOUT) and remove the
        tempdir, unless SB_NATS_KEEP is set in the environment (to read the
        logs and configs after a failure). Safe to call twice, or before
        start()."""
        for n in self.nodes:
            if n.running():
                n.proc.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + STOP_TIMEOUT
        for n in self.nodes:
            if n.proc is None:
                continue
            try:
                n.proc.wait(timeout=max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                n.proc.kill()
                n.proc.wait()
        if self.dir is not None:
            if os.environ.get("SB_NATS_KEEP"):
                print(f"natstest: SB_NATS_KEEP set, leaving {self.dir}")
            else:
                shutil.rmtree(self.dir, ignore_errors=True)
        with _live_lock:
            _live.discard(self)

    def kill(self, i):
        """SIGKILL server i and reap it: a crash, no goodbye to the others.
        Its store directory stays for restart(i)."""
        self._terminate(self.nodes[i], kill=True)

    def restart(self, i, timeout=READY_TIMEOUT):
        """Start server i again (stopped first if running, by SIGKILL) with
        the same config, ports and store directory; return once it is ready
        and caught up (see wait_ready). A port taken meanwhile fails."""
        n = self.nodes[i]
        self._terminate(n, kill=True)
        self._spawn(n)
        try:
            self.wait_ready(timeout, only=[i])
        except _PortTaken:
            raise AssertionError(f"{n.name} could not bind its old ports again\n"
                                 + self.log_tail(i)) from None

    def restart_all(self, timeout=3 * READY_TIMEOUT):
        """Start every server again at once (after all were lost: none can
        be ready alone, as JetStream needs a quorum to elect its leader);
        return once all are ready."""
        for n in self.nodes:
            self._terminate(n, kill=True)
            self._spawn(n)
        try:
            self.wait_ready(timeout)
        except _PortTaken:
            raise AssertionError("a server could not bind its old ports again\n"
                                 + self.log_tails()) from None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    # -- readiness ----------------------------------------------------------

    def wait_ready(self, timeout=READY_TIMEOUT, only=None):
        """Poll until the servers in `only` (default: all running ones) are
        ready, failing after `timeout` seconds with their log tails. Ready
        means, for each:
          1. its process runs (an exit fails at once; a port clash raises
             _PortTaken for start() to retry);
          2. GET /healthz on its monitoring port says {"status":"ok"}: it
             listens for clients and JetStream is up and current (in a
             cluster: the server knows the meta leader and its streams
             caught up), which is what matters after restart(i);
          3. with size > 1: every running server's /jsz names the same meta
             leader and a cluster_size of `size`, and the leader's /jsz lists
             every other running server as a current peer;
          4. a $JS.API.INFO request on its client port, through this
             module's client (authentication and TLS included), succeeds:
             the JetStream API answers, no "no responders" in an election."""
        indexes = list(range(self.size)) if only is None else list(only)
        deadline = time.monotonic() + timeout
        describe = lambda: self.log_tails(indexes)  # noqa: E731
        for i in indexes:
            n = self.nodes[i]
            left = max(0.0, deadline - time.monotonic())
            poll(lambda: self._alive(n) and self.healthz(i).get("status") == "ok",
                 left, f"{n.name} /healthz ok", describe=describe, interval=0.25)
        if self.size > 1:
            left = max(0.0, deadline - time.monotonic())
            poll(lambda: self._agreed_leader(indexes), left,
                 "a JetStream meta leader all servers agree on", describe=describe)
        for i in indexes:
            left = max(0.0, deadline - time.monotonic())
            poll(lambda: self._js_info_ok(i), left,
                 f"$JS.API.INFO on {self.nodes[i].name}", describe=describe)

    def _alive(self, n):
        if n.running():
            return True
        log = self._read_log(n)
        if "address already in use" in log:
            raise _PortTaken(n.name)
        raise AssertionError(f"{n.name} exited with status {n.proc.returncode}\n"
                             + self.log_tail(n.index))

    def _agreed_leader(self, indexes):
        leaders = set()
        for i in range(self.size):
            if not self.nodes[i].running():
                continue
            meta = self.jsz(i).get("meta_cluster") or {}
            if meta.get("cluster_size") != self.size:
                return None
            leaders.add(meta.get("leader") or "")
        if len(leaders) != 1 or "" in leaders:
            return None
        leader = leaders.pop()
        # The leader must also count every other running server as a current
        # peer, or a stream with one replica per server has too few places.
        by_name = {n.name: n.index for n in self.nodes}
        if leader not in by_name:
            return None
        meta = self.jsz(by_name[leader]).get("meta_cluster") or {}
        current = {r.get("name") for r in meta.get("replicas") or [] if r.get("current")}
        others = {n.name for n in self.nodes if n.running() and n.name != leader}
        return leader if others <= current else None

    def _js_info_ok(self, i):
        with self.connect(i, timeout=2.0) as c:
            return c.js_api("INFO", timeout=2.0)

    def meta_leader(self):
        """The name of the JetStream meta leader as some running server's
        /jsz says, or None."""
        for i in range(self.size):
            if self.nodes[i].running():
                try:
                    leader = (self.jsz(i).get("meta_cluster") or {}).get("leader")
                except (OSError, ValueError):
                    continue
                if leader:
                    return leader
        return None

    # -- monitoring ---------------------------------------------------------

    def monitor(self, i, path, timeout=2.0):
        """GET a monitoring endpoint of server i (path such as "varz" or
        "jsz?streams=true"), decoded from JSON. /healthz answers 503 with a
        JSON body when not ok: that body is returned too."""
        try:
            with urllib.request.urlopen(self.monitor_url(i, path), timeout=timeout) as r:
                return json.loads(r.read())
        except urllib.error.HTTPError as e:
            body = e.read()
            try:
                return json.loads(body)
            except ValueError:
                raise OSError(f"HTTP {e.code} from {path}: {body[:200]!r}") from None

    def healthz(self, i):
        return self.monitor(i, "healthz")

    def jsz(self, i, query=""):
        return self.monitor(i, "jsz" + (f"?{query}" if query else ""))

    def varz(self, i):
        return self.monitor(i, "varz")

    # -- clients ------------------------------------------------------------

    def connect(self, i, timeout=5.0, authenticate=True, use_tls=None, client_cert=None,
                name="natstest"):
        """A connected NatsClient on server i. With `authenticate` it sends
        the cluster's credentials. use_tls None means "as the server asks";
        with mutual TLS the cluster's client certificate is presented unless
        `client_cert` gives another (cert, key) pair, or False for none."""
        ctx = None
        if self.tls and use_tls is not False:
            ctx = ssl.create_default_context(cafile=self.ca_file)
            pair = client_cert if client_cert is not None else \
                (self.client_cert, self.client_key) if self.tls == "verify" else None
            if pair:
                ctx.load_cert_chain(*pair)
        creds = {}
        if authenticate:
            creds = dict(user=self.user, password=self.password, token=self.token)
        return NatsClient("127.0.0.1", self.nodes[i].port, timeout=timeout, ssl_context=ctx,
                          name=name, **creds)

    # -- logs ---------------------------------------------------------------

    def _read_log(self, n):
        try:
            with open(n.log, errors="replace") as f:
                return f.read()
        except OSError:
            return ""

    def log_text(self, i):
        """All of server i's log so far ("" before it exists)."""
        return self._read_log(self.nodes[i])

    def log_tail(self, i, lines=LOG_TAIL_LINES):
        """The last `lines` lines of server i's log, headed by its name."""
        n = self.nodes[i]
        # The readiness polls' own "Healthcheck failed" lines say nothing
        # the caller does not know; the lines between them do.
        text = [line for line in self._read_log(n).splitlines()
                if "Healthcheck failed" not in line][-lines:]
        return f"--- {n.name} ({n.log}), last {len(text)} lines:\n" + "\n".join(text)

    def log_tails(self, indexes=None, lines=LOG_TAIL_LINES):
        indexes = range(len(self.nodes)) if indexes is None else indexes
        return "\n".join(self.log_tail(i, lines) for i in indexes)

    # -- internals ----------------------------------------------------------

    def _write_config(self, n):
        q = _conf_string
        lines = [
            f"server_name: {q(n.name)}",
            f"listen: {q(f'127.0.0.1:{n.port}')}",
            f"http: {q(f'127.0.0.1:{n.http_port}')}",
            "jetstream {",
            f"  store_dir: {q(n.store_dir)}",
            f"  max_mem: {self.max_mem}",
            f"  max_file: {self.max_file}",
            "}",
        ]
        if self.size > 1:
            routes = [f"    {q(f'nats-route://127.0.0.1:{o.cluster_port}')}"
                      for o in self.nodes if o is not n]
            lines += [
                "cluster {",
                f"  name: {q(self.cluster_name)}",
                f"  listen: {q(f'127.0.0.1:{n.cluster_port}')}",
                "  routes: [", *routes, "  ]",
                "}",
            ]
        if self.token is not None:
            lines += ["authorization {", f"  token: {q(self.token)}", "}"]
        elif self.user is not None:
            lines += ["authorization {", f"  user: {q(self.user)}",
                      f"  password: {q(self.password)}", "}"]
        if self.tls:
            t = self._tls_files
            lines += [
                "tls {",
                f"  cert_file: {q(t.cert_file)}",
                f"  key_file: {q(t.key_file)}",
                f"  ca_file: {q(t.ca_file)}",
                f"  verify: {'true' if self.tls == 'verify' else 'false'}",
                "  timeout: 2",
                "}",
            ]
        if self.debug:
            lines += ["debug: true", "trace: true"]
        with open(n.config, "w") as f:
            f.write("\n".join(lines) + "\n")

    def _spawn(self, n):
        with open(n.log, "a") as log:
            log.write(f"=== natstest: starting {n.name} at {time.strftime('%H:%M:%S')}\n")
            log.flush()
            n.proc = subprocess.Popen([NATS_SERVER, "-c", n.config], stdin=subprocess.DEVNULL,
                                      stdout=log, stderr=subprocess.STDOUT,
                                      preexec_fn=_die_with_parent(os.getpid()))

    def _terminate(self, n, kill=False):
        if n.proc is None:
            return
        if n.proc.poll() is None:
            if kill:
                n.proc.kill()
            else:
                n.proc.send_signal(signal.SIGTERM)
        try:
            n.proc.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            n.proc.kill()
            n.proc.wait()


class Msg:
    """A message received: subject, reply subject, headers (a dict of the
    last value per name, or None), status ("503" and such, from a header
    block's first line, or None) and data (bytes)."""

    def __init__(self, subject, reply, data, headers=None, status=None, description=None):
        self.subject, self.reply, self.data = subject, reply, data
        self.headers, self.status, self.description = headers, status, description

    def json(self):
        return json.loads(self.data)

    def __repr__(self):
        return (f"Msg({self.subject!r}, reply={self.reply!r}, status={self.status!r}, "
                f"headers={self.headers!r}, data={self.data[:200]!r})")


class NatsClient:
    """A minimal, synchronous NATS client on one TCP connection: CONNECT,
    PUB/HPUB, SUB, PING/PONG, and request/reply through one wildcard inbox
    subscription. Enough to drive JetStream's API; no reconnects, no async
    delivery (messages arrive while a call reads)."""

    def __init__(self, host, port, user=None, password=None, token=None, ssl_context=None,
                 timeout=5.0, name="natstest"):
        self.timeout = timeout
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.buf = b""
        self.info = {}
        self._next_sid = 1
        self._next_req = 0
        self.pending = []  # messages for other subscriptions
        try:
            deadline = time.monotonic() + timeout
            op = self._read_op(deadline)
            if op[0] != "INFO":
                raise NatsError(f"expected INFO, got {op!r}")
            if self.info.get("tls_required"):
                if ssl_context is None:
                    raise NatsError("server requires TLS")
                self.sock = ssl_context.wrap_socket(self.sock, server_hostname=host)
            connect = {"verbose": False, "pedantic": False, "name": name, "lang": "python",
                       "version": "0", "protocol": 1, "headers": True, "no_responders": True,
                       "tls_required": ssl_context is not None}
            if user is not None:
                connect.update(user=user, **{"pass": password})
            if token is not None:
                connect["auth_token"] = token
            self._send(b"CONNECT " + json.dumps(connect).encode() + b"\r\nPING\r\n")
            self._expect_pong(deadline)
            self.inbox = f"_INBOX.{secrets.token_hex(8)}"
            self._inbox_sid = self.subscribe(self.inbox + ".*")
        except BaseException:
            self.sock.close()
            raise

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass

    # -- sending --------------------------------------------------------------

    def _send(self, data):
        self.sock.sendall(data)

    def subscribe(self, subject, queue=None):
        """SUB; returns the subscription id."""
        sid = str(self._next_sid)
        self._next_sid += 1
        self._send(f"SUB {subject} {queue + ' ' if queue else ''}{sid}\r\n".encode())
        return sid

    def publish(self, subject, data=b"", reply=None, headers=None):
        """PUB (HPUB with `headers`, a dict), without waiting for anything."""
        if isinstance(data, str):
            data = data.encode()
        r = f" {reply}" if reply else ""
        if headers:
            hdr = "NATS/1.0\r\n" + "".join(f"{k}: {v}\r\n" for k, v in headers.items()) + "\r\n"
            hdr = hdr.encode()
            self._send(f"HPUB {subject}{r} {len(hdr)} {len(hdr) + len(data)}\r\n".encode()
                       + hdr + data + b"\r\n")
        else:
            self._send(f"PUB {subject}{r} {len(data)}\r\n".encode() + data + b"\r\n")

    def flush(self, timeout=None):
        """PING and wait for PONG: the server has processed all sent so far."""
        self._send(b"PING\r\n")
        self._expect_pong(time.monotonic() + (timeout or self.timeout))

    def request(self, subject, data=b"", timeout=None, headers=None):
        """Publish with a fresh reply subject and return the first reply (a
        Msg). A "no responders" status (503) raises NatsError; so does
        silence for `timeout` seconds."""
        self._next_req += 1
        reply = f"{self.inbox}.{self._next_req}"
        self.publish(subject, data, reply=reply, headers=headers)
        deadline = time.monotonic() + (timeout or self.timeout)
        while True:
            msg = self.next_msg(deadline)
            if msg is None:
                raise NatsError(f"no reply to {subject} within {timeout or self.timeout}s")
            if msg.subject != reply:
                continue  # a late reply to an earlier request, or another subscription's
            if msg.status == "503":
                raise NatsError(f"no responders for {subject}")
            return msg

    def js_api(self, api, body=None, timeout=None):
        """A JetStream API request on $JS.API.<api> with `body` (a dict, sent
        as JSON; None sends nothing); the decoded reply. A reply with an
        "error" member raises JetStreamError."""
        subject = f"$JS.API.{api}"
        data = b"" if body is None else json.dumps(body).encode()
        reply = self.request(subject, data, timeout=timeout).json()
        if "error" in reply:
            raise JetStreamError(subject, reply["error"])
        return reply

    # -- receiving ------------------------------------------------------------

    def next_msg(self, deadline):
        """The next MSG/HMSG received before `deadline` (monotonic), or
        None. PINGs are answered on the way."""
        while True:
            op = self._read_op(deadline)
            if op is None:
                return None
            if op[0] == "MSG":
                msg = op[1]
                if msg.subject.startswith(self.inbox + "."):
                    return msg
                self.pending.append(msg)

    def _expect_pong(self, deadline):
        while True:
            op = self._read_op(deadline)
            if op is None:
                raise NatsError("no PONG before the deadline")
            if op[0] == "PONG":
                return
            if op[0] == "MSG":
                self.pending.append(op[1])

    def _fill(self, deadline):
        left = deadline - time.monotonic()
        if left <= 0:
            return False
        self.sock.settimeout(left)
        try:
            chunk = self.sock.recv(65536)
        except (socket.timeout, ssl.SSLWantReadError):
            return False
        if not chunk:
            raise NatsError("connection closed by the server")
        self.buf += chunk
        return True

    def _line(self, deadline):
        while b"\r\n" not in self.buf:
            if not self._fill(deadline):
                return None
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line.decode()

    def _payload(self, size, deadline):
        while len(self.buf) < size + 2:
            if not self._fill(deadline):
                raise NatsError("a message's payload did not arrive in time")
        data, self.buf = self.buf[:size], self.buf[size + 2:]
        return data

    def _read_op(self, deadline):
        """One protocol operation: ("INFO",), ("PONG",), ("MSG", Msg), or
        None at the deadline. -ERR raises NatsError; PING is answered."""
        while True:
            line = self._line(deadline)
            if line is None:
                return None
            verb, _, rest = line.partition(" ")
            verb = verb.upper()
            if verb == "INFO":
                self.info = json.loads(rest)
                return ("INFO",)
            if verb == "PING":
                self._send(b"PONG\r\n")
                continue
            if verb == "PONG":
                return ("PONG",)
            if verb == "+OK":
                continue
            if verb == "-ERR":
                raise NatsError(f"server error: {rest}")
            if verb == "MSG":
                args = rest.split()
                subject, reply = args[0], (args[2] if len(args) == 4 else None)
                data = self._payload(int(args[-1]), deadline)
                return ("MSG", Msg(subject, reply, data))
            if verb == "HMSG":
                args = rest.split()
                subject, reply = args[0], (args[2] if len(args) == 5 else None)
                hlen, total = int(args[-2]), int(args[-1])
                raw = self._payload(total, deadline)
                status, description, headers = _parse_headers(raw[:hlen])
                return ("MSG", Msg(subject, reply, raw[hlen:], headers, status, description))
            raise NatsError(f"unexpected protocol line {line!r}")


def _parse_headers(raw):
    """NATS/1.0[ status[ description]]\\r\\nName: value\\r\\n...\\r\\n\\r\\n"""
    lines = raw.decode(errors="replace").split("\r\n")
    m = re.match(r"NATS/1\.0(?: (\d{3}))?(?: (.*))?$", lines[0])
    status = m.group(1) if m else None
    description = m.group(2) if m else None
    headers = {}
    for line in lines[1:]:
        if ":" in line:
            k, _, v = line.partition(":")
            headers[k.strip()] = v.strip()
    return status, description, headers


def decode_stored_message(reply):
    """The data (bytes) of a $JS.API.STREAM.MSG.GET reply's message, which
    JetStream sends base64-encoded."""
    return base64.b64decode(reply["message"].get("data", ""))
