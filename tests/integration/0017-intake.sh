#!/usr/bin/env bash
# sb-gateway's alert intake (POST /v1/alerts): single, array and NDJSON
# bodies become rows (through sb-ingest) and messages on <prefix>alerts;
# every refusal (400, 401, 403, 404, 413, 415, 422, 429) publishes nothing;
# a retried request doubles nothing; SIGHUP reloads the tokens file;
# `sbctl intake-token create` prints a token and its file line.
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
source "$(dirname "${BASH_SOURCE[0]}")/lib/gateway.sh"
source "$(dirname "${BASH_SOURCE[0]}")/lib/intake.sh"
setup_env

printf '%s\n' "intake-test-signing-secret" >"$T_DIR/signing-secret"
export SLACK_SIGNING_SECRET_FILE=$T_DIR/signing-secret
TOKENS=$T_DIR/intake-tokens

# --- sbctl intake-token create: the token once, then the file's line ---
"$SB_BIN_DIR/sbctl" intake-token create okta >"$T_DIR/okta.out" 2>"$T_DIR/okta.err"
OKTA=$(sed -n 1p "$T_DIR/okta.out")
check "$(wc -l <"$T_DIR/okta.out")" 2 "sbctl intake-token create prints two lines on stdout"
check "$(grep -cE '^sbi_[A-Za-z0-9_-]{43}$' <<<"$OKTA")" 1 "the token is sbi_ and 43 base64url characters"
check "$(sed -n 2p "$T_DIR/okta.out")" "okta $(printf '%s' "$OKTA" | sha256sum | cut -c1-64)" \
	"the file line is SOURCE and the token's SHA-256"
"$SB_BIN_DIR/sbctl" intake-token create siem >"$T_DIR/siem.out" 2>/dev/null
SIEM=$(sed -n 1p "$T_DIR/siem.out")
check "$([[ $OKTA != "$SIEM" ]] && echo different)" different "two tokens differ"
rc=0; "$SB_BIN_DIR/sbctl" intake-token create 'two words' >/dev/null 2>&1 || rc=$?
check "$rc" 2 "a source with a blank is a usage error"

{ echo "# senders of alerts"; echo; sed -n 2p "$T_DIR/okta.out"; } >"$TOKENS"
chmod 644 "$TOKENS"
rc=0; SECURITYBOT_INTAKE_TOKENS_FILE=$TOKENS SECURITYBOT_HTTP_LISTEN=127.0.0.1:0 \
	"$SB_BIN_DIR/sb-gateway" 2>"$T_DIR/perm.log" || rc=$?
check "$rc:$(grep -c 'accessible by group or others' "$T_DIR/perm.log")" "2:1" "a readable tokens file exits 2"
chmod 600 "$TOKENS"

start_ingest
sb_wait_assigned "$T_DIR/ingest.0.log" 60 "$INGEST_PID" || exit 1
start_gateway "$T_DIR/gateway.log" SECURITYBOT_INTAKE_TOKENS_FILE="$TOKENS"
log "sb-gateway on port $GW_PORT"

alert() { # alert SOURCE RULE USER [EXTRA]
	printf '{"source":"%s","rule":"%s","title":"Login from a new country","user":"%s","occurred_at":"2026-11-29T12:00:00Z"%s}' \
		"$1" "$2" "$3" "${4:-}"
}
on_topic() { topic_dump alerts | wc -l; }

