#!/usr/bin/env bash
# sb-console's skeleton and who may use it, on the real stack: --help and
# --version, probes, security headers on every answer (refusals too), the
# pages and no path out of the assets folder; sbctl users and tokens;
# login (cookie attributes), each role allowed and refused, CSRF, bearer
# tokens without CSRF, idle and absolute session expiry, the lockout after
# five failed logins (audited), disabled users, the trusted SSO header
# from a trusted and an untrusted address, a session made on one replica
# used on another, every action in audit_log, and a clean SIGTERM.
. "$(dirname "$0")/lib/common.sh"
. "$SB_SOURCE_DIR/tests/integration/lib/console.sh"

# ---- the binary ----
check "$("$SB_BIN_DIR/sb-console" --version)" "sb-console 0.1.0" "--version"
"$SB_BIN_DIR/sb-console" --help >"$T_DIR/help"
check "$(grep -c 'SECURITYBOT_CONSOLE_LISTEN' "$T_DIR/help")" 1 "--help lists the variables"
rc=0
SECURITYBOT_CONSOLE_LISTEN=localhost:80 "$SB_BIN_DIR/sb-console" 2>"$T_DIR/bad" || rc=$?
check "$rc:$(grep -q SECURITYBOT_CONSOLE_LISTEN "$T_DIR/bad" && echo named)" "2:named" "a malformed listen address"

setup_env 1
start_console "$T_DIR/console.log"
A=$CONSOLE_URL
A_PID=$CONSOLE_PID

# ---- probes, headers, pages, assets ----
check "$(req GET "$A/healthz"):$(req GET "$A/readyz")" "200:200" "healthz and readyz"
for path in /healthz /nope /api/v1/alerts /assets/app.js; do
	req GET "$A$path" >/dev/null
	check "$(header Content-Security-Policy | grep -o "default-src 'self'")" "default-src 'self'" "CSP on $path"
	check "$(header Content-Security-Policy | grep -c "unsafe-inline")" 0 "no inline script allowed on $path"
	check "$(header Content-Security-Policy | grep -o "frame-ancestors 'none'")" "frame-ancestors 'none'" "frame-ancestors on $path"
	check "$(header X-Content-Type-Options)" nosniff "nosniff on $path"
	check "$(header Referrer-Policy)" same-origin "Referrer-Policy on $path"
done
check "$(req GET "$A/")" 200 "the console's page"
check "$(grep -c '<script src="/assets/app.js"' "$T_DIR/body")" 1 "the page loads its script from a file"
check "$(grep -c '<script>' "$T_DIR/body")" 0 "no inline script"
check "$(req GET "$A/login")" 200 "the login page"
check "$(req GET "$A/assets/app.js"):$(header Content-Type)" "200:text/javascript; charset=utf-8" "a script's type"
check "$(req GET "$A/vendor/chart.js"):$(grep -c 'Chart.js v3' "$T_DIR/body")" "200:1" "Chart.js from its package"
for path in "/assets/../main.c" "/assets/%2e%2e/main.c" "/assets/..%2fmain.c" "/assets/.hidden.js" \
	"/assets//etc/passwd" "/assets/%2fetc%2fpasswd" "/assets/" \
	"/assets/app.js/" "/assets/..\\main.c" "/assets/style.css/../../console.h"; do
	check "$(req GET "$A$path" --path-as-is)" 404 "no file for $path"
	check "$(grep -c 'include' "$T_DIR/body")" 0 "nothing of the source for $path"
done

# ---- sbctl users and tokens ----
for cmd in users tokens; do
	check "$("$SB_BIN_DIR/sbctl" "$cmd" --help | grep -c '^Usage: sbctl')" 1 "sbctl $cmd --help"
