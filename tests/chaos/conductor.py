#!/usr/bin/env python3
"""conductor: runs the workers of a chaos run, feeds the alerts, injects the
faults, and waits until everything is quiet.

    conductor.py --dir RUN_DIR --bin BIN_DIR --stack STACK --alerts FILE
                 --messages N --rate R --gateway-ports P1,P2 --fake-ctl URL
                 --simulator "CMD..." [--seed S] [--kill-every A,B]
                 [--slack-fail-s S] [--tail-s S] [--drain-timeout S]

The environment carries the workers' configuration (SECURITYBOT_*,
SLACK_*) and the private stack's (SB_STACK_VAR, SB_KAFKA_PORT, SB_PG_PORT).

Every worker kind runs as two processes (slots ingest-1, ingest-2, ...;
logs in RUN_DIR/logs/<slot>.log across restarts). While the alerts are
published at RATE a second (kcat, idempotent) and for TAIL seconds after,
a random worker is killed with SIGKILL every A..B seconds (the kinds take
turns, so each is hit once in every five kills) and restarted after a
moment; once each, in this order and spread over that time, the
Kafka broker and PostgreSQL are restarted (`STACK restart-kafka`,
`restart-pg`; with --brokers 3 also `kill-broker` of the broker leading the
most partitions, `start-broker` later, and a second broker restarted) and
the fake Slack answers 429 and 500 to every call for
SLACK_FAIL_S seconds. A worker that exits without being killed is an
unexpected exit: recorded (status, last log lines) and restarted.

Then it waits for quiet: every message ingested, no alert open, no outcome
or escalation delivery pending, the simulator idle, and the database
unchanged for 3 s; stops the simulator and the workers (SIGTERM, each
must exit 0) and writes RUN_DIR/conductor.json. Exit 0 when quiet was
reached, 1 when it was not within DRAIN_TIMEOUT (a hang) or the stack
could not be restarted.

Meanwhile it reads every consuming replica's messages_consumed_total
(its /metrics on a port of its own) twice a second and records, per stage,
the longest time between two moments the stage handled something, from its
first message until quiet: the longest stall (a stage waiting for a dead
replica's partitions shows here).
"""
import argparse
import collections
import json
import os
import random
import shlex
import signal
import subprocess
import sys
import threading
import time
import re
import shutil
import urllib.parse
import urllib.request

KINDS = ("ingest", "prompt", "gateway", "response", "escalation")
QUIET_SQL = """SELECT
 (SELECT coalesce(sum(next_offset), 0) FROM ingest_progress),
 (SELECT count(*) FROM alerts WHERE status NOT IN ('confirmed', 'escalated', 'suppressed')),
 (SELECT count(*) FROM alerts WHERE outcome_due_at IS NOT NULL),
 (SELECT count(*) FROM escalations WHERE delivered_at IS NULL),
 (SELECT count(*) FROM responses),
 (SELECT coalesce(max(id), 0) FROM audit_log),
 (SELECT count(*) FROM alerts)"""


def log(msg):
    print("[chaos %s] %s" % (time.strftime("%H:%M:%S"), msg), file=sys.stderr, flush=True)



def url_with_user(url, user):
    """The database URL with this user and no password (the stack lets the
    workers' roles in from loopback without one)."""
    if url.startswith(("postgres://", "postgresql://")):
        p = urllib.parse.urlsplit(url)
        return urllib.parse.urlunsplit((p.scheme, user + "@" + p.netloc.rsplit("@", 1)[-1],
                                        p.path, p.query, p.fragment))
    return re.sub(r"(^|\s)(user|password)=\S*", "", url) + " user=" + user


FRAME_RE = re.compile(r"^#\d+\s+(?:0x[0-9a-f]+ in )?([A-Za-z_][\w:]*) \(")


def main_thread_calls(gdb_out, pid):
    """The function names of the thread whose LWP is pid, innermost first."""
    calls, inside = [], False
    for line in gdb_out.splitlines():
        if line.startswith("Thread "):
            inside = "(LWP %d)" % pid in line
        elif inside and (m := FRAME_RE.match(line)):
            calls.append(m.group(1))
    return calls


