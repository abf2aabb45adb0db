#!/usr/bin/env python3
"""ingest_helper: data generation and the timed sb-ingest run for bench/ingest.

  employees COUNT OUT.csv          the directory (username,email,chat_user_id,aliases)
  alerts N EMPLOYEES.csv OUT.jsonl N valid, distinct alerts, one JSON per line
  watch N DBURL LOG -- CMD...      run CMD, poll PostgreSQL every 100 ms until N
                                   alerts are recorded AND dispatched, SIGTERM it;
                                   prints shell assignments with the timings

Standard library only (no PostgreSQL driver: a long-lived psql is the client).
The data is seeded, so every run measures the same workload."""
import csv
import json
import random
import signal
import subprocess
import sys
import time
from datetime import datetime, timedelta, timezone

SEED = 20261129
FIRST = ["alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi", "ivan",
         "judy", "mallory", "niaj", "olivia", "peggy", "rupert", "sybil", "trent",
         "victor", "walter", "yolanda"]
LAST = ["smith", "jones", "garcia", "miller", "davis", "lopez", "wilson", "moore",
        "taylor", "clark", "lewis", "walker", "young", "king", "wright", "hill"]
RULES = [
    ("okta", "okta.impossible_travel", "Sign-in from two distant countries within an hour"),
    ("okta", "okta.mfa_reset", "MFA factor reset outside business hours"),
    ("crowdstrike", "cs.unsigned_binary", "Unsigned binary executed from a download folder"),
    ("gsuite", "gsuite.mass_download", "Unusual number of Drive files downloaded"),
    ("aws-guardduty", "aws.root_console_login", "Console login with an access key of a user"),
    ("github", "gh.pat_created", "Personal access token created with admin scopes"),
    ("osquery", "osq.ssh_key_added", "New SSH key added to authorized_keys"),
    ("vpn", "vpn.new_device", "VPN connection from a device never seen before"),
]
WORDS = ("the user account activity was observed from an address that is not "
         "associated with any previous session and the request pattern matches "
         "a known credential stuffing campaign please confirm whether this was "
         "you or report it so that the security team can investigate").split()


