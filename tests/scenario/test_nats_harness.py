"""natstest.py, the NATS JetStream harness, proves itself before tests rely
on it: a 3-server cluster holds a KV bucket replicated three ways (the
stream config nats.go's KeyValue makes), a value put through one server is
read back through another, a put still succeeds with one server SIGKILLed,
and the killed server, restarted on its old ports and store, catches up.
Clients with user/password or token, over TLS or mutual TLS, get in; clients
without get refused, so tests of those settings can trust the harness.

Needs Debian's nats-server (apt-get install nats-server) and openssl; skips
without nats-server. Uses only the standard library (no dnspython), so any
python3 runs it."""
import os
import ssl
import time
import unittest

import natstest
from natstest import JetStreamError, NatsError, poll

BUCKET = "test"
STREAM = f"KV_{BUCKET}"
KEY = "somekey"
# The stream config `nats kv add test --replicas 3` makes (nats.go
# KeyValue, 2.9 era): one message kept per key, rollups allowed, deletes
# through the API refused, reads from any replica (direct get).
KV_STREAM = {
    "name": STREAM,
    "subjects": [f"$KV.{BUCKET}.>"],
    "retention": "limits",
    "storage": "file",
    "max_msgs_per_subject": 1,
    "max_msgs": -1,
    "max_bytes": -1,
    "max_age": 0,
    "max_msg_size": -1,
    "max_consumers": -1,
    "num_replicas": 3,
    "discard": "new",
    "duplicate_window": 120 * 10**9,
    "allow_rollup_hdrs": True,
    "deny_delete": True,
    "allow_direct": True,
}
# A stream leader lost with its server is replaced by election: 4-5 s on
# loopback with 2.9 (its Raft waits out an election timeout of several
# seconds first); puts meanwhile get no responders or no ack.
ELECTION_TIMEOUT = 15.0


def kv_put(client, key, value):
    """A KV put as nats.go does it: a publish to $KV.<bucket>.<key>
    expecting JetStream's ack; the ack (stream, seq)."""
    ack = client.request(f"$KV.{BUCKET}.{key}", value, timeout=2.0).json()
    if "error" in ack:
        raise JetStreamError(f"$KV.{BUCKET}.{key}", ack["error"])
    return ack


def kv_get_leader(client, key):
    """The key's value through the stream leader (STREAM.MSG.GET): what
    was acknowledged is there."""
    reply = client.js_api(f"STREAM.MSG.GET.{STREAM}", {"last_by_subj": f"$KV.{BUCKET}.{key}"})
    return natstest.decode_stored_message(reply)


def kv_get_direct(client, key):
    """The key's value through direct get, answered by any replica,
    possibly one that has not applied the latest put yet; None when that
    replica has nothing for the key (status 404)."""
    msg = client.request(f"$JS.API.DIRECT.GET.{STREAM}.$KV.{BUCKET}.{key}", timeout=2.0)
    if msg.status == "404":
        return None
    if msg.status is not None:
        raise NatsError(f"direct get: {msg.status} {msg.description}")
    return msg.data


def stream_leader(client):
    """The name of the server leading the stream, or None in an election.
    2.9 may leave STREAM.INFO unanswered while the stream has no leader,
    hence the short timeout (polled: NatsError means "not yet")."""
    return client.js_api(f"STREAM.INFO.{STREAM}", timeout=1.0)["cluster"].get("leader")


