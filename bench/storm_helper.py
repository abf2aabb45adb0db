#!/usr/bin/env python3
"""storm_helper: the timed parts of bench/storm.

  employees E TMP                 TMP/emp.csv (E employees) and TMP/users.json
                                  (the fake Slack's config)
  storm N E R SECONDS SPREAD BROKERS TOPIC FIRSTS.json
                                  publishes N alerts for E employees over R rules
                                  in SECONDS: employee e's N/E alerts are one
                                  storm of rule e mod R, spread over SPREAD
                                  seconds from a random start (the same seed in
                                  every run); records when each employee's first
                                  alert was handed to kcat (FIRSTS.json)
  answer GW_PORT SECRET_FILE DBURL N TIMEOUT_S
                                  plays the employees: a signed "Yes" click on
                                  every question sb-prompt sent (an open
                                  conversation with chat_ts), through sb-gateway,
                                  until all N alerts are confirmed
  report FAKE_CTL FIRSTS.json     what the fake Slack received: questions (posts
                                  with the Yes button), chat.update calls, other
                                  calls, and per employee the time from their
                                  first alert to their first question
  table ALERTS ON.out OFF.out     the two runs side by side, ratios and verdicts

Each command prints shell assignments on stdout and progress on stderr.
Standard library only."""
import http.client
import json
import os
import random
import subprocess
import sys
import time
import urllib.request

sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from ingest_helper import Psql  # noqa: E402 (one psql session, one-line queries)
from deny_latency_helper import block_action, signed_click  # noqa: E402

LINE_BYTES = 1024  # see prompt_latency_helper.alert_line: kcat -P reads 1024 bytes at a time
COUNTRIES = ["BR", "AR", "CL", "PE", "CO", "UY", "PY", "BO", "EC", "VE"]
NONCE = f"{os.getpid():x}{int(time.time()):x}"
# one line (Psql reads one): "alert:user,alert:user..." of every open, sent question
OPEN_SQL = ("SELECT coalesce(string_agg(a.id || ':' || e.chat_user_id, ','), '') FROM alerts a"
            " JOIN employees e ON e.id = a.employee_id"
            " WHERE a.status = 'prompted' AND a.chat_ts IS NOT NULL;")
DONE_SQL = "SELECT count(*) FROM alerts WHERE status = 'confirmed';"


def say(msg):
    print(f"bench: {msg}", file=sys.stderr, flush=True)


def employees(n, tmp):
    n = int(n)
    with open(os.path.join(tmp, "emp.csv"), "w") as f:
        f.write("username,email,chat_user_id,aliases\n")
        for i in range(n):
            f.write("s%05d,s%05d@example.com,US%05d,\n" % (i, i, i))
    with open(os.path.join(tmp, "users.json"), "w") as f:
        json.dump({"users": {"s%05d@example.com" % i: "US%05d" % i for i in range(n)}}, f)


def alert_line(e, k, rule, t):
    """Employee e's k-th alert of the storm of rule, padded to LINE_BYTES."""
    country = COUNTRIES[k % len(COUNTRIES)]
    a = {"source": "bench", "rule": "storm.rule%d" % rule, "user": "s%05d" % e,
         "title": "SSH login from a new country (%s)" % country,
         "occurred_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t)),
         "id": "%s-%d-%d" % (NONCE, e, k), "severity": "medium",
         "details": {"published_at_us": int(t * 1e6), "country": country, "pad": ""}}
    short = len(json.dumps(a, separators=(",", ":")).encode()) + 1
    a["details"]["pad"] = "x" * (LINE_BYTES - short)
    return json.dumps(a, separators=(",", ":")) + "\n"


def storm(n, e, r, seconds, spread, brokers, topic, firsts_path):
    n, e, r = int(n), int(e), int(r)
    seconds, spread = float(seconds), float(spread)
    per = n // e
    if per * e != n or per < 1:
        sys.exit("storm: the alerts (%d) must be a multiple of the employees (%d)" % (n, e))
    rng = random.Random(17)  # the same storm in both runs
    plan = []
    for emp in range(e):
        start = rng.uniform(0, max(seconds - spread, 0))
        for k in range(per):
            plan.append((start + (spread * k / (per - 1) if per > 1 else 0), emp, k))
    plan.sort()
    p = subprocess.Popen(["kcat", "-P", "-b", brokers, "-t", topic], stdin=subprocess.PIPE,
                         text=True, bufsize=1)
    firsts = {}
    t0 = time.time()
    for off, emp, k in plan:
        wait = t0 + off - time.time()
        if wait > 0:
            time.sleep(wait)
        t = time.time()
        p.stdin.write(alert_line(emp, k, emp % r, t))
        p.stdin.flush()
        firsts.setdefault("US%05d" % emp, t)
    took = time.time() - t0
    p.stdin.close()
    if p.wait() != 0:
        sys.exit("storm: kcat -P failed")
    with open(firsts_path, "w") as f:
        json.dump(firsts, f)
    print("storm_sent=%d storm_seconds=%.1f" % (len(plan), took))


