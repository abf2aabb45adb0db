#!/usr/bin/env python3
"""gen: the input of a chaos run, reproducible from a seed.

    gen.py OUT_DIR --alerts N --employees E --seed S

Writes in OUT_DIR:
  employees.csv     the directory (sbctl employees import)
  slack.json        the fake Slack's configuration: users by e-mail, the security channel
  enroll.txt        usernames that get a second factor (sbctl enroll)
  employees.json    chat user id -> {username, enrolled} for the simulator
  alerts.jsonl      N Kafka messages, one a line: new alerts, duplicates, invalid ones
  alerts.tsv        per distinct valid alert: id, kind, employee class, severity
  expected.json     the counts a correct pipeline must end with

Employee classes: `chat` (chat user id in the directory, known to Slack),
`email` (no chat id; Slack finds them by e-mail), `nochat` (no chat id,
e-mail unknown to Slack) and `gone` (a chat id Slack does not know): the
last two are unreachable, so their alerts are escalated as unknown_employee
without a prompt. Alerts for users not in the directory at all are
`unknown`. The alert id is computed here from the contract (schemas/README.md).
"""
import argparse
import datetime
import json
import os
import random
import sys

# the alert id, computed from the contract (schemas/README.md) as the ingest
# tests do
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "integration", "lib"))
from gen_alerts import alert_id  # noqa: E402

SEVERITIES = (("low", 30), ("medium", 40), ("high", 20), ("critical", 10))
SOURCES = ("osquery", "okta", "gsuite", "cloudtrail")
RULES = ("ssh-login", "new-device", "mass-download", "sudo", "impossible-travel")
SECURITY_CHANNEL = "C0SECURITY"


def employees(rnd, n, enrolled_share):
    """[(username, email, chat id or '', class, enrolled)]"""
    out = []
    for i in range(n):
        r = rnd.random()
        cls = "chat" if r < 0.90 else "email" if r < 0.96 else "nochat" if r < 0.98 else "gone"
        name = "emp%05d" % i
        chat = "U%07d" % i if cls in ("chat", "gone") else ""
        reachable = cls in ("chat", "email")
        out.append((name, name + "@example.com", chat, cls,
                    reachable and rnd.random() < enrolled_share))
    return out


def invalid_alert(rnd, n):
    kind = n % 4
    if kind == 0:
        # its number in it: each invalid message's bytes are its own, as
        # check.py counts distinct originals after a republish
        return '{"source": "osquery", "rule": "broken", "title": "cut off #%d' % n
    a = {"source": "osquery", "rule": "bad", "title": "Invalid #%d" % n, "user": "emp00000",
         "occurred_at": "2026-01-01T00:00:00Z", "id": "invalid-%d" % n}
    if kind == 1:
        del a["user"]
    elif kind == 2:
        a["severity"] = "urgent"
    else:
        a["title"] = "x" * 201
    return json.dumps(a)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out_dir")
    ap.add_argument("--alerts", type=int, default=20000)
    ap.add_argument("--employees", type=int, default=2000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--enrolled", type=float, default=0.8, help="share of reachable employees")
    ap.add_argument("--dup-share", type=float, default=0.05)
    ap.add_argument("--invalid-share", type=float, default=0.005)
    ap.add_argument("--unknown-share", type=float, default=0.02)
    args = ap.parse_args()
    rnd = random.Random("gen:%d" % args.seed)
    emps = employees(rnd, args.employees, args.enrolled)
    # one fixed "now" per seed would be stale; alerts happened in the last hour
    now = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)

    with open(os.path.join(args.out_dir, "employees.csv"), "w") as f:
        f.write("username,email,chat_user_id,aliases\n")
        for name, email, chat, cls, _ in emps:
            f.write("%s,%s,%s,%s\n" % (name, email, chat if cls != "email" else "", ""))
    users = {email: "U%07d" % int(name[3:]) for name, email, _, cls, _ in emps
             if cls in ("chat", "email")}
    with open(os.path.join(args.out_dir, "slack.json"), "w") as f:
        json.dump({"users": users, "channels": [SECURITY_CHANNEL]}, f)
    with open(os.path.join(args.out_dir, "enroll.txt"), "w") as f:
        f.writelines(name + "\n" for name, _, _, _, enrolled in emps if enrolled)
    with open(os.path.join(args.out_dir, "employees.json"), "w") as f:
        json.dump({users[email]: {"username": name, "enrolled": enrolled}
                   for name, email, _, cls, enrolled in emps if email in users}, f)

    lines, alerts, kinds = [], [], {}
    counts = {"messages": args.alerts, "duplicates": 0, "invalid": 0}
    for n in range(args.alerts):
        r = rnd.random()
        if alerts and r < args.dup_share:
            a = dict(rnd.choice(alerts))
            if "id" in a and rnd.random() < 0.3:
                a["title"] += " (re-sent)"  # same source and id: the same alert
            lines.append(json.dumps(a))
            counts["duplicates"] += 1
            continue
        if r < args.dup_share + args.invalid_share:
            lines.append(invalid_alert(rnd, n))
            counts["invalid"] += 1
            continue
        unknown = r < args.dup_share + args.invalid_share + args.unknown_share
        if unknown:
            user, cls = "ghost%05d@example.com" % n, "unknown"
        else:
            name, email, _, cls, _ = rnd.choice(emps)
            user = rnd.choice((name, email, name.upper()))
        t = now - datetime.timedelta(seconds=rnd.randrange(3600), microseconds=rnd.randrange(10**6))
        a = {
            "source": rnd.choice(SOURCES),
            "rule": rnd.choice(RULES),
            "title": "Unusual activity #%d" % n,
            "user": user,
            "occurred_at": t.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
            "severity": rnd.choices([s for s, _ in SEVERITIES], [w for _, w in SEVERITIES])[0],
            "description": "Chaos run alert %d." % n,
            "details": {"n": n, "ip": "192.0.2.%d" % (n % 250)},
        }
        if rnd.random() < 0.9:
            a["id"] = "chaos-%d-%d" % (args.seed, n)
        aid = alert_id(a)
        if aid in kinds:  # cannot happen with distinct n; keep the count honest anyway
            counts["duplicates"] += 1
        kinds[aid] = (cls, a["severity"])
        alerts.append(a)
        lines.append(json.dumps(a))

    with open(os.path.join(args.out_dir, "alerts.jsonl"), "w") as f:
        f.writelines(line + "\n" for line in lines)
    with open(os.path.join(args.out_dir, "alerts.tsv"), "w") as f:
        for aid, (cls, sev) in sorted(kinds.items()):
            f.write("%s\t%s\t%s\n" % (aid, cls, sev))
    by_class = {}
    for cls, _ in kinds.values():
        by_class[cls] = by_class.get(cls, 0) + 1
    counts.update(distinct=len(kinds), by_class=by_class, employees=len(emps),
                  enrolled=sum(1 for e in emps if e[4]), seed=args.seed)
    with open(os.path.join(args.out_dir, "expected.json"), "w") as f:
        json.dump(counts, f, indent=1)


if __name__ == "__main__":
    main()