done
console_user view1 viewer 'viewer-password-1'
console_user resp1 responder 'responder-password-1'
console_user admin1 admin 'admin-password-1'
gen=$("$SB_BIN_DIR/sbctl" users add gen1 --role viewer 2>/dev/null | tail -n 1)
check "${#gen}" 20 "a generated password, alone on the last line"
check "$(sql "SELECT count(*) FROM console_users WHERE password_hash LIKE '\$argon2id\$%'")" 4 "stored as Argon2id hashes"
check "$(sql "SELECT count(*) FROM console_users WHERE password_hash LIKE '%password%'")" 0 "no password in clear"
rc=0; "$SB_BIN_DIR/sbctl" users add view1 --role admin --sso 2>/dev/null || rc=$?
check "$rc" 1 "a duplicate user"
rc=0; "$SB_BIN_DIR/sbctl" users add 'bad name' --role admin 2>/dev/null || rc=$?
check "$rc" 2 "a bad user name"
rc=0; echo short | "$SB_BIN_DIR/sbctl" users add shorty --role viewer --password-stdin 2>/dev/null || rc=$?
check "$rc" 1 "a too short password"
"$SB_BIN_DIR/sbctl" users list --format json >"$T_DIR/body"
check "$(body_json 'sorted(u["name"] for u in d)')" "['admin1', 'gen1', 'resp1', 'view1']" "users list"
check "$(grep -c argon2 "$T_DIR/body")" 0 "users list shows no hash"
TOK_R=$(console_token ci-resp responder)
TOK_V=$(console_token ci-view viewer)
check "${TOK_R:0:4}:${#TOK_R}" "sbc_:47" "a token, alone on the last line"
check "$(sql "SELECT count(*) FROM console_tokens WHERE token_hash = encode(sha256('$TOK_R'), 'hex')")" 1 "only its hash stored"

# ---- login ----
check "$(login "$T_DIR/jar.x" view1 wrong-password-1)" 401 "a wrong password"
check "$(body_json 'd["error"]')" bad_credentials "a JSON error"
check "$(login "$T_DIR/jar.x" nobody whatever-password)" 401 "an unknown user, the same answer"
check "$(login "$T_DIR/jar.gen" gen1 "$gen")" 200 "the generated password logs in"
check "$(login "$T_DIR/jar.v" view1 viewer-password-1)" 200 "viewer login"
cookie=$(header Set-Cookie)
check "$(grep -o 'HttpOnly' <<<"$cookie"):$(grep -o 'SameSite=Strict' <<<"$cookie"):$(grep -c 'Secure' <<<"$cookie")" \
	"HttpOnly:SameSite=Strict:0" "the session cookie (insecure for plain HTTP)"
check "$(sql "SELECT count(*) FROM console_sessions WHERE length(token_hash) = 64")" 2 "sessions stored hashed"
check "$(login "$T_DIR/jar.r" resp1 responder-password-1)" 200 "responder login"
check "$(login "$T_DIR/jar.a" admin1 admin-password-1)" 200 "admin login"
check "$(req POST "$A/api/v1/login" -H 'Content-Type: application/json' --data-binary '{"user":1}')" 400 "a malformed login"
check "$(req POST "$A/api/v1/login" -H 'Content-Type: text/plain' --data-binary '{}')" 415 "a login that is not JSON"

