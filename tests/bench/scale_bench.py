#!/usr/bin/env python3
"""Metrics, ctl status and memory at scale (issue 15).

    tests/bench/scale_bench.py [--build DIR] [--profiles N] [--variant V]...
                               [--scrapes K] [--interval DURATION] [--reloads N]

For each variant (default: baseline, unprobed, tcp, http), generates one
zone of PROFILES (default 10,000) priority profiles of two endpoints each,
127.1.0.1 onwards, and starts `switchboard serve` on loopback ports with
--metrics-listen and a control socket:

  baseline  one profile of two endpoints, no monitor: the daemon's RSS with
            ~0 endpoints, which the others are measured against;
  unprobed  PROFILES x 2 endpoints, no monitor (never probed);
  tcp       the same, `monitor tcp port=PORT` against tests/bench/http_sink
            (it accepts on 0.0.0.0, so every 127.x.y.z reaches it);
  http      the same, `monitor http port=PORT` against the sink.

Probes run every --interval (default 10s) so that a shared machine is not
swamped; RSS is read after event=ready (the first round of probes is done by
then) and again after one more interval. Then prints, per variant:

  - metrics scrape: bytes, lines, and the median of K (default 7) timed
    GETs of /metrics (urllib, fresh connection each);
  - `switchboard ctl status --json`: bytes of its output and the median of
    K timed runs, end to end (process start to exit), and the median time
    the daemon's probe worker took to write it (event=status-written, a
    debug log line; servers before issue 15 have none);
  - VmRSS steady (read before the scrapes), then again after
    malloc_trim(0) is called in the daemon through gdb, so that memory
    freed after loading and kept by glibc does not count; per endpoint:
    (trimmed RSS - baseline's trimmed RSS) / endpoints; VmRSS after the
    scrapes and status calls;
  - VmRSS after `ctl reload` (nothing changed) and one more interval;
  - with --reloads N: N more `ctl reload`s (nothing changed), VmRSS after
    each once it has settled (unchanged for 1 s, at most 15 s), untrimmed:
    what a running daemon keeps, as an operator would see it.

Never fails on a number. Needs the project built (http_sink included).
"""
import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))


