#!/usr/bin/env bash
# sb-prompt's claim transaction leaves another replica's fresh claim alone
# (issue 17, section 1: the 3 s outliers). A question another replica has
# just claimed and not yet sent is locked by that replica's send (FOR
# UPDATE SKIP LOCKED, held across its chat call). Every claim transaction
# for the same employee used to lock it too, to attach queued alerts to
# it: the send then found its own claim locked, skipped it and left it to
# the sweep's resend, 3 s later; and the claim transaction waited for the
# other replica's chat call. Here a session holds alice's fresh claim as a
# replica's send would; sb-prompt, asked for alice (a second alert of the
# same rule) and then for bob, must handle alice's request and prompt bob
# while that lock is held. Alice's second alert stays queued meanwhile;
# once her question is sent (here by the sweep's resend), it joins it.
. "$(dirname "$0")/lib/common.sh"
. "$(dirname "$0")/lib/fake_slack.sh"
. "$(dirname "$0")/lib/slack_user.sh"
ctl() { "$SB_BIN_DIR/sbctl" "$@"; }
alert() { ctl alert send --user "$1" --rule "$2" --title "$3"; }
export SECURITYBOT_COALESCE_WINDOW=10m

setup_env 3
import_people alice:U001 bob:U002
start_fake_slack
fake_post config '{"users": {"alice@example.com": "U001", "bob@example.com": "U002"}}'
export SLACK_API_URL=$FAKE_URL SLACK_BOT_TOKEN=$FAKE_TOKEN
start_ingest

# alice's question, claimed a moment ago by "another replica" and not sent
# yet; its prompted_at lies ahead, so that it stays that fresh (younger
# than the sweep's 3 s) however slow the machine is
a1=$(alert alice ssh-login "SSH login from a new country (BR)")
wait_for "SELECT status FROM alerts WHERE id = '$a1'" queued 60
sql "UPDATE alerts SET status = 'prompted', prompted_at = now() + interval '1 hour',
  version = version + 1 WHERE id = '$a1'"
# that replica's send, holding the row across its chat call (its backend
# would outlive a killed psql in pg_sleep: ended at exit, pass or fail)
end_send() {
	sql "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database()
  AND application_name = 'sb-test-send'" >/dev/null 2>&1 || true
}
sb_on_exit() { end_send; }
PGAPPNAME=sb-test-send psql -X -q "$SECURITYBOT_DATABASE_URL" -c "BEGIN" \
	-c "SELECT 1 FROM alerts WHERE id = '$a1' FOR UPDATE" -c "SELECT pg_sleep(300)" >/dev/null 2>&1 &
SB_PIDS+=("$!")
holding="SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()
  AND application_name = 'sb-test-send' AND wait_event = 'PgSleep'"
wait_for "$holding" 1 30

LOGF=$T_DIR/sb-prompt.log
sb_start_worker "$LOGF" sb-prompt SECURITYBOT_METRICS_LISTEN=127.0.0.1:0
port=$(sb_wait_log "$LOGF" '"msg":"metrics listening"' 30 | grep -o '"port":"[0-9]*"' | tr -dc 0-9)
consumed() {
	curl -fsS "http://127.0.0.1:$port/metrics" 2>/dev/null |
		awk '/^securitybot_messages_consumed_total/ { n += $NF } END { printf "%d\n", n }'
}
until_consumed() { # until_consumed N: until sb-prompt has handled N prompt requests (30 s)
	local end=$((SECONDS + 30))
	while ((SECONDS < end)); do
		(($(consumed) >= $1)) && return 0
		sleep 0.1
	done
	return 1
}

a2=$(alert alice ssh-login "SSH login from a new country (AR)")
wait_for "SELECT status FROM alerts WHERE id = '$a2'" queued 60
# her two prompt requests: the first finds no queued alert to attach (so
# it never reaches her question's row), the second does
check "$(until_consumed 2 && echo handled)" handled "alice's prompt requests handled while another replica's send holds her question"
b1=$(alert bob db-export "Large export from the production database")
check "$(wait_for "SELECT count(*) FROM alerts WHERE id = '$b1' AND chat_ts IS NOT NULL" 1 30 && echo prompted)" prompted "bob prompted while alice's question is locked"
check "$(sql "$holding")" 1 "the send's lock was held throughout"
check "$(sql "SELECT status || ' ' || coalesce(group_id, '-') FROM alerts WHERE id = '$a2'")" "queued -" "alice's second alert waits (her question is not sent yet)"

# the other replica's send ends without sending (it crashed): its claim is
# now old enough to be the sweep's, which sends it; alice's second alert
# then joins her question
end_send
sql "UPDATE alerts SET prompted_at = now() - interval '10 seconds' WHERE id = '$a1'"
wait_for "SELECT count(*) FROM alerts WHERE id = '$a1' AND chat_ts IS NOT NULL" 1 30
check "$(wait_for "SELECT group_id FROM alerts WHERE id = '$a2' AND status = 'grouped'" "$a1" 30 && echo joined)" joined "alice's second alert joined her question once it was sent"
check "$(fake_q calls "sum(1 for c in d['calls'] if c['method'] == 'chat.postMessage' and c['ok'] and c['args'].get('channel') == 'U001')")" 1 "one question for alice"
finish