@unittest.skipUnless(os.path.exists(natstest.NATS_SERVER), "nats-server is not installed")
class NatsHarness(unittest.TestCase):
    def cluster(self, **kw):
        cluster = natstest.NatsCluster(**kw)
        self.addCleanup(cluster.stop)
        started = time.monotonic()
        cluster.start()
        print(f"\n{cluster.size}-server cluster ready in {time.monotonic() - started:.2f} s",
              end=" ")
        return cluster

    def client(self, cluster, i, **kw):
        c = cluster.connect(i, **kw)
        self.addCleanup(c.close)
        return c

    def test_replicated_kv_survives_losing_a_server(self):
        cluster = self.cluster(size=3)
        self.assertEqual(len(cluster.urls), 3)
        self.assertEqual(len(set(cluster.urls)), 3)
        self.assertEqual(cluster.client_urls_for(2)[0], cluster.urls[2])
        self.assertIn(cluster.meta_leader(), {"n1", "n2", "n3"})
        n1, n3 = self.client(cluster, 0), self.client(cluster, 2)

        created = n1.js_api(f"STREAM.CREATE.{STREAM}", KV_STREAM)
        self.assertEqual(created["config"]["num_replicas"], 3)
        self.assertTrue(created["config"]["allow_direct"])
        placed = {created["cluster"]["leader"]} | \
            {r["name"] for r in created["cluster"].get("replicas", [])}
        self.assertEqual(placed, {"n1", "n2", "n3"})

        ack = kv_put(n1, KEY, b"one")
        self.assertEqual((ack["stream"], ack["seq"]), (STREAM, 1))
        self.assertEqual(kv_get_leader(n3, KEY), b"one")
        poll(lambda: kv_get_direct(n3, KEY) == b"one", 5.0, "direct get of 'one' on n3")
        # One message per key: a second put replaces the first.
        kv_put(n1, KEY, b"two")
        self.assertEqual(kv_get_leader(n3, KEY), b"two")
        info = n3.js_api(f"STREAM.INFO.{STREAM}")
        self.assertEqual(info["state"]["messages"], 1)
        self.assertTrue(os.path.isdir(os.path.join(cluster.store_dir(1), "jetstream")))

        # Losing the stream's leader is the hard case: make it n2 (2.9's
        # stepdown takes no preferred leader, so step down until it lands).
        def n2_leads():
            leader = stream_leader(n1)
            if leader is None or leader == "n2":
                return leader == "n2"
            n1.js_api(f"STREAM.LEADER.STEPDOWN.{STREAM}", timeout=2.0)
            # A stepdown's election takes well under a second on loopback.
            poll(lambda: stream_leader(n1) not in (None, leader), ELECTION_TIMEOUT,
                 f"a stream leader other than {leader}", describe=cluster.log_tails)
            return False
        started = time.monotonic()
        poll(n2_leads, 2 * ELECTION_TIMEOUT, "n2 to lead the stream", interval=0.0,
             describe=cluster.log_tails)
        print(f"n2 leads the stream after {time.monotonic() - started:.2f} s", end=" ")

        cluster.kill(1)
        self.assertFalse(cluster.running(1))
        # Puts fail until the two left elect another stream leader: retry
        # until one is acknowledged.
        started = time.monotonic()
        ack = poll(lambda: kv_put(n1, KEY, b"three"), ELECTION_TIMEOUT,
                   "a put acknowledged with n2 down", interval=0.1,
                   describe=cluster.log_tails)
        print(f"put with n2 down acknowledged after {time.monotonic() - started:.2f} s",
              end=" ")
        self.assertEqual(kv_get_leader(n3, KEY), b"three")

        started = time.monotonic()
        cluster.restart(1)
        print(f"n2 restarted and ready in {time.monotonic() - started:.2f} s", end=" ")
        n2 = self.client(cluster, 1)
        self.assertEqual(kv_get_leader(n2, KEY), b"three")

        # n2's own replica caught up: its /jsz reports the stream's last
        # sequence from its local store, and the leader counts it current.
        def n2_caught_up():
            detail = cluster.jsz(1, "accounts=true&streams=true")
            for account in detail.get("account_details") or []:
                for stream in account.get("stream_detail") or []:
                    if stream["name"] == STREAM:
                        return stream["state"]["last_seq"] == ack["seq"]
            return False
        poll(n2_caught_up, 10.0, "n2's replica of the stream at the last put",
             describe=cluster.log_tails)

        def all_replicas_current():
            c = n1.js_api(f"STREAM.INFO.{STREAM}")["cluster"]
            return c.get("leader") and len(c.get("replicas", [])) == 2 and \
                all(r["current"] for r in c["replicas"])
        poll(all_replicas_current, 10.0, "the stream's leader to count both replicas current",
             describe=cluster.log_tails)
        kv_put(n2, KEY, b"four")
        self.assertEqual(kv_get_leader(n3, KEY), b"four")

    def test_user_password_over_tls(self):
        cluster = self.cluster(size=1, user="switchboard", password='se"cr et', tls=True)
        self.assertTrue(cluster.urls[0].startswith("tls://127.0.0.1:"))
        self.assertTrue(os.path.exists(cluster.ca_file))
        c = self.client(cluster, 0)
        self.assertTrue(c.info.get("tls_required"))
        self.assertIn("streams", c.js_api("INFO"))
        with self.assertRaisesRegex(NatsError, "Authorization Violation"):
            cluster.connect(0, authenticate=False).close()
        with self.assertRaisesRegex(NatsError, "requires TLS"):
            cluster.connect(0, use_tls=False).close()
        url = cluster.client_urls_for(0, credentials=True)[0]
        self.assertTrue(url.startswith("tls://switchboard:se%22cr%20et@127.0.0.1:"), url)

    def test_token_with_mutual_tls(self):
        cluster = self.cluster(size=1, token="s3cret", tls="verify")
        c = self.client(cluster, 0)
        self.assertIn("streams", c.js_api("INFO"))
        with self.assertRaisesRegex(NatsError, "Authorization Violation"):
            cluster.connect(0, authenticate=False).close()
        # No client certificate: the server ends the handshake, saying why.
        with self.assertRaises(ssl.SSLError):
            cluster.connect(0, client_cert=False).close()
        poll(lambda: "client didn't provide a certificate" in cluster.log_text(0), 5.0,
             "the refusal in n1's log")


if __name__ == "__main__":
    unittest.main(verbosity=2)
