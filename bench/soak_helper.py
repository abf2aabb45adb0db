#!/usr/bin/env python3
"""soak_helper.py: the load and the measurements of bench/soak (which makes
the sandbox and starts the workers).

    soak_helper.py --minutes M --rate R --dir DIR --url URL --brokers B
                   --prefix P --employees N NAME=PID...

publishes R alerts/s to P+alerts for M minutes, to N employees s00000...,
answers about two thirds of the prompts "yes" as they appear, samples VmRSS
of each worker (NAME=PID) every 15 s and prints the table bench/soak
describes. Exits non-zero when a worker dies. Standard library only; psql
and kcat are the clients.
"""
import argparse
import json
import random
import subprocess
import sys
import time
from datetime import datetime, timezone


def rss_kib(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def alive(pid):
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--minutes", type=float, required=True)
    ap.add_argument("--rate", type=int, required=True)
    ap.add_argument("--dir", required=True)
    ap.add_argument("--url", required=True)
    ap.add_argument("--brokers", required=True)
    ap.add_argument("--prefix", required=True)
    ap.add_argument("--employees", type=int, required=True)
    ap.add_argument("workers", nargs="+", metavar="NAME=PID")
    opts = ap.parse_args()
    procs = {w: int(p) for w, p in (a.split("=", 1) for a in opts.workers)}
    workers = list(procs)
    tmp, url, brokers, prefix = opts.dir, opts.url, opts.brokers, opts.prefix

    def psql(q):
        return subprocess.run(["psql", "-X", "-q", "-At", url, "-c", q], check=True, text=True,
                              capture_output=True).stdout

    producer = subprocess.Popen(["kcat", "-P", "-b", brokers, "-t", prefix + "alerts"],
                                stdin=subprocess.PIPE, text=True)
    answers = subprocess.Popen(["kcat", "-P", "-b", brokers, "-t", prefix + "responses",
                                "-K", "\t"], stdin=subprocess.PIPE, text=True)
    try:
        rng = random.Random(20261129)
        answered = set()
        samples = {w: [] for w in workers}
        start = time.time()
        end = start + opts.minutes * 60
        n = 0
        next_sample = start
        next_answer = start + 2
        while time.time() < end:
            for w, pid in procs.items():
                if not alive(pid):
                    sys.exit("soak: %s exited (log in %s)" % (w, tmp))
            # one second of alerts, spread evenly
            t = time.time()
            for _ in range(opts.rate):
                now = datetime.now(timezone.utc).isoformat()
                a = {"source": "soak", "id": "soak-%d" % n, "rule": "soak-rule-%d" % (n % 7),
                     "title": "Soak alert %d" % n, "user": "s%05d" % rng.randrange(opts.employees),
                     "occurred_at": now, "severity": rng.choice(["low", "medium", "high"])}
                producer.stdin.write(json.dumps(a) + "\n")
                n += 1
            producer.stdin.flush()
            if time.time() >= next_answer:
                rows = psql("SELECT a.id, e.chat_user_id FROM alerts a JOIN employees e ON "
                            "e.id = a.employee_id WHERE a.status = 'prompted' AND "
                            "a.chat_ts IS NOT NULL LIMIT 2000")
                for line in rows.splitlines():
                    aid, user = line.split("|")
                    if aid in answered:
                        continue
                    answered.add(aid)
                    if rng.random() < 0.66:
                        ev = {"schema": "response.v1", "event_id": "soak-" + aid,
                              "platform": "console", "chat_user_id": user, "alert_id": aid,
                              "kind": "confirm", "text": "",
                              "received_at": datetime.now(timezone.utc).isoformat()}
                        answers.stdin.write("%s\t%s\n" % (user, json.dumps(ev)))
                answers.stdin.flush()
                next_answer = time.time() + 2
            if time.time() >= next_sample:
                for w, pid in procs.items():
                    samples[w].append((time.time() - start, rss_kib(pid)))
                next_sample += 15
            time.sleep(max(0, 1 - (time.time() - t)))
        for w, pid in procs.items():
            samples[w].append((time.time() - start, rss_kib(pid)))
        counts = psql("SELECT count(*), count(*) FILTER (WHERE outcome IS NOT NULL) FROM alerts")
        print("\nsoak: %.1f min, %d alerts published at %d/s; rows, decided: %s" % (
            opts.minutes, n, opts.rate, counts.strip().replace("|", ", ")))
        print("%-14s %12s %12s %12s %12s %10s" % ("worker", "RSS start KiB", "RSS@1min KiB",
                                                   "RSS end KiB", "max KiB", "growth"))
        for w in workers:
            s = samples[w]
            base = next((r for t, r in s if t >= 60), s[0][1])
            last = s[-1][1]
            peak = max(r for _, r in s)
            flag = "  <-- grows" if last > base * 1.10 + 8192 else ""
            print("%-14s %13d %12d %12d %12d %+9.1f%%%s" % (w, s[0][1], base, last, peak,
                                                          100.0 * (last - base) / base, flag))
        print("RSS each minute (KiB):")
        for w in workers:
            per_min = [r for t, r in samples[w] if int(t) % 60 < 15] or [r for _, r in samples[w]]
            print("  %-13s %s" % (w, " ".join(str(r) for r in per_min)))
        print("(samples every 15 s; logs and chat in %s)" % tmp)
    finally:
        for p in (producer, answers):
            p.stdin.close()
            p.wait()


if __name__ == "__main__":
    main()
