"""A fleet of three nameservers over a three-server NATS JetStream cluster
(started and stopped by the test, on loopback): overrides set with ctl on
one node change every node's answers; a force's and a switchover's ends
fire everywhere, and a node away meanwhile does not take up one that has
ended; a node restarted comes back with the fleet's overrides; NATS servers lost one and
then all: overrides still work, then nodes keep answering and ctl refuses
clearly (or applies --local), and converge when NATS returns; credentials
and unreachable servers at start give clear errors and a node that serves
alone (or exits, with fleet-required)."""
import os

import natstest
import sbtest
from sbtest import ScenarioCase, wait_until

ZONE = sbtest.ZONE_HEADER + """www   profile priority ttl=5 {
          monitor none
          endpoint east 127.0.0.10 priority=1
          endpoint west 127.0.0.11 priority=2
      }
"""

# How long a change may take to reach every node: the store's round trip
# and the watch, far less in practice (tests/bench/fleet_propagation.py
# measures it); generous for a loaded 2-core machine running sanitizers.
SPREAD = 10.0
# After a NATS server is lost, JetStream elects new leaders for the bucket
# (a few seconds) and the watches start again.
RECOVERY = 30.0


def answer(srv):
    r = srv.query("www.example.com", "A")
    return [rr.to_text() for rrset in r.answer for rr in rrset]


def answers_with(srv, address):
    return answer(srv) == [address]


class FleetCase(ScenarioCase):
    """The helpers every fleet scenario uses: a NATS cluster and nodes."""

    def cluster(self, **kw):
        nats = natstest.NatsCluster(**kw).start()
        self.addCleanup(nats.stop)
        return nats

    def node(self, nats, name, state_dir=None, extra=(), zone=ZONE):
        args = ["--fleet-node", name, "--fleet-timeout", "3s", *extra]
        for url in nats.urls:
            args += ["--fleet-server", url]
        state = os.path.join(state_dir, f"{name}.json") if state_dir else None
        return self.server({"example.com.zone": zone}, args, state_file=state)

    def everywhere(self, nodes, address, what, timeout=SPREAD):
        for srv in nodes:
            try:
                wait_until(lambda s=srv: answers_with(s, address), timeout,
                           f"{what} on {srv.port}")
            except AssertionError as e:
                raise AssertionError(f"{e}; its log:\n" + "\n".join(srv.lines[-30:])) from None



