# shellcheck shell=bash disable=SC2034 # sets variables for the tests
# fake_pagerduty.sh: runs tests/fakes/fake_pagerduty.py for a test. Source after common.sh.

# Starts the fake; sets PD_PID, PD_URL (for SECURITYBOT_PAGERDUTY_URL),
# PD_CTL and PD_KEY (the one routing key it accepts).
start_fake_pagerduty() {
	PD_KEY=$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' 
')
	sb_start_fake fake_pd "$SB_SOURCE_DIR/tests/fakes/fake_pagerduty.py" --key "$PD_KEY"
	PD_PID=$SB_PID
	PD_URL="http://127.0.0.1:$SB_FAKE_PORT/v2/enqueue"
	PD_CTL="http://127.0.0.1:$SB_FAKE_PORT/_fake"
}

# Runs a Python expression over GET /_fake/$1 bound to `d`; prints the result.
pd_q() {
	curl -fsS "$PD_CTL/$1" | python3 -c 'import json, sys
d = json.load(sys.stdin)
r = eval(sys.argv[1])
print(r if not isinstance(r, (list, dict)) else json.dumps(r))' "$2"
}
