#!/usr/bin/env bash
# Duo push on the real stack (sb-ingest, sb-prompt, sb-gateway, sb-response
# as separate processes; Slack and Duo played by the fakes, which refuse
# any request the real services would): a "yes" from an employee on Duo
# sends a signed preauth, an async push naming the alert, then polls
# auth_status; allow confirms (second factor passed, duo_push), deny and
# fraud escalate (fraud as critical), a timeout lets the employee reply
# `push` for another, preauth enroll is as no second factor, Duo down for
# a while is retried with backoff and nothing is lost, a passcode after a
# timeout (a wrong one counts), a recent pass reused within the window but
# never for a critical alert, digits withheld while a code is due, Duo
# down for good
# escalates second_factor_unavailable (never confirmed), a push survives
# a crash of sb-response (another replica takes it over when its lease
# runs out), and two replicas never poll one txid at the same time. The
# other employees' answers are never held up by a push in flight.
. "$(dirname "$0")/lib/common.sh"
. "$(dirname "$0")/lib/fake_slack.sh"
. "$(dirname "$0")/lib/gateway.sh"
. "$(dirname "$0")/lib/slack_user.sh"
ctl() { "$SB_BIN_DIR/sbctl" "$@"; }

setup_env 3
import_people bob:U002 carol:U003 dave:U004 erin:U005 frank:U006 grace:U007 heidi:U008 ivan:U010 judy:U011 kim:U012 leo:U013 alice:U001
for u in bob carol dave erin frank grace heidi ivan judy kim leo; do ctl enroll "$u" --duo >/dev/null; done
head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$T_DIR/key" # seals passcodes in flight
chmod 600 "$T_DIR/key"
export SECURITYBOT_SECRET_KEY_FILE=$T_DIR/key

SECRET="e2e-signing-secret-0123456789abcdef"
printf '%s\n' "$SECRET" >"$T_DIR/signing-secret"
export SLACK_SIGNING_SECRET_FILE=$T_DIR/signing-secret
start_fake_slack
fake_post config '{"users": {"alice@example.com": "U001", "bob@example.com": "U002",
  "carol@example.com": "U003", "dave@example.com": "U004", "erin@example.com": "U005",
  "frank@example.com": "U006", "grace@example.com": "U007", "heidi@example.com": "U008",
  "ivan@example.com": "U010", "judy@example.com": "U011", "kim@example.com": "U012",
  "leo@example.com": "U013"}}'
export SLACK_API_URL=$FAKE_URL SLACK_BOT_TOKEN=$FAKE_TOKEN

# the fake Duo: its host is the one signed, its URL where requests go
DUO_HOST=api-0020test.duosecurity.com
DUO_SKEY=duo0020secretkeyduo0020secretkeyduo0020
sb_start_fake fake_duo "$SB_SOURCE_DIR/tests/fakes/fake_duo.py" --host "$DUO_HOST" \
	--ikey DI0020TESTTESTTEST01 --skey "$DUO_SKEY" --longpoll 1
DUO_CTL="http://127.0.0.1:$SB_FAKE_PORT/_fake"
printf '%s\n' "$DUO_SKEY" >"$T_DIR/duo-skey"
export SECURITYBOT_DUO_API_HOST=$DUO_HOST SECURITYBOT_DUO_IKEY=DI0020TESTTESTTEST01 \
	SECURITYBOT_DUO_SKEY_FILE=$T_DIR/duo-skey SECURITYBOT_DUO_URL="http://127.0.0.1:$SB_FAKE_PORT" \
	SECURITYBOT_DUO_TIMEOUT=5s SECURITYBOT_DUO_UNAVAILABLE_AFTER=8s SECURITYBOT_2FA_REUSE_WINDOW=1h
duo_post() { curl -fsS -X POST -H 'Content-Type: application/json' -d "$2" "$DUO_CTL/$1" >/dev/null; }
duo_q() {
	curl -fsS "$DUO_CTL/$1" | python3 -c 'import json, sys
d = json.load(sys.stdin)
r = eval(sys.argv[1])
print(r if not isinstance(r, (list, dict)) else json.dumps(r))' "$2"
}
duo_post users '{"carol": {"push": "deny"}, "dave": {"push": "fraud"}, "erin": {"push": "timeout"},
  "frank": {"preauth": "enroll"}, "ivan": {"wait": 12}, "judy": {"wait": 3}, "kim": {"wait": 3},
  "leo": {"push": "timeout", "passcode": "123456"}}'

