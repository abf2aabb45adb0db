#!/usr/bin/env bash
# Slack Socket Mode on the real stack (SECURITYBOT_SLACK_MODE=socket): the
# gateway dials the fake's apps.connections.open and its WebSocket, and the
# conversation runs over envelopes (confirm with a code, deny with words,
# another employee's click refused, a command)
# with the same event ids as the HTTP callbacks; every envelope is
# acknowledged only after Kafka has its event, within Slack's 3 s; then the
# faults: a `disconnect` during a burst of clicks (the new connection opens
# before the old one closes), a connection dropped with envelopes
# unacknowledged, Kafka down for 20 s, sb-gateway SIGKILLed with events in
# flight: nothing lost, nothing decided twice.
. "$(dirname "$0")/lib/common.sh"
. "$(dirname "$0")/lib/fake_slack.sh"
. "$(dirname "$0")/lib/gateway.sh"
. "$(dirname "$0")/lib/socket_user.sh"
. "$(dirname "$0")/lib/totp.sh"
ctl() { "$SB_BIN_DIR/sbctl" "$@"; }
stack() { env -u SECURITYBOT_DATABASE_URL -u SECURITYBOT_KAFKA_BROKERS "$SB_SOURCE_DIR/deploy/local/stack" "$@" >/dev/null; }

setup_env 3
people=(alice:U001 bob:U002)
for i in $(seq 10 39); do people+=("p$i:U0$i"); done
import_people "${people[@]}"
totp_setup alice

start_fake_slack
users='"alice@example.com": "U001", "bob@example.com": "U002"'
for i in $(seq 10 39); do users+=", \"p$i@example.com\": \"U0$i\""; done
fake_post config "{\"users\": {$users}}"
export SLACK_API_URL=$FAKE_URL SLACK_BOT_TOKEN=$FAKE_TOKEN SECURITYBOT_COMMENT_WINDOW=15s

start_ingest
sb_start_worker "$T_DIR/prompt.log" sb-prompt
sb_start_worker "$T_DIR/response.log" sb-response
gw() { start_socket_gateway "$1"; } # sets GW_PID and GW_PORT
gw "$T_DIR/gateway.1.log"

state() { sock_state "$1"; }
alert() { ctl alert send --user "$1" --rule "$2" --title "$3" --severity high; }
sent_sql() { echo "SELECT count(*) FROM alerts WHERE id = '$1' AND chat_ts IS NOT NULL"; }
status_of() { sql "SELECT status FROM alerts WHERE id = '$1'"; }

# ---- (1) socket mode: no Slack callbacks, ready, one connection ----
check "$(curl -s -o /dev/null -w '%{http_code}' -X POST -H 'Content-Type: application/json' -d '{}' "http://127.0.0.1:$GW_PORT/slack/events")" 404 "/slack/events answers 404 in socket mode"
sb_wait_http "http://127.0.0.1:$GW_PORT/readyz" 20 "$GW_PID" || true
check "$(curl -s "http://127.0.0.1:$GW_PORT/readyz")" ready "/readyz with a connection"
check "$(state "d['open']")" 1 "one connection"
check "$(fake_q calls "[c['headers']['authorization'][:12] for c in d['calls'] if c['method'] == 'apps.connections.open']")" '["Bearer xapp-"]' "apps.connections.open with the app token"

# ---- (2) confirm with a code, deny with words, over envelopes ----
a1=$(alert alice r1 "Alice's alert")
b1=$(alert bob r1 "Bob's alert")
wait_for "$(sent_sql "$a1")" 1 30
wait_for "$(sent_sql "$b1")" 1 30
click U001 confirm "$a1" >/dev/null
wait_for "SELECT status FROM alerts WHERE id = '$a1'" awaiting_code 30
# the event id is the HTTP callbacks' own: sha256("block_actions|user|action_ts|action_id")
want=$(printf 'block_actions|U001|1800000000.%06d|sb_confirm' 1 | sha256sum | cut -d' ' -f1)
check "$(on_topic responses U001 | python3 -c 'import json, sys; print(json.loads(sys.stdin.readline())["event_id"])')" "$want" "the click's event id is the HTTP callback's"
while (($(date +%s) % 30 > 24)); do sleep 1; done
dm U001 "$(code alice)" >/dev/null
wait_for "SELECT status || '/' || second_factor FROM alerts WHERE id = '$a1'" "confirmed/passed" 30
check "$(status_of "$a1")" confirmed "alice confirmed with her code over Socket Mode"
check "$(on_topic responses U001 | tail -n 1 | python3 -c 'import json, sys; print(json.loads(sys.stdin.read())["event_id"])')" "EvS$$x2" "the message's event id is Slack's event_id"
click U002 deny "$b1" >/dev/null
wait_for "SELECT status FROM alerts WHERE id = '$b1'" denied 30
dm U002 "I was on a plane" >/dev/null
wait_for "SELECT coalesce(comment, '') FROM alerts WHERE id = '$b1'" "I was on a plane" 30
check "$(on_topic outcomes "$b1" | python3 -c 'import json, sys; m = json.loads(sys.stdin.read()); print(m["outcome"], m["comment"])')" "denied I was on a plane" "bob's deny with his words"
# another employee's click is refused (and audited); a command works
a2=$(alert alice r2 "Alice's second alert")
wait_for "$(sent_sql "$a2")" 1 30
click U002 deny "$a2" >/dev/null
wait_for "SELECT count(*) FROM audit_log WHERE alert_id = '$a2' AND action = 'answer_refused_not_owner'" 1 30
check "$(status_of "$a2")" prompted "bob's click on alice's alert changed nothing"
dm U002 help >/dev/null
helped() { [[ $(fake_q messages "sum(1 for m in d['messages'] if m['text'].startswith(\"I'm securitybot: I ask you\"))") == 1 ]]; }
sb_wait_until 30 "" helped || true
check "$(helped && echo yes)" yes "the help command answered over Socket Mode"
wait_acked 10
check "$(state "sorted(set(len(v) for v in d['acked'].values()))")" "[1]" "every envelope acknowledged once"
check "$(state "max(a['latency'] for v in d['acked'].values() for a in v) < 3")" True "each within 3 s"
check "$(state "sum(1 for e in d['log'] if e['event'] == 'late')")" 0 "none redelivered"

