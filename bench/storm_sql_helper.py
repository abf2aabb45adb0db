#!/usr/bin/env python3
"""storm_sql_helper: the timed part of bench/storm-sql.

  run MODE BROKERS TOPIC DBURL FAKE_CTL EMPLOYEES.csv ALERTS RULES SECONDS STORM ANSWER_AFTER
      A warm-up alert (to the last employee of the file) until its question
      arrived, then ALERTS alerts in SECONDS, the k-th to employee k mod E
      (E: the file's employees but the last) on that employee's rule (one of
      RULES): each employee gets a storm of ALERTS/E alerts spread over
      STORM seconds, the storms' starts spread over the SECONDS. Meanwhile the employees answer: every question posted
      ANSWER_AFTER seconds ago is confirmed in PostgreSQL, with the alerts of
      its group (as sb-response would: the rows only, no messages), which
      frees the employee for their next question. Waits until every alert is
      decided (at most DRAIN_TIMEOUT_S), then counts the fake Slack's calls:
      questions (chat.postMessage with the buttons), chat.update, all
      calls; and per employee the time from the publication of their first
      alert to the fake's receipt of their first question.

Prints shell assignments MODE_questions=..., MODE_updates=..., on stdout,
progress on stderr. Standard library only."""
import json
import os
import sys
import threading
import time

sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from ingest_helper import Psql  # noqa: E402
from prompt_latency_helper import Publisher, fake_get, fake_post, load_employees  # noqa: E402

DRAIN_TIMEOUT_S = 300.0
NONCE = f"{os.getpid():x}{int(time.time()):x}"
LINE_BYTES = 1024

# $1 seconds: the questions the employees have answered by now, and their groups
ANSWER_SQL = """WITH l AS (SELECT id FROM alerts WHERE status = 'prompted' AND chat_ts IS NOT NULL
  AND prompted_at <= now() - interval '{s} seconds' ORDER BY id FOR UPDATE),
 m AS (UPDATE alerts SET status = 'confirmed', outcome = 'confirmed', decided_at = now(),
  version = version + 1 WHERE status = 'grouped' AND group_id IN (SELECT id FROM l) RETURNING 1),
 u AS (UPDATE alerts SET status = 'confirmed', outcome = 'confirmed', decided_at = now(),
  version = version + 1 WHERE id IN (SELECT id FROM l) RETURNING 1)
 SELECT (SELECT count(*) FROM u), (SELECT count(*) FROM m);"""


def say(msg):
    print(f"bench: {msg}", file=sys.stderr, flush=True)


def alert_line(seq, user, rule, t):
    """One alert of exactly LINE_BYTES with its newline (kcat -P produces it at once)."""
    a = {
        "source": "bench",
        "rule": rule,
        "title": f"Storm on {rule}, variant {seq % 3}",
        "user": user,
        "occurred_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t)),
        "id": f"{NONCE}-{seq}",
        "description": "A detector firing again and again for one employee.",
        "severity": "medium",
        "details": {"bench_seq": seq, "published_at_us": int(t * 1e6), "pad": ""},
    }
    short = len(json.dumps(a, separators=(",", ":")).encode()) + 1
    a["details"]["pad"] = "x" * (LINE_BYTES - short)
    return json.dumps(a, separators=(",", ":")) + "\n"


def pct(v, p):
    v = sorted(v)
    return v[min(len(v) - 1, max(0, int(round(p / 100.0 * len(v) + 0.5)) - 1))] if v else 0.0


def answerer(url, after_s, stop, counts):
    """Answers due questions every 200 ms; a failed statement (a deadlock
    with sb-prompt, say) is counted and the next round tries again."""
    db = Psql(url)
    while not stop.is_set():
        try:
            u, m = db.row(ANSWER_SQL.format(s=float(after_s)).replace("\n", " "))
            counts[0] += int(u)
            counts[1] += int(m)
        except (RuntimeError, ValueError) as e:
            counts[2] += 1
            say(f"answer: {e}")
            db = Psql(url)
        time.sleep(0.2)
    db.close()


