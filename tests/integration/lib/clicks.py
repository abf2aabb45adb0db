#!/usr/bin/env python3
"""Signed button clicks, one after the other, each timed.

    clicks.py PORT N ALERT_ID [--secret S]

Sends N signed block_actions clicks ("No", distinct action_ts) to
/slack/interactive on a fresh connection each, from 127.0.0.1, and prints
one line per click: STATUS SECONDS EVENT_ID (the event id the gateway
derives from the click, sha256 of "block_actions|user|action_ts|action_id").
A click without an answer within 10 s prints 000.
"""
import hashlib
import http.client
import json
import os
import sys
import time
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from slack_request import signature  # noqa: E402


def main():
    port, n, alert = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
    secret = sys.argv[5] if len(sys.argv) > 5 and sys.argv[4] == "--secret" \
        else os.environ["SLACK_SIGNING_SECRET"]
    user, action = "U0CLICK", "sb_deny"
    for i in range(n):
        action_ts = "%d.%06d" % (time.time(), i)
        payload = json.dumps({"type": "block_actions", "user": {"id": user, "username": "c"},
                              "actions": [{"action_id": action, "block_id": "b", "value": alert,
                                           "type": "button", "action_ts": action_ts}]})
        body = ("payload=" + urllib.parse.quote_plus(payload)).encode()
        ts = str(int(time.time()))
        event_id = hashlib.sha256(("block_actions|%s|%s|%s" % (user, action_ts, action))
                                  .encode()).hexdigest()
        t0 = time.time()
        status = "000"
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            conn.request("POST", "/slack/interactive", body=body, headers={
                "Content-Type": "application/x-www-form-urlencoded",
                "X-Slack-Request-Timestamp": ts,
                "X-Slack-Signature": signature(secret, ts, body)})
            r = conn.getresponse()
            r.read()
            status = str(r.status)
            conn.close()
        except OSError:
            pass
        print("%s %.3f %s" % (status, time.time() - t0, event_id), flush=True)
        time.sleep(0.2)


if __name__ == "__main__":
    main()
