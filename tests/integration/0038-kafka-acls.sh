#!/usr/bin/env bash
# Least privilege on Kafka, with the real broker's authorizer: a private TLS
# stack (SB_STACK_TLS=1, its own directory and ports, like 0016-tls) with
# Kafka's StandardAuthorizer, allow.everyone.if.no.acl.found=false and one
# SASL principal per worker, for sbctl and for detectors. Each refusal the
# security review asked for is the broker's TOPIC_AUTHORIZATION_FAILED (or
# GROUP_AUTHORIZATION_FAILED), seen by the client and logged as "Denied" by
# the broker's authorizer: sb-gateway cannot write outcomes or
# escalation-requests, nobody but sb-gateway writes responses (sb-prompt
# included, and sbctl respond), nobody but sb-ingest reads alerts, a
# detector reads nothing. And every worker still works as its own
# principal: an alert written by the detector principal goes through
# sb-ingest and sb-prompt, the employee's "No" click through sb-gateway and
# sb-response, and the escalation through sb-escalation.
. "$(dirname "$0")/lib/common.sh"
. "$(dirname "$0")/lib/fake_slack.sh"

. "$(dirname "$0")/lib/tls_stack.sh"
P=securitybot.
TOPICS=(alerts alerts.dlq prompts responses escalation-requests escalations outcomes resolutions)
PRINCIPALS=(sb-ingest sb-prompt sb-response sb-escalation sb-gateway sb-console sbctl detector)
TLS_STACK_ENV=(SECURITYBOT_TOPIC_PREFIX="$P")

# ---- the private TLS stack, with the authorizer and the principals ----
t0=$SECONDS
tls_stack_up 29392 27732
BROKER_LOG=$SVAR/kafka/logs/server.log
check "$(grep -c '^authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer$' "$SVAR/kafka/server.properties"):$(grep -c '^allow.everyone.if.no.acl.found=false$' "$SVAR/kafka/server.properties")" \
	"1:1" "the broker runs KRaft's StandardAuthorizer, no ACL means no access"
modes=$(for p in "${PRINCIPALS[@]}"; do stat -c %a "$TLS/kafka-password-$p" "$TLS/kcat-$p.conf"; done | sort -u | tr '\n' ' ')
check "$modes" "600 " "each principal's password and kcat file are 0600"
check "$(for p in "${PRINCIPALS[@]}"; do grep -c "^export SECURITYBOT_KAFKA_SASL_USERNAME=$p$" "$TLS/env-$p"; done | sort -u)" 1 \
	"an env-<worker> file per principal, naming it"
check "$(cat "$TLS"/env-* | grep -c -F -f <(cat "$TLS"/kafka-password*) || true)" 0 "no password in the env files"
n_acls=$(SECURITYBOT_TOPIC_PREFIX=$P sh "$SB_SOURCE_DIR/deploy/kafka/acls.sh" table | grep -c .)
check "$(grep -o 'ACLs: [0-9]* wanted, [0-9]* created, [0-9]* deleted' "$T_DIR/stack.err")" \
	"ACLs: $n_acls wanted, $n_acls created, 0 deleted" "the stack created every ACL of deploy/kafka/acls.sh"

# ---- sbctl as its own principal: the topics (Create on each), the schema ----
as() { # as PRINCIPAL CMD...: CMD with <VAR>/tls/env-PRINCIPAL
	# shellcheck disable=SC2016 # expanded by that bash
	bash -c '. "$0"; exec "$@"' "$TLS/env-$1" "${@:2}"
}
# the test's own psql (sql, wait_for) uses the stack's TLS database
# shellcheck disable=SC1091 # written by the stack at run time
. "$TLS/env-sbctl"
rc=0
as sbctl "$SB_BIN_DIR/sbctl" topics >"$T_DIR/topics.out" 2>"$T_DIR/topics.err" || rc=$?
check "$rc:$(grep -c . "$T_DIR/topics.out")" "0:${#TOPICS[@]}" "sbctl topics as principal sbctl (Create on each topic, no super user)"
as sbctl "$SB_BIN_DIR/sbctl" migrate >/dev/null 2>"$T_DIR/migrate.err"
printf '%s\n' username,email,chat_user_id,aliases alice,alice@example.com,U001, >"$T_DIR/people.csv"
as sbctl "$SB_BIN_DIR/sbctl" employees import "$T_DIR/people.csv" >/dev/null 2>"$T_DIR/import.err"
check "$(sql "SELECT count(*) FROM employees")" 1 "employees imported"

