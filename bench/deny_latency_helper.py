#!/usr/bin/env python3
"""deny_latency_helper.py: the Python half of bench/deny-latency.

    deny_latency_helper.py employees N DIR
        N employees (DIR/emp.csv) and the fake Slack's directory of them
        (DIR/users.json)
    deny_latency_helper.py clicks PORT SECRET_FILE TARGETS RATE
        one signed "No" click per line (alert|chat user) of TARGETS, sent to
        sb-gateway's /slack/interactive on PORT at RATE per second; prints
        alert TAB send time (ms) for each
    deny_latency_helper.py sockclicks FAKE_CTL TARGETS RATE
        each No click as an interactive envelope on the Socket Mode connection
    deny_latency_helper.py table RAW OUT...
        --platform all's table from the raw baseline and each run's output
    deny_latency_helper.py mmclicks PORT FAKE_CTL TARGETS RATE
        the same as Mattermost's requests to /mattermost/actions: for each
        alert, the context of its post's No button (from the fake's posts)
    deny_latency_helper.py report CLICKS ESCALATIONS RAW N RATE [PLATFORM]
        the latency table: CLICKS from `clicks`, ESCALATIONS (key TAB Kafka
        timestamp ms) from the escalations topic, RAW the raw baseline
"""
import hashlib
import hmac
import http.client
import json
import os
import re
import sys
import time
import urllib.parse
import urllib.request


def employees(n, tmp):
    n = int(n)
    with open(tmp + "/emp.csv", "w") as f:
        f.write("username,email,chat_user_id,aliases\n")
        for i in range(n):
            f.write("d%05d,d%05d@example.com,UD%05d,\n" % (i, i, i))
    with open(tmp + "/users.json", "w") as f:
        json.dump({"users": {"d%05d@example.com" % i: "UD%05d" % i for i in range(n)},
                   "channels": ["CSEC"]}, f)  # the fake Slack and the fake Mattermost alike


def block_action(user, action_id, label, alert, i):
    """The interactive payload of user's click on a prompt's button."""
    return {"type": "block_actions", "user": {"id": user, "username": user},
            "actions": [{"action_id": action_id, "block_id": "b", "value": alert,
                         "type": "button", "text": {"type": "plain_text", "text": label},
                         "action_ts": "%.6f" % (1800000000 + i)}]}


def signed_click(conn, secret, payload):
    """POSTs payload to sb-gateway's /slack/interactive on conn, signed with
    secret (bytes) as Slack signs it; exits unless answered 200."""
    body = ("payload=" + urllib.parse.quote_plus(json.dumps(payload))).encode()
    ts = str(int(time.time()))
    sig = "v0=" + hmac.new(secret, b"v0:" + ts.encode() + b":" + body, hashlib.sha256).hexdigest()
    conn.request("POST", "/slack/interactive", body=body, headers={
        "Content-Type": "application/x-www-form-urlencoded",
        "X-Slack-Request-Timestamp": ts, "X-Slack-Signature": sig})
    r = conn.getresponse()
    r.read()
    if r.status != 200:
        sys.exit("click answered %d" % r.status)


def clicks(port, secret_file, targets, rate):
    port, rate = int(port), float(rate)
    secret = open(secret_file).read().strip().encode()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    start = time.time()
    for i, line in enumerate(open(targets)):
        alert, user = line.strip().split("|")
        wait = start + i / rate - time.time()
        if wait > 0:
            time.sleep(wait)
        t = time.time()
        signed_click(conn, secret, block_action(user, "sb_deny", "No", alert, i))
        print("%s\t%.3f" % (alert, t * 1000))


def sockclicks(ctl, targets, rate):
    """Each No click as the interactive envelope Slack sends on the
    gateway's Socket Mode connection (the fake's /_fake/socket/send); the
    time is taken before the fake is asked to send it."""
    rate = float(rate)
    u = urllib.parse.urlsplit(ctl)
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=10)
    start = time.time()
    for i, line in enumerate(open(targets)):
        alert, user = line.strip().split("|")
        payload = block_action(user, "sb_deny", "No", alert, i)
        body = json.dumps({"type": "interactive", "payload": payload}).encode()
        wait = start + i / rate - time.time()
        if wait > 0:
            time.sleep(wait)
        t = time.time()
        conn.request("POST", u.path + "/socket/send", body=body,
                     headers={"Content-Type": "application/json"})
        r = conn.getresponse()
        r.read()
        if r.status != 200:
            sys.exit("the fake's socket/send answered %d" % r.status)
        print("%s\t%.3f" % (alert, t * 1000))


