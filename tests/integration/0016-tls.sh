#!/usr/bin/env bash
# TLS end to end, on a private stack of its own (SB_STACK_TLS=1, own directory
# under $T_DIR and own ports; the shared stack is not used): sbctl and
# sb-ingest configured exactly as deploy/tls/securitybot-tls.env.example says
# (Kafka SASL_SSL with the CA, PostgreSQL sslmode=verify-full; sb-ingest as its
# own Kafka principal, sbctl as its own), with the
# stack's hosts and paths put in for the example ones. An alert published over
# SASL_SSL is recorded over verify-full; the connections are TLS (pg_stat_ssl,
# sb-ingest's sockets); a PLAINTEXT client, a wrong CA, a wrong password, a
# host name the certificate does not name and a connection without TLS are
# refused with errors that name the problem and never the password.
. "$(dirname "$0")/lib/common.sh"

. "$(dirname "$0")/lib/tls_stack.sh"
EXAMPLE=$SB_SOURCE_DIR/deploy/tls/securitybot-tls.env.example
CASE_PIDS=()
SP=$(tls_pick_ports 28192 1) # openssl s_server for the host name check

# ---- the private TLS stack ----
t0=$SECONDS
tls_stack_up 29192 27532
check "$(grep -vc '^export ' "$T_DIR/stack.out"):$(grep -c '^export ' "$T_DIR/stack.out")" "0:2" "stdout carries only the two export lines"
KP2=$(<"$TLS/kafka-port")
PGPORT=$(<"$SVAR/pg/port")
check "$KP2" "$((KP + 2))" "SASL_SSL port is SB_KAFKA_PORT+2"
check "$(grep -c "TLS: Kafka SASL_SSL on localhost:$KP2 .*CA $TLS/ca.crt" "$T_DIR/stack.err")" 1 "the TLS facts said on stderr"
KPW=$(<"$TLS/kafka-password")
PGPW=$(<"$TLS/pg-password")
check "$(stat -c %a "$TLS") $(stat -c %a "$TLS"/{ca.key,server.key,kafka-keystore.pem,kafka-password,pg-password,pgpass,kcat.conf} | sort -u)" \
	"700 600" "TLS directory 0700, keys and passwords 0600"
pgdata=$(readlink -f "$SVAR/pg")/data
check "$(stat -c '%a %U' "$pgdata/securitybot-tls.key")" "600 $(stat -c %U "$pgdata")" "PostgreSQL's copy of the key: 0600, the cluster's user"
check "$(openssl verify -CAfile "$TLS/ca.crt" "$TLS/server.crt" 2>&1)" "$TLS/server.crt: OK" "server certificate signed by the private CA"
check "$(openssl x509 -in "$TLS/server.crt" -noout -subject -ext subjectAltName 2>/dev/null | tr -d ' \n')" \
	"subject=CN=localhostX509v3SubjectAlternativeName:DNS:localhost,IPAddress:127.0.0.1" "CN and SANs"
check "$(kcat -L -b "127.0.0.1:$KP" -m 5 >/dev/null 2>&1 && echo up)" up "the PLAINTEXT listener is still there"