# ---- refusals: the broker's TOPIC_AUTHORIZATION_FAILED ----
# produce PRINCIPAL TOPIC: kcat as PRINCIPAL writes one message; prints
# "ok", or the broker's refusal (librdkafka's text for the error code:
# TOPIC_AUTHORIZATION_FAILED is "Broker: Topic authorization failed")
produce() {
	local out
	if out=$(echo '{"probe": true}' | kcat -F "$TLS/kcat-$1.conf" -P -t "$P$2" 2>&1); then
		echo ok
	else
		grep -o 'Broker: [A-Za-z ]*authorization failed' <<<"$out" | head -n1 || echo "failed: $out"
	fi
}
# consume PRINCIPAL TOPIC: kcat as PRINCIPAL reads TOPIC from the start
# (no group: Fetch needs Read on the topic); "ok" or the refusal
consume() {
	local out
	out=$(timeout 30 kcat -F "$TLS/kcat-$1.conf" -C -t "$P$2" -o beginning -e -q 2>&1) &&
		! grep -q ERROR <<<"$out" && { echo ok; return; }
	grep -o 'Broker: [A-Za-z ]*authorization failed' <<<"$out" | head -n1 || echo "failed: $out"
}
# denied PRINCIPAL OPERATION TOPIC: the broker's authorizer logged the refusal
denied() {
	grep -c "Principal = User:$1 is Denied operation = $2 .* on resource = Topic:LITERAL:$P$3 " "$BROKER_LOG" |
		sed 's/^[1-9][0-9]*$/logged/'
}
REFUSED="Broker: Topic authorization failed"

check "$(produce sb-gateway outcomes)" "$REFUSED" "sb-gateway cannot produce to outcomes"
check "$(produce sb-gateway escalation-requests)" "$REFUSED" "sb-gateway cannot produce to escalation-requests"
check "$(denied sb-gateway DESCRIBE outcomes)" logged "the broker's authorizer denied sb-gateway on outcomes"
check "$(produce sb-prompt responses)" "$REFUSED" "sb-prompt cannot produce to responses"
check "$(denied sb-prompt DESCRIBE responses)" logged "the broker's authorizer denied sb-prompt on responses"
for p in "${PRINCIPALS[@]}"; do
	[[ $p == sb-gateway ]] && continue
	check "$(produce "$p" responses)" "$REFUSED" "$p cannot produce to responses (only sb-gateway may)"
done
for p in "${PRINCIPALS[@]}"; do
	[[ $p == sb-ingest ]] && continue
	check "$(consume "$p" alerts)" "$REFUSED" "$p cannot read alerts (only sb-ingest may)"
done
for t in "${TOPICS[@]}"; do
	check "$(consume detector "$t")" "$REFUSED" "detector cannot read $t"
done
check "$(denied detector READ alerts)" logged "the broker's authorizer denied detector's read of alerts"
out=$(timeout 30 kcat -F "$TLS/kcat-detector.conf" -C -G "securitybot-ingest" "${P}alerts" -e -q 2>&1 || true)
check "$(grep -o 'Group authorization failed' <<<"$out" | head -n1)" "Group authorization failed" \
	"detector cannot join sb-ingest's consumer group (GROUP_AUTHORIZATION_FAILED)"
check "$(produce sb-gateway alerts):$(produce sb-gateway alerts.dlq)" "ok:ok" "sb-gateway may write alerts and alerts.dlq (the HTTP intake)"

# ---- every worker works as its own principal ----
start_fake_slack
fake_post config '{"users": {"alice@example.com": "U001"}, "channels": ["C0SECURITY"]}'
SECRET="kafka-acls-test-signing-secret-01"
printf '%s\n' "$SECRET" >"$T_DIR/signing-secret"
export SLACK_API_URL=$FAKE_URL SLACK_BOT_TOKEN=$FAKE_TOKEN SLACK_SIGNING_SECRET_FILE=$T_DIR/signing-secret
export SECURITYBOT_SECURITY_CHANNEL=C0SECURITY SECURITYBOT_DIGEST_EVERY=0 SECURITYBOT_REQUIRE_2FA=false
start_as() { # start_as PRINCIPAL WORKER [ENV=VALUE...]: sets PID, LOGF
	LOGF=$T_DIR/$2.log
	# bash execs env, env execs the worker: PID is the worker's
	# shellcheck disable=SC2016 # expanded by that bash
	sb_spawn "$LOGF" bash -c '. "$0"; exec "$@"' "$TLS/env-$1" env "${@:3}" "$SB_BIN_DIR/$2"
	PID=$SB_PID
}
for w in ingest prompt response escalation; do
	start_as "sb-$w" "sb-$w"
	sb_wait_assigned "$LOGF" 60 "$PID" || { tail -n 5 "$LOGF" >&2; }
	check "$(grep -c 'kafka: partitions assigned' "$LOGF" | sed 's/^[1-9][0-9]*$/some/')" some \
		"sb-$w joins its group and gets its partitions as principal sb-$w"
