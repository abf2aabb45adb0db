#!/usr/bin/env bash
# sb-gateway: Slack's signed callbacks in, response events out on
# <prefix>responses; refusals (401, 400, 405, 413, 415) publish nothing;
# a Slack retry is published again with the same event_id (sb-response
# deduplicates); probes; 503 while Kafka is away; SIGTERM exits 0.
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
source "$(dirname "${BASH_SOURCE[0]}")/lib/gateway.sh"
LIB=$SB_SOURCE_DIR/tests/integration/lib
setup_env

SECRET="8f742231b10e8888abcd99yyyzzz85a5"
printf '%s\n' "$SECRET" >"$T_DIR/signing-secret"
# the gateway reads the secret from a file; the test signs with the value
export SLACK_SIGNING_SECRET_FILE=$T_DIR/signing-secret
ALERT=$(printf 'sb-gateway-test' | sha256sum | cut -c1-64)

req() { SLACK_SIGNING_SECRET=$SECRET python3 "$LIB/slack_request.py" "$GW_PORT" "$@"; }
status() { req "$@" | cut -f1; }
responses() { topic_dump responses | wc -l; }

message_json() { # message_json EVENT_ID USER TEXT [EXTRA_EVENT_FIELDS]
	printf '{"type":"event_callback","team_id":"T1","event_id":"%s","event_time":1,"event":{"type":"message","channel":"D1","user":"%s","text":"%s","ts":"1.000100","channel_type":"im"%s}}' \
		"$1" "$2" "$3" "${4:-}"
}
click_json() { # click_json ACTION_ID VALUE [USER]
	printf '{"type":"block_actions","user":{"id":"%s","username":"alice"},"actions":[{"action_id":"%s","block_id":"b1","value":"%s","type":"button","text":{"type":"plain_text","text":"Yes, this was me"},"action_ts":"1700000001.000200"}]}' \
		"${3:-U123}" "$1" "$2"
}

# --- configuration errors exit 2 ---
rc=0
env -u SLACK_SIGNING_SECRET_FILE "$SB_BIN_DIR/sb-gateway" 2>/dev/null || rc=$?
check "$rc" 2 "exit status without a signing secret"
rc=0
SECURITYBOT_HTTP_LISTEN=localhost:80 "$SB_BIN_DIR/sb-gateway" 2>/dev/null || rc=$?
check "$rc" 2 "exit status with a malformed SECURITYBOT_HTTP_LISTEN"

start_gateway "$T_DIR/gateway.log"
log "sb-gateway on port $GW_PORT"
check "$(req --method GET --path /healthz)" "$(printf '200\tok')" "GET /healthz"
check "$(status --method GET --path /readyz)" 200 "GET /readyz with the broker up"

# --- url_verification ---
check "$(req --body '{"token":"x","challenge":"3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P","type":"url_verification"}')" \
	"$(printf '200\t3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P')" "url_verification echoes the challenge"

# --- a direct message: one text event ---
check "$(status --body "$(message_json Ev0001 U123 'yes that was me')")" 200 "signed message.im"
# the same delivery again (Slack's retry): published again, same event_id
check "$(status --body "$(message_json Ev0001 U123 'yes that was me')")" 200 "Slack retry of Ev0001"
check "$(responses)" 2 "events after one message and its retry"
first=$(topic_dump responses | head -1)
check "$(cut -f1 <<<"$first")" U123 "key of the text event (chat user id)"
check "$(cut -f4- <<<"$first" | python3 -c '
import json, sys
e = json.load(sys.stdin)
print(e["schema"], e["event_id"], e["platform"], e["chat_user_id"], e["alert_id"], e["kind"],
      repr(e["text"]), e["received_at"].endswith("Z"))')" \
	"response.v1 Ev0001 slack U123 None text 'yes that was me' True" "fields of the text event"
check "$(topic_dump responses | cut -f4- | grep -c '"event_id":"Ev0001"')" 2 "the retry carries the same event_id"

# --- ignored: bot messages, edits, other subtypes, other events ---
check "$(status --body "$(message_json Ev0002 U123 'bot says hi' ',"bot_id":"B1"')")" 200 "bot message (bot_id)"
check "$(status --body "$(message_json Ev0003 U123 'bot says hi' ',"subtype":"bot_message"')")" 200 "bot message (subtype)"
check "$(status --body "$(message_json Ev0004 U123 'edited' ',"subtype":"message_changed"')")" 200 "edit"
check "$(status --body "$(message_json Ev0005 U123 'gone' ',"subtype":"message_deleted"')")" 200 "deletion"
check "$(status --body '{"type":"event_callback","event_id":"Ev0006","event":{"type":"app_mention","user":"U123","text":"hi"}}')" 200 "other event type"
check "$(status --body "$(message_json Ev0007 U123 'in a channel' | sed 's/"channel_type":"im"/"channel_type":"channel"/')")" 200 "channel message"
check "$(responses)" 2 "events after the ignored ones"

# --- long text: cut to 4000 code points at a code point boundary ---
long=$(python3 -c 'print("é" * 3999 + "😀" * 5, end="")')
check "$(status --body "$(message_json Ev0008 U124 "$long")")" 200 "message of 4004 code points"
check "$(topic_dump responses | grep Ev0008 | cut -f4- | python3 -c '
import json, sys
t = json.load(sys.stdin)["text"]
print(len(t), t[-2:] == "é😀")')" "4000 True" "text truncated to 4000 code points"

