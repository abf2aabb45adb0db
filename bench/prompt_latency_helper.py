#!/usr/bin/env python3
"""prompt_latency_helper: the timed parts of bench/prompt-latency.

  fake-slack [OPTIONS]            runs tests/fakes/fake_slack.py with TCP_NODELAY
                                  (see fake_slack() below)
  fake-users EMPLOYEES.csv        the fake Slack's config: {"users": {email: chat id}}
  raw BROKERS TOPIC RATE SECONDS  the baseline: alert-sized messages produced with
                                  kcat -P at RATE/s, consumed with kcat -C; the
                                  latency of each is consume time - produce time
  phase NAME RATE SECONDS|@N FIRST_SEQ BROKERS TOPIC DBURL FAKE_CTL EMPLOYEES.csv
                                  publishes alerts at RATE/s (0: as fast as
                                  possible) for SECONDS (or @N alerts), the k-th
                                  to the k-th employee; waits until every prompt
                                  is recorded; latency of each = the fake's
                                  receive time of its chat.postMessage - the
                                  publication time; then closes every open
                                  conversation and resets the fake
  paired NAME RAWNAME RATE SECONDS ROUNDS FIRST_SEQ BROKERS TOPIC RAWTOPIC DBURL FAKE_CTL EMPLOYEES.csv
                                  ROUNDS alternations of the raw baseline
                                  (RAWTOPIC) and a phase, SECONDS/ROUNDS each;
                                  prints both pooled (NAME_*, RAWNAME_*) and
                                  each round's p99 ratio
  burst NAME N FIRST_SEQ PID BROKERS TOPIC DBURL FAKE_CTL EMPLOYEES.csv
                                  one sb-prompt replica alone on a backlog: with
                                  sb-prompt (PID) stopped (SIGSTOP by the caller),
                                  publishes N alerts to N employees and waits until
                                  sb-ingest queued them all; then SIGCONT and times
                                  until every prompt is recorded: prompts/s = N /
                                  (every chat_ts in PostgreSQL - SIGCONT)
  slack-raw N FAKE_CTL EMPLOYEES.csv PARALLEL
                                  the fake's own rate: N chat.postMessage of a
                                  prompt's size (blocks with two buttons) to N
                                  users, from curl --parallel, PARALLEL at once
  maxrate START STEP_S FIRST_SEQ BROKERS TOPIC DBURL FAKE_CTL EMPLOYEES.csv
                                  phases at fixed rates from START: up by 15%
                                  while sustained, down by 15% until sustained
                                  (at most 8 phases); reports the highest
                                  sustained one

Each command prints shell assignments (NAME_p50_ms=..., ...) on stdout and
its progress on stderr. A phase is "sustained" when every alert reached the
fake and the p99 latency stayed under SUSTAINED_P99_MS: a queue that grows
(a rate over capacity) pushes the late alerts' latency past it within a few
seconds. The publication time is also in each alert (details.published_at_us),
and its sequence number in its title ("Benchmark alert <seq>"), by which the
fake's calls are matched. Standard library only."""
import calendar
import csv
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
import urllib.request

sys.dont_write_bytecode = True  # no __pycache__ beside the imported modules
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from ingest_helper import Psql  # noqa: E402 (one psql session, one-line queries)

SUSTAINED_P99_MS = 500.0
LINE_BYTES = 1024
DRAIN_TIMEOUT_S = 120.0
SEQ_RE = re.compile(r"Benchmark alert (-?\d+)\b")
NONCE = f"{os.getpid():x}{int(time.time()):x}"
DESCRIPTION = ("Sign-in from an address that is not associated with any previous session; "
               "the request pattern matches a known credential stuffing campaign. Please "
               "confirm whether this was you.")


def say(msg):
    print(f"bench: {msg}", file=sys.stderr, flush=True)