# ---- roles, CSRF, tokens ----
id1=$(printf 'e%.0s' {1..64})
id2=$(printf 'f%.0s' {1..64})
id3=$(printf 'd%.0s' {1..64})
alert_with_escalation "$id1"
alert_with_escalation "$id2"
alert_with_escalation "$id3"
csrf() { cat "$1.csrf"; }
ack() { # ack JAR ID [CURL ARGS...]
	local jar=$1 id=$2
	shift 2
	req POST "$A/api/v1/escalations/$id/acknowledge" -b "$jar" -H "X-CSRF-Token: $(csrf "$jar")" "$@"
}
check "$(req GET "$A/api/v1/alerts" -b "$T_DIR/jar.v")" 200 "viewer reads alerts"
check "$(body_json 'len(d["alerts"])')" 3 "the alerts"
check "$(req GET "$A/api/v1/alerts/$id1" -b "$T_DIR/jar.v")" 200 "viewer reads an alert"
check "$(req GET "$A/api/v1/users" -b "$T_DIR/jar.v")" 403 "viewer may not list console users"
check "$(body_json 'd["error"]')" forbidden "forbidden, as JSON"
check "$(ack "$T_DIR/jar.v" "$id1")" 403 "viewer may not acknowledge"
check "$(req GET "$A/api/v1/users" -b "$T_DIR/jar.r")" 403 "responder may not list console users"
check "$(req GET "$A/api/v1/users" -b "$T_DIR/jar.a")" 200 "admin lists console users"
check "$(req POST "$A/api/v1/escalations/$id1/acknowledge" -b "$T_DIR/jar.r")" 403 "no CSRF token: refused"
check "$(body_json 'd["error"]')" csrf "the CSRF refusal"
check "$(ack "$T_DIR/jar.r" "$id1" -H 'X-CSRF-Token: forged')" 403 "two CSRF tokens: refused"
check "$(req POST "$A/api/v1/escalations/$id1/acknowledge" -b "$T_DIR/jar.r" -H 'X-CSRF-Token: forged')" 403 "a wrong CSRF token: refused"
check "$(req POST "$A/api/v1/escalations/$id1/acknowledge" -b "$T_DIR/jar.r" -H "X-CSRF-Token: $(csrf "$T_DIR/jar.a")")" 403 "another session's CSRF token: refused"
check "$(sql "SELECT count(*) FROM escalations WHERE acknowledged_at IS NOT NULL")" 0 "nothing acknowledged yet"
check "$(ack "$T_DIR/jar.r" "$id1")" 200 "responder acknowledges with the CSRF token"
check "$(ack "$T_DIR/jar.r" "$id1")" 409 "acknowledging twice: a conflict"
check "$(ack "$T_DIR/jar.a" "$id2")" 200 "admin acknowledges"
check "$(ack "$T_DIR/jar.r" "$(printf 'a%.0s' {1..64})")" 404 "no such escalation"
check "$(req GET "$A/api/v1/alerts" -H "Authorization: Bearer $TOK_V")" 200 "a viewer token reads"
check "$(req POST "$A/api/v1/escalations/$id3/acknowledge" -H "Authorization: Bearer $TOK_V")" 403 "a viewer token may not acknowledge"
check "$(req POST "$A/api/v1/escalations/$id3/acknowledge" -H "Authorization: Bearer $TOK_R")" 200 "a responder token needs no CSRF token"
check "$(req GET "$A/api/v1/alerts" -H "Authorization: Bearer ${TOK_R}x")" 401 "a wrong token"
check "$(req GET "$A/api/v1/alerts" -H "Authorization: Basic dXNlcjpwdw==")" 401 "not a bearer token"
check "$(req GET "$A/api/v1/alerts" -H "Authorization: Bearer $TOK_V" -H "Authorization: Bearer $TOK_R")" 400 "two Authorization headers"
"$SB_BIN_DIR/sbctl" tokens revoke ci-view >/dev/null
check "$(req GET "$A/api/v1/alerts" -H "Authorization: Bearer $TOK_V")" 401 "a revoked token"
check "$(req GET "$A/api/v1/alerts" -b 'sb_session=sbs_forged')" 401 "a forged cookie"
check "$(req GET "$A/api/v1/alerts" -b 'sb_session=a; sb_session=b')" 400 "two session cookies"
check "$(sql "SELECT actor FROM audit_log WHERE action = 'escalation_acknowledged' ORDER BY id")" \
	"console:resp1
console:admin1
console-token:ci-resp" "acknowledgements audited with the console user"
check "$(sql "SELECT acknowledged_by FROM escalations WHERE alert_id = '$id1'")" console:resp1 "who took it"

# ---- a second replica shares the sessions; the trusted header ----
start_console "$T_DIR/console-b.log" SECURITYBOT_CONSOLE_TRUSTED_HEADER=X-Auth-Request-Email \
	SECURITYBOT_CONSOLE_TRUSTED_PROXIES=127.0.0.1
B=$CONSOLE_URL
check "$(req GET "$B/api/v1/session" -b "$T_DIR/jar.v")" 200 "a session made on one replica, used on another"
check "$(body_json 'd["user"] + "/" + d["role"]')" view1/viewer "the same user"
check "$(req GET "$B/api/v1/session" -H 'X-Auth-Request-Email: resp1' -c "$T_DIR/jar.sso")" 200 "SSO from a trusted proxy"
check "$(body_json 'd["user"] + "/" + d["via"]')" resp1/header "logged in by the header"
body_json 'd["csrf"]' >"$T_DIR/jar.sso.csrf"
check "$(req POST "$B/api/v1/logout" -H 'X-Auth-Request-Email: resp1')" 403 "SSO without the CSRF token: refused"
check "$(req POST "$B/api/v1/logout" -H 'X-Auth-Request-Email: resp1' -b "$T_DIR/jar.sso" -H "X-CSRF-Token: $(csrf "$T_DIR/jar.sso")")" 200 "SSO with its session's CSRF token"
check "$(req GET "$B/api/v1/session" -H 'X-Auth-Request-Email: stranger@example.com')" 403 "SSO for someone who is not a console user"
start_console "$T_DIR/console-c.log" SECURITYBOT_CONSOLE_TRUSTED_HEADER=X-Auth-Request-Email \
	SECURITYBOT_CONSOLE_TRUSTED_PROXIES=10.9.8.7
