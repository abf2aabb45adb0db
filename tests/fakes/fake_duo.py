#!/usr/bin/env python3
"""fake_duo: a fake of Duo's Auth API v2 for tests (standard library only).

Checks every request as Duo does: an `Authorization: Basic base64(ikey:hex)`
header whose ikey is the integration's and whose hex is the HMAC-SHA1 or
HMAC-SHA512 (either is accepted) under the secret key of the canonical
string `Date\\nMETHOD\\nhost\\npath\\nparams` (host: the API host, lower
case; params: RFC 3986-encoded, sorted by key then value), with a `Date`
header within 5 minutes of now; otherwise 401
{"stat":"FAIL","code":40103,"message":"Invalid signature in request credentials"}.
POST parameters must come form-encoded in the body and GET parameters in
the query. Answers with Duo's envelopes: {"stat":"OK","response":{...}}, or
{"stat":"FAIL","code":N,"message":...,"message_detail":...}.

Endpoints: GET /auth/v2/ping, GET /auth/v2/check, POST /auth/v2/preauth,
POST /auth/v2/auth (factor push|passcode, async=1 or not), GET
/auth/v2/auth_status?txid= (long-polls up to --longpoll seconds while the
push is pending, then answers "waiting").

Control API (no auth, JSON):
    POST /_fake/users   {"alice": {"preauth": "auth|allow|deny|enroll",
                                   "push": "allow|deny|fraud|timeout",
                                   "wait": seconds before the push resolves,
                                   "passcode": "123456",
                                   "capabilities": ["auto", "push", ...]}}   (merged)
    POST /_fake/fail    {"count": n, "status": 429|500|503}  the next n Duo calls fail
    POST /_fake/fail    {"seconds": s, "status": 429|500}     every call for s seconds
    GET  /_fake/calls   {"calls": [{"time", "ended", "method", "path", "params", "status",
                                    "stat", "injected", "violation", "hmac"}]}
    GET  /_fake/violations  {"count": n, "violations": [...]}  (every 4xx but injected)
    POST /_fake/reset   forgets calls, violations, failures and transactions

    python3 fake_duo.py [--port 0] [--host api-fake.duosecurity.com]
                        [--ikey DIXXXXXXXXXXXXXXXXXX] [--skey ...] [--longpoll 2]
The first line on stdout is "PORT <n>".
"""
import argparse
import base64
import email.utils
import hashlib
import hmac
import json
import sys
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, quote, urlsplit

SKEW = 300  # seconds a Date may be off (Duo's exact window is unconfirmed)
BAD_SIG = {"stat": "FAIL", "code": 40103, "message": "Invalid signature in request credentials"}
DEFAULT_USER = {"preauth": "auth", "push": "allow", "wait": 0, "passcode": None,
                "capabilities": ["auto", "push", "sms", "phone", "mobile_otp"]}
ROUTES = {("GET", "/auth/v2/ping"), ("GET", "/auth/v2/check"), ("POST", "/auth/v2/preauth"),
          ("POST", "/auth/v2/auth"), ("GET", "/auth/v2/auth_status")}


class State:
    def __init__(self, opts):
        self.lock = threading.Condition()
        self.host, self.ikey, self.skey = opts.host.lower(), opts.ikey, opts.skey
        self.longpoll = opts.longpoll
        self.users = {}
        self.calls, self.violations, self.failures = [], [], []
        self.fail_until, self.fail_status = 0.0, 500
        self.txs = {}

    def user(self, name):
        u = dict(DEFAULT_USER)
        u.update(self.users.get(name, {}))
        return u


def canon_params(pairs):
    enc = sorted((quote(k, safe="~"), quote(v, safe="~")) for k, v in pairs)
    return "&".join("%s=%s" % kv for kv in enc)


def check_signature(st, method, path, pairs, headers):
    """Returns (None, algorithm) when Duo would accept, else (reason, None)."""
    auth = headers.get("Authorization") or ""
    date = headers.get("Date")
    if not auth.startswith("Basic ") or not date:
        return "missing Authorization or Date", None
    try:
        ikey, sig = base64.b64decode(auth[6:], validate=True).decode().split(":", 1)
    except (ValueError, UnicodeDecodeError):
        return "malformed Authorization", None
    try:
        when = email.utils.parsedate_to_datetime(date).timestamp()
    except (TypeError, ValueError):
        return "unparseable Date", None
    if abs(time.time() - when) > SKEW:
        return "Date more than 5 minutes off", None
    if not hmac.compare_digest(ikey, st.ikey):
        return "unknown ikey", None
    canon = "\n".join([date, method.upper(), st.host, path, canon_params(pairs)]).encode()
    for name, digest in (("sha512", hashlib.sha512), ("sha1", hashlib.sha1)):
        want = hmac.new(st.skey.encode(), canon, digest).hexdigest()
        if hmac.compare_digest(sig.encode(), want.encode()):
            return None, name
    return "signature does not match", None


