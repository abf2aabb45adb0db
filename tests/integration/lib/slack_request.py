#!/usr/bin/env python3
"""Sends one request to sb-gateway the way Slack does, signed or deliberately not.

Slack signs "v0:<timestamp>:<raw body>" with HMAC-SHA256 under the app's
signing secret and sends X-Slack-Request-Timestamp and
X-Slack-Signature: v0=<hex>. Standard library only.

    slack_request.py PORT [--path P] [--method M] [--content-type CT]
                     [--body S | --body-file F | --size N | --payload JSON]
                     [--sign good|forged|other-body|no-signature|no-timestamp|none]
                     [--ts-offset SECONDS] [--secret S]
    slack_request.py PORT --burst N [--user U]

Prints "STATUS<TAB>BODY" (body on one line). --payload sends
payload=<JSON> form-encoded to /slack/interactive. --burst sends N distinct
signed direct messages one after the other and prints how many got 200.
The secret defaults to $SLACK_SIGNING_SECRET.
"""
import argparse
import hashlib
import hmac
import http.client
import json
import os
import sys
import time
import urllib.parse


def signature(secret, ts, body):
    base = b"v0:" + ts.encode() + b":" + body
    return "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()


def headers_for(args, body):
    ts = str(int(time.time()) + args.ts_offset)
    h = {"Content-Type": args.content_type}
    if args.sign == "none":
        return h
    if args.sign != "no-timestamp":
        h["X-Slack-Request-Timestamp"] = ts
    if args.sign == "good" or args.sign == "no-timestamp":
        h["X-Slack-Signature"] = signature(args.secret, ts, body)
    elif args.sign == "forged":
        h["X-Slack-Signature"] = signature(args.secret + "-not-it", ts, body)
    elif args.sign == "other-body":
        h["X-Slack-Signature"] = signature(args.secret, ts, body + b" ")
    return h


def send(conn, args, body):
    method = args.method
    conn.request(method, args.path, body=body if method != "GET" else None,
                 headers=headers_for(args, body))
    r = conn.getresponse()
    return r.status, r.read().decode("utf-8", "replace")


def message_event(event_id, user, text):
    return json.dumps({
        "token": "unused", "team_id": "T1", "api_app_id": "A1", "type": "event_callback",
        "event_id": event_id, "event_time": int(time.time()),
        "event": {"type": "message", "channel": "D1", "user": user, "text": text,
                  "ts": "1700000000.000100", "channel_type": "im"},
    }).encode()


def body_from(args):
    if args.payload is not None:
        return ("payload=" + urllib.parse.quote_plus(args.payload)).encode()
    if args.body_file:
        with open(args.body_file, "rb") as f:
            return f.read()
    if args.size:
        pad = "x" * max(0, args.size - 40)
        return json.dumps({"type": "event_callback", "pad": pad}).encode()
    return (args.body or "").encode()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("port", type=int)
    ap.add_argument("--path", default=None)
    ap.add_argument("--method", default="POST")
    ap.add_argument("--content-type", default=None)
    ap.add_argument("--body")
    ap.add_argument("--body-file")
    ap.add_argument("--size", type=int, default=0)
    ap.add_argument("--payload")
    ap.add_argument("--sign", default="good",
                    choices=["good", "forged", "other-body", "no-signature", "no-timestamp",
                             "none"])
    ap.add_argument("--ts-offset", type=int, default=0)
    ap.add_argument("--secret", default=os.environ.get("SLACK_SIGNING_SECRET", ""))
    ap.add_argument("--burst", type=int, default=0)
    ap.add_argument("--user", default="UBURST")
    args = ap.parse_args()
    interactive = args.payload is not None
    if args.path is None:
        args.path = "/slack/interactive" if interactive else "/slack/events"
    if args.content_type is None:
        args.content_type = ("application/x-www-form-urlencoded" if interactive
                             else "application/json")

    conn = http.client.HTTPConnection("127.0.0.1", args.port, timeout=10)
    if args.burst:
        ok = 0
        for i in range(args.burst):
            body = message_event("Ev-burst-%d" % i, args.user, "message %d" % i)
            status, _ = send(conn, args, body)
            ok += status == 200
        print(ok)
        return 0
    try:
        status, text = send(conn, args, body_from(args))
    except (ConnectionError, http.client.HTTPException) as e:
        # the server may close the connection after refusing a large body
        print("000\t%s" % type(e).__name__)
        return 0
    print("%d\t%s" % (status, text.replace("\n", " ").strip()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
