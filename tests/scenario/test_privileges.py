"""Privileges: started as root, the daemon binds (a privileged port among
them), reads its secrets and state file, then becomes --user for good with
no capability left in any set and no_new_privs; the sockets, state file and
reloads keep working as that user. Root without --user is refused, --user
root keeps uid 0 without capabilities, and a daemon started as another user
with CAP_NET_BIND_SERVICE in its ambient set (as systemd's
AmbientCapabilities= gives it) binds port 53-style ports and then gives the
capability up. What the kernel says in /proc/PID/status is the evidence.

Needs root (CI runs the suite as root); skipped otherwise."""
import json
import os
import pwd
import shutil
import socket
import stat
import subprocess
import unittest
import urllib.request

import dns.message
import dns.query

import sbtest
from sbtest import ScenarioCase, wait_until

ZONE = sbtest.ZONE_HEADER + """www  A  192.0.2.10
app  profile priority ttl=30 {
         monitor none
         endpoint a 192.0.2.20 priority=1
         endpoint b 192.0.2.21 priority=2
     }
"""

NOBODY = pwd.getpwnam("nobody")


def proc_status(pid):
    """/proc/PID/status as a dict of its fields."""
    with open(f"/proc/{pid}/status") as f:
        return dict(line.rstrip("\n").split(":\t", 1) for line in f if ":\t" in line)


def free_privileged_port():
    """A port below 1024 free on 127.0.0.1 (only root, or
    CAP_NET_BIND_SERVICE, may bind one)."""
    port = sbtest.free_port(range(700, 1000))
    if port is None:
        raise unittest.SkipTest("no free port below 1024 on 127.0.0.1")
    return port


def ask(port, name="www.example.com"):
    q = dns.message.make_query(name, "A")
    return dns.query.udp(q, "127.0.0.1", port=port, timeout=2)


def assert_no_capabilities(test, status, bounding_too=True):
    for field in ("CapInh", "CapPrm", "CapEff", "CapAmb") + (("CapBnd",) if bounding_too else ()):
        test.assertEqual(int(status[field], 16), 0, f"{field} {status[field]}")
    test.assertEqual(status["NoNewPrivs"], "1")


