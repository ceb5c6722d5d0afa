"""The systemd unit's sandbox fits the daemon. This machine's PID 1 is not
systemd, so the unit cannot be started here; instead the daemon runs as the
unit runs it — an unprivileged user with CAP_NET_BIND_SERVICE in its ambient
set — under strace, through a workload that touches every part of it (UDP
and TCP queries, HTTP and TCP probes, every ctl command, SIGHUP and ctl
reloads, a metrics scrape, SIGTERM), and every system call it made is held
against what the unit (packaging/switchboard.service.in) allows:

  - SystemCallFilter= (expanded with `systemd-analyze syscall-filter`), with
    the few calls the unit knowingly denies (they fail with EPERM, by
    SystemCallErrorNumber=) listed and justified below;
  - RestrictAddressFamilies=: socket() only for those families;
  - MemoryDenyWriteExecute=: no mapping both writable and executable;
  - LockPersonality= and RestrictNamespaces=: no personality(), unshare(),
    setns() or namespace flags to clone().

`systemd-analyze verify` also checks the unit's syntax. Skipped without
strace, capsh or systemd-analyze, and for sanitizer builds (their runtime
makes calls of its own)."""
import os
import pwd
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import unittest
import urllib.request

import dns.message
import dns.query

import sbtest
from sbtest import wait_until

# The unit as the build writes it from packaging/switchboard.service.in,
# with the configured install's paths.
UNIT = os.path.join(os.path.dirname(os.path.abspath(sbtest.BINARY)), "packaging",
                    "switchboard.service")

# Denied by the unit on purpose; the daemon copes with EPERM.
KNOWINGLY_DENIED = {
    # raise_file_limit(): the unit's LimitNOFILE= has set the limit already.
    "setrlimit": "LimitNOFILE= sets the open-file limit",
}

NAMESPACE_FLAGS = ("CLONE_NEWNS", "CLONE_NEWUTS", "CLONE_NEWIPC", "CLONE_NEWUSER",
                   "CLONE_NEWPID", "CLONE_NEWNET", "CLONE_NEWCGROUP")

ZONE = sbtest.ZONE_HEADER + """east  A  127.0.0.10
west  A  127.0.0.11
www   profile priority ttl=5 {{
          monitor http interval=200ms timeout=150ms fall=2 rise=1
          endpoint east east.example.com. priority=1 port={east}
          endpoint west west.example.com. priority=2 port={west}
      }}
api   profile priority ttl=5 {{
          monitor tcp interval=200ms timeout=150ms port={tcp}
          endpoint a 127.0.0.12 priority=1
      }}
"""


def unit_settings(path):
    """The [Service] settings of a unit file: {key: [values in order]}."""
    out = {}
    with open(path) as f:
        for line in f:
            line = line.strip()
            if line and not line.startswith("#") and "=" in line and not line.startswith("["):
                key, value = line.split("=", 1)
                out.setdefault(key, []).append(value)
    return out


def expand(group, seen=None):
    """The system calls of a filter group (or one call), recursively."""
    if not group.startswith("@"):
        return {group}
    r = subprocess.run(["systemd-analyze", "syscall-filter", "--no-pager", group],
                       capture_output=True, text=True, check=True)
    names = set()
    for line in r.stdout.splitlines()[1:]:
        item = line.strip()
        if not item or item.startswith("#"):
            continue
        names |= expand(item) if item.startswith("@") else {item}
    return names


def allowed_syscalls(settings):
    """What SystemCallFilter= leaves: the first (allow) list, minus every
    ~list after it, plus every later allow list."""
    allowed = set()
    for i, value in enumerate(settings["SystemCallFilter"]):
        deny = value.startswith("~")
        names = set()
        for group in value.lstrip("~").split():
            names |= expand(group)
        if i == 0 and deny:
            raise AssertionError("the unit's first SystemCallFilter= should be an allow list")
        allowed = allowed - names if deny else allowed | names
    return allowed


def sanitized(binary):
    r = subprocess.run(["ldd", binary], capture_output=True, text=True)
    return any(lib in r.stdout for lib in ("libasan", "libtsan", "libubsan"))


