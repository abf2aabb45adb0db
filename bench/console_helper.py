"""console_helper.py URL TOKEN DATABASE_URL R SINCE UNTIL: bench/console's
measurements. For each query of the alerts page: 10 untimed requests, R
timed ones on one keep-alive connection, then the same statement R times
through psql (PREPARE, EXECUTE, \\timing); prints p50/p99 of both, the
ratio, and PASS/MISS against p99 < 100 ms and < 1.5x raw."""
import http.client
import re
import subprocess
import sys
import time
import urllib.parse

URL, TOKEN, DB, R, SINCE, UNTIL = sys.argv[1:7]
R = int(R)
# The statement of workers/console/api_alerts.c (list_sql), verbatim: keep in step.
LIST_SQL = """SELECT a.id, a.detector_id, a.title, coalesce(e.username, a.username), a.source, a.rule,
a.severity, a.status, a.outcome, to_char(a.received_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
to_char(a.occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
(extract(epoch FROM a.received_at) * 1000000)::bigint
FROM alerts a LEFT JOIN employees e ON e.id = a.employee_id
WHERE ($1::text IS NULL OR lower(coalesce(e.username, a.username)) = lower($1))
AND ($2::text IS NULL OR a.rule = $2) AND ($3::text IS NULL OR a.source = $3)
AND ($4::text IS NULL OR a.severity = $4) AND ($5::text IS NULL OR a.status = $5)
AND ($6::text IS NULL OR a.outcome = $6)
AND ($7::timestamptz IS NULL OR a.received_at >= $7)
AND ($8::timestamptz IS NULL OR a.received_at < $8)
AND ($9::text IS NULL OR strpos(lower(a.title), lower($9)) > 0)
AND ($10::bigint IS NULL OR (a.received_at, a.id) <
(timestamptz 'epoch' + $10::bigint * interval '1 microsecond', $11::text))
ORDER BY a.received_at DESC, a.id DESC LIMIT $12"""
ORDER = ["employee", "rule", "source", "severity", "status", "outcome", "since", "until", "q"]
QUERIES = [
    ("newest 50", {}),
    ("rule", {"rule": "rule-17"}),
    ("employee", {"employee": "user42"}),
    ("severity+status", {"severity": "critical", "status": "escalated"}),
    ("title text", {"q": "host-996"}),
    ("one day", {"since": SINCE, "until": UNTIL}),
    ("rule+day", {"rule": "rule-3", "since": SINCE, "until": UNTIL}),
]


def pct(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(p / 100.0 * (len(xs) - 1))))]


def api_times(params):
    host = urllib.parse.urlparse(URL).netloc
    conn = http.client.HTTPConnection(host, timeout=60)
    path = "/api/v1/alerts?" + urllib.parse.urlencode(params)
    times = []
    for i in range(R + 10):
        t0 = time.perf_counter()
        conn.request("GET", path, headers={"Authorization": "Bearer " + TOKEN})
        r = conn.getresponse()
        r.read()
        if r.status != 200:
            sys.exit("GET %s: %d" % (path, r.status))
        if i >= 10:
            times.append((time.perf_counter() - t0) * 1000)
    conn.close()
    return times


def sql_literal(v):
    return "NULL" if v is None else "'" + v.replace("'", "''") + "'"


def raw_times(params):
    args = [sql_literal(params.get(k)) for k in ORDER] + ["NULL", "NULL", "'50'"]
    script = "PREPARE q AS %s;\n" % LIST_SQL
    script += "".join("EXECUTE q(%s);\n" % ", ".join(args) for _ in range(10))
    script += "\\timing on\n" + "".join("EXECUTE q(%s);\n" % ", ".join(args) for _ in range(R))
    out = subprocess.run(["psql", "-X", "-q", "-o", "/dev/null", DB], input=script, text=True,
                         capture_output=True, check=True).stdout
    return [float(x) for x in re.findall(r"Time: ([0-9.]+) ms", out)]


print("%-16s %10s %10s %10s %10s %8s  %s" % ("query", "api p50", "api p99", "psql p50", "psql p99",
                                             "ratio", "target"))
for name, params in QUERIES:
    a, b = api_times(params), raw_times(params)
    a99, b99 = pct(a, 99), pct(b, 99)
    ok = a99 < 100 and a99 < 1.5 * b99
    print("%-16s %8.1fms %8.1fms %8.1fms %8.1fms %7.2fx  %s" % (
        name, pct(a, 50), a99, pct(b, 50), b99, a99 / b99 if b99 else 0, "PASS" if ok else "MISS"),
        flush=True)
