#!/usr/bin/env python3
"""fake_slack: a fake of the Slack Web API for tests (standard library only).

Serves /api/<method> the way Slack documents it and refuses what Slack would
refuse; every refusal is recorded as a violation so that tests can assert
that a client made none. A control API under /_fake/ (no auth) configures
the fake, injects failures and shows what was received. See README.md.

    python3 fake_slack.py [--port N] [--token T]   # prints "PORT <n>" first
"""
import argparse
import datetime
import itertools
import json
import re
import sys
import threading
import time
import zoneinfo
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit

DEFAULT_TOKEN = "xoxb-fake-token"
DEFAULT_APP_TOKEN = "xapp-fake-app-token"  # apps.connections.open (Socket Mode)
TEAM_ID = "T0FAKE000"
BOT_USER_ID = "U0FAKEBOT"
BOT_ID = "B0FAKEBOT"
MAX_TEXT = 40000  # chat.postMessage: msg_too_long above this
MAX_BLOCKS = 50
MAX_SECTION_TEXT = 3000
MAX_ACTION_ELEMENTS = 25
MAX_BODY = 1 << 20
# Refusals that are ordinary outcomes, not client mistakes.
# (a trigger that expired is Slack's 3 s running out, not a malformed call)
NOT_VIOLATIONS = {"users_not_found", "expired_trigger_id"}
BLOCK_TYPES = {"section", "actions", "context", "divider", "header", "image",
               "input", "rich_text", "file", "video", "markdown"}
ELEMENT_TYPES = {"button", "static_select", "overflow", "datepicker",
                 "users_select", "conversations_select", "channels_select",
                 "external_select", "multi_static_select", "checkboxes",
                 "radio_buttons", "timepicker", "image", "plain_text_input"}
# Methods that take a JSON body (write methods); the others take only
# query-string or form arguments.
JSON_METHODS = {"auth.test", "chat.postMessage", "chat.update", "conversations.open", "views.open"}


class Refusal(Exception):
    """An ok:false answer (HTTP 200 unless status says otherwise)."""

    def __init__(self, error, status=200, detail=None):
        super().__init__(error)
        self.error = error
        self.status = status
        self.detail = detail


class State:
    """Everything the fake knows; guarded by one lock."""

    def __init__(self, token):
        self.lock = threading.Lock()
        self.token = token
        self.app_token = DEFAULT_APP_TOKEN
        self.socket = None  # fake_slack_socket.SocketMode, started on first use
        self.users = {}  # email -> user id
        self.timezones = {}  # user id -> IANA zone of the profile (users.info's tz)
        self.channels = set()  # public channel ids that exist
        self.expired_triggers = set()  # views.open: trigger ids older than Slack's 3 s
        self.delay = 0.0  # seconds every Web API answer waits (a network round trip)
        self.in_flight = 0  # Web API calls being answered now
        self.reset()

    def reset(self):
        self.calls = []
        self.violations = []
        self.failures = []  # [{method, count, status, retry_after, error}]
        self.messages = {}  # (channel, ts) -> message dict
        self.dms = {}  # user id -> D channel id
        self.ts_counter = itertools.count(1)
        self.chan_counter = itertools.count(1)
        self.views = []  # views.open: the modals opened
        self.used_triggers = set()
        self.max_in_flight = 0  # the most Web API calls answered at once

    def next_ts(self):
        return "%d.%06d" % (int(time.time()), next(self.ts_counter) % 1000000)

    def take_failure(self, method):
        now = time.time()
        self.failures = [f for f in self.failures if f.get("until") is None or f["until"] > now]
        for f in self.failures:
            if f.get("method") not in (None, method):
                continue
            if f.get("until") is not None:  # a time window: every call fails until then
                out = dict(f, status=f["statuses"][f["n"] % len(f["statuses"])])
                f["n"] += 1
                return out
            if f["count"] > 0:
                f["count"] -= 1
                if f["count"] == 0:
                    self.failures.remove(f)
                return dict(f)
        return None