class Slot:
    def __init__(self, kind, n, port=None):
        self.kind, self.name, self.port = kind, "%s-%d" % (kind, n), port
        self.proc = None
        self.killed = False  # by us: its exit is expected
        self.restart_at = None
        self.starts = 0
        self.log_from = 0  # where this process's lines start in its log
        self.mport = None  # its metrics port, once it said
        self.consumed = 0  # its messages_consumed_total when last read


PORT_RE = re.compile(rb'"msg":"metrics listening".*?"port":"([0-9]+)"')
CONSUMED_RE = re.compile(r'^securitybot_messages_consumed_total\{[^}]*\} ([0-9.e+]+)$', re.M)


class Progress:
    """Per stage: when it last handled a message, and the longest gap."""

    def __init__(self, kinds):
        self.last = {k: None for k in kinds}
        self.longest = {k: {"s": 0.0, "until": None} for k in kinds}

    def handled(self, kind, now, rel):
        if self.last[kind] is not None and now - self.last[kind] > self.longest[kind]["s"]:
            self.longest[kind] = {"s": round(now - self.last[kind], 1), "until": rel}
        self.last[kind] = now


class Conductor:
    def __init__(self, a):
        self.a = a
        self.rnd = random.Random("faults:%d" % a.seed)
        self.lock = threading.Lock()
        self.t0 = time.time()
        self.slots, self.sim, self.kcat, self.turns = [], None, None, []
        ports = [int(p) for p in a.gateway_ports.split(",")]
        for kind in KINDS:
            for n in (1, 2):
                self.slots.append(Slot(kind, n, ports[n - 1] if kind == "gateway" else None))
        self.progress = Progress([k for k in KINDS if k != "gateway"])
        self.sampling = True
        self.rec = {"t0": self.t0, "kills": [], "unexpected_exits": [], "infra": [],
                    "final_exits": {},
                    "publish": {}, "quiet": None, "timed_out": False, "errors": []}
        os.makedirs(os.path.join(a.dir, "logs"), exist_ok=True)

    def rel(self):
        return round(time.time() - self.t0, 1)

    # ---- workers --------------------------------------------------------------

    def start(self, slot):
        env = dict(os.environ)
        # each worker as its own database role (schemas/grants.sql), as the
        # tests' sb_start_worker does; SB_WORKER_ROLES=0: the URL's user
        if slot.kind != "gateway" and env.get("SB_WORKER_ROLES", "1") != "0":
            env["SECURITYBOT_DATABASE_URL"] = url_with_user(env["SECURITYBOT_DATABASE_URL"],
                                                            "sb_" + slot.kind)
        if slot.port:
            env["SECURITYBOT_HTTP_LISTEN"] = "127.0.0.1:%d" % slot.port
        else:
            # the slot's member name in its group: a restarted slot takes
            # its partitions back at once (static membership)
            env["SECURITYBOT_INSTANCE_ID"] = "chaos-" + slot.name
            env["SECURITYBOT_METRICS_LISTEN"] = "127.0.0.1:0"
        logf = open(os.path.join(self.a.dir, "logs", slot.name + ".log"), "a")
        slot.log_from, slot.mport, slot.consumed = logf.tell(), None, 0
        logf.write('{"chaos":"start %d at %.1f s"}\n' % (slot.starts + 1, self.rel()))
        logf.flush()
        slot.proc = subprocess.Popen([os.path.join(self.a.bin, "sb-" + slot.kind)], env=env,
                                     stdin=subprocess.DEVNULL, stdout=logf, stderr=logf)
        logf.close()
        slot.killed, slot.restart_at = False, None
        slot.starts += 1

    def idempotence_fatal(self, slot):
        """True when this run of the slot's worker met librdkafka 2.0.2's
        idempotent-producer fatal error (librdkafka#4438, fixed in 2.3.0):
        a retry after NOT_ENOUGH_REPLICAS "rewound" its sequence numbers.
        Any producer fatal error counts: only the idempotent producer raises
        them, and 2.0.2 has more than one such state after broker faults."""
        try:
            with open(os.path.join(self.a.dir, "logs", slot.name + ".log"), "rb") as f:
                f.seek(slot.log_from)
                run = f.read().decode("utf-8", "replace")
        except OSError:
            return False
        return "producer fatal error" in run

    def last_lines(self, slot, n=5):
        try:
            with open(os.path.join(self.a.dir, "logs", slot.name + ".log"), "rb") as f:
                f.seek(0, 2)
                f.seek(max(0, f.tell() - 4000))
                return f.read().decode("utf-8", "replace").splitlines()[-n:]
        except OSError:
            return []

    def supervise(self):
        """Restarts what is due; records exits nobody asked for."""
        now = time.time()
        with self.lock:
            for s in self.slots:
                if s.proc is not None and s.proc.poll() is not None and s.restart_at is None:
                    if not s.killed:
                        self.rec["unexpected_exits"].append({
                            "t": self.rel(), "slot": s.name, "status": s.proc.returncode,
                            "log": self.last_lines(s),
                            "idempotence_fatal": self.idempotence_fatal(s)})
                        log("%s exited by itself with status %d" % (s.name, s.proc.returncode))
                    s.restart_at = now + (1.0 if not s.killed else self.rnd.uniform(0.2, 1.5))
                if s.restart_at is not None and now >= s.restart_at:
                    self.start(s)

    def dump_stacks(self):
        """A hang: every live worker's threads as gdb sees them, saved as
        logs/<slot>.stacks, and each main thread's calls in the output (a CI
        run keeps only what is printed)."""
        if not shutil.which("gdb"):
            log("no gdb: the hung workers' stacks are not taken")
            return
        for s in self.slots:
            if s.proc is None or s.proc.poll() is not None:
                continue
            try:
                p = subprocess.run(["gdb", "-p", str(s.proc.pid), "-batch", "-nx",
                                    "-ex", "thread apply all bt 16"],
                                   capture_output=True, text=True, timeout=60)
            except subprocess.TimeoutExpired:
                log("%s: gdb did not answer within 60 s" % s.name)
                continue
            with open(os.path.join(self.a.dir, "logs", s.name + ".stacks"), "w") as f:
                f.write(p.stdout + p.stderr)
            log("%s main thread: %s" % (s.name, " < ".join(main_thread_calls(p.stdout, s.proc.pid))
                                        or "(no stack: see logs/%s.stacks)" % s.name))

    # ---- progress ---------------------------------------------------------------

    def metrics_port(self, slot):
        try:
            with open(os.path.join(self.a.dir, "logs", slot.name + ".log"), "rb") as f:
                f.seek(slot.log_from)
                m = PORT_RE.search(f.read())
        except OSError:
            return None
        return int(m.group(1)) if m else None

    def sample(self):
        """Every consuming replica's count; a stage's rise is progress."""
        now, rel = time.time(), self.rel()
        rose = set()
        with self.lock:
            slots = [(s, s.proc) for s in self.slots if s.kind != "gateway" and s.proc]
        for s, proc in slots:
            if proc.poll() is not None:
                continue
            if s.mport is None and (port := self.metrics_port(s)):
                s.mport = port
            if s.mport is None:
                continue
            try:
                with urllib.request.urlopen("http://127.0.0.1:%d/metrics" % s.mport,
                                            timeout=2) as r:
                    text = r.read().decode("utf-8", "replace")
            except OSError:
                continue
            n = sum(float(x) for x in CONSUMED_RE.findall(text))
            if n > s.consumed:
                rose.add(s.kind)
            s.consumed = max(s.consumed, n)
        for kind in rose:
            self.progress.handled(kind, now, rel)

    def sample_loop(self):
        while self.sampling:
            self.sample()
            time.sleep(0.5)

    def kill_one(self):
        """SIGKILLs a random replica; the kinds take turns in a shuffled order,
        so every kind is hit once in each five kills."""
        with self.lock:
            alive = [s for s in self.slots if s.proc and s.proc.poll() is None and not s.killed]
            if not alive:
                return
            if not self.turns:
                self.turns = self.rnd.sample(KINDS, len(KINDS))
            kind = self.turns.pop()
            s = self.rnd.choice([s for s in alive if s.kind == kind] or alive)
            s.killed = True
            s.proc.send_signal(signal.SIGKILL)
            self.rec["kills"].append({"t": self.rel(), "slot": s.name, "pid": s.proc.pid})

    def stop_all(self):
        for s in self.slots:
            if s.proc and s.proc.poll() is None:
                s.proc.send_signal(signal.SIGTERM)
        deadline = time.time() + 30
        for s in self.slots:
            if not s.proc:
                continue
            try:
                s.proc.wait(timeout=max(0.1, deadline - time.time()))
            except subprocess.TimeoutExpired:
                s.proc.kill()
                s.proc.wait()
                self.rec["final_exits"][s.name] = "no exit within 30 s after SIGTERM"
                continue
            self.rec["final_exits"][s.name] = s.proc.returncode

    # ---- the input ------------------------------------------------------------

    def publish(self):
        """Feeds the alerts at the rate through kcat. With several brokers,
        librdkafka 2.0.2's idempotent producer can fail fatally (the same
        librdkafka#4438 the workers meet); kcat then exits with messages
        undelivered, as a real detector's producer would, and at times with
        status 0 (one such run left 977 of 1500 alerts unsent, and the run
        waited for them as a hang): the fatal error in its output decides,
        not its status. The detector's
        remedy is ours: a new kcat sends everything again from the start
        (at most twice): alerts deduplicate on their id, and a repeated
        invalid message is a dead letter of its own (check.py counts
        distinct ones then)."""
        a = self.a
        self.rec["publish"].update(start=self.rel(), messages=0, republished=0)
        sent, t_start = 0, time.time()
        with open(a.alerts, "rb") as f:
            lines = f.readlines()
        for attempt in range(3):
            rc, sent, fatal, last = self.publish_once(lines, sent, t_start, attempt)
            if not fatal or a.brokers < 2 or attempt == 2:
                break
            self.rec["publish"]["republished"] += 1
            log("kcat: idempotent producer fatal error (librdkafka#4438): publishing again"
                " (%s)" % last)
        self.rec["publish"].update(end=self.rel(), messages=sent, kcat_status=rc)
        if rc != 0 or fatal:
            self.rec["errors"].append("kcat exited with status %d%s: %s" % (
                rc, " after a fatal error" if fatal else "", last))
        log("published %d alerts in %.0f s" % (sent, time.time() - t_start))

    def publish_once(self, lines, sent, t_start, attempt):
        """One kcat: the lines already sent at once, then the rest at the
        rate. Returns (exit status, lines sent, whether it was the fatal
        idempotence error)."""
        a = self.a
        cmd = ["kcat", "-P", "-b", os.environ["SECURITYBOT_KAFKA_BROKERS"],
               "-t", os.environ["SECURITYBOT_TOPIC_PREFIX"] + "alerts",
               "-E", "-X", "enable.idempotence=true", "-X", "message.timeout.ms=600000"]
        errname = os.path.join(a.dir, "kcat.err" if attempt == 0 else "kcat.%d.err" % attempt)
        err = open(errname, "w")
        p = self.kcat = subprocess.Popen(cmd, stdin=subprocess.PIPE, stderr=err)
        try:
            if sent:
                p.stdin.writelines(lines[:sent])
                p.stdin.flush()
            for line in lines[sent:]:
                p.stdin.write(line)
                sent += 1
                if sent % max(1, a.rate // 20) == 0:
                    p.stdin.flush()
                    ahead = sent / a.rate - (time.time() - t_start)
                    if ahead > 0:
                        time.sleep(ahead)
            p.stdin.close()
        except BrokenPipeError:
            pass  # kcat gave up: its status says so
        rc = p.wait()
        err.close()
        with open(errname, encoding="utf-8", errors="replace") as f:
            text = f.read()
        # Only the idempotent producer raises librdkafka's fatal errors, and
        # 2.0.2's meets more than one after broker restarts (out of order
        # sequence numbers, an unknown producer id, a MessageSet it cannot
        # rebuild); each leaves kcat unable to send, as a detector's
        # producer would be, so each is published again
        fatal = "FATAL CLIENT ERROR" in text or "Local: Fatal error" in text
        lines_err = [x for x in text.splitlines() if x.strip()]
        last = lines_err[-1][:300] if lines_err else "kcat.err is empty"
        return rc, sent, fatal, last

    # ---- faults -----------------------------------------------------------------

    def stack(self, what, *args):
        t = self.rel()
        what = " ".join((what,) + args)
        log("fault: %s" % what)
        # the stack script takes the workers' URLs (a database of its own) as
        # "external, not ours"; without them it acts on SB_STACK_VAR's stack
        env = dict(os.environ, SECURITYBOT_KAFKA_BROKERS="", SECURITYBOT_DATABASE_URL="")
        p = subprocess.run([self.a.stack] + what.split(), stdout=subprocess.DEVNULL,
                           stderr=subprocess.PIPE, text=True, env=env)
        self.rec["infra"].append({"what": what, "t": t, "took": round(self.rel() - t, 1),
                                  "status": p.returncode})
        if p.returncode != 0:
            self.rec["errors"].append("stack %s failed: %s" % (what, p.stderr.strip()[-300:]))

    def slack_window(self):
        t = self.rel()
        log("fault: fake Slack answers 429 and 500 for %d s" % self.a.slack_fail_s)
        body = json.dumps({"seconds": self.a.slack_fail_s, "status": [429, 500],
                           "retry_after": 1}).encode()
        req = urllib.request.Request(self.a.fake_ctl + "/fail", data=body,
                                     headers={"Content-Type": "application/json"})
        urllib.request.urlopen(req, timeout=10).read()
        self.rec["infra"].append({"what": "slack-429-500", "t": t, "took": self.a.slack_fail_s,
                                  "status": 0})
        time.sleep(self.a.slack_fail_s)

    def busiest_broker(self):
        """The broker leading the most partitions (kcat's metadata), or 1."""
        p = subprocess.run(["kcat", "-L", "-J", "-b", os.environ["SECURITYBOT_KAFKA_BROKERS"]],
                           capture_output=True, text=True, timeout=30)
        try:
            md = json.loads(p.stdout)
            leaders = collections.Counter(part["leader"] for t in md["topics"]
                                          for part in t.get("partitions", []))
            return leaders.most_common(1)[0][0] if leaders else 1
        except (ValueError, KeyError):
            return 1

    def broker_outage(self):
        """SIGKILL of the busiest broker, started again 10 s later."""
        self.killed_broker = self.busiest_broker()
        self.stack("kill-broker", str(self.killed_broker))
        time.sleep(10)
        self.stack("start-broker", str(self.killed_broker))

    def restart_another_broker(self):
        other = 1 + self.killed_broker % self.a.brokers
        self.stack("stop-broker", str(other))
        self.stack("start-broker", str(other))

    def infra_faults(self, window):
        """Kafka, PostgreSQL and Slack, once each, spread over the window;
        with three brokers also the one leading the most partitions
        SIGKILLed (started again 10 s later) and then another one restarted."""
        plan = [(0.2, lambda: self.stack("restart-kafka")),
                (0.45, lambda: self.stack("restart-pg")), (0.6, self.slack_window)]
        if self.a.brokers >= 3:
            plan += [(0.3, self.broker_outage), (0.75, self.restart_another_broker)]
        plan.sort(key=lambda x: x[0])
        for frac, fn in plan:
            delay = self.t0 + frac * window - time.time()
            if delay > 0:
                time.sleep(delay)
            fn()

    # ---- quiet ------------------------------------------------------------------

    def quiet_state(self):
        p = subprocess.run(["psql", "-X", "-At", "-F", " ", os.environ["SECURITYBOT_DATABASE_URL"],
                            "-c", QUIET_SQL], capture_output=True, text=True, timeout=30)
        if p.returncode != 0:
            return None
        try:
            with open(os.path.join(self.a.dir, "sim-status.json")) as f:
                sim = json.load(f)
        except (OSError, ValueError):
            return None
        vals = [int(x) for x in p.stdout.split()]
        return vals, sim

    def wait_quiet(self, since):
        last, stable_since = None, None
        next_note = time.time() + 10
        while time.time() - since < self.a.drain_timeout:
            self.supervise()
            got = self.quiet_state()
            if got:
                (ingested, open_, due, undelivered, responses, audit, rows), sim = got
                busy = (ingested < self.rec["publish"]["messages"] or open_ or due or undelivered
                        or sim["pending"] or time.time() - sim["time"] > 5)
                sig = (ingested, open_, due, undelivered, responses, audit, rows, sim["calls_seen"])
                if busy:
                    stable_since = None
                elif sig != last or stable_since is None:
                    stable_since = time.time()
                elif time.time() - stable_since >= 3:
                    return True
                last = sig
                if time.time() >= next_note:
                    log("draining: %d/%d ingested, %d open, %d outcomes due, %d escalations "
                        "undelivered, simulator pending %d" % (
                            ingested, self.rec["publish"]["messages"], open_, due, undelivered,
                            sim["pending"]))
                    next_note = time.time() + 10
            time.sleep(1)
        return False

    # ---- the run ------------------------------------------------------------

    def run(self):
        a = self.a
        for s in self.slots:
            self.start(s)
        sim_log = open(os.path.join(a.dir, "simulator.log"), "a")
        sim = self.sim = subprocess.Popen(shlex.split(a.simulator), stdout=sim_log, stderr=sim_log)
        time.sleep(2)  # consumer groups form
        sampler = threading.Thread(target=self.sample_loop)
        sampler.start()
        pub = threading.Thread(target=self.publish)
        pub.start()
        with open(a.alerts, "rb") as f:
            window = sum(1 for _ in f) / a.rate + a.tail_s
        infra = threading.Thread(target=self.infra_faults, args=(window,))
        infra.start()
        next_kill = time.time() + self.rnd.uniform(*a.kill_every)
        while time.time() - self.t0 < window or pub.is_alive() or infra.is_alive():
            self.supervise()
            if time.time() >= next_kill and time.time() - self.t0 < window:
                self.kill_one()
                next_kill = time.time() + self.rnd.uniform(*a.kill_every)
            if sim.poll() is not None:
                self.rec["errors"].append("the simulator exited (status %d)" % sim.returncode)
                break
            time.sleep(0.1)
        pub.join()
        infra.join()
        faults_end = self.rel()
        for _ in range(30):  # every slot back up before waiting for quiet
            self.supervise()
            if all(s.proc.poll() is None for s in self.slots):
                break
            time.sleep(0.2)
        self.rec["faults_end"] = faults_end
        log("faults over at %.0f s: %d kills; waiting for quiet" % (faults_end,
                                                                    len(self.rec["kills"])))
        quiet = not self.rec["errors"] and self.wait_quiet(time.time())
        self.rec["quiet"] = self.rel() if quiet else None
        self.rec["timed_out"] = not quiet and not self.rec["errors"]
        if self.rec["timed_out"]:
            self.rec["errors"].append("not quiet %d s after the faults: a hang" % a.drain_timeout)
            self.dump_stacks()
        self.sampling = False
        sampler.join()
        self.rec["stalls"] = self.progress.longest
        log("quiet at %.0f s" % self.rel() if quiet else "NOT quiet: %s" % self.rec["errors"])
        log("longest stall per stage: " + ", ".join(
            "%s %.1f s (until %s s)" % (k, v["s"], v["until"]) for k, v in self.rec["stalls"].items()))
        sim.send_signal(signal.SIGTERM)
        try:
            self.rec["simulator_exit"] = sim.wait(timeout=15)
        except subprocess.TimeoutExpired:
            sim.kill()
            self.rec["simulator_exit"] = "killed"
        self.stop_all()
        self.rec["total"] = self.rel()
        with open(os.path.join(a.dir, "conductor.json"), "w") as f:
            json.dump(self.rec, f, indent=1)
        return 0 if quiet else 1


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dir", required=True)
    ap.add_argument("--bin", required=True)
    ap.add_argument("--stack", required=True)
    ap.add_argument("--alerts", required=True)
    ap.add_argument("--rate", type=int, default=100)
    ap.add_argument("--gateway-ports", required=True)
    ap.add_argument("--fake-ctl", required=True)
    ap.add_argument("--simulator", required=True)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--kill-every", default="2,5")
    ap.add_argument("--slack-fail-s", type=int, default=30)
    ap.add_argument("--tail-s", type=float, default=30)
    ap.add_argument("--drain-timeout", type=int, default=900)
    ap.add_argument("--brokers", type=int, default=1)
    a = ap.parse_args()
    a.kill_every = tuple(float(x) for x in a.kill_every.split(","))
    c = Conductor(a)

    def bye(*_):
        for p in [s.proc for s in c.slots] + [c.sim, c.kcat]:
            if p and p.poll() is None:
                p.kill()
        os._exit(130)  # now: the publishing and fault threads would hold sys.exit
    signal.signal(signal.SIGTERM, bye)
    signal.signal(signal.SIGINT, bye)
    return c.run()


if __name__ == "__main__":
    sys.exit(main())
