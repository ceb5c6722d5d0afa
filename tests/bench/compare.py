#!/usr/bin/python3
"""Switchboard beside gdnsd, NSD and Knot: the same zone, the same queries.

    tests/bench/compare.py [--build build] [--parts load,cpu,instr]
                           [--records 500000] [--filler 10000]
                           [--seconds 5] [--queries 20000]
                           [--servers switchboard,gdnsd,nsd,knot]

Prints one table per part, every server in the same run:

- load: a zone of --records records (A, AAAA, MX, TXT, CNAME and
  delegations with glue): seconds from starting the server to its first
  answer for the zone's last name, records per second, peak RSS (VmHWM)
  and bytes of it per record.
- cpu: per answer kind, the server pinned to CPU 0 and dnsperf to CPU 1 for
  --seconds: the server's CPU (user + system, from /proc) per answer and
  answers per second. Kernel and all, so socket calls dominate.
- instr: per answer kind, the server under callgrind: counters zeroed,
  --queries queries sent with dnsperf, counters read; the instructions an
  idle server runs in the same time are taken off. User space only, and
  repeatable on any machine: the figure to compare code with.

Answer kinds, on the zone example.test. (--filler names beside them):
static (an A record), dynamic (a traffic-managed name: a Switchboard
priority profile, a gdnsd simplefo resource; NSD and Knot have none and
answer a static A instead, marked *), cname (a CNAME to an A in the zone),
nxdomain, nodata (AAAA of a name with only A), referral (a delegation with
glue).

Needs gdnsd, nsd, knot, dnsperf, valgrind and python3-dnspython (Debian
packages; apt-get install gdnsd nsd knot dnsperf valgrind). The peers run as
this user on loopback ports from a temporary directory; their system
services are not touched. Every server gets one UDP worker; Switchboard's
response rate limiting is off (so are the peers': Debian's NSD has it on,
set to 0 here).
"""
import argparse
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "scenario"))

import dns.message  # noqa: E402
import dns.query  # noqa: E402
import dns.rcode  # noqa: E402

import peer_conf  # noqa: E402

ZONE = "example.test."
KINDS = [
    ("static", "www.example.test. A"),
    ("dynamic", "dyn.example.test. A"),
    ("cname", "alias.example.test. A"),
    ("nxdomain", "nothere.example.test. A"),
    ("nodata", "www.example.test. AAAA"),
    ("referral", "host.sub.example.test. A"),
]
READY_TIMEOUT = 600.0


def free_port():
    """A port free for both UDP and TCP on 127.0.0.1 right now."""
    while True:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as u:
            u.bind(("127.0.0.1", 0))
            port = u.getsockname()[1]
            with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as t:
                try:
                    t.bind(("127.0.0.1", port))
                    return port
                except OSError:
                    continue


# ---------------------------------------------------------------- the zone

def filler_records(n):
    """n records on names r<i>: a realistic mix of types, and every 50th
    name a delegation with glue."""
    out = []
    i = 0
    while len(out) < n:
        name = f"r{i}"
        kind = i % 10
        if i % 50 == 49:
            out.append(f"{name} 3600 NS ns.{name}")
            out.append(f"ns.{name} 3600 A 198.51.{(i >> 8) & 255}.{i & 255}")
        elif kind < 5:
            out.append(f"{name} 3600 A 10.{(i >> 16) & 255}.{(i >> 8) & 255}.{i & 255}")
        elif kind < 7:
            out.append(f"{name} 3600 AAAA 2001:db8::{i & 0xffff:x}:{(i >> 16) & 0xffff:x}")
        elif kind == 7:
            out.append(f"{name} 3600 MX 10 mail.r{i - 1}")
        elif kind == 8:
            out.append(f'{name} 3600 TXT "v=spf1 ip4:10.{i & 255}.0.0/16 -all"')
        else:
            out.append(f"{name} 3600 CNAME r{i - 4}")
        i += 1
    return out[:n], f"r{i - 1}"


def zone_text(dynamic_line, filler):
    records, _ = filler_records(filler)
    head = f"""$ORIGIN {ZONE}
$TTL 3600
@       SOA   ns1 hostmaster 1 7200 900 1209600 60
@       NS    ns1
ns1     A     127.0.0.1
www     A     192.0.2.10
alias   CNAME www
sub     NS    ns.sub
ns.sub  A     192.0.2.53
{dynamic_line}
"""
    # The last record is an address, so that an answer to it shows the
    # whole zone is loaded.
    return head + "\n".join(records) + "\nlast 3600 A 192.0.2.99\n", "last"


