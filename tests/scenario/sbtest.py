"""Scenario-test harness: the real switchboard daemon on an ephemeral
loopback port, real endpoint processes, and polling with deadlines.

Nothing here sleeps and hopes: every wait is `wait_until(condition,
deadline)`, which polls and fails with a description when time runs out.
"""
import ctypes
import itertools
import json
import os
import re
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time
import unittest

import dns.exception
import dns.flags
import dns.message
import dns.query
import dns.rcode
import dns.rdatatype

BINARY = os.environ.get("SB_BINARY", "build/switchboard")
# The demo location database the shipped zone's geo profile needs: written
# by the build beside the binary (packaging/demo_geo.py).
DEMO_GEO = os.path.join(os.path.dirname(os.path.abspath(BINARY)), "demo-geo.mmdb")
HERE = os.path.dirname(os.path.abspath(__file__))
READY_TIMEOUT = 15.0

# Started as root (CI runs the suite as root), the daemon must be told whom
# to become; the suite runs it as it runs in production: as an unprivileged
# user after binding. Files the daemon reads or writes after that live in
# directories from tempdir(), which that user owns.
RUN_AS = "nobody" if os.geteuid() == 0 else None


def free_port(candidates=None):
    """A port free for both UDP and TCP on 127.0.0.1 right now (another
    process may take it before the caller binds it: retry then). From
    `candidates` when given (None when none is free), else any."""
    # Port 0: the kernel picks one, tried again until TCP has it free too.
    for port in candidates if candidates is not None else itertools.repeat(0):
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as u, \
                socket.socket(socket.AF_INET, socket.SOCK_STREAM) as t:
            try:
                u.bind(("127.0.0.1", port))
                t.bind(("127.0.0.1", u.getsockname()[1]))
            except OSError:
                continue
            return u.getsockname()[1]
    return None


def tempdir(prefix="sb-scenario-"):
    """A new temporary directory the daemon can use once it has dropped
    root: owned by RUN_AS."""
    path = tempfile.mkdtemp(prefix=prefix)
    if RUN_AS is not None:
        import pwd
        pw = pwd.getpwnam(RUN_AS)
        os.chown(path, pw.pw_uid, pw.pw_gid)
    return path


def user_args(args):
    """`args` with --user RUN_AS added, unless they name a user already."""
    if RUN_AS is None or "--user" in args or "-u" in args:
        return list(args)
    return ["--user", RUN_AS, *args]


def server_args(args):
    """The options every test server gets unless `args` say otherwise: the
    user (user_args), and 127.0.0.1 exempt from response rate limiting,
    which stays on and counts (tests ask hundreds of questions a second
    from there). Rate-limiting tests send from other loopback addresses."""
    args = user_args(args)
    if not any(a.startswith("--rrl") for a in args):
        args += ["--rrl-exempt", "127.0.0.1"]
    return args


def wait_until(condition, timeout, what, interval=0.05):
    """Poll `condition` until it returns a true value; fail after `timeout`
    seconds, saying `what` was awaited."""
    deadline = time.monotonic() + timeout
    last = None
    while True:
        try:
            last = condition()
        except (OSError, dns.exception.DNSException) as e:
            last = e
            if time.monotonic() >= deadline:
                raise AssertionError(f"timed out after {timeout}s waiting for {what}: {e!r}")
        else:
            if last:
                return last
        if time.monotonic() >= deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what} (last: {last!r})")
        time.sleep(interval)


class Endpoint:
    """An endpoint.py process: started, killed and restarted by the test.
    `extra` holds more of endpoint.py's options (--body, --cert, ...)."""

    def __init__(self, mode, bind="127.0.0.1", status=200, port=0, extra=()):
        self.mode, self.bind, self.status, self.port = mode, bind, status, port
        self.extra = list(extra)
        self.proc = None
        self.requests = 0
        self.start()

    def start(self):
        args = [sys.executable, os.path.join(HERE, "endpoint.py"), self.mode,
                "--bind", self.bind, "--port", str(self.port), "--status", str(self.status),
                *self.extra]
        self.proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                     text=True)
        line = self.proc.stdout.readline()
        m = re.match(r"PORT (\d+)", line)
        if not m:
            raise AssertionError(f"endpoint did not start: {line!r} {self.proc.stderr.read()}")
        self.port = int(m.group(1))
        threading.Thread(target=self._count, args=(self.proc,), daemon=True).start()

    def _count(self, proc):
        with proc.stderr:
            for line in proc.stderr:
                if line.startswith("REQUEST"):
                    self.requests += 1

    def kill(self):
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        if self.proc:
            self.proc.stdout.close()

    def restart(self):
        self.kill()
        self.start()


