"""fake_slack_socket: Slack's Socket Mode server side, for fake_slack.py.

apps.connections.open (in fake_slack.py) hands out a single-use ws:// URL
of this server. On each connection the fake sends `hello`, then the
envelopes a test asks for (events_api, interactive), each with a fresh
envelope_id; it expects {"envelope_id": ...} back within the ack timeout
(3 s, as Slack) and redelivers the envelope otherwise (retry_attempt + 1,
retry_reason "timeout"), on any open connection. It sends `disconnect`,
drops connections without a close frame, pings every 2 s (a client that
stops answering is dropped) and counts the client's pings. It replays an
envelope already acknowledged (same envelope_id, retry_attempt + 1), as
Slack does when the acknowledgement never reached it. Everything is
recorded for tests: connections, frames sent, acknowledgements (with their
latency and connection), late and duplicate acknowledgements, and
violations (anything Slack would reject: unknown envelope ids, frames that
are not acknowledgements, a reused ticket).

Uses Debian's python3-websockets (10.x, asyncio); all state lives on the
server's event loop, the control methods are called from other threads.
"""
import asyncio
import itertools
import json
import sys
import threading
import time
import uuid

try:
    import websockets
except ImportError:  # a Python of its own (pyenv) beside Debian's package
    sys.path.append("/usr/lib/python3/dist-packages")
    import websockets
from websockets.legacy.server import WebSocketServerProtocol

ACK_TIMEOUT = 3.0
TICKET_TTL = 30.0
PING_INTERVAL = 2.0
PING_TIMEOUT = 6.0


class Recording(WebSocketServerProtocol):
    """Counts the client's pings (the library answers them in pong())."""

    async def pong(self, data=b""):
        self.client_pings = getattr(self, "client_pings", 0) + 1
        await super().pong(data)