start_ingest
start_worker sb-prompt
start_worker sb-response; RESPONSE_PID=$WORKER_PID
start_gateway "$T_DIR/sb-gateway.log"

alert() { ctl alert send --user "$1" --rule "$2" --title "$3" --severity "${4:-medium}"; }
status_of() { sql "SELECT status FROM alerts WHERE id = '$1'"; }
prompted() { wait_for "SELECT count(*) FROM alerts WHERE id = '$1' AND chat_ts IS NOT NULL" 1 30; }
texts_to() {
	fake_q messages "'\n'.join(m['text'] for m in d['messages'] if m['channel'] == '$(sql "SELECT chat_channel FROM alerts a JOIN employees e ON e.id = a.employee_id WHERE e.chat_user_id = '$1' AND a.chat_channel IS NOT NULL LIMIT 1")' and 'blocks' not in m)"
}
wait_status() { wait_for "SELECT status FROM alerts WHERE id = '$1'" "$2" "${3:-30}"; }
duo_calls() { duo_q calls "sum(1 for c in d['calls'] if c['path'] == '/auth/v2/$1' and c['params'].get('username', '') == '$2')"; }

# ---- (1) allowed: preauth, a push naming the alert, auth_status, confirmed ----
b1=$(alert bob ssh-login "SSH login from a new country" high)
prompted "$b1"
check "$(click U002 confirm "$b1")" 200 "bob says yes"
wait_status "$b1" confirmed
check "$(sql "SELECT second_factor || ' ' || second_factor_method FROM alerts WHERE id = '$b1'")" \
	"passed duo_push" "bob's second factor"
check "$(duo_q calls "[(c['method'], c['path']) for c in d['calls'] if c['params'].get('username') == 'bob' or c['path'].endswith('status')][:3]")" \
	'[["POST", "/auth/v2/preauth"], ["POST", "/auth/v2/auth"], ["GET", "/auth/v2/auth_status"]]' "preauth, auth, auth_status"
check "$(duo_q calls "[(c['params']['factor'], c['params']['device'], c['params']['async'], c['params']['type'], c['hmac']) for c in d['calls'] if c['path'] == '/auth/v2/auth'][0]")" \
	"('push', 'auto', '1', 'securitybot', 'sha512')" "an async push, signed with HMAC-SHA512"
check "$(duo_q calls "sorted(__import__('urllib.parse').parse.parse_qs([c for c in d['calls'] if c['path'] == '/auth/v2/auth'][0]['params']['pushinfo']))")" \
	'["rule", "source", "title"]' "pushinfo names the alert"
wait_topic outcomes "$b1"
check "$(on_topic outcomes "$b1" | field '(m["outcome"], m["second_factor"], m["second_factor_method"])')" \
	"('confirmed', 'passed', 'duo_push')" "bob's outcome"
check "$(texts_to U002 | grep -c 'Duo push')" 2 "bob told a push is coming, and that it was sent"

# ---- (1b) the reuse window (1 h, up to medium): bob passed a push a moment ago ----
b2=$(alert bob ssh-login "Another SSH login" low)
prompted "$b2"
check "$(click U002 confirm "$b2")" 200 "bob says yes again"
wait_status "$b2" confirmed
check "$(sql "SELECT second_factor || ' ' || second_factor_method FROM alerts WHERE id = '$b2'")" \
	"reused reused" "bob's recent pass reused"
check "$(sql "SELECT detail->>'reused_from' FROM audit_log WHERE alert_id = '$b2' AND action = 'second_factor_reused'")" \
	"$b1" "the audit names the pass reused"
wait_topic outcomes "$b2"
check "$(on_topic outcomes "$b2" | field '(m["second_factor"], m["second_factor_method"])')" \
	"('reused', 'reused')" "the outcome says reused"