def answer(gw_port, secret_file, dburl, n, timeout_s):
    n, deadline = int(n), time.monotonic() + float(timeout_s)
    secret = open(secret_file).read().strip().encode()
    db = Psql(dburl)
    conn = http.client.HTTPConnection("127.0.0.1", int(gw_port), timeout=10)
    clicked, t0 = set(), time.time()
    while int(db.row(DONE_SQL)[0]) < n:
        if time.monotonic() > deadline:
            sys.exit("answer: %s of %d alerts confirmed after %s s" % (db.row(DONE_SQL)[0], n,
                                                                       timeout_s))
        line = db.row(OPEN_SQL)[0]
        fresh = [p.split(":") for p in line.split(",") if p and p.split(":")[0] not in clicked]
        for alert, user in fresh:
            signed_click(conn, secret, block_action(user, "sb_confirm", "Yes", alert, len(clicked)))
            clicked.add(alert)
        if not fresh:
            time.sleep(0.05)
    print("answer_clicks=%d answer_seconds=%.1f" % (len(clicked), time.time() - t0))


def fake_calls(ctl):
    with urllib.request.urlopen(ctl + "/calls", timeout=60) as r:
        return json.load(r)["calls"]


def pct(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(p / 100.0 * (len(xs) - 1))))] if xs else float("nan")


def report(ctl, firsts_path):
    """Questions are posts with the Yes button; a chat.update that still
    carries it updates an open question (the count), one without it is
    the answer shown in place of the buttons; the rest are the replies."""
    firsts = json.load(open(firsts_path))
    questions = updates = answer_calls = violations = 0
    asked = {}
    for c in fake_calls(ctl):
        violations += "violation" in c
        buttons = c["ok"] and "sb_confirm" in json.dumps(c["args"])
        if c["method"] == "chat.postMessage" and buttons:
            questions += 1
            user = (c["args"] or {}).get("channel")
            if user in firsts and user not in asked:
                asked[user] = c["time"]
        elif c["method"] == "chat.update" and buttons:
            updates += 1
        else:
            answer_calls += 1
    waits = [(asked[u] - t) * 1000 for u, t in firsts.items() if u in asked]
    print("questions=%d updates=%d answer_calls=%d calls=%d violations=%d asked=%d employees=%d"
          % (questions, updates, answer_calls, questions + updates + answer_calls, violations,
             len(asked), len(firsts)))
    print("ask_p50_ms=%.0f ask_p99_ms=%.0f ask_max_ms=%.0f"
          % (pct(waits, 50), pct(waits, 99), max(waits) if waits else float("nan")))


def table(alerts, on_path, off_path):
    alerts = int(alerts)

    def load(path):
        d = {}
        for tok in open(path).read().split():
            if "=" in tok:
                k, v = tok.split("=", 1)
                d[k] = v
        return d

    on, off = load(on_path), load(off_path)
    row = "%-44s %11s %11s"
    print(row % ("", "coalescing", "coalescing"))
    print(row % ("", "on", "off"))
    on["asking"] = str(int(on["questions"]) + int(on["updates"]))
    off["asking"] = str(int(off["questions"]) + int(off["updates"]))
    for key, label in (("questions", "questions sent (chat.postMessage)"),
                       ("updates", "question updates (chat.update)"),
                       ("asking", "chat calls to ask (the two above)"),
                       ("answer_calls", "chat calls to answer (reply, buttons off)"),
                       ("calls", "chat API calls, all"),
                       ("answer_clicks", "answers needed (Yes clicks)"),
                       ("ask_p50_ms", "first alert -> question p50 ms"),
                       ("ask_p99_ms", "first alert -> question p99 ms"),
                       ("ask_max_ms", "first alert -> question max ms"),
                       ("asked", "employees asked"), ("violations", "fake Slack violations"),
                       ("storm_seconds", "storm published in s"),
                       ("answer_seconds", "answering took s")):
        print(row % (label, on.get(key, "-"), off.get(key, "-")))

    def per(key):
        return "%11.1f %11.1f" % (alerts / int(on[key]), alerts / int(off[key]))
    print("%-44s %s" % ("alerts per question", per("questions")))
    print("%-44s %s" % ("alerts per chat call to ask", per("asking")))
    print("%-44s %s" % ("alerts per chat call, all", per("calls")))
    print("%-44s %11.1f" % ("chat calls, all: off / on", int(off["calls"]) / int(on["calls"])))

    def verdict(ok):
        return "PASS" if ok else "MISS"
    print("target >= 5x fewer questions than alerts            %s"
          % verdict(alerts >= 5 * int(on["questions"])))
    print("target >= 5x fewer chat calls to ask than alerts     %s"
          % verdict(alerts >= 5 * int(on["asking"])))
    print("target >= 5x fewer chat calls (all) than alerts      %s"
          % verdict(alerts >= 5 * int(on["calls"])))
    print("target p99 first alert -> question <= 5 s            %s"
          % verdict(float(on["ask_p99_ms"]) <= 5000))


if __name__ == "__main__":
    cmds = {"employees": employees, "storm": storm, "answer": answer, "report": report,
            "table": table}
    if len(sys.argv) < 2 or sys.argv[1] not in cmds:
        sys.exit(__doc__)
    cmds[sys.argv[1]](*sys.argv[2:])
