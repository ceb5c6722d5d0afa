"""The Debian package, as an operator gets it: built from a copy of this
tree with `dpkg-buildpackage -us -uc -b`, checked by lintian (no error or
warning beyond debian/switchboard.lintian-overrides), installed on this
machine with apt-get (which brings its dependencies), then:

  - its files where Debian wants them: /usr/sbin/switchboard, the
    configuration and zones as conffiles in /etc/switchboard (the
    configuration 0640 root:switchboard), /var/lib/switchboard the user's,
    the unit, sysusers.d, man pages, bash completion, the manual;
  - the installed unit passes `systemd-analyze verify`, and its
    `systemd-analyze security` exposure is printed and held under 2.0;
  - started: where systemd is PID 1, with `systemctl start` (Type=notify:
    it returns once the server is ready); elsewhere, the unit's
    ExecStartPre= and ExecStart= lines are run as its User=, with
    $NOTIFY_SOCKET naming a socket of the test's, as systemd would, and
    READY=1 is awaited;
  - queried with dnspython on a port the test gives it (the shipped
    `listen` lines replaced), the example zone answering;
  - reloaded with the unit's ExecReload= (`switchboard ctl reload`): exit 0,
    then exit 1 once a zone file is broken;
  - stopped, and purged: nothing of it left.

It changes the machine (a package installed and purged), so it runs only as
root, and skips where switchboard is already installed or its paths are
taken. SB_SOURCE_DIR is the tree to build."""
import os
import pwd
import re
import shutil
import signal
import socket
import stat
import subprocess
import sys
import tempfile
import threading
import unittest

import dns.flags
import dns.message
import dns.query

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "scenario"))
from sbtest import free_port, wait_until  # noqa: E402

SOURCE = os.environ.get("SB_SOURCE_DIR", os.path.join(os.path.dirname(__file__), "..", ".."))
UNIT = "/lib/systemd/system/switchboard.service"
PATHS = ("/usr/sbin/switchboard", "/etc/switchboard", UNIT)
APT_ENV = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}


def run(cmd, timeout=120, **kw):
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, **kw)


def systemd_is_init():
    with open("/proc/1/comm") as f:
        return f.read().strip() == "systemd"


def copy_tree(dst):
    """The tree's files (as git knows them, or all but build trees) into
    `dst`: dpkg-buildpackage writes into the tree and beside it."""
    if os.path.isdir(os.path.join(SOURCE, ".git")):
        r = run(["git", "-C", SOURCE, "ls-files", "-z", "--cached", "--others",
                 "--exclude-standard"])
        for rel in filter(None, r.stdout.split("\0")):
            src = os.path.join(SOURCE, rel)
            if os.path.isfile(src):
                os.makedirs(os.path.join(dst, os.path.dirname(rel)), exist_ok=True)
                shutil.copy2(src, os.path.join(dst, rel), follow_symlinks=False)
    else:
        shutil.copytree(SOURCE, dst, symlinks=True,
                        ignore=shutil.ignore_patterns("build*", "obj-*", ".git"))


def unit_settings():
    out = {}
    with open(UNIT) as f:
        for line in f:
            line = line.strip()
            if line and line[0] not in "#[" and "=" in line:
                key, value = line.split("=", 1)
                out.setdefault(key, []).append(value)
    return out


class Notify:
    """What systemd would hear: sd_notify() messages on an abstract socket."""

    def __init__(self):
        self.name = f"@sb-package-notify-{os.getpid()}"
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind("\0" + self.name[1:])
        self.messages = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        while True:
            try:
                self.messages.append(self.sock.recv(4096).decode())
            except OSError:
                return

    def has(self, line):
        return any(line in m.split("\n") for m in self.messages)


@unittest.skipUnless(os.geteuid() == 0, "installs a package: needs root")
@unittest.skipUnless(all(shutil.which(t) for t in ("dpkg-buildpackage", "lintian", "apt-get")),
                     "needs dpkg-dev, debhelper and lintian (packaging/bootstrap.sh test)")
