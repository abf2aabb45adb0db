#!/usr/bin/env python3
"""check: the assertions of a chaos run, and its one-screen summary.

    check.py --dir RUN_DIR --fake-ctl URL --pd-ctl URL [--max-dup 0.001] [--dup-per-kill] [--label L]

Reads what the run left: the generator's expectations (RUN_DIR/gen), the
simulator's decisions, the conductor's record of faults, PostgreSQL
(SECURITYBOT_DATABASE_URL), the topics (SECURITYBOT_KAFKA_BROKERS,
SECURITYBOT_TOPIC_PREFIX; kcat) and what the fake Slack and PagerDuty
received. Asserts:
  - every distinct valid alert is exactly one row, and nothing else is;
    every invalid message is one dead letter
  - every alert is in a terminal state (confirmed, escalated)
  - exactly one outcome per alert on the topic (copies with the same
    message_id are redeliveries, counted), agreeing with the row
  - exactly one escalation (row and topic) per alert whose outcome needs
    one, none for the others; each reported, and paged when severe
  - not one prompt lost: every alert of a reachable employee was prompted
    (chat_ts set, and Slack has that message) or was escalated as
    no_response while its prompt could not be sent (a chat outage);
    unreachable and unknown people are escalated as unknown_employee
  - duplicate prompts (posts for an alert beyond its first) below --max-dup
    of the prompted alerts (--dup-per-kill, the short run: or each one's
    first post sent at most DUP_WINDOW seconds before a SIGKILL of sb-prompt)
  - what the simulator did matches how each alert ended (or no_response)
  - no worker exited by itself, every one exited 0 on SIGTERM, nothing
    the fakes would refuse
Prints the summary (also RUN_DIR/summary.txt); exit 0 when all hold.
"""
import argparse
import collections
import json
import os
import re
import subprocess
import sys
import urllib.request

TERMINAL = {"confirmed", "escalated", "suppressed"}
# how long before an sb-prompt SIGKILL a prompt it sends again may have gone
# out: a batch's sends (Slack's Retry-After included) up to its COMMIT
DUP_WINDOW = 30.0
ALLOWED = {"right": {"confirmed"}, "wrong": {"second_factor_failed"}, "deny": {"denied"},
           "silent": set(), "confirm": {"confirmed_unverified"}}
REPORT_ID = re.compile(r"sbctl alerts show ([0-9a-f]{64})")


def sql_rows(query):
    p = subprocess.run(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1",
                        os.environ["SECURITYBOT_DATABASE_URL"], "-c",
                        "COPY (%s) TO STDOUT" % query], capture_output=True, text=True, check=True)
    return [[None if v == "\\N" else v for v in line.split("\t")]
            for line in p.stdout.splitlines()]


def topic(name):
    """[(key, message dict)] of a whole topic."""
    p = subprocess.run(["kcat", "-C", "-b", os.environ["SECURITYBOT_KAFKA_BROKERS"], "-t",
                        os.environ["SECURITYBOT_TOPIC_PREFIX"] + name, "-o", "beginning", "-e",
                        "-q", "-f", "%k\t%s\n"], capture_output=True, check=True)
    out = []
    for line in p.stdout.decode("utf-8", "replace").splitlines():
        key, _, value = line.partition("\t")
        try:
            out.append((key, json.loads(value)))
        except ValueError:
            out.append((key, None))
    return out


def get(url):
    with urllib.request.urlopen(url, timeout=60) as r:
        return json.load(r)


def fake_posts(ctl):
    """Every chat.postMessage the fake Slack received, page by page."""
    since = 0
    while True:
        d = get("%s/calls?since=%d&limit=5000&method=chat.postMessage" % (ctl, since))
        yield from d["calls"]
        if d["next"] == since:
            return
        since = d["next"]


def prompt_alert(call):
    blocks = (call.get("args") or {}).get("blocks")
    if isinstance(blocks, str):
        blocks = json.loads(blocks)
    for b in blocks or []:
        if b.get("type") == "actions":
            for e in b.get("elements", []):
                if e.get("action_id") == "sb_confirm":
                    return e.get("value")
    return None


