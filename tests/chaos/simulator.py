#!/usr/bin/env python3
"""simulator: the employees of a chaos run, answering in chat at random.

    simulator.py --fake-ctl URL --gateways PORT[,PORT] --employees employees.json
                 --secrets secrets.tsv --signing-secret-file F --seed S --out DIR

Watches what the fake Slack receives (GET /_fake/calls?since=N) and, for
each prompt (a chat.postMessage with the two buttons), decides once per
alert, at random but reproducibly from the seed and the alert id, what the
employee does:
  right   clicks "yes", then sends the right TOTP code when asked
  wrong   clicks "yes", then sends a wrong code, three times
  deny    clicks "no", and half the time adds a few words when asked
  silent  never answers
(an employee without a second factor who would send a code clicks "yes"
only: `confirm`). Answers go to sb-gateway as Slack sends them: signed
requests to /slack/interactive (clicks) and /slack/events (direct
messages), retried with the same event id until they are answered 200,
alternating between the gateways. One person does one thing at a time,
in order. A code is sent when the bot asks for it, or after a few seconds
if the request does not come (a chat outage may have eaten it).

Writes DIR/decisions.jsonl (one line per alert: id, user, intent, ...),
DIR/sim-status.json every second (pending work, for the conductor) and
DIR/sim-stats.json at SIGTERM. Standard library only.
"""
import argparse
import base64
import collections
import hashlib
import heapq
import hmac
import http.client
import itertools
import json
import os
import random
import signal
import struct
import sys
import threading
import time
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor

ASK_CODE = "Thanks! To make sure it's really you"
CODE_RETRY = "That code didn't work. "
ASK_WORDS = "reply with a few words"
FALLBACK_S = 4.0  # send the code anyway when the bot's request does not come
GIVE_UP_S = 300.0  # a request the gateways refuse this long is counted and dropped
COMMENTS = ("I was at lunch, it was not me", "I think my laptop was stolen",
            "I have never been to that country", "I did not log in at that time")


def totp(secret, step):
    mac = hmac.new(secret, struct.pack(">Q", step), hashlib.sha1).digest()
    off = mac[-1] & 0x0F
    return "%06d" % ((struct.unpack(">I", mac[off:off + 4])[0] & 0x7FFFFFFF) % 1000000)


def sign(secret, ts, body):
    base = b"v0:" + ts.encode() + b":" + body
    return "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()


class Alert:
    def __init__(self, aid, user, intent, rnd, prompt_ts):
        self.id, self.user, self.intent, self.rnd = aid, user, intent, rnd
        self.prompt_ts = prompt_ts
        self.codes = 0  # codes sent
        self.wrong = 0
        self.right_tries = 0
        self.comment = intent == "deny" and rnd.random() < 0.5
        self.comment_sent = False
        self.asked = False


class User:
    def __init__(self, uid, info, secret):
        self.uid, self.name, self.enrolled = uid, info["username"], info["enrolled"]
        self.secret = secret
        self.last_step = -1
        self.current = None  # the Alert of the latest prompt
        self.busy = False
        self.queue = collections.deque()


