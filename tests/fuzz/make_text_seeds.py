#!/usr/bin/env python3
"""Write the seed inputs of the text parsers' fuzzers (run once; the files
are checked in):

  corpus/zonefile/  the shipped zones, every zone-file example in the docs,
                    fuzz_answer's zones, and files that use every part of
                    the grammar ($INCLUDE, parentheses, escapes, RFC 3597);
  corpus/state/     state files of every shape the server writes;
  corpus/request/   every control request, and the docs' examples;
  corpus/options/   the shipped switchboard.conf, one that sets every
                    option, and one with an error of each kind.

Seeds are taken from the docs so that the fuzzers start from what operators
are told to write."""
import json
import os
import re

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))


def write(kind, name, text):
    d = os.path.join(HERE, "corpus", kind)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "w") as f:
        f.write(text)


def doc_blocks(path):
    """The fenced code blocks of a markdown file."""
    with open(path) as f:
        return re.findall(r"```[a-z]*\n(.*?)```", f.read(), re.S)


HEADER = """$ORIGIN example.com.
$TTL 3600
@ SOA ns1 hostmaster 1 7200 900 1209600 60
@ NS ns1
ns1 A 192.0.2.1
east A 192.0.2.10
west A 192.0.2.11
"""

GRAMMAR = HEADER + r"""$INCLUDE inc.zone
$INCLUDE inc.zone incl
$TTL 1h30m
long 300 IN TXT ( "one" "two"
                  "three\"quoted\"" \065\066 )
esc\.aped A 192.0.2.2
   AAAA 2001:db8::2
*.wild MX 10 mail
mail 1w A 192.0.2.25
_sip._tcp SRV 10 5 5060 mail
caa CAA 0 issue "ca.example.org"
generic TYPE666 \# 2 abcd
sshfp SSHFP 1 1 123456789abcdef67890123456789abcdef67890
svc HTTPS 1 . alpn=h2 port=443
d DNAME example.net.
sub NS ns.sub
ns.sub A 192.0.2.53
c CNAME east
www profile priority ttl=30 {
    monitor http port=8001 path="/health" interval=2s timeout=1s
            fall=3 rise=2 expect=200-299,301 host=www.example.com
    endpoint east east priority=1
    endpoint west west.example.com. priority=2 port=8443 monitor=https
    endpoint last east priority=3 monitor=none
}
api profile priority
{
    monitor tcp port=443 interval=100ms timeout=50ms
    endpoint a4 192.0.2.20 priority=1
    endpoint a6 2001:db8::20 priority=2 }
"""

ERRORS = HEADER + """www profile priority {
    monitor http interval=2s timeout=3s
    endpoint east nowhere priority=1
    endpoint a 192.0.2.10 priority=0
    endpoint b 192.0.2.11 priority=0
    endpoint c 192.0.2.12
}
x AAA 1.2.3.4
y MX 70000 mail
$GENERATE 1-2 host$ A 192.0.2.$
"""


def zone_seeds():
    for name in sorted(os.listdir(os.path.join(ROOT, "zones"))):
        with open(os.path.join(ROOT, "zones", name)) as f:
            write("zonefile", "shipped-" + name, f.read())
    for doc in ("zone-format.md", "example-zone.md", "health-checks.md"):
        for i, block in enumerate(doc_blocks(os.path.join(ROOT, "docs", doc))):
            if re.search(r"\b(SOA|profile|endpoint|monitor|\$ORIGIN|\$TTL)\b", block):
                text = block if "SOA" in block else HEADER + block
                write("zonefile", f"doc-{doc[:-3]}-{i}", text)
    with open(os.path.join(HERE, "fuzz_answer.c")) as f:
        source = f.read()
    com = source[source.index("COM_ZONE[] ="):source.index("static const char NET_ZONE")]
    text = "".join(bytes(s, "ascii").decode("unicode_escape")
                   for s in re.findall(r'"((?:[^"\\]|\\.)*)"', com))
    write("zonefile", "fuzz-answer-com", text)
    write("zonefile", "grammar", GRAMMAR)
    write("zonefile", "errors", ERRORS)


