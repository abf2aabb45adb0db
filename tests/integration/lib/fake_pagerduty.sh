# fake_pagerduty.sh: runs tests/fakes/fake_pagerduty.py for a test. Source after common.sh.

# Starts the fake; sets PD_PID, PD_URL (for SECURITYBOT_PAGERDUTY_URL),
# PD_CTL and PD_KEY (the one routing key it accepts).
start_fake_pagerduty() {
	local i port=""
	PD_KEY=$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')
	python3 "$SB_SOURCE_DIR/tests/fakes/fake_pagerduty.py" --port 0 --key "$PD_KEY" \
		>"$T_DIR/fake_pd.out" 2>"$T_DIR/fake_pd.err" &
	PD_PID=$!
	T_PIDS+=("$PD_PID")
	for ((i = 0; i < 100; i++)); do
		port=$(sed -n 's/^PORT \([0-9]*\)$/\1/p' "$T_DIR/fake_pd.out")
		[[ -n $port ]] && break
		sleep 0.1
	done
	[[ -n $port ]] || { log "fake PagerDuty did not start"; cat "$T_DIR/fake_pd.err" >&2; exit 1; }
	PD_URL="http://127.0.0.1:$port/v2/enqueue"
	PD_CTL="http://127.0.0.1:$port/_fake"
}

# Runs a Python expression over GET /_fake/$1 bound to `d`; prints the result.
pd_q() {
	curl -fsS "$PD_CTL/$1" | python3 -c 'import json, sys
d = json.load(sys.stdin)
r = eval(sys.argv[1])
print(r if not isinstance(r, (list, dict)) else json.dumps(r))' "$2"
}