# --- accepted: one object, an array, NDJSON ---
alert okta r-single jdoe >"$T_DIR/single.json"
check "$(post "$OKTA" application/json "$T_DIR/single.json")" 202 "one object"
check "$(field 'd["accepted"]')" 1 "accepted of one object"
ids=$(field 'd["ids"][0]')
printf '[%s,\n %s]' "$(alert okta r-array jdoe)" "$(alert okta r-array alice ',"severity":"high"')" >"$T_DIR/array.json"
check "$(post "$OKTA" 'application/json; charset=utf-8' "$T_DIR/array.json")" 202 "an array of two"
check "$(field 'd["accepted"]'):$(field 'len(d["ids"])')" 2:2 "accepted and ids of the array"
ids="$ids $(field '" ".join(d["ids"])')"
printf '%s\n%s\r\n\n%s\n' "$(alert okta r-nd1 jdoe)" "$(alert okta r-nd2 bob)" "$(alert okta r-nd3 carol ',"id":"det-1"')" >"$T_DIR/lines.ndjson"
check "$(post "$OKTA" application/x-ndjson "$T_DIR/lines.ndjson")" 202 "three NDJSON lines"
check "$(field 'd["accepted"]')" 3 "accepted of the NDJSON body"
ids="$ids $(field '" ".join(d["ids"])')"
wait_for "SELECT count(*) FROM alerts" 6 60 || true
check "$(sql 'SELECT count(*) FROM alerts')" 6 "rows after 6 accepted alerts"
check "$(sql 'SELECT id FROM alerts ORDER BY id' | tr '\n' ' ')" "$(tr ' ' '\n' <<<"$ids" | sort | tr '\n' ' ')" \
	"the answered ids are the rows' ids (sb-ingest's alert id)"
check "$(on_topic)" 6 "messages on the alerts topic"
check "$(topic_dump alerts | cut -f1 | sort | tr '\n' ' ')" "alice bob carol jdoe jdoe jdoe " "keyed by user"
check "$(topic_dump alerts | grep -c '"rule":"r-nd2"')" 1 "the alert as sent reaches the topic"

# --- a retried request doubles nothing ---
check "$(post "$OKTA" application/json "$T_DIR/single.json")" 202 "the same request again"
check "$(field 'd["ids"][0]')" "${ids%% *}" "the retry has the same id"
wait_ingested 7 60 || true
check "$(sql 'SELECT count(*) FROM alerts')" 6 "rows after the retry (one row each)"

# --- refused: nothing published ---
before=$(on_topic)
check "$(post "" application/json "$T_DIR/single.json")" 401 "no Authorization"
check "$(grep -ci '^WWW-Authenticate: Bearer' "$T_DIR/headers")" 1 "401 names the Bearer scheme"
check "$(post "sbi_not-a-real-token" application/json "$T_DIR/single.json")" 401 "unknown token"
check "$(post "" application/json "$T_DIR/single.json" -H "Authorization: Basic b2t0YTp4")" 401 "not a bearer token"
check "$(post "$OKTA" application/json "$T_DIR/single.json" -H "Authorization: Bearer $OKTA")" 400 "Authorization twice"
check "$(curl -s -o /dev/null -w '%{http_code}' -H 'Content-Type: application/json' --data-binary "@$T_DIR/single.json" \
	"http://127.0.0.1:$GW_PORT/v1/alerts?access_token=$OKTA")" 400 "a token in the query string"
check "$(QUERY="?token=$OKTA" post "$OKTA" application/json "$T_DIR/single.json")" 400 "token= in the query string, with a header too"
alert siem r-other jdoe >"$T_DIR/other.json"
check "$(post "$OKTA" application/json "$T_DIR/other.json")" 403 "an alert of another source"
printf '[%s,%s]' "$(alert okta r-mixed jdoe)" "$(alert siem r-mixed jdoe)" >"$T_DIR/mixed.json"
check "$(post "$OKTA" application/json "$T_DIR/mixed.json")" 403 "an array with one alert of another source"
check "$(post "$OKTA" text/plain "$T_DIR/single.json")" 415 "text/plain"
check "$(post "$OKTA" application/xml "$T_DIR/single.json")" 415 "application/xml"
head -c $((1024 * 1024 + 1)) /dev/zero | tr '\0' ' ' >"$T_DIR/big.json"
check "$(post "$OKTA" application/json "$T_DIR/big.json")" 413 "1 MiB + 1 byte"
python3 -c 'import sys
a = sys.argv[1]
print("[" + ",".join([a] * 1001) + "]")' "$(alert okta r-many jdoe)" >"$T_DIR/many.json"
check "$(post "$OKTA" application/json "$T_DIR/many.json")" 413 "1,001 alerts"
printf '[%s,{"source":"okta","rule":"r-bad"},%s]' "$(alert okta r-good jdoe)" "$(alert okta r-good2 jdoe ',"severity":"urgent"')" >"$T_DIR/invalid.json"
check "$(post "$OKTA" application/json "$T_DIR/invalid.json")" 422 "two invalid alerts among three"
check "$(field '[(e["index"], e["reason"]) for e in d["errors"]]')" "[(1, 'missing_field'), (2, 'invalid_value')]" "422 lists index and reason"
check "$(post "$OKTA" application/json <(printf '[1,'))" 400 "an array that is not closed"
check "$(post "$OKTA" application/json <(printf '[]'))" 400 "an empty array"
check "$(on_topic)" "$before" "messages after the refusals (none published)"

