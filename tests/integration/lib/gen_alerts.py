#!/usr/bin/env python3
"""gen_alerts: writes a reproducible alert stream for the ingest tests.

Outputs in OUT_DIR:
  employees.csv  the directory to import (header username,email,chat_user_id,aliases)
  alerts.bin     one Kafka message per line (valid, duplicate and invalid alerts, shuffled)
  expected.json  the counts a correct sb-ingest must produce
  ids.txt        the alert ids, computed independently from schemas/README.md

The alert id is recomputed here from the contract (not from the C code), so
the test also pins the id serialisation.
"""
import argparse
import datetime
import hashlib
import json
import os
import random


def lp(s):
    b = s.encode("utf-8")
    return str(len(b)).encode() + b":" + b + b"|"


def alert_id(a):
    if "id" in a:
        data = b"sb-alert-v1|by-id|" + lp(a["source"]) + lp(a["id"])
    else:
        t = datetime.datetime.fromisoformat(a["occurred_at"].replace("Z", "+00:00"))
        utc = t.astimezone(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        data = b"sb-alert-v1|by-fields|" + b"".join(
            lp(x) for x in (a["source"], a["rule"], a["user"], utc, a["title"]))
    return hashlib.sha256(data).hexdigest()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out_dir")
    ap.add_argument("--valid", type=int, default=8800)
    ap.add_argument("--dups", type=int, default=1000)
    ap.add_argument("--invalid", type=int, default=200)
    ap.add_argument("--unknown", type=int, default=300)
    ap.add_argument("--optout", type=int, default=100)
    ap.add_argument("--suppressed", type=int, default=100)
    ap.add_argument("--employees", type=int, default=100)
    ap.add_argument("--seed", type=int, default=42)
    args = ap.parse_args()
    rnd = random.Random(args.seed)
    base = datetime.datetime(2026, 11, 1, tzinfo=datetime.timezone.utc)

    with open(os.path.join(args.out_dir, "employees.csv"), "w") as f:
        f.write("username,email,chat_user_id,aliases\n")
        for i in range(args.employees):
            f.write(f"user{i:03d},user{i:03d}@example.com,U{i:05d},alias{i:03d};u{i:03d}\n")
        f.write("optout01,optout01@example.com,UOPT01,\n")
        f.write("quiet01,quiet01@example.com,UQUIET1,\n")

    def employee_name(i):
        # username, e-mail or alias, in varied case: all resolve to one employee
        return rnd.choice([f"user{i:03d}", f"USER{i:03d}@Example.com", f"alias{i:03d}", f"U{i:03d}"])

    valid = []
    kinds = (["unknown"] * args.unknown + ["optout"] * args.optout +
             ["suppressed"] * args.suppressed)
    kinds += ["prompt"] * (args.valid - len(kinds))
    for n, kind in enumerate(kinds):
        t = base + datetime.timedelta(seconds=n, microseconds=rnd.randrange(1000000))
        a = {
            "source": rnd.choice(["osquery", "gsuite", "okta", "cloudtrail"]),
            "rule": rnd.choice(["ssh-login", "new-device", "mass-download", "sudo"]),
            "title": f"Unusual activity #{n} \u2014 caf\u00e9 login",
            "occurred_at": t.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
            "severity": rnd.choice(["low", "medium", "high", "critical"]),
            "description": "Someone signed in from a device we have not seen before.",
            "details": {"ip": f"10.0.{n % 256}.{n % 200}", "country": "NL", "attempts": n % 7},
            "custom_field": {"kept": True},
        }
        if kind == "unknown":
            a["user"] = f"ghost{n:05d}"
        elif kind == "optout":
            a["user"] = "OptOut01"
        elif kind == "suppressed":
            a["user"] = "quiet01@example.com"
            a["rule"] = "noisy-rule"
        else:
            a["user"] = employee_name(rnd.randrange(args.employees))
        if n % 2 == 0:
            a["id"] = f"det-{n}"
        valid.append((kind, a))

    lines = [json.dumps(a, ensure_ascii=False).encode() for _, a in valid]
    for _ in range(args.dups):
        _, a = rnd.choice(valid)
        d = dict(a)
        if "id" in d:
            d["title"] = d["title"] + " (re-sent)"  # same detector id: same alert
        else:
            # the same instant written with another offset: same alert
            t = datetime.datetime.fromisoformat(d["occurred_at"].replace("Z", "+00:00"))
            d["occurred_at"] = t.astimezone(
                datetime.timezone(datetime.timedelta(hours=2))).isoformat()
        lines.append(json.dumps(d).encode())

    good = dict(valid[-1][1])
    good.pop("id", None)
    invalid = []  # (reason, bytes)

    def add(reason, count, make):
        for k in range(count):
            invalid.append((reason, make(k)))

    def without(field):
        def make(k):
            d = dict(good, title=f"missing {field} {k}")
            d.pop(field)
            return json.dumps(d).encode()
        return make

    def with_value(field, value):
        return lambda k: json.dumps(dict(good, **{field: value}, source=f"s{k}")).encode()

    share = args.invalid // 10
    add("invalid_json", share, lambda k: [b"{not json", b'{"source": "x"', b'{"a":1}}',
                                          b"   ", b"{'single': 1}"][k % 5])
    add("not_object", share // 2, lambda k: [b"[]", b'"string"', b"42", b"null"][k % 4])
    add("missing_field", share, lambda k: without(
        ["source", "rule", "title", "user", "occurred_at"][k % 5])(k))
    add("invalid_type", share, lambda k: [with_value("title", 12), with_value("user", {"a": 1}),
                                          with_value("details", [1, 2]),
                                          with_value("severity", 3)][k % 4](k))
    add("field_too_long", share, lambda k: [with_value("title", "t" * 201),
                                            with_value("description", "\u00e9" * 4001)][k % 2](k))
    add("invalid_value", share, lambda k: [with_value("severity", "urgent"),
                                           with_value("occurred_at", "yesterday"),
                                           with_value("occurred_at", "2026-13-01T00:00:00Z"),
                                           with_value("title", "")][k % 4](k))
    add("duplicate_key", share // 2, lambda k: (
        b'{"source":"a","source":"b","rule":"r","title":"t%d","user":"user001",'
        b'"occurred_at":"2026-11-01T00:00:00Z"}' % k))
    add("invalid_utf8", share, lambda k: with_value("title", "X")(k).replace(
        b'"X"', [b'"\xff\xfe"', b'"\xc0\xaf"', b'"\xed\xa0\x80"'][k % 3]))
    add("too_large", share // 2, lambda k: json.dumps(
        dict(good, padding="p" * 70000, source=f"big{k}")).encode())
    add("invalid_json", args.invalid - len(invalid), lambda k: b"{\"truncated\": tr")

    lines += [b for _, b in invalid]
    rnd.shuffle(lines)
    assert all(b"\n" not in x for x in lines)
    with open(os.path.join(args.out_dir, "alerts.bin"), "wb") as f:
        for x in lines:
            f.write(x + b"\n")

    ids = sorted({alert_id(a) for _, a in valid})
    assert len(ids) == len(valid), "generator produced colliding alerts"
    with open(os.path.join(args.out_dir, "ids.txt"), "w") as f:
        f.write("\n".join(ids) + "\n")
    reasons = {}
    for r, _ in invalid:
        reasons[r] = reasons.get(r, 0) + 1
    count = {k: sum(1 for kk, _ in valid if kk == k) for k in ("prompt", "unknown", "optout",
                                                               "suppressed")}
    expected = {
        "messages": len(lines),
        "rows": len(valid),
        "prompts": count["prompt"],
        "escalation_requests": count["unknown"] + count["optout"],
        "unknown_employee": count["unknown"],
        "opted_out": count["optout"],
        "outcomes": count["suppressed"],
        "dead_letters": len(invalid),
        "reasons": dict(sorted(reasons.items())),
    }
    with open(os.path.join(args.out_dir, "expected.json"), "w") as f:
        json.dump(expected, f, indent=1, sort_keys=True)


if __name__ == "__main__":
    main()