def table(raw_file, *outs):
    """The three runs of --platform all side by side."""
    raw = dict(l.strip().split("=", 1) for l in open(raw_file) if "=" in l)
    print("\ndeny latency, every platform in one run (click -> escalation, ms)")
    print("%-26s %9s %9s %9s %12s %8s" % ("", "p50", "p99", "max", "escalations", "target"))
    print("%-26s %9.1f %9.1f %9s %12s" % ("raw Kafka (the baseline)", float(raw["raw_p50_ms"]),
                                         float(raw["raw_p99_ms"]), raw["raw_max_ms"], raw["raw_n"]))
    names = {"slack": "Slack events (HTTP)", "socket": "Slack Socket Mode", "mattermost": "Mattermost"}
    for out in outs:
        platform = os.path.basename(out).split(".")[0]
        text = open(out).read()
        m = re.search(r"click -> escalation\s+([\d.na]+)\s+([\d.na]+)\s+([\d.na]+)\s+(\d+/\d+)", text)
        verdict = re.search(r"target p99 < 1000 ms\s+(\w+)", text)
        if not m:
            print("%-26s %s" % (names.get(platform, platform), "(no result)"))
            continue
        print("%-26s %9s %9s %9s %12s %8s" % (names.get(platform, platform), m.group(1), m.group(2),
                                             m.group(3), m.group(4), verdict.group(1) if verdict else "?"))


def mmclicks(port, ctl, targets, rate):
    port, rate = int(port), float(rate)
    with urllib.request.urlopen(ctl + "/posts", timeout=30) as r:
        posts = json.load(r)["posts"]
    deny = {}  # alert id -> (post, the No button's context)
    for p in posts:
        for a in p["props"].get("attachments") or []:
            for act in a.get("actions") or []:
                ctx = act["integration"]["context"]
                if ctx.get("action") == "deny":
                    deny[ctx["alert_id"]] = (p, ctx)
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    start = time.time()
    for i, line in enumerate(open(targets)):
        alert, user = line.strip().split("|")
        post, ctx = deny[alert]
        body = json.dumps({"user_id": user, "user_name": user, "channel_id": post["channel_id"],
                           "channel_name": "", "team_id": "", "team_domain": "",
                           "post_id": post["id"], "trigger_id": "bench%d" % i, "type": "button",
                           "data_source": "", "context": ctx}).encode()
        wait = start + i / rate - time.time()
        if wait > 0:
            time.sleep(wait)
        t = time.time()
        conn.request("POST", "/mattermost/actions", body=body,
                     headers={"Content-Type": "application/json"})
        r = conn.getresponse()
        r.read()
        if r.status != 200:
            sys.exit("click answered %d" % r.status)
        print("%s\t%.3f" % (alert, t * 1000))


def report(clicks_file, esc_file, raw_file, n, rate, platform="slack"):
    clicks = dict(l.strip().split("\t") for l in open(clicks_file) if l.strip())
    esc = {}
    for l in open(esc_file):
        if l.strip():
            k, t = l.strip().split("\t")
            esc.setdefault(k, float(t))
    raw = dict(l.strip().split("=", 1) for l in open(raw_file) if "=" in l)
    n = int(n)
    lat = sorted(esc[a] - float(c) for a, c in clicks.items() if a in esc)

    def pct(p):
        return lat[min(len(lat) - 1, int(round(p / 100 * (len(lat) - 1))))] if lat else float("nan")
    p50, p99 = pct(50), pct(99)
    rp50, rp99 = float(raw["raw_p50_ms"]), float(raw["raw_p99_ms"])
    print("\ndeny latency (%s): the No click -> the escalation on the escalations topic" % platform)
    print("%-34s %9s %9s %9s" % ("", "p50 ms", "p99 ms", "max ms"))
    print("%-34s %9.1f %9.1f %9s   %s messages at %s/s" % ("raw Kafka produce -> consume", rp50, rp99,
                                                          raw["raw_max_ms"], raw["raw_n"], raw["raw_rate"]))
    print("%-34s %9.1f %9.1f %9.1f   %d/%d escalations, clicks at %s/s" % (
        "click -> escalation", p50, p99, lat[-1] if lat else float("nan"), len(lat), n, rate))
    print("ratio to raw                       p50 %.1f, p99 %.1f" % (p50 / rp50, p99 / rp99))
    print("target p99 < 1000 ms               %s" % ("PASS" if len(lat) == n and p99 < 1000 else "MISS"))


if __name__ == "__main__":
    cmds = {"employees": employees, "clicks": clicks, "mmclicks": mmclicks,
            "sockclicks": sockclicks, "table": table, "report": report}
    if len(sys.argv) < 2 or sys.argv[1] not in cmds:
        sys.exit(__doc__)
    cmds[sys.argv[1]](*sys.argv[2:])
