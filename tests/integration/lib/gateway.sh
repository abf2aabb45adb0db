# shellcheck shell=bash
# gateway.sh: starts sb-gateway for a test and sends it Slack's requests,
# signed the documented way (lib/slack_request.py). Source after common.sh.

# Starts sb-gateway on a free port (port 0: the kernel picks it, the log
# line "listening" says which); sets GW_PID and GW_PORT.
start_gateway() { # start_gateway LOG [ENV=VALUE...]
	local logf=$1
	shift
	sb_start_worker "$logf" sb-gateway SECURITYBOT_HTTP_LISTEN=127.0.0.1:0 "$@"
	GW_PID=$SB_PID
	GW_PORT=$(sb_gateway_port "$logf" 15 "$GW_PID") || { log "sb-gateway did not start:"; cat "$logf" >&2; exit 1; }
	sb_wait_port "$GW_PORT" 5 "$GW_PID" || exit 1
}
