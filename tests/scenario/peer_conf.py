"""Configurations for the peer servers tests and benchmarks run beside
Switchboard (NSD, Knot), written one way so that every comparison runs
them alike.

nsd_conf(tmp, port, zones, zonesdir=None, options=()) and
knot_conf(tmp, port, zones, log_target=None) return the text of a
configuration that serves `zones` (a list of (apex, zone file) pairs; a
relative file is found in `zonesdir`, NSD only) on 127.0.0.1:`port`,
IPv4 only, with every state file, log and database under `tmp`, in the
foreground as the calling user, and response rate limiting off: Debian
builds NSD with RRL on (200 queries a second per /24), which answers part
of any burst with an empty truncated response. `options` are more
`server:` lines for NSD (e.g. "hide-version: yes"). Knot logs warnings to
`log_target` (default `tmp`/knot.log; "stderr" for the process's own).
"""


def nsd_conf(tmp, port, zones, zonesdir=None, options=()):
    server = [
        f"ip-address: 127.0.0.1@{port}",
        f"port: {port}",
        "do-ip6: no",
        'username: ""',
        'chroot: ""',
        'database: ""',
        f'pidfile: "{tmp}/nsd.pid"',
        f'xfrdfile: "{tmp}/xfrd.state"',
        f'xfrdir: "{tmp}"',
        f'zonelistfile: "{tmp}/zone.list"',
        f'logfile: "{tmp}/nsd.log"',
        "server-count: 1",
        "verbosity: 1",
        "rrl-ratelimit: 0",
        "rrl-whitelist-ratelimit: 0",
    ]
    if zonesdir is not None:
        server.append(f'zonesdir: "{zonesdir}"')
    server.extend(options)
    text = "server:\n" + "".join(f"    {line}\n" for line in server)
    text += "remote-control:\n    control-enable: no\n"
    for apex, zonefile in zones:
        text += f'zone:\n    name: "{apex}"\n    zonefile: "{zonefile}"\n'
    return text


def knot_conf(tmp, port, zones, log_target=None):
    target = log_target or f"{tmp}/knot.log"
    text = f"""server:
    rundir: "{tmp}"
    listen: 127.0.0.1@{port}
    udp-workers: 1
    tcp-workers: 1
    background-workers: 1
log:
  - target: {target}
    any: warning
database:
    storage: "{tmp}/db"
template:
  - id: default
    storage: "{tmp}"
    zonefile-sync: -1
    zonefile-load: whole
    journal-content: none
    semantic-checks: off
zone:
"""
    for apex, zonefile in zones:
        text += f'  - domain: {apex}\n    file: "{zonefile}"\n'
    return text