class Package(unittest.TestCase):
    def setUp(self):
        if run(["dpkg-query", "-W", "-f=${Status}", "switchboard"]).stdout.startswith("install"):
            self.skipTest("switchboard is installed on this machine: not touching it")
        taken = [p for p in PATHS if os.path.lexists(p)]
        if taken:
            self.skipTest(f"already on this machine, not from the package: {taken}")
        self.tmp = tempfile.mkdtemp(prefix="sb-package-")
        self.addCleanup(shutil.rmtree, self.tmp, True)
        self.state_before = os.stat("/var/lib/switchboard") \
            if os.path.isdir("/var/lib/switchboard") else None

    def build(self):
        tree = os.path.join(self.tmp, "switchboard")
        copy_tree(tree)
        jobs = min(os.cpu_count() or 1, 2)
        r = run(["dpkg-buildpackage", "-us", "-uc", "-b"], timeout=900, cwd=tree,
                env={**os.environ, "DEB_BUILD_OPTIONS": f"parallel={jobs}"})
        self.assertEqual(r.returncode, 0, r.stdout[-4000:] + r.stderr[-4000:])
        debs = [f for f in os.listdir(self.tmp) if re.match(r"switchboard_.*\.deb$", f)]
        self.assertEqual(len(debs), 1, os.listdir(self.tmp))
        changes = [f for f in os.listdir(self.tmp) if f.endswith(".changes")]
        r = run(["lintian", "--pedantic", os.path.join(self.tmp, changes[0])], timeout=300)
        print(f"lintian --pedantic: exit {r.returncode}\n{r.stdout}", end="")
        tags = [line for line in r.stdout.splitlines() if re.match(r"^[EW]: ", line)]
        self.assertEqual(tags, [], "lintian errors or warnings")
        return os.path.join(self.tmp, debs[0])

    def install(self, deb):
        self.addCleanup(self.purge)
        r = run(["apt-get", "install", "-y", "-q", "--no-install-recommends", deb],
                timeout=600, env=APT_ENV)
        self.assertEqual(r.returncode, 0, r.stdout[-3000:] + r.stderr)

    def purge(self):
        r = run(["apt-get", "purge", "-y", "-q", "switchboard"], timeout=300, env=APT_ENV)
        self.assertEqual(r.returncode, 0, r.stderr)
        left = [p for p in (*PATHS, "/usr/share/man/man8/switchboard.8.gz",
                            "/usr/lib/sysusers.d/switchboard.conf") if os.path.lexists(p)]
        self.assertEqual(left, [], "left after purge")
        before = self.state_before  # an empty directory the machine had: given back
        if before is not None and not os.path.isdir("/var/lib/switchboard"):
            os.mkdir("/var/lib/switchboard", stat.S_IMODE(before.st_mode))
            os.chown("/var/lib/switchboard", before.st_uid, before.st_gid)

    def check_files(self):
        user = pwd.getpwnam("switchboard")
        conf = os.stat("/etc/switchboard/switchboard.conf")
        self.assertEqual((stat.S_IMODE(conf.st_mode), conf.st_uid, conf.st_gid),
                         (0o640, 0, user.pw_gid))
        state = os.stat("/var/lib/switchboard")
        self.assertEqual((state.st_uid, stat.S_IMODE(state.st_mode)), (user.pw_uid, 0o750))
        conffiles = run(["dpkg-query", "-W", "-f=${Conffiles}", "switchboard"]).stdout
        for f in ("/etc/switchboard/switchboard.conf", "/etc/switchboard/zones/example.com.zone"):
            self.assertIn(f, conffiles)
        for f in ("/usr/share/bash-completion/completions/switchboard",
                  "/usr/share/doc/switchboard/running.md.gz", "/usr/share/switchboard/demo-geo.mmdb"):
            self.assertTrue(os.path.exists(f), f)
        for page in ("switchboard", "switchboard.conf", "switchboard-zone"):
            r = run(["man", "--warnings", page], env={**os.environ, "MANWIDTH": "80",
                                                      "LC_ALL": "C.UTF-8"})
            self.assertEqual((r.returncode, r.stderr), (0, ""), page)
            self.assertIn("SEE ALSO", re.sub(".\b", "", r.stdout))

    def check_unit(self):
        r = run(["systemd-analyze", "verify", UNIT], cwd=self.tmp)
        self.assertEqual((r.returncode, r.stderr), (0, ""))
        r = run(["systemd-analyze", "security", "--offline=true", "--no-pager", UNIT],
                cwd=self.tmp)
        m = re.search(r"Overall exposure level for switchboard.service: ([0-9.]+) (\w+)", r.stdout)
        self.assertIsNotNone(m, r.stdout + r.stderr)
        print(f"systemd-analyze security --offline=true {UNIT}: {m.group(1)} {m.group(2)}")
        self.assertLess(float(m.group(1)), 2.0)

    def configure_port(self):
        path = "/etc/switchboard/switchboard.conf"
        with open(path) as f:
            text = f.read()
        port = free_port()
        text, n = re.subn(r"(?m)^listen .*\n", "", text)
        self.assertEqual(n, 2, "the shipped config's two listen lines")
        with open(path, "w") as f:
            f.write(text + f"listen 127.0.0.1:{port}\n")
        return port

    def as_user(self, settings, command):
        user = settings["User"][0]
        return ["setpriv", f"--reuid={user}", f"--regid={settings['Group'][0]}",
                "--init-groups", "--", *command.split()]

    def start_without_systemd(self, settings):
        """ExecStartPre= and ExecStart= as User=, with the runtime directory
        systemd would make (RuntimeDirectory=); returns the process."""
        if not os.path.isdir("/run/switchboard"):
            os.mkdir("/run/switchboard", 0o755)
            user = pwd.getpwnam(settings["User"][0])
            os.chown("/run/switchboard", user.pw_uid, user.pw_gid)
            self.addCleanup(shutil.rmtree, "/run/switchboard", True)
        r = run(self.as_user(settings, settings["ExecStartPre"][0]))
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        notify = Notify()
        self.addCleanup(notify.sock.close)
        proc = subprocess.Popen(self.as_user(settings, settings["ExecStart"][0]),
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                                env={**os.environ, "NOTIFY_SOCKET": notify.name})
        self.addCleanup(lambda: proc.poll() is None and (proc.kill(), proc.wait()))
        wait_until(lambda: notify.has("READY=1") or proc.poll() is not None, 20, "READY=1")
        self.assertIsNone(proc.poll(), proc.stderr.read() if proc.poll() is not None else "")
        return proc

    def check_answers(self, port):
        q = dns.message.make_query("www.example.com", "A")
        reply = wait_until(lambda: dns.query.udp(q, "127.0.0.1", port=port, timeout=1), 10,
                           "an answer from the installed server")
        self.assertTrue(reply.flags & dns.flags.AA)
        # The demo endpoints are not running: failing open to the primary.
        self.assertEqual(str(reply.answer[0][0].target), "east.example.com.")

    def check_reload(self, settings):
        reload = settings["ExecReload"][0]
        self.assertTrue(reload.endswith(" ctl reload"), reload)
        systemd = systemd_is_init()
        cmd = ["systemctl", "reload", "switchboard"] if systemd else self.as_user(settings, reload)
        r = run(cmd)
        self.assertEqual(r.returncode, 0, r.stderr)
        with open("/etc/switchboard/zones/example.com.zone", "a") as f:
            f.write("broken  profile priority {\n")
        r = run(cmd)
        self.assertEqual(r.returncode, 1, "a refused configuration fails the reload")

    def test_build_install_run_purge(self):
        deb = self.build()
        self.install(deb)
        self.check_files()
        self.check_unit()
        port = self.configure_port()
        settings = unit_settings()
        if systemd_is_init():
            r = run(["systemctl", "restart", "switchboard"], timeout=60)
            self.assertEqual(r.returncode, 0, r.stderr)
            status = run(["systemctl", "show", "-P", "StatusText", "switchboard"]).stdout
            self.assertRegex(status, r"^serving 1 zone, \d+ profiles; \d+ of \d+ endpoints up")
        else:
            proc = self.start_without_systemd(settings)
        self.check_answers(port)
        self.check_reload(settings)
        if systemd_is_init():
            self.assertEqual(run(["systemctl", "stop", "switchboard"]).returncode, 0)
        else:
            proc.send_signal(signal.SIGTERM)
            self.assertEqual(proc.wait(timeout=15), 0, proc.stderr.read())
            proc.stderr.close()


if __name__ == "__main__":
    unittest.main(verbosity=2)
