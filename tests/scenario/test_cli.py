"""The command line: `check` output and exit status (of a zones directory
and of zone files given alone), refusing to serve a bad configuration, a
clear error when the port is taken, and the help of every command."""
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

    def test_help_on_every_command(self):
        """--help (or -h) anywhere after a command prints its usage and exits
        0, whatever else is on the line; it was a configuration error."""
        for args in (("serve", "--help"), ("serve", "--zones", "/nonexistent", "-h"),
                     ("help", "serve")):
            r = run(*args)
            self.assertEqual((r.returncode, r.stderr), (0, ""), args)
            self.assertTrue(r.stdout.startswith("usage: switchboard serve [OPTIONS]\n"), args)
            self.assertIn("--listen ADDR[:PORT]", r.stdout)
        for args in (("check", "--help"), ("help", "check"), ("check", "x.zone", "--help")):
            r = run(*args)
            self.assertEqual((r.returncode, r.stderr), (0, ""), args)
            self.assertTrue(
                r.stdout.startswith("usage: switchboard check [OPTIONS] [FILE.zone...]\n"), args)
            self.assertIn("--origin NAME", r.stdout)
            self.assertIn("--geo-database PATH", r.stdout)
        r = run("version", "--help")
        self.assertEqual((r.returncode, r.stdout, r.stderr),
                         (0, "usage: switchboard version\n\nPrints the version.\n", ""))
        for args in (("help",), ("--help",), ("-h",)):
            r = run(*args)
            self.assertEqual(r.returncode, 0, args)
            self.assertTrue(r.stdout.startswith("usage: switchboard COMMAND [OPTIONS]\n"), args)
            for command in ("serve", "check", "ctl", "version", "help"):
                self.assertRegex(r.stdout, rf"\n  {command} +\S", args)

    def test_unknown_command_suggests(self):
        r = run("chekc", "--zones", REPO_ZONES)
        self.assertEqual(r.returncode, 2)
        self.assertTrue(r.stderr.startswith(
            "switchboard: unknown command 'chekc'; did you mean check?\n"), r.stderr)
        r = run("help", "srve")
        self.assertEqual(r.returncode, 2)
        self.assertIn("unknown command 'srve'; did you mean serve?", r.stderr)

    def test_check_one_file(self):
        """A zone file given alone is checked as the zone its name names,
        from any directory, with no --zones."""
        path = self.write_zone("example.com.zone", sbtest.ZONE_HEADER + """www profile priority {
    monitor none
    endpoint a 192.0.2.10 priority=1
}
""")
        r = run("check", path)
        self.assertEqual((r.returncode, r.stderr), (0, ""), r.stderr)
        self.assertEqual(r.stdout, "configuration OK\nzones: 1, profiles: 1, endpoints: 1\n")
        # The shipped zone, alone (its geo profile needs the database).
        shipped = os.path.join(REPO_ZONES, "example.com.zone")
        r = run("check", shipped, "--geo-database", sbtest.DEMO_GEO)
        self.assertEqual((r.returncode, r.stderr), (0, ""), r.stderr)
        self.assertEqual(r.stdout.splitlines()[0], "configuration OK")

    def test_check_several_files_and_their_errors(self):
        """Several files make one configuration: an endpoint in one may lead
        into another; each file's errors name it; a directory or a name that
        is not NAME.zone is refused, with what to do instead."""
        net = self.write_zone("example.net.zone", sbtest.ZONE_HEADER.replace(
            "example.com.", "example.net.") + "app A 192.0.2.30\n")
        com = self.write_zone("example.com.zone", sbtest.ZONE_HEADER + """www profile priority {
    monitor none
    endpoint a app.example.net. priority=1
}
""")
        r = run("check", com, net)
        self.assertEqual((r.returncode, r.stderr), (0, ""), r.stderr)
        self.assertEqual(r.stdout, "configuration OK\nzones: 2, profiles: 1, endpoints: 1\n")
        bad = self.write_zone("db.example", "$TTL 60\nx A 1.2.3.4\n")
        r = run("check", com, bad, self.dir)
        self.assertEqual(r.returncode, 1)
        self.assertEqual(r.stdout, "")
        self.assertEqual(r.stderr.splitlines(), [
            f"{self.dir}: is a directory; check a zones directory with --zones DIR",
            f"{bad}: file name does not name a zone (expected NAME.zone, as in "
            "example.com.zone; or give --origin NAME)",
            "2 errors in the configuration"])

    def test_check_with_origin(self):
        path = self.write_zone("db.example", sbtest.ZONE_HEADER.replace("$ORIGIN example.com.\n",
                                                                         ""))
        r = run("check", "--origin", "example.org", path)
        self.assertEqual((r.returncode, r.stderr), (0, ""), r.stderr)
        self.assertEqual(r.stdout.splitlines()[0], "configuration OK")
        r = run("check", f"--origin=example.org.", path)
        self.assertEqual(r.returncode, 0, r.stderr)
        r = run("check", "--origin", "example.org", path, path)
        self.assertEqual(r.returncode, 1)
        self.assertEqual(r.stderr.splitlines(), [
            "command line: --origin names the zone of one FILE: give exactly one with it",
            "1 error in the configuration"])
        r = run("check", path, "--origin")
        self.assertEqual(r.returncode, 1)
        self.assertIn("command line: option '--origin' needs a value (NAME)", r.stderr)
        # Files are checked on their own: a zones directory as well is a
        # mistake, not silently left out.
        r = run("check", "--zones", self.dir, "--origin", "example.org", path)
        self.assertEqual(r.returncode, 1)
        self.assertEqual(r.stderr.splitlines(), [
            "command line: give --zones DIR or zone files, not both (files are checked on their "
            "own)", "1 error in the configuration"])

    def test_check_a_missing_brace_is_one_error(self):
        """The issue's reproducer: a profile whose '}' is missing, followed
        by another profile and records, was ten unrelated errors."""
        path = self.write_zone("example.com.zone", sbtest.ZONE_HEADER + """www profile priority {
    monitor http port=8001
    endpoint east 192.0.2.1 priority=1
    endpoint west 192.0.2.2 priority=2

api profile priority {
    monitor http port=8001
    endpoint east 192.0.2.1 priority=1
}
x A 192.0.2.5
""")
        r = run("check", path)
        self.assertEqual(r.returncode, 1)
        self.assertEqual(r.stderr.splitlines(), [
            f"{path}:6:1: profile www.example.com. is never closed (missing '}}' before line 11)",
            "1 error in the configuration"])

    def test_check_warns_of_mx_ns_and_srv_targets_without_address(self):
        path = self.write_zone("example.com.zone", sbtest.ZONE_HEADER + """@ NS ns2
@ MX 10 mail
_sip._tcp SRV 0 5 5060 sip
""")
        r = run("check", path)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout.splitlines()[0], "configuration OK")
        self.assertEqual(r.stderr.splitlines(), [
            f"{path}:6:1: warning: NS record of example.com. names ns2.example.com., which is "
            "in the served zone example.com. but does not exist there: resolvers cannot reach "
            "that nameserver",
            f"{path}:7:1: warning: MX record of example.com. names mail.example.com., which is "
            "in the served zone example.com. but does not exist there: mail cannot be delivered "
            "there",
            f"{path}:8:1: warning: SRV record of _sip._tcp.example.com. names sip.example.com., "
            "which is in the served zone example.com. but does not exist there: clients cannot "
            "reach the service there"])


if __name__ == "__main__":
    unittest.main(verbosity=2)
