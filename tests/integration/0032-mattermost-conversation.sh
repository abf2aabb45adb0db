#!/usr/bin/env bash
# The conversation on Mattermost, on the real stack, every worker a separate
# process (sb-ingest, sb-prompt, sb-gateway, sb-response, sb-escalation) and
# Mattermost played by the fake, which performs the clicks against the
# gateway as the server does: an alert reaches its employee as a DM post
# with three buttons pointing at the gateway's /mattermost/actions with a
# MAC'd context; a "no" publishes an escalation request, the post loses its
# buttons, the security channel gets the report; "not me" is wrong_employee
# at low priority with a dialog for the words; a "yes" without a second
# factor is confirmed_unverified; with one, the code is asked for; an
# employee without a chat id is found by e-mail, an unknown one escalated;
# another user's forged click, a tampered context and a replayed click
# change nothing; alert texts cannot mention anyone; no token in any log.
# Configuration: sb-gateway serves Mattermost without a Slack signing
# secret (its Slack callbacks answer 404); sb-prompt on Mattermost without
# SECURITYBOT_PUBLIC_URL, or with a plain-http non-loopback MATTERMOST_URL,
# exits 2.
. "$(dirname "$0")/lib/common.sh"
. "$(dirname "$0")/lib/gateway.sh"
. "$(dirname "$0")/lib/fake_mattermost.sh"
. "$(dirname "$0")/lib/totp.sh"
ctl() { "$SB_BIN_DIR/sbctl" "$@"; }

setup_env 3
sb_groups "" "-$T_ID" escalation
# Mattermost ids: 26 characters of [a-z0-9]
A=a1111111111111111111111111 B=b2222222222222222222222222 C=c3333333333333333333333333
M=m9999999999999999999999999 SEC=sec0channel000000000000000
import_people alice:$A bob:$B carol mallory:$M dave
totp_setup alice

start_fake_mattermost
mm_post config "{\"users\": {\"alice@example.com\": \"$A\", \"bob@example.com\": \"$B\",
  \"carol@example.com\": \"$C\", \"mallory@example.com\": \"$M\"}, \"channels\": [\"$SEC\"],
  \"allowed_untrusted_internal_connections\": \"127.0.0.1\"}" >/dev/null
mm_secrets
# Mattermost only: no Slack signing secret, the Slack callbacks answer 404
unset SLACK_SIGNING_SECRET SLACK_SIGNING_SECRET_FILE
start_gateway "$T_DIR/sb-gateway.log"
check "$(curl -s -o /dev/null -w '%{http_code}' -X POST -d 'payload=%7B%7D' "http://127.0.0.1:$GW_PORT/slack/interactive")" \
	404 "a gateway for Mattermost only: /slack/interactive answers 404"
export SECURITYBOT_CHAT=mattermost MATTERMOST_URL=$MM_URL MATTERMOST_BOT_TOKEN_FILE=$T_DIR/mm-token
export SECURITYBOT_PUBLIC_URL=http://127.0.0.1:$GW_PORT SECURITYBOT_SECURITY_CHANNEL=$SEC
export SECURITYBOT_COMMENT_WINDOW=2s SECURITYBOT_DIGEST_EVERY=0

# ---- configuration errors exit 2 ----
rc=0
SECURITYBOT_PUBLIC_URL='' "$SB_BIN_DIR/sb-prompt" 2>"$T_DIR/cfg.err" || rc=$?
check "$rc:$(grep -c SECURITYBOT_PUBLIC_URL "$T_DIR/cfg.err")" 2:1 "sb-prompt without SECURITYBOT_PUBLIC_URL exits 2, naming it"
rc=0
MATTERMOST_URL=http://mm.example.com "$SB_BIN_DIR/sb-prompt" 2>"$T_DIR/cfg.err" || rc=$?
check "$rc:$(grep -c MATTERMOST_URL "$T_DIR/cfg.err")" 2:1 "a plain-http MATTERMOST_URL elsewhere than loopback exits 2"

start_worker() { # start_worker NAME [ENV=VALUE...]
	sb_start_worker "$T_DIR/$1.${#T_PIDS[@]}.log" "$@"
}
start_ingest
start_worker sb-prompt
start_worker sb-response
start_worker sb-escalation

