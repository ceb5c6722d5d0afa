"""Endpoints that misbehave are judged right, quickly, with the right
reason, and never stall the probe worker or DNS."""
import sbtest
from sbtest import ScenarioCase, wait_until

# mode -> (state after the first probe, reason in the log)
CASES = {
    "headers": ("down", "timeout after 400 ms"),  # the body promised never comes
    "short": ("down", "bad response: body cut short"),
    "reset": ("down", "connection reset"),
    "close": ("down", "connection closed without a response"),
    "garbage": ("down", "bad response: not an HTTP response"),
    "hang": ("down", "timeout after 400 ms"),
}


class HostileEndpoints(ScenarioCase):
    def test_each_misbehaviour_has_its_reason(self):
        eps = {mode: self.endpoint(mode, bind="127.0.0.1") for mode in CASES}
        zone = sbtest.ZONE_HEADER + "target A 127.0.0.1\n"
        for mode, ep in eps.items():
            zone += f"""{mode} profile priority ttl=5 {{
    monitor http interval=1s timeout=400ms
    endpoint bad target priority=1 port={ep.port}
    endpoint fallback 192.0.2.1 priority=2
}}
"""
        # Address endpoints cannot mix with a name: use addresses for both.
        zone = zone.replace("endpoint bad target", "endpoint bad 127.0.0.1")
        srv = self.server({"example.com.zone": zone})
        for mode, (state, reason) in CASES.items():
            line = srv.wait_log(rf"profile={mode}\.example\.com\. endpoint=bad ", 1.0)
            self.assertIn(f"to={state}", line, mode)
            self.assertIn(f'reason="{reason}', line, mode)
        # Probes go on meeting these endpoints; DNS answers all along.
        sbtest.assert_answers_promptly(srv, [f"{mode}.example.com" for mode in CASES])
        srv.stop()


if __name__ == "__main__":
    sbtest.main()