C=$CONSOLE_URL
check "$(req GET "$C/api/v1/session" -H 'X-Auth-Request-Email: admin1')" 401 "the header from an untrusted address: ignored"
check "$(grep -c 'identity header from an untrusted address' "$T_DIR/console-c.log")" 1 "and logged"
check "$(req GET "$A/api/v1/session" -H 'X-Auth-Request-Email: admin1')" 401 "the header where SSO is off: ignored"
rc=0
SECURITYBOT_CONSOLE_TRUSTED_HEADER=X-User "$SB_BIN_DIR/sb-console" 2>/dev/null || rc=$?
check "$rc" 2 "a trusted header without trusted proxies"

# ---- expiry ----
check "$(login "$T_DIR/jar.idle" view1 viewer-password-1)" 200 "another viewer session"
sql "UPDATE console_sessions SET last_seen_at = now() - interval '31 minutes'
     WHERE token_hash = encode(sha256('$(awk '$6 == "sb_session" {print $7}' "$T_DIR/jar.idle")'), 'hex')"
check "$(req GET "$A/api/v1/alerts" -b "$T_DIR/jar.idle")" 401 "an idle session expired"
check "$(body_json 'd["error"]')" session_expired "said so"
check "$(login "$T_DIR/jar.abs" view1 viewer-password-1)" 200 "and another"
sql "UPDATE console_sessions SET expires_at = now() - interval '1 second'
     WHERE token_hash = encode(sha256('$(awk '$6 == "sb_session" {print $7}' "$T_DIR/jar.abs")'), 'hex')"
check "$(req GET "$A/api/v1/alerts" -b "$T_DIR/jar.abs")" 401 "a session past its absolute expiry"
check "$(req GET "$A/api/v1/alerts" -b "$T_DIR/jar.v")" 200 "the first session still lives"
check "$(req POST "$A/api/v1/logout" -b "$T_DIR/jar.v" -H "X-CSRF-Token: $(csrf "$T_DIR/jar.v")")" 200 "logout"
check "$(req GET "$A/api/v1/alerts" -b "$T_DIR/jar.v")" 401 "its session is gone"

# ---- lockout ----
for i in 1 2 3 4 5; do
	check "$(login "$T_DIR/jar.x" resp1 "wrong-password-$i")" 401 "failed login $i"
done
check "$(login "$T_DIR/jar.x" resp1 responder-password-1)" 429 "locked after five failures, the right password too"
retry=$(header Retry-After)
check "$((retry > 800 && retry <= 900))" 1 "Retry-After about 15 minutes ($retry)"
check "$(sql "SELECT count(*) FROM audit_log WHERE action = 'console_user_locked' AND actor = 'console:resp1'")" 1 "the lock audited"
check "$(sql "SELECT count(*) FROM audit_log WHERE action = 'console_login_failed' AND actor = 'console:resp1'")" 5 "each failure audited"
check "$(login "$T_DIR/jar.x" view1 viewer-password-1)" 200 "another user is not locked"
"$SB_BIN_DIR/sbctl" users reset resp1 --password-stdin <<<'responder-password-2' 2>/dev/null
check "$(login "$T_DIR/jar.r2" resp1 responder-password-2)" 200 "reset unlocks, with the new password"
check "$(req GET "$A/api/v1/alerts" -b "$T_DIR/jar.r")" 401 "reset ended the old sessions"

# ---- disabled ----
"$SB_BIN_DIR/sbctl" users disable gen1 >/dev/null
check "$(req GET "$A/api/v1/alerts" -b "$T_DIR/jar.gen")" 401 "a disabled user's session ends"
check "$(login "$T_DIR/jar.x" gen1 "$gen")" 401 "a disabled user cannot log in"
check "$(sql "SELECT count(*) FROM audit_log WHERE action IN ('console_user_added', 'console_user_disabled', 'console_user_reset', 'console_token_created', 'console_token_revoked')")" 9 "sbctl's changes audited"

# ---- metrics and shutdown ----
check "$(grep -c '"level":"error"' "$T_DIR/console.log")" 0 "no error logged"
stop_worker "$A_PID"
check "$(grep -c 'shutting down' "$T_DIR/console.log")" 1 "a clean shutdown"
finish
