"""--log-target syslog: the same key=value events reach syslog (facility
daemon, the level as priority), and nothing goes to stderr.

The test listens on /dev/log itself, so it needs /dev/log to be free (as on
a build machine or container without a syslog daemon) and write access to
/dev; elsewhere it is skipped, saying why."""
import os
import re
import socket
import subprocess
import tempfile
import unittest

import sbtest
from sbtest import wait_until

DEV_LOG = "/dev/log"
LOG_DAEMON = 3 << 3
PRIORITIES = {"info": 6, "warning": 4, "error": 3}


@unittest.skipIf(os.path.exists(DEV_LOG), "a syslog daemon owns /dev/log here")
@unittest.skipIf(not os.access("/dev", os.W_OK), "cannot create /dev/log")
class Syslog(unittest.TestCase):
    def test_events_go_to_syslog(self):
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        sock.bind(DEV_LOG)
        self.addCleanup(os.unlink, DEV_LOG)
        self.addCleanup(sock.close)
        sock.settimeout(0.2)
        tmp = sbtest.tempdir(prefix="sb-syslog-")
        zones = os.path.join(tmp, "zones")
        os.mkdir(zones)
        with open(os.path.join(zones, "example.com.zone"), "w") as f:
            f.write(sbtest.ZONE_HEADER)
        proc = subprocess.Popen(
            [sbtest.BINARY, "serve", "--zones", zones, "--listen", "127.0.0.1:0",
             "--control-socket", os.path.join(tmp, "c.sock"),
             "--state-file", os.path.join(tmp, "state.json"), "--log-target", "syslog",
             *sbtest.user_args([])],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        self.addCleanup(lambda: proc.poll() is None and proc.kill())
        messages = []

        def ready():
            try:
                messages.append(sock.recv(8192).decode())
            except socket.timeout:
                pass
            return any("event=ready" in m for m in messages)
        wait_until(ready, 10.0, "event=ready in syslog")
        proc.terminate()
        self.assertEqual(proc.wait(timeout=10), 0)
        self.assertEqual(proc.stderr.read(), "")
        line = next(m for m in messages if "event=listening" in m)
        # <PRI>timestamp ident[pid]: level=info event=listening ...
        m = re.match(r"<(\d+)>.* switchboard\[\d+\]: level=info event=listening address=", line)
        self.assertIsNotNone(m, line)
        self.assertEqual(int(m.group(1)), LOG_DAEMON | PRIORITIES["info"])
        self.assertNotRegex(line, r"(^|\s)ts=")  # syslog stamps the time itself


if __name__ == "__main__":
    unittest.main(verbosity=2)
