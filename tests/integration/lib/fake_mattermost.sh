# shellcheck shell=bash disable=SC2034 # sets variables for the tests
# fake_mattermost.sh: runs tests/fakes/fake_mattermost.py for a test and
# reads its control API. Source after common.sh.

# Starts the fake on a free port; sets MM_PID, MM_URL (for MATTERMOST_URL),
# MM_CTL (the control API) and MM_TOKEN (the bot's token).
start_fake_mattermost() {
	MM_TOKEN=mm-bot-token-$$-0123456789abcdef
	sb_start_fake fake_mattermost "$SB_SOURCE_DIR/tests/fakes/fake_mattermost.py" --token "$MM_TOKEN"
	MM_PID=$SB_PID
	MM_URL="http://127.0.0.1:$SB_FAKE_PORT"
	MM_CTL="http://127.0.0.1:$SB_FAKE_PORT/_fake"
}

# After start_fake_mattermost: the buttons' MAC secret (MM_SECRET) and the
# slash command's token (CMD_TOKEN), each with the bot's token in a 0600
# file of $T_DIR (mm-secret, cmd-token, mm-token);
# MATTERMOST_ACTIONS_SECRET_FILE exported.
mm_secrets() {
	MM_SECRET="mm-actions-secret-$$-0123456789abcdef"
	CMD_TOKEN="cmdtoken$$abcdefghijklmnop"
	printf '%s\n' "$MM_SECRET" >"$T_DIR/mm-secret"
	printf '%s\n' "$MM_TOKEN" >"$T_DIR/mm-token"
	printf '%s\n' "$CMD_TOKEN" >"$T_DIR/cmd-token"
	chmod 600 "$T_DIR"/mm-secret "$T_DIR"/mm-token "$T_DIR"/cmd-token
	export MATTERMOST_ACTIONS_SECRET_FILE=$T_DIR/mm-secret
}

mm_post() { curl -fsS -X POST -H 'Content-Type: application/json' -d "$2" "$MM_CTL/$1"; }

# Runs a Python expression over the answer to GET /_fake/$1, bound to `d`.
mm_q() {
	curl -fsS "$MM_CTL/$1" | python3 -c 'import json, sys
d = json.load(sys.stdin)
r = eval(sys.argv[1])
print(r if not isinstance(r, (list, dict)) else json.dumps(r))' "$2"
}