SB_DYNAMIC = """dyn     profile priority ttl=30 {
            monitor none
            endpoint east  192.0.2.20  priority=1
            endpoint west  192.0.2.21  priority=2
        }"""
GDNSD_DYNAMIC = "dyn 30 DYNA simplefo!dyn"
STATIC_DYNAMIC = "dyn 30 A 192.0.2.20"


# ---------------------------------------------------------------- servers

def process_tree(pid):
    """pid and its descendants (NSD answers in a child process)."""
    out = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout
    return [pid] + [p for c in out.split() for p in process_tree(int(c))]


class Server:
    """One server on 127.0.0.1:port serving the zone from its own dir."""

    name = "?"
    dynamic_line = STATIC_DYNAMIC
    has_dynamic = False

    def __init__(self, args, filler, wrap=()):
        self.args = args
        self.tmp = tempfile.mkdtemp(prefix=f"sb-compare-{self.name}-")
        self.port = free_port()
        text, self.last_name = zone_text(self.dynamic_line, filler)
        self.records = text.count("\n") - 2
        self.write_config(text)
        self.log = open(os.path.join(self.tmp, "server.log"), "w")
        self.started = time.monotonic()
        # A wrapper (taskset, valgrind) goes right before the server.
        self.proc = subprocess.Popen(self.become() + list(wrap) + self.command(), stdin=subprocess.DEVNULL,
                                     stdout=self.log, stderr=subprocess.STDOUT,
                                     cwd=self.tmp)

    def zone_path(self):
        return os.path.join(self.tmp, "zones", "example.test.zone")

    def become(self):
        """What to run the server (and its wrapper) under."""
        return []

    def write_zone(self, text):
        os.makedirs(os.path.dirname(self.zone_path()), exist_ok=True)
        with open(self.zone_path(), "w") as f:
            f.write(text)

    def check_command(self):
        """The server's own zone checker, run on the same zone."""
        return None

    def write(self, name, text):
        with open(os.path.join(self.tmp, name), "w") as f:
            f.write(text)

    def wait_answer(self, qname, timeout=READY_TIMEOUT):
        """Seconds from start until qname gets an authoritative answer."""
        q = dns.message.make_query(qname, "A")
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.name} exited:\n{self.log_text()}")
            try:
                r = dns.query.udp(q, "127.0.0.1", port=self.port, timeout=0.05)
                if r.rcode() == dns.rcode.NOERROR and r.answer:
                    return time.monotonic() - self.started
            except (dns.exception.Timeout, ConnectionRefusedError, OSError):
                pass
            time.sleep(0.005)
        raise RuntimeError(f"{self.name} did not answer {qname} in {timeout} s:\n"
                           f"{self.log_text()}")

    def pid(self):
        return self.proc.pid

    def status_kib(self, field):
        """The largest of the field over the server's processes (NSD's
        children share its zone's pages)."""
        most = 0
        for pid in process_tree(self.pid()):
            with open(f"/proc/{pid}/status") as f:
                for line in f:
                    if line.startswith(field + ":"):
                        most = max(most, int(line.split()[1]))
        return most

    def cpu_seconds(self):
        """User and system time of the server's processes."""
        ticks = 0
        for pid in process_tree(self.pid()):
            with open(f"/proc/{pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            ticks += int(fields[11]) + int(fields[12])
        return ticks / os.sysconf("SC_CLK_TCK")

    def log_text(self):
        self.log.flush()
        with open(os.path.join(self.tmp, "server.log")) as f:
            return f.read()[-3000:]

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()
        shutil.rmtree(self.tmp, ignore_errors=True)


class Switchboard(Server):
    name = "switchboard"
    dynamic_line = SB_DYNAMIC
    has_dynamic = True

    def write_config(self, text):
        self.write_zone(text)
        if os.getuid() == 0:
            for root, dirs, files in os.walk(self.tmp):
                for name in [root] + [os.path.join(root, f) for f in files]:
                    shutil.chown(name, "nobody")

    def become(self):
        # Started as root it would drop privileges itself, and a process
        # that changed its user cannot be reached by callgrind_control:
        # start it as nobody instead.
        if os.getuid() != 0:
            return []
        return ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups"]

    def command(self):
        return [os.path.abspath(os.path.join(self.args.build, "switchboard")), "serve",
                "--zones", os.path.join(self.tmp, "zones"),
                "--listen", f"127.0.0.1:{self.port}", "--threads", "1",
                "--control-socket", os.path.join(self.tmp, "control.sock"),
                "--state-file", os.path.join(self.tmp, "state.json"),
                "--rrl-responses", "0", "--rrl-nxdomains", "0", "--rrl-errors", "0"]


    def check_command(self):
        return [self.command()[0], "check", "--zones", os.path.join(self.tmp, "zones")]


class Gdnsd(Server):
    name = "gdnsd"
    dynamic_line = GDNSD_DYNAMIC
    has_dynamic = True

    def zone_path(self):
        # gdnsd takes the zone's name from the file's.
        return os.path.join(self.tmp, "zones", "example.test")

    def write_config(self, text):
        self.write_zone(text)
        self.write("config", f"""options => {{
  listen => [ 127.0.0.1:{self.port} ]
  udp_threads => 1
  tcp_threads => 1
  run_dir => {self.tmp}/run
  state_dir => {self.tmp}/state
}}
plugins => {{
  simplefo => {{
    service_types => up
    dyn => {{ primary => 192.0.2.20, secondary => 192.0.2.21 }}
  }}
}}
""")

    def command(self):
        return ["gdnsd", "-c", self.tmp, "start"]

    def check_command(self):
        return ["gdnsd", "-c", self.tmp, "checkconf"]


class Nsd(Server):
    name = "nsd"

    def write_config(self, text):
        self.write_zone(text)
        t = self.tmp
        self.write("nsd.conf", peer_conf.nsd_conf(t, self.port, [("example.test", "example.test.zone")],
                                                  zonesdir=f"{t}/zones"))

    def command(self):
        return ["nsd", "-d", "-c", os.path.join(self.tmp, "nsd.conf")]

    def check_command(self):
        return ["nsd-checkzone", "example.test", self.zone_path()]


class Knot(Server):
    name = "knot"

    def write_config(self, text):
        self.write_zone(text)
        t = self.tmp
        self.write("knot.conf", peer_conf.knot_conf(t, self.port,
                                                    [("example.test", self.zone_path())],
                                                    log_target="stderr"))

    def command(self):
        return ["knotd", "-c", os.path.join(self.tmp, "knot.conf")]

    def check_command(self):
        return ["kzonecheck", "-o", "example.test", self.zone_path()]


SERVERS = {"switchboard": Switchboard, "gdnsd": Gdnsd, "nsd": Nsd, "knot": Knot}


# ---------------------------------------------------------------- parts

def check_seconds(s):
    """Seconds the server's own zone checker takes on the zone, or None."""
    command = s.check_command()
    if not command or not shutil.which(command[0]):
        return None
    t0 = time.monotonic()
    subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    return time.monotonic() - t0


def part_load(args, servers):
    print(f"\n## Load: {args.records:,} records to first answer")
    print("| server | seconds | records/s | peak RSS MiB | bytes/record | check seconds |")
    print("| --- | --- | --- | --- | --- | --- |")
    for cls in servers:
        s = cls(args, args.records)
        try:
            secs = s.wait_answer(s.last_name + "." + ZONE)
            hwm = s.status_kib("VmHWM")
            s.proc.terminate()
            s.proc.wait(60)
            check = check_seconds(s)
        finally:
            s.stop()
        check_text = "—" if check is None else f"{check:.2f}"
        print(f"| {s.name} | {secs:.2f} | {s.records / secs:,.0f} | {hwm / 1024:.1f} "
              f"| {hwm * 1024 / s.records:,.0f} | {check_text} |", flush=True)


def query_file(tmp, kind):
    path = os.path.join(tmp, f"{kind}.txt")
    with open(path, "w") as f:
        f.write(dict(KINDS)[kind] + "\n")
    return path


def dnsperf(port, qfile, extra):
    """Runs dnsperf on CPU 1; returns (queries completed, seconds)."""
    out = subprocess.run(["taskset", "-c", "1", "dnsperf", "-s", "127.0.0.1", "-p", str(port),
                          "-d", qfile, "-c", "1"] + extra,
                         capture_output=True, text=True, check=True).stdout
    done = secs = 0.0
    for line in out.splitlines():
        if "Queries completed:" in line:
            done = int(line.split()[2])
        elif "Run time (s):" in line:
            secs = float(line.split()[3])
    return done, secs


def part_cpu(args, servers, tmp):
    print(f"\n## CPU per answer (server on CPU 0, dnsperf on CPU 1, {args.seconds} s per kind)")
    print("| kind | " + " | ".join(f"{c.name} µs | {c.name} q/s" for c in servers) + " |")
    print("| --- |" + " --- | --- |" * len(servers))
    rows = {k: [] for k, _ in KINDS}
    for cls in servers:
        s = cls(args, args.filler, wrap=("taskset", "-c", "0"))
        try:
            s.wait_answer("www." + ZONE, 120)
            for kind, _ in KINDS:
                before = s.cpu_seconds()
                done, secs = dnsperf(s.port, query_file(tmp, kind),
                                     ["-l", str(args.seconds), "-q", "64"])
                used = s.cpu_seconds() - before
                mark = "" if s.has_dynamic or kind != "dynamic" else "*"
                rows[kind].append(f"{used * 1e6 / max(done, 1):.2f}{mark} | {done / secs:,.0f}")
        finally:
            s.stop()
    for kind, _ in KINDS:
        print(f"| {kind} | " + " | ".join(rows[kind]) + " |", flush=True)


def callgrind(s, *args):
    """callgrind_control on server s and its child processes, as the
    server's user (vgdb's pipes are the user's)."""
    return "".join(subprocess.run(s.become() + ["callgrind_control"] + list(args) + [str(p)],
                                  capture_output=True, text=True, check=True,
                                  timeout=60).stdout
                   for p in process_tree(s.pid()))


def callgrind_total(s):
    """Instructions callgrind has counted in s since they were zeroed."""
    out = callgrind(s, "-e", "Ir")
    # "   Th 1  995,695" per thread, after a "Totals:" heading.
    total = 0
    for line in out.splitlines():
        words = line.replace(",", "").split()
        if len(words) == 3 and words[0] == "Th" and words[2].isdigit():
            total += int(words[2])
    return total, out


def part_instr(args, servers, tmp):
    print(f"\n## Instructions per answer (user space, callgrind, {args.queries:,} queries per kind)")
    print("| kind | " + " | ".join(c.name for c in servers) + " |")
    print("| --- |" + " --- |" * len(servers))
    rows = {k: [] for k, _ in KINDS}
    for cls in servers:
        s = cls(args, args.filler, wrap=("valgrind", "--tool=callgrind", "--trace-children=yes",
                                         f"--callgrind-out-file={tempfile.gettempdir()}"
                                         "/sb-compare-cg.%p", "--dump-instr=no"))
        try:
            s.wait_answer("www." + ZONE, 300)
            idle_rate = idle_instructions(s)
            for kind, _ in KINDS:
                callgrind(s, "-z")
                t0 = time.monotonic()
                done, _ = dnsperf(s.port, query_file(tmp, kind),
                                  ["-n", str(args.queries), "-q", "8", "-t", "10"])
                took = time.monotonic() - t0
                total, _ = callgrind_total(s)
                per = (total - idle_rate * took) / max(done, 1)
                mark = "" if s.has_dynamic or kind != "dynamic" else "*"
                rows[kind].append(f"{per:,.0f}{mark}")
        finally:
            s.stop()
    for kind, _ in KINDS:
        print(f"| {kind} | " + " | ".join(rows[kind]) + " |", flush=True)


def idle_instructions(s, seconds=2.0):
    """Instructions per second the server runs with nothing to answer."""
    callgrind(s, "-z")
    t0 = time.monotonic()
    time.sleep(seconds)
    total, _ = callgrind_total(s)
    return total / (time.monotonic() - t0)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--build", default="build")
    p.add_argument("--parts", default="load,cpu,instr")
    p.add_argument("--servers", default="switchboard,gdnsd,nsd,knot")
    p.add_argument("--records", type=int, default=500000)
    p.add_argument("--filler", type=int, default=10000)
    p.add_argument("--seconds", type=float, default=5)
    p.add_argument("--queries", type=int, default=20000)
    args = p.parse_args()
    servers = [SERVERS[n] for n in args.servers.split(",")]
    tmp = tempfile.mkdtemp(prefix="sb-compare-")
    print(f"# compare.py {time.strftime('%Y-%m-%d %H:%M')} UTC, nproc {os.cpu_count()}, "
          f"load average {os.getloadavg()[0]:.1f}")
    try:
        parts = args.parts.split(",")
        if "load" in parts:
            part_load(args, servers)
        if "cpu" in parts:
            part_cpu(args, servers, tmp)
        if "instr" in parts:
            part_instr(args, servers, tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