# --- SIGHUP: a token added works, a token removed stops, a bad file changes nothing ---
check "$(post "$SIEM" application/json "$T_DIR/other.json")" 401 "siem's token before it is added"
sed -n 2p "$T_DIR/siem.out" >>"$TOKENS"
kill -HUP "$GW_PID"
sb_wait_log "$T_DIR/gateway.log" 'intake tokens reloaded, 2 token' 10 "$GW_PID" >/dev/null || true
check "$(post "$SIEM" application/json "$T_DIR/other.json")" 202 "siem's token after SIGHUP"
chmod 644 "$TOKENS"
kill -HUP "$GW_PID"
sb_wait_log "$T_DIR/gateway.log" 'the tokens loaded before stay' 10 "$GW_PID" >/dev/null || true
check "$(grep -c '"level":"error".*accessible by group or others' "$T_DIR/gateway.log")" 1 "a bad file on SIGHUP is logged"
check "$(post "$OKTA" application/json "$T_DIR/single.json")" 202 "okta's token still works after a failed reload"
sed -i '/^okta /d' "$TOKENS"
chmod 600 "$TOKENS"
kill -HUP "$GW_PID"
sb_wait_log "$T_DIR/gateway.log" 'intake tokens reloaded, 1 token' 10 "$GW_PID" >/dev/null || true
check "$(post "$OKTA" application/json "$T_DIR/single.json")" 401 "okta's token after it was removed"
check "$(post "$SIEM" application/json "$T_DIR/other.json")" 202 "siem's token still works"
check "$(kill -0 "$GW_PID" 2>/dev/null && echo alive)" alive "sb-gateway survives SIGHUP"
stop_worker "$GW_PID"

# --- the rate limit: 429 with Retry-After, counting alerts ---
start_gateway "$T_DIR/gateway-rate.log" SECURITYBOT_INTAKE_TOKENS_FILE="$TOKENS" SECURITYBOT_INTAKE_RATE=3
printf '[%s,%s,%s]' "$(alert siem r-rate1 jdoe)" "$(alert siem r-rate2 jdoe)" "$(alert siem r-rate3 jdoe)" >"$T_DIR/three.json"
check "$(post "$SIEM" application/json "$T_DIR/three.json")" 202 "three alerts at a rate of 3/s"
# the first request may wait for Kafka a while (a new topic's metadata):
# three more need a whole second's refill, whatever that wait was
check "$(post "$SIEM" application/json "$T_DIR/three.json")" 429 "three more at once"
check "$(grep -i '^Retry-After:' "$T_DIR/headers" | tr -dc '0-9')" 1 "Retry-After in seconds"
sleep 1.2
check "$(post "$SIEM" application/json "$T_DIR/other.json")" 202 "after Retry-After"
stop_worker "$GW_PID"

# --- without the file the intake is off ---
start_gateway "$T_DIR/gateway-off.log"
check "$(post "$SIEM" application/json "$T_DIR/other.json")" 404 "POST /v1/alerts without SECURITYBOT_INTAKE_TOKENS_FILE"
stop_worker "$GW_PID"

wait_for "SELECT count(*) FROM alerts" 10 60 || true
check "$(sql 'SELECT count(*) FROM alerts')" 10 "rows at the end (6 + siem's one + 3 at the rate limit; retries doubled none)"
check "$(cat "$T_DIR"/gateway*.log | grep -cF -e "$OKTA" -e "$SIEM" -e "$(printf '%s' "$OKTA" | sha256sum | cut -c1-64)" || true)" 0 \
	"log lines holding a token or its hash"
finish
