#!/usr/bin/env bash
# sb-gateway's POST /mattermost/actions: a Mattermost button click whose
# context carries our HMAC-SHA256 (alert id, action, Mattermost user id,
# expiry; made here by Python's hmac, independently of the C code) becomes
# a confirm/deny event with platform "mattermost" on <prefix>responses; a
# replayed click keeps its event id; a forged MAC, an expired context,
# another user's click, a missing context are refused with 403 and a log
# line and publish nothing; malformed requests 400; without
# MATTERMOST_ACTIONS_SECRET the path answers 404. Configuration: socket
# mode without an app token, or an unknown mode, exits 2.
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
source "$(dirname "${BASH_SOURCE[0]}")/lib/gateway.sh"
setup_env

MM_SECRET="mm-actions-secret-$$-0123456789abcdef"
printf '%s\n' "$MM_SECRET" >"$T_DIR/mm-secret"
printf 'signing-secret-0123456789\n' >"$T_DIR/signing-secret"
chmod 600 "$T_DIR/mm-secret" "$T_DIR/signing-secret"
export SLACK_SIGNING_SECRET_FILE=$T_DIR/signing-secret
ALERT=$(printf 'sb-mm-test' | sha256sum | cut -c1-64)
USER_ID=q7fhtx3ygfdo8qdbn9rmfpoyqe

# --- configuration errors exit 2 ---
rc=0
SECURITYBOT_SLACK_MODE=socket "$SB_BIN_DIR/sb-gateway" 2>/dev/null || rc=$?
check "$rc" 2 "socket mode without SLACK_APP_TOKEN exits 2"
rc=0
SECURITYBOT_SLACK_MODE=socket SLACK_APP_TOKEN=xoxb-not-an-app-token "$SB_BIN_DIR/sb-gateway" 2>/dev/null || rc=$?
check "$rc" 2 "socket mode with a bot token exits 2"
rc=0
SECURITYBOT_SLACK_MODE=rtm "$SB_BIN_DIR/sb-gateway" 2>/dev/null || rc=$?
check "$rc" 2 "an unknown SECURITYBOT_SLACK_MODE exits 2"

# click [--secret S] [--expires-in N] [--as USER] [--for USER] [--action A] [--trigger T] [--no-context]
# prints the HTTP status of one click request
click() {
	python3 - "$GW_PORT" "$MM_SECRET" "$ALERT" "$USER_ID" "$@" <<'EOF'
import hashlib, hmac, http.client, json, sys, time
port, secret, alert, user = sys.argv[1:5]
o = {"expires_in": 600, "as": user, "for": user, "action": "deny", "trigger": "t1", "ctx": True}
args = sys.argv[5:]
while args:
    a = args.pop(0)
    if a == "--no-context":
        o["ctx"] = False
    else:
        o[a[2:].replace("-", "_")] = args.pop(0)
if o.get("secret"):
    secret = o["secret"]
exp = int(time.time()) + int(o["expires_in"])
mac = hmac.new(secret.encode(), ("sbmm1|%s|%s|%s|%d" % (alert, o["action"], o["for"], exp)).encode(),
               hashlib.sha256).hexdigest()
body = {"user_id": o["as"], "user_name": "alice", "channel_id": "c" * 26, "channel_name": "",
        "team_id": "t" * 26, "team_domain": "x", "post_id": "p" * 26, "trigger_id": o["trigger"],
        "type": "button", "data_source": ""}
if o["ctx"]:
    body["context"] = {"alert_id": alert, "action": o["action"], "user_id": o["for"],
                       "expires": exp, "mac": mac}
c = http.client.HTTPConnection("127.0.0.1", int(port), timeout=10)
c.request("POST", "/mattermost/actions", json.dumps(body), {"Content-Type": "application/json"})
r = c.getresponse()
print(r.status)
EOF
}
events() { topic_dump responses | grep -c . || true; }

# --- without the secret: 404 ---
start_gateway "$T_DIR/gateway.0.log"
check "$(click)" 404 "no MATTERMOST_ACTIONS_SECRET: 404"
stop_worker "$GW_PID"

start_gateway "$T_DIR/gateway.log" MATTERMOST_ACTIONS_SECRET_FILE="$T_DIR/mm-secret"
check "$(click --secret forged-secret)" 403 "a forged MAC: 403"
check "$(click --expires-in -5)" 403 "an expired context: 403"
check "$(click --as mallory00000000000000000000)" 403 "another user's click: 403"
check "$(click --no-context)" 403 "no context: 403"
check "$(curl -s -o /dev/null -w '%{http_code}' -X POST -H 'Content-Type: application/json' -d 'nope' "http://127.0.0.1:$GW_PORT/mattermost/actions")" 400 "not JSON: 400"
sleep 1
check "$(events)" 0 "nothing published for refused clicks"
check "$(grep -c '"msg":"mattermost click refused (403)' "$T_DIR/gateway.log")" 4 "a log line per refusal"
check "$(grep -o '"reason":"[a-z_]*"' "$T_DIR/gateway.log" | sort | uniq | tr '\n' ' ')" \
	'"reason":"bad_mac" "reason":"expired" "reason":"invalid_json" "reason":"malformed_context" "reason":"other_user" ' "refusal reasons"

check "$(click --action deny)" 200 "a valid deny click: 200"
check "$(click --action deny)" 200 "the same click replayed: 200"
check "$(click --action confirm --trigger t2)" 200 "a valid confirm click: 200"
check "$(events)" 3 "three events published"
check "$(topic_dump responses | cut -f4- | python3 -c 'import json, sys
ms = [json.loads(l) for l in sys.stdin]
print(len({m["event_id"] for m in ms}), sorted({m["platform"] for m in ms}), [m["kind"] for m in ms], {m["alert_id"] for m in ms} == {sys.argv[1]}, {m["chat_user_id"] for m in ms})' "$ALERT")" \
	"2 ['mattermost'] ['deny', 'deny', 'confirm'] True {'$USER_ID'}" "events: a replay keeps its id; platform, kind, alert, user"
check "$(topic_dump responses | cut -f1 | sort -u)" "$USER_ID" "keyed by the Mattermost user id"
stop_worker "$GW_PID"
check "$(cat "$T_DIR"/*.log | grep -c "$MM_SECRET" || true)" 0 "the secret in no log"
finish
