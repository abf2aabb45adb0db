#!/usr/bin/env python3
"""badinput: plays the hostile-input corpus (cases.tsv beside this file)
against the real workers and says, case by case, what happened.

    badinput.py setup         employees (one per conversation case), second
                              factors, the fake Slack's directory
    badinput.py alerts        publish every alert case, wait for sb-ingest, check
    badinput.py slack         send every Slack case to sb-gateway, check
    badinput.py conversation  play every conversation case through sb-gateway, check
    badinput.py intake        send every intake case to sb-gateway's POST /v1/alerts
                              or /v1/alerts/alertmanager, check
    badinput.py console       send every console case to sb-console, check
    badinput.py accounting    every message on <prefix>alerts is a row, a dead
                              letter or a duplicate of a row
    badinput.py count         cases per layer

Each case prints one line: id TAB expected TAB got; `got` is written in the
expectation's own words, so a case passes when the two are equal. The format
of cases.tsv and of the expectations: README.md beside this file.

tests/integration/0014-badinput.sh runs it with the stack's environment
(SECURITYBOT_*), T_DIR (scratch), SB_BIN_DIR, GW_PORT, GATEWAY_LOG,
SLACK_SIGNING_SECRET, FAKE_URL, FAKE_CTL and FAKE_TOKEN, and for the intake
INTAKE_TOKEN (a token of source `badinput`) and INTAKE_OTHER_TOKEN (one of
source `other`); for the console CONSOLE_PORT, CONSOLE_VIEWER_TOKEN and
CONSOLE_RESPONDER_TOKEN. Standard library only.
"""
import base64
import concurrent.futures
import hashlib
import hmac
import http.client
import importlib.util
import json
import os
import re
import select
import shlex
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request

sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.dirname(os.path.dirname(HERE))
ENV = os.environ
NPART = int(ENV.get("BADINPUT_PARTITIONS", "3"))
DLQ_ORIGINAL_MAX = 65536  # the most of an input (and of its key) a dead letter carries


