#!/usr/bin/env bash
# One question for an alert storm (issue 16, section 1) on the real stack
# (sb-ingest, sb-prompt, sb-gateway, sb-response; Slack played by the
# fake), SECURITYBOT_COALESCE_WINDOW=10m (the default): a storm of 50
# medium alerts for alice and one rule is one question, whose message is
# updated as alerts join (count and times; chat.update at most once per
# 5 s); a critical alert of the same rule in the middle is never folded
# in and is asked on its own after the group's answer. One "yes" and one
# TOTP code decide all 50: 50 rows confirmed with the second factor
# passed, 50 outcomes on the topic marked with group_id, an audit row
# each. Bob's "no" to his group of three gives each its own escalation
# request (group_id) and outcome with his words; his high alert of the
# same rule is not folded in, and an alert after his answer does not join
# the closed group.
. "$(dirname "$0")/lib/common.sh"
. "$(dirname "$0")/lib/fake_slack.sh"
. "$(dirname "$0")/lib/gateway.sh"
. "$(dirname "$0")/lib/slack_user.sh"
. "$(dirname "$0")/lib/totp.sh"
ctl() { "$SB_BIN_DIR/sbctl" "$@"; }
export SECURITYBOT_COALESCE_WINDOW=10m SECURITYBOT_COMMENT_WINDOW=30s

setup_env 3
import_people alice:U001 bob:U002
totp_setup alice

SECRET="e2e-signing-secret-0123456789abcdef"
printf '%s\n' "$SECRET" >"$T_DIR/signing-secret"
export SLACK_SIGNING_SECRET_FILE=$T_DIR/signing-secret
start_fake_slack
fake_post config '{"users": {"alice@example.com": "U001", "bob@example.com": "U002"}}'
export SLACK_API_URL=$FAKE_URL SLACK_BOT_TOKEN=$FAKE_TOKEN

start_ingest
start_worker sb-prompt
start_worker sb-response
start_gateway "$T_DIR/sb-gateway.log"

alert() { ctl alert send --user "$1" --rule "$2" --title "$3" --severity "${4:-medium}"; }
prompted() { wait_for "SELECT count(*) FROM alerts WHERE id = '$1' AND chat_ts IS NOT NULL" 1 30; }
# the questions Slack took (posts with the buttons; replies are posts too)
posts() { fake_q calls "sum(1 for c in d['calls'] if c['method'] == 'chat.postMessage' and c['ok'] and 'sb_not_me' in json.dumps(c['args']))"; }
# the outcomes on the topic of the alerts whose group_id is $1: "count distinct-alerts outcome..."
group_outcomes() {
	topic_dump outcomes | cut -f4- | python3 -c 'import json, sys
ms = [json.loads(l) for l in sys.stdin if l.strip()]
g = [m for m in ms if m.get("group_id") == sys.argv[1]]
print(len(g), len({m["alert_id"] for m in g}), " ".join(sorted({m["outcome"] for m in g})),
      " ".join(sorted({str(m["comment"]) for m in g})))' "$1"
}
wait_group_outcomes() { # wait_group_outcomes LEADER N: until N outcomes carry the group
	local i
	for ((i = 0; i < 300; i++)); do
		[[ $(group_outcomes "$1" | cut -d' ' -f2) == "$2" ]] && return 0
		sleep 0.1
	done
}

# ---- (1) the storm: 50 medium alerts, 7 titles, a critical one in the middle ----
titles=("SSH login from a new country (BR)" "SSH login from a new country (AR)"
	"SSH login from a new country (CL)" "SSH login from a new country (PE)"
	"SSH login from a new country (UY)" "SSH login from a new country (PY)"
	"SSH login from a new country (BO)")
ids=()
t0=$(date +%s.%N)
for ((i = 0; i < 50; i++)); do
	ids+=("$(alert alice ssh-login "${titles[i % 7]}")")
	if ((i == 24)); then
		crit=$(alert alice ssh-login "SSH login as root from a new country" critical)
	fi
	((i == 0)) && prompted "${ids[0]}" # the storm's first alert is asked at once
done
lead=${ids[0]}
log "the storm took $(python3 -c "import time; print(round(time.time() - $t0, 1))") s"
wait_for "SELECT count(*) FROM alerts WHERE employee_id = $(emp alice) AND severity = 'medium'
  AND group_id = '$lead' AND status IN ('prompted', 'grouped')" 50 60
check "$(sql "SELECT status || ' ' || group_id FROM alerts WHERE id = '$lead'")" "prompted $lead" "the first alert leads the group"
check "$(sql "SELECT count(*) FROM alerts WHERE group_id = '$lead' AND status = 'grouped'")" 49 "49 alerts joined its question"
check "$(sql "SELECT status || ' ' || coalesce(group_id, '-') FROM alerts WHERE id = '$crit'")" "queued -" "the critical alert is not folded in: it waits for a question of its own"
check "$(posts)" 1 "one question sent to alice for the storm"
check "$(sql "SELECT count(*) FROM audit_log WHERE action = 'grouped' AND detail->>'group_id' = '$lead'")" 49 "an audit row for each alert that joined"
member=$(sql "SELECT id FROM alerts WHERE group_id = '$lead' AND status = 'grouped' LIMIT 1")
check "$(ctl alerts show "$member" --format json | python3 -c 'import json,sys; a=json.load(sys.stdin)["alert"]; print(a["status"], a["group_id"])')" \
	"grouped $lead" "sbctl alerts show names a member's group (its leader)"
check "$(ctl alerts show "$member" | grep -c "group id: *$lead")" 1 "and says it in text"