# ---- the workers' settings: the example file, with this stack's hosts and paths ----
declare -A TO=(
	["kafka-1.example.internal:9094,kafka-2.example.internal:9094,kafka-3.example.internal:9094"]="localhost:$KP2"
	["securitybot@db.example.internal:5432/securitybot?"]="securitybot_tls@localhost:$PGPORT/securitybot_tls?"
	["/etc/securitybot/tls/kafka-ca.crt"]="$TLS/ca.crt"
	["/etc/securitybot/tls/db-ca.crt"]="$TLS/ca.crt"
	["/run/secrets/kafka-password"]="$TLS/kafka-password-sb-ingest"
	["/run/secrets/pgpass"]="$TLS/pgpass"
)
n=0 unknown=0
while IFS= read -r line; do
	[[ $line =~ ^([A-Z][A-Z0-9_]*)=(.*)$ ]] || continue
	name=${BASH_REMATCH[1]} value=${BASH_REMATCH[2]}
	for k in "${!TO[@]}"; do value=${value//"$k"/"${TO[$k]}"}; done
	if [[ $value == *example.internal* || $value == */etc/securitybot/* || $value == */run/secrets/* ]]; then
		log "the example's $name names something this test does not map: $value"
		unknown=$((unknown + 1))
	fi
	export "$name=$value"
	n=$((n + 1))
done <"$EXAMPLE"
check "$unknown" 0 "every host and path of the example mapped"
check "$SECURITYBOT_KAFKA_SECURITY_PROTOCOL $SECURITYBOT_KAFKA_SSL_CA_LOCATION $SECURITYBOT_KAFKA_SASL_USERNAME" \
	"SASL_SSL $TLS/ca.crt sb-ingest" "Kafka settings from the example (sb-ingest's principal)"
check "$([[ $SECURITYBOT_DATABASE_URL == *sslmode=verify-full*"sslrootcert=$TLS/ca.crt"* ]] && echo yes)" yes "database URL from the example (verify-full)"
log "$n settings from ${EXAMPLE#"$SB_SOURCE_DIR"/}"
# sbctl as its own Kafka principal (the example's lines are sb-ingest's;
# the stack's authorizer gives each principal only its ACLs, 0038-kafka-acls)
AS_SBCTL=(SECURITYBOT_KAFKA_SASL_USERNAME=sbctl SECURITYBOT_KAFKA_SASL_PASSWORD_FILE="$TLS/kafka-password-sbctl")
ctl() { env "${AS_SBCTL[@]}" "$SB_BIN_DIR/sbctl" "$@"; }

# ---- an alert over SASL_SSL, recorded over verify-full ----
check "$(ctl migrate 2>"$T_DIR/migrate.err" | tail -n1)" "$(find "$SB_SOURCE_DIR/schemas/sql" -name "*.sql" | wc -l) migration(s) applied; schema is up to date" "sbctl migrate over verify-full"
rc=0
ctl topics >/dev/null 2>"$T_DIR/topics.err" || rc=$?
check "$rc" 0 "sbctl topics over SASL_SSL"
check "$(ctl employees import "$SB_SOURCE_DIR/deploy/demo/employees.csv" 2>"$T_DIR/import.err" | grep -c '^imported ')" 1 "sbctl employees import"
start_ingest
id=$(ctl alert send --user alice --rule tls-check --title "sent over SASL_SSL" --severity high 2>"$T_DIR/send.err")
check "${#id}" 64 "sbctl alert send over SASL_SSL prints the alert id"
wait_for "SELECT status FROM alerts WHERE id = '$id'" queued 60
check "$(sql "SELECT e.username || ' ' || a.status FROM alerts a JOIN employees e ON e.id = a.employee_id WHERE a.id = '$id'")" \
	"alice queued" "the alert recorded by sb-ingest"

# ---- the connections really are TLS ----
su_sql() { psql -X -At "host=127.0.0.1 port=$PGPORT user=postgres dbname=postgres sslmode=disable" -c "$1"; }
# (start_ingest runs it as its own role, sb_ingest: the example's URL with the
# user swapped; the stack lets the workers' roles in from loopback)
check "$(su_sql "SELECT count(*) > 0 AND bool_and(s.ssl) AND bool_and(a.usename = 'sb_ingest')
                 FROM pg_stat_activity a JOIN pg_stat_ssl s USING (pid) WHERE a.application_name = 'sb-ingest'")" \
	t "pg_stat_ssl: every sb-ingest backend uses TLS"
check "$(su_sql "SELECT min(s.version) FROM pg_stat_activity a JOIN pg_stat_ssl s USING (pid) WHERE a.application_name = 'sb-ingest'")" \
	TLSv1.3 "TLS version of sb-ingest's database connections"
socks() { ss -Htnp state established "( dport = :$1 )" 2>/dev/null | grep -c "pid=$INGEST_PID," || true; }
tls_socks=$(socks "$KP2")
check "$((tls_socks > 0)):$(socks "$KP")" "1:0" "sb-ingest talks to the SASL_SSL port only, never the PLAINTEXT one"

# ---- what must be refused: Kafka (in parallel: each waits for sbctl's 15 s timeout) ----
openssl req -x509 -new -newkey rsa:2048 -nodes -days 2 -subj "/CN=securitybot local stack CA" \
	-keyout "$T_DIR/other-ca.key" -out "$T_DIR/other-ca.crt" >/dev/null 2>&1 # same name, other key
echo "not-the-password" >"$T_DIR/wrong-password"
# A TLS server whose certificate (from the right CA) names localhost only.
printf 'subjectAltName=DNS:localhost\n' >"$T_DIR/lo.ext"
openssl req -new -newkey rsa:2048 -nodes -subj /CN=localhost -keyout "$T_DIR/lo.key" -out "$T_DIR/lo.csr" >/dev/null 2>&1
openssl x509 -req -in "$T_DIR/lo.csr" -CA "$TLS/ca.crt" -CAkey "$TLS/ca.key" -CAserial "$T_DIR/lo.srl" -CAcreateserial \
	-extfile "$T_DIR/lo.ext" -days 2 -out "$T_DIR/lo.crt" >/dev/null 2>&1
openssl s_server -quiet -accept "$SP" -cert "$T_DIR/lo.crt" -key "$T_DIR/lo.key" </dev/null >/dev/null 2>"$T_DIR/s_server.err" &
SSERVER_PID=$!
TLS_STACK_PIDS+=("$SSERVER_PID")
# the wrong-host case must meet a listening TLS server: connecting before it
# listens fails "Connection refused", not on the certificate's name
sb_wait_port "$SP" 15 "$SSERVER_PID" || {
	cat "$T_DIR/s_server.err" >&2
	check "not listening" listening "openssl s_server on port $SP"
	finish
}

kcase() { # kcase NAME ENV... : sbctl topics in the background, stderr and rc in $T_DIR/k.NAME.*
	local name=$1
	shift
	(
		rc=0
		export "${AS_SBCTL[@]}" # then the case's changes (env's -u must come first)
		env "$@" "$SB_BIN_DIR/sbctl" topics >/dev/null 2>"$T_DIR/k.$name.err" || rc=$?
		echo "$rc" >"$T_DIR/k.$name.rc"
	) &
	CASE_PIDS+=($!)
	TLS_STACK_PIDS+=($!)
}
kcase wrong-ca SECURITYBOT_KAFKA_SSL_CA_LOCATION="$T_DIR/other-ca.crt"
kcase wrong-password SECURITYBOT_KAFKA_SASL_PASSWORD_FILE="$T_DIR/wrong-password"
kcase plaintext -u SECURITYBOT_KAFKA_SECURITY_PROTOCOL -u SECURITYBOT_KAFKA_SASL_MECHANISMS \
	-u SECURITYBOT_KAFKA_SASL_USERNAME -u SECURITYBOT_KAFKA_SASL_PASSWORD_FILE -u SECURITYBOT_KAFKA_SSL_CA_LOCATION \
	-u SECURITYBOT_KAFKA_SSL_ENDPOINT_IDENTIFICATION_ALGORITHM
kcase wrong-host SECURITYBOT_KAFKA_BROKERS="127.0.0.1:$SP"
kcase scram SECURITYBOT_KAFKA_SASL_MECHANISMS=SCRAM-SHA-512
# sb-ingest with the wrong CA: it keeps retrying and says why
SECURITYBOT_KAFKA_SSL_CA_LOCATION="$T_DIR/other-ca.crt" SECURITYBOT_INGEST_GROUP=tls-wrong-ca \
	"$SB_BIN_DIR/sb-ingest" 2>"$T_DIR/ingest-wrong-ca.log" &
T_PIDS+=($!)
BAD_INGEST_PID=$!
check "$(kcat -L -b "localhost:$KP2" -m 5 >/dev/null 2>&1 && echo answered || echo refused)" refused \
	"the SASL_SSL port gives a PLAINTEXT client nothing"

# ---- what must be refused: PostgreSQL (at once) ----
ctl_db() { # ctl_db URL: sbctl migrate with that URL; prints its rc and last stderr line
	local rc=0
	SECURITYBOT_DATABASE_URL=$1 "$SB_BIN_DIR/sbctl" migrate >/dev/null 2>"$T_DIR/db.err" || rc=$?
	printf '%s %s\n' "$rc" "$(tail -n1 "$T_DIR/db.err")"
	cat "$T_DIR/db.err" >>"$T_DIR/db-all.err"
}
URL=$SECURITYBOT_DATABASE_URL
check "$(ctl_db "${URL/@localhost:/@127.0.0.1:}")" "0 " "verify-full with host=127.0.0.1 (the certificate's IP SAN; libpq >= 15)"
check "$(ctl_db "host=db.wrong.example hostaddr=127.0.0.1 port=$PGPORT dbname=securitybot_tls user=securitybot_tls sslmode=verify-full sslrootcert=$TLS/ca.crt" |
	grep -c '^3 .*server certificate for "localhost".*does not match host name "db.wrong.example"')" 1 \
	"verify-full refuses a host name the certificate does not name"
check "$(ctl_db "${URL//"$TLS/ca.crt"/"$T_DIR/other-ca.crt"}" | grep -c '^3 .*SSL error: certificate verify failed')" 1 \
	"a wrong CA: sbctl fails and says certificate verify failed"
check "$(ctl_db "${URL/verify-full/disable}" | grep -c '^3 .*pg_hba.conf rejects connection .*securitybot_tls.*no encryption')" 1 \
	"without TLS the TLS role is refused (hostssl only)"
# The other form of the example: the whole URL, password included, in a secret file.
(umask 077 && printf '%s\n' "${URL/securitybot_tls@/securitybot_tls:$PGPW@}" >"$T_DIR/db-url.secret")
rc=0
out=$(env -u SECURITYBOT_DATABASE_URL -u PGPASSFILE SECURITYBOT_DATABASE_URL_FILE="$T_DIR/db-url.secret" \
	"$SB_BIN_DIR/sbctl" migrate 2>>"$T_DIR/db-all.err") || rc=$?
check "$rc $out" "0 0 migration(s) applied; schema is up to date" "SECURITYBOT_DATABASE_URL_FILE (password in the URL) over verify-full"
sed "s#$TLS/ca.crt#$T_DIR/other-ca.crt#" "$T_DIR/db-url.secret" >"$T_DIR/db-url-wrong-ca.secret"
rc=0
env -u SECURITYBOT_DATABASE_URL -u PGPASSFILE SECURITYBOT_DATABASE_URL_FILE="$T_DIR/db-url-wrong-ca.secret" \
	"$SB_BIN_DIR/sbctl" migrate >/dev/null 2>"$T_DIR/db-url-wrong-ca.err" || rc=$?
check "$rc:$(grep -c 'certificate verify failed' "$T_DIR/db-url-wrong-ca.err")" "3:1" "the same with a wrong CA fails clearly"

# ---- the Kafka cases' verdicts ----
sb_wait_log "$T_DIR/ingest-wrong-ca.log" 'certificate verify failed' 15 "$BAD_INGEST_PID" >/dev/null || true # checked just below
check "$(grep -c 'certificate verify failed: broker certificate could not be verified, verify that ssl.ca.location' "$T_DIR/ingest-wrong-ca.log" | sed 's/^[1-9][0-9]*$/some/')" \
	some "sb-ingest with a wrong CA logs why it cannot reach Kafka"
stop_worker "$BAD_INGEST_PID"
wait "${CASE_PIDS[@]}" 2>/dev/null || true
kverdict() { # kverdict NAME PATTERN: "rc matched" for case NAME
	printf '%s %s\n' "$(<"$T_DIR/k.$1.rc")" "$(tail -n1 "$T_DIR/k.$1.err" | grep -c -- "$2")"
}
check "$(kverdict wrong-ca '^sbctl topics: .*last broker error: .*certificate verify failed')" "3 1" \
	"Kafka, a wrong CA: sbctl fails and names the certificate failure"
check "$(kverdict wrong-password '^sbctl topics: .*last broker error: .*SASL authentication error: Authentication failed: Invalid username or password')" "3 1" \
	"Kafka, a wrong password: sbctl fails and says so"
check "$(kverdict plaintext '^sbctl topics: .*last broker error: .*incorrect security.protocol configuration (connecting to a SSL listener?)')" "3 1" \
	"Kafka, PLAINTEXT to the SASL_SSL port: refused, the error points at security.protocol"
check "$(kverdict wrong-host '^sbctl topics: .*last broker error: .*certificate verify failed')" "3 1" \
	"Kafka, a certificate that does not name the host (127.0.0.1 vs localhost only): refused"
rdk=$(pkg-config --modversion rdkafka 2>/dev/null || kcat -V 2>/dev/null | grep -o 'librdkafka [0-9.]*' | cut -d' ' -f2)
if [[ -n $rdk && $(printf '%s\n' 2.6.1 "$rdk" | sort -V | head -n1) != 2.6.1 ]]; then
	check "$(kverdict scram 'invalid credentials with SASL mechanism SCRAM-SHA-512')" "3 1" \
		"SCRAM-SHA-512 with librdkafka $rdk against Kafka 4.x fails (librdkafka#4895, fixed in 2.6.1): PLAIN it is"
else
	check "$(<"$T_DIR/k.scram.rc")" 0 "SCRAM-SHA-512 with librdkafka ${rdk:-?} works"
fi

# ---- never a password in anything printed ----
leaks=$(cat "$T_DIR"/*.err "$T_DIR"/*.log "$T_DIR"/*.out 2>/dev/null | grep -c -F -e "$KPW" -e "$PGPW" || true)
check "$leaks" 0 "no password in any output (stack, sbctl, sb-ingest)"

# ---- a second `up` is a no-op that keeps TLS ----
tls_stack up >"$T_DIR/stack2.out" 2>"$T_DIR/stack2.err"
check "$(cmp -s "$T_DIR/stack.out" "$T_DIR/stack2.out" && echo same):$(grep -c 'Kafka already running' "$T_DIR/stack2.err")" \
	"same:1" "second up (SB_STACK_TLS unset): same exports, broker untouched"
check "$(kcat -F "$TLS/kcat.conf" -L -m 5 >/dev/null 2>&1 && echo up)" up "SASL_SSL still up after the second up"

check "$(kill -0 "$INGEST_PID" 2>/dev/null && echo alive)" alive "sb-ingest still running"
stop_worker "$INGEST_PID"
log "done in $((SECONDS - t0))s"
finish