# alerts for the fault scenarios: one per person, each waiting for a click
declare -A alert_of
for i in $(seq 10 39); do alert_of[$i]=$(alert "p$i" burst "Burst $i"); done
for i in $(seq 10 39); do wait_for "$(sent_sql "${alert_of[$i]}")" 1 60; done
decided() { # decided FROM TO: how many of those alerts were denied exactly once
	local i c=0
	for i in $(seq "$1" "$2"); do
		[[ $(sql "SELECT count(*) FROM audit_log WHERE alert_id = '${alert_of[$i]}' AND action = 'denied'") == 1 ]] && c=$((c + 1))
	done
	echo "$c"
}
all_decided() { [[ $(decided "$1" "$2") -eq $(($2 - $1 + 1)) ]]; }
wait_decided() { sb_wait_until "${3:-60}" "" all_decided "$1" "$2" || true; }

# ---- (3) a disconnect during a burst of clicks ----
for i in $(seq 10 14); do click "U0$i" deny "${alert_of[$i]}" >/dev/null; done
sock disconnect '{"reason": "refresh_requested"}' >/dev/null
for i in $(seq 15 19); do click "U0$i" deny "${alert_of[$i]}" >/dev/null; done
wait_acked 30
wait_decided 10 19
check "$(decided 10 19)" 10 "burst across a disconnect: ten alerts, each decided once"
check "$(state "len(d['connections'])")" 2 "one new connection"
check "$(state "d['connections'][1]['opened'] < d['connections'][0]['closed']")" True "the new connection opened before the old one closed"
check "$(state "d['connections'][0]['close_code']")" 1000 "the old one closed cleanly"

# ---- (4) a dropped connection with envelopes unacknowledged ----
sock config '{"ack_timeout": 3}' >/dev/null
for i in $(seq 20 24); do click "U0$i" deny "${alert_of[$i]}" >/dev/null; done
sock drop '{}' >/dev/null
wait_acked 40
wait_decided 20 24
check "$(decided 20 24)" 5 "a dropped connection: five alerts, each decided once"
# the envelopes may have been acknowledged before the drop: the new
# connection comes after the backoff (1-1.5 s) and apps.connections.open
one_open() { [[ $(state "d['open']") == 1 ]]; }
sb_wait_until 30 "" one_open || true
check "$(state "d['open']")" 1 "reconnected"

# ---- (5) Kafka down for 20 s ----
stack stop-kafka
for i in $(seq 25 29); do click "U0$i" deny "${alert_of[$i]}" >/dev/null; done
sleep 20 # the outage itself is the test's subject
check "$(state "len(d['pending'])")" 5 "nothing acknowledged while Kafka is down"
stack up
wait_acked 90
wait_decided 25 29 90
check "$(decided 25 29)" 5 "Kafka down for 20 s: five alerts, each decided once"
check "$(($(state "sum(1 for e in d['log'] if e['event'] == 'late')") > 0))" 1 "Slack redelivered what was not acknowledged"

# ---- (6) sb-gateway SIGKILLed with events in flight ----
for i in $(seq 30 39); do click "U0$i" deny "${alert_of[$i]}" >/dev/null; done
kill -KILL "$GW_PID"
gw "$T_DIR/gateway.2.log"
wait_acked 40
wait_decided 30 39
check "$(decided 30 39)" 10 "gateway killed mid-burst: ten alerts, each decided once"

# ---- (7) over the whole run ----
check "$(sql "SELECT count(*) FROM alerts WHERE rule = 'burst' AND status <> 'denied'")" 0 "every burst alert denied"
dup=$(for i in $(seq 10 39); do on_topic escalation-requests "${alert_of[$i]}" | grep -c .; done | sort -u | tr '\n' ' ')
check "$dup" "1 " "one escalation request per alert"
check "$(state "len(d['violations'])")" 0 "Slack saw nothing it would refuse"
check "$(fake_q violations "d['count']")" 0 "Web API violations"
check "$(($(state "max(c.get('client_pings', 0) for c in d['connections'])") > 0))" 1 "the gateway pings"
stop_worker "$GW_PID"
check "$(cat "$T_DIR"/*.log | grep -c -e "$SOCKET_APP_TOKEN" -e "$FAKE_TOKEN" -e 'ticket=' || true)" 0 "no token or ticket in any log"
stop_fake_slack
finish