class Checker:
    def __init__(self, a):
        self.a = a
        self.results = []  # (ok, text)

    def check(self, ok, text):
        self.results.append((bool(ok), text))

    def load(self):
        a, d = self.a, self.a.dir
        self.exp = json.load(open(os.path.join(d, "gen", "expected.json")))
        self.gen = {}
        for line in open(os.path.join(d, "gen", "alerts.tsv")):
            aid, cls, sev = line.rstrip("\n").split("\t")
            self.gen[aid] = (cls, sev)
        self.cond = json.load(open(os.path.join(d, "conductor.json")))
        self.sim = json.load(open(os.path.join(d, "sim-stats.json")))
        self.decisions = {}
        self.grouped = 0
        for line in open(os.path.join(d, "decisions.jsonl")):
            dec = json.loads(line)
            self.decisions.setdefault(dec["alert_id"], dec)
        cols = ("id", "status", "status_reason", "outcome", "employee_id", "chat_channel",
                "chat_ts", "prompt_attempts", "severity", "comment", "group_id",
                "extract(epoch from prompted_at)")
        self.rows = {r[0]: dict(zip(cols[:-1] + ("claimed",), r)) for r in sql_rows(
            "SELECT %s FROM alerts" % ", ".join(cols))}
        # Kafka, PostgreSQL or Slack away: a claim made from a little before
        # until two timer periods after may time out before its prompt goes out
        t0, e = self.cond["t0"], self.a.escalate_after
        self.outages = [(t0 + x["t"] - 1, t0 + x["t"] + x["took"] + 2 * e + 5)
                        for x in self.cond["infra"]]
        self.esc_rows = {r[0]: {"reason": r[1], "delivered": r[2] == "t"} for r in sql_rows(
            "SELECT alert_id, reason, delivered_at IS NOT NULL FROM escalations")}
        # a republished invalid message (conductor.publish) is a dead letter
        # of its own at its new offset: count the distinct ones then
        republished = self.cond["publish"].get("republished", 0)
        self.dead = int(sql_rows("SELECT count(%s) FROM dead_letters" % (
            "DISTINCT original" if republished else "*"))[0][0])
        self.outcomes = topic("outcomes")
        self.escalations = topic("escalations")
        self.prompts = collections.defaultdict(list)  # alert -> [(channel, ts)]
        self.reports = collections.Counter()
        for c in fake_posts(a.fake_ctl):
            if not c.get("ok"):
                continue
            aid = prompt_alert(c)
            if aid:
                self.prompts[aid].append((c.get("channel"), c.get("ts")))
            elif (c.get("args") or {}).get("channel") == "C0SECURITY":
                m = REPORT_ID.search((c.get("args") or {}).get("text") or "")
                if m:
                    self.reports[m.group(1)] += 1
        self.slack = get(a.fake_ctl + "/summary")
        self.pages = collections.Counter(e["body"]["dedup_key"]
                                         for e in get(a.pd_ctl + "/events")["events"])
        self.pd_violations = get(a.pd_ctl + "/violations")["count"]
        # the people Slack does not know (class `gone`) are refused as Slack
        # would: user_not_found (conversations.open) or channel_not_found (a
        # prompt posted to their user id) is their expected answer, not a
        # client mistake
        known = set(json.load(open(os.path.join(d, "gen", "slack.json")))["users"].values())
        gone_ids = {line.split(",")[2] for line in
                    open(os.path.join(d, "gen", "employees.csv")).read().splitlines()[1:]
                    if line.split(",")[2] and line.split(",")[2] not in known}
        gone = {"user " + u for u in gone_ids} | {"channel " + u for u in gone_ids}
        self.slack_violations = [v for v in get(a.fake_ctl + "/violations")["violations"]
                                 if not (v["error"] in ("user_not_found", "channel_not_found")
                                         and v["detail"] in gone)]
        for v in self.slack_violations[:5]:
            print("  example Slack violation: %s" % v, file=sys.stderr)

    # ---- the assertions ---------------------------------------------------------

    def rows_and_dead_letters(self):
        ids, want = set(self.rows), set(self.gen)
        self.check(ids == want, "rows: %d, distinct valid alerts: %d (missing %d, extra %d)" % (
            len(ids), len(want), len(want - ids), len(ids - want)))
        self.check(self.dead == self.exp["invalid"], "dead letters: %d of %d invalid messages" % (
            self.dead, self.exp["invalid"]))

    def terminal(self):
        open_ = collections.Counter(r["status"] for r in self.rows.values()
                                    if r["status"] not in TERMINAL)
        self.check(not open_, "terminal: %d of %d alerts%s" % (
            len(self.rows) - sum(open_.values()), len(self.rows),
            "; not: %s" % dict(open_) if open_ else ""))

    def outcomes_once(self):
        per = collections.defaultdict(set)
        copies, bad = 0, 0
        for key, m in self.outcomes:
            if not m or m.get("alert_id") != key:
                bad += 1
                continue
            if (m["message_id"], m["outcome"]) in per[key]:
                copies += 1
            per[key].add((m["message_id"], m["outcome"]))
        wrong = [a for a in self.rows if len(per.get(a, ())) != 1]
        disagree = [a for a in self.rows if len(per.get(a, ())) == 1
                    and next(iter(per[a]))[1] != self.rows[a]["outcome"]]
        strangers = [a for a in per if a not in self.rows]
        self.outcome_copies = copies
        self.check(not wrong and not disagree and not strangers and not bad,
                   "one outcome per alert: %d of %d (%d copies re-sent with the same message_id%s)"
                   % (len(self.rows) - len(wrong), len(self.rows), copies,
                      "; %d without one or with two, %d disagree with the row, %d unknown, "
                      "%d malformed" % (len(wrong), len(disagree), len(strangers), bad)
                      if wrong or disagree or strangers or bad else ""))
        self.examples("outcome", wrong + disagree + strangers)

    def escalations_once(self):
        need = {a for a, r in self.rows.items() if r["outcome"] not in ("confirmed", None)}
        on_topic = collections.defaultdict(set)
        for key, m in self.escalations:
            if m:
                on_topic[key].add(m["message_id"])
        topic_bad = [a for a in self.rows if len(on_topic.get(a, ())) != (a in need)]
        status_bad = [a for a in self.rows
                      if (self.rows[a]["status"] == "escalated") != (a in need)]
        rows_ok = set(self.esc_rows) == need
        undelivered = [a for a, e in self.esc_rows.items() if not e["delivered"]]
        unreported = [a for a in need if not self.reports.get(a)]
        severe = {a for a in need if self.rows[a]["severity"] in ("high", "critical")}
        page_bad = [a for a in self.rows if bool(self.pages.get(a)) != (a in severe)]
        self.need = need
        self.check(rows_ok and not topic_bad and not status_bad,
                   "escalations: %d for %d alerts that need one, %d for the %d others%s" % (
                       len(set(self.esc_rows) & need), len(need),
                       len(set(self.esc_rows) - need), len(self.rows) - len(need),
                       "; topic wrong for %d, status wrong for %d" % (
                           len(topic_bad), len(status_bad))
                       if topic_bad or status_bad else ""))
        self.examples("escalation", topic_bad + status_bad + sorted(set(self.esc_rows) ^ need))
        self.dup_reports = sum(n - 1 for n in self.reports.values() if n > 1)
        self.dup_pages = sum(n - 1 for n in self.pages.values() if n > 1)
        self.check(not undelivered and not unreported and not page_bad,
                   "delivered: %d reports (%d repeated), %d pages (%d repeated)%s" % (
                       sum(1 for a in need if self.reports.get(a)), self.dup_reports,
                       len(self.pages), self.dup_pages,
                       "; undelivered %d, unreported %d, pages wrong for %d" % (
                           len(undelivered), len(unreported), len(page_bad))
                       if undelivered or unreported or page_bad else ""))

    def prompts_not_lost(self):
        lost, unsent, unrecorded, prompted, wrong_unreachable = [], [], [], 0, []
        self.grouped = 0
        for aid, (cls, _) in self.gen.items():
            r = self.rows.get(aid)
            if r is None:
                continue
            if cls in ("nochat", "gone", "unknown"):
                # sb-prompt finds out only by asking Slack; while Slack fails,
                # the no_response timer may come first (as for anyone else).
                # A group's member is never claimed itself: its leader's
                # claim and send are the ones that met the outage.
                lead = r["group_id"]
                lr = self.rows[lead] if lead and lead != aid and lead in self.rows else r
                late = cls != "unknown" and r["outcome"] == "no_response" and \
                    lr["chat_ts"] is None and self.in_outage(lr)
                if r["outcome"] != "unknown_employee" and not late or self.prompts.get(aid):
                    wrong_unreachable.append(aid)
                elif late:
                    unsent.append(aid)
                continue
            # a member of a group (SECURITYBOT_COALESCE_WINDOW) was asked
            # through its leader's question: it counts as its leader does
            lead = r["group_id"]
            if lead and lead != aid and lead in self.rows:
                self.grouped += 1
                aid, r = lead, self.rows[lead]
            posts = self.prompts.get(aid, [])
            if r["chat_ts"] is not None and (r["chat_channel"], r["chat_ts"]) in posts:
                prompted += 1
            elif r["chat_ts"] is None and posts:
                # sb-prompt killed between Slack's answer and its record, and
                # the employee answered before the sweep would have re-sent
                prompted += 1
                unrecorded.append(aid)
            elif r["chat_ts"] is None and r["status_reason"] == "no_response" and \
                    self.in_outage(r):
                unsent.append(aid)  # escalated while Slack, Kafka or PostgreSQL was away
            else:
                lost.append(aid)
        self.lost, self.unsent, self.prompted = lost, unsent, prompted
        self.unrecorded = unrecorded
        self.check(not lost, "prompts lost: %d (prompted %d, of which %d answered before "
                   "sb-prompt recorded them; never sent, escalated as no_response during an "
                   "outage: %d)" % (len(lost), prompted, len(unrecorded), len(unsent)))
        self.examples("lost prompt", lost)
        self.check(not wrong_unreachable, "unknown and unreachable people: %d alerts, all "
                   "unknown_employee (or no_response during an outage) without a prompt%s" % (
                       sum(1 for c, _ in self.gen.values() if c in ("nochat", "gone", "unknown")),
                       "; %d not" % len(wrong_unreachable) if wrong_unreachable else ""))
        self.examples("unreachable", wrong_unreachable)
        strangers = [a for a in self.prompts if a not in self.rows]
        self.check(not strangers, "prompts for alerts that do not exist: %d" % len(strangers))

    def in_outage(self, row):
        t = float(row["claimed"] or 0)
        return any(a <= t <= b for a, b in self.outages)

    def duplicates(self):
        self.dups = sum(len(p) - 1 for p in self.prompts.values() if len(p) > 1)
        n = sum(1 for p in self.prompts.values() if p)
        self.dup_ratio = self.dups / n if n else 0.0
        # A SIGKILL of sb-prompt between Slack's answers and its COMMIT sends
        # that batch's prompts again (chat.postMessage has no idempotency
        # key): up to a batch per kill, not one. In the short run a handful
        # of kills over ~1,300 prompts is a ratio that says nothing: there,
        # every duplicate must be explained by a kill, its first post sent
        # at most DUP_WINDOW seconds before an sb-prompt SIGKILL (a batch's
        # sends, Slack's Retry-After included, and its COMMIT).
        t0 = self.cond["t0"]
        kill_at = [t0 + k["t"] for k in self.cond["kills"]
                   if k["slot"].rsplit("-", 1)[0] == "prompt"]
        unexplained = 0
        for posts in self.prompts.values():
            if len(posts) < 2:
                continue
            first = min(float(ts or 0) for _, ts in posts)
            if not any(first <= k <= first + DUP_WINDOW for k in kill_at):
                unexplained += len(posts) - 1
        per_kill = self.a.dup_per_kill and unexplained == 0
        self.check(self.dup_ratio < self.a.max_dup or per_kill,
                   "duplicate prompts: %d of %d (%.3f%%, limit %.1f%%%s)"
                   % (self.dups, n, 100 * self.dup_ratio, 100 * self.a.max_dup,
                      ", or each sent again after one of the %d sb-prompt SIGKILLs: %d not"
                      % (len(kill_at), unexplained) if self.a.dup_per_kill else ""))

    def intents(self):
        bad = []
        self.intent_table = collections.defaultdict(collections.Counter)
        for aid, dec in self.decisions.items():
            r = self.rows.get(aid)
            out = r["outcome"] if r else "(no row)"
            self.intent_table[dec["intent"]][out] += 1
            if out not in ALLOWED[dec["intent"]] | {"no_response"}:
                bad.append(aid)
        self.check(not bad, "answers match outcomes (or no_response when late): %d of %d" % (
            len(self.decisions) - len(bad), len(self.decisions)))
        self.examples("answer", bad)

    def processes(self):
        c, s = self.cond, self.sim
        # With broker faults, librdkafka 2.0.2 (Debian 12's) can put an
        # idempotent producer in a fatal state (librdkafka#4438, fixed in
        # 2.3.0); the worker then exits non-zero, nothing committed, and is
        # restarted (as a supervisor would). Counted apart, and only then.
        known = [x for x in c["unexpected_exits"]
                 if x.get("idempotence_fatal") and self.a.brokers > 1]
        crashes = [x for x in c["unexpected_exits"] if x not in known]
        final_bad = {k: v for k, v in c["final_exits"].items() if v != 0}
        self.check(not crashes, "workers that exited by themselves: %d%s%s" % (
            len(crashes), "".join("\n      %s at %s s, status %s: %s" % (
                x["slot"], x["t"], x["status"], (x["log"] or [""])[-1][:150])
                for x in crashes[:5]),
            " (and %d after librdkafka 2.0.2's idempotent-producer fatal error, restarted: "
            "librdkafka#4438)" % len(known) if known else ""))
        self.check(not final_bad, "workers exit 0 on SIGTERM: %d of %d%s" % (
            len(c["final_exits"]) - len(final_bad), len(c["final_exits"]),
            "; %s" % final_bad if final_bad else ""))
        self.check(not c["errors"], "run: %s" % ("; ".join(c["errors"]) or "no errors"))
        st = s["stats"]
        refused = {k: v for k, v in st.items() if k.startswith("refused_") or k == "gave_up"
                   or k == "action_errors"}
        self.check(not refused and s["pending"] == 0 and c.get("simulator_exit") == 0,
                   "simulator: %d requests to the gateways (%d retried), nothing refused or "
                   "pending%s" % (sum(s["http_status"].values()), st.get("retries", 0),
                                  "; %s, pending %d" % (refused, s["pending"])
                                  if refused or s["pending"] else ""))
        self.check(not self.slack_violations and self.pd_violations == 0,
                   "protocol violations at the fake Slack: %d, PagerDuty: %d" % (
                       len(self.slack_violations), self.pd_violations))

    def examples(self, what, ids):
        for aid in list(dict.fromkeys(ids))[:3]:
            r = self.rows.get(aid, {})
            print("  example %s: %s row=%s prompts=%s decision=%s" % (
                what, aid, {k: v for k, v in r.items() if k != "id"}, self.prompts.get(aid),
                self.decisions.get(aid)), file=sys.stderr)

    # ---- the summary ------------------------------------------------------------

    def summary(self):
        e, c, st = self.exp, self.cond, self.sim["stats"]
        kills = collections.Counter(k["slot"].rsplit("-", 1)[0] for k in c["kills"])
        infra = {x["what"]: x for x in c["infra"]}
        injected = sum(m["injected"] for m in self.slack["methods"].values())
        outcomes = collections.Counter(r["outcome"] for r in self.rows.values())
        pub = c["publish"]
        last_fault = max([c.get("faults_end", 0)] + [x["t"] + x["took"] for x in c["infra"]])
        drain = c["quiet"] - last_fault if c.get("quiet") else None
        fails = [t for ok, t in self.results if not ok]
        L = []
        L.append("securitybot chaos run (%s): seed %d, %d employees (%d enrolled)" % (
            self.a.label, e["seed"], e["employees"], e["enrolled"]))
        L.append("alerts    %d messages: %d distinct valid alerts, %d duplicates, %d invalid; "
                 "%d for unknown or unreachable people" % (
                     e["messages"], e["distinct"], e["duplicates"], e["invalid"],
                     sum(e["by_class"].get(k, 0) for k in ("unknown", "nochat", "gone"))) + (
                     "; published again %d time(s) after kcat's librdkafka#4438" % pub["republished"]
                     if pub.get("republished") else ""))
        L.append("faults    %d injected: %d SIGKILLs (%s); Kafka restart (%.0f s); PostgreSQL "
                 "restart (%.0f s); Slack 429/500 for %d s (%d calls failed)" % (
                     len(c["kills"]) + len(c["infra"]), len(c["kills"]),
                     ", ".join("%s %d" % kv for kv in sorted(kills.items())),
                     infra.get("restart-kafka", {}).get("took", 0),
                     infra.get("restart-pg", {}).get("took", 0),
                     infra.get("slack-429-500", {}).get("took", 0), injected))
        brokers = [x for x in c["infra"] if x["what"].split()[0].endswith("-broker")]
        if brokers:
            L.append("brokers   %s" % "; ".join("%s at %.0f s (%.0f s, status %d)" % (
                x["what"], x["t"], x["took"], x["status"]) for x in brokers))
        L.append("answers   %s" % ", ".join("%s %d" % (k, st.get("intent_" + k, 0)) for k in (
            "right", "wrong", "deny", "silent", "confirm")) +
            " (right = yes + code, wrong = yes + 3 bad codes, confirm = yes, no 2FA)")
        L.append("outcomes  %s" % ", ".join("%s %d" % kv for kv in outcomes.most_common()))
        L.append("prompts   %d prompted (%d in a group's question), %d duplicates (%.3f%%), "
                 "%d lost, %d never sent (no_response during an outage)" % (
                     self.prompted, self.grouped, self.dups, 100 * self.dup_ratio,
                     len(self.lost), len(self.unsent)))
        L.append("delivery  %d outcome copies re-sent (same message_id), %d reports and %d pages "
                 "repeated" % (self.outcome_copies, self.dup_reports, self.dup_pages))
        L.append("time      published in %.0f s (%.0f/s); faults until %.0f s; quiet %s; "
                 "total %.0f s" % (
                     pub["end"] - pub["start"], pub["messages"] / max(1, pub["end"] - pub["start"]),
                     last_fault, "%.0f s after the last fault (time to drain)" % drain
                     if drain is not None else "NEVER", c["total"]))
        if c.get("stalls"):
            L.append("stalls    longest time without a message handled, per stage: %s" % ", ".join(
                "%s %.1f s" % (k, v["s"]) for k, v in c["stalls"].items()))
        L.append("checks")
        for ok, t in self.results:
            L.append("  %s %s" % ("ok  " if ok else "FAIL", t))
        L.append("RESULT: %s  (%d checks, %d failed)" % ("PASS" if not fails else "FAIL",
                                                         len(self.results), len(fails)))
        text = "\n".join(L)
        print(text)
        with open(os.path.join(self.a.dir, "summary.txt"), "w") as f:
            f.write(text + "\n")
        return 0 if not fails else 1


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dir", required=True)
    ap.add_argument("--fake-ctl", required=True)
    ap.add_argument("--pd-ctl", required=True)
    ap.add_argument("--max-dup", type=float, default=0.001)
    ap.add_argument("--brokers", type=int, default=1)
    ap.add_argument("--dup-per-kill", action="store_true",
                    help="also pass when every duplicate prompt was first sent shortly "
                    "(DUP_WINDOW) before an sb-prompt SIGKILL")
    ap.add_argument("--label", default="full")
    ap.add_argument("--escalate-after", type=float, default=10)
    a = ap.parse_args()
    c = Checker(a)
    c.load()
    c.rows_and_dead_letters()
    c.terminal()
    c.outcomes_once()
    c.escalations_once()
    c.prompts_not_lost()
    c.duplicates()
    c.intents()
    c.processes()
    return c.summary()


if __name__ == "__main__":
    sys.exit(main())