def run(mode, brokers, topic, url, ctl, emp_csv, n, rules, seconds, storm, answer_after):
    n, rules, seconds, answer_after = int(n), int(rules), float(seconds), float(answer_after)
    storm = min(float(storm), seconds)
    emps = load_employees(emp_csv)
    warm, emps = emps[-1], emps[:-1]
    e = len(emps)
    db = Psql(url)
    pub = Publisher(brokers, topic)
    # the warm-up: every consumer group joined before the clock starts
    pub.send(lambda t: alert_line(-1, warm["username"], "storm.warmup", t))
    deadline = time.monotonic() + 120
    while int(db.row("SELECT count(*) FROM alerts WHERE chat_ts IS NOT NULL;")[0]) < 1:
        if time.monotonic() > deadline:
            raise RuntimeError("the warm-up's question never arrived")
        time.sleep(0.1)
    db.row("WITH u AS (UPDATE alerts SET status = 'confirmed', outcome = 'confirmed' RETURNING 1)"
           " SELECT count(*) FROM u;")
    fake_post(ctl, "reset", {})
    say(f"{mode}: {n} alerts for {e} employees over {rules} rules in {seconds:.0f} s; "
        f"storms of {storm:.0f} s; each question answered {answer_after:.0f} s after it was posted")
    stop, counts = threading.Event(), [0, 0, 0]
    th = threading.Thread(target=answerer, args=(url, answer_after, stop, counts), daemon=True)
    th.start()
    # employee i's storm starts at i/E of the run and lasts `storm` seconds
    plan = []
    for k in range(n):
        i, j, per = k % e, k // e, (n + e - 1) // e
        plan.append(((i / e) * (seconds - storm) + j * storm / per, k, i))
    plan.sort()
    first_pub = {}
    t0 = time.time()
    start = time.monotonic()
    for at, k, i in plan:
        delay = start + at - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        emp = emps[i]
        rule = f"storm.rule{i % rules}"
        t = pub.send(lambda t, k=k, emp=emp, rule=rule: alert_line(k, emp["username"], rule, t))
        first_pub.setdefault(emp["chat_user_id"], t)
    pub.close()
    published_s = time.time() - t0
    deadline = time.monotonic() + DRAIN_TIMEOUT_S
    decided = 0
    while time.monotonic() < deadline:
        decided = int(db.row("SELECT count(*) FROM alerts WHERE status = 'confirmed' AND source = 'bench'"
                             " AND rule LIKE 'storm.rule%';")[0])
        if decided >= n:
            break
        time.sleep(0.5)
    drain_s = time.time() - t0
    stop.set()
    th.join()
    calls = [c for c in fake_get(ctl, "calls")["calls"] if c["ok"]]
    questions = [c for c in calls if c["method"] == "chat.postMessage" and "sb_not_me" in json.dumps(c["args"])]
    updates = sum(1 for c in calls if c["method"] == "chat.update")
    first_q = {}
    for c in questions:
        u = c["args"].get("channel")
        first_q.setdefault(u, c["time"])
    lat = [first_q[u] - t for u, t in first_pub.items() if u in first_q]
    violations = len(fake_get(ctl, "violations").get("violations", []))
    db.close()
    say(f"{mode}: {decided}/{n} decided in {drain_s:.1f} s; {len(questions)} questions, "
        f"{updates} updates, {len(calls)} calls")
    print(f"{mode}_published_s={published_s:.1f}")
    print(f"{mode}_decided={decided}")
    print(f"{mode}_drain_s={drain_s:.1f}")
    print(f"{mode}_questions={len(questions)}")
    print(f"{mode}_updates={updates}")
    print(f"{mode}_calls={len(calls)}")
    print(f"{mode}_asked={len(lat)}")
    print(f"{mode}_p50_s={pct(lat, 50):.2f}")
    print(f"{mode}_p99_s={pct(lat, 99):.2f}")
    print(f"{mode}_max_s={max(lat) if lat else 0:.2f}")
    print(f"{mode}_answers={counts[0]}")
    print(f"{mode}_answer_errors={counts[2]}")
    print(f"{mode}_violations={violations}")


def main(argv):
    if len(argv) == 12 and argv[0] == "run":
        run(*argv[1:])
        return 0
    sys.stderr.write(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