def override(action, endpoint, **extra):
    return {"action": action, "profile": "www.example.com.", "endpoint": endpoint,
            "by": "uid=0", **extra}


def state_seeds():
    every = [override("drain", "east"), override("switchover", "west"),
             override("force", "east", state="down", until_ms=1700000000000),
             override("force", "west", state="up")]
    write("state", "every-action", json.dumps({"version": 1, "overrides": every}, indent=2))
    write("state", "switchover-with-end", json.dumps({"version": 1, "overrides": [
        override("switchover", "west", until_ms=1700000000000)]}, indent=2))
    write("state", "empty", json.dumps({"version": 1, "overrides": []}))
    write("state", "unreadable-entries", json.dumps({"version": 1, "overrides": [
        {"action": "explode", "profile": "p", "endpoint": "e"}, {"profile": "p"}, 7, None]}))
    write("state", "wrong-version", '{"version": 2, "overrides": []}')


def request_seeds():
    requests = {
        "status": {"command": "status"},
        "status-of": {"command": "status", "profiles": ["www", "app.example.com."]},
        "reload": {"command": "reload"},
        "drain": {"command": "drain", "profile": "www.example.com.", "endpoint": "east"},
        "undrain": {"command": "undrain", "profile": "www.example.com", "endpoint": "east"},
        "force-for": {"command": "force", "profile": "www", "endpoint": "e", "state": "down",
                      "for_seconds": 1800},
        "force": {"command": "force", "profile": "www", "endpoint": "e", "state": "up"},
        "unforce": {"command": "unforce", "profile": "www", "endpoint": "e"},
        "switchover": {"command": "switchover", "profile": "www", "endpoint": "west"},
        "switchover-for": {"command": "switchover", "profile": "www", "endpoint": "west",
                           "for_seconds": 7200},
        "failback": {"command": "failback", "profile": "www"},
    }
    for name, req in requests.items():
        write("request", name, json.dumps(req) + "\n")
    for i, block in enumerate(doc_blocks(os.path.join(ROOT, "docs", "operations.md"))):
        for j, line in enumerate(block.splitlines()):
            if line.startswith('{"command"'):
                write("request", f"doc-operations-{i}-{j}", line + "\n")


EVERY_OPTION = """zones zones
listen 127.0.0.1:5353
listen [::1]:53
threads 2
udp-max 1232
tcp-idle-timeout 10s
tcp-clients 1000
tcp-per-client 100
rrl-responses 200
rrl-nxdomains 200
rrl-errors 200
rrl-slip 2
rrl-ipv4-prefix 24
rrl-ipv6-prefix 56
rrl-exempt 192.0.2.0/24
rrl-exempt 2001:db8::/48
log-level debug
log-target stderr
control-socket /tmp/c.sock
control-socket-mode 0660
state-file /tmp/s.json
probes-in-flight 64
probe-resolver 127.0.0.1:53
nsid ns1
version-string Switchboard
identity ns1.example
cookie-secret 000102030405060708090a0b0c0d0e0f
user root
group root
metrics-listen 127.0.0.1
"""

OPTION_ERRORS = """cookie-secret not-hex-but-secret-words
threads 0
unknown x
zones
listen nowhere
"""


def options_seeds():
    # The shipped file's source, with the paths the Debian package gives it.
    paths = {"@SB_CONFDIR@": "/etc/switchboard", "@SB_DATADIR@": "/usr/share/switchboard",
             "@SB_STATEDIR@": "/var/lib/switchboard"}
    with open(os.path.join(ROOT, "packaging", "switchboard.conf.in")) as f:
        text = f.read()
    for key, value in paths.items():
        text = text.replace(key, value)
    write("options", "shipped", text)
    write("options", "every-option", EVERY_OPTION)
    write("options", "secret-file", "cookie-secret-file /nonexistent/cookie\n")
    write("options", "errors", OPTION_ERRORS)


zone_seeds()
state_seeds()
request_seeds()
options_seeds()