@unittest.skipUnless(os.geteuid() == 0, "needs root (capsh --user)")
@unittest.skipUnless(all(shutil.which(t) for t in ("strace", "capsh", "systemd-analyze")),
                     "needs strace, capsh and systemd-analyze")
class Unit(sbtest.ScenarioCase):
    def setUp(self):
        if sanitized(sbtest.BINARY):
            self.skipTest("a sanitizer build: its runtime makes system calls of its own")
        self.settings = unit_settings(UNIT)

    def test_unit_file_is_valid(self):
        tmp = tempfile.mkdtemp(prefix="sb-unit-")
        self.addCleanup(shutil.rmtree, tmp, True)
        with open(UNIT) as f:  # the daemon is not installed: the one built
            text = re.sub(r"/\S*/switchboard(?= )", os.path.abspath(sbtest.BINARY), f.read())
        self.assertIn(f"ExecReload={os.path.abspath(sbtest.BINARY)} ctl reload", text)
        path = os.path.join(tmp, "switchboard.service")
        with open(path, "w") as f:
            f.write(text)
        # Documentation= names the man pages: the build's, not installed.
        man = os.path.join(os.path.dirname(os.path.abspath(sbtest.BINARY)), "man")
        r = subprocess.run(["systemd-analyze", "verify", path], capture_output=True, text=True,
                           env={**os.environ, "MANPATH": man + ":"})
        self.assertEqual((r.returncode, r.stderr), (0, ""))

    def run_under_strace(self, tmp, trace):
        """The daemon as the unit runs it, traced; returns (process, port)."""
        http = self.endpoint("http", bind="127.0.0.10")
        west = self.endpoint("http", bind="127.0.0.11")
        tcp = self.endpoint("tcp", bind="127.0.0.12")
        zones = os.path.join(tmp, "zones")
        os.mkdir(zones)
        with open(os.path.join(zones, "example.com.zone"), "w") as f:
            f.write(ZONE.format(east=http.port, west=west.port, tcp=tcp.port))
        for d in (tmp, zones):
            os.chown(d, pwd.getpwnam("nobody").pw_uid, -1)
        cmd = " ".join([os.path.abspath(sbtest.BINARY), "serve", "--zones", zones,
                        "--listen", "127.0.0.1:0", "--metrics-listen", "0",
                        "--control-socket", os.path.join(tmp, "c.sock"),
                        "--state-file", os.path.join(tmp, "state.json")])
        # systemd's notification socket, as the unit has it (Type=notify,
        # WatchdogSec=): sd_notify's calls are traced too.
        self.notify = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.addCleanup(self.notify.close)
        name = f"sb-unit-notify-{os.getpid()}"
        self.notify.bind("\0" + name)
        env = {**os.environ, "NOTIFY_SOCKET": "@" + name, "WATCHDOG_USEC": "1000000"}
        proc = subprocess.Popen(
            ["strace", "-f", "-qq", "-o", trace, "capsh",
             "--caps=cap_net_bind_service+eip cap_setpcap,cap_setuid,cap_setgid+ep",
             "--keep=1", "--user=nobody", "--addamb=cap_net_bind_service", "--", "-c",
             "exec " + cmd],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
            start_new_session=True, env=env)
        # Killing strace alone detaches the daemon and leaves it running:
        # on a failure, kill its whole process group.
        self.addCleanup(lambda: proc.poll() is None and (os.killpg(proc.pid, signal.SIGKILL),
                                                         proc.wait()))
        lines = []
        for line in proc.stderr:
            lines.append(line)
            if "event=ready" in line:
                break
        text = "".join(lines)
        port = int(re.search(r"event=listening address=127\.0\.0\.1:(\d+)", text).group(1))
        metrics = re.search(r"event=metrics-listening address=(\S+)", text).group(1)
        return proc, port, metrics, http

    @staticmethod
    def daemon_pid(tracer):
        """The traced daemon: strace's child (capsh exec'd into it)."""
        for pid in os.listdir("/proc"):
            try:
                with open(f"/proc/{pid}/stat") as f:
                    fields = f.read().rsplit(")", 1)[1].split()
            except (OSError, IndexError):
                continue
            if pid.isdigit() and int(fields[1]) == tracer.pid:
                return int(pid)
        raise AssertionError("no process under strace")

    def workload(self, proc, port, metrics, http, tmp):
        def query(name, tcp=False):
            q = dns.message.make_query(name, "A")
            how = dns.query.tcp if tcp else dns.query.udp
            return how(q, "127.0.0.1", port=port, timeout=2)

        def ctl(*args):
            r = subprocess.run([sbtest.BINARY, "ctl", "--socket", os.path.join(tmp, "c.sock"),
                                *args], capture_output=True, text=True, timeout=10)
            self.assertEqual(r.returncode, 0, f"ctl {args}: {r.stderr}")

        for name in ("www.example.com", "api.example.com", "nx.example.com"):
            query(name)
            query(name, tcp=True)
        for args in (("status",), ("drain", "www.example.com", "east"),
                     ("undrain", "www.example.com", "east"),
                     ("force", "www.example.com", "east", "down", "--for", "1h"),
                     ("unforce", "www.example.com", "east"),
                     ("switchover", "www.example.com", "west"),
                     ("failback", "www.example.com"), ("reload",)):
            ctl(*args)
        daemon = self.daemon_pid(proc)
        os.kill(daemon, signal.SIGHUP)
        with urllib.request.urlopen(f"http://{metrics}/metrics", timeout=5) as r:
            self.assertIn(b"switchboard_config_generation", r.read())
        http.kill()  # probes that fail, and a failover
        wait_until(lambda: sbtest.cname_target(query("www.example.com")) == "west.example.com.",
                   5.0, "failover to west")
        os.kill(daemon, signal.SIGTERM)
        _, err = proc.communicate(timeout=15)
        self.assertEqual(proc.returncode, 0, err)
        proc.stderr.close()

    def daemon_calls(self, trace):
        """(name, arguments) of every call after the daemon's execve; the
        arguments of a call strace shows in two parts are those of its
        first part."""
        calls, started = [], False
        rx = re.compile(r"^\d+ +(<\.\.\. )?([a-z0-9_]+)(?:\(| resumed>)(.*)$")
        with open(trace) as f:
            for line in f:
                if not started:
                    started = re.search(r'execve\("[^"]*switchboard", .* = 0$', line) is not None
                    continue
                m = rx.match(line)
                if m and m.group(1) is None:
                    calls.append((m.group(2), m.group(3)))
        self.assertTrue(started, "the trace has no execve of the daemon")
        return calls

    def test_every_system_call_fits_the_sandbox(self):
        tmp = sbtest.tempdir(prefix="sb-unit-")
        self.addCleanup(shutil.rmtree, tmp, True)
        trace = os.path.join(tempfile.mkdtemp(prefix="sb-strace-"), "trace")
        self.addCleanup(shutil.rmtree, os.path.dirname(trace), True)
        proc, port, metrics, http = self.run_under_strace(tmp, trace)
        self.workload(proc, port, metrics, http, tmp)
        self.notify.settimeout(1)
        self.assertIn(b"READY=1", self.notify.recv(4096).split(b"\n"))
        calls = self.daemon_calls(trace)
        used = {name for name, _ in calls}
        outside = used - allowed_syscalls(self.settings) - set(KNOWINGLY_DENIED)
        self.assertEqual(outside, set(), "calls the unit's SystemCallFilter= would deny")
        families = set(self.settings["RestrictAddressFamilies"][0].split())
        for name, args in calls:
            if name == "socket":
                self.assertIn(args.split(",")[0], families, args)
            if name in ("mmap", "mprotect", "pkey_mprotect"):
                self.assertFalse("PROT_WRITE" in args and "PROT_EXEC" in args,
                                 f"{name}{args}: MemoryDenyWriteExecute=")
            self.assertNotIn(name, ("personality", "unshare", "setns"))
            if name in ("clone", "clone3"):
                self.assertFalse(any(flag in args for flag in NAMESPACE_FLAGS), args)
        print(f"{len(calls)} system calls of {len(used)} kinds, all within the unit's filter: "
              f"{' '.join(sorted(used))}")


if __name__ == "__main__":
    sbtest.main()