# --- buttons ---
check "$(status --payload "$(click_json sb_confirm "$ALERT")")" 200 "sb_confirm click"
check "$(status --payload "$(click_json sb_deny "$ALERT" U125)")" 200 "sb_deny click"
check "$(status --payload "$(click_json sb_something_else "$ALERT")")" 200 "unknown action id"
check "$(status --payload '{"type":"view_closed","user":{"id":"U123"}}')" 200 "other interaction type"
check "$(status --payload '{"type":"view_submission","user":{"id":"U123"}}')" 400 "a view_submission without its view"
check "$(responses)" 5 "events after the clicks"
check "$(topic_dump responses | grep -E '"kind":"(confirm|deny)"' | sort | python3 -c '
import hashlib, json, sys
for line in sys.stdin:
    key, _, _, value = line.rstrip("\n").split("\t", 3)
    e = json.loads(value)
    want = hashlib.sha256(("block_actions|%s|1700000001.000200|%s" % (
        e["chat_user_id"], "sb_" + ("confirm" if e["kind"] == "confirm" else "deny"))).encode()).hexdigest()
    print(key, e["kind"], e["alert_id"][:8], e["text"], e["event_id"] == want)' | tr '\n' ';')" \
	"U123 confirm ${ALERT:0:8} Yes, this was me True;U125 deny ${ALERT:0:8} Yes, this was me True;" \
	"confirm/deny events (key, kind, alert id, text, deterministic event_id)"

# --- refused: signatures (401) ---
msg=$(message_json Ev0100 U123 'should not pass')
check "$(status --body "$msg" --sign forged)" 401 "forged signature"
check "$(status --body "$msg" --sign other-body)" 401 "signature of another body"
check "$(status --body "$msg" --ts-offset -301)" 401 "stale timestamp (-301 s)"
check "$(status --body "$msg" --ts-offset 301)" 401 "future timestamp (+301 s)"
check "$(status --body "$msg" --sign no-signature)" 401 "missing signature"
check "$(status --body "$msg" --sign no-timestamp)" 401 "missing timestamp"
check "$(status --body "$msg" --sign none)" 401 "no Slack headers"
check "$(status --payload "$(click_json sb_deny "$ALERT")" --sign forged)" 401 "forged signature on /slack/interactive"
check "$(status --body '{"type":"url_verification","challenge":"c"}' --sign forged)" 401 "forged url_verification"
check "$(grep -c '"reason":"signature_mismatch"' "$T_DIR/gateway.log")" 4 "log lines with reason signature_mismatch"
check "$(grep -c '"reason":"stale_timestamp"' "$T_DIR/gateway.log")" 2 "log lines with reason stale_timestamp"

# --- refused: transport (413, 415, 405) and payloads (400) ---
check "$(status --size 70000)" 413 "70 KB body"
check "$(status --body "$msg" --content-type text/plain)" 415 "text/plain on /slack/events"
check "$(status --method GET)" 405 "GET /slack/events"
check "$(status --body '{"type":"event_callback",')" 400 "malformed JSON"
check "$(status --body '[1,2]')" 400 "JSON that is not an object"
check "$(status --body '{"type":"event_callback","event_id":"Ev0101","event":{"type":"message","channel_type":"im","text":"no user"}}')" 400 "message without a user"
check "$(status --payload "$(click_json sb_confirm "${ALERT^^}")")" 400 "alert id in upper case"
check "$(status --payload "$(click_json sb_deny 1234)")" 400 "alert id too short"
check "$(status --payload '{"type":"block_actions",')" 400 "malformed payload JSON"
check "$(status --body 'payload=%G1' --path /slack/interactive --content-type application/x-www-form-urlencoded)" 400 "malformed form"
check "$(status --body 'other=1' --path /slack/interactive --content-type application/x-www-form-urlencoded)" 400 "form without payload"
check "$(responses)" 5 "events after the refusals"

# --- throughput smoke: 200 signed requests one after the other ---
check "$(req --burst 200 --user UBURST)" 200 "signed requests answered 200 (of 200)"
stop_worker "$GW_PID"

# --- Kafka away: not ready, and a message answers 503 (Slack retries) ---
start_gateway "$T_DIR/gateway-nokafka.log" SECURITYBOT_KAFKA_BROKERS=127.0.0.1:1
check "$(status --method GET --path /readyz)" 503 "GET /readyz with no broker"
check "$(status --body "$(message_json Ev0200 U123 'lost?')")" 503 "message while Kafka is away"
stop_worker "$GW_PID"

# --- what reached the topic, exactly ---
check "$(responses)" 205 "events on responses (2 + 1 long + 2 clicks + 200 burst)"
check "$(topic_dump responses | cut -f4- | grep -c '"kind":"text"')" 203 "text events"
check "$(topic_dump responses | awk -F'\t' '$1 == "UBURST"' | cut -f4- | grep -o '"event_id":"[^"]*"' | sort -u | wc -l)" 200 "distinct burst event ids keyed by their user"
check "$(cat "$T_DIR"/gateway*.log | grep -c "$SECRET" || true)" 0 "log lines holding the signing secret"
check "$(grep -c '"level":"error"' "$T_DIR/gateway.log" || true)" 0 "error log lines (broker up)"
finish