alert() { ctl alert send --user "$1" --rule "$2" --title "$3" --severity "${4:-medium}"; }
status_of() { sql "SELECT status || '/' || coalesce(status_reason, '-') FROM alerts WHERE id = '$1'"; }
sent_sql() { echo "SELECT count(*) FROM alerts WHERE id = '$1' AND chat_ts IS NOT NULL"; }
post_of() { sql "SELECT chat_ts FROM alerts WHERE id = '$1'"; }
# post ALERT EXPR: a Python expression over the alert's post `p`
post() {
	curl -fsS "$MM_CTL/posts" | python3 -c 'import json, sys
p = [p for p in json.load(sys.stdin)["posts"] if p["id"] == sys.argv[1]][0]
r = eval(sys.argv[2])
print(r if not isinstance(r, (list, dict)) else json.dumps(r))' "$(post_of "$1")" "$2"
}
# click USER ALERT ACTION_ID [force]: the fake clicks; prints the integration's status
click() {
	mm_post click "{\"post_id\": \"$(post_of "$2")\", \"user_id\": \"$1\", \"action_id\": \"$3\",
	  \"force\": ${4:-false}}" | python3 -c 'import json, sys; print(json.load(sys.stdin)["status"])'
}
reports_about() { mm_q posts "sum(1 for p in d['posts'] if p['channel_id'] == '$SEC' and '$1' in p['message'])"; }
# the posts in a user's DM that are not prompts, in order
texts_to() {
	local dm
	dm=$(mm_q dms "d['dms']['$1']")
	mm_q posts "'\\n'.join(p['message'] for p in d['posts'] if p['channel_id'] == '$dm' and not p['props'].get('attachments'))"
}

# ---- (1) an alert becomes a DM post with three buttons ----
a1=$(alert alice ssh-login "SSH login from a new country" high)
wait_for "$(sent_sql "$a1")" 1 30
check "$(sql "SELECT chat_channel FROM alerts WHERE id = '$a1'")" "$(mm_q dms "d['dms']['$A']")" "posted in alice's DM (POST /channels/direct)"
check "$(post "$a1" "[(a['id'], a['name'], a['style'], a['integration']['url']) for a in p['props']['attachments'][0]['actions']]")" \
	"[[\"sbconfirm\", \"Yes, this was me\", \"good\", \"$SECURITYBOT_PUBLIC_URL/mattermost/actions\"], [\"sbdeny\", \"No, this wasn't me\", \"danger\", \"$SECURITYBOT_PUBLIC_URL/mattermost/actions\"], [\"sbnotme\", \"Not me \\u2014 wrong person\", \"default\", \"$SECURITYBOT_PUBLIC_URL/mattermost/actions\"]]" \
	"three buttons pointing at the gateway"
check "$(post "$a1" "[sorted(a['integration']['context']) for a in p['props']['attachments'][0]['actions']][0]")" \
	'["action", "alert_id", "expires", "mac", "user_id"]' "each button carries the proof"
check "$(post "$a1" "(p['props']['attachments'][0]['actions'][1]['integration']['context']['user_id'], p['props']['attachments'][0]['actions'][1]['integration']['context']['alert_id'] == '$a1')")" \
	"('$A', True)" "the proof names alice and the alert"

# ---- (2) what never reaches sb-response: another user's click, a tampered context ----
check "$(click "$M" "$a1" sbdeny)" 403 "mallory is not in alice's DM: Mattermost refuses"
check "$(click "$M" "$a1" sbdeny true)" 403 "mallory's click forged past Mattermost: the gateway refuses (403)"
tampered=$(post "$a1" "json.dumps(dict(p['props']['attachments'][0]['actions'][0]['integration']['context'], action='deny'))" |
	python3 -c 'import json, sys; print(json.dumps({"user_id": sys.argv[1], "post_id": sys.argv[2], "trigger_id": "t-x", "context": json.loads(sys.stdin.read())}))' "$A" "$(post_of "$a1")")
check "$(curl -s -o /dev/null -w '%{http_code}' -X POST -H 'Content-Type: application/json' -d "$tampered" "$SECURITYBOT_PUBLIC_URL/mattermost/actions")" \
	403 "a confirm context turned into a deny: 403"
sleep 1
check "$(topic_dump responses | grep -c . || true)" 0 "nothing published for refused clicks"
check "$(status_of "$a1")" "prompted/-" "alert unchanged"
check "$(grep -o '"reason":"[a-z_]*"' "$T_DIR/sb-gateway.log" | sort | uniq -c | awk '{print $2}' | tr '\n' ' ')" \
	'"reason":"bad_mac" "reason":"other_user" ' "the gateway logged why"

# ---- (3) a "no": escalation request at once, the buttons go, the team is told ----
check "$(click "$A" "$a1" sbdeny)" 200 "alice clicks No"
handled 1
wait_topic escalation-requests "$a1" 1 || true
check "$(on_topic escalation-requests "$a1" | field "m['reason'], m['priority']")" "('denied', 'high')" "escalation request: denied"
wait_topic outcomes "$a1" 1 || true
check "$(on_topic outcomes "$a1" | field "m['outcome'], m['answer']")" "('denied', 'deny')" "outcome denied (no words within the window)"
check "$(post "$a1" "('actions' in p['props']['attachments'][0], p['edit_at'] > 0, 'SSH login' in p['props']['attachments'][0]['text'])")" \
	"(False, True, True)" "the post patched: the alert stays, the buttons go"