class SocketMode:
    def __init__(self, host="127.0.0.1"):
        self.host = host
        self.loop = asyncio.new_event_loop()
        self.lock = threading.Lock()  # guards tickets (issued from HTTP threads)
        self.reset_state()
        ready = threading.Event()
        threading.Thread(target=self.run, args=(ready,), daemon=True).start()
        ready.wait(10)

    def reset_state(self):
        self.tickets = {}  # ticket -> issued at
        self.conns = {}  # id -> {"ws", "opened", "closed", "disconnect_sent", ...}
        self.conn_ids = itertools.count(1)
        self.pending = {}  # envelope_id -> {"env", "sent_at", "conn", "attempts"}
        self.sent = {}  # envelope_id -> {"env", "attempts"}: every envelope, for replay
        self.acked = {}  # envelope_id -> [ack records]
        self.log = []
        self.violations = []
        self.ack_timeout = ACK_TIMEOUT
        self.rr = itertools.count()

    # ---- the server, on its own thread ------------------------------------

    def run(self, ready):
        asyncio.set_event_loop(self.loop)
        server = self.loop.run_until_complete(websockets.serve(
            self.handler, self.host, 0, create_protocol=Recording,
            process_request=self.check_ticket, ping_interval=PING_INTERVAL,
            ping_timeout=PING_TIMEOUT, max_size=1 << 20))
        self.port = server.sockets[0].getsockname()[1]
        self.loop.create_task(self.redeliver_loop())
        ready.set()
        self.loop.run_forever()

    def record(self, event, **kw):
        self.log.append(dict(kw, event=event, time=time.time()))

    def violation(self, detail, **kw):
        self.violations.append(dict(kw, detail=detail, time=time.time()))

    async def check_ticket(self, path, headers):
        """Slack's URLs are single-use and short-lived: refuse the rest."""
        ticket = path.partition("ticket=")[2].split("&")[0]
        with self.lock:
            issued = self.tickets.pop(ticket, None)
        if issued is None or time.time() - issued > TICKET_TTL:
            self.violation("connection with an unknown, used or expired ticket")
            return (401, [("Content-Type", "text/plain")], b"invalid ticket\n")
        return None

    async def handler(self, ws, path=None):
        cid = next(self.conn_ids)
        conn = {"id": cid, "ws": ws, "opened": time.time(), "closed": None,
                "disconnect_sent": False, "close_code": None}
        self.conns[cid] = conn
        self.record("connect", conn=cid)
        await ws.send(json.dumps({
            "type": "hello", "num_connections": self.open_count(),
            "debug_info": {"host": "fake-socket", "build_number": 1,
                           "approximate_connection_time": 3600},
            "connection_info": {"app_id": "A0FAKEAPP"}}))
        self.record("hello", conn=cid)
        try:
            async for frame in ws:
                self.on_frame(cid, frame)
        except websockets.ConnectionClosed:
            pass
        finally:
            conn["closed"] = time.time()
            conn["close_code"] = ws.close_code
            conn["client_pings"] = getattr(ws, "client_pings", 0)
            self.record("closed", conn=cid, code=ws.close_code)

    def on_frame(self, cid, frame):
        try:
            msg = json.loads(frame)
        except (ValueError, TypeError):
            self.violation("a frame that is not JSON", conn=cid)
            return
        eid = msg.get("envelope_id") if isinstance(msg, dict) else None
        if not isinstance(eid, str) or set(msg) - {"envelope_id", "payload"}:
            self.violation("a frame that is not an acknowledgement", conn=cid, frame=msg)
            return
        p = self.pending.pop(eid, None)
        if p is None and eid not in self.acked:
            self.violation("acknowledgement of an unknown envelope", conn=cid, envelope_id=eid)
            return
        rec = {"conn": cid, "time": time.time(), "duplicate": p is None}
        if p is not None:
            rec["latency"] = rec["time"] - p["sent_at"]
            rec["sent_on"] = p["conn"]
            rec["attempts"] = p["attempts"]
        self.acked.setdefault(eid, []).append(rec)
        self.record("ack", conn=cid, envelope_id=eid, duplicate=p is None)

    def open_count(self):
        return sum(1 for c in self.conns.values() if c["closed"] is None)

    def pick(self, want=None):
        """The connection for an envelope: the one asked for, else round
        robin over open ones not told to disconnect, else any open one."""
        live = [c for c in self.conns.values() if c["closed"] is None]
        if want is not None:
            live = [c for c in live if c["id"] == want]
        fresh = [c for c in live if not c["disconnect_sent"]] or live
        return fresh[next(self.rr) % len(fresh)] if fresh else None

    async def deliver(self, eid, want=None):
        p = self.pending[eid]
        conn = self.pick(want)
        if conn is None:
            return False
        env = dict(p["env"])
        if p["attempts"] > 0:
            env.update(retry_attempt=p["attempts"], retry_reason="timeout")
        p["attempts"] += 1
        self.sent[eid]["attempts"] = p["attempts"]
        p["sent_at"], p["conn"] = time.time(), conn["id"]
        try:
            await conn["ws"].send(json.dumps(env))
        except websockets.ConnectionClosed:
            pass  # redelivered after the timeout, as any unacknowledged one
        self.record("send", conn=conn["id"], envelope_id=eid, attempt=p["attempts"] - 1)
        return True

    async def redeliver_loop(self):
        while True:
            await asyncio.sleep(0.1)
            now = time.time()
            for eid, p in list(self.pending.items()):
                if p["sent_at"] is None:
                    await self.deliver(eid)
                elif now - p["sent_at"] > self.ack_timeout and eid in self.pending:
                    self.record("late", conn=p["conn"], envelope_id=eid, attempt=p["attempts"] - 1)
                    p["sent_at"] = None  # on the next open connection
                    await self.deliver(eid)

    # ---- the control side, from other threads -----------------------------

    def call(self, coro):
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(10)

    def open_url(self):
        ticket = uuid.uuid4().hex
        with self.lock:
            self.tickets[ticket] = time.time()
        return "ws://%s:%d/link/?ticket=%s&app_id=A0FAKEAPP" % (self.host, self.port, ticket)

    def send(self, kind, payload, conn=None):
        async def go():
            eid = str(uuid.uuid4())
            env = {"envelope_id": eid, "type": kind, "payload": payload,
                   "accepts_response_payload": False}
            self.sent[eid] = {"env": env, "attempts": 0}
            self.pending[eid] = {"env": env, "sent_at": None, "conn": None, "attempts": 0}
            await self.deliver(eid, conn)
            return eid
        return self.call(go())

    def replay(self, eid):
        """An acknowledged envelope once more, as a retry (Slack never saw
        the acknowledgement): False when unknown or still pending."""
        async def go():
            s = self.sent.get(eid)
            if s is None or eid in self.pending:
                return False
            self.pending[eid] = {"env": s["env"], "sent_at": None, "conn": None,
                                 "attempts": s["attempts"]}
            self.record("replay", envelope_id=eid)
            await self.deliver(eid)
            return True
        return self.call(go())

    def disconnect(self, reason, conn=None):
        async def go():
            sent = []
            for c in list(self.conns.values()):
                if c["closed"] is None and conn in (None, c["id"]):
                    c["disconnect_sent"] = True
                    await c["ws"].send(json.dumps({"type": "disconnect", "reason": reason,
                                                   "debug_info": {"host": "fake-socket"}}))
                    self.record("disconnect", conn=c["id"], reason=reason)
                    sent.append(c["id"])
            return sent
        return self.call(go())

    def drop(self, conn=None):
        """Drops connections at the TCP level: no close frame."""
        async def go():
            dropped = []
            for c in list(self.conns.values()):
                if c["closed"] is None and conn in (None, c["id"]):
                    c["ws"].transport.abort()
                    self.record("drop", conn=c["id"])
                    dropped.append(c["id"])
            return dropped
        return self.call(go())

    def config(self, req):
        async def go():
            if "ack_timeout" in req:
                self.ack_timeout = float(req["ack_timeout"])
        return self.call(go())

    def reset(self):
        async def go():
            for c in self.conns.values():
                if c["closed"] is None:
                    c["ws"].transport.abort()
            with self.lock:
                self.reset_state()
        return self.call(go())

    def state(self):
        async def go():
            conns = []
            for c in self.conns.values():
                conns.append({k: v for k, v in c.items() if k != "ws"})
                if c["closed"] is None:
                    conns[-1]["client_pings"] = getattr(c["ws"], "client_pings", 0)
            return json.loads(json.dumps({
                "ok": True, "connections": conns, "pending": sorted(self.pending),
                "acked": self.acked, "log": self.log, "violations": self.violations,
                "open": self.open_count()}))
        return self.call(go())