def load_employees(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def fake_slack(argv):
    """Runs tests/fakes/fake_slack.py with its options argv and TCP_NODELAY
    on its connections. The fake sends a response's headers and its body in
    two writes: with Nagle's algorithm on, the body waits for the ACK of the
    headers, which the client delays (Linux: 40 ms), so each call on a
    kept-alive connection would take ~40 ms more than its work (a no-op
    where the fake sets disable_nagle_algorithm itself)."""
    sys.path.insert(0, os.path.join(os.path.dirname(HERE), "tests", "fakes"))
    import fake_slack as fake  # noqa: E402

    fake.Handler.disable_nagle_algorithm = True
    sys.argv = ["fake_slack.py"] + argv
    return fake.main()


def fake_users(emp_csv):
    users = {e["email"]: e["chat_user_id"] for e in load_employees(emp_csv)}
    print(json.dumps({"users": users}))


def alert_line(seq, user, t):
    """One alert naming user, published at t (epoch seconds): exactly
    LINE_BYTES with its newline. kcat -P reads its input 1024 bytes at a
    time and cuts messages out of what it read, so a line that ends inside
    a read waits for the next line (or EOF) before it is produced; padded
    to a multiple of 1024, each alert is produced the moment it is written."""
    a = {
        "source": "bench",
        "rule": "bench.latency",
        "title": f"Benchmark alert {seq}",
        "user": user,
        "occurred_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t)),
        "id": f"{NONCE}-{seq}",
        "description": DESCRIPTION,
        "severity": "medium",
        "details": {
            "bench_seq": seq,
            "published_at_us": int(t * 1e6),
            "ip": "203.0.113.7",
            "country": "PT",
            "user_agent": "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_2) Safari/605.1.15",
            "pad": "",
        },
    }
    short = len(json.dumps(a, separators=(",", ":")).encode()) + 1
    if short > LINE_BYTES:
        raise RuntimeError(f"an alert of {short} bytes does not fit in {LINE_BYTES}")
    a["details"]["pad"] = "x" * (LINE_BYTES - short)
    return json.dumps(a, separators=(",", ":")) + "\n"


class Publisher:
    """kcat -P on a pipe; send() records the time each line was handed over."""

    def __init__(self, brokers, topic):
        self.p = subprocess.Popen(["kcat", "-P", "-b", brokers, "-t", topic],
                                  stdin=subprocess.PIPE, text=True, bufsize=1)

    def send(self, make_line):
        t = time.time()
        self.p.stdin.write(make_line(t))
        self.p.stdin.flush()
        return t

    def paced(self, n, rate, make_line):
        """Sends n lines at rate/s (0: at once); returns their send times."""
        times = []
        start = time.monotonic()
        for k in range(n):
            if rate > 0:
                delay = start + k / rate - time.monotonic()
                if delay > 0:
                    time.sleep(delay)
            times.append(self.send(lambda t, k=k: make_line(k, t)))
        return times

    def close(self):
        self.p.stdin.close()
        if self.p.wait(timeout=30) != 0:
            raise RuntimeError("kcat -P failed")


def pct(sorted_ms, p):
    """Nearest-rank percentile of a sorted list."""
    if not sorted_ms:
        return float("nan")
    k = max(0, min(len(sorted_ms) - 1, int(-(-p * len(sorted_ms) // 100)) - 1))
    return sorted_ms[k]


def stats(name, lat_ms, extra):
    s = sorted(lat_ms)
    out = {"n": len(s), "p50_ms": f"{pct(s, 50):.1f}", "p99_ms": f"{pct(s, 99):.1f}",
           "max_ms": f"{s[-1] if s else float('nan'):.1f}"}
    out.update(extra)
    for k, v in out.items():
        print(f"{name}_{k}={v}")


# ---------------------------------------------------------------- raw

def raw_latencies(brokers, topic, rate, seconds, base=0):
    """Kafka alone: produce -> consume of alert-sized messages, sequence
    numbers from base. Returns (latencies in ms, messages sent, rate)."""
    got = {}  # seq -> receive time
    # from the end: an earlier round's messages are not read again
    cons = subprocess.Popen(["kcat", "-C", "-u", "-q", "-b", brokers, "-t", topic,
                             "-o", "end", "-f", "%s\n"],
                            stdout=subprocess.PIPE, text=True, bufsize=1)

    def read():
        for line in cons.stdout:
            t = time.time()
            m = SEQ_RE.search(line)
            if m:
                got.setdefault(int(m.group(1)), t)

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    pub = Publisher(brokers, topic)
    try:
        # warm-up (negative sequence numbers): until the consumer sees one
        deadline = time.monotonic() + 60
        k = 0
        while not any(s < 0 for s in got) and time.monotonic() < deadline:
            k += 1
            pub.send(lambda t, k=k: alert_line(-base - k, "warmup", t))
            time.sleep(0.2)
        if not any(s < 0 for s in got):
            raise RuntimeError("the raw consumer saw nothing within 60 s")
        n = int(rate * seconds)
        times = pub.paced(n, rate, lambda i, t: alert_line(base + i, "raw", t))
        pub.close()
        pub = None
        deadline = time.monotonic() + 30
        while sum(1 for i in range(n) if base + i in got) < n and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        if pub:
            pub.close()
        cons.terminate()
        cons.wait()
    lat = [1000 * (got[base + i] - times[i]) for i in range(n) if base + i in got]
    return lat, n, n / (times[-1] - times[0]) if n > 1 else 0.0


def raw(brokers, topic, rate, seconds):
    lat, n, r = raw_latencies(brokers, topic, rate, seconds)
    stats("raw", lat, {"sent": n, "rate": f"{r:.1f}"})


# ---------------------------------------------------------------- phases

def fake_get(ctl, what):
    with urllib.request.urlopen(f"{ctl}/{what}", timeout=60) as r:
        return json.load(r)


def fake_post(ctl, what, body):
    req = urllib.request.Request(f"{ctl}/{what}", data=json.dumps(body).encode(),
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=60) as r:
        return json.load(r)


SENT_SQL = "SELECT count(*) FROM alerts WHERE chat_ts IS NOT NULL;"


def wait_sent(db, base, n, every_s):
    """Waits (up to DRAIN_TIMEOUT_S) until sb-prompt recorded n prompts past base."""
    deadline = time.monotonic() + DRAIN_TIMEOUT_S
    while int(db.row(SENT_SQL)[0]) - base < n and time.monotonic() < deadline:
        time.sleep(every_s)


def posted(ctl):
    """(sequence number, receive time) of every benchmark prompt the fake accepted."""
    for c in fake_get(ctl, "calls")["calls"]:
        if c["method"] != "chat.postMessage" or not c["ok"]:
            continue
        m = SEQ_RE.search(json.dumps(c["args"]))
        if m:
            yield int(m.group(1)), c["time"]


def run_phase(name, rate, seconds, first_seq, brokers, topic, db, ctl, emps):
    """One phase; returns a dict of its results (latencies in ms)."""
    n = int(seconds[1:]) if seconds.startswith("@") else int(rate * float(seconds))
    if n > len(emps):
        raise RuntimeError(f"{name}: {n} alerts but only {len(emps)} employees "
                           "(each may have one alert per phase)")
    base = int(db.row(SENT_SQL)[0])
    pub = Publisher(brokers, topic)
    try:
        times = pub.paced(n, rate, lambda k, t: alert_line(
            first_seq + k, emps[k]["username"], t))
    finally:
        pub.close()
    pub_s = times[-1] - times[0] if n > 1 else 0.0
    # wait until sb-prompt recorded every prompt (a cheap count, 100 ms apart)
    wait_sent(db, base, n, 0.1)
    recv, dups = {}, 0
    for seq, t in posted(ctl):
        if seq in recv:
            dups += 1
        recv[seq] = min(recv.get(seq, t), t)
    violations = fake_get(ctl, "violations")["count"]
    stages = stage_times(db, first_seq, n)
    requested = requested_times(brokers, topic)
    # the next phase starts with nobody in a conversation and an empty fake
    db.row("WITH c AS (UPDATE alerts SET status = 'confirmed' WHERE status = 'prompted'"
           " RETURNING 1) SELECT count(*) FROM c;")
    fake_post(ctl, "reset", {})
    lat, last_recv = [], None
    for k in range(n):
        t = recv.get(first_seq + k)
        if t is not None:
            lat.append(1000 * (t - times[k]))
            last_recv = t if last_recv is None else max(last_recv, t)
    s = sorted(lat)
    first_recv = min(recv[first_seq + k] for k in range(n) if first_seq + k in recv) \
        if lat else None
    res = {
        "name": name, "sent": n, "received": len(lat), "duplicates": dups,
        "violations": violations, "rate_offered": rate,
        "rate_published": n / pub_s if pub_s > 0 else float("inf"),
        # received over the time from the first publication to the last receipt
        "rate_delivered": len(lat) / (last_recv - times[0]) if last_recv else 0.0,
        # received over the time from the first receipt to the last (a burst's drain)
        "rate_drain": (len(lat) - 1) / (last_recv - first_recv)
        if lat and last_recv > first_recv else 0.0,
        "p50": pct(s, 50), "p99": pct(s, 99), "max": s[-1] if s else float("nan"),
    }
    # where the time went: publication -> sb-ingest's insert (received_at)
    # -> sb-prompt's claim (prompted_at) -> the fake's receipt; the claim
    # stage split at the prompt request's requested_at (sb-ingest's clock
    # once the statement returned, just before it produced the request):
    # "record" = the statement and its commit, "hop" = the Kafka hop to
    # sb-prompt and its poll, up to the start of its claim
    parts = {"ingest": [], "claim": [], "record": [], "hop": [], "post": []}
    per_alert = []  # (total, ingest, record, hop, post) of alerts with all four
    for k in range(n):
        st, t = stages.get(first_seq + k), recv.get(first_seq + k)
        if st and t is not None and st[1] is not None:
            parts["ingest"].append(1000 * (st[0] - times[k]))
            parts["claim"].append(1000 * (st[1] - st[0]))
            parts["post"].append(1000 * (t - st[1]))
            req = requested.get(st[2])
            if req is not None:
                parts["record"].append(1000 * (req - st[0]))
                parts["hop"].append(1000 * (st[1] - req))
                per_alert.append((1000 * (t - times[k]), parts["ingest"][-1],
                                  parts["record"][-1], parts["hop"][-1], parts["post"][-1]))
    for part, v in parts.items():
        v.sort()
        res[f"stage_{part}"] = f"{pct(v, 50):.1f}/{pct(v, 99):.1f}"
    res["tail"] = tail_summary(per_alert)
    res["sustained"] = int(res["received"] == n and res["p99"] <= SUSTAINED_P99_MS)
    res["_lat"], res["_parts"], res["_tail"] = lat, parts, per_alert
    say(f"{name}: {n} alerts at {rate or 'max'}/s (published {res['rate_published']:.0f}/s): "
        f"{len(lat)} prompts, delivered {res['rate_delivered']:.0f}/s, "
        f"p50 {res['p50']:.1f} ms, p99 {res['p99']:.1f} ms, max {res['max']:.1f} ms; "
        f"stages p50/p99 ingest {res['stage_ingest']}, claim {res['stage_claim']} "
        f"(record {res['stage_record']}, hop {res['stage_hop']}), post {res['stage_post']}; "
        f"slowest 1% mean total/ingest/record/hop/post {res['tail']}"
        f"{'' if res['sustained'] else ' (not sustained)'}")
    return res


def tail_summary(per_alert):
    """The tail's own breakdown: the stages' p99s come from different
    alerts, so where the slowest 1% of alerts spent their time (the mean of
    each of total, ingest, record, hop, post) is said apart."""
    tail = sorted(per_alert, reverse=True)[:max(1, len(per_alert) // 100)]
    return "/".join(f"{sum(x[i] for x in tail) / len(tail):.1f}" for i in range(5)) \
        if tail else "-"


def stage_times(db, first_seq, n):
    """{seq: (received_at, prompted_at, alert id)} of a phase's alerts, epoch seconds."""
    row = db.row(
        "SELECT coalesce(string_agg(concat_ws(' ', details->>'bench_seq',"
        " extract(epoch FROM received_at), coalesce(extract(epoch FROM prompted_at), -1), id),"
        " ','), '') FROM alerts WHERE source = 'bench'"
        f" AND (details->>'bench_seq')::bigint BETWEEN {first_seq} AND {first_seq + n - 1};")
    out = {}
    for item in filter(None, row[0].split(",")):
        seq, rec, prom, aid = item.split()
        out[int(seq)] = (float(rec), float(prom) if float(prom) >= 0 else None, aid)
    return out


def requested_times(brokers, alerts_topic):
    """{alert id: requested_at, epoch seconds} of every prompt request on
    <prefix>prompts so far (the first, should one repeat)."""
    topic = alerts_topic[: -len("alerts")] + "prompts"
    out = subprocess.run(["kcat", "-C", "-q", "-e", "-b", brokers, "-t", topic, "-o", "beginning",
                          "-f", "%s\n"], capture_output=True, text=True, timeout=120).stdout
    req = {}
    for line in out.splitlines():
        try:
            m = json.loads(line)
            t = m["requested_at"]
        except (ValueError, KeyError):
            continue
        # RFC 3339 in UTC with microseconds: 2026-11-29T12:00:02.123456Z
        sec, _, frac = t.rstrip("Z").partition(".")
        epoch = calendar.timegm(time.strptime(sec, "%Y-%m-%dT%H:%M:%S")) + float("0." + (frac or "0"))
        req.setdefault(m["alert_id"], epoch)
    return req


def print_phase(prefix, r):
    for k in ("stage_ingest", "stage_claim", "stage_record", "stage_hop", "stage_post", "tail"):
        print(f"{prefix}_{k}={r[k]}")
    for k in ("sent", "received", "duplicates", "violations", "sustained", "rate_offered"):
        print(f"{prefix}_{k}={r[k]}")
    for k in ("rate_published", "rate_delivered", "rate_drain"):
        print(f"{prefix}_{k}={r[k]:.1f}")
    for k in ("p50", "p99", "max"):
        print(f"{prefix}_{k}_ms={r[k]:.1f}")


def phase(name, rate, seconds, first_seq, brokers, topic, url, ctl, emp_csv):
    db = Psql(url)
    try:
        r = run_phase(name, float(rate), seconds, int(first_seq), brokers, topic, db, ctl,
                      load_employees(emp_csv))
    finally:
        db.close()
    print_phase(name, r)


def pooled(name, rounds):
    """One result from several rounds' results: the latencies and stages
    pooled (the percentiles of every alert of every round), the counts
    summed, the rates averaged."""
    lat = sorted(x for r in rounds for x in r["_lat"])
    res = {"name": name, "rate_offered": rounds[0]["rate_offered"],
           "p50": pct(lat, 50), "p99": pct(lat, 99), "max": lat[-1] if lat else float("nan"),
           "sustained": int(all(r["sustained"] for r in rounds))}
    for k in ("sent", "received", "duplicates", "violations"):
        res[k] = sum(r[k] for r in rounds)
    for k in ("rate_published", "rate_delivered", "rate_drain"):
        res[k] = sum(r[k] for r in rounds) / len(rounds)
    for part in rounds[0]["_parts"]:
        v = sorted(x for r in rounds for x in r["_parts"][part])
        res[f"stage_{part}"] = f"{pct(v, 50):.1f}/{pct(v, 99):.1f}"
    res["tail"] = tail_summary([x for r in rounds for x in r["_tail"]])
    return res


def paired(name, raw_name, rate, seconds, nrounds, first_seq, brokers, topic, raw_topic, url,
           ctl, emp_csv):
    """ROUNDS rounds of (raw baseline, then the pipeline), each SECONDS/ROUNDS
    long at RATE: both see the same stretches of the machine's load, where
    one raw run followed by one pipeline run can give a quiet stretch to
    one and a busy one to the other (the ratio then swung 1.7x-6.5x from
    run to run on the 2-core machine). Prints both, pooled, and each
    round's p99 ratio."""
    emps = load_employees(emp_csv)
    rate, nrounds, first_seq = float(rate), int(nrounds), int(first_seq)
    n = int(rate * float(seconds) / nrounds)
    if n * nrounds > len(emps):
        raise RuntimeError(f"{name}: {n * nrounds} alerts but only {len(emps)} employees")
    db = Psql(url)
    rounds, raw_lat, raw_sent, raw_rates, ratios = [], [], 0, [], []
    try:
        for r in range(nrounds):
            say(f"{name}: round {r + 1} of {nrounds}: raw Kafka, then the pipeline, "
                f"{n} messages each at {rate:.0f}/s")
            lat, sent, rr = raw_latencies(brokers, raw_topic, rate, n / rate,
                                          base=(r + 1) * 10_000_000)
            raw_lat += lat
            raw_sent += sent
            raw_rates.append(rr)
            res = run_phase(f"{name}{r + 1}", rate, f"@{n}", first_seq + r * n, brokers, topic,
                            db, ctl, emps[r * n:])
            rounds.append(res)
            ratios.append(res["p99"] / pct(sorted(lat), 99) if lat else float("nan"))
    finally:
        db.close()
    print_phase(name, pooled(name, rounds))
    stats(raw_name, raw_lat, {"sent": raw_sent,
                              "rate": f"{sum(raw_rates) / len(raw_rates):.1f}"})
    print(f"{name}_rounds={nrounds}")
    print(f"{name}_round_ratios='{' '.join(f'{x:.1f}' for x in ratios)}'")


def maxrate(start, step_s, first_seq, brokers, topic, url, ctl, emp_csv):
    """Fixed-rate phases from start: up 15% while sustained, down 15%
    until sustained; at most 8. Prints the best (max_*) and every step."""
    emps = load_employees(emp_csv)
    db = Psql(url)
    rate, seq, best, steps, direction = float(start), int(first_seq), None, [], 0
    try:
        for i in range(8):
            rate = max(10.0, min(rate, len(emps) / float(step_s)))
            r = run_phase(f"step{i + 1}", round(rate), step_s, seq, brokers, topic, db, ctl,
                          emps)
            seq += r["sent"]
            steps.append(r)
            if r["sustained"]:
                if best is None or r["rate_offered"] > best["rate_offered"]:
                    best = r
                if direction < 0 or rate * 1.15 > len(emps) / float(step_s):
                    break  # the step above failed already, or no more employees
                direction, rate = 1, rate * 1.15
            else:
                if direction > 0:
                    break  # the step below was sustained
                direction, rate = -1, rate * 0.85
    finally:
        db.close()
    if best is None:
        best = dict(steps[-1], sustained=0)
    print_phase("max", best)
    summary = " ".join("%.0f:%.0f:%d" % (r["rate_offered"], r["p99"], r["sustained"])
                       for r in steps)
    print(f"max_steps='{summary}'")
    print(f"max_next_seq={seq}")


QUEUED_SQL = "SELECT count(*) FROM alerts WHERE source = 'bench' AND status = 'queued';"


def burst(name, n, first_seq, pid, brokers, topic, url, ctl, emp_csv):
    """sb-prompt alone on a backlog of n prompt requests (see the usage)."""
    n, first_seq, pid = int(n), int(first_seq), int(pid)
    emps = load_employees(emp_csv)
    if n > len(emps):
        raise RuntimeError(f"{name}: {n} alerts but only {len(emps)} employees")
    db = Psql(url)
    try:
        base = int(db.row(SENT_SQL)[0])
        pub = Publisher(brokers, topic)
        try:
            pub.paced(n, 0, lambda k, t: alert_line(first_seq + k, emps[k]["username"], t))
        finally:
            pub.close()
        deadline = time.monotonic() + DRAIN_TIMEOUT_S
        while int(db.row(QUEUED_SQL)[0]) < n and time.monotonic() < deadline:
            time.sleep(0.05)
        queued = int(db.row(QUEUED_SQL)[0])
        t0 = time.time()
        os.kill(pid, signal.SIGCONT)
        wait_sent(db, base, n, 0.02)
        recorded = time.time()
        posts, dups, seen, last = 0, 0, set(), None
        for seq, t in posted(ctl):
            dups += seq in seen
            seen.add(seq)
            posts += 1
            last = t if last is None else max(last, t)
        violations = fake_get(ctl, "violations")["count"]
        sent = int(db.row(SENT_SQL)[0]) - base
        db.row("WITH c AS (UPDATE alerts SET status = 'confirmed' WHERE status = 'prompted'"
               " RETURNING 1) SELECT count(*) FROM c;")
        fake_post(ctl, "reset", {})
    finally:
        db.close()
    rate = sent / (recorded - t0) if recorded > t0 else 0.0
    say(f"{name}: {n} prompt requests ({queued} alerts queued): {len(seen)} prompts, the last "
        f"{(last or t0) - t0:.2f} s after SIGCONT; {sent} recorded in {recorded - t0:.2f} s: "
        f"{rate:.0f} prompts/s; duplicates {dups}, violations {violations}")
    for k, v in (("n", n), ("queued", queued), ("prompts", len(seen)), ("recorded", sent),
                 ("duplicates", dups), ("violations", violations), ("rate", f"{rate:.0f}"),
                 ("seconds", f"{recorded - t0:.2f}")):
        print(f"{name}_{k}={v}")


def prompt_args(uid, k):
    """chat.postMessage arguments of a prompt's shape and size."""
    button = {"type": "button", "action_id": "sb_confirm", "value": "%064x" % k,
              "text": {"type": "plain_text", "text": "Yes, this was me"}}
    return {"channel": uid, "text": f"Benchmark alert {k}: " + DESCRIPTION,
            "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": DESCRIPTION}},
                       {"type": "section", "fields": [
                           {"type": "mrkdwn", "text": "*ip*\n203.0.113.7"},
                           {"type": "mrkdwn", "text": "*country*\nPT"}]},
                       {"type": "actions", "elements": [
                           button, dict(button, action_id="sb_deny", style="danger",
                                        text={"type": "plain_text",
                                              "text": "No, this wasn't me"})]}]}


def slack_raw(n, ctl, emp_csv, parallel):
    """The fake's own rate from a plain concurrent client (see the usage)."""
    n, emps = int(n), load_employees(emp_csv)
    api = ctl.rsplit("/_fake", 1)[0] + "/api/chat.postMessage"
    cfg = os.path.join(os.environ.get("TMPDIR", "/tmp"), f"slack-raw-{os.getpid()}.curl")
    with open(cfg, "w") as f:
        for k in range(n):
            body = json.dumps(prompt_args(emps[k % len(emps)]["chat_user_id"], k))
            f.write(f'{"next" if k else ""}\nurl = "{api}"\n'
                    f'header = "Authorization: Bearer xoxb-fake-token"\n'
                    f'header = "Content-Type: application/json; charset=utf-8"\n'
                    f'data = {json.dumps(body)}\noutput = "/dev/null"\n')
    t0 = time.time()
    try:
        subprocess.run(["curl", "-sS", "--no-progress-meter", "--parallel", "--parallel-max", str(parallel),
                        "-K", cfg], check=True, stdout=subprocess.DEVNULL)
    finally:
        os.unlink(cfg)
    elapsed = time.time() - t0
    ok = fake_get(ctl, "summary")["methods"].get("chat.postMessage", {}).get("ok", 0)
    fake_post(ctl, "reset", {})
    say(f"slack-raw: {ok} of {n} chat.postMessage in {elapsed:.2f} s, {parallel} at once: "
        f"{ok / elapsed:.0f}/s")
    print(f"slackraw_n={n}\nslackraw_ok={ok}\nslackraw_rate={ok / elapsed:.0f}")


def main(argv):
    if len(argv) >= 1 and argv[0] == "fake-slack":
        return fake_slack(argv[1:])
    if len(argv) == 2 and argv[0] == "fake-users":
        fake_users(argv[1])
    elif len(argv) == 5 and argv[0] == "raw":
        raw(argv[1], argv[2], float(argv[3]), float(argv[4]))
    elif len(argv) == 10 and argv[0] == "phase":
        phase(*argv[1:])
    elif len(argv) == 13 and argv[0] == "paired":
        paired(*argv[1:])
    elif len(argv) == 10 and argv[0] == "burst":
        burst(*argv[1:])
    elif len(argv) == 5 and argv[0] == "slack-raw":
        slack_raw(argv[1], argv[2], argv[3], int(argv[4]))
    elif len(argv) == 9 and argv[0] == "maxrate":
        maxrate(*argv[1:])
    else:
        sys.stderr.write(__doc__)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