for ((i = 0; i < 300; i++)); do [[ $(reports_about "$a1") -ge 1 ]] && break; sleep 0.1; done
check "$(reports_about "$a1")" 1 "one report in the security channel"
# Mattermost delivers the same request again: one effect
replay=$(mm_q clicks "json.dumps(d['clicks'][-1]['request'])")
check "$(curl -s -o /dev/null -w '%{http_code}' -X POST -H 'Content-Type: application/json' -d "$replay" "$SECURITYBOT_PUBLIC_URL/mattermost/actions")" 200 "a replayed click: 200"
sleep 1
check "$(sql "SELECT count(*) FROM responses")" 1 "a replayed click recorded once"
check "$(on_topic escalation-requests "$a1" | grep -c .)" 1 "and escalated once"

# ---- (4) a "yes" without a second factor; alert texts mention nobody ----
b1=$(alert bob r1 "Login @channel from *nowhere*" critical)
wait_for "$(sent_sql "$b1")" 1 30
check "$(post "$b1" "[t.startswith('**Login @\\u200bchannel from \\\\*nowhere\\\\***') and '@channel' not in t for t in [p['props']['attachments'][0]['text']]][0]")" \
	True "@channel inert, Markdown shown literally"
check "$(click "$B" "$b1" sbconfirm)" 200 "bob clicks Yes"
handled 2
wait_topic outcomes "$b1" 1 || true
check "$(on_topic outcomes "$b1" | field "m['outcome'], m['second_factor']")" "('confirmed_unverified', 'not_enrolled')" "outcome confirmed_unverified"
wait_topic escalation-requests "$b1" 1 || true
check "$(on_topic escalation-requests "$b1" | field "m['reason'], m['priority']")" "('unverified_confirmation', 'low')" "low-priority escalation request"
check "$(post "$b1" "'actions' in p['props']['attachments'][0]")" False "bob's buttons gone"

# ---- (5) alice's next alert; a "yes" asks for her code ----
a2=$(alert alice r2 "Alice again" medium)
wait_for "$(sent_sql "$a2")" 1 30
check "$(click "$A" "$a2" sbconfirm)" 200 "alice clicks Yes"
handled 3
wait_for "SELECT status FROM alerts WHERE id = '$a2'" awaiting_code 30
for ((i = 0; i < 100; i++)); do texts_to "$A" | grep -q 6-digit && break; sleep 0.1; done
check "$(texts_to "$A" | grep -c '6-digit')" 1 "the code asked for in alice's DM"
check "$(mm_q dialogs "[x['user_id'] + ' ' + x['dialog']['callback_id'] for x in d['dialogs']]")" "[\"$A sbwords\", \"$A sbcode\"]" "and in a dialog opened with her click's trigger (after her earlier No, one for her words)"

# ---- (6) found by e-mail; unknown ----
c1=$(alert carol r1 "Carol's alert" low)
wait_for "$(sent_sql "$c1")" 1 30
check "$(sql "SELECT chat_user_id FROM employees WHERE username = 'carol'")" "$C" "carol's Mattermost id found by e-mail and stored"
check "$(sql "SELECT chat_channel FROM alerts WHERE id = '$c1'")" "$(mm_q dms "d['dms']['$C']")" "carol prompted in her DM"
# carol: "Not me - wrong person": wrong_employee at low priority, her words asked for in a dialog
check "$(click "$C" "$c1" sbnotme)" 200 "carol clicks Not me"
handled 4
wait_topic escalation-requests "$c1" 1 || true
check "$(on_topic escalation-requests "$c1" | field "m['reason'], m['priority']")" "('wrong_employee', 'low')" "escalation request: wrong_employee, low"
check "$(sql "SELECT concat_ws('/', answer, outcome) FROM alerts WHERE id = '$c1'")" "not_me/wrong_employee" "answer not_me, outcome wrong_employee"
check "$(mm_q dialogs "[x['user_id'] + ' ' + x['dialog']['callback_id'] for x in d['dialogs']][-1]")" "$C sbwords" "her words asked for in a dialog"
check "$(post "$c1" "'actions' in p['props']['attachments'][0]")" False "carol's buttons gone"
d1=$(alert dave r1 "Dave's alert" low)
wait_topic escalation-requests "$d1" 1 || true
check "$(on_topic escalation-requests "$d1" | field "m['reason'], m['requested_by']")" "('unknown_employee', 'sb-prompt')" "dave, unknown to Mattermost, escalated"

# ---- (7) the wire: every call authorised, nothing refused but dave's e-mail ----
check "$(mm_q calls "sorted({(c['status'], c.get('error', '')) for c in d['calls'] if c['status'] >= 300})")" \
	'[[404, "app.user.missing_account.const"]]' "no call refused but the unknown e-mail"
check "$(mm_q calls "sum(1 for c in d['calls'] if c['path'] == '/users/me') <= 3")" True "the bot's id asked at most once per worker"
check "$(mm_q calls "sorted({c['http_method'] + ' ' + c['path'].split('/')[1] for c in d['calls']})")" \
	'["GET users", "POST actions", "POST channels", "POST posts", "PUT posts"]' "the calls made (a dialog for alice's code)"

check "$(cat "$T_DIR"/*.log | grep -c -e "$MM_SECRET" -e "$MM_TOKEN" || true)" 0 "no token or secret in any log"
finish
