"""HTTPS probes judge the certificate: each way a certificate can be wrong
takes the endpoint down with a reason that names it, `tls-verify=no` and
client certificates work, and a certificate that goes bad moves the answer.

Certificates come from a throwaway CA (tlsca.py); monitors trust it through
`ca-file=`. Endpoint targets are names inside the served zone, so probes
connect to their A records and need no DNS, while the URL, SNI and the
certificate check keep the name.
"""
import os
import shutil
import signal

import endpoint_log
import sbtest
import tlsca
from sbtest import ScenarioCase, cname_target, wait_until

INTERVAL_MS = 1000
TIMEOUT_MS = 900


def profile(case, port, fallback_port, ca_file, settings=""):
    """Profile `case`: endpoint east is `case`-ep.example.com on `port`
    (with its own `settings`), west is the healthy fallback."""
    return f"""{case} profile priority ttl=5 {{
    monitor https interval={INTERVAL_MS}ms timeout={TIMEOUT_MS}ms fall=1 rise=1 ca-file="{ca_file}"
    endpoint east {case}-ep priority=1 port={port} {settings}
    endpoint west west priority=2 port={fallback_port}
}}
{case}-ep A 127.0.0.10
"""


def install(pair, served):
    """Copy a certificate and its key to the paths an endpoint serves."""
    shutil.copyfile(pair.cert, served.cert)
    shutil.copyfile(pair.key, served.key)


