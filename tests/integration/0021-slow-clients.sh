#!/usr/bin/env bash
# Slow clients cannot starve sb-gateway: 1,000 connections that each send a
# request a byte every 2 s, from 40 loopback addresses (127.0.0.2 and up),
# while signed clicks arrive from 127.0.0.1: every click is answered 200
# within 2 s and its event is on <prefix>responses. The slow connections are
# closed once they have spent SECURITYBOT_HTTP_REQUEST_TIMEOUT receiving (and
# open again, as an attacker's would); one address cannot hold more than
# SECURITYBOT_HTTP_MAX_CONNECTIONS_PER_IP. (With one thread per connection
# and 256 at most, 0 of 10 clicks were answered.)
. "$(dirname "$0")/lib/common.sh"
. "$(dirname "$0")/lib/gateway.sh"

setup_env 1
export SLACK_SIGNING_SECRET_FILE=$T_DIR/signing-secret
python3 -c 'import secrets; print(secrets.token_hex(16), end="")' >"$SLACK_SIGNING_SECRET_FILE"
chmod 600 "$SLACK_SIGNING_SECRET_FILE"
SECRET=$(<"$SLACK_SIGNING_SECRET_FILE")
start_gateway "$T_DIR/gateway.log"
ALERT=$(printf 'slow-clients' | sha256sum | cut -c1-64)
LIB=$SB_SOURCE_DIR/tests/integration/lib
gw_conns() { ss -Htn state established "sport = :$GW_PORT" | wc -l; }
at_least() { (($("$2") >= $1)); }

# ---- 1,000 slow connections from 40 addresses ----
python3 "$LIB/slowloris.py" "$GW_PORT" 1000 40 "$T_DIR/slow.stop" >"$T_DIR/slow.out" 2>&1 &
SLOW_PID=$!
SB_PIDS+=("$SLOW_PID")
sb_wait_log "$T_DIR/slow.out" '^OPEN 1000$' 60 "$SLOW_PID" >/dev/null || sb_fail "the slow clients never got 1,000 connections open"
sb_wait_until 30 "$SLOW_PID" at_least 950 gw_conns || sb_fail "the gateway does not hold the slow connections ($(gw_conns))"
log "sb-gateway holds $(gw_conns) slow connections"

# ---- signed clicks from 127.0.0.1 meanwhile ----
python3 "$LIB/clicks.py" "$GW_PORT" 20 "$ALERT" --secret "$SECRET" >"$T_DIR/clicks.out"
check "$(awk '$1 == 200' "$T_DIR/clicks.out" | wc -l)" 20 "20 of 20 clicks answered 200 beside 1,000 slow connections"
slowest=$(sort -k2 -n "$T_DIR/clicks.out" | tail -n1 | cut -d' ' -f2)
log "slowest click: $slowest s"
check "$(awk '$2 >= 2' "$T_DIR/clicks.out" | wc -l)" 0 "every click answered within 2 s (slowest $slowest s)"
topic_dump responses | cut -f4 | python3 -c 'import json, sys
print("\n".join(json.loads(l)["event_id"] for l in sys.stdin if l.strip()))' | sort >"$T_DIR/events"
check "$(cut -d' ' -f3 "$T_DIR/clicks.out" | sort | comm -23 - "$T_DIR/events" | wc -l)" 0 \
	"every click's event is on ${SECURITYBOT_TOPIC_PREFIX}responses"

# ---- the slow ones are cut after the request timeout (10 s) ----
# cut_total: connections sb-gateway has closed as too slow so far
cut_total() {
	grep -o '"msg":"http: closed [0-9]* connection(s) still sending a request' "$T_DIR/gateway.log" |
		tr -dc '0-9\n' | awk '{ n += $1 } END { printf "%d\n", n }'
}
sb_wait_until 60 "$GW_PID" at_least 900 cut_total || sb_fail "sb-gateway closed $(cut_total) slow connections, not 900"
# the client notices a close at its next read; on a loaded machine it lags
# the gateway's count by seconds (298 of 900+ once in CI), so wait for it
sb_wait_log "$T_DIR/slow.out" '^CLOSED ([6-9]|[0-9]{2,})00$' 60 "$SLOW_PID" >/dev/null ||
	log "the slow clients saw only $(grep -c '^CLOSED' "$T_DIR/slow.out")00 closes within 60 s"
touch "$T_DIR/slow.stop"
sb_wait_log "$T_DIR/slow.out" '^OPENED' 30 "$SLOW_PID" >/dev/null || sb_fail "the slow clients did not stop"
read -r _ opened _ closed _ longest < <(grep '^OPENED' "$T_DIR/slow.out")
log "slow clients: $opened connections opened, $closed closed by sb-gateway, the longest open $longest s"
# the gateway's own count (>= 900, waited for above) is the proof; the
# client's count, waited for above, shows the closes reached the peers
check "$((closed >= 600))" 1 "the slow clients saw most of those connections closed ($closed)"
check "$(python3 -c 'import sys; print(float(sys.argv[1]) < 13)' "$longest")" True \
	"none stayed open much beyond the 10 s request timeout (longest $longest s)"

# ---- one address holds at most 32 connections ----
python3 - "$GW_PORT" >"$T_DIR/per-ip.out" <<'PY'
import socket, sys, time
port, socks = int(sys.argv[1]), []
for _ in range(40):
    s = socket.socket()
    s.bind(("127.0.0.99", 0))
    s.connect(("127.0.0.1", port))
    s.send(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")  # never finished
    socks.append(s)
time.sleep(1)
alive = 0
for s in socks:
    s.setblocking(False)
    try:
        alive += s.recv(1) != b""  # closed by the server: b""
    except BlockingIOError:
        alive += 1  # still open, nothing to read
    except OSError:
        pass
print(alive)
PY
check "$(<"$T_DIR/per-ip.out")" 32 "one address keeps 32 of 40 connections (SECURITYBOT_HTTP_MAX_CONNECTIONS_PER_IP)"

stop_worker "$GW_PID"
finish
