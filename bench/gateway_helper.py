#!/usr/bin/env python3
"""gateway_helper: pre-signed Slack requests for bench/gateway.

  requests N SECRET OUT.lua   N distinct message.im Events API callbacks, each
                              signed now as Slack signs them, as a Lua table
                              for gateway.lua: {ts = "...", sig = "v0=...",
                              body = [==[...]==]} per request

wrk's LuaJIT has no HMAC, so the signatures are computed here: Slack's v0
scheme, "v0=" + hex HMAC-SHA256(secret, "v0:<timestamp>:<body>"). The
timestamp is the current time, so the file is good for the gateway's
+-300 s window. Each request has its own event_id; the user cycles through
1,000 chat ids, spreading the events over the topic's partitions.
Standard library only."""
import hashlib
import hmac
import json
import sys
import time


def requests(n, secret, out):
    ts = str(int(time.time()))
    with open(out, "w") as f:
        f.write("return {\n")
        for i in range(n):
            body = json.dumps({
                "token": "unused", "team_id": "T0BENCH", "api_app_id": "A0BENCH",
                "type": "event_callback", "event_id": f"Ev{ts}{i:08d}", "event_time": int(ts),
                "event": {"type": "message", "channel": f"D{i % 1000:08d}",
                          "user": f"U{i % 1000:08d}", "text": f"yes, that was me ({i})",
                          "ts": f"{ts}.{i % 1000000:06d}", "channel_type": "im"},
            }, separators=(",", ":"))
            base = f"v0:{ts}:{body}".encode()
            sig = "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()
            f.write(f'{{ts = "{ts}", sig = "{sig}", body = [==[{body}]==]}},\n')
        f.write("}\n")


def main(argv):
    if len(argv) == 4 and argv[0] == "requests":
        requests(int(argv[1]), argv[2], argv[3])
        return 0
    sys.stderr.write(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
