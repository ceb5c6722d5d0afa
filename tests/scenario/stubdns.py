"""A name server for probe-resolution tests: answers A and AAAA from a
table the test sets and changes, NXDOMAIN for names it does not know, and
keeps every question it was asked, with the time it came.

    dns = stubdns.StubDns(case)            # on 127.0.0.53, an ephemeral port
    dns.set("app.probe.test", "A", ["127.0.0.10"], ttl=2)
    server = case.server(zones, args=["--probe-resolver", dns.address])
    dns.asked("app.probe.test", "A")      # [(monotonic time, ...)]

UDP only: the answers are small. `silent = True` drops every question, as
a dead resolver would.
"""
import socket
import threading
import time

import dns.message
import dns.rcode
import dns.rdataclass
import dns.rdatatype
import dns.rrset


class StubDns:
    def __init__(self, case, bind="127.0.0.53"):
        self.table = {}  # (name, type) -> (ttl, [addresses])
        self.questions = []  # (time, name, type)
        self.silent = False
        self.lock = threading.Lock()
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind((bind, 0))
        self.address = f"{bind}:{self.sock.getsockname()[1]}"
        self.running = True
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()
        case.addCleanup(self.close)

    def set(self, name, rdtype, addresses, ttl=60):
        with self.lock:
            self.table[(name.rstrip(".").lower(), rdtype)] = (ttl, list(addresses))

    def asked(self, name, rdtype):
        """When `name` was asked for with `rdtype`, oldest first."""
        with self.lock:
            return [t for t, n, ty in self.questions if n == name and ty == rdtype]

    def close(self):
        self.running = False
        self.sock.close()

    def _serve(self):
        while self.running:
            try:
                data, peer = self.sock.recvfrom(4096)
            except OSError:
                return
            reply = self._answer(data)
            if reply is not None:
                try:
                    self.sock.sendto(reply, peer)
                except OSError:
                    return

    def _answer(self, data):
        try:
            query = dns.message.from_wire(data)
        except dns.exception.DNSException:
            return None
        question = query.question[0]
        name = question.name.to_text(omit_final_dot=True).lower()
        rdtype = dns.rdatatype.to_text(question.rdtype)
        with self.lock:
            self.questions.append((time.monotonic(), name, rdtype))
            if self.silent:
                return None
            known = any(n == name for n, _ in self.table)
            entry = self.table.get((name, rdtype))
        response = dns.message.make_response(query)
        response.flags |= dns.flags.RA
        if not known:
            response.set_rcode(dns.rcode.NXDOMAIN)
        elif entry is not None:
            ttl, addresses = entry
            response.answer.append(dns.rrset.from_text_list(
                question.name, ttl, dns.rdataclass.IN, question.rdtype, addresses))
        return response.to_wire()