def zone_text(profiles, monitor):
    lines = [
        "$ORIGIN bench.test.",
        "$TTL 3600",
        "@     SOA  ns1 hostmaster 1 7200 900 1209600 60",
        "@     NS   ns1",
        "ns1   A    127.0.0.1",
    ]
    for p in range(profiles):
        lines.append(f"p{p} profile priority ttl=30 {{")
        lines.append(f"    {monitor}")
        for e in range(2):
            i = 2 * p + e
            lines.append(f"    endpoint e{e} 127.1.{i // 250}.{i % 250 + 1} priority={e + 1}")
        lines.append("}")
    return "\n".join(lines) + "\n"


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def trimmed_rss_kib(pid):
    """VmRSS once glibc has given back what it keeps of freed memory
    (malloc_trim(0), called in the daemon through gdb): what is in use,
    rather than what loading or a large scrape left behind, freed. None
    without gdb."""
    if shutil.which("gdb") is None:
        return None
    subprocess.run(["gdb", "-p", str(pid), "-batch", "-ex", "call (int)malloc_trim(0)"],
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    return rss_kib(pid)


def wait_for(path, pattern, proc, deadline_s):
    end = time.monotonic() + deadline_s
    rx = re.compile(pattern)
    while time.monotonic() < end:
        if proc.poll() is not None:
            break
        with open(path, errors="replace") as f:
            m = rx.search(f.read())
        if m:
            return m
        time.sleep(0.05)
    with open(path, errors="replace") as f:
        tail = f.read()[-2000:]
    sys.exit(f"timed out waiting for {pattern!r}; log tail:\n{tail}")


def timed(fn, k):
    times, out = [], None
    for _ in range(k):
        t0 = time.perf_counter()
        out = fn()
        times.append((time.perf_counter() - t0) * 1000.0)
    return out, statistics.median(times), min(times), max(times)


def run_variant(args, name, sink_port, baseline_rss):
    profiles = 1 if name == "baseline" else args.profiles
    monitor = {
        "baseline": "monitor none",
        "unprobed": "monitor none",
        "tcp": f"monitor tcp port={sink_port} interval={args.interval} timeout=1s",
        "http": f"monitor http port={sink_port} interval={args.interval} timeout=1s",
    }[name]
    tmp = tempfile.mkdtemp(prefix="sb-scale-")
    try:
        os.mkdir(f"{tmp}/zones")
        with open(f"{tmp}/zones/bench.test.zone", "w") as f:
            f.write(zone_text(profiles, monitor))
        sock = f"{tmp}/control.sock"
        log = open(f"{tmp}/sb.log", "w")
        sb = os.path.join(args.build, "switchboard")
        proc = subprocess.Popen(
            [sb, "serve", "--zones", f"{tmp}/zones", "--listen", "127.0.0.1:0", "--threads", "2",
             "--metrics-listen", "127.0.0.1:0", "--control-socket", sock,
             "--state-file", f"{tmp}/state.json", "--log-level", "debug", *as_user(tmp)],
            stdout=subprocess.DEVNULL, stderr=log)
        try:
            # --log-level debug: event=status-written says how long the
            # probe worker took to write each status (servers that have it).
            return measure(args, name, proc, tmp, sock, profiles, baseline_rss)
        finally:
            proc.terminate()
            proc.wait(timeout=30)
            log.close()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def as_user(tmp):
    """Started as root, the daemon wants --user; root keeps the control
    socket reachable (a benchmark on a scratch directory)."""
    return ["--user", "root"] if os.geteuid() == 0 else []


def ctl(args, sock, *words):
    sb = os.path.join(args.build, "switchboard")
    return subprocess.run([sb, "ctl", "--socket", sock, *words], capture_output=True, check=False)


def wait_ready(args, proc, sock):
    end = time.monotonic() + 300
    while time.monotonic() < end:
        if proc.poll() is not None:
            sys.exit("the daemon exited")
        if os.path.exists(sock) and ctl(args, sock, "status", "--json").returncode == 0:
            return
        time.sleep(0.2)
    sys.exit("the daemon never answered on its control socket")


def measure(args, name, proc, tmp, sock, profiles, baseline_rss):
    wait_ready(args, proc, sock)
    port = find_metrics_port(proc.pid)
    interval_s = parse_duration(args.interval)
    if name in ("tcp", "http"):
        time.sleep(interval_s + 1)  # one round after the first, settled
    endpoints = profiles * 2
    rss_raw = rss_kib(proc.pid)
    rss = trimmed_rss_kib(proc.pid) or rss_raw
    url = f"http://127.0.0.1:{port}/metrics"
    body, scrape_ms, scrape_min, scrape_max = timed(
        lambda: urllib.request.urlopen(url, timeout=30).read(), args.scrapes)
    status, status_ms, status_min, status_max = timed(
        lambda: ctl(args, sock, "status", "--json").stdout, args.scrapes)
    written = [int(m) / 1000.0 for m in
               re.findall(r"event=status-written bytes=\d+ elapsed_us=(\d+)",
                          open(f"{tmp}/sb.log", errors="replace").read())][-args.scrapes:]
    rss_after = rss_kib(proc.pid)
    r = ctl(args, sock, "reload")
    time.sleep(interval_s + 1)
    rss_reload = rss_kib(proc.pid)
    rss_reload_trimmed = trimmed_rss_kib(proc.pid)
    print(f"== {name}: {profiles} profiles x 2 = {endpoints} endpoints"
          f"{'' if name in ('baseline', 'unprobed') else ', monitor ' + name}")
    lines = body.count(b"\n")
    print(f"  scrape: {len(body):,} bytes, {lines:,} lines, "
          f"median {scrape_ms:.1f} ms (min {scrape_min:.1f}, max {scrape_max:.1f}; {args.scrapes} GETs)")
    print(f"  ctl status --json: {len(status):,} bytes, median {status_ms:.1f} ms "
          f"(min {status_min:.1f}, max {status_max:.1f}; end to end)"
          + (f"; written by the daemon in median {statistics.median(written):.1f} ms"
             if written else ""))
    per = ""
    if baseline_rss is not None and name != "baseline":
        per = f", ({rss} - {baseline_rss}) / {endpoints} = {(rss - baseline_rss) * 1024 / endpoints:,.0f} B/endpoint"
    print(f"  RSS steady: {rss_raw:,} KiB; after malloc_trim: {rss:,} KiB{per}")
    print(f"  RSS after those scrapes and status calls: {rss_after:,} KiB")
    print(f"  RSS after ctl reload (exit {r.returncode}) + {interval_s:g}s: {rss_reload:,} KiB "
          f"({rss_reload - rss_after:+,} KiB); after malloc_trim: "
          f"{rss_reload_trimmed or 0:,} KiB ({(rss_reload_trimmed or 0) - rss:+,} KiB from steady)")
    if args.reloads:
        print(f"  RSS after each of {args.reloads} more ctl reloads (untrimmed): "
              + ", ".join(f"{k:,} KiB" for k in reload_series(args, proc.pid, sock)))
    sys.stdout.flush()
    return rss


def settled_rss_kib(pid, quiet_s=1.0, deadline_s=15.0):
    """VmRSS once it has not changed for quiet_s (the old generation is
    freed after a grace period), or at the deadline."""
    end = time.monotonic() + deadline_s
    last, since = rss_kib(pid), time.monotonic()
    while time.monotonic() < end:
        time.sleep(0.1)
        now = rss_kib(pid)
        if now != last:
            last, since = now, time.monotonic()
        elif time.monotonic() - since >= quiet_s:
            break
    return last


def reload_series(args, pid, sock):
    out = []
    for _ in range(args.reloads):
        r = ctl(args, sock, "reload")
        if r.returncode != 0:
            sys.exit(f"ctl reload exited {r.returncode}: {r.stdout!r} {r.stderr!r}")
        out.append(settled_rss_kib(pid))
    return out


def find_metrics_port(pid):
    """The daemon's TCP listening ports, from /proc/net/tcp by socket inode;
    the one answering /metrics."""
    inodes = set()
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            target = os.readlink(f"/proc/{pid}/fd/{fd}")
        except OSError:
            continue
        m = re.match(r"socket:\[(\d+)\]", target)
        if m:
            inodes.add(m.group(1))
    ports = []
    with open("/proc/net/tcp") as f:
        for line in f.readlines()[1:]:
            cols = line.split()
            if cols[3] == "0A" and cols[9] in inodes:
                ports.append(int(cols[1].split(":")[1], 16))
    for port in ports:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=30) as r:
                if r.status == 200:
                    return port
        except Exception:
            continue
    sys.exit(f"no metrics port among {ports}")


