#!/usr/bin/python3
"""Zone loading at scale: Switchboard against NSD and Knot on one large zone.

usage: tests/bench/load_bench.py [RECORDS] [BUILD_DIR] [--runs N] [--profiles P]
                                 [--servers switchboard,nsd,knot] [--no-reload]
                                 [--no-check] [--keep DIR]

Generates the zone bench.test with RECORDS records (default 500000) in the
mix of a large real zone (half A, AAAA, TXT, MX, CNAME, and delegations
with NS and glue), written once as a plain RFC 1035 master file, which all
three servers read. With --profiles P, Switchboard's copy also has P
priority profiles of two address endpoints each, `monitor none` (endpoints
never probed); NSD and Knot get the plain records only.

For each server, RUNS times (default 3), interleaved:
  - load: the time from starting the server to the first answer for the
    last name of the zone (a UDP query every 5 ms, deadline 300 s), and
    then VmHWM (peak RSS) and VmRSS from /proc/PID/status;
and for Switchboard also:
  - check: `switchboard check --zones DIR`: wall, user and system time,
    peak RSS and minor page faults (wait4's rusage);
  - reload: `switchboard ctl reload` of the unchanged zone: its time, the
    peak RSS during it (VmHWM reset through /proc/PID/clear_refs just
    before) and the RSS once it is done and steady.

Prints one table (median of the runs for times, the largest peak), then
one machine-readable line per measurement, e.g.
  load switchboard records=500004 seconds=0.81 records_per_s=617289 hwm_kib=120000 \
bytes_per_record=245 rss_kib=110000
  check switchboard seconds=... user=... sys=... hwm_kib=... minflt=...
  reload switchboard seconds=... peak_kib=... before_kib=... after_kib=...

Servers run as the current user on a free loopback port with their own
configuration in a temporary directory (no system service is touched):
/usr/sbin/nsd -d, /usr/sbin/knotd. A server that is not installed is
skipped. Never fails on a number.
"""
import argparse
import os
import random
import shutil
import signal
import socket
import statistics
import struct
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "scenario"))

import peer_conf  # noqa: E402

APEX = "bench.test"
DEADLINE_S = 300.0
GROUP = 20  # records written per group of names (see write_group)


# ---- the zone -----------------------------------------------------------------

def write_group(f, g):
    """Twenty records around group g: a host with several types, single-address
    hosts, aliases, TXT, and a delegation with glue."""
    hi, lo = (g >> 8) & 255, g & 255
    f.write(f"n{g} A 10.{hi}.{lo}.1\n"
            f"    A 10.{hi}.{lo}.2\n"
            f"    AAAA 2001:db8:{g:x}::1\n"
            f"    MX 10 mx{g % 97}.{APEX}.\n"
            f'    TXT "v=spf1 ip4:10.{hi}.{lo}.0/24 include:_spf.{APEX} -all"\n'
            f"w{g} 300 IN A 10.{hi}.{lo}.3\n"
            f"    300 IN AAAA 2001:db8:{g:x}::3\n"
            f"a{g} A 10.{hi}.{lo}.4\n"
            f"b{g} A 10.{hi}.{lo}.5\n"
            f"e{g} A 10.{hi}.{lo}.6\n"
            f"f{g} AAAA 2001:db8:{g:x}::6\n"
            f"c{g} CNAME n{g}\n"
            f"www.n{g} CNAME n{g}.{APEX}.\n"
            f't{g} TXT "site-verification={g * 2654435761 % 4294967296:08x}"\n'
            f'    TXT "a text record of group {g}" "in two strings"\n'
            f"d{g} 86400 NS ns1.d{g}\n"
            f"    86400 NS ns2.d{g}.{APEX}.\n"
            f"ns1.d{g} 86400 A 10.{hi}.{lo}.53\n"
            f"ns2.d{g} 86400 A 10.{hi}.{lo}.54\n"
            f"s{g} A 10.{hi}.{lo}.7\n")