def text_object_ok(obj, max_len=None):
    if not isinstance(obj, dict) or obj.get("type") not in ("plain_text", "mrkdwn"):
        return False
    text = obj.get("text")
    if not isinstance(text, str) or text == "":
        return False
    return max_len is None or len(text) <= max_len


def check_blocks(blocks):
    """Returns None or why Slack would answer invalid_blocks."""
    if not isinstance(blocks, list):
        return "blocks must be an array"
    if len(blocks) > MAX_BLOCKS:
        return "more than %d blocks" % MAX_BLOCKS
    action_ids, block_ids = set(), set()
    for i, b in enumerate(blocks):
        if not isinstance(b, dict) or b.get("type") not in BLOCK_TYPES:
            return "block %d: missing or unknown type" % i
        bid = b.get("block_id")
        if bid is not None:
            if not isinstance(bid, str) or len(bid) > 255 or bid in block_ids:
                return "block %d: invalid or duplicate block_id" % i
            block_ids.add(bid)
        t = b["type"]
        if t == "section":
            if "text" not in b and "fields" not in b:
                return "block %d: section needs text or fields" % i
            if "text" in b and not text_object_ok(b["text"], MAX_SECTION_TEXT):
                return "block %d: invalid section text" % i
            for f in b.get("fields", []):
                if not text_object_ok(f, 2000):
                    return "block %d: invalid field" % i
        elif t == "header":
            if not text_object_ok(b.get("text"), 150) or b["text"]["type"] != "plain_text":
                return "block %d: header needs plain_text up to 150 chars" % i
        elif t in ("actions", "context"):
            els = b.get("elements")
            if not isinstance(els, list) or not els or len(els) > MAX_ACTION_ELEMENTS:
                return "block %d: %s needs 1..%d elements" % (i, t, MAX_ACTION_ELEMENTS)
            for e in els:
                why = check_element(e, t, action_ids)
                if why:
                    return "block %d: %s" % (i, why)
    return None


def check_element(e, block_type, action_ids):
    if not isinstance(e, dict):
        return "element is not an object"
    if block_type == "context":
        return None if e.get("type") in ("plain_text", "mrkdwn", "image") else "bad context element"
    if e.get("type") not in ELEMENT_TYPES:
        return "unknown element type"
    aid = e.get("action_id")
    if aid is not None:
        if not isinstance(aid, str) or len(aid) > 255 or aid in action_ids:
            return "invalid or duplicate action_id"
        action_ids.add(aid)
    if e["type"] == "button":
        if not text_object_ok(e.get("text"), 75) or e["text"]["type"] != "plain_text":
            return "button needs plain_text up to 75 chars"
        if "value" in e and (not isinstance(e["value"], str) or len(e["value"]) > 2000):
            return "button value must be a string up to 2000 chars"
        if "style" in e and e["style"] not in ("primary", "danger"):
            return "button style must be primary or danger"
    return None