b3=$(alert bob ssh-login "A critical SSH login" critical)
prompted "$b3"
check "$(click U002 confirm "$b3")" 200 "bob says yes to a critical alert"
wait_status "$b3" confirmed
check "$(sql "SELECT second_factor_method FROM alerts WHERE id = '$b3'")" duo_push "a critical alert always asks"
sql "UPDATE alerts SET decided_at = decided_at - interval '2 hours' WHERE employee_id = (SELECT id FROM employees WHERE username = 'bob')"
b4=$(alert bob ssh-login "A later SSH login" low)
prompted "$b4"
check "$(click U002 confirm "$b4")" 200 "bob says yes 2 hours later"
wait_status "$b4" confirmed
check "$(sql "SELECT second_factor_method FROM alerts WHERE id = '$b4'")" duo_push "outside the window: asked again"
check "$(duo_calls auth bob)" 3 "three pushes for bob's four yeses"

# ---- (2) denied, (3) fraud: escalated ----
c1=$(alert carol vpn-login "VPN login" medium)
d1=$(alert dave vpn-login "VPN login" medium)
prompted "$c1"
prompted "$d1"
check "$(click U003 confirm "$c1")$(click U004 confirm "$d1")" 200200 "carol and dave say yes"
wait_status "$c1" escalation_requested
wait_status "$d1" escalation_requested
wait_topic escalation-requests "$c1"
wait_topic escalation-requests "$d1"
check "$(on_topic escalation-requests "$c1" | field '(m["reason"], m["priority"])')" \
	"('second_factor_failed', 'normal')" "carol's deny escalated"
check "$(on_topic escalation-requests "$d1" | field '(m["reason"], m["priority"])')" \
	"('reported_fraud', 'high')" "dave's fraud report escalated as critical"
wait_topic outcomes "$d1"
check "$(on_topic outcomes "$d1" | field '(m["outcome"], m["second_factor"], m["second_factor_method"])')" \
	"('second_factor_failed', 'failed', 'duo_push')" "dave's outcome"

# ---- (4) a timeout, then `push` for another one ----
e1=$(alert erin ssh-login "SSH login" low)
prompted "$e1"
check "$(click U005 confirm "$e1")" 200 "erin says yes"
wait_for "SELECT stage || ' ' || code_failures FROM duo_pushes JOIN alerts a ON a.id = alert_id WHERE alert_id = '$e1'" "waiting 1" 30
check "$(status_of "$e1")" awaiting_code "still awaiting after the timeout"
check "$(texts_to U005 | grep -c 'timed out')" 1 "erin told the push timed out"
# while a code is due, runs of 6 to 8 digits are never kept
check "$(dm U005 'my badge number is 1234567, call me')" 200 "erin writes digits while a code is due"
wait_for "SELECT count(*) FROM responses WHERE text = 'my badge number is *******, call me'" 1 30
check "$(sql "SELECT count(*) FROM responses WHERE text LIKE '%1234567%'")" 0 "erin's digits withheld"
duo_post users '{"erin": {"push": "allow"}}'
check "$(dm U005 push)" 200 "erin asks for another push"
wait_status "$e1" confirmed
check "$(duo_calls auth erin)" 2 "two pushes sent to erin"

# ---- (4b) a Duo passcode after a timeout: a wrong one counts, the right one confirms ----
l1=$(alert leo ssh-login "SSH login" low)
prompted "$l1"
check "$(click U013 confirm "$l1")" 200 "leo says yes"
wait_for "SELECT stage FROM duo_pushes WHERE alert_id = '$l1'" waiting 30
check "$(dm U013 '654 321')" 200 "leo types a wrong passcode"
wait_for "SELECT stage || ' ' || code_failures FROM duo_pushes JOIN alerts a ON a.id = alert_id WHERE alert_id = '$l1'" "waiting 2" 30
check "$(dm U013 123456)" 200 "leo types the right passcode"
wait_status "$l1" confirmed
check "$(sql "SELECT second_factor || ' ' || second_factor_method FROM alerts WHERE id = '$l1'")" \
	"passed duo_passcode" "leo's second factor"
check "$(duo_q calls "[c['params'].get('passcode') for c in d['calls'] if c['params'].get('factor') == 'passcode']")" \
	'["<passcode>", "<passcode>"]' "two passcodes checked by Duo"
check "$(sql "SELECT count(*) FROM responses WHERE text LIKE '%123456%' OR text LIKE '%654%'")" 0 "passcodes never stored"

