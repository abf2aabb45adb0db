#!/usr/bin/env python3
"""intake_helper: the alerts of bench/intake, for wrk and for kcat.

  requests N BATCH SOURCE OUT.lua   N request bodies of BATCH distinct alerts
                                    each (an array when BATCH > 1, one object
                                    otherwise), as a Lua table for
                                    gateway.lua (intake mode): {body = [==[...]==]} per request
  kafka N SOURCE OUT.tsv            the first N of the same alerts as
                                    "user<TAB>alert" lines for kcat -K

Alert i is the same in both files: source SOURCE, rule r<i % 10>, user
u<i % 1000> (spread over the topic's partitions like real employees), a
title and a details object of a realistic size (~450 bytes in all), and
its own id. Standard library only."""
import json
import sys


def alert(i, source):
    return json.dumps({
        "source": source, "id": f"bench-{i:09d}", "rule": f"r{i % 10}",
        "title": "Login from a new country", "user": f"u{i % 1000}",
        "severity": ("low", "medium", "high", "critical")[i % 4],
        "occurred_at": "2026-11-29T12:00:00Z",
        "description": "A sign-in from an address never seen for this account before.",
        "url": f"https://siem.example.com/alerts/{i}",
        "details": {"country": "BR", "ip": f"203.0.113.{i % 250}", "asn": 64500 + i % 100,
                    "user_agent": "Mozilla/5.0 (X11; Linux x86_64)"},
    }, separators=(",", ":"))


def requests(n, batch, source, out):
    k = 0
    with open(out, "w") as f:
        f.write("return {\n")
        for _ in range(n):
            alerts = [alert(k + j, source) for j in range(batch)]
            k += batch
            body = alerts[0] if batch == 1 else "[" + ",".join(alerts) + "]"
            f.write(f"{{body = [==[{body}]==]}},\n")
        f.write("}\n")


def kafka(n, source, out):
    with open(out, "w") as f:
        for i in range(n):
            f.write(f"u{i % 1000}\t{alert(i, source)}\n")


def main(argv):
    if len(argv) == 5 and argv[0] == "requests":
        requests(int(argv[1]), int(argv[2]), argv[3], argv[4])
        return 0
    if len(argv) == 4 and argv[0] == "kafka":
        kafka(int(argv[1]), argv[2], argv[3])
        return 0
    sys.stderr.write(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
