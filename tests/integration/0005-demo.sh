#!/usr/bin/env bash
# The README's first command runs to the end non-interactively and shows
# what it promises: every worker started (the console with its URL and a
# console user's password), a yes confirmed with a code, a no
# and a silence escalated (report in the security channel, escalation on
# the topic), carol's yes confirmed by a Duo push (the fake Duo approving
# it), one outcome per alert, the report, a dead letter, and every worker
# (and the fake Duo) stopped cleanly; then the same tour with --chat mattermost.
. "$(dirname "$0")/lib/common.sh"

rc=0
"$SB_SOURCE_DIR/deploy/local/demo" --ci >"$T_DIR/demo.out" 2>&1 </dev/null || rc=$?
check "$rc" 0 "demo exit status"
for want in "== 10. The report ==" '"schema": "escalation.v1"' '"reason": "denied"' \
	"You confirmed this was you. Thank you!" "post in security-team:" "*Why:* no_response" \
	"Reminder: could you tell me whether" "missing_field" \
	'confirmed        answer confirm second factor passed' \
	'denied           answer deny    second factor not_attempted comment "I did not download anything"' \
	'unknown_employee answer none' "The console: http://127.0.0.1:" \
	"POST /auth/v2/preauth" "POST /auth/v2/auth" "GET  /auth/v2/auth_status" \
	"| confirmed | passed        | duo_push" "demo: the fake Duo stopped."; do
	check "$(grep -cF -- "$want" "$T_DIR/demo.out" | awk '{print ($1 > 0)}')" 1 "demo shows: $want"
done
password=$(grep -o 'user demo, password [A-Za-z0-9]*' "$T_DIR/demo.out" | head -n 1 | awk '{print $4}')
check "${#password}" 20 "the console user's password printed"
for w in sb-ingest sb-prompt sb-gateway sb-response sb-escalation sb-console; do
	check "$(grep -cF "$w stopped (exit status 0)" "$T_DIR/demo.out")" 1 "$w stopped cleanly"
done

# the first tour's logs and chat, kept with the test's files (the second
# tour starts var/demo afresh)
mkdir -p "$T_DIR/tour1"
cp "$SB_SOURCE_DIR"/var/demo/*.log "$T_DIR/tour1/" 2>/dev/null || true

# the same tour on Mattermost (the fake): clicks and /securitybot
rc=0
"$SB_SOURCE_DIR/deploy/local/demo" --ci --chat mattermost >"$T_DIR/demo-mm.out" 2>&1 </dev/null || rc=$?
check "$rc" 0 "demo --chat mattermost exit status"
for want in "[Yes, this was me] [No, this wasn't me]" "(in Mattermost) alice types /securitybot" \
	"post in the security channel" '"reason": "denied"' \
	'confirmed        answer confirm second factor passed' \
	'denied           answer deny    second factor not_attempted comment "I did not download anything"' \
	"sb-console stopped (exit status 0)"; do
	check "$(grep -cF -- "$want" "$T_DIR/demo-mm.out" | awk '{print ($1 > 0)}')" 1 "demo --chat mattermost shows: $want"
done
check "$(pgrep -f "fake_mattermost.py --port 0 --token $(cat "$SB_SOURCE_DIR/var/demo/mm-token")" | grep -c . || true)" 0 "the demo's fake Mattermost stopped"
((T_FAILED == 0)) || tail -30 "$T_DIR/demo-mm.out" >&2
# the demo's workers are those whose environment has the demo's prefix
left=0
for pid in $(pgrep -f "$SB_SOURCE_DIR/build/bin/sb-" || true); do
	tr '\0' '\n' <"/proc/$pid/environ" 2>/dev/null | grep -qx 'SECURITYBOT_TOPIC_PREFIX=demo.' && left=$((left + 1))
done
check "$left" 0 "no demo worker left running"
((T_FAILED == 0)) || tail -30 "$T_DIR/demo.out" >&2
finish
