#!/usr/bin/env python3
"""fake_pagerduty: a fake of PagerDuty's Events API v2 for tests (standard library only).

Serves POST /v2/enqueue as PagerDuty documents it
(https://developer.pagerduty.com/docs/events-api-v2/trigger-events/):
a JSON body with routing_key (32 characters), event_action (trigger,
acknowledge, resolve), dedup_key (at most 255 characters), and for a
trigger a payload with summary (at most 1024), source, severity (critical,
error, warning, info) and optional timestamp (ISO 8601), component, group,
class and custom_details (an object). Answers 202 {"status": "success",
"message": "Event processed", "dedup_key": ...}; an invalid event 400
{"status": "invalid event", "message": "Event object is invalid",
"errors": [...]}; injected failures 429 or 5xx. Every 400 is recorded as a
violation (a client mistake). A control API under /_fake/ shows what came:

    GET  /_fake/events       {"events": [{"time": ..., "body": {...}}, ...]}
    GET  /_fake/violations   {"count": n, "violations": [...]}
    POST /_fake/fail         {"count": n, "status": 429|500|...}

    python3 fake_pagerduty.py [--port N] [--key K]   # prints "PORT <n>" first
"""
import argparse
import json
import re
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

SEVERITIES = {"critical", "error", "warning", "info"}
ACTIONS = {"trigger", "acknowledge", "resolve"}
MAX_BODY = 512 * 1024  # PagerDuty: events over 512 KB are refused
TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:?\d{2})$")


class State:
    def __init__(self, key):
        self.lock = threading.Lock()
        self.key = key
        self.events = []
        self.violations = []
        self.failures = []  # [{"count": n, "status": s}]


def problems(ev, key):
    """Why PagerDuty would refuse the event; empty when it would accept it."""
    errs = []
    if not isinstance(ev, dict):
        return ["Event object is invalid"]
    rk = ev.get("routing_key")
    if not isinstance(rk, str) or len(rk) != 32:
        errs.append("'routing_key' must be a 32 character string")
    elif key and rk != key:
        errs.append("routing key is not an integration key of this service")
    action = ev.get("event_action")
    if action not in ACTIONS:
        errs.append("'event_action' is invalid (must be one of trigger, acknowledge, resolve)")
    dk = ev.get("dedup_key")
    if dk is not None and (not isinstance(dk, str) or not 1 <= len(dk) <= 255):
        errs.append("'dedup_key' must be a string of at most 255 characters")
    if action != "trigger":
        if not dk:
            errs.append("'dedup_key' is required for acknowledge and resolve")
        return errs
    p = ev.get("payload")
    if not isinstance(p, dict):
        return errs + ["'payload' is missing or not an object"]
    s = p.get("summary")
    if not isinstance(s, str) or not 1 <= len(s) <= 1024:
        errs.append("'payload.summary' must be 1 to 1024 characters")
    if not isinstance(p.get("source"), str) or not p.get("source"):
        errs.append("'payload.source' is required")
    if p.get("severity") not in SEVERITIES:
        errs.append("'payload.severity' must be one of critical, error, warning, info")
    ts = p.get("timestamp")
    if ts is not None and (not isinstance(ts, str) or not TIMESTAMP.match(ts)):
        errs.append("'payload.timestamp' must be ISO 8601")
    for f in ("component", "group", "class"):
        if f in p and not isinstance(p[f], str):
            errs.append("'payload.%s' must be a string" % f)
    if "custom_details" in p and not isinstance(p["custom_details"], dict):
        errs.append("'payload.custom_details' must be an object")
    return errs


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        pass

    def send(self, status, payload):
        body = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        if status == 429:
            self.send_header("Retry-After", "1")
        self.end_headers()
        self.wfile.write(body)

    def body(self):
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n else b""

    def do_GET(self):
        st = self.server.state
        with st.lock:
            if self.path == "/_fake/events":
                self.send(200, {"events": st.events})
            elif self.path == "/_fake/violations":
                self.send(200, {"count": len(st.violations), "violations": st.violations})
            else:
                self.send(404, {"status": "not found"})

    def do_POST(self):
        st = self.server.state
        raw = self.body()
        if self.path == "/_fake/fail":
            req = json.loads(raw or b"{}")
            with st.lock:
                st.failures.append({"count": int(req.get("count", 1)),
                                    "status": int(req.get("status", 500))})
            self.send(200, {"ok": True})
            return
        if self.path != "/v2/enqueue":
            self.send(404, {"status": "not found"})
            return
        with st.lock:
            failure = st.failures[0] if st.failures else None
            if failure:
                failure["count"] -= 1
                if failure["count"] <= 0:
                    st.failures.pop(0)
        if failure:
            status = failure["status"]
            msg = "Rate limit reached" if status == 429 else "Internal error"
            self.send(status, {"status": "throttle" if status == 429 else "error",
                               "message": msg})
            return
        errs = []
        ctype = (self.headers.get("Content-Type") or "").split(";")[0].strip()
        if ctype != "application/json":
            errs.append("Content-Type must be application/json")
        if len(raw) > MAX_BODY:
            errs.append("event is larger than 512 KB")
        try:
            ev = json.loads(raw)
        except ValueError:
            ev = None
            errs.append("body is not JSON")
        if ev is not None:
            errs += problems(ev, st.key)
        with st.lock:
            if errs:
                st.violations.append({"time": time.time(), "errors": errs})
            else:
                st.events.append({"time": time.time(), "body": ev})
        if errs:
            self.send(400, {"status": "invalid event", "message": "Event object is invalid",
                            "errors": errs})
            return
        self.send(202, {"status": "success", "message": "Event processed",
                        "dedup_key": ev.get("dedup_key") or "generated"})


class Server(ThreadingHTTPServer):
    daemon_threads = True


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--key", default="", help="the only routing key accepted (any 32 chars when empty)")
    opts = ap.parse_args()
    server = Server(("127.0.0.1", opts.port), Handler)
    server.state = State(opts.key)
    print("PORT %d" % server.server_address[1], flush=True)
    try:
        server.serve_forever(poll_interval=0.1)
    except KeyboardInterrupt:
        pass
    server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