class Server:
    """A switchboard daemon serving `zones` ({file name: text})."""

    def __init__(self, zones, args=(), zones_dir=None, state_file=None, threads=2, env=None):
        self.tmp = tempdir()
        self.control_socket = os.path.join(self.tmp, "control.sock")
        self.state_file = state_file or os.path.join(self.tmp, "state.json")
        if zones_dir is None:
            zones_dir = os.path.join(self.tmp, "zones")
            os.mkdir(zones_dir)
            for name, text in zones.items():
                with open(os.path.join(zones_dir, name), "w") as f:
                    f.write(text)
        self.zones_dir = zones_dir
        self.lines = []
        self.cond = threading.Condition()
        cmd = [BINARY, "serve", "--zones", zones_dir, "--listen", "127.0.0.1:0",
               "--threads", str(threads), "--control-socket", self.control_socket,
               "--state-file", self.state_file, *server_args(args)]
        self.proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                     text=True, env=env)
        threading.Thread(target=self._read, daemon=True).start()
        line = self.wait_log(r"event=listening address=127\.0\.0\.1:(\d+)", READY_TIMEOUT)
        self.port = int(re.search(r":(\d+) ", line).group(1))
        self.wait_log(r"event=ready", READY_TIMEOUT)

    def _read(self):
        with self.proc.stderr:
            for line in self.proc.stderr:
                if os.environ.get("SB_ECHO_LOG"):
                    sys.stderr.write(line)
                with self.cond:
                    self.lines.append(line.rstrip("\n"))
                    self.cond.notify_all()
        with self.cond:
            self.cond.notify_all()

    def wait_log(self, pattern, timeout, start=0):
        """The first log line from index `start` matching `pattern`."""
        rx = re.compile(pattern)
        deadline = time.monotonic() + timeout
        with self.cond:
            while True:
                for line in self.lines[start:]:
                    if rx.search(line):
                        return line
                left = deadline - time.monotonic()
                if left <= 0 or (self.proc.poll() is not None and not self._reading()):
                    raise AssertionError(
                        f"no log line matching {pattern!r} within {timeout}s; log:\n"
                        + "\n".join(self.lines[-40:]))
                self.cond.wait(min(left, 0.2))

    def _reading(self):
        return self.proc.stderr is not None and not self.proc.stderr.closed

    def log_count(self, pattern):
        rx = re.compile(pattern)
        with self.cond:
            return sum(1 for line in self.lines if rx.search(line))

    def query(self, name, rdtype="A", tcp=False, timeout=2.0, **kw):
        q = dns.message.make_query(name, rdtype, **kw)
        if tcp:
            return dns.query.tcp(q, "127.0.0.1", port=self.port, timeout=timeout)
        return dns.query.udp(q, "127.0.0.1", port=self.port, timeout=timeout,
                             ignore_trailing=False)

    def ctl(self, *args, check=True):
        """Run `switchboard ctl` against this server; (exit status, stdout,
        stderr). With check, a non-zero exit fails the test."""
        r = subprocess.run([BINARY, "ctl", "--socket", self.control_socket, *args],
                           capture_output=True, text=True, timeout=10)
        if check and r.returncode != 0:
            raise AssertionError(f"switchboard ctl {' '.join(args)} exited {r.returncode}: "
                                 f"{r.stderr}")
        return r.returncode, r.stdout, r.stderr

    def ctl_start(self, *args):
        """Start `switchboard ctl` against this server without waiting for
        it; communicate() gives its stdout and stderr."""
        return subprocess.Popen([BINARY, "ctl", "--socket", self.control_socket, *args],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

    def raw_udp(self, payload, timeout=1.0):
        """Send raw bytes; the reply's bytes, or None when nothing came."""
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.settimeout(timeout)
            s.sendto(payload, ("127.0.0.1", self.port))
            try:
                return s.recv(65535)
            except socket.timeout:
                return None

    def stop(self):
        """SIGTERM; the daemon must exit 0 promptly."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                rc = self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                raise AssertionError("switchboard did not exit within 10s of SIGTERM")
            if rc != 0:
                raise AssertionError(f"switchboard exited {rc}; log:\n" + "\n".join(self.lines))
        shutil.rmtree(self.tmp, ignore_errors=True)

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        shutil.rmtree(self.tmp, ignore_errors=True)


_LOG_ESCAPES = {"n": "\n", "r": "\r", "t": "\t", '"': '"', "\\": "\\"}


def log_fields(line):
    """A log line's key=value pairs as a dict, read the way docs/running.md
    describes them: a value runs to the next space, or is in double quotes
    with \\" \\\\ \\n \\r \\t \\xHH escapes. Fails on anything else."""
    fields, i = {}, 0
    while i < len(line):
        m = re.compile(r"([a-z_]+)=").match(line, i)
        if not m:
            raise AssertionError(f"no key at {line[i:]!r} in {line!r}")
        i = m.end()
        if line.startswith('"', i):
            value, i = [], i + 1
            while line[i] != '"':
                if line[i] == "\\":
                    nxt = line[i + 1]
                    if nxt == "x":
                        value.append(chr(int(line[i + 2:i + 4], 16)))
                        i += 4
                        continue
                    value.append(_LOG_ESCAPES[nxt])
                    i += 2
                else:
                    value.append(line[i])
                    i += 1
            value, i = "".join(value), i + 1
        else:
            end = line.find(" ", i)
            end = len(line) if end < 0 else end
            value, i = line[i:end], end
        if m.group(1) in fields:
            raise AssertionError(f"key {m.group(1)} twice in {line!r}")
        fields[m.group(1)] = value
        if i < len(line):
            if line[i] != " ":
                raise AssertionError(f"expected a space at {line[i:]!r} in {line!r}")
            i += 1
    return fields


def answer_texts(msg):
    """The answer section as sorted presentation lines without TTLs' noise."""
    out = []
    for rrset in msg.answer:
        for rd in rrset:
            out.append(f"{rrset.name} {rrset.ttl} {dns.rdatatype.to_text(rrset.rdtype)} {rd}")
    return out


def assert_answers_promptly(srv, names, count=200, bound=1.0):
    """Ask for `names` in turn, `count` queries, 5 ms apart: every one must
    be answered, none slower than `bound` seconds. A stall detector for
    while probes meet hostile endpoints, not a benchmark: a DNS side that
    waited on a probe would take the probe's timeout or longer. Returns the
    slowest time, in seconds."""
    worst = 0.0
    for i in range(count):
        started = time.monotonic()
        reply = srv.query(names[i % len(names)], timeout=bound)
        took = time.monotonic() - started
        if not reply.answer:
            raise AssertionError(f"no answer for {names[i % len(names)]}: {reply}")
        if took >= bound:
            raise AssertionError(f"{names[i % len(names)]} took {took * 1000:.0f} ms")
        worst = max(worst, took)
        time.sleep(0.005)
    print(f"{count} queries during hostile probes: slowest {worst * 1000:.1f} ms")
    return worst


def cname_target(msg):
    for rrset in msg.answer:
        if rrset.rdtype == dns.rdatatype.CNAME:
            return str(rrset[0].target)
    return None


def raw_tcp(port, payload, timeout=2.0, host="127.0.0.1"):
    """Send one message over a new TCP connection with RFC 7766 two-byte
    length framing; the reply's bytes, or None when the server closed the
    connection without one."""
    with socket.create_connection((host, port), timeout=timeout) as s:
        s.sendall(struct.pack("!H", len(payload)) + payload)
        return read_frame(s)


def read_frame(sock):
    """One length-framed message from a TCP socket, or None at a clean end
    of stream before its first byte; a stream cut inside a frame fails."""
    def exactly(n, first):
        buf = b""
        while len(buf) < n:
            chunk = sock.recv(n - len(buf))
            if not chunk:
                if first and not buf:
                    return None
                raise AssertionError(f"TCP stream ended inside a frame ({len(buf)} of {n} bytes)")
            buf += chunk
        return buf
    head = exactly(2, True)
    if head is None:
        return None
    (n,) = struct.unpack("!H", head)
    return exactly(n, False)


def read_line(sock):
    """Bytes from a stream socket up to a newline (kept) or the end of the
    stream: one reply of the control socket."""
    data = b""
    while not data.endswith(b"\n"):
        chunk = sock.recv(65536)
        if not chunk:
            break
        data += chunk
    return data


def control_request(path, request):
    """One request (a dict) on the control socket at `path`, without
    `switchboard ctl`; the reply, decoded."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        s.settimeout(10)
        s.connect(path)
        s.sendall(json.dumps(request).encode() + b"\n")
        return json.loads(read_line(s))


_ldns = None


def ldns_parse_error(wire):
    """None when libldns (ldns_wire2pkt) parses `wire` as a DNS message,
    else ldns's error text: an independent parser's opinion of a response."""
    global _ldns
    if _ldns is None:
        lib = ctypes.CDLL("libldns.so.3")
        lib.ldns_wire2pkt.argtypes = [ctypes.POINTER(ctypes.c_void_p), ctypes.c_char_p,
                                      ctypes.c_size_t]
        lib.ldns_wire2pkt.restype = ctypes.c_int
        lib.ldns_pkt_free.argtypes = [ctypes.c_void_p]
        lib.ldns_pkt_free.restype = None
        lib.ldns_get_errorstr_by_id.argtypes = [ctypes.c_int]
        lib.ldns_get_errorstr_by_id.restype = ctypes.c_char_p
        _ldns = lib
    pkt = ctypes.c_void_p()
    wire = bytes(wire)
    status = _ldns.ldns_wire2pkt(ctypes.byref(pkt), wire, len(wire))
    if pkt.value:
        _ldns.ldns_pkt_free(pkt)
    if status == 0:
        return None
    text = _ldns.ldns_get_errorstr_by_id(status)
    return f"ldns status {status}: {text.decode() if text else '?'}"


ZONE_HEADER = """$ORIGIN example.com.
$TTL 3600
@     SOA  ns1 hostmaster 2026112101 7200 900 1209600 60
@     NS   ns1
ns1   A    127.0.0.1
"""


class ScenarioCase(unittest.TestCase):
    """Base class: endpoints and servers started by a test are stopped at
    its end, whatever happens."""

    def endpoint(self, *args, **kw):
        ep = Endpoint(*args, **kw)
        self.addCleanup(ep.kill)
        return ep

    def server(self, zones, args=(), **kw):
        srv = Server(zones, args, **kw)
        self.addCleanup(srv.kill)
        return srv


def main():
    unittest.main(verbosity=2)
