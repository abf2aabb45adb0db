# shellcheck shell=bash
# demo_mattermost.sh: the demo's chat on Mattermost (deploy/local/demo
# --chat mattermost), played by tests/fakes/fake_mattermost.py: the fake
# server, the workers' settings, what people see, and their clicks and
# slash commands. Sourced by deploy/local/demo, which defines VAR, REPO,
# DEMO_DATA and sb_spawn.

MM_SECURITY_CHANNEL=securityteam00000000000000 # a Mattermost channel id

# Starts the fake Mattermost; sets MM_PID, MM_URL and MM_CTL, and writes the
# bot token, the buttons' secret and the command token under $VAR.
mm_start() {
	local line i
	(umask 077 && head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$VAR/mm-token")
	(umask 077 && head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$VAR/mm-actions-secret")
	(umask 077 && head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$VAR/mm-command-token")
	: >"$VAR/fake_mattermost.out"
	python3 "$REPO/tests/fakes/fake_mattermost.py" --port 0 --token "$(cat "$VAR/mm-token")" \
		>"$VAR/fake_mattermost.out" 2>"$VAR/fake_mattermost.log" &
	MM_PID=$!
	for ((i = 0; i < 100; i++)); do
		line=$(head -n 1 "$VAR/fake_mattermost.out")
		[[ $line == PORT* ]] && break
		sleep 0.1
	done
	[[ $line == PORT* ]] || die "the fake Mattermost did not start (var/demo/fake_mattermost.log)"
	MM_URL="http://127.0.0.1:${line#PORT }"
	MM_CTL=$MM_URL/_fake
	export SECURITYBOT_CHAT=mattermost MATTERMOST_URL=$MM_URL
	export MATTERMOST_BOT_TOKEN_FILE=$VAR/mm-token MATTERMOST_ACTIONS_SECRET_FILE=$VAR/mm-actions-secret
	export MATTERMOST_COMMAND_TOKEN_FILE=$VAR/mm-command-token
	export SECURITYBOT_SECURITY_CHANNEL=$MM_SECURITY_CHANNEL
}

mm_stop() {
	[[ -n ${MM_PID:-} ]] || return 0
	kill -TERM "$MM_PID" 2>/dev/null || true
	wait "$MM_PID" 2>/dev/null || true
	MM_PID=
}

mm_ctl() { # mm_ctl WHAT JSON: POST to the fake's control API
	curl -fsS -X POST -H 'Content-Type: application/json' -d "$2" "$MM_CTL/$1"
}

# Once the gateway listens on $1: the employees (the directory's chat ids
# are their Mattermost ids here), the security channel, the slash command
# /securitybot, and the gateway as an allowed integration address.
mm_configure() {
	local gw=http://127.0.0.1:$1 users
	users=$(python3 -c 'import csv, json, sys
print(json.dumps({r["email"]: r["chat_user_id"] for r in csv.DictReader(open(sys.argv[1])) if r["chat_user_id"]}))' \
		"$DEMO_DATA/employees.csv")
	mm_ctl config "{\"users\": $users, \"channels\": [\"$MM_SECURITY_CHANNEL\"],
	  \"allowed_untrusted_internal_connections\": \"127.0.0.1\",
	  \"commands\": {\"securitybot\": {\"url\": \"$gw/mattermost/commands\",
	    \"token\": \"$(cat "$VAR/mm-command-token")\"}}}" >/dev/null
	export SECURITYBOT_PUBLIC_URL=$gw
}

# What people see: the posts from the $1-th to the $2-th, as they read them.
mm_chat_since() {
	curl -fsS "$MM_CTL/posts" | python3 -c '
import json, sys
n, last, sec = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
d = json.load(sys.stdin)
for p in d["posts"][n - 1:last]:
    where = "post in the security channel" if p["channel_id"] == sec else "message in a DM"
    text = p["message"]
    for a in p["props"].get("attachments") or []:
        text += "\n" + a.get("text", "")
        btns = [b["name"] for b in a.get("actions") or []]
        if btns:
            text += "  [" + "] [".join(btns) + "]"
    print("    %s (post %s):\n      %s" % (where, p["id"][:8], text.replace("\n", "\n      ")))
' "$1" "$2" "$MM_SECURITY_CHANNEL"
}
mm_chat_lines() { curl -fsS "$MM_CTL/posts" | python3 -c 'import json, sys; print(len(json.load(sys.stdin)["posts"]))'; }

# mm_answer USER ALERT_ID yes|no|TEXT: a click on the alert's post, or TEXT
# typed as "/securitybot TEXT"; prints what Mattermost did.
mm_answer() {
	local user=$1 alert=$2 what=$3 uid post
	uid=$(sql "SELECT chat_user_id FROM employees WHERE username = '$user'")
	case $what in
	yes | no)
		post=$(sql "SELECT chat_ts FROM alerts WHERE id = '$alert'")
		mm_ctl click "{\"post_id\": \"$post\", \"user_id\": \"$uid\",
		  \"action_id\": \"$([[ $what == yes ]] && echo sbconfirm || echo sbdeny)\"}" >/dev/null
		;;
	*)
		mm_ctl command "$(python3 -c 'import json, sys
print(json.dumps({"user_id": sys.argv[1], "text": "/securitybot " + sys.argv[2]}))' "$uid" "$what")" >/dev/null
		;;
	esac
}