def write_zone(path, records):
    groups = max(1, (records - 4) // GROUP)
    with open(path, "w") as f:
        f.write(f"$ORIGIN {APEX}.\n$TTL 3600\n"
                f"@ SOA ns1 hostmaster 2026120201 7200 900 1209600 60\n"
                f"@ NS ns1\nns1 A 127.0.0.1\n"
                + "".join(f"mx{i} A 10.255.0.{i + 1}\n" for i in range(97)))
        for g in range(groups):
            write_group(f, g)
    return 3 + 97 + groups * GROUP, f"s{groups - 1}.{APEX}"


def write_profiles(path, profiles):
    with open(path, "a") as f:
        for p in range(profiles):
            hi, lo = (p >> 8) & 255, p & 255
            f.write(f"p{p} profile priority ttl=30 {{\n"
                    f"    monitor none\n"
                    f"    endpoint one 10.200.{hi}.{lo} priority=1\n"
                    f"    endpoint two 10.201.{hi}.{lo} priority=2\n"
                    f"}}\n")


# ---- asking -------------------------------------------------------------------

def free_port():
    """A loopback port free for both UDP and TCP."""
    for _ in range(100):
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as u, \
                socket.socket(socket.AF_INET, socket.SOCK_STREAM) as t:
            u.bind(("127.0.0.1", 0))
            port = u.getsockname()[1]
            try:
                t.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError("no free loopback port")


def query(name, qtype=1):
    qid = random.randrange(65536)
    wire = b"".join(bytes([len(l)]) + l.encode() for l in name.split(".")) + b"\0"
    return qid, struct.pack("!HHHHHH", qid, 0, 1, 0, 0, 0) + wire + struct.pack("!HH", qtype, 1)


class Exited(RuntimeError):
    """The server exited before answering."""


def wait_answer(proc, port, name, started):
    """Seconds from `started` to an authoritative NOERROR answer with records."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.settimeout(0.005)
        while time.monotonic() - started < DEADLINE_S:
            if proc.poll() is not None:
                raise Exited(f"exited with {proc.returncode} before answering")
            qid, q = query(name)
            try:
                s.sendto(q, ("127.0.0.1", port))
                while True:
                    r = s.recv(4096)
                    rid, flags, _, ancount = struct.unpack("!HHHH", r[:8])
                    if rid == qid and flags & 0x0400 and flags & 0xF == 0 and ancount > 0:
                        return time.monotonic() - started
            except (socket.timeout, ConnectionRefusedError):
                pass
    raise RuntimeError(f"no answer within {DEADLINE_S:.0f} s")


def status_kib(pid, field):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


def tree(pid):
    """pid and its descendants (NSD loads in a child of the process started)."""
    pids, i = [pid], 0
    while i < len(pids):
        try:
            with open(f"/proc/{pids[i]}/task/{pids[i]}/children") as f:
                pids += [int(c) for c in f.read().split()]
        except OSError:
            pass
        i += 1
    return pids


def tree_kib(pid, field):
    """The largest `field` of one process of the tree: children forked after
    loading share its pages, so the largest one holds the zone."""
    values = []
    for p in tree(pid):
        try:
            values.append(status_kib(p, field))
        except OSError:
            pass
    return max(values)


def stop(proc):
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


# ---- the servers ----------------------------------------------------------------

class Switchboard:
    name = "switchboard"

    def __init__(self, build, tmp, zones_dir):
        self.binary = os.path.join(build, "switchboard")
        self.tmp, self.zones = tmp, zones_dir

    def available(self):
        return os.access(self.binary, os.X_OK)

    def start(self, port):
        self.sock = os.path.join(self.tmp, "control.sock")
        self.log = os.path.join(self.tmp, "switchboard.log")
        log = open(self.log, "w")
        return subprocess.Popen(
            [self.binary, "serve", "--zones", self.zones, "--listen", f"127.0.0.1:{port}",
             "--threads", "2", "--control-socket", self.sock,
             "--state-file", os.path.join(self.tmp, "state.json"), "--log-level", "warning"]
            # as root, stay root as NSD and Knot do here (no --user for them either)
            + (["--user", "root"] if os.geteuid() == 0 else []),
            stdin=subprocess.DEVNULL, stdout=log, stderr=log)

    def check(self):
        started = time.monotonic()
        proc = subprocess.Popen([self.binary, "check", "--zones", self.zones],
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        _, status, ru = os.wait4(proc.pid, 0)
        wall = time.monotonic() - started
        proc.returncode = os.waitstatus_to_exitcode(status)
        err = proc.stderr.read().decode()
        proc.stderr.close()
        if proc.returncode != 0:
            raise RuntimeError(f"check failed: {err[:500]}")
        return {"seconds": wall, "user": ru.ru_utime, "sys": ru.ru_stime,
                "hwm_kib": ru.ru_maxrss, "minflt": ru.ru_minflt}

    def reload(self, proc):
        pid = proc.pid
        before = status_kib(pid, "VmRSS")
        with open(f"/proc/{pid}/clear_refs", "w") as f:
            f.write("5")  # VmHWM := VmRSS, so that the next peak is the reload's
        started = time.monotonic()
        r = subprocess.run([self.binary, "ctl", "--socket", self.sock, "reload"],
                           capture_output=True, text=True, timeout=DEADLINE_S)
        seconds = time.monotonic() - started
        if r.returncode != 0:
            raise RuntimeError(f"reload failed: {r.stdout}{r.stderr}")
        after = settle_rss(pid)
        return {"seconds": seconds, "peak_kib": status_kib(pid, "VmHWM"),
                "before_kib": before, "after_kib": after}


def settle_rss(pid):
    """VmRSS once it has stopped falling for 300 ms (the old generation is
    freed after the workers move on), within 10 s."""
    deadline = time.monotonic() + 10
    last, since = status_kib(pid, "VmRSS"), time.monotonic()
    while time.monotonic() < deadline and time.monotonic() - since < 0.3:
        time.sleep(0.02)
        now = status_kib(pid, "VmRSS")
        if now < last:
            last, since = now, time.monotonic()
    return last


def nsd_conf(t, port, zonefile):
    return peer_conf.nsd_conf(t, port, [(APEX, zonefile)])


def knot_conf(t, port, zonefile):
    return peer_conf.knot_conf(t, port, [(APEX, zonefile)])


class Peer:
    """Another authoritative server, run in the foreground with a generated
    configuration in a directory of its own."""

    def __init__(self, name, binary, conf, argv, tmp, zonefile):
        self.name, self.binary, self.conf, self.argv = name, binary, conf, argv
        self.tmp, self.zonefile = tmp, zonefile

    def available(self):
        return os.access(self.binary, os.X_OK)

    def start(self, port):
        t = tempfile.mkdtemp(prefix=self.name + "-", dir=self.tmp)
        conf = os.path.join(t, self.name + ".conf")
        with open(conf, "w") as f:
            f.write(self.conf(t, port, self.zonefile))
        self.log = os.path.join(t, "output")
        out = open(self.log, "w")
        return subprocess.Popen([self.binary] + self.argv + [conf], stdin=subprocess.DEVNULL,
                                stdout=out, stderr=out)


# ---- running ----------------------------------------------------------------------

def start_answering(server, last_name):
    """The server started and answering, with the seconds that took. A
    server that exits at once (the free port taken meanwhile by another
    program) is started again on another port, twice at most."""
    for attempt in range(3):
        port = free_port()
        started = time.monotonic()
        proc = server.start(port)
        try:
            return proc, wait_answer(proc, port, last_name, started)
        except RuntimeError as e:
            stop(proc)
            with open(server.log, errors="replace") as f:
                tail = f.read()[-2000:]
            if attempt == 2 or not isinstance(e, Exited):
                raise RuntimeError(f"{server.name}: {e}; its output:\n{tail}") from None


def measure_load(server, last_name, records, want_reload):
    proc, seconds = start_answering(server, last_name)
    try:
        load = {"seconds": seconds, "records_per_s": records / seconds,
                "hwm_kib": tree_kib(proc.pid, "VmHWM"),
                "rss_kib": tree_kib(proc.pid, "VmRSS")}
        load["bytes_per_record"] = load["hwm_kib"] * 1024 / records
        reload = server.reload(proc) if want_reload else None
        return load, reload
    finally:
        stop(proc)


def median(runs, key):
    return statistics.median(r[key] for r in runs)


def summary(runs, keys_max=()):
    out = {k: median(runs, k) for k in runs[0]}
    for k in keys_max:
        out[k] = max(r[k] for r in runs)
    return out


def fmt(d):
    return " ".join(f"{k}={v:.3f}" if isinstance(v, float) and v < 1000 else f"{k}={int(v)}"
                    for k, v in d.items())


def print_table(records, loads, checks, reloads):
    print(f"\nzone {APEX}: {records} records; median of {len(next(iter(loads.values())))} "
          f"runs (peaks: the largest)\n")
    print(f"{'server':<12} {'load s':>8} {'records/s':>11} {'peak RSS MiB':>13} "
          f"{'B/record':>9} {'RSS MiB':>8}")
    for name, runs in loads.items():
        s = summary(runs, ("hwm_kib",))
        print(f"{name:<12} {s['seconds']:>8.2f} {s['records_per_s']:>11.0f} "
              f"{s['hwm_kib'] / 1024:>13.1f} {s['hwm_kib'] * 1024 / records:>9.0f} "
              f"{s['rss_kib'] / 1024:>8.1f}")
    if checks:
        s = summary(checks, ("hwm_kib",))
        print(f"\nswitchboard check: {s['seconds']:.2f} s (user {s['user']:.2f}, sys "
              f"{s['sys']:.2f}), peak RSS {s['hwm_kib'] / 1024:.1f} MiB, "
              f"{s['minflt']:.0f} minor faults")
    if reloads:
        s = summary(reloads, ("peak_kib", "after_kib"))
        print(f"switchboard reload: {s['seconds']:.2f} s, RSS before {s['before_kib'] / 1024:.1f}"
              f" MiB, peak {s['peak_kib'] / 1024:.1f} MiB, after {s['after_kib'] / 1024:.1f} MiB")
    print()
    for name, runs in loads.items():
        print(f"load {name} records={records} {fmt(summary(runs, ('hwm_kib',)))}")
    if checks:
        print(f"check switchboard records={records} {fmt(summary(checks, ('hwm_kib',)))}")
    if reloads:
        print(f"reload switchboard records={records} "
              f"{fmt(summary(reloads, ('peak_kib', 'after_kib')))}")


def parse_args():
    p = argparse.ArgumentParser(
        usage="tests/bench/load_bench.py [RECORDS] [BUILD_DIR] [--runs N] [--profiles P] "
              "[--servers switchboard,nsd,knot] [--no-reload] [--no-check] [--keep DIR]")
    p.add_argument("records", nargs="?", type=int, default=500000)
    p.add_argument("build", nargs="?", default="build")
    p.add_argument("--runs", type=int, default=3)
    p.add_argument("--profiles", type=int, default=0)
    p.add_argument("--servers", default="switchboard,nsd,knot")
    p.add_argument("--no-reload", action="store_true")
    p.add_argument("--no-check", action="store_true")
    p.add_argument("--keep", help="write the zone here and leave it")
    return p.parse_args()


def main():
    args = parse_args()
    tmp = tempfile.mkdtemp(prefix="sb-load-bench-")
    try:
        zones = args.keep or os.path.join(tmp, "zones")
        os.makedirs(zones, exist_ok=True)
        plain = os.path.join(tmp, f"{APEX}.plain")
        records, last_name = write_zone(plain, args.records)
        sb_zone = os.path.join(zones, f"{APEX}.zone")
        shutil.copyfile(plain, sb_zone)
        write_profiles(sb_zone, args.profiles)
        all_servers = {"switchboard": Switchboard(os.path.abspath(args.build), tmp, zones),
                       "nsd": Peer("nsd", "/usr/sbin/nsd", nsd_conf, ["-d", "-c"], tmp, plain),
                       "knot": Peer("knot", "/usr/sbin/knotd", knot_conf, ["-c"], tmp, plain)}
        servers = []
        for name in args.servers.split(","):
            if all_servers[name].available():
                servers.append(all_servers[name])
            else:
                print(f"{name}: not installed, skipped", file=sys.stderr)
        loads = {s.name: [] for s in servers}
        checks, reloads = [], []
        for run in range(args.runs):
            for s in servers:
                is_sb = s.name == "switchboard"
                load, reload = measure_load(s, last_name, records, is_sb and not args.no_reload)
                loads[s.name].append(load)
                print(f"run {run + 1} load {s.name} {fmt(load)}", file=sys.stderr)
                if reload:
                    reloads.append(reload)
                    print(f"run {run + 1} reload switchboard {fmt(reload)}", file=sys.stderr)
                if is_sb and not args.no_check:
                    checks.append(s.check())
                    print(f"run {run + 1} check switchboard {fmt(checks[-1])}", file=sys.stderr)
        print_table(records, loads, checks, reloads)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
