"""The command line: `check` output and exit status, refusing to serve a
bad configuration, and a clear error when the port is taken."""
import os
import re
import shutil
import socket
import subprocess
import tempfile
import unittest

import sbtest

REPO_ZONES = os.path.join(os.path.dirname(sbtest.HERE), "..", "zones")


def run(*args, timeout=20):
    return subprocess.run([sbtest.BINARY, *args], capture_output=True, text=True,
                          timeout=timeout)


class Cli(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="sb-cli-")
        self.addCleanup(shutil.rmtree, self.dir, ignore_errors=True)

    def write_zone(self, name, text):
        path = os.path.join(self.dir, name)
        with open(path, "w") as f:
            f.write(text)
        return path

    def test_check_ok_on_the_shipped_zones(self):
        r = run("check", "--zones", REPO_ZONES, "--geo-database", sbtest.DEMO_GEO)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout.splitlines()[0], "configuration OK")
        self.assertEqual(r.stderr, "")

    def test_check_reports_every_error(self):
        path = self.write_zone("example.com.zone", sbtest.ZONE_HEADER + """www profile priority {
    monitor http interval=2s timeout=3s
    endpoint east nowhere priority=1
}
x AAA 1.2.3.4
""")
        r = run("check", "--zones", self.dir)
        self.assertEqual(r.returncode, 1)
        self.assertEqual(r.stdout, "")
        self.assertEqual(r.stderr.splitlines(), [
            f"{path}:7:30: timeout=3s must be less than interval=2s",
            f"{path}:8:5: endpoint 'east': target nowhere.example.com. is in the served zone "
            "example.com. but does not exist there",
            f"{path}:10:3: unknown record type 'AAA'",
            "3 errors in the configuration",
        ])

    def test_check_names_both_bad_priorities(self):
        """The issue's reproducer: it crashed `check` (and so systemd's
        ExecStartPre) before."""
        path = self.write_zone("example.com.zone", sbtest.ZONE_HEADER + """www profile priority {
 monitor tcp port=80
 endpoint a 192.0.2.10 priority=0
 endpoint b 192.0.2.11 priority=0
}
""")
        r = run("check", "--zones", self.dir)
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assertEqual(r.stderr.splitlines(), [
            f"{path}:8:33: bad priority '0': priority must be from 1 to 65535",
            f"{path}:9:33: bad priority '0': priority must be from 1 to 65535",
            "2 errors in the configuration",
        ])

    def test_check_warns_of_a_profile_ttl_that_defeats_failover(self):
        path = self.write_zone("example.com.zone", sbtest.ZONE_HEADER + """www profile priority ttl=1h {
    monitor none
    endpoint a 192.0.2.10 priority=1
}
""")
        r = run("check", "--zones", self.dir)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout.splitlines()[0], "configuration OK")
        self.assertEqual(r.stderr.splitlines(), [
            f"{path}:6:26: warning: profile www.example.com. has ttl=3600: resolvers may send "
            "clients to a failed endpoint for up to 3600 s after failover; keep it at 300 or "
            "less (the default is 30)"])

    def test_serve_refuses_a_bad_configuration(self):
        self.write_zone("example.com.zone", "$TTL 60\nx A 1.2.3.4\n")
        r = run("serve", "--zones", self.dir, "--listen", "127.0.0.1:0", *sbtest.user_args([]))
        self.assertEqual(r.returncode, 1)
        self.assertIn("zone example.com. has no SOA record at its apex", r.stderr)
        self.assertRegex(r.stderr, r"event=config-error action=exit")
        self.assertNotIn("event=listening", r.stderr)

    def test_port_in_use_is_a_clear_error(self):
        self.write_zone("example.com.zone", sbtest.ZONE_HEADER)
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
            r = run("serve", "--zones", self.dir, "--listen", f"127.0.0.1:{port}",
                    *sbtest.user_args([]))
        self.assertEqual(r.returncode, 1)
        self.assertIn(f'event=listen-failed reason="cannot listen on 127.0.0.1:{port}: Address '
                      'already in use (is another server running?)"', r.stderr)

    def test_bad_flags(self):
        r = run("check", "--zones", REPO_ZONES, "--threads", "zero")
        self.assertEqual(r.returncode, 1)
        self.assertIn("command line: threads 'zero' must be a whole number from 1 to 64",
                      r.stderr)
        r = run("frobnicate")
        self.assertEqual(r.returncode, 2)
        self.assertIn("unknown command 'frobnicate'", r.stderr)
        r = run("version")
        self.assertEqual(r.returncode, 0)
        self.assertRegex(r.stdout, r"^switchboard \d+\.\d+\.\d+\n$")
        r = run("--help")
        self.assertEqual(r.returncode, 0)
        self.assertIn("--listen ADDR[:PORT]", r.stdout)


if __name__ == "__main__":
    unittest.main(verbosity=2)