done
start_as sb-gateway sb-gateway SECURITYBOT_HTTP_LISTEN=127.0.0.1:0
GW_PID=$PID
GW_PORT=$(sb_gateway_port "$LOGF" 15 "$GW_PID") || { cat "$LOGF" >&2; finish; }
sb_wait_http "http://127.0.0.1:$GW_PORT/readyz" 30 "$GW_PID" || true
check "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$GW_PORT/readyz")" 200 \
	"sb-gateway ready as principal sb-gateway (the broker describes responses to it)"

# an alert written by the detector principal, as a detection system would
printf '{"source": "acl-test", "rule": "acl-flow", "title": "Written by the detector principal", "user": "alice", "severity": "high", "occurred_at": "%s"}\n' \
	"$(date -u +%Y-%m-%dT%H:%M:%SZ)" |
	kcat -F "$TLS/kcat-detector.conf" -P -t "${P}alerts" 2>"$T_DIR/detector.err"
wait_for "SELECT count(*) FROM alerts WHERE rule = 'acl-flow' AND chat_ts IS NOT NULL" 1 60
id=$(sql "SELECT id FROM alerts WHERE rule = 'acl-flow'")
check "$(sql "SELECT status FROM alerts WHERE id = '$id'")" prompted \
	"the detector's alert recorded by sb-ingest and prompted by sb-prompt, each as its principal"
check "$(fake_ok_calls chat.postMessage)" 1 "alice got her prompt"
rc=0
as sbctl "$SB_BIN_DIR/sbctl" respond U001 yes "$id" >/dev/null 2>"$T_DIR/respond.err" || rc=$?
check "$rc:$(grep -c 'Topic authorization failed' "$T_DIR/respond.err")" "3:1" \
	"sbctl respond as principal sbctl: refused by the broker (responses is sb-gateway's)"
# her "No" click: sb-gateway writes responses, sb-response denies, sb-escalation escalates
status=$(SLACK_SIGNING_SECRET=$SECRET python3 "$SB_SOURCE_DIR/tests/integration/lib/slack_request.py" "$GW_PORT" \
	--payload "$(printf '{"type":"block_actions","user":{"id":"U001","username":"alice"},"actions":[{"action_id":"sb_deny","block_id":"b1","value":"%s","type":"button","text":{"type":"plain_text","text":"No"},"action_ts":"1800000000.000001"}]}' "$id")" |
	cut -f1)
check "$status" 200 "sb-gateway took the click"
wait_for "SELECT status FROM alerts WHERE id = '$id'" escalated 60
check "$(sql "SELECT status || ' ' || coalesce(outcome, '-') FROM alerts WHERE id = '$id'")" "escalated denied" \
	"the click went through sb-gateway, sb-response and sb-escalation, each as its principal"

# ---- a second `up`: the ACLs are kept, nothing is redone ----
SB_STACK_TLS=1 tls_stack up >"$T_DIR/stack2.out" 2>"$T_DIR/stack2.err"
check "$(grep -c 'Kafka already running' "$T_DIR/stack2.err"):$(grep -c 'ACLs:' "$T_DIR/stack2.err" || true)" "1:0" \
	"a second up leaves the broker and its ACLs as they are"
check "$(produce sb-gateway outcomes):$(produce detector alerts)" "$REFUSED:ok" "still refused, still allowed after the second up"
# without the stamp, `up` applies the table again: nothing to add or delete
rm -f "$TLS/principals.stamp"
tls_stack up >"$T_DIR/stack3.out" 2>"$T_DIR/stack3.err"
check "$(grep -o 'ACLs: [0-9]* wanted, [0-9]* created, [0-9]* deleted' "$T_DIR/stack3.err")" \
	"ACLs: $n_acls wanted, 0 created, 0 deleted" "applying the ACLs again changes nothing (idempotent)"

log "done in $((SECONDS - t0))s"
finish
