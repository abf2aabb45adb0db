#!/usr/bin/env bash
# sb-console in a real browser: Debian's chromium, headless, driven by
# puppeteer-core (pinned in tests/browser/package-lock.json, installed
# into var/ on first use) through tests/browser/console.js: log in, filter
# the alerts, open an alert and its timeline, an alert whose title is
# <img src=x onerror=alert(1)> and whose description holds <script> shown
# as text with nothing run (no dialog, no element, no request) and linking
# to its group's question, acknowledge
# and resolve an escalation, the rule chart drawn, the "not me" answers
# counted by source. A screenshot of each
# page is saved under the test's directory (kept when the test fails;
# SB_KEEP=1 keeps it always). Then the effects in PostgreSQL and on the
# resolutions topic.
. "$(dirname "$0")/lib/common.sh"
. "$SB_SOURCE_DIR/tests/integration/lib/console.sh"

modules=$(console_npm)
command -v chromium >/dev/null || sb_fail "chromium is missing (deploy/local/install-deps installs it)"

setup_env 1
import_people alice:U001 bob:U002
hex() { printf "$1%.0s" {1..64}; }
alert_row "$(hex 1)" vpn medium decided confirmed alice '5 minutes' 'VPN login from a new device'
alert_row "$(hex 2)" vpn high decided denied bob '4 minutes' 'VPN login at 3am'
alert_row "$(hex 3)" big-download low decided confirmed alice '3 minutes' 'Large download'
xss=$(hex 4)
alert_row "$xss" ssh-login critical escalated denied bob '2 minutes' '<img src=x onerror=alert(1)>'
# ...and was folded into bob's earlier question (a storm's member): its
# page links to that alert
sql "UPDATE alerts SET description = '<script>window.__pwned = 1; alert(2)</script>',
     group_id = '$(hex 2)' WHERE id = '$xss'; UPDATE alerts SET group_id = id WHERE id = '$(hex 2)'"
esc=$(hex 5)
alert_row "$esc" ssh-login high escalated denied alice '1 minute' 'SSH from a new country'
# alice says "not me": counted on the rules page by source
alert_row "$(hex 6)" vpn low escalated wrong_employee alice '6 minutes' 'VPN login from Lisbon'
sql "INSERT INTO escalations (alert_id, reason) VALUES ('$esc', 'denied'), ('$xss', 'denied');
     INSERT INTO audit_log (actor, action, alert_id) VALUES ('sb-prompt', 'prompted', '$(hex 2)'),
       ('sb-response', 'answered', '$(hex 2)'), ('sb-prompt', 'prompted', '$(hex 1)'),
       ('sb-response', 'answered', '$(hex 1)')"
console_user resp1 responder 'responder-password-1'
start_console "$T_DIR/console.log"

mkdir -p "$T_DIR/screenshots"
rc=0
NODE_PATH=$modules node "$SB_SOURCE_DIR/tests/browser/console.js" "$CONSOLE_URL" resp1 \
	responder-password-1 "$T_DIR/screenshots" "$xss" "$esc" >"$T_DIR/browser.out" 2>&1 || rc=$?
sed 's/^/  browser: /' "$T_DIR/browser.out" >&2
check "$rc" 0 "every check in the browser"
check "$(grep -c '^FAIL' "$T_DIR/browser.out")" 0 "no browser check failed"
check "$(grep -c "^ok:" "$T_DIR/browser.out")" 22 "every browser check ran"
for s in 01-login 02-alerts-filtered 03-alert 04-hostile-alert 05-escalations 06-rules 07-employees \
	07-ignore 07-dead-letters 07-create; do
	check "$([[ -s $T_DIR/screenshots/$s.png ]] && echo saved)" saved "screenshot $s"
done
check "$(sql "SELECT acknowledged_by || '/' || resolved_by || '/' || verdict || '/' || resolution_note
     FROM escalations WHERE alert_id = '$esc'")" "console:resp1/console:resp1/true_positive/rotated the keys" \
	"the escalation worked from the page"
check "$(topic_dump resolutions | cut -f1)" "$esc" "one resolution on the topic"
check "$(sql "SELECT count(*) FROM audit_log WHERE actor = 'console:resp1'
     AND action IN ('console_login', 'escalation_acknowledged', 'escalation_resolved')")" 3 "audited"
check "$(grep -c '"level":"error"' "$T_DIR/console.log")" 0 "no error logged"
log "screenshots: $T_DIR/screenshots"
finish