@unittest.skipUnless(os.geteuid() == 0, "needs root")
class Privileges(ScenarioCase):
    def test_root_without_user_is_refused(self):
        tmp = sbtest.tempdir()
        self.addCleanup(shutil.rmtree, tmp, True)
        with open(os.path.join(tmp, "example.com.zone"), "w") as f:
            f.write(ZONE)
        r = subprocess.run([sbtest.BINARY, "serve", "--zones", tmp, "--listen", "127.0.0.1:0",
                            "--control-socket", os.path.join(tmp, "c.sock"),
                            "--state-file", os.path.join(tmp, "s.json")],
                           capture_output=True, text=True, timeout=20)
        self.assertEqual(r.returncode, 1)
        self.assertIn('event=start-failed reason="started as root without --user: give --user '
                      'NAME to run as NAME once the sockets are open (--user root keeps root, '
                      'which is not advised)" action=exit', r.stderr)
        self.assertNotIn("event=listening", r.stderr)

    def test_drops_to_the_user_and_every_capability(self):
        port = free_privileged_port()
        srv = self.server({"example.com.zone": ZONE},
                          args=["--user", "nobody", "--listen", f"127.0.0.1:{port}",
                                "--metrics-listen", "0"])
        st = proc_status(srv.proc.pid)
        uid, gid = str(NOBODY.pw_uid), str(NOBODY.pw_gid)
        self.assertEqual(st["Uid"].split(), [uid] * 4)
        self.assertEqual(st["Gid"].split(), [gid] * 4)
        self.assertEqual(st["Groups"].split(), [])  # no supplementary group
        assert_no_capabilities(self, st)
        srv.wait_log(rf"event=privileges-dropped user=nobody uid={uid} gid={gid} "
                     r"capabilities=none$", 1.0)
        # The privileged port was bound before the drop, and answers.
        self.assertEqual(sbtest.answer_texts(ask(port)), ["www.example.com. 3600 A 192.0.2.10"])
        # The control socket is the server's user's, with the default mode.
        sock = os.stat(srv.control_socket)
        self.assertEqual((sock.st_uid, stat.S_IMODE(sock.st_mode)), (NOBODY.pw_uid, 0o600))
        # Overrides are saved by that user; reloads read the zones as it.
        srv.ctl("switchover", "app.example.com", "b")
        self.assertEqual(os.stat(srv.state_file).st_uid, NOBODY.pw_uid)
        srv.ctl("reload")
        srv.wait_log(r"event=reload-done generation=2 ", 5.0)
        # The metrics socket was bound before the drop; its thread serves after.
        line = srv.wait_log(r"event=metrics-listening address=127\.0\.0\.1:\d+", 1.0)
        address = sbtest.log_fields(line)["address"]
        with urllib.request.urlopen(f"http://{address}/metrics", timeout=5) as r:
            self.assertIn(b"switchboard_config_generation 2", r.read())
        # Every thread, the metrics thread and DNS workers too, is the same.
        for task in os.listdir(f"/proc/{srv.proc.pid}/task"):
            tst = proc_status(f"{srv.proc.pid}/task/{task}")
            self.assertEqual(tst["Uid"].split(), [uid] * 4, task)
            assert_no_capabilities(self, tst)
        srv.stop()
        self.assertFalse(os.path.exists(srv.control_socket))  # removed as that user

    def test_user_root_keeps_uid_0_without_capabilities(self):
        srv = self.server({"example.com.zone": ZONE}, args=["--user", "root"])
        st = proc_status(srv.proc.pid)
        self.assertEqual(st["Uid"].split(), ["0"] * 4)
        assert_no_capabilities(self, st)
        srv.wait_log(r'level=warning event=running-as-root reason="--user root: uid 0 kept '
                     r'\(without capabilities\)"', 1.0)
        self.assertEqual(sbtest.answer_texts(srv.query("www.example.com")),
                         ["www.example.com. 3600 A 192.0.2.10"])

    def test_state_file_only_root_can_read_is_still_restored(self):
        """A state file written while the server ran as root (0600 root) is
        read before the drop, so an upgrade to --user keeps its overrides;
        the next save writes it as the new user."""
        tmp = sbtest.tempdir()
        self.addCleanup(shutil.rmtree, tmp, True)
        state_file = os.path.join(tmp, "state.json")
        with open(state_file, "w") as f:
            json.dump({"version": 1, "overrides": [
                {"action": "switchover", "profile": "app.example.com.", "endpoint": "b",
                 "by": "uid=0"}]}, f)
        os.chmod(state_file, 0o600)
        srv = self.server({"example.com.zone": ZONE}, state_file=state_file)
        srv.wait_log(r"event=state-restored file=\S+ overrides=1 dropped=0", 1.0)
        self.assertEqual(sbtest.answer_texts(srv.query("app.example.com")),
                         ["app.example.com. 30 A 192.0.2.21"])
        srv.ctl("failback", "app.example.com")
        self.assertEqual(os.stat(state_file).st_uid, NOBODY.pw_uid)

    def test_a_state_directory_the_user_cannot_write_is_said(self):
        tmp = sbtest.tempdir()
        self.addCleanup(shutil.rmtree, tmp, True)
        locked = os.path.join(tmp, "locked")
        os.mkdir(locked, 0o755)  # root's
        srv = self.server({"example.com.zone": ZONE},
                          state_file=os.path.join(locked, "state.json"))
        line = srv.wait_log(r"event=state-not-writable ", 1.0)
        self.assertEqual(sbtest.log_fields(line)["reason"],
                         f"{locked} is not writable by uid {NOBODY.pw_uid}: Permission denied")
        rc, _, err = srv.ctl("switchover", "app.example.com", "b", check=False)
        self.assertEqual(rc, 3, err)  # in force, not saved

    @unittest.skipUnless(shutil.which("capsh"), "needs capsh (libcap2-bin)")
    def test_ambient_bind_capability_is_given_up_after_binding(self):
        """As systemd runs it: User= and AmbientCapabilities=CAP_NET_BIND_SERVICE."""
        port = free_privileged_port()
        tmp = sbtest.tempdir()
        self.addCleanup(shutil.rmtree, tmp, True)
        os.mkdir(os.path.join(tmp, "zones"))
        with open(os.path.join(tmp, "zones", "example.com.zone"), "w") as f:
            f.write(ZONE)
        os.chown(os.path.join(tmp, "zones"), NOBODY.pw_uid, NOBODY.pw_gid)
        cmd = " ".join([sbtest.BINARY, "serve", "--zones", os.path.join(tmp, "zones"),
                        "--listen", f"127.0.0.1:{port}",
                        "--control-socket", os.path.join(tmp, "c.sock"),
                        "--state-file", os.path.join(tmp, "state.json")])
        proc = subprocess.Popen(
            ["capsh", "--caps=cap_net_bind_service+eip cap_setpcap,cap_setuid,cap_setgid+ep",
             "--keep=1", "--user=nobody", "--addamb=cap_net_bind_service", "--", "-c",
             "exec " + cmd],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        self.addCleanup(lambda: proc.poll() is None and (proc.kill(), proc.wait()))
        wait_until(lambda: ask(port).answer, 10.0, "an answer on the privileged port")
        st = proc_status(proc.pid)
        self.assertEqual(st["Uid"].split(), [str(NOBODY.pw_uid)] * 4)
        # Not root: the bounding set cannot be emptied (no CAP_SETPCAP), but
        # nothing is permitted and no_new_privs stops any gain.
        assert_no_capabilities(self, st, bounding_too=False)
        proc.terminate()
        _, err = proc.communicate(timeout=10)
        self.assertEqual(proc.returncode, 0, err)
        self.assertIn("event=privileges-dropped user=\"(as started)\"", err)

    @unittest.skipUnless(shutil.which("capsh"), "needs capsh (libcap2-bin)")
    def test_only_root_can_become_another_user(self):
        tmp = sbtest.tempdir()
        self.addCleanup(shutil.rmtree, tmp, True)
        with open(os.path.join(tmp, "example.com.zone"), "w") as f:
            f.write(ZONE)
        cmd = " ".join([sbtest.BINARY, "serve", "--zones", tmp, "--listen", "127.0.0.1:0",
                        "--user", "root", "--control-socket", os.path.join(tmp, "c.sock"),
                        "--state-file", os.path.join(tmp, "s.json")])
        r = subprocess.run(["capsh", "--user=nobody", "--", "-c", "exec " + cmd],
                           capture_output=True, text=True, timeout=20)
        self.assertEqual(r.returncode, 1)
        self.assertIn(f'reason="--user root: only root can become another user (running as uid '
                      f'{NOBODY.pw_uid})" action=exit', r.stderr)


if __name__ == "__main__":
    sbtest.main()