def fail(code, message, detail=None):
    body = {"stat": "FAIL", "code": code, "message": message}
    if detail:
        body["message_detail"] = detail
    return body


def device(u):
    return [{"device": "DPFZRS9FB0D46QFTM891", "type": "phone", "number": "XXX-XXX-0100",
             "name": "", "display_name": "iOS (XXX-XXX-0100)", "capabilities": u["capabilities"]}]


def preauth(st, p):
    name = p.get("username")
    if not name:
        return 400, fail(40002, "Invalid request parameters", "username")
    u = st.user(name)
    result = u["preauth"]
    msgs = {"auth": "Account is active", "allow": "Account is in bypass mode",
            "deny": "Account is disabled", "enroll": "Enroll an authentication device."}
    resp = {"result": result, "status_msg": msgs.get(result, "")}
    if result == "auth":
        resp["devices"] = device(u)
    if result == "enroll":
        resp["enroll_portal_url"] = "https://%s/portal?code=fake" % st.host
    return 200, {"stat": "OK", "response": resp}


def final_of(tx, now):
    """The transaction's final (result, status, msg), or None while pending."""
    if tx["factor"] == "passcode":
        return tx["final"]
    if now < tx["created"] + tx["wait"]:
        return None
    return {"allow": ("allow", "allow", "Success. Logging you in..."),
            "deny": ("deny", "deny", "Login request denied."),
            "fraud": ("deny", "fraud", "Reported as fraudulent."),
            "timeout": ("deny", "timeout", "Login timed out.")}[tx["push"]]


def auth(st, p):
    name, factor = p.get("username"), p.get("factor")
    if not name or factor not in ("push", "passcode", "auto"):
        return 400, fail(40002, "Invalid request parameters", "factor" if name else "username")
    if factor in ("push", "auto") and not p.get("device"):
        return 400, fail(40002, "Invalid request parameters", "device")
    if factor == "passcode" and not p.get("passcode"):
        return 400, fail(40002, "Invalid request parameters", "passcode")
    if p.get("async") not in (None, "1"):
        return 400, fail(40002, "Invalid request parameters", "async")
    u = st.user(name)
    tx = {"txid": str(uuid.uuid4()), "user": name, "factor": factor, "created": time.time(),
          "wait": float(u["wait"]), "push": u["push"], "pushinfo": p.get("pushinfo"),
          "type": p.get("type"), "final": None}
    if factor == "passcode":
        ok = u["passcode"] is not None and hmac.compare_digest(p["passcode"], u["passcode"])
        tx["final"] = ("allow", "allow", "Success. Logging you in...") if ok else \
            ("deny", "deny", "Incorrect passcode. Please try again.")
    st.txs[tx["txid"]] = tx
    if p.get("async") == "1":
        return 200, {"stat": "OK", "response": {"txid": tx["txid"]}}
    while final_of(tx, time.time()) is None:
        st.lock.wait(0.05)
    result, status, msg = final_of(tx, time.time())
    return 200, {"stat": "OK", "response": {"result": result, "status": status,
                                            "status_msg": msg}}


def auth_status(st, p):
    tx = st.txs.get(p.get("txid") or "")
    if not tx:
        return 400, fail(40002, "Invalid request parameters", "txid")
    deadline = time.time() + st.longpoll
    while final_of(tx, time.time()) is None and time.time() < deadline:
        st.lock.wait(0.05)
    final = final_of(tx, time.time())
    if final is None:
        resp = {"result": "waiting", "status": "pushed", "status_msg": "Pushed a login request."}
    else:
        resp = {"result": final[0], "status": final[1], "status_msg": final[2]}
    return 200, {"stat": "OK", "response": resp}