class Sim:
    def __init__(self, args):
        self.args = args
        self.lock = threading.Lock()
        self.wake = threading.Condition(self.lock)
        self.stop = threading.Event()
        self.heap, self.seq = [], itertools.count()
        self.users, self.by_channel, self.alerts = {}, {}, {}
        self.inflight = 0
        self.stats = collections.Counter()
        self.status = collections.Counter()
        self.ports = [int(p) for p in args.gateways.split(",")]
        self.signing = open(args.signing_secret_file).read().strip()
        self.pool = ThreadPoolExecutor(max_workers=args.threads)
        self.local = threading.local()
        self.n_event = itertools.count(1)
        self.weights = [int(x) for x in args.mix.split(",")]
        self.decisions = open(os.path.join(args.out, "decisions.jsonl"), "a", buffering=1)
        secrets = {}
        with open(args.secrets) as f:
            for line in f:
                name, _, uri = line.rstrip("\n").partition("\t")
                q = urllib.parse.parse_qs(urllib.parse.urlparse(uri).query)
                s = q["secret"][0]
                secrets[name] = base64.b32decode(s + "=" * (-len(s) % 8))
        with open(args.employees) as f:
            for uid, info in json.load(f).items():
                self.users[uid] = User(uid, info, secrets.get(info["username"]))
        self.next_call = 0

    # ---- scheduling: one action at a time per user, in order ----------------

    def at(self, delay, user, fn, *a):
        """Runs fn(*a) for user after delay seconds (called with the lock held)."""
        heapq.heappush(self.heap, (time.time() + delay, next(self.seq), user, fn, a))
        self.wake.notify()

    def scheduler(self):
        with self.lock:
            while not self.stop.is_set():
                now = time.time()
                while self.heap and self.heap[0][0] <= now:
                    _, _, user, fn, a = heapq.heappop(self.heap)
                    user.queue.append((fn, a))
                    self.kick(user)
                self.wake.wait(min(0.2, self.heap[0][0] - now) if self.heap else 0.2)

    def kick(self, user):
        if user.busy or not user.queue:
            return
        user.busy = True
        fn, a = user.queue.popleft()
        self.inflight += 1
        self.pool.submit(self.run_action, user, fn, a)

    def run_action(self, user, fn, a):
        try:
            fn(user, *a)
        except Exception as e:  # a bug here must not stall the person for good
            print("simulator: action failed: %r" % e, file=sys.stderr)
            self.stats["action_errors"] += 1
        with self.lock:
            user.busy = False
            self.inflight -= 1
            self.kick(user)

    # ---- Slack's side: signed requests, retried until 200 -------------------

    def conn(self, port):
        conns = getattr(self.local, "conns", None)
        if conns is None:
            conns = self.local.conns = {}
        if port not in conns:
            conns[port] = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        return conns[port]

    def post(self, path, body, ctype):
        """Sends until a gateway answers 200 (or GIVE_UP_S passes); True when delivered."""
        t0, delay, k = time.time(), 0.1, random.randrange(len(self.ports))
        while not self.stop.is_set():
            port = self.ports[k % len(self.ports)]
            ts = str(int(time.time()))
            headers = {"Content-Type": ctype, "X-Slack-Request-Timestamp": ts,
                       "X-Slack-Signature": sign(self.signing, ts, body)}
            if k:
                headers["X-Slack-Retry-Num"] = str(min(k, 3))
            c = self.conn(port)
            try:
                c.request("POST", path, body=body, headers=headers)
                r = c.getresponse()
                r.read()
                status = r.status
            except (OSError, http.client.HTTPException):
                c.close()
                status = 0
            with self.lock:
                self.status[str(status)] += 1
            if status == 200:
                return True
            if status in (400, 401, 413, 415):  # our mistake: never retried
                with self.lock:
                    self.stats["refused_%d" % status] += 1
                return False
            if time.time() - t0 > GIVE_UP_S:
                with self.lock:
                    self.stats["gave_up"] += 1
                return False
            with self.lock:
                self.stats["retries"] += 1
            k += 1
            time.sleep(delay)
            delay = min(delay * 2, 2.0)
        return False

    def click(self, user, alert, action):
        with self.lock:
            if alert is not user.current:
                return
        n = next(self.n_event)
        payload = {"type": "block_actions", "user": {"id": user.uid, "username": user.name},
                   "actions": [{"action_id": "sb_" + action, "block_id": "b1",
                                "value": alert.id, "type": "button",
                                "text": {"type": "plain_text", "text": action},
                                "action_ts": "%d.%06d" % (int(time.time()), n % 1000000)}]}
        body = ("payload=" + urllib.parse.quote_plus(json.dumps(payload))).encode()
        ok = self.post("/slack/interactive", body, "application/x-www-form-urlencoded")
        with self.lock:
            self.stats["clicks_" + action] += 1
            if ok and action == "confirm" and alert.intent in ("right", "wrong"):
                self.at(FALLBACK_S, user, self.code_fallback, alert, 0)

    def dm(self, user, text):
        n = next(self.n_event)
        body = json.dumps({
            "token": "unused", "team_id": "T1", "api_app_id": "A1", "type": "event_callback",
            "event_id": "EvChaos%d_%d" % (self.args.seed, n), "event_time": int(time.time()),
            "event": {"type": "message", "channel": "D0", "user": user.uid, "text": text,
                      "ts": "%d.%06d" % (int(time.time()), n % 1000000), "channel_type": "im"},
        }).encode()
        return self.post("/slack/events", body, "application/json")

    # ---- what a person does -------------------------------------------------

    def code_for(self, user, alert):
        """The code to send now (right or wrong per the intent), or None to wait."""
        step = int(time.time()) // 30
        if alert.intent == "wrong":
            near = {totp(user.secret, s) for s in range(step - 1, step + 3)}
            while True:
                c = "%06d" % alert.rnd.randrange(1000000)
                if c not in near:
                    return c
        s = self.free_step(user)
        if s is None:
            return None
        user.last_step = s
        return totp(user.secret, s)

    @staticmethod
    def free_step(user):
        """The oldest time step whose code sb-response would still accept and
        has not accepted yet (a code is good once: totp_last_step), or None."""
        now = time.time()
        step = int(now) // 30
        early = now % 30 < 10  # the previous step's code stays good for 20 s more
        for s in (step - 1, step, step + 1) if early else (step, step + 1):
            if s > user.last_step:
                return s
        return None

    def send_code(self, user, alert, round_):
        with self.lock:
            if alert is not user.current or alert.codes > round_:
                return  # moved on, or this round's code went out already
            code = self.code_for(user, alert)
            if code is None:  # both usable steps spent: wait for the next one
                self.stats["code_waits"] += 1
                self.at(30 - time.time() % 30 + 0.2, user, self.send_code, alert, round_)
                return
            alert.codes += 1
            if alert.intent == "wrong":
                alert.wrong += 1
            else:
                alert.right_tries += 1
            self.stats["codes_" + alert.intent] += 1
        ok = self.dm(user, code if alert.rnd.random() < 0.8 else code[:3] + " " + code[3:])
        with self.lock:
            if ok and alert.intent == "wrong" and alert.wrong < 3:
                self.at(FALLBACK_S, user, self.code_fallback, alert, alert.codes)

    def code_fallback(self, user, alert, round_):
        with self.lock:
            if alert is not user.current or alert.codes > round_:
                return
            self.stats["codes_unasked"] += 1
        self.send_code(user, alert, round_)

    def send_comment(self, user, alert):
        with self.lock:
            if alert.comment_sent:
                return
            alert.comment_sent = True
            self.stats["comments"] += 1
        self.dm(user, alert.rnd.choice(COMMENTS))

    def on_prompt(self, user, aid, ts):
        if aid in self.alerts:
            self.stats["prompts_repeated"] += 1
            return
        rnd = random.Random("%d:%s" % (self.args.seed, aid))
        intent = rnd.choices(("right", "wrong", "deny", "silent"), self.weights)[0]
        if intent in ("right", "wrong") and not (user.enrolled and user.secret):
            intent = "confirm"
        elif intent == "right" and self.free_step(user) is None:
            # one right code per 30 s step: this person's authenticator has no
            # fresh code before the conversation would time out
            self.stats["right_redrawn"] += 1
            intent = rnd.choices(("wrong", "deny", "silent"), self.weights[1:])[0]
        alert = self.alerts[aid] = Alert(aid, user, intent, rnd, ts)
        user.current = alert
        self.stats["prompts"] += 1
        self.stats["intent_" + intent] += 1
        self.decisions.write(json.dumps({"alert_id": aid, "user": user.uid, "intent": intent,
                                         "comment": alert.comment, "t": time.time()}) + "\n")
        if intent != "silent":
            action = "deny" if intent == "deny" else "confirm"
            self.at(rnd.uniform(0.1, 1.0), user, self.click, alert, action)

    def on_text(self, user, text):
        alert = user.current
        if alert is None or text.startswith("Reminder:"):
            return
        if text.startswith(ASK_CODE) and alert.intent in ("right", "wrong"):
            if not alert.asked:
                alert.asked = True
                self.at(alert.rnd.uniform(0.1, 0.8), user, self.send_code, alert, 0)
        elif text.startswith(CODE_RETRY) and alert.intent in ("right", "wrong"):
            if alert.intent == "right":
                self.stats["right_code_refused"] += 1
            if alert.intent == "wrong" and alert.wrong < 3 or \
                    alert.intent == "right" and alert.right_tries < 3:
                self.at(alert.rnd.uniform(0.1, 0.8), user, self.send_code, alert, alert.codes)
        elif ASK_WORDS in text and alert.intent == "deny" and alert.comment:
            self.at(alert.rnd.uniform(0.1, 0.8), user, self.send_comment, alert)

    # ---- watching the fake Slack --------------------------------------------

    def fetch(self, what):
        with urllib.request.urlopen(self.args.fake_ctl + "/" + what, timeout=30) as r:
            return json.load(r)

    def user_of(self, channel):
        uid = self.by_channel.get(channel)
        if uid is None and channel.startswith("D"):
            dms = self.fetch("dms")["dms"]
            self.by_channel.update({d: u for u, d in dms.items()})
            uid = self.by_channel.get(channel)
        if uid is None and channel in self.users:
            uid = channel
        return self.users.get(uid)

    def handle_call(self, c):
        if not c.get("ok") or c["method"] != "chat.postMessage":
            return
        args = c.get("args") or {}
        channel = args.get("channel", "")
        blocks = args.get("blocks")
        if isinstance(blocks, str):
            blocks = json.loads(blocks)
        user = None
        if blocks:
            for b in blocks:
                for e in b.get("elements", []) if b.get("type") == "actions" else []:
                    if e.get("action_id") == "sb_confirm":
                        user = self.user_of(channel)
                        if user is None:
                            self.stats["prompts_unknown_channel"] += 1
                            return
                        with self.lock:
                            self.on_prompt(user, e.get("value"), c.get("time"))
                        return
        text = args.get("text") or ""
        if channel.startswith("D"):
            user = self.user_of(channel)
            if user is not None:
                with self.lock:
                    self.on_text(user, text)

    def watch(self):
        while not self.stop.is_set():
            try:
                d = self.fetch("calls?since=%d&limit=2000&method=chat.postMessage" % self.next_call)
            except (OSError, ValueError) as e:
                print("simulator: fake Slack: %s" % e, file=sys.stderr)
                time.sleep(1)
                continue
            for c in d["calls"]:
                self.handle_call(c)
            full = d["next"] - self.next_call >= 2000
            self.next_call = d["next"]
            if not full:
                time.sleep(0.2)

    def report(self):
        path = os.path.join(self.args.out, "sim-status.json")
        while not self.stop.wait(1.0):
            with self.lock:
                st = {"pending": len(self.heap) + self.inflight, "calls_seen": self.next_call,
                      "prompts": self.stats["prompts"], "time": time.time()}
            with open(path + ".tmp", "w") as f:
                json.dump(st, f)
            os.replace(path + ".tmp", path)

    def write_stats(self):
        with self.lock:
            out = {"stats": dict(self.stats), "http_status": dict(self.status),
                   "pending": len(self.heap) + self.inflight, "seed": self.args.seed}
        with open(os.path.join(self.args.out, "sim-stats.json"), "w") as f:
            json.dump(out, f, indent=1)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--fake-ctl", required=True)
    ap.add_argument("--gateways", required=True)
    ap.add_argument("--employees", required=True)
    ap.add_argument("--secrets", required=True)
    ap.add_argument("--signing-secret-file", required=True)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--mix", default="40,10,30,20", help="right,wrong,deny,silent weights")
    ap.add_argument("--threads", type=int, default=24)
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    sim = Sim(args)
    signal.signal(signal.SIGTERM, lambda *_: sim.stop.set())
    signal.signal(signal.SIGINT, lambda *_: sim.stop.set())
    threads = [threading.Thread(target=f, daemon=True)
               for f in (sim.scheduler, sim.watch, sim.report)]
    for t in threads:
        t.start()
    sim.stop.wait()
    with sim.lock:
        sim.wake.notify()
    sim.write_stats()
    sim.pool.shutdown(wait=False, cancel_futures=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
