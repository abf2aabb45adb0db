# gateway.sh: starts sb-gateway for a test and sends it Slack's requests,
# signed the documented way (lib/slack_request.py). Source after common.sh.

# Starts sb-gateway on a free port (port 0: the kernel picks it, the log
# line "listening" says which); sets GW_PID and GW_PORT.
start_gateway() { # start_gateway LOG [ENV=VALUE...]
	local logf=$1 i
	shift
	env SECURITYBOT_HTTP_LISTEN=127.0.0.1:0 "$@" "$SB_BIN_DIR/sb-gateway" 2>"$logf" &
	GW_PID=$!
	T_PIDS+=("$GW_PID")
	GW_PORT=""
	for ((i = 0; i < 150; i++)); do
		GW_PORT=$(grep -o '"msg":"listening".*' "$logf" | grep -o '"port":"[0-9]*"' | tr -dc 0-9 || true)
		[[ -n $GW_PORT ]] && break
		sleep 0.1
	done
	[[ -n $GW_PORT ]] || { log "sb-gateway did not start:"; cat "$logf" >&2; exit 1; }
}
