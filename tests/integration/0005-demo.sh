#!/usr/bin/env bash
# The README's first command runs to the end non-interactively and shows
# what it promises: recorded alerts, prompt and escalation requests, a dead
# letter, and sb-ingest stopped cleanly.
. "$(dirname "$0")/lib/common.sh"

rc=0
"$SB_SOURCE_DIR/deploy/local/demo" --ci >"$T_DIR/demo.out" 2>&1 </dev/null || rc=$?
check "$rc" 0 "demo exit status"
for want in "== 7. The dead letter on demo.alerts.dlq ==" '"reason": "unknown_employee"' \
	'"schema": "prompt.v1"' "sb-ingest stopped (exit status 0)"; do
	check "$(grep -cF -- "$want" "$T_DIR/demo.out" | awk '{print ($1 > 0)}')" 1 "demo shows: $want"
done
# the demo's sb-ingest is the one whose environment has the demo's prefix
left=0
for pid in $(pgrep -x sb-ingest || true); do
	tr '\0' '\n' <"/proc/$pid/environ" 2>/dev/null | grep -qx 'SECURITYBOT_TOPIC_PREFIX=demo.' && left=$((left + 1))
done
check "$left" 0 "no demo sb-ingest left running"
((T_FAILED == 0)) || tail -30 "$T_DIR/demo.out" >&2
finish
