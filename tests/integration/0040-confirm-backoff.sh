#!/usr/bin/env bash
# SECURITYBOT_CONFIRM_BACKOFF on the real stack (sb-ingest, sb-prompt,
# sb-gateway, sb-response; Slack played by the fake), with a backoff of 1h
# and SECURITYBOT_CONFIRM_BACKOFF_MAX_SEVERITY=medium: alice confirms an
# alert with her TOTP code; the same employee, rule and title again within
# the hour is recorded confirmed_recently (its outcome names the
# confirmation; no question), while another title, a high alert and bob's
# same alert are asked. A confirmation older than the backoff no longer
# counts, nor does a "yes" without a passed second factor (carol, not
# enrolled: confirmed_unverified). A bad maximum severity is refused at
# start. (The default, off, is what every other test runs with.)
. "$(dirname "$0")/lib/common.sh"
. "$(dirname "$0")/lib/fake_slack.sh"
. "$(dirname "$0")/lib/gateway.sh"
. "$(dirname "$0")/lib/slack_user.sh"
. "$(dirname "$0")/lib/totp.sh"
ctl() { "$SB_BIN_DIR/sbctl" "$@"; }

setup_env 3
import_people alice:U001 bob:U002 carol:U003
totp_setup alice bob

SECRET="e2e-signing-secret-0123456789abcdef"
printf '%s\n' "$SECRET" >"$T_DIR/signing-secret"
export SLACK_SIGNING_SECRET_FILE=$T_DIR/signing-secret
start_fake_slack
fake_post config '{"users": {"alice@example.com": "U001", "bob@example.com": "U002",
  "carol@example.com": "U003"}, "channels": ["C0SECURITY"]}'
export SLACK_API_URL=$FAKE_URL SLACK_BOT_TOKEN=$FAKE_TOKEN SECURITYBOT_SECURITY_CHANNEL=C0SECURITY

# a bad maximum severity: refused at start, with the variable's name
rc=0
SECURITYBOT_CONFIRM_BACKOFF=1h SECURITYBOT_CONFIRM_BACKOFF_MAX_SEVERITY=urgent \
	timeout 20 "$SB_BIN_DIR/sb-ingest" >"$T_DIR/bad.log" 2>&1 || rc=$?
check "$rc" 2 "sb-ingest refuses SECURITYBOT_CONFIRM_BACKOFF_MAX_SEVERITY=urgent"
check "$(grep -c 'SECURITYBOT_CONFIRM_BACKOFF_MAX_SEVERITY must be' "$T_DIR/bad.log")" 1 "and says why"

SECURITYBOT_CONFIRM_BACKOFF=1h SECURITYBOT_CONFIRM_BACKOFF_MAX_SEVERITY=medium start_ingest
start_worker sb-prompt
start_worker sb-response
start_gateway "$T_DIR/sb-gateway.log"

alert() { ctl alert send --user "$1" --rule "$2" --title "$3" --severity "${4:-low}"; }
prompted() { wait_for "SELECT count(*) FROM alerts WHERE id = '$1' AND chat_ts IS NOT NULL" 1 30; }
state() { sql "SELECT concat_ws(' ', status, outcome, recent_confirmation) FROM alerts WHERE id = '$1'"; }
recorded() { wait_for "SELECT count(*) FROM alerts WHERE id = '$1' AND status <> 'queued'" 1 30; }
outcome_of() { # the outcome message of alert $1, once it is on the topic: "outcome answer ref"
	local i line=""
	for ((i = 0; i < 100; i++)); do
		line=$(topic_dump outcomes | awk -F'\t' -v k="$1" '$1 == k' | cut -f4- | head -1)
		[[ -n $line ]] && break
		sleep 0.1
	done
	python3 -c 'import json, sys; m = json.loads(sys.argv[1]); print(m["outcome"], m["answer"], m.get("recent_confirmation"))' "$line"
}
requested() { topic_dump prompts | grep -c "$1"; } # prompt requests naming alert $1
unasked() { sql "SELECT count(*) FROM alerts WHERE id = '$1' AND prompted_at IS NULL AND chat_ts IS NULL"; }
confirm_with_code() { # confirm_with_code USER_ID NAME ALERT [STEP_OFFSET]: a used step is refused
	prompted "$3"
	clicked "$1" confirm "$3"
	fresh_step
	said "$1" "$(code "$2" "${4:-0}")"
	check "$(sql "SELECT status || ' ' || second_factor FROM alerts WHERE id = '$3'")" "confirmed passed" "$2 confirmed with a code"
}

# ---- (1) alice confirms; the same alert again is not asked ----
a1=$(alert alice vpn-login "VPN login from a new country")
confirm_with_code U001 alice "$a1"
a2=$(alert alice vpn-login "VPN login from a new country")
recorded "$a2"
check "$(state "$a2")" "confirmed confirmed_recently $a1" "the same alert within the hour: confirmed_recently, naming the confirmation"
check "$(outcome_of "$a2")" "confirmed_recently none $a1" "its outcome on the topic"
check "$(sql "SELECT actor || ' ' || (detail->>'recent_confirmation') FROM audit_log WHERE alert_id = '$a2' AND action = 'confirmed_recently'")" \
	"sb-ingest $a1" "audited, with the confirmation"

# ---- (2) carol's yes without a second factor is no confirmation to lean on ----
c1=$(alert carol ssh-login "SSH login")
prompted "$c1"
clicked U003 confirm "$c1"
check "$(state "$c1" | cut -d' ' -f1-2)" "confirmed_unverified confirmed_unverified" "carol's yes without a second factor"
c2=$(alert carol ssh-login "SSH login")
prompted "$c2"
check "$(state "$c2")" "prompted" "carol is asked again"

# ---- (3) alice: a high alert and another title are asked ----
a3=$(alert alice vpn-login "VPN login from a new country" high)
confirm_with_code U001 alice "$a3" 1
a4=$(alert alice vpn-login "VPN login from another country")
prompted "$a4"
check "$(state "$a4")" "prompted" "another title is asked"
check "$(unasked "$a2"):$(requested "$a2"):$(requested "$a1")" "1:0:1" "a2 was never asked, a1 was (no prompt request names a2)"

# ---- (4) bob: his own confirmation counts for him, until it is older than the backoff ----
b1=$(alert bob vpn-login "VPN login from a new country")
confirm_with_code U002 bob "$b1"
b2=$(alert bob vpn-login "VPN login from a new country")
recorded "$b2"
check "$(state "$b2")" "confirmed confirmed_recently $b1" "bob's own confirmation covers his next alert"
sql "UPDATE alerts SET decided_at = decided_at - interval '61 minutes' WHERE id = '$b1'" >/dev/null
b3=$(alert bob vpn-login "VPN login from a new country")
prompted "$b3"
check "$(state "$b3")" "prompted" "past the hour: asked again"
check "$(grep -c '"level":"error"' "$T_DIR"/ingest.*.log)" 0 "no error logged by sb-ingest"
finish