def load_module(name, path):
    spec = importlib.util.spec_from_file_location(name, path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


totp = load_module("totp", os.path.join(SRC, "deploy/local/totp.py"))
gen_alerts = load_module("gen_alerts", os.path.join(SRC, "tests/integration/lib/gen_alerts.py"))


# ---- the manifest -----------------------------------------------------------

class Case:
    def __init__(self, cid, layer, inp, expect, what):
        self.id, self.layer, self.input, self.expect, self.what = cid, layer, inp, expect, what


def unescape(b):
    r"""\xHH in corpus text is the raw byte HH (JSON itself has no \x escape)."""
    return re.sub(rb"\\x([0-9a-fA-F]{2})", lambda m: bytes([int(m.group(1), 16)]), b)


def load_cases(layer=None):
    cases, seen = [], set()
    with open(os.path.join(HERE, "cases.tsv"), encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            line = line.rstrip("\n")
            if not line.strip() or line.startswith("#"):
                continue
            cols = line.split("\t")
            if len(cols) != 5:
                sys.exit("cases.tsv:%d: %d columns, want 5 (tab-separated)" % (n, len(cols)))
            if cols[0] == "id":
                continue
            c = Case(cols[0], cols[1], shlex.split(cols[2]), shlex.split(cols[3]), cols[4])
            if c.id in seen or c.layer not in ("alert", "slack", "conversation", "intake",
                                                  "console"):
                sys.exit("cases.tsv:%d: duplicate id or unknown layer" % n)
            seen.add(c.id)
            if layer is None or c.layer == layer:
                cases.append(c)
    return cases


def report(case, got):
    print("%s\t%s\t%s" % (case.id, " ".join(case.expect), " ".join(got)), flush=True)


# ---- the stack ----------------------------------------------------------------

def topic(suffix):
    return ENV["SECURITYBOT_TOPIC_PREFIX"] + suffix


def sql(query, **params):
    """Rows of a query as lists of strings; :'name' in the query is params[name]."""
    args = ["psql", "-X", "-q", "-At", "-F", "\t", "-v", "ON_ERROR_STOP=1"]
    for k, v in params.items():
        args += ["-v", "%s=%s" % (k, v)]
    out = subprocess.run(args + [ENV["SECURITYBOT_DATABASE_URL"]], input=query, check=True,
                         capture_output=True, text=True).stdout
    return [line.split("\t") for line in out.splitlines()]


def sql1(query, **params):
    rows = sql(query, **params)
    return rows[0][0] if rows else ""


def wait_sql(query, want, seconds=30, **params):
    got = None
    deadline = time.time() + seconds
    while time.time() < deadline:
        got = sql1(query, **params)
        if got == want:
            return got
        time.sleep(0.1)
    return got


def topic_messages(suffix):
    """(partition, offset, key or None, value or None) of every message."""
    out = subprocess.run(["kcat", "-C", "-b", ENV["SECURITYBOT_KAFKA_BROKERS"], "-t", topic(suffix),
                          "-o", "beginning", "-e", "-q", "-X", "fetch.message.max.bytes=20000000",
                          "-f", "%p %o %K %S\n%k%s\n"], check=True, capture_output=True).stdout
    msgs, i = [], 0
    while i < len(out):
        nl = out.index(b"\n", i)
        p, o, kl, vl = (int(x) for x in out[i:nl].split(b" "))
        i = nl + 1
        key = out[i:i + kl] if kl >= 0 else None
        i += max(kl, 0)
        value = out[i:i + vl] if vl >= 0 else None
        i += max(vl, 0) + 1
        msgs.append((p, o, key, value))
    return msgs


def produce(partition, key, value):
    """One message to <prefix>alerts; True when the broker acknowledged it."""
    args = ["kcat", "-P", "-b", ENV["SECURITYBOT_KAFKA_BROKERS"], "-t", topic("alerts"),
            "-p", str(partition), "-X", "message.max.bytes=11000000"]
    if not value or len(key) > 100000:
        # kcat sends an empty or null value only as key<TAB>(nothing) on
        # stdin, and a key too long for argv only that way too
        assert value is None or not set(b"\t\n") & set(value)
        args += ["-K", "\t"] + (["-Z"] if value is None else [])
        r = subprocess.run(args, input=key + b"\t" + (value or b"") + b"\n",
                           capture_output=True)
    else:
        path = os.path.join(ENV["T_DIR"], "badinput.msg")
        with open(path, "wb") as f:
            f.write(value)
        r = subprocess.run(args + ["-k", key, path], capture_output=True)
    return r.returncode == 0 and b"failed" not in r.stderr.lower(), r.stderr.decode("utf-8",
                                                                                    "replace")


def ctl(*args):
    return subprocess.run([os.path.join(ENV["SB_BIN_DIR"], "sbctl")] + list(args), check=True,
                          capture_output=True, text=True).stdout


# ---- alert inputs -------------------------------------------------------------

BASE = {"source": "badinput", "rule": "bad-rule", "user": "ghost",
        "occurred_at": "2026-11-29T10:00:00Z"}


def dumps(d):
    return json.dumps(d, ensure_ascii=False, separators=(",", ":")).encode()


def base(cid, **fields):
    d = dict(BASE, id="bi-" + cid, title="hostile input " + cid)
    d.update(fields)
    return d


def sized(cid, size):
    """A valid alert of exactly size bytes, padded by an unknown field."""
    empty = dumps(dict(base(cid), pad=""))
    if size < len(empty):
        raise ValueError("size too small")
    return dumps(dict(base(cid), pad="x" * (size - len(empty))))


def generate(cid, spec):
    """The bytes of gen:KIND[:ARG...] (None: a null value)."""
    kind, *arg = spec.split(":")
    n = int(arg[0]) if arg and arg[0].isdigit() else 0
    head = dumps(base(cid))[:-1]  # the alert without its closing brace
    if kind == "empty":
        return b""
    if kind == "null":
        return None
    if kind == "nest-array":
        return b"[" * n + b"]" * n
    if kind == "nest-details":
        return head + b',"details":' + b'{"a":' * n + b"1" + b"}" * n + b"}"
    if kind == "field":  # field:NAME:N[:CHAR]
        name, n = arg[0], int(arg[1])
        return dumps(base(cid, **{name: (arg[2] if len(arg) > 2 else "x") * n}))
    if kind == "detail-value":
        return dumps(base(cid, details={"v": "x" * n}))
    if kind == "details-keys":
        return dumps(base(cid, details={"k%02d" % i: i for i in range(n)}))
    if kind == "keys":
        return dumps(dict(base(cid), **{"k%05d" % i: 0 for i in range(n)}))
    if kind == "keys-dup":  # n distinct unknown keys, then the first one again
        keys = b"".join(b',"k%05d":0' % i for i in range(n))
        return head + keys + b',"k00000":1}'
    if kind == "size":
        return sized(cid, n)
    if kind == "controls":  # n bytes, nearly all raw control characters
        return b'{"title":"' + b"\x01" * (n - 12) + b'"}'
    raise ValueError("unknown generator " + spec)


def alert_messages(case):
    """The messages of an alert case, in order, and their key."""
    key, msgs = case.id.encode(), []
    for tok in case.input:
        if tok.startswith("file:"):
            with open(os.path.join(HERE, "alert", tok[5:] + ".json"), "rb") as f:
                data = f.read()
            msgs.append(unescape(data[:-1] if data.endswith(b"\n") else data))
        elif tok.startswith("gen:"):
            msgs.append(generate(case.id, tok[4:]))
        elif tok == "x2":
            msgs.append(msgs[-1])
        elif tok.startswith("key:"):
            key = unescape(tok[4:].encode())
        elif tok.startswith("keylen:"):
            key = b"k" * int(tok[7:])
        else:
            raise ValueError("%s: unknown input token %s" % (case.id, tok))
    return key, msgs


def hexof(b):
    return (b or b"").hex()


def dead_letter_ok(dl, key, value):
    """What is wrong with a dead letter on the topic (None: nothing)."""
    if dl is None:
        return "not on alerts.dlq"
    dkey, doc = dl
    value = value or b""
    if (dkey or b"") != key[:DLQ_ORIGINAL_MAX]:  # a key is cut like the original
        return "wrong key"
    if doc.get("original_encoding") == "base64":
        original = base64.b64decode(doc["original"])
    else:
        original = doc["original"].encode("utf-8")
    if doc.get("original_truncated"):
        if len(value) <= DLQ_ORIGINAL_MAX or doc.get("original_bytes") != len(value):
            return "truncated without need or without original_bytes"
        if not value.startswith(original) or len(original) > DLQ_ORIGINAL_MAX:
            return "truncated original is not the input's prefix"
        return None
    return None if original == value else "original differs from the input"


def check_alert(case, key, msgs, positions, rows, dls, dlq_topic):
    """The case's expectation tokens, as observed."""
    got = []
    first = positions[0] if positions else None
    row = rows.get(first)
    for tok in case.expect:
        name, _, arg = tok.partition(":")
        if name == "refused":
            got.append("refused" if not positions else "published")
        elif name == "row":
            if first is None:
                got.append("refused")
            elif first in dls:
                got.append("dlq:" + dls[first][0])
            elif row is None:
                got.append("nothing")
            elif row[2] != hexof(msgs[0]):
                got.append("row(raw differs from the input)")
            elif arg == "once":
                later = [p for p in positions[1:] if p in rows or p in dls]
                same = sum(1 for r in rows.values() if r[0] == row[0])
                got.append("row:once" if not later and same == 1
                           else "rows:%d,later:%d" % (same, len(later)))
            else:
                got.append("row")
        elif name == "dlq":
            if first is None:
                got.append("refused")
            elif first in rows:
                got.append("row")
            elif first not in dls:
                got.append("nothing")
            else:
                reason, original, dkey = dls[first]
                why = None
                if original != hexof(msgs[0]):
                    why = "table original differs"
                elif dkey != hexof(key):
                    why = "table key differs"
                else:
                    why = dead_letter_ok(dlq_topic.get(first), key, msgs[0])
                got.append("dlq:" + reason + ("(%s)" % why if why else ""))
        elif name == "employee":
            got.append("employee:" + ((row[3] or "none") if row else "no row"))
        elif name == "prompted":
            got.append("prompted:" + prompt_markup(row[0] if row else None))
        else:
            got.append("unknown-token:" + tok)
    return got


def prompt_markup(alert_id):
    """escaped when the prompt Slack received shows the alert's text as text:
    no <!channel>, <@user> or <link|label> of the alert's own making."""
    ts = wait_sql("SELECT count(*) FROM alerts WHERE id = :'a' AND chat_ts IS NOT NULL", "1", 30,
                  a=alert_id) and sql1("SELECT chat_ts FROM alerts WHERE id = :'a'", a=alert_id)
    sent = [m for m in fake_messages() if m["ts"] == ts and "blocks" in m]
    if not sent:
        return "not sent"
    # <!date^...> is securitybot's own (the time, in the reader's time zone)
    raw = re.findall(r"<!(?!date\^)|<[@#]|<(?:https?|javascript):",
                     json.dumps(sent[0], ensure_ascii=False))
    return "escaped" if not raw else "raw(%s)" % ",".join(sorted(set(raw)))


def cmd_alerts():
    cases = load_cases("alert")
    next_offset = [0] * NPART
    plan = []
    # publish: the cases to the partitions in turn (a case's messages to one
    # partition, in order, so "first" is well defined); a fresh topic with one
    # producer at a time numbers each partition's messages 0, 1, 2...
    for i, c in enumerate(cases):
        key, msgs = alert_messages(c)
        positions = []
        p = i % NPART
        for m in msgs:
            ok, err = produce(p, key, m)
            if ok:
                positions.append((p, next_offset[p]))
                next_offset[p] += 1
            else:
                print("# %s: not published: %s" % (c.id, err.strip().splitlines()[-1:]),
                      file=sys.stderr)
        plan.append((c, key, msgs, positions))
    total = sum(next_offset)
    # wait until sb-ingest has handled every message (or give up and report)
    got = wait_sql("SELECT coalesce(sum(next_offset), 0) FROM ingest_progress", str(total), 120)
    if got != str(total):
        print("# sb-ingest handled %s of %d messages in 120 s" % (got, total), file=sys.stderr)
    # per position: id, status, the raw JSON as hex, the employee's username
    rows = {(int(r[0]), int(r[1])): (r[2], r[3], r[4], r[5] or None) for r in sql(
        "SELECT a.src_partition, a.src_offset, a.id, a.status,"
        " encode(convert_to(a.raw::text, 'UTF8'), 'hex'), e.username"
        " FROM alerts a LEFT JOIN employees e ON e.id = a.employee_id"
        " WHERE a.src_topic = :'t'", t=topic("alerts"))}
    dls = {(int(r[0]), int(r[1])): (r[2], r[3], r[4]) for r in sql(
        "SELECT src_partition, src_offset, reason, encode(original, 'hex'),"
        " encode(coalesce(msg_key, ''), 'hex') FROM dead_letters WHERE src_topic = :'t'",
        t=topic("alerts"))}
    dlq_topic = {}
    for p, o, k, v in topic_messages("alerts.dlq"):
        doc = json.loads(v)
        dlq_topic[(doc["partition"], doc["offset"])] = (k, doc)
    for c, key, msgs, positions in plan:
        report(c, check_alert(c, key, msgs, positions, rows, dls, dlq_topic))


# ---- Slack requests -----------------------------------------------------------

def sign(ts, body, secret=None):
    secret = ENV["SLACK_SIGNING_SECRET"] if secret is None else secret
    return "v0=" + hmac.new(secret.encode(), b"v0:" + ts.encode() + b":" + body,
                            hashlib.sha256).hexdigest()


def http_send(method, path, headers, body, chunked=False, skip_host=False):
    """(status as a string, response body); status 000 when the connection broke.
    headers: a dict, or (name, value) pairs (a name may repeat)."""
    conn = http.client.HTTPConnection("127.0.0.1", int(ENV["GW_PORT"]), timeout=20)
    try:
        conn.putrequest(method, path, skip_host=skip_host, skip_accept_encoding=True)
        for k, v in (headers.items() if isinstance(headers, dict) else headers):
            conn.putheader(k, v)
        if chunked:
            conn.putheader("Transfer-Encoding", "chunked")
            conn.endheaders()
            for i in range(0, len(body), 65536):
                piece = body[i:i + 65536]
                conn.send(b"%x\r\n" % len(piece) + piece + b"\r\n")
            conn.send(b"0\r\n\r\n")
        else:
            if method != "GET" or body:
                conn.putheader("Content-Length", str(len(body)))
            conn.endheaders(body)
        r = conn.getresponse()
        return str(r.status), r.read().decode("utf-8", "replace")
    except (ConnectionError, http.client.HTTPException, socket.timeout, OSError):
        return "000", ""
    finally:
        conn.close()


def fake(method, **args):
    """A call to the fake Slack's Web API (as the bot)."""
    req = urllib.request.Request(ENV["FAKE_URL"] + "/" + method,
                                 data=urllib.parse.urlencode(args).encode(),
                                 headers={"Authorization": "Bearer " + ENV["FAKE_TOKEN"]})
    with urllib.request.urlopen(req, timeout=10) as r:
        return json.load(r)


def fake_messages():
    with urllib.request.urlopen(ENV["FAKE_CTL"] + "/messages", timeout=10) as r:
        return json.load(r)["messages"]


_dm_cache = {}


def texts_to(user):
    """The texts (not prompts) the bot sent to a chat user, oldest first."""
    known = {uid for _, uid in FIXED} | {uid for _, _, uid in conversation_employees()}
    if user not in known:  # the fake (like Slack) would refuse to open a DM with them
        return []
    if user not in _dm_cache:
        r = fake("conversations.open", users=user)
        _dm_cache[user] = r["channel"]["id"] if r.get("ok") else None
    ch = _dm_cache[user]
    return [m["text"] for m in fake_messages() if m["channel"] == ch and "blocks" not in m]


def wait_reply(user, fragment, since, seconds=8):
    """The last text to user once it contains fragment (or the last one at the deadline)."""
    deadline, texts = time.time() + seconds, []
    while time.time() < deadline:
        texts = texts_to(user)[since:]
        if texts and fragment in texts[-1]:
            break
        time.sleep(0.1)
    return texts[-1] if texts else "(none)"


def reason_lines():
    try:
        with open(ENV["GATEWAY_LOG"], encoding="utf-8", errors="replace") as f:
            return re.findall(r'"reason":"([^"]*)"', f.read())
    except FileNotFoundError:
        return []


def count_on(suffix, key=None):
    return sum(1 for p, o, k, v in topic_messages(suffix) if key is None or k == key.encode())


def click_payload(user, action_id, value, action_ts):
    return json.dumps({
        "type": "block_actions", "user": {"id": user, "username": "x"},
        "actions": [{"action_id": action_id, "block_id": "b1", "value": value,
                     "type": "button", "text": {"type": "plain_text", "text": "x"},
                     "action_ts": action_ts}]})


def dm_body(event_id, user, text):
    return json.dumps({
        "type": "event_callback", "team_id": "T1", "api_app_id": "A1", "event_id": event_id,
        "event_time": int(time.time()), "event": {
            "type": "message", "channel": "D1", "user": user, "text": text,
            "ts": "1.000100", "channel_type": "im"}}).encode()


def click_event_id(user, action_ts, action_id):
    return hashlib.sha256(("block_actions|%s|%s|%s" % (user, action_ts, action_id))
                          .encode()).hexdigest()


class Request:
    """A Slack request built from a case's input tokens."""

    def __init__(self, case, n, alerts):
        self.method, self.path, self.ct, self.sign = "POST", None, None, "good"
        self.ts_offset, self.ts_raw, self.sig = 0, None, None
        self.user, self.alert_name, self.repeat, self.chunked = "U0SAM", "sam", 1, False
        self.event_id, self.body, self.interactive = "Ev-bi-" + case.id, None, False
        self.value, self.dup, self.nohost = None, [], False
        action, text = None, None
        for tok in case.input:
            name, _, arg = tok.partition(":")
            if name == "dm":
                text = arg
            elif name == "click":
                action = arg
            elif name == "alert":
                self.alert_name = arg
            elif name == "user":
                self.user = arg
            elif name == "user-len":
                self.user = "U" * int(arg)
            elif name == "event":
                self.event_id = arg
            elif name == "event-len":
                self.event_id = "E" * int(arg)
            elif name == "value":
                self.value = arg
            elif name == "sign":
                self.sign = arg
            elif name == "sig":
                self.sig = arg
            elif name == "ts":
                self.ts_offset = int(arg)
            elif name == "tsraw":
                self.ts_raw = arg
            elif name == "ct":
                self.ct = arg
            elif name == "method":
                self.method = arg
            elif name == "path":
                self.path = arg
            elif name == "repeat":
                self.repeat = int(arg)
            elif name == "chunked":
                self.chunked = True
            elif name == "dup":  # this header twice, with the same value
                self.dup.append(arg)
            elif name == "nohost":  # an HTTP/1.1 request without Host
                self.nohost = True
            elif name == "body":
                self.body = unescape(arg.encode())
            elif name == "form":
                self.body, self.interactive = unescape(arg.encode()), True
            elif name == "payload":
                self.body = ("payload=" + urllib.parse.quote_plus(arg)).encode()
                self.interactive = True
            elif name == "size":
                pad = "x" * max(0, int(arg) - 40)
                self.body = json.dumps({"type": "event_callback", "pad": pad}).encode()
            elif name == "nest":
                self.body = b'{"type":"event_callback","event":' + b"[" * int(arg) + \
                    b"]" * int(arg) + b"}"
            else:
                raise ValueError("%s: unknown input token %s" % (case.id, tok))
        self.alert = alerts.get(self.alert_name)
        self.action_ts = "1800000000.%06d" % n
        if action:
            value = {None: self.alert, "UPPER": (self.alert or "").upper(),
                     "unknown": hashlib.sha256(b"no such alert").hexdigest()}.get(
                         self.value, self.value)
            self.body = ("payload=" + urllib.parse.quote_plus(
                click_payload(self.user, action, value, self.action_ts))).encode()
            self.interactive = True
            self.event_id = click_event_id(self.user, self.action_ts, action)
        elif text is not None:
            self.body = dm_body(self.event_id, self.user, text)
        if self.body is None:
            self.body = b""
        if self.path is None:
            self.path = "/slack/interactive" if self.interactive else "/slack/events"
        if self.ct is None:
            self.ct = ("application/x-www-form-urlencoded" if self.interactive
                       else "application/json")

    def headers(self):
        now = str(int(time.time()) + self.ts_offset)
        ts = now if self.ts_raw is None else self.ts_raw.replace("{now}", now)
        good = sign(ts, self.body)
        h = {}
        if self.ct != "none":
            h["Content-Type"] = self.ct
        if self.sign in ("good", "forged", "other-body", "no-signature"):
            h["X-Slack-Request-Timestamp"] = ts
        if self.sig is not None:
            h["X-Slack-Signature"] = {"UPPER": "v0=" + good[3:].upper(), "V1": "v1=" + good[3:],
                                      "SHORT": good[:-1]}.get(self.sig, self.sig)
        elif self.sign in ("good", "no-timestamp"):
            h["X-Slack-Signature"] = good
        elif self.sign == "forged":
            h["X-Slack-Signature"] = sign(ts, self.body, ENV["SLACK_SIGNING_SECRET"] + "-not-it")
        elif self.sign == "other-body":
            h["X-Slack-Signature"] = sign(ts, self.body + b" ")
        pairs = list(h.items())
        for name in self.dup:
            pairs += [(k, v) for k, v in h.items() if k == name] or [(name, "x")]
        return pairs


def status_of(alert_id):
    return sql1("SELECT status FROM alerts WHERE id = :'a'", a=alert_id) if alert_id else "none"


def audit_of(event_id):
    """The audit actions (action/reason) an event caused, in order."""
    rows = sql("SELECT action, coalesce(detail->>'reason', '') FROM audit_log"
               " WHERE detail->>'event_id' = :'e' ORDER BY id", e=event_id)
    return ",".join(a + ("/" + r if r else "") for a, r in rows) or "none"


def effects(tok, alert_id, event_id, user, replies_before):
    """One state or chat expectation token, as observed (shared by the
    Slack and conversation layers)."""
    name, _, arg = tok.partition(":")
    if name == "status":  # may take a moment (sb-escalation): wait for it
        return "status:" + wait_sql("SELECT status FROM alerts WHERE id = :'a'", arg, 10,
                                    a=alert_id)
    if name == "failures":
        return "failures:" + sql1("SELECT code_failures FROM alerts WHERE id = :'a'", a=alert_id)
    if name == "second_factor":
        return "second_factor:" + sql1("SELECT second_factor FROM alerts WHERE id = :'a'",
                                       a=alert_id)
    if name == "comment":
        return "comment:" + (sql1("SELECT coalesce(comment, '(none)') FROM alerts"
                                  " WHERE id = :'a'", a=alert_id))
    if name == "audit":
        return "audit:" + audit_of(event_id)
    if name == "audits":  # audits:ACTION=N for the alert
        action, _, _ = arg.partition("=")
        return "audits:%s=%s" % (action, sql1(
            "SELECT count(*) FROM audit_log WHERE alert_id = :'a' AND action = :'x'",
            a=alert_id, x=action))
    if name == "responses":
        return "responses:" + sql1("SELECT count(*) FROM responses WHERE event_id = :'e'",
                                   e=event_id)
    if name == "stored":
        return "stored:" + sql1("SELECT text FROM responses WHERE event_id = :'e'", e=event_id)
    if name == "stored_len":
        return "stored_len:" + sql1("SELECT char_length(text) FROM responses"
                                    " WHERE event_id = :'e'", e=event_id)
    if name == "escalation_requests":
        return "escalation_requests:%d" % count_on("escalation-requests", alert_id)
    if name == "escalations":
        wait_sql("SELECT count(*) FROM escalations WHERE alert_id = :'a'", arg, 10, a=alert_id)
        return "escalations:" + sql1("SELECT count(*) FROM escalations WHERE alert_id = :'a'",
                                     a=alert_id)
    if name == "ignore_rules":
        return "ignore_rules:" + sql1(
            "SELECT count(*) FROM ignore_rules r JOIN employees e ON e.id = r.employee_id"
            " WHERE e.chat_user_id = :'u'", u=user)
    if name == "reply":
        last = wait_reply(user, arg, replies_before)
        return "reply:" + (arg if arg in last else last)
    if name == "replies":
        time.sleep(1)  # a second reply would come within this
        return "replies:%d" % (len(texts_to(user)) - replies_before)
    return "unknown-token:" + tok


def cmd_slack():
    cases = load_cases("slack")
    alerts = {}
    for who in ("sam", "rita"):
        alerts[who] = ctl("alert", "send", "--user", who, "--rule", "bi-slack-" + who,
                          "--title", "Slack target of " + who, "--id", "bi-slack-" + who).strip()
    for who, a in alerts.items():
        wait_sql("SELECT count(*) FROM alerts WHERE id = :'a' AND chat_ts IS NOT NULL", "1", 30,
                 a=a)
    for n, c in enumerate(cases, 1):
        req = Request(c, n, alerts)
        published0, reasons0 = count_on("responses"), len(reason_lines())
        replies0 = len(texts_to(req.user))
        statuses, bodies = [], []
        for _ in range(req.repeat):
            st, body = http_send(req.method, req.path, req.headers(), req.body, req.chunked,
                                 req.nohost)
            statuses.append(st)
            bodies.append(body)
        published = count_on("responses") - published0
        if published:  # sb-response has it once the event is recorded
            wait_sql("SELECT count(*) FROM responses WHERE event_id = :'e'", "1", 15,
                     e=req.event_id)
        got = []
        for tok in c.expect:
            name, _, arg = tok.partition(":")
            if name == "http":
                got.append("http:" + ",".join(statuses))
            elif name == "published":
                got.append("published:%d" % published)
            elif name == "reason":
                new = reason_lines()[reasons0:]
                got.append("reason:" + (arg if arg in new else ",".join(new) or "none"))
            elif name == "body":
                got.append("body:" + bodies[-1])
            else:
                got.append(effects(tok, req.alert, req.event_id, req.user, replies0))
        report(c, got)


# ---- conversations ------------------------------------------------------------

def conversation_employees():
    """(case, username, chat user id) for every conversation case."""
    return [(c, "conv%02d" % i, "UC%02d" % i)
            for i, c in enumerate(load_cases("conversation"), 1)]


FIXED = [("victor", "U0VIC"), ("wendy", "U0WEN"), ("sam", "U0SAM"), ("rita", "U0RIT"),
         ("mallory", "U0MAL"), ("ingrid", "U0ING")]


def cmd_setup():
    people = FIXED + [(u, uid) for _, u, uid in conversation_employees()]
    path = os.path.join(ENV["T_DIR"], "badinput-employees.csv")
    with open(path, "w") as f:
        f.write("username,email,chat_user_id,aliases\n")
        for u, uid in people:
            f.write("%s,%s@example.com,%s,\n" % (u, u, uid))
    ctl("employees", "import", path)
    for _, u, _ in conversation_employees():
        uri = ctl("enroll", u).splitlines()[0]
        with open(os.path.join(ENV["T_DIR"], u + ".uri"), "w") as f:
            f.write(uri)
    body = json.dumps({"users": {u + "@example.com": uid for u, uid in people}}).encode()
    urllib.request.urlopen(urllib.request.Request(
        ENV["FAKE_CTL"] + "/config", data=body,
        headers={"Content-Type": "application/json"}), timeout=10).read()
    print(len(people))


class Conversation:
    """One conversation case, played as its employee would."""

    def __init__(self, case, username, chat_user):
        self.case, self.username, self.user = case, username, chat_user
        with open(os.path.join(ENV["T_DIR"], username + ".uri")) as f:
            uri = f.read().strip()
        self.secret = urllib.parse.parse_qs(urllib.parse.urlparse(uri).query)["secret"][0]
        self.alert, self.used, self.sent, self.event_id, self.n = None, None, None, None, 0
        self.replies0 = 0

    def code(self, offset=0):
        return totp.code(self.secret, int(time.time()) // 30 + offset)

    def text(self, template):
        """The words to send, with {code}, {code:-3}, {code:spaced}, {code:dashed},
        {wrong}, {used} and {long:N} filled in."""
        if "{" in template and "code" in template or "{wrong}" in template:
            while int(time.time()) % 30 > 24:  # leave the code 5 s to be checked
                time.sleep(0.5)
        now = self.code()

        def fill(m):
            what = m.group(1)
            if what == "code":
                self.sent = now
                return now
            if what == "code:spaced":
                self.sent = now
                return now[:3] + " " + now[3:]
            if what == "code:dashed":
                self.sent = now
                return now[:3] + "-" + now[3:]
            if what.startswith("code:"):
                return self.code(int(what[5:]))
            if what == "wrong":
                near = {self.code(d) for d in (-1, 0, 1)}
                w = int(now)
                while "%06d" % w in near:
                    w = (w + 1) % 1000000
                return "%06d" % w
            if what == "used":
                return self.used or "000000"
            if what.startswith("long:"):
                return "x" * int(what[5:])
            return m.group(0)
        return unescape(re.sub(r"\{([a-z:0-9-]+)\}", fill, template).encode()).decode(
            "utf-8", "surrogateescape")

    def send(self, body, event_id):
        h = {"Content-Type": "application/x-www-form-urlencoded" if body.startswith(b"payload=")
             else "application/json"}
        ts = str(int(time.time()))
        h.update({"X-Slack-Request-Timestamp": ts, "X-Slack-Signature": sign(ts, body)})
        path = "/slack/interactive" if body.startswith(b"payload=") else "/slack/events"
        st, _ = http_send("POST", path, h, body)
        self.event_id = event_id
        if st == "200":
            wait_sql("SELECT count(*) FROM responses WHERE event_id = :'e'", "1", 15, e=event_id)
        return st

    def step(self, tok):
        name, _, arg = tok.partition(":")
        if name == "alert":
            self.n += 1
            self.alert = ctl("alert", "send", "--user", self.username, "--rule",
                             "bi-" + self.case.id, "--title", "Conversation " + self.case.id,
                             "--id", "bi-%s-%d" % (self.case.id, self.n)).strip()
            wait_sql("SELECT count(*) FROM alerts WHERE id = :'a' AND chat_ts IS NOT NULL", "1",
                     30, a=self.alert)
        elif name in ("confirm", "deny"):
            self.n += 1
            ts = "1800000001.%06d" % self.n
            body = ("payload=" + urllib.parse.quote_plus(
                click_payload(self.user, "sb_" + name, self.alert, ts))).encode()
            self.send(body, click_event_id(self.user, ts, "sb_" + name))
        elif name.startswith("say"):
            times = int(name[4:]) if name.startswith("say*") else 1
            self.replies0 = len(texts_to(self.user))
            for _ in range(times):
                self.n += 1
                ev = "Ev-bi-%s-%d" % (self.case.id, self.n)
                self.send(dm_body(ev, self.user, self.text(arg)), ev)
                if self.sent and status_of(self.alert) == "confirmed" and self.used is None:
                    self.used = self.sent
        elif name == "escalated":
            wait_sql("SELECT status FROM alerts WHERE id = :'a'", "escalated", 30, a=self.alert)
        else:
            raise ValueError("%s: unknown step %s" % (self.case.id, tok))

    def run(self):
        for tok in self.case.input:
            self.step(tok)
        return [effects(tok, self.alert, self.event_id, self.user, self.replies0)
                for tok in self.case.expect]


def cmd_conversation():
    people = conversation_employees()
    with concurrent.futures.ThreadPoolExecutor(max_workers=6) as pool:
        futures = [pool.submit(Conversation(c, u, uid).run) for c, u, uid in people]
        for (c, _, _), fut in zip(people, futures):
            try:
                got = fut.result()
            except Exception as e:  # a broken case is a failed case, not a broken run
                got = ["error:%s" % type(e).__name__, str(e)[:80]]
            report(c, got)


# ---- intake requests ----------------------------------------------------------

INTAKE_USER = "ingrid"  # an employee: her alerts queue behind one prompt
INTAKE_OCCURRED = "2026-11-29T10:00:00Z"
INTAKE_MAX_BODY = 1 << 20


def intake_alert(cid, n, extra=b""):
    """The n-th valid alert of an intake case (source badinput), with extra
    (raw JSON members, ',' first) before its closing brace."""
    return dumps({"source": "badinput", "rule": "bi-" + cid, "title": "intake %s #%d" % (cid, n),
                  "user": INTAKE_USER, "occurred_at": INTAKE_OCCURRED})[:-1] + extra + b"}"


def intake_template(cid, text):
    """body:TEXT: \\xHH a raw byte, {alert} a fresh valid alert, {alert+JSON}
    one with the members JSON added. Returns the body and its alerts, in order."""
    items = []

    def fill(m):
        items.append(intake_alert(cid, len(items), (b"," + m.group(1)) if m.group(1) else b""))
        return items[-1]
    return re.sub(rb"\{alert(?:\+([^}]*))?\}", fill, unescape(text.encode())), items


def intake_sized(cid, size):
    """An array of valid alerts (each under 64 KiB) of exactly size bytes."""
    n = -(-(size - 2) // 60001)
    room = size - 2 - (n - 1)  # the alerts' own bytes
    items = []
    for i in range(n):
        want = room // n + (1 if i < room % n else 0)
        empty = intake_alert(cid, i, b',"pad":""')
        items.append(intake_alert(cid, i, b',"pad":"' + b"x" * (want - len(empty)) + b'"'))
    body = b"[" + b",".join(items) + b"]"
    assert len(body) == size and all(len(a) <= 65536 for a in items)
    return body, items


def am_body(cid, n):
    """An Alertmanager webhook body (version 4) with n firing alerts for
    ingrid, and the alert ids the contract gives them (docs/alertmanager.md)."""
    seed = int(hashlib.sha256(cid.encode()).hexdigest()[:8], 16) << 32
    alerts, ids = [], []
    for i in range(n):
        fp = "%016x" % (seed + i)
        alerts.append({"status": "firing", "labels": {
            "alertname": "bi-" + cid, "user": INTAKE_USER, "severity": "warning", "n": str(i)},
            "annotations": {"summary": "intake %s #%d" % (cid, i)}, "startsAt": INTAKE_OCCURRED,
            "endsAt": "0001-01-01T00:00:00Z", "generatorURL": "http://prometheus.example/graph",
            "fingerprint": fp})
        ids.append(gen_alerts.alert_id({"source": "badinput",
                                        "id": fp + "@2026-11-29T10:00:00.000000Z"}))
    body = {"receiver": "securitybot", "status": "firing", "alerts": alerts,
            "groupLabels": {"alertname": "bi-" + cid}, "commonLabels": {}, "commonAnnotations": {},
            "externalURL": "http://alertmanager.example", "version": "4",
            "groupKey": "{}:{alertname=\"bi-%s\"}" % cid, "truncatedAlerts": 0}
    return dumps(body), ids


class IntakeRequest:
    """An intake request built from a case's input words."""

    def __init__(self, case):
        self.method, self.target, self.version = "POST", "/v1/alerts", "HTTP/1.1"
        self.ct, self.ct2, self.auth, self.auth2 = ["application/json"], None, "Bearer {token}", False
        self.chunked, self.cl, self.cl2, self.pad, self.repeat = False, None, None, 0, 1
        self.eof, self.body, self.items, self.am_ids = False, b"", [], None
        for tok in case.input:
            name, _, arg = tok.partition(":")
            if name == "body":
                self.body, self.items = intake_template(case.id, arg)
            elif name == "gen":
                kind, _, n = arg.partition(":")
                n = int(n)
                if kind in ("array", "ndjson"):
                    self.items = [intake_alert(case.id, i) for i in range(n)]
                    self.body = (b"[" + b",".join(self.items) + b"]" if kind == "array"
                                 else b"\n".join(self.items) + b"\n")
                elif kind == "size":
                    self.body, self.items = intake_sized(case.id, n)
                elif kind == "nest":
                    self.body = b"[" * n + b"]" * n
                elif kind == "open":
                    self.body = b"[" * n
                elif kind == "am":
                    self.body, self.am_ids = am_body(case.id, n)
                else:
                    raise ValueError("%s: unknown generator %s" % (case.id, arg))
            elif name == "ct":
                self.ct = [] if arg == "none" else [arg]
            elif name == "ct2":
                self.ct.append(arg)
            elif name == "auth":
                self.auth = None if arg == "none" else arg
            elif name == "auth2":
                self.auth2 = True
            elif name in ("path", "target"):
                self.target = arg
            elif name == "method":
                self.method = arg
            elif name == "version":
                self.version = arg
            elif name == "chunked":
                self.chunked = True
            elif name == "cl":
                self.cl = int(arg)
            elif name == "cl2":
                self.cl2 = int(arg)
            elif name == "pad":
                self.pad = int(arg)
            elif name == "repeat":
                self.repeat = int(arg)
            elif name == "eof":
                self.eof = True
            else:
                raise ValueError("%s: unknown input token %s" % (case.id, tok))

    def head(self):
        def fill(v):
            return v.replace("{token}", ENV["INTAKE_TOKEN"]).replace(
                "{other}", ENV["INTAKE_OTHER_TOKEN"])
        lines = ["%s %s %s" % (self.method, fill(self.target), self.version),
                 "Host: 127.0.0.1:%s" % ENV["GW_PORT"], "Connection: close"]
        if self.auth is not None:
            lines += ["Authorization: " + fill(self.auth)] * (2 if self.auth2 else 1)
        lines += ["Content-Type: " + t for t in self.ct]
        if self.chunked:
            lines.append("Transfer-Encoding: chunked")
        if not self.chunked or self.cl is not None:
            lines.append("Content-Length: %d" % (len(self.body) + (self.cl or 0)))
        if self.cl2 is not None:
            lines.append("Content-Length: %d" % (len(self.body) + self.cl2))
        if self.pad:
            lines.append("X-Pad: " + "p" * self.pad)
        return ("\r\n".join(lines) + "\r\n\r\n").encode()


def raw_http(head, body, chunked=False, method="POST", eof=False, timeout=30, port=None):
    """Sends a request byte for byte; (status, body) of the answer, status
    "000" when the connection closed without one. The body goes in 64 KiB
    pieces and stops as soon as an answer comes (a refusal on the headers);
    eof: then the client's end of stream (shutdown for writing)."""
    s = socket.create_connection(("127.0.0.1", int(port or ENV["GW_PORT"])), timeout=timeout)
    try:
        s.sendall(head)
        pieces = [body[i:i + 65536] for i in range(0, len(body), 65536)]
        if chunked:
            pieces = [b"%x\r\n" % len(p) + p + b"\r\n" for p in pieces] + [b"0\r\n\r\n"]
        if len(body) > 65536:  # an early answer to the headers, if any, comes now
            select.select([s], [], [], 0.3)
        for p in pieces:
            if select.select([s], [], [], 0)[0]:
                break
            try:
                s.sendall(p)
            except OSError:
                break
        if eof:
            s.shutdown(socket.SHUT_WR)
        r = http.client.HTTPResponse(s, method=method)
        r.begin()
        return str(r.status), r.read()
    except (http.client.HTTPException, OSError):
        return "000", b""
    finally:
        s.close()


def end_offsets(suffix, parts):
    """The sum of a topic's end offsets (what was ever published to it)."""
    args = ["kcat", "-Q", "-b", ENV["SECURITYBOT_KAFKA_BROKERS"]]
    for p in range(parts):
        args += ["-t", "%s:%d:-1" % (topic(suffix), p)]
    out = subprocess.run(args, check=True, capture_output=True, text=True).stdout
    return sum(int(x) for x in re.findall(r"offset (-?\d+)", out))


def partitions_of(suffix):
    out = subprocess.run(["kcat", "-L", "-b", ENV["SECURITYBOT_KAFKA_BROKERS"], "-t", topic(suffix)],
                         check=True, capture_output=True, text=True).stdout
    return len(re.findall(r"^\s+partition \d+", out, re.M))


def answer_json(body):
    try:
        d = json.loads(body)
        return d if isinstance(d, dict) else {}
    except ValueError:
        return {}


def intake_rows(ids, items, seconds):
    """rows:N as observed: how many of ids are a row of <prefix>alerts, and,
    when the request's alerts are known, whether each row's raw is its bytes."""
    if not all(re.fullmatch(r"[0-9a-f]{64}", i) for i in ids):
        return "rows:(an id is not 64 hex)"
    where = "src_topic = :'t' AND id IN (%s)" % (",".join("'%s'" % i for i in ids) or "NULL")
    wait_sql("SELECT count(*) FROM alerts WHERE " + where, str(len(ids)), seconds,
             t=topic("alerts"))
    raw = dict(sql("SELECT id, encode(convert_to(raw::text, 'UTF8'), 'hex') FROM alerts WHERE "
                   + where, t=topic("alerts")))
    got = "rows:%d" % len(raw)
    if items:
        if len(items) != len(ids):
            return got + "(%d ids for %d alerts)" % (len(ids), len(items))
        differ = sum(1 for i, a in zip(ids, items) if i in raw and raw[i] != a.hex())
        if differ:
            return got + "(raw differs: %d)" % differ
    return got


def cmd_intake():
    cases = load_cases("intake")
    parts = {s: partitions_of(s) for s in ("alerts", "alerts.dlq")}
    for c in cases:
        req = IntakeRequest(c)
        before = {s: end_offsets(s, n) for s, n in parts.items()}
        reasons0 = len(reason_lines())
        statuses, answers = [], []
        head = req.head()
        for _ in range(req.repeat):
            st, body = raw_http(head, req.body, req.chunked, req.method, req.eof)
            statuses.append(st)
            answers.append(answer_json(body))
        added = {s: end_offsets(s, n) - before[s] for s, n in parts.items()}
        last = answers[-1]
        ids = []
        for a in answers:
            ids += [i for i in a.get("ids", []) if isinstance(i, str) and i not in ids]
        if req.am_ids is not None and statuses[-1] == "200":
            ids = req.am_ids
        got = []
        for tok in c.expect:
            name, _, arg = tok.partition(":")
            if name == "http":
                got.append("http:" + ",".join(statuses))
            elif name == "published":
                got.append("published:%d" % added["alerts"] +
                           (",dlq:%d" % added["alerts.dlq"] if added["alerts.dlq"] else ""))
            elif name == "accepted":
                n = last.get("accepted")
                got.append("accepted:%s" % n if req.am_ids is not None or len(
                    last.get("ids", [])) == n else "accepted:%s(ids:%d)" % (n, len(last["ids"])))
            elif name == "rows":
                got.append(intake_rows(ids, req.items, 60 + len(ids) // 50))
            elif name == "error":
                got.append("error:%s" % last.get("error", "(none)"))
            elif name == "errors":
                errs = last.get("errors") or []
                got.append("errors:" + (",".join("%s/%s" % (e.get("index"), e.get("reason"))
                                                 for e in errs) or "(none)"))
            elif name == "reason":
                new = reason_lines()[reasons0:]
                got.append("reason:" + (arg if arg in new else ",".join(new) or "none"))
            else:
                got.append("unknown-token:" + tok)
        report(c, got)


# ---- console requests ---------------------------------------------------------

def console_request(case):
    """(head, body) of a console case: words method:M path:P (raw, sent as
    is), auth:viewer|responder|forged|none, cookie:VALUE, ct:TYPE|none,
    body:TEXT, gen:big:N (a JSON string body of N bytes)."""
    method, target, auth, ct, body, extra = "GET", "/", "none", None, b"", []
    for w in case.input:
        k, _, v = w.partition(":")
        if k == "method":
            method = v
        elif k == "path":
            target = v
        elif k == "auth":
            auth = v
        elif k == "cookie":
            extra.append("Cookie: " + v)
        elif k == "ct":
            ct = v
        elif k == "body":
            body = unescape(v.encode())
        elif k == "gen" and v.startswith("big:"):
            n = int(v[4:])
            body = b'{"verdict":"' + b"x" * max(0, n - 14) + b'"}'
    token = {"viewer": ENV.get("CONSOLE_VIEWER_TOKEN"), "responder": ENV.get("CONSOLE_RESPONDER_TOKEN"),
             "forged": "sbc_" + "A" * 43}.get(auth)
    lines = ["%s %s HTTP/1.1" % (method, target), "Host: 127.0.0.1", "Connection: close"]
    if token:
        lines.append("Authorization: Bearer " + token)
    if ct and ct != "none":
        lines.append("Content-Type: " + ct)
    if body or method in ("POST", "DELETE"):
        lines.append("Content-Length: %d" % len(body))
    head = ("\r\n".join(lines + extra) + "\r\n\r\n").encode()
    return head, body


def cmd_console():
    port = ENV["CONSOLE_PORT"]
    for c in load_cases("console"):
        head, body = console_request(c)
        method = head.split(b" ", 1)[0].decode()
        st, answer = raw_http(head, body, method=method, port=port)
        got = []
        for tok in c.expect:
            name, _, arg = tok.partition(":")
            if name == "http":
                got.append("http:" + st)
            elif name == "error":
                got.append("error:%s" % answer_json(answer).get("error", "(none)"))
            elif name == "leak":
                # the answer must not hold this text (a file's content, SQL output)
                got.append("leak:" + (arg if arg.encode() not in answer else "LEAKED"))
            else:
                got.append("unknown-token:" + tok)
        report(c, got)


# ---- nothing lost -------------------------------------------------------------

def cmd_accounting():
    """Every message on <prefix>alerts: a row, a dead letter, or a duplicate
    of a row (same alert id by the contract); anything else is lost."""
    rows = {(int(p), int(o)) for p, o in sql(
        "SELECT src_partition, src_offset FROM alerts WHERE src_topic = :'t'", t=topic("alerts"))}
    dls = {(int(p), int(o)) for p, o in sql(
        "SELECT src_partition, src_offset FROM dead_letters WHERE src_topic = :'t'",
        t=topic("alerts"))}
    ids = {r[0] for r in sql("SELECT id FROM alerts")}
    n = dup = lost = 0
    for p, o, k, v in topic_messages("alerts"):
        n += 1
        if (p, o) in rows or (p, o) in dls:
            continue
        try:
            a = json.loads(v)
            aid = gen_alerts.alert_id(a)
        except (ValueError, TypeError, KeyError):
            aid = None
        if aid in ids:
            dup += 1
        else:
            lost += 1
            print("# lost: partition %d offset %d" % (p, o), file=sys.stderr)
    print("messages=%d rows=%d dead_letters=%d duplicates=%d lost=%d"
          % (n, len(rows), len(dls), dup, lost))


def cmd_count():
    counts = {}
    for c in load_cases():
        counts[c.layer] = counts.get(c.layer, 0) + 1
    print(" ".join("%s=%d" % kv for kv in sorted(counts.items())), "total=%d" % sum(
        counts.values()))


def main():
    cmds = {"setup": cmd_setup, "alerts": cmd_alerts, "slack": cmd_slack,
            "conversation": cmd_conversation, "intake": cmd_intake, "console": cmd_console,
            "accounting": cmd_accounting,
            "count": cmd_count}
    if len(sys.argv) != 2 or sys.argv[1] not in cmds:
        sys.exit(__doc__)
    cmds[sys.argv[1]]()


if __name__ == "__main__":
    main()