def parse_duration(text):
    m = re.fullmatch(r"(\d+)(ms|s|m)", text)
    if not m:
        sys.exit(f"bad duration {text}")
    return int(m.group(1)) * {"ms": 0.001, "s": 1, "m": 60}[m.group(2)]


def start_sink(args):
    sink = os.path.join(args.build, "tests", "bench", "http_sink")
    proc = subprocess.Popen([sink, "0"], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    line = proc.stdout.readline()
    m = re.match(r"PORT (\d+)", line)
    if not m:
        sys.exit("http_sink did not start")
    return proc, int(m.group(1))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    ap.add_argument("--profiles", type=int, default=10000)
    ap.add_argument("--variant", action="append", choices=["baseline", "unprobed", "tcp", "http"])
    ap.add_argument("--scrapes", type=int, default=7)
    ap.add_argument("--interval", default="10s")
    ap.add_argument("--reloads", type=int, default=0,
                    help="after the measures, N more ctl reloads, RSS after each")
    args = ap.parse_args()
    variants = args.variant or ["baseline", "unprobed", "tcp", "http"]
    import resource
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(65536, hard), hard))
    sink, port = start_sink(args)
    try:
        ver = subprocess.run([os.path.join(args.build, "switchboard"), "version"],
                             capture_output=True, text=True).stdout.strip()
        print(f"{ver} ({args.build}); {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; "
              f"nproc {os.cpu_count()}; probe interval {args.interval}")
        baseline = None
        for v in variants:
            rss = run_variant(args, v, port, baseline)
            if v == "baseline":
                baseline = rss
    finally:
        sink.terminate()
        sink.wait()


if __name__ == "__main__":
    main()