class Fleet(FleetCase):
    """Overrides shared by the fleet's nodes."""

    def test_override_on_one_node_moves_every_node(self):
        nats = self.cluster()
        state_dir = sbtest.tempdir()
        a, b, c = (self.node(nats, n, state_dir) for n in ("a", "b", "c"))
        self.everywhere((a, b, c), "127.0.0.10", "east first")

        rc, out, _ = a.ctl("drain", "www.example.com", "east")
        self.assertIn("stored in the fleet", out)
        # The node that took the command answers the new way at once.
        self.assertEqual(answer(a), ["127.0.0.11"])
        self.everywhere((b, c), "127.0.0.11", "the drain")
        line = b.wait_log(r"event=override action=drain profile=www\.example\.com\. "
                          r"endpoint=east", SPREAD)
        self.assertRegex(line, r"by=uid=\d+@a$")

        # A switchover set on c, a forced state with an end set on b: both
        # reach every node, and the end fires on every node.
        c.ctl("undrain", "www.example.com", "east")
        self.everywhere((a, b, c), "127.0.0.10", "the undrain")
        b.ctl("force", "www.example.com", "east", "down", "--for", "2s")
        self.everywhere((a, b, c), "127.0.0.11", "the forced state")
        self.everywhere((a, b, c), "127.0.0.10", "the end of the forced state")
        for srv in (a, b, c):
            srv.wait_log(r"event=override action=unforce .*by=expiry", SPREAD)
        # So does a switchover's end, set on c: every node fails back.
        c.ctl("switchover", "www.example.com", "west", "--for", "2s")
        self.everywhere((a, b, c), "127.0.0.11", "the switchover with an end")
        self.everywhere((a, b, c), "127.0.0.10", "the end of the switchover")
        for srv in (a, b, c):
            srv.wait_log(r"event=override action=failback profile=www\.example\.com\. "
                         r"endpoint=- by=expiry$", SPREAD)

        # A node away while a switchover began and ended does not take it
        # up when it comes back: the fleet's value has ended.
        c.stop()
        a.ctl("switchover", "www.example.com", "west", "--for", "2s")
        self.everywhere((a, b), "127.0.0.11", "the switchover while c is away")
        self.everywhere((a, b), "127.0.0.10", "its end while c is away")
        c = self.node(nats, "c", state_dir)
        self.assertEqual(answer(c), ["127.0.0.10"])
        self.assertEqual(c.log_count(r"event=override action=switchover"), 0)

        # A node restarted comes back with the fleet's overrides, changed
        # while it was away, from its first answer.
        c.stop()
        a.ctl("switchover", "www.example.com", "west")
        self.everywhere((a, b), "127.0.0.11", "the switchover")
        c = self.node(nats, "c", state_dir)
        self.assertEqual(answer(c), ["127.0.0.11"])
        a.ctl("failback", "www.example.com")
        self.everywhere((a, b, c), "127.0.0.10", "the failback")

    def test_an_override_for_an_endpoint_not_here_yet_applies_after_reload(self):
        """A rolling deployment: a drains `south`, which b's zone files do
        not have yet; b says so, and applies the drain once reloaded with
        them."""
        nats = self.cluster(size=1)
        south = ZONE.replace("    endpoint west 127.0.0.11 priority=2\n",
                             "    endpoint west 127.0.0.11 priority=2\n"
                             "    endpoint south 127.0.0.12 priority=3\n")
        one = ["--fleet-replicas", "1"]
        a = self.node(nats, "a", extra=one, zone=south)
        b = self.node(nats, "b", extra=one)
        a.ctl("drain", "www.example.com", "south")
        b.wait_log(r"level=warning event=fleet-override-not-applied "
                   r"slot=drain\.www=2Eexample=2Ecom\.south by=uid=\d+@a", SPREAD)
        with open(os.path.join(b.zones_dir, "example.com.zone"), "w") as f:
            f.write(south)
        mark = len(b.lines)
        b.ctl("reload")
        b.wait_log(r"event=override action=drain profile=www\.example\.com\. endpoint=south "
                   r"by=uid=\d+@a", SPREAD, start=mark)
        _, status, _ = b.ctl("status")
        self.assertRegex(status, r"south")

    def test_nats_lost_and_back(self):
        nats = self.cluster()
        a, b = self.node(nats, "a"), self.node(nats, "b")
        self.everywhere((a, b), "127.0.0.10", "east first")

        # One NATS server of three lost: the store still takes writes.
        nats.kill(2)
        wait_until(lambda: a.ctl("drain", "www.example.com", "east", check=False)[0] == 0,
                   RECOVERY, "a drain with one NATS server down")
        self.everywhere((a, b), "127.0.0.11", "the drain", RECOVERY)

        # Every NATS server lost: the nodes keep answering with the
        # overrides they have; ctl refuses a fleet override, and says why.
        nats.kill(0)
        nats.kill(1)
        wait_until(lambda: "cannot be reached" in a.ctl(
            "undrain", "www.example.com", "east", check=False)[2], SPREAD,
            "ctl to refuse while the fleet is down")
        rc, _, err = a.ctl("undrain", "www.example.com", "east", check=False)
        self.assertNotEqual(rc, 0)
        self.assertIn("--local", err)
        self.assertEqual(answer(a), ["127.0.0.11"])
        self.assertEqual(answer(b), ["127.0.0.11"])

        # The emergency path: --local applies on this node only.
        rc, out, _ = b.ctl("undrain", "www.example.com", "east", "--local")
        self.assertIn("this nameserver only", out)
        self.assertEqual(answer(b), ["127.0.0.10"])
        self.assertEqual(answer(a), ["127.0.0.11"])
        _, status, _ = b.ctl("status", "--json")
        self.assertIn("drain.www=2Eexample=2Ecom.east", status)

        # NATS back: the fleet's state wins (east is still drained there).
        nats.restart_all()
        self.everywhere((b,), "127.0.0.11", "the fleet's state after its return", RECOVERY)
        b.wait_log(r"event=fleet-local-override-replaced slot=drain\.www=2Eexample=2Ecom\.east "
                   r"by=uid=\d+@a", RECOVERY)
        wait_until(lambda: a.ctl("undrain", "www.example.com", "east", check=False)[0] == 0,
                   RECOVERY, "the fleet to take writes again")
        self.everywhere((a, b), "127.0.0.10", "the undrain after the fleet's return", RECOVERY)

    def test_wrong_credentials_serve_alone_or_exit_when_required(self):
        nats = self.cluster(size=1, user="sb", password="right")
        secret = os.path.join(sbtest.tempdir(), "password")
        with open(secret, "w") as f:
            f.write("wrong\n")
        os.chmod(secret, 0o600)
        srv = self.node(nats, "a", extra=["--fleet-user", "sb", "--fleet-password-file", secret])
        srv.wait_log(r"level=warning event=fleet-error what=connect reason=.*[Aa]uthoriz", SPREAD)
        self.assertEqual(answer(srv), ["127.0.0.10"])
        rc, _, err = srv.ctl("drain", "www.example.com", "east", check=False)
        self.assertNotEqual(rc, 0)
        self.assertIn("cannot be reached", err)

        # Told the fleet is required, it does not start, and says why.
        with self.assertRaises(AssertionError) as ctx:
            self.node(nats, "b", extra=["--fleet-user", "sb", "--fleet-password-file", secret,
                                        "--fleet-required", "yes"])
        self.assertRegex(str(ctx.exception),
                         r"event=fleet-failed reason=.*required.*[Aa]uthoriz.*action=exit")

    def test_unreachable_server_and_tls_failure_at_start(self):
        port = natstest.free_tcp_ports(1)[0]
        srv = self.server({"example.com.zone": ZONE},
                          ["--fleet-node", "a", "--fleet-timeout", "500ms",
                           "--fleet-server", f"nats://127.0.0.1:{port}"])
        srv.wait_log(r"event=fleet-error what=connect reason=", SPREAD)
        srv.wait_log(r"event=fleet-not-synced", SPREAD)
        self.assertEqual(answer(srv), ["127.0.0.10"])

        # A TLS server whose certificate no CA given vouches for.
        nats = self.cluster(size=1, tls=True)
        other_ca = os.path.join(sbtest.tempdir(), "ca.pem")
        natstest._openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                          "-subj", "/CN=another CA", "-keyout", other_ca + ".key",
                          "-out", other_ca)
        tls = self.node(nats, "t", extra=["--fleet-ca", other_ca, "--fleet-replicas", "1"])
        tls.wait_log(r"event=fleet-error what=connect reason=.*(SSL|TLS|certificate)", SPREAD)
        self.assertEqual(answer(tls), ["127.0.0.10"])

        # With the right CA, it joins.
        good = self.node(nats, "g", extra=["--fleet-ca", nats.ca_file, "--fleet-replicas", "1"])
        good.wait_log(r"event=fleet-synced", SPREAD)


if __name__ == "__main__":
    sbtest.main()
