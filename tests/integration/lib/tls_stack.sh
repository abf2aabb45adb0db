# shellcheck shell=bash
# tls_stack.sh: a private TLS stack (SB_STACK_TLS=1) of a test's own: its
# directory under $T_DIR, its own free ports, brought up and torn down.
# Sourced after common.sh. The test sets before tls_stack_up:
#   TLS_STACK_ENV   extra VAR=value words for every `tls_stack` call (optional)
#   TLS_STACK_PIDS  the pids (besides T_PIDS) the teardown kills (optional)
# and gets SVAR and TLS (the stack's directory and its tls/), KP (its
# PLAINTEXT port; the controller is KP+1, SASL_SSL KP+2) and PGP0.

STACK=$SB_SOURCE_DIR/deploy/local/stack
SVAR=$T_DIR/stack
# shellcheck disable=SC2034 # read by the tests that source this
TLS=$SVAR/tls
TLS_STACK_ENV=()
TLS_STACK_PIDS=()

tls_port_free() {
	[[ -z $(ss -Hltn "sport = :$1" 2>/dev/null) ]] && ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# First port from $1 (step 10) with $2 free ports in a row.
tls_pick_ports() {
	local p i ok
	for ((p = $1; p < $1 + 1000; p += 10)); do
		ok=1
		for ((i = 0; i < $2; i++)); do tls_port_free $((p + i)) || { ok=0; break; }; done
		((ok)) && { echo "$p"; return 0; }
	done
	return 1
}

# deploy/local/stack on the private stack only (never the shared one).
tls_stack() {
	env SB_STACK_VAR="$SVAR" SB_KAFKA_PORT="$KP" SB_PG_PORT="$PGP0" "${TLS_STACK_ENV[@]}" \
		SECURITYBOT_KAFKA_BROKERS='' SECURITYBOT_DATABASE_URL='' "$STACK" "$@"
}

# The EXIT trap: kills what the test started, removes the stack after a
# pass (keeps it, stopped, after a failure or with SB_KEEP), then cleanup.
tls_teardown() {
	local rc=$?
	set +e
	for pid in "${T_PIDS[@]}" "${TLS_STACK_PIDS[@]}"; do kill -9 "$pid" 2>/dev/null; done
	if [[ -d $SVAR ]]; then
		if ((rc == 0)) && [[ -z ${SB_KEEP:-} ]]; then tls_stack reset; else tls_stack down; fi >>"$T_DIR/stack-down.log" 2>&1
	fi
	(exit "$rc")
	cleanup
}

# tls_stack_up KAFKA_FROM PG_FROM: picks the ports, sets the trap, starts
# the stack (stdout in $T_DIR/stack.out, stderr in $T_DIR/stack.err); a
# failure fails the test with the stack's last words.
tls_stack_up() {
	local rc=0 t0=$SECONDS
	KP=$(tls_pick_ports "$1" 3) # PLAINTEXT, controller, SASL_SSL
	PGP0=$(tls_pick_ports "$2" 1) # the stack takes the first free one from here
	trap tls_teardown EXIT
	SB_STACK_TLS=1 tls_stack up >"$T_DIR/stack.out" 2>"$T_DIR/stack.err" || rc=$?
	if ((rc != 0)); then
		tail -n 30 "$T_DIR/stack.err" >&2
		check "$rc" 0 "SB_STACK_TLS=1 stack up"
		finish
	fi
	log "private TLS stack up in $((SECONDS - t0))s (Kafka $KP/$((KP + 2)), $SVAR)"
}
