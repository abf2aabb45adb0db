#!/usr/bin/env bash
# sbctl enroll: a fresh TOTP secret sealed at rest and the otpauth:// URI for
# the employee's app. The URI carries a 160-bit base32 secret with the RFC
# 6238 parameters; the stored box is not the secret in clear and changes on
# re-enrolment (sealing and opening are unit-tested in test_sb_totp); bad
# keys and unknown people are refused clearly. `--duo` switches an employee
# to Duo push (their TOTP secret dropped), `employees list` shows the factor.
. "$(dirname "$0")/lib/common.sh"
ctl() { "$SB_BIN_DIR/sbctl" "$@"; }

setup_env 1
printf 'username,email,chat_user_id,aliases\nalice,alice@example.com,U001,ali\nbob,bob@example.com,U002,\n' >"$T_DIR/emp.csv"
ctl employees import "$T_DIR/emp.csv" >/dev/null
key=$T_DIR/at-rest.key
python3 -c 'import os; print(os.urandom(32).hex())' >"$key"
chmod 600 "$key"
export SECURITYBOT_SECRET_KEY_FILE=$key

uri=$(ctl enroll ALI)
check "$(python3 "$SB_SOURCE_DIR/tests/integration/lib/otpauth_check.py" "$uri")" ok "URI format and a 160-bit secret"
secret_b32=$(python3 -c 'import sys,urllib.parse as u; print(u.parse_qs(u.urlparse(sys.argv[1]).query)["secret"][0])' "$uri")
box1=$(sql "SELECT encode(totp_secret_enc, 'hex') FROM employees WHERE username = 'alice'")
check "${#box1}" 96 "stored box is 48 bytes (nonce, sealed secret, tag)"
check "$(python3 -c 'import base64,sys; s=sys.argv[1]; print(base64.b32decode(s+"="*(-len(s)%8)).hex() in sys.argv[2])' "$secret_b32" "$box1")" False \
	"the secret is not stored in clear"
check "$(sql "SELECT count(*) FROM audit_log WHERE action = 'totp_enrolled'")" 1 "enrolment audited"
ctl enroll alice@example.com >/dev/null
check "$(sql "SELECT encode(totp_secret_enc, 'hex') = '$box1' FROM employees WHERE username = 'alice'")" f \
	"re-enrolment replaces the secret"

rc=0; ctl enroll nobody 2>"$T_DIR/err" >/dev/null || rc=$?
check "$rc:$(grep -c 'no employee' "$T_DIR/err")" "1:1" "unknown employee refused"
chmod 640 "$key"
rc=0; ctl enroll alice 2>"$T_DIR/err" >/dev/null || rc=$?
check "$rc:$(grep -c 'SECURITYBOT_SECRET_KEY_FILE' "$T_DIR/err")" "2:1" "a group-readable key file refused"
check "$(grep -c "$(cut -c1-16 "$key")" "$T_DIR/err")" 0 "no key material in the error"
chmod 600 "$key"
rc=0; env -u SECURITYBOT_SECRET_KEY_FILE "$SB_BIN_DIR/sbctl" enroll alice 2>"$T_DIR/err" >/dev/null || rc=$?
check "$rc:$(grep -c 'SECURITYBOT_SECRET_KEY_FILE is required' "$T_DIR/err")" "2:1" "missing key file variable"

# Duo: no key file needed; the Duo username defaults to the username
factors() { ctl employees list --format json | python3 -c 'import json,sys; print(" ".join("%s:%s:%s" % (e["username"], e["second_factor"], e.get("duo_username", "-")) for e in json.load(sys.stdin)))'; }
check "$(factors)" "alice:totp:- bob:none:-" "employees list shows each factor"
env -u SECURITYBOT_SECRET_KEY_FILE "$SB_BIN_DIR/sbctl" enroll bob --duo >"$T_DIR/out"
check "$(grep -c 'Duo username bob' "$T_DIR/out")" 1 "bob switched to Duo"
ctl enroll alice --duo --duo-username alice.smith >/dev/null
check "$(factors)" "alice:duo:alice.smith bob:duo:bob" "Duo usernames"
check "$(sql "SELECT count(*) FROM employees WHERE totp_secret_enc IS NOT NULL")" 0 "the TOTP secret is dropped"
check "$(sql "SELECT string_agg(detail->>'duo_username', ',' ORDER BY id) FROM audit_log WHERE action = 'duo_enrolled'")" \
	"bob,alice.smith" "Duo enrolment audited"
check "$(ctl employees list | awk '$2 == "alice" {print $5}')" duo "the text list shows the factor"
ctl enroll alice >/dev/null
check "$(factors)" "alice:totp:- bob:duo:bob" "enrolling TOTP again leaves Duo"
rc=0; ctl enroll alice --duo-username x 2>/dev/null >/dev/null || rc=$?
check "$rc" 2 "--duo-username without --duo refused"
rc=0; ctl enroll alice --duo --duo-username '' 2>/dev/null >/dev/null || rc=$?
check "$rc" 2 "an empty Duo username refused"
finish
