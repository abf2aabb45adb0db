#!/usr/bin/env bash
# sb-prompt on a burst: 200 employees' alerts waiting at once are each
# prompted exactly once, recorded with the channel and ts the fake gave,
# with at most SECURITYBOT_PROMPT_MAX_IN_FLIGHT calls at the fake at once
# (and more than one: the sends are concurrent); a 429 with Retry-After
# in the middle holds back every chat.postMessage until it has passed; no
# conversations.open (a prompt goes to the user's id). Then one in flight
# (=1) sends one call at a time.
. "$(dirname "$0")/lib/common.sh"
. "$(dirname "$0")/lib/fake_slack.sh"

N=200
setup_env 3
people=() users=()
for ((k = 1; k <= N + 20; k++)); do
	people+=("e$k:U44$(printf %05d "$k")")
	users+=("\"e$k@example.com\": \"U44$(printf %05d "$k")\"")
done
import_people "${people[@]}"
start_fake_slack
fake_post config "{\"users\": {$(
	IFS=,
	echo "${users[*]}"
)}, \"delay_ms\": 50}"
export SLACK_API_URL=$FAKE_URL SLACK_BOT_TOKEN=$FAKE_TOKEN

# publish FIRST LAST: an alert for each employee eFIRST..eLAST
publish() {
	python3 -c 'import json, sys
for k in range(int(sys.argv[1]), int(sys.argv[2]) + 1):
    print(json.dumps({"source": "t44", "rule": "burst", "title": "Burst alert %d" % k,
                      "user": "e%d" % k, "severity": "medium", "id": "t44-%d" % k,
                      "occurred_at": "2026-12-06T12:00:00Z"}))' "$1" "$2" >"$T_DIR/alerts.jsonl"
	publish_lines "$T_DIR/alerts.jsonl"
}
queued() { wait_for "SELECT count(*) FROM alerts WHERE status = 'queued'" "$1" 60; }
sent() { sql "SELECT count(*) FROM alerts WHERE chat_ts IS NOT NULL"; }

start_ingest
# ---- (1) the burst: every request waits on the topic before sb-prompt starts ----
publish 1 "$N"
queued "$N"
fake_post fail '{"method": "chat.postMessage", "count": 1, "status": 429, "retry_after": 2}'
sb_start_worker "$T_DIR/prompt-burst.log" sb-prompt SECURITYBOT_PROMPT_MAX_IN_FLIGHT=8
PROMPT_PID=$SB_PID
wait_for "SELECT count(*) FROM alerts WHERE chat_ts IS NOT NULL" "$N" 60
sleep 1 # nothing more may come: a second prompt would arrive now
check "$(sent)" "$N" "every alert of the burst recorded as sent"
check "$(fake_ok_calls chat.postMessage)" "$N" "one chat.postMessage answered ok per alert"
check "$(fake_q calls "sum(1 for c in d['calls'] if c['method'] == 'chat.postMessage')")" "$((N + 1))" \
	"and one more: the 429"
check "$(fake_q messages "len(set(b['elements'][0]['value'] for m in d['messages'] for b in m['blocks'] if b['type'] == 'actions'))")" \
	"$N" "each alert's buttons in exactly one message"
check "$(fake_q calls "sum(1 for c in d['calls'] if c['method'] == 'conversations.open')")" 0 \
	"no conversations.open: prompts go to the users' ids"
check "$(fake_q calls "sorted(set(c['args']['channel'][:3] for c in d['calls'] if c['method'] == 'chat.postMessage'))")" \
	'["U44"]' "posted to the chat user ids"
fake_q messages "'\n'.join(sorted(m['channel'] + ' ' + m['ts'] for m in d['messages']))" >"$T_DIR/fake-refs"
sql "SELECT chat_channel || ' ' || chat_ts FROM alerts WHERE chat_ts IS NOT NULL ORDER BY 1" >"$T_DIR/db-refs"
check "$(sort "$T_DIR/db-refs" | cmp -s - "$T_DIR/fake-refs" && echo same)" same \
	"the rows hold exactly the channels and ts the fake gave"
check "$(sql "SELECT count(*) FROM audit_log WHERE action = 'prompt_sent'")" "$N" "one prompt_sent audit row each"
max=$(fake_q summary "d['max_in_flight']")
check "$((max >= 2 && max <= 8))" 1 "at most 8 calls at the fake at once, and more than one ($max)"
# the 429: no chat.postMessage started from shortly after it until its
# Retry-After (2 s) had passed (those already on the wire may land just after it)
t429=$(fake_q calls "[c['time'] for c in d['calls'] if c.get('injected')][0]")
check "$(fake_q calls "sum(1 for c in d['calls'] if c['method'] == 'chat.postMessage' and $t429 + 0.5 < c['time'] < $t429 + 2.0)")" \
	0 "no chat.postMessage during the Retry-After"
check "$(fake_q calls "sum(1 for c in d['calls'] if c['method'] == 'chat.postMessage' and c['time'] >= $t429 + 2.0) > 0")" \
	True "they went on after it"
check "$(grep -c 'Retry-After: 2 s' "$T_DIR/prompt-burst.log")" 1 "the 429 logged once, with its Retry-After"
check "$(grep -c '"level":"error"' "$T_DIR/prompt-burst.log")" 0 "no error in sb-prompt's log"
check "$(fake_q violations "d['count']")" 0 "no call the fake refused"
stop_worker "$PROMPT_PID"

# ---- (2) one in flight: one call at a time ----
fake_post reset '{}'
publish "$((N + 1))" "$((N + 20))"
queued 20
sb_start_worker "$T_DIR/prompt-one.log" sb-prompt SECURITYBOT_PROMPT_MAX_IN_FLIGHT=1
PROMPT_PID=$SB_PID
wait_for "SELECT count(*) FROM alerts WHERE chat_ts IS NOT NULL" "$((N + 20))" 60
check "$(fake_ok_calls chat.postMessage)" 20 "the 20 prompts sent"
check "$(fake_q summary "d['max_in_flight']")" 1 "one call at a time"
stop_worker "$PROMPT_PID"

finish
