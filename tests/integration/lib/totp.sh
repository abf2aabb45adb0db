# shellcheck shell=bash
# totp.sh: employees with a TOTP second factor in a conversation test. Source
# after common.sh; call totp_setup after setup_env and import_people.

# totp_setup NAME...: a fresh secret key (SECURITYBOT_SECRET_KEY_FILE, 0600)
# and each NAME enrolled with TOTP, its otpauth URI in $T_DIR/NAME.uri
totp_setup() {
	local u
	head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$T_DIR/key"
	chmod 600 "$T_DIR/key"
	export SECURITYBOT_SECRET_KEY_FILE=$T_DIR/key
	for u in "$@"; do
		"$SB_BIN_DIR/sbctl" enroll "$u" | head -1 >"$T_DIR/$u.uri"
	done
}

# code NAME [STEP_OFFSET]: NAME's code for this 30 s step (or one beside
# it); sb-response refuses a step already used
code() { python3 "$SB_SOURCE_DIR/deploy/local/totp.py" "$(cat "$T_DIR/$1.uri")" --step-offset "${2:-0}"; }

# fresh_step: waits until at least 5 s are left in the current step, so a
# code made now still holds when sb-response checks it
fresh_step() { while (($(date +%s) % 30 > 24)); do sleep 1; done; }