def injected(st):
    """An injected failure's status, or None."""
    if time.time() < st.fail_until:
        return st.fail_status
    if st.failures:
        f = st.failures[0]
        f["count"] -= 1
        if f["count"] <= 0:
            st.failures.pop(0)
        return f["status"]
    return None


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
        self.handle_any("GET")

    def do_POST(self):
        self.handle_any("POST")

    def control(self, path, raw):
        st = self.server.state
        req = json.loads(raw or b"{}") if self.command == "POST" else {}
        with st.lock:
            if path == "/_fake/users":
                for name, conf in req.items():
                    st.users.setdefault(name, {}).update(conf)
                return 200, {"ok": True}
            if path == "/_fake/fail":
                status = int(req.get("status", 500))
                if "seconds" in req:
                    st.fail_until, st.fail_status = time.time() + float(req["seconds"]), status
                else:
                    st.failures.append({"count": int(req.get("count", 1)), "status": status})
                return 200, {"ok": True}
            if path == "/_fake/calls":
                return 200, {"calls": st.calls}
            if path == "/_fake/violations":
                return 200, {"count": len(st.violations), "violations": st.violations}
            if path == "/_fake/reset":
                st.calls, st.violations, st.failures, st.txs = [], [], [], {}
                st.fail_until = 0.0
                return 200, {"ok": True}
        return 404, {"ok": False}

    def handle_any(self, method):
        st = self.server.state
        url = urlsplit(self.path)
        raw = self.body()
        if url.path.startswith("/_fake/"):
            self.send(*self.control(url.path, raw))
            return
        status, payload, call = self.duo(method, url, raw)
        call["ended"] = time.time()
        with st.lock:
            st.calls.append(call)
            if call["violation"]:
                st.violations.append(call)
        self.send(status, payload)

    def duo(self, method, url, raw):
        st = self.server.state
        call = {"time": time.time(), "method": method, "path": url.path, "params": {},
                "injected": False, "violation": None, "hmac": None}
        status, payload = self.answer(method, url, raw, call)
        call["status"], call["stat"] = status, payload.get("stat")
        if status in (400, 401, 404, 405) and not call["violation"]:
            call["violation"] = payload.get("message_detail") or payload.get("message")
        return status, payload, call

    def answer(self, method, url, raw, call):
        st = self.server.state
        if url.path not in {p for _, p in ROUTES}:
            return 404, fail(40401, "Resource not found")
        if (method, url.path) not in ROUTES:
            return 405, fail(40501, "Method not allowed")
        if method == "POST":
            ctype = (self.headers.get("Content-Type") or "").split(";")[0].strip()
            if url.query or ctype != "application/x-www-form-urlencoded":
                call["violation"] = "POST parameters must be form-encoded in the body"
                return 400, fail(40002, "Invalid request parameters", "content type")
            qs = raw.decode("utf-8", "replace")
        else:
            if raw:
                call["violation"] = "GET with a body"
                return 400, fail(40002, "Invalid request parameters", "body")
            qs = url.query
        pairs = parse_qsl(qs, keep_blank_values=True)
        params = dict(pairs)
        call["params"] = {k: ("<passcode>" if k == "passcode" else v) for k, v in params.items()}
        if url.path != "/auth/v2/ping":
            reason, algo = check_signature(st, method, url.path, pairs, self.headers)
            if reason:
                call["violation"] = reason
                return 401, BAD_SIG
            call["hmac"] = algo
        with st.lock:
            status = injected(st)
            if status:
                call["injected"] = True
                if status == 429:
                    return 429, fail(42901, "Too Many Requests")
                return status, fail(50000 + status % 100, "Internal server error")
            return self.route(url.path, params)

    def route(self, path, params):
        st = self.server.state
        if path in ("/auth/v2/ping", "/auth/v2/check"):
            return 200, {"stat": "OK", "response": {"time": int(time.time())}}
        if path == "/auth/v2/preauth":
            return preauth(st, params)
        if path == "/auth/v2/auth":
            return auth(st, params)
        return auth_status(st, params)


class Server(ThreadingHTTPServer):
    daemon_threads = True


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--host", default="api-fake.duosecurity.com", help="the API host signed")
    ap.add_argument("--ikey", default="DIFAKEFAKEFAKEFAKE01")
    ap.add_argument("--skey", default="fakefakefakefakefakefakefakefakefakefake")
    ap.add_argument("--longpoll", type=float, default=2.0,
                    help="seconds auth_status waits for a pending push before answering")
    opts = ap.parse_args()
    server = Server(("127.0.0.1", opts.port), Handler)
    server.state = State(opts)
    print("PORT %d" % server.server_address[1], flush=True)
    try:
        server.serve_forever(poll_interval=0.1)
    except KeyboardInterrupt:
        pass
    server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