# ---- (5) preauth enroll: as no second factor (escalated, low) ----
f1=$(alert frank ssh-login "SSH login" high)
prompted "$f1"
check "$(click U006 confirm "$f1")" 200 "frank says yes"
wait_status "$f1" confirmed_unverified
check "$(sql "SELECT detail->>'duo' FROM audit_log WHERE alert_id = '$f1' AND action = 'duo_answer'")" \
	"preauth enroll: Enroll an authentication device." "Duo's reason recorded"
wait_topic escalation-requests "$f1"
check "$(on_topic escalation-requests "$f1" | field '(m["reason"], m["priority"])')" \
	"('unverified_confirmation', 'low')" "frank escalated at low priority"

# ---- (6) Duo down for a few seconds, then back: nothing lost ----
duo_post fail '{"count": 3, "status": 500}'
g1=$(alert grace ssh-login "SSH login" medium)
prompted "$g1"
check "$(click U007 confirm "$g1")" 200 "grace says yes while Duo is down"
wait_status "$g1" confirmed 40
check "$(duo_q calls "sum(1 for c in d['calls'] if c['injected'])")" 3 "Duo's 500s were retried"
check "$(sql "SELECT count(*) FROM duo_pushes")" 0 "no push left over"

# ---- (7) Duo down for good: second_factor_unavailable, never confirmed ----
duo_post fail '{"seconds": 60, "status": 503}'
h1=$(alert heidi ssh-login "SSH login" high)
prompted "$h1"
check "$(click U008 confirm "$h1")" 200 "heidi says yes while Duo is down"
wait_status "$h1" escalation_requested 60
wait_topic escalation-requests "$h1"
check "$(on_topic escalation-requests "$h1" | field '(m["reason"], m["priority"])')" \
	"('second_factor_unavailable', 'high')" "escalated at the alert's own severity"
check "$(texts_to U008 | grep -c "couldn't reach Duo")" 1 "heidi told"
# the other employees are never held up: alice (no factor) answers meanwhile
a1=$(alert alice ssh-login "SSH login" low)
prompted "$a1"
check "$(click U001 deny "$a1")" 200 "alice says no"
wait_status "$a1" denied 10
duo_post fail '{"seconds": 0, "status": 500}'

# ---- (8) a crash with a push in flight: taken over after the lease ----
i1=$(alert ivan ssh-login "SSH login" medium)
prompted "$i1"
check "$(click U010 confirm "$i1")" 200 "ivan says yes"
wait_for "SELECT stage FROM duo_pushes WHERE alert_id = '$i1'" status 30
kill -KILL "$RESPONSE_PID"
wait "$RESPONSE_PID" 2>/dev/null || true
start_worker sb-response; RESPONSE_PID=$WORKER_PID
start_worker sb-response SECURITYBOT_DUO_THREADS=2; SECOND_PID=$WORKER_PID
wait_status "$i1" confirmed 60
check "$(duo_calls auth ivan)" 1 "one push for ivan across the crash"

# ---- (9) two replicas: never two polls of one txid at once ----
j1=$(alert judy ssh-login "SSH login" medium)
k1=$(alert kim ssh-login "SSH login" medium)
prompted "$j1"
prompted "$k1"
check "$(click U011 confirm "$j1")$(click U012 confirm "$k1")" 200200 "judy and kim say yes"
wait_status "$j1" confirmed 40
wait_status "$k1" confirmed 40
check "$(duo_q calls "[t for t in set(c['params'].get('txid') for c in d['calls'] if c['path'].endswith('auth_status')) if any(a['time'] < b['ended'] and b['time'] < a['ended'] for a in d['calls'] for b in d['calls'] if a is not b and a['path'].endswith('auth_status') and b['path'].endswith('auth_status') and a['params'].get('txid') == t == b['params'].get('txid'))]")" \
	"[]" "no txid polled twice at once"

# ---- what Duo and Slack saw was all well-formed; no key in any log ----
check "$(duo_q violations "d['count']")" 0 "no request the real Duo would refuse"
check "$(fake_q violations "d['count']")" 0 "no Slack call Slack would refuse"
check "$(cat "$T_DIR"/*.log | grep -c "$DUO_SKEY" || true)" 0 "the Duo secret key is in no log"
check "$(cat "$T_DIR"/*.log | grep -c -e 123456 -e '654 321' || true)" 0 "no passcode in any log"
stop_worker "$RESPONSE_PID"
stop_worker "$SECOND_PID"
finish