def blocks_arg(args):
    """blocks as a list, parsing the form-encoded (JSON string) variant."""
    blocks = args.get("blocks")
    if isinstance(blocks, str):
        try:
            blocks = json.loads(blocks)
        except ValueError:
            raise Refusal("invalid_blocks", detail="blocks is not valid JSON")
    return blocks


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as Slack's edge does
    server_version = "fake-slack/1"
    # Headers and body go out in two writes: with Nagle's algorithm the body
    # would wait for the client's delayed ACK (40 ms per call on keep-alive).
    disable_nagle_algorithm = True

    def log_message(self, fmt, *args):  # quiet: tests read /_fake/calls
        pass

    # ---- plumbing -------------------------------------------------------

    def read_body(self):
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            chunks = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n > 0 else b""

    def send(self, status, payload, extra_headers=None):
        body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        for k, v in (extra_headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        self.dispatch("GET")

    def do_POST(self):
        self.dispatch("POST")

    def do_PUT(self):
        self.dispatch("PUT")

    def do_DELETE(self):
        self.dispatch("DELETE")

    def dispatch(self, verb):
        url = urlsplit(self.path)
        try:
            body = self.read_body()
        except (ValueError, OSError):
            self.close_connection = True
            return
        if url.path.startswith("/_fake/"):
            self.control(verb, url, body)
        elif url.path.startswith("/api/"):
            self.api(verb, url, body)
        else:
            self.send(404, {"ok": False, "error": "not_found"})

    # ---- the Web API ------------------------------------------------------

    def api(self, verb, url, body):
        st = self.server.state
        with st.lock:
            st.in_flight += 1
            st.max_in_flight = max(st.max_in_flight, st.in_flight)
        try:
            self.api_call(st, verb, url, body)
        finally:
            with st.lock:
                st.in_flight -= 1

    def api_call(self, st, verb, url, body):
        method = url.path[len("/api/"):]
        ctype = self.headers.get("Content-Type")
        call = {
            "method": method,
            "http_method": verb,
            "time": time.time(),
            "client_port": self.client_address[1],  # same port: a kept-alive connection
            "headers": {
                "authorization": self.headers.get("Authorization"),
                "content_type": ctype,
                "user_agent": self.headers.get("User-Agent"),
                "content_length": self.headers.get("Content-Length"),
            },
            "args": None,
        }
        status, payload, headers = 200, None, {}
        try:
            args, token = self.parse_args(verb, url, body, ctype, method, call)
            call["args"] = args
            if method not in HANDLERS:
                raise Refusal("unknown_method", status=404)
            if method == "apps.connections.open":
                self.check_app_token(token)
            else:
                self.check_token(token)
            with st.lock:  # injected failures hit well-formed calls only
                failure = st.take_failure(method)
            if failure:
                status, payload, headers = self.injected(failure, call)
            else:
                with st.lock:
                    payload = HANDLERS[method](st, args)
        except Refusal as r:
            status, payload = r.status, {"ok": False, "error": r.error}
            if r.error == "unknown_method":
                payload["req_method"] = method
            call["error"] = r.error
            if r.error not in NOT_VIOLATIONS:
                call["violation"] = r.detail or r.error
        call["status"] = status
        call["ok"] = bool(payload.get("ok")) if isinstance(payload, dict) else False
        if call["ok"] and "ts" in payload:  # where a post landed, to match what the client stored
            call["channel"], call["ts"] = payload["channel"], payload["ts"]
        with st.lock:
            st.calls.append(call)
            if "violation" in call:
                st.violations.append({"method": method, "error": call["error"],
                                      "detail": call["violation"], "time": call["time"]})
            delay = st.delay
        if delay > 0:  # outside the lock: the other connections' calls go on
            time.sleep(delay)
        self.send(status, payload, headers)

    def injected(self, f, call):
        call["injected"] = True
        status = int(f.get("status") or 200)
        if status == 429:
            headers = {}
            if f.get("retry_after") is not None:
                headers["Retry-After"] = str(int(f["retry_after"]))
            return 429, {"ok": False, "error": "ratelimited"}, headers
        if status >= 500:
            return status, {"ok": False, "error": "internal_error"}, {}
        error = f.get("error") or ("internal_error" if status == 200 else "http_%d" % status)
        return status, {"ok": False, "error": error}, {}

    def parse_args(self, verb, url, body, ctype, method, call):
        """Arguments and the token, merged from query string and body as
        Slack does; refuses malformed requests with Slack's error codes."""
        if verb not in ("GET", "POST"):
            raise Refusal("invalid_post_type", status=405, detail="HTTP method " + verb)
        args = dict(parse_qsl(url.query, keep_blank_values=True))
        token = None
        if "token" in args:
            # Slack no longer accepts tokens in query strings for new apps.
            raise Refusal("invalid_auth", detail="token passed in the query string")
        if verb == "POST" and body:
            if len(body) > MAX_BODY:
                raise Refusal("request_timeout", status=413, detail="body over 1 MiB")
            if not ctype:
                raise Refusal("missing_post_type", detail="POST body without Content-Type")
            mime, _, params = ctype.partition(";")
            mime = mime.strip().lower()
            m = re.search(r"charset\s*=\s*\"?([\w-]+)", params, re.I)
            charset = m.group(1).lower() if m else "utf-8"
            if charset not in ("utf-8", "utf8", "iso-8859-1"):
                raise Refusal("invalid_charset", detail="charset " + charset)
            try:
                text = body.decode("utf-8" if charset.startswith("utf") else "latin-1")
            except UnicodeDecodeError:
                raise Refusal("invalid_charset", detail="body is not valid " + charset)
            if mime == "application/json":
                if method in HANDLERS and method not in JSON_METHODS:
                    raise Refusal("invalid_post_type",
                                  detail=method + " does not accept JSON bodies")
                try:
                    obj = json.loads(text)
                except ValueError as e:
                    raise Refusal("invalid_json", detail="invalid JSON: %s" % e)
                if not isinstance(obj, dict):
                    raise Refusal("invalid_json", detail="JSON body is not an object")
                if "token" in obj:
                    # JSON callers must use the Authorization header.
                    raise Refusal("not_authed", detail="token inside a JSON body")
                args.update(obj)
            elif mime == "application/x-www-form-urlencoded":
                try:
                    pairs = parse_qsl(text, keep_blank_values=True, strict_parsing=True)
                except ValueError:
                    raise Refusal("invalid_form_data", detail="malformed form body")
                form = dict(pairs)
                token = form.pop("token", None)
                args.update(form)
            elif mime in ("multipart/form-data", "text/plain"):
                # Slack accepts these; the fake does not parse them yet.
                raise Refusal("invalid_post_type", detail=mime + " is not supported by the fake")
            else:
                raise Refusal("invalid_post_type", detail="Content-Type " + mime)
        auth = self.headers.get("Authorization")
        if auth is not None:
            m = re.fullmatch(r"Bearer (\S+)", auth.strip())
            if not m:
                raise Refusal("invalid_auth", detail="Authorization is not 'Bearer <token>'")
            if token is not None and token != m.group(1):
                raise Refusal("invalid_auth", detail="two different tokens")
            token = m.group(1)
        return args, token

    def check_app_token(self, token):
        """apps.connections.open takes only the app-level token."""
        st = self.server.state
        if token is None or token == "":
            raise Refusal("not_authed")
        if not token.startswith("xapp-"):
            raise Refusal("not_allowed_token_type", detail="a token that is not xapp-")
        with st.lock:
            good = st.app_token
        if token != good:
            raise Refusal("invalid_auth")

    def check_token(self, token):
        st = self.server.state
        if token is None or token == "":
            raise Refusal("not_authed")
        with st.lock:
            good = st.token
        if token != good:
            raise Refusal("invalid_auth")

    # ---- the control API -------------------------------------------------

    def control(self, verb, url, body):
        st = self.server.state
        what = url.path[len("/_fake/"):]
        try:
            req = json.loads(body) if body else {}
        except ValueError:
            self.send(400, {"ok": False, "error": "invalid JSON"})
            return
        if what.startswith("socket/"):
            self.send(200, socket_control(st, verb, what[len("socket/"):], req))
            return
        with st.lock:
            if verb == "POST" and what == "config":
                if "token" in req:
                    st.token = req["token"]
                if "app_token" in req:
                    st.app_token = req["app_token"]
                st.users.update(req.get("users", {}))
                st.timezones.update(req.get("timezones", {}))
                st.channels.update(req.get("channels", []))
                st.expired_triggers.update(req.get("expired_triggers", []))
                if "delay_ms" in req:
                    st.delay = float(req["delay_ms"]) / 1000.0
                out = {"ok": True}
            elif verb == "POST" and what == "fail":
                f = {"method": req.get("method"), "count": int(req.get("count", 1)),
                     "status": req.get("status"), "retry_after": req.get("retry_after"),
                     "error": req.get("error")}
                if req.get("seconds") is not None:
                    # a window: every call fails until then, cycling through the statuses
                    statuses = f["status"] if isinstance(f["status"], list) else [f["status"]]
                    f.update(until=time.time() + float(req["seconds"]), statuses=statuses, n=0,
                             count=None)
                st.failures.append(f)
                out = {"ok": True}
            elif verb == "POST" and what == "reset":
                st.reset()
                out = {"ok": True}
            elif verb == "GET" and what == "calls":
                q = dict(parse_qsl(url.query))
                since = int(q.get("since", 0))
                upto = len(st.calls) if "limit" not in q else since + int(q["limit"])
                calls = st.calls[since:upto]
                if "method" in q:
                    calls = [c for c in calls if c["method"] == q["method"]]
                out = {"ok": True, "calls": calls, "next": min(upto, len(st.calls))}
            elif verb == "GET" and what == "summary":
                methods = {}
                for c in st.calls:
                    m = methods.setdefault(c["method"], {"ok": 0, "failed": 0, "injected": 0})
                    m["ok" if c["ok"] else "failed"] += 1
                    m["injected"] += bool(c.get("injected"))
                out = {"ok": True, "calls": len(st.calls), "methods": methods,
                       "violations": len(st.violations), "max_in_flight": st.max_in_flight}
            elif verb == "GET" and what == "dms":
                out = {"ok": True, "dms": st.dms}
            elif verb == "GET" and what == "violations":
                out = {"ok": True, "count": len(st.violations), "violations": st.violations}
            elif verb == "GET" and what == "views":
                out = {"ok": True, "views": st.views}
            elif verb == "GET" and what == "messages":
                out = {"ok": True, "messages": sorted(st.messages.values(),
                                                      key=lambda m: m["ts"])}
            elif verb == "GET" and what == "big":
                out = None
            else:
                self.send(404, {"ok": False, "error": "unknown control " + what})
                return
            payload = json.dumps(out).encode() if out is not None else None
        if payload is None:  # a response of the requested size, for size caps
            payload = b"x" * int(dict(parse_qsl(url.query)).get("bytes", "0"))
        self.send(200, payload)


# ---- method handlers (called with the state lock held) ---------------------

def require_str(args, name, error):
    v = args.get(name)
    if not isinstance(v, str) or v == "":
        raise Refusal(error, detail="missing " + name)
    return v


def m_auth_test(st, args):
    return {"ok": True, "url": "https://fake.slack.com/", "team": "Fake",
            "user": "securitybot", "team_id": TEAM_ID, "user_id": BOT_USER_ID,
            "bot_id": BOT_ID}


def known_user(st, uid):
    return uid in st.users.values()


def m_conversations_open(st, args):
    users = args.get("users")
    channel = args.get("channel")
    if channel:
        if channel not in st.dms.values():
            raise Refusal("channel_not_found", detail="channel " + str(channel))
        return {"ok": True, "channel": {"id": channel}, "no_op": True, "already_open": True}
    if not isinstance(users, str) or not users:
        raise Refusal("users_list_not_supplied")
    ids = [u.strip() for u in users.split(",")]
    if len(ids) > 8:
        raise Refusal("too_many_users")
    if len(ids) > 1:
        raise Refusal("method_not_supported_for_channel_type",
                      detail="the fake opens 1:1 DMs only")
    uid = ids[0]
    if not known_user(st, uid):
        raise Refusal("user_not_found", detail="user " + uid)
    opened = uid in st.dms
    if not opened:
        st.dms[uid] = "D%08d" % next(st.chan_counter)
    out = {"ok": True, "channel": {"id": st.dms[uid]}}
    if opened:
        out.update({"no_op": True, "already_open": True})
    return out


def resolve_channel(st, channel):
    """Channel id for posting: a DM id, a configured channel, or a user id
    (Slack posts to the app's DM with that user)."""
    if channel in st.dms.values() or channel in st.channels:
        return channel
    if known_user(st, channel):
        if channel not in st.dms:
            st.dms[channel] = "D%08d" % next(st.chan_counter)
        return st.dms[channel]
    raise Refusal("channel_not_found", detail="channel " + str(channel))


def message_content(args):
    text = args.get("text")
    blocks = blocks_arg(args) if "blocks" in args else None
    has_text = isinstance(text, str) and text != ""
    if not has_text and not blocks and not args.get("attachments"):
        raise Refusal("no_text")
    if text is not None and not isinstance(text, str):
        raise Refusal("invalid_arguments", detail="text must be a string")
    if has_text and len(text) > MAX_TEXT:
        raise Refusal("msg_too_long")
    if blocks is not None:
        why = check_blocks(blocks)
        if why:
            raise Refusal("invalid_blocks", detail=why)
    return text or "", blocks


def m_chat_post_message(st, args):
    channel = resolve_channel(st, require_str(args, "channel", "channel_not_found"))
    text, blocks = message_content(args)
    ts = st.next_ts()
    msg = {"type": "message", "user": BOT_USER_ID, "bot_id": BOT_ID, "text": text, "ts": ts}
    if blocks is not None:
        msg["blocks"] = blocks
    st.messages[(channel, ts)] = dict(msg, channel=channel, updates=0)
    return {"ok": True, "channel": channel, "ts": ts, "message": msg}


def m_chat_update(st, args):
    channel = require_str(args, "channel", "channel_not_found")
    if channel not in st.dms.values() and channel not in st.channels:
        raise Refusal("channel_not_found", detail="channel " + channel)
    ts = require_str(args, "ts", "invalid_arguments")
    stored = st.messages.get((channel, ts))
    if stored is None:
        raise Refusal("message_not_found", detail="no message %s in %s" % (ts, channel))
    text, blocks = message_content(args)
    stored["text"] = text
    if blocks is not None:
        stored["blocks"] = blocks
    stored["updates"] += 1
    # when each update came: a test checks Slack's pace (one per 5 s per message)
    stored.setdefault("update_times", []).append(time.time())
    msg = {k: v for k, v in stored.items() if k not in ("channel", "updates", "update_times")}
    return {"ok": True, "channel": channel, "ts": ts, "text": text, "message": msg}


def m_users_lookup_by_email(st, args):
    email = require_str(args, "email", "invalid_arguments")
    uid = next((u for e, u in st.users.items() if e.lower() == email.lower()), None)
    if uid is None:
        raise Refusal("users_not_found")
    return {"ok": True, "user": {"id": uid, "team_id": TEAM_ID, "name": email.split("@")[0],
                                 "deleted": False, "is_bot": False,
                                 "profile": {"email": email}}}


def m_users_info(st, args):
    """users.info as Slack documents it: the user object, with tz, tz_label and
    tz_offset (seconds east of UTC, now) when the profile has a zone."""
    uid = require_str(args, "user", "user_not_found")
    email = next((e for e, u in st.users.items() if u == uid), None)
    if email is None:
        raise Refusal("user_not_found")
    user = {"id": uid, "team_id": TEAM_ID, "name": email.split("@")[0], "deleted": False,
            "is_bot": False, "profile": {"email": email}}
    tz = st.timezones.get(uid)
    if tz:
        now = datetime.datetime.now(zoneinfo.ZoneInfo(tz))
        user.update(tz=tz, tz_label=now.tzname(), tz_offset=int(now.utcoffset().total_seconds()))
    return {"ok": True, "user": user}


def socket_mode(st):
    """The Socket Mode server (fake_slack_socket.py), started on first use
    so that the fake needs python3-websockets only for Socket Mode tests."""
    if st.socket is None:
        import fake_slack_socket
        st.socket = fake_slack_socket.SocketMode()
    return st.socket


def m_apps_connections_open(st, args):
    return {"ok": True, "url": socket_mode(st).open_url()}


def socket_control(st, verb, what, req):
    """/_fake/socket/...: send, replay, disconnect, drop, config, reset (POST), state (GET)."""
    with st.lock:
        sm = socket_mode(st)
    if verb == "POST" and what == "send":
        return {"ok": True, "envelope_id": sm.send(req["type"], req["payload"], req.get("conn"))}
    if verb == "POST" and what == "replay":
        if not sm.replay(req.get("envelope_id")):
            return {"ok": False, "error": "no acknowledged envelope " + str(req.get("envelope_id"))}
        return {"ok": True}
    if verb == "POST" and what == "disconnect":
        return {"ok": True, "conns": sm.disconnect(req.get("reason", "refresh_requested"),
                                                   req.get("conn"))}
    if verb == "POST" and what == "drop":
        return {"ok": True, "conns": sm.drop(req.get("conn"))}
    if verb == "POST" and what == "config":
        sm.config(req)
        return {"ok": True}
    if verb == "POST" and what == "reset":
        sm.reset()
        return {"ok": True}
    if verb == "GET" and what == "state":
        return sm.state()
    return {"ok": False, "error": "unknown socket control " + what}


def check_modal(view):
    """Returns None or why Slack would answer invalid_arguments for views.open."""
    if not isinstance(view, dict) or view.get("type") != "modal":
        return "view.type must be modal"
    title = view.get("title")
    if not text_object_ok(title, 24) or title["type"] != "plain_text":
        return "view.title must be plain_text up to 24 characters"
    for k in ("submit", "close"):
        if k in view and (not text_object_ok(view[k], 24) or view[k]["type"] != "plain_text"):
            return "view.%s must be plain_text up to 24 characters" % k
    blocks = view.get("blocks")
    why = check_blocks(blocks)
    if why:
        return why
    inputs = [b for b in blocks if b.get("type") == "input"]
    for b in inputs:
        e = b.get("element")
        if not text_object_ok(b.get("label"), 2000) or not isinstance(e, dict) or \
                e.get("type") not in ELEMENT_TYPES or not isinstance(e.get("action_id", ""), str):
            return "an input block needs a label and an element"
    if inputs and "submit" not in view:
        return "a modal with inputs needs submit"
    if len(view.get("private_metadata", "")) > 3000 or len(view.get("callback_id", "")) > 255:
        return "private_metadata or callback_id too long"
    return None


def m_views_open(st, args):
    trigger = require_str(args, "trigger_id", "invalid_arguments")
    view = args.get("view")
    if isinstance(view, str):
        try:
            view = json.loads(view)
        except ValueError:
            raise Refusal("invalid_arguments", detail="view is not JSON")
    why = check_modal(view)
    if why:
        raise Refusal("invalid_arguments", detail=why)
    if trigger in st.expired_triggers:
        raise Refusal("expired_trigger_id")
    if trigger in st.used_triggers:
        raise Refusal("exchanged_trigger_id")
    st.used_triggers.add(trigger)
    vid = "V%08d" % next(st.chan_counter)
    opened = dict(view, id=vid, hash="%d.fake" % len(st.views), trigger_id=trigger)
    st.views.append(opened)
    return {"ok": True, "view": opened}


HANDLERS = {
    "apps.connections.open": m_apps_connections_open,
    "auth.test": m_auth_test,
    "conversations.open": m_conversations_open,
    "chat.postMessage": m_chat_post_message,
    "chat.update": m_chat_update,
    "users.info": m_users_info,
    "users.lookupByEmail": m_users_lookup_by_email,
    "views.open": m_views_open,
}


class Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128  # many workers connecting at once (the default is 5)

    def handle_error(self, request, client_address):
        # A client that hangs up (e.g. on a response over its size cap) is
        # routine; anything else is printed as usual.
        if not isinstance(sys.exc_info()[1], (ConnectionError, TimeoutError)):
            super().handle_error(request, client_address)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--port", type=int, default=0, help="0: an ephemeral port")
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--token", default=DEFAULT_TOKEN)
    opts = ap.parse_args()
    server = Server((opts.host, opts.port), Handler)
    server.state = State(opts.token)
    print("PORT %d" % server.server_address[1], flush=True)
    try:
        server.serve_forever(poll_interval=0.1)
    except KeyboardInterrupt:
        pass
    server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
