"""DNS behaviour over real UDP and TCP sockets, checked field by field:
authoritative answers, negative answers, refusals, EDNS, truncation, TCP
framing and pipelining, and malformed input that must not stop the server."""
import random
import socket
import struct

import dns.edns
import dns.flags
import dns.message
import dns.opcode
import dns.rcode
import dns.rdatatype

import sbtest
from sbtest import ScenarioCase, answer_texts

BIG = "".join(f'big TXT "{i}{"x" * 99}"\n' for i in range(8))

ZONE = sbtest.ZONE_HEADER + """east  A  127.0.0.10
west  A  127.0.0.11
www   profile priority ttl=30 {
          monitor none
          endpoint east east.example.com. priority=1
          endpoint west west.example.com. priority=2
      }
mail  A  127.0.0.20
""" + BIG


def header(msg_bytes):
    ident, flags, qd, an, ns, ar = struct.unpack("!HHHHHH", msg_bytes[:12])
    return ident, flags, qd, an, ns, ar


class Protocol(ScenarioCase):
    @classmethod
    def setUpClass(cls):
        cls.srv = sbtest.Server({"example.com.zone": ZONE}, args=["--tcp-idle-timeout", "1s"])

    @classmethod
    def tearDownClass(cls):
        cls.srv.stop()

    def check_flags(self, r, aa=True):
        self.assertTrue(r.flags & dns.flags.QR)
        self.assertEqual(bool(r.flags & dns.flags.AA), aa)
        self.assertFalse(r.flags & dns.flags.RA)
        self.assertFalse(r.flags & dns.flags.AD)

    def test_answer_with_cname_and_address(self):
        for tcp in (False, True):
            r = self.srv.query("wWw.ExAmple.com", "A", tcp=tcp)
            self.check_flags(r)
            self.assertTrue(r.flags & dns.flags.RD)  # copied from the query
            self.assertEqual(r.rcode(), dns.rcode.NOERROR)
            self.assertEqual(str(r.question[0].name), "wWw.ExAmple.com.")
            self.assertEqual(answer_texts(r), [
                "wWw.ExAmple.com. 30 CNAME east.ExAmple.com.",
                "east.ExAmple.com. 3600 A 127.0.0.10",
            ])
            self.assertEqual(len(r.authority), 0)

    def test_nxdomain_and_nodata_carry_the_soa(self):
        r = self.srv.query("missing.example.com", "A")
        self.check_flags(r)
        self.assertEqual(r.rcode(), dns.rcode.NXDOMAIN)
        self.assertEqual(len(r.answer), 0)
        self.assertEqual(len(r.authority), 1)
        soa = r.authority[0]
        self.assertEqual(soa.rdtype, dns.rdatatype.SOA)
        self.assertEqual(str(soa.name), "example.com.")
        self.assertEqual(soa.ttl, 60)
        self.assertEqual(soa[0].serial, 2026112101)
        r = self.srv.query("mail.example.com", "AAAA")
        self.assertEqual(r.rcode(), dns.rcode.NOERROR)
        self.assertEqual(len(r.answer), 0)
        self.assertEqual(r.authority[0].rdtype, dns.rdatatype.SOA)

    def test_refused_outside_served_zones(self):
        r = self.srv.query("www.example.org", "A")
        self.check_flags(r, aa=False)
        self.assertEqual(r.rcode(), dns.rcode.REFUSED)
        self.assertEqual(len(r.answer) + len(r.authority) + len(r.additional), 0)

    def test_edns_is_echoed(self):
        r = self.srv.query("www.example.com", "A", use_edns=0, payload=4096, want_dnssec=True)
        self.assertEqual(r.edns, 0)
        self.assertEqual(r.payload, 1232)
        self.assertTrue(r.ednsflags & dns.flags.DO)
        # EDNS version 1 (dnspython cannot send it, so set the byte by hand):
        # BADVERS, answered with our OPT at version 0.
        q = bytearray(dns.message.make_query("www.example.com", "A", use_edns=0).to_wire())
        q[-5] = 1  # OPT TTL bytes: extended rcode, version, flags (2)
        r = dns.message.from_wire(self.srv.raw_udp(bytes(q)))
        self.assertEqual(r.rcode(), dns.rcode.BADVERS)
        self.assertEqual(r.edns, 0)
        self.assertEqual(len(r.answer), 0)

    def test_truncation_then_tcp(self):
        r = self.srv.query("big.example.com", "TXT")
        self.assertTrue(r.flags & dns.flags.TC)
        self.assertEqual(len(r.answer), 0)
        self.assertEqual(len(r.question), 1)
        r = self.srv.query("big.example.com", "TXT", use_edns=0, payload=1232)
        self.assertFalse(r.flags & dns.flags.TC)
        self.assertEqual(len(r.answer[0]), 8)
        r = self.srv.query("big.example.com", "TXT", tcp=True)
        self.assertFalse(r.flags & dns.flags.TC)
        self.assertEqual(len(r.answer[0]), 8)

    def tcp_connect(self):
        s = socket.create_connection(("127.0.0.1", self.srv.port), timeout=3)
        self.addCleanup(s.close)
        return s

    def read_framed(self, s):
        def exactly(n):
            buf = b""
            while len(buf) < n:
                chunk = s.recv(n - len(buf))
                if not chunk:
                    raise EOFError
                buf += chunk
            return buf
        (n,) = struct.unpack("!H", exactly(2))
        return dns.message.from_wire(exactly(n))

    def test_tcp_pipelining_in_order(self):
        s = self.tcp_connect()
        names = ["www.example.com", "mail.example.com", "missing.example.com"]
        wire = b""
        for i, name in enumerate(names):
            q = dns.message.make_query(name, "A")
            q.id = 1000 + i
            w = q.to_wire()
            wire += struct.pack("!H", len(w)) + w
        s.sendall(wire)  # all three in one segment
        rcodes = []
        for i in range(3):
            r = self.read_framed(s)
            self.assertEqual(r.id, 1000 + i)
            rcodes.append(r.rcode())
        self.assertEqual(rcodes, [dns.rcode.NOERROR, dns.rcode.NOERROR, dns.rcode.NXDOMAIN])

    def test_tcp_idle_and_half_sent_messages_are_closed(self):
        s = self.tcp_connect()
        s.sendall(b"\x00")  # half a length prefix, then silence
        s.settimeout(5)
        self.assertEqual(s.recv(10), b"")  # closed by the idle timeout (1 s)
        s = self.tcp_connect()
        s.sendall(b"\x00\x40" + b"\x00" * 10)  # promises 64 bytes, sends 10
        self.assertEqual(s.recv(10), b"")

    def test_malformed_packets(self):
        q = dns.message.make_query("www.example.com", "A").to_wire()
        # Header only, claiming a question: FORMERR, same ID, no question.
        reply = self.srv.raw_udp(q[:12])
        ident, flags, qd, an, ns, ar = header(reply)
        self.assertEqual(ident, struct.unpack("!H", q[:2])[0])
        self.assertEqual(flags & 0xF, dns.rcode.FORMERR)
        self.assertEqual((qd, an, ns, ar), (0, 0, 0, 0))
        # Shorter than a header, or a response: no reply at all.
        self.assertIsNone(self.srv.raw_udp(b"\x12\x34\x01", timeout=0.3))
        self.assertIsNone(self.srv.raw_udp(q[:2] + b"\x80" + q[3:], timeout=0.3))
        # Opcodes other than QUERY: NOTIMP, opcode and question echoed.
        for opcode in (dns.opcode.NOTIFY, dns.opcode.UPDATE, 15):
            other = bytearray(q)
            other[2] = (other[2] & 0x87) | (opcode << 3)
            reply = self.srv.raw_udp(bytes(other))
            ident, flags, qd, an, ns, ar = header(reply)
            self.assertEqual(flags & 0xF, dns.rcode.NOTIMP)
            self.assertEqual((flags >> 11) & 0xF, opcode)
            self.assertTrue(flags & 0x8000)
            self.assertEqual((qd, an, ns, ar), (1, 0, 0, 0))
            self.assertEqual(reply[12:], q[12:])  # the question, byte for byte
        # Random and mutated packets; the server answers normally after.
        rng = random.Random(2026)
        for _ in range(300):
            pkt = bytearray(q)
            for _ in range(rng.randint(1, 6)):
                pkt[rng.randrange(len(pkt))] = rng.randrange(256)
            pkt = bytes(pkt[: rng.randint(0, len(pkt))]) if rng.random() < 0.3 else bytes(pkt)
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
                s.sendto(pkt, ("127.0.0.1", self.srv.port))
        r = self.srv.query("www.example.com", "A")
        self.assertEqual(answer_texts(r)[1], "east.example.com. 3600 A 127.0.0.10")


if __name__ == "__main__":
    sbtest.main()