class Tls(ScenarioCase):
    @classmethod
    def setUpClass(cls):
        cls.ca = tlsca.TestCA()
        cls.other_ca = tlsca.TestCA("Some Other CA")

    @classmethod
    def tearDownClass(cls):
        cls.ca.cleanup()
        cls.other_ca.cleanup()

    def https(self, pair, bind="127.0.0.10", client_ca=None, **kw):
        extra = ["--cert", pair.cert, "--key", pair.key]
        if client_ca:
            extra += ["--client-ca", client_ca]
        return endpoint_log.add_to(self, "https", bind=bind, extra=extra, **kw)

    def west(self):
        return self.https(self.ca.server("west.example.com"), bind="127.0.0.11")

    def state_line(self, srv, case):
        return srv.wait_log(rf"event=endpoint-state profile={case}\.example\.com\. endpoint=east "
                            r".*from=checking", 2.0)

    def test_each_certificate_problem_has_its_reason(self):
        ca, name = self.ca, lambda case: f"{case}-ep.example.com"
        both = os.path.join(ca.dir, "client-both.pem")
        client = ca.client()
        with open(both, "w") as out:
            for part in (client.cert, client.key):
                with open(part) as f:
                    out.write(f.read())
        # case -> (endpoint, monitor settings, state, reason)
        cases = {
            "valid": (self.https(ca.server(name("valid"))), "", "up", "HTTP 200"),
            "expired": (self.https(ca.server(name("expired"), expired=True)), "",
                        "down", "TLS certificate expired"),
            "early": (self.https(ca.server(name("early"), not_yet_valid=True)), "",
                      "down", "TLS certificate not yet valid"),
            "wrongname": (self.https(ca.server("other.example.com")), "",
                          "down", "TLS certificate name mismatch"),
            # host= names the site: Host, the TLS server name and the name
            # the certificate must carry.
            "vhost": (self.https(ca.server("site.example.net")), "host=site.example.net",
                      "up", "HTTP 200"),
            "selfsigned": (self.https(tlsca.self_signed(name("selfsigned"), ca.dir)), "",
                           "down", "TLS certificate not trusted (self-signed)"),
            "insecure": (self.https(tlsca.self_signed(name("insecure"), ca.dir)),
                         "tls-verify=no", "up", "HTTP 200"),
            "foreign": (self.https(self.other_ca.server(name("foreign"))), "",
                        "down", "TLS certificate not trusted (unknown issuer)"),
            "plain": (endpoint_log.add_to(self, "http", bind="127.0.0.10"), "",
                      "down", "TLS handshake failed: wrong version number"),
            "nocert": (self.https(ca.server(name("nocert")), client_ca=ca.cert), "",
                       "down", "TLS handshake failed: tlsv13 alert certificate required"),
            "clientcert": (self.https(ca.server(name("clientcert")), client_ca=ca.cert),
                           f'client-cert="{client.cert}" client-key="{client.key}"',
                           "up", "HTTP 200"),
            "clientpem": (self.https(ca.server(name("clientpem")), client_ca=ca.cert),
                          f'client-cert="{both}"', "up", "HTTP 200"),
            "wrongclient": (self.https(ca.server(name("wrongclient")), client_ca=self.other_ca.cert),
                            f'client-cert="{both}"', "down", "TLS handshake failed: "),
        }
        west = self.west()
        zone = sbtest.ZONE_HEADER + "west A 127.0.0.11\n"
        for case, (ep, settings, _, _) in cases.items():
            zone += profile(case, ep.port, west.port, ca.cert, settings)
        srv = self.server({"example.com.zone": zone})
        for case, (_, _, state, reason) in cases.items():
            line = self.state_line(srv, case)
            self.assertIn(f"to={state} ", line, case)
            self.assertIn(f'reason="{reason}', line, case)
            want = f"{case}-ep" if state == "up" else "west"
            self.assertEqual(cname_target(srv.query(f"{case}.example.com")),
                             f"{want}.example.com.", case)
        # Handshakes keep failing every second; DNS answers all along.
        sbtest.assert_answers_promptly(srv, [f"{case}.example.com" for case in cases], count=100)
        # The server name asked for is the endpoint's name, or host=.
        self.assertEqual(set(cases["valid"][0].log_lines("SNI ")), {"SNI valid-ep.example.com"})
        self.assertEqual(set(cases["vhost"][0].log_lines("SNI ")), {"SNI site.example.net"})
        # The endpoint saw why: a missing client certificate, a refused one.
        self.assertTrue(cases["nocert"][0].log_lines("TLS-ERROR"))
        self.assertTrue(cases["wrongclient"][0].log_lines("TLS-ERROR"))
        srv.stop()

    def test_without_ca_file_the_system_store_decides(self):
        # The system's store does not know the test CA. Loading it (once,
        # then cached) takes the probe worker some 100 ms of CPU, more on a
        # busy machine: a generous timeout keeps this about trust, not time.
        east, west = self.https(self.ca.server("east.example.com")), self.west()
        zone = sbtest.ZONE_HEADER + f"""east A 127.0.0.10
west A 127.0.0.11
www profile priority ttl=5 {{
    monitor https interval=5s timeout=4s fall=1 rise=1
    endpoint east east priority=1 port={east.port}
    endpoint west west priority=2 port={west.port} ca-file="{self.ca.cert}"
}}
"""
        srv = self.server({"example.com.zone": zone})
        line = self.state_line(srv, "www")
        self.assertIn('to=down reason="TLS certificate not trusted (unknown issuer)"', line)
        self.assertEqual(cname_target(srv.query("www.example.com")), "west.example.com.")
        srv.stop()

    def test_certificate_going_bad_moves_the_answer(self):
        good = self.ca.server("east.example.com")
        old = self.ca.server("east.example.com", expired=True)
        served = tlsca.Pair(os.path.join(self.ca.dir, "served.pem"),
                            os.path.join(self.ca.dir, "served.key"))
        install(good, served)
        east, west = self.https(served), self.west()
        zone = sbtest.ZONE_HEADER + "west A 127.0.0.11\n" + profile(
            "www", east.port, west.port, self.ca.cert).replace("www-ep", "east")
        srv = self.server({"example.com.zone": zone})
        self.assertEqual(cname_target(srv.query("www.example.com")), "east.example.com.")

        # The server switches to an expired certificate without a gap (as on
        # a reload): the next full handshake (no resumed session) sees it.
        mark = len(srv.lines)
        install(old, served)
        east.proc.send_signal(signal.SIGHUP)
        wait_until(lambda: cname_target(srv.query("www.example.com")) == "west.example.com.",
                   3 * INTERVAL_MS / 1000 + 1.0, "the answer to move to west")
        line = srv.wait_log(r"endpoint=east .*from=up to=down", 1.0, start=mark)
        self.assertIn('reason="TLS certificate expired"', line)

        mark = len(srv.lines)
        install(good, served)
        east.proc.send_signal(signal.SIGHUP)
        wait_until(lambda: cname_target(srv.query("www.example.com")) == "east.example.com.",
                   3 * INTERVAL_MS / 1000 + 1.0, "the answer to return to east")
        line = srv.wait_log(r"endpoint=east .*from=down to=up", 1.0, start=mark)
        self.assertIn('reason="HTTP 200"', line)
        srv.stop()

if __name__ == "__main__":
    sbtest.main()
