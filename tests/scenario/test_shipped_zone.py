"""The zone that ships in zones/ serves as-is: no edits, no outside DNS."""
import os

import dns.edns
import dns.flags
import dns.rcode

import sbtest
from sbtest import ScenarioCase

REPO_ZONES = os.path.abspath(os.path.join(sbtest.HERE, "..", "..", "zones"))


class ShippedZone(ScenarioCase):
    def test_www_and_api(self):
        srv = self.server({}, zones_dir=REPO_ZONES, args=["--geo-database", sbtest.DEMO_GEO])
        r = srv.query("www.example.com", "A")
        self.assertTrue(r.flags & dns.flags.AA)
        self.assertEqual(r.rcode(), dns.rcode.NOERROR)
        # east is the primary: it answers when up, and when everything is
        # down (fail open), so the answer is the same on any machine.
        self.assertEqual(sbtest.answer_texts(r), [
            "www.example.com. 30 CNAME east.example.com.",
            "east.example.com. 3600 A 127.0.0.10",
        ])
        r = srv.query("api.example.com", "A")
        self.assertEqual(sbtest.answer_texts(r), ["api.example.com. 30 A 127.0.0.10"])
        r = srv.query("example.com", "MX")
        self.assertEqual(sbtest.answer_texts(r), ["example.com. 3600 MX 10 mail.example.com."])
        self.assertEqual(len(r.additional), 1)
        # shop shares its answers between east and west by weight; with
        # both down (fail open) it still does.
        seen = {sbtest.answer_texts(srv.query("shop.example.com", "A"))[0] for _ in range(60)}
        self.assertEqual(seen, {"shop.example.com. 30 A 127.0.0.10",
                                "shop.example.com. 30 A 127.0.0.11"})
        # app routes by location in the demo database: Europe to the EU
        # pool, the rest (loopback: New York) to the US pool.
        r = srv.query("app.example.com", "A", use_edns=0,
                      options=[dns.edns.ECSOption("192.0.2.0", 24)])
        self.assertEqual(sbtest.answer_texts(r)[0], "app.example.com. 30 CNAME eu-pool.example.com.")
        r = srv.query("app.example.com", "A")
        self.assertEqual(sbtest.answer_texts(r), [
            "app.example.com. 30 CNAME us-pool.example.com.",
            "us-pool.example.com. 30 A 127.0.0.10",
        ])
        srv.stop()


if __name__ == "__main__":
    sbtest.main()