def employees(count, out):
    with open(out, "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["username", "email", "chat_user_id", "aliases"])
        for i in range(count):
            user = f"{FIRST[i % len(FIRST)]}.{LAST[(i // len(FIRST)) % len(LAST)]}{i}"
            w.writerow([user, f"{user}@example.com", f"U{i + 1:08X}", f"{user}-gh;{user}-adm"])


def alerts(n, emp_csv, out):
    rng = random.Random(SEED)
    with open(emp_csv, newline="") as f:
        emps = list(csv.DictReader(f))
    base = datetime(2026, 11, 29, 12, 0, 0, tzinfo=timezone.utc)
    sizes = []
    with open(out, "w") as f:
        for i in range(n):
            e = rng.choice(emps)
            # the alert names the employee as a detector would: username,
            # e-mail (sometimes in capitals) or an alias
            user = rng.choice([e["username"], e["email"], e["email"].upper(),
                               e["aliases"].split(";")[0]])
            source, rule, title = rng.choice(RULES)
            at = base - timedelta(seconds=rng.randrange(86400), microseconds=rng.randrange(10**6))
            if rng.random() < 0.3:  # same instant, written with an offset
                at = at.astimezone(timezone(timedelta(hours=2)))
            a = {
                "source": source,
                "rule": rule,
                "title": title,
                "user": user,
                "occurred_at": at.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
                "id": f"{source}-{i:08d}-{rng.getrandbits(48):012x}",
                "description": " ".join(rng.choice(WORDS) for _ in range(rng.randrange(12, 30))),
                "severity": rng.choice(["low", "medium", "medium", "high", "critical"]),
                "details": {
                    "ip": f"203.0.{rng.randrange(256)}.{rng.randrange(1, 255)}",
                    "country": rng.choice(["BR", "DE", "NG", "US", "VN", "FR"]),
                    "asn": rng.randrange(1000, 65000),
                    "user_agent": "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_2) Safari/605.1.15",
                    "session_id": f"{rng.getrandbits(64):016x}",
                },
            }
            line = json.dumps(a, separators=(",", ":"))
            sizes.append(len(line.encode()))
            f.write(line + "\n")
    sizes.sort()
    print(f"alert size bytes: min {sizes[0]} median {sizes[len(sizes) // 2]} max {sizes[-1]}",
          file=sys.stderr)


class Psql:
    """One psql session answering one-line queries."""

    def __init__(self, url):
        self.p = subprocess.Popen(
            ["psql", "-X", "-A", "-t", "-q", "-v", "ON_ERROR_STOP=1", url],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, bufsize=1)

    def row(self, sql):
        self.p.stdin.write(sql + "\n")
        self.p.stdin.flush()
        line = self.p.stdout.readline()
        if not line:
            raise RuntimeError(f"psql ended while running: {sql}")
        return line.rstrip("\n").split("|")

    def close(self):
        self.p.stdin.close()
        self.p.wait()


def stop(proc):
    """SIGTERM, then SIGKILL after 60 s. Returns the exit code or a word."""
    if proc.poll() is not None:
        return f"died:{proc.returncode}"
    proc.send_signal(signal.SIGTERM)
    try:
        return proc.wait(timeout=60)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
        return "killed"


def watch(n, url, log, cmd, timeout=600.0):
    # Progress is read cheaply from ingest_progress: one row per input
    # partition, whose next_offset sum is the number of input messages whose
    # alerts are recorded AND whose downstream messages Kafka acknowledged
    # (every message here is a valid, distinct alert). count(*) over the wide
    # alert rows costs 20-40 ms per poll and competes for the CPU, so it is
    # taken only every second and at the end.
    cheap = "SELECT coalesce(sum(next_offset), 0) FROM ingest_progress;"
    # (this run's alerts only: a --history fill was received a day ago or more)
    exact = ("SELECT count(*), (SELECT coalesce(sum(next_offset), 0) FROM ingest_progress)"
             " FROM alerts WHERE received_at > now() - interval '12 hours';")
    db = Psql(url)
    base = int(db.row(cheap)[0])
    rows = disp = 0
    first_t = first_rows = end_t = None
    polls, poll_cost = 0, 0.0
    with open(log, "w") as logf:
        t0 = time.monotonic()
        proc = subprocess.Popen(cmd, stdout=logf, stderr=logf)
        try:
            tick = t0
            while True:
                t = time.monotonic()
                seen = int(db.row(cheap)[0]) - base
                if seen >= n or polls % 10 == 9:
                    rows, disp = (int(v) for v in db.row(exact))
                    seen = max(seen, rows)
                poll_cost += time.monotonic() - t
                polls += 1
                if seen > 0 and first_t is None:
                    first_t, first_rows = t, seen
                if rows >= n and disp >= n:
                    end_t = t
                    break
                if proc.poll() is not None or t - t0 > timeout:
                    break
                tick += 0.1
                time.sleep(max(0.0, tick - time.monotonic()))
        finally:
            # also when polling failed (say PostgreSQL restarted under us):
            # never leave the worker running
            rc = stop(proc)
    rows, disp = (int(v) for v in db.row(exact))
    db.close()
    out = {
        "ingest_exit": rc,
        "ingest_done": 1 if end_t is not None else 0,
        "ingest_rows_final": rows,
        "ingest_dispatched_final": disp,
        "ingest_first_rows": first_rows or 0,
        "ingest_startup_s": f"{first_t - t0:.3f}" if first_t else "",
        "ingest_steady_s": f"{end_t - first_t:.3f}" if end_t else "",
        "ingest_total_s": f"{end_t - t0:.3f}" if end_t else "",
        "ingest_polls": polls,
        "ingest_poll_ms": f"{1000 * poll_cost / max(polls, 1):.1f}",
    }
    for k, v in out.items():
        print(f"{k}={v}")


def main(argv):
    if len(argv) >= 3 and argv[0] == "employees":
        employees(int(argv[1]), argv[2])
    elif len(argv) >= 4 and argv[0] == "alerts":
        alerts(int(argv[1]), argv[2], argv[3])
    elif len(argv) >= 6 and argv[0] == "watch" and argv[4] == "--":
        watch(int(argv[1]), argv[2], argv[3], argv[5:])
    else:
        sys.stderr.write(__doc__)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