# the message shows the whole group once the last update is allowed
wait_for "SELECT group_shown FROM alerts WHERE id = '$lead'" 50 30
msg_q() { fake_q messages "$1"; }
check "$(msg_q "'50 alerts like this in the last 10 minutes: SSH login from a new country (BR); ' in json.dumps(d['messages'][0].get('blocks'), ensure_ascii=False)")" True \
	"the question says: 50 alerts like this in the last 10 minutes"
check "$(msg_q "sum(('(%s)' % c) in json.dumps(d['messages'][0].get('blocks')) for c in ('BR', 'AR', 'CL', 'PE', 'UY', 'PY', 'BO'))")" 5 \
	"with five distinct titles"
check "$(msg_q "'; \u2026 (first ' in json.dumps(d['messages'][0].get('blocks'), ensure_ascii=False)")" True \
	"and a mark for the others, then the first and last time"
check "$(msg_q "json.dumps(d['messages'][0].get('blocks')).count('sb_not_me')")" 1 "and the same buttons (not me too)"
updates=$(msg_q "d['messages'][0].get('update_times', [])")
log "chat.update at: $updates"
check "$(python3 -c "import json, sys; t = json.loads(sys.argv[1]); print(len(t) >= 1)" "$updates")" True "the message was updated as alerts joined"
check "$(python3 -c "import json, sys; t = json.loads(sys.argv[1]); print(all(b - a >= 4.9 for a, b in zip(t, t[1:])))" "$updates")" True \
	"at most one chat.update per 5 s"
check "$(fake_q calls "sum(1 for c in d['calls'] if c['method'] == 'chat.update' and not c['ok'])")" 0 "every update accepted by Slack"

# ---- (2) one yes and one code decide all 50 ----
clicked U001 confirm "$lead"
check "$(sql "SELECT count(*) FROM alerts WHERE group_id = '$lead' AND status = 'grouped'")" 49 "a yes waiting for its code leaves the group open"
fresh_step
said U001 "$(code alice)"
wait_for "SELECT count(*) FROM alerts WHERE group_id = '$lead' AND status = 'confirmed'
  AND outcome = 'confirmed' AND second_factor = 'passed'" 50 30
check "$(sql "SELECT count(*) FROM alerts WHERE group_id = '$lead' AND status = 'confirmed'")" 50 "one code confirmed the 50 alerts"
wait_group_outcomes "$lead" 50
check "$(group_outcomes "$lead" | cut -d' ' -f1-3)" "50 50 confirmed" "50 outcomes on the topic, one per alert, each with group_id"
check "$(sql "SELECT count(DISTINCT l.alert_id) FROM audit_log l JOIN alerts a ON a.id = l.alert_id
  WHERE a.group_id = '$lead' AND l.action = 'confirmed'")" 50 "an audit row per alert for the decision"

# ---- (3) the critical alert is asked on its own ----
prompted "$crit"
check "$(sql "SELECT coalesce(group_id, '-') FROM alerts WHERE id = '$crit'")" "-" "the critical alert is its own question"
check "$(posts)" 2 "a second question, for the critical alert"
check "$(fake_q calls "[('alerts like this' in json.dumps(c['args'])) for c in d['calls'] if c['method'] == 'chat.postMessage' and '$crit' in json.dumps(c['args'])]")" '[false]' \
	"which does not speak for a group"
clicked U001 deny "$crit"

# ---- (4) bob: a no for a group of three, each its own escalation request ----
b=()
for ((i = 0; i < 3; i++)); do
	b+=("$(alert bob mass-download "1,240 files downloaded" low)")
	((i == 0)) && prompted "${b[0]}"
done
high=$(alert bob mass-download "9,000 files downloaded" high)
wait_for "SELECT count(*) FROM alerts WHERE group_id = '${b[0]}'" 3 30
check "$(sql "SELECT status FROM alerts WHERE id = '$high'")" queued "bob's high alert is not folded into his low question"
clicked U002 deny "${b[0]}"
said U002 "it was a sync client"
wait_for "SELECT count(*) FROM alerts WHERE group_id = '${b[0]}' AND outcome = 'denied'" 3 30
wait_group_outcomes "${b[0]}" 3
check "$(group_outcomes "${b[0]}")" "3 3 denied it was a sync client" "3 denied outcomes, each with bob's words and group_id"
check "$(topic_dump escalation-requests | cut -f4- | python3 -c 'import json, sys
ms = [json.loads(l) for l in sys.stdin if l.strip()]
g = [m for m in ms if m.get("group_id") == sys.argv[1]]
print(len({m["alert_id"] for m in g}), " ".join(sorted({m["reason"] for m in g})))' "${b[0]}")" "3 denied" \
	"an escalation request per alert of the group, with group_id"
prompted "$high"
check "$(sql "SELECT coalesce(group_id, '-') FROM alerts WHERE id = '$high'")" "-" "then the high alert is asked on its own"
after=$(alert bob mass-download "1,240 files downloaded" low)
wait_for "SELECT count(*) FROM alerts WHERE id = '$after' AND status <> 'queued'" 1 30
check "$(sql "SELECT group_id IS DISTINCT FROM '${b[0]}' FROM alerts WHERE id = '$after'")" t "an alert after the answer does not join the closed group"
check "$(grep -c '"level":"error"' "$T_DIR"/sb-prompt.*.log "$T_DIR"/sb-response.*.log | awk -F: '{s += $2} END {print s}')" 0 "no error logged by sb-prompt or sb-response"
finish
