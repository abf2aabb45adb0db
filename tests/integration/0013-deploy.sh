#!/usr/bin/env bash
# 0013-deploy: what deploy/ ships for production (Dockerfile, docker-compose.yml,
# systemd units, Kubernetes manifests) is checked without a Docker engine or a
# cluster:
#  - every YAML file under deploy/ parses (js-yaml), and reads the same as
#    YAML 1.1 (Kubernetes' parser) and as YAML 1.2 (no yes/no/octal traps);
#  - Kubernetes objects validate against the API's schemas (kubernetes-models);
#    every consuming worker has a StatefulSet whose pods name their static group
#    members, the gateway and the console Deployments (2 replicas, liveness and readiness probes
#    on the right ports, resources, restricted pod security), their Services, the
#    PDBs, the migrate Job, the kustomization's resource list, the messages
#    ConfigMap equal to deploy/messages.json;
#  - compose: every worker and init use the Dockerfile's image, wait for
#    healthy dependencies, get their secrets as files; `docker compose config`
#    (or docker-compose v1) where installed;
#  - Kafka, least privilege: each compose service and Kubernetes workload
#    logs in as its own principal with its own password file; compose's
#    broker has SASL listeners only and the authorizer on, `kafka-acls`
#    (deploy/kafka/acls.sh) runs before init; the Kubernetes ACL Job runs
#    the same script (its ConfigMap copy equal to the file);
#  - every variable any of them sets is one the binaries list in --help (per
#    worker; plus the NAME_FILE forms and SECURITYBOT_KAFKA_* pass-through),
#    secrets only as files, required variables present;
#  - systemd: `systemd-analyze verify` and an exposure threshold of
#    `systemd-analyze security` on the units (ExecStart pointed at the built
#    binaries), credentials matching their NAME_FILE variables;
#  - kustomize (kubectl kustomize) builds deploy/k8s where kubectl is installed;
#  - Dockerfile: Debian 12 stages, its build stage's RUN executed on exactly the
#    files its COPY lines bring (none of them excluded by .dockerignore), the
#    -dev package of each pkg-config module CMakeLists.txt requires, runtime
#    packages covering every library the binaries link;
#  - each deployment's own configuration starts the real binaries against the
#    test stack (only addresses, secrets, prefix and groups swapped for the
#    test's): the one-shot migrate exits 0, each worker gets healthy (its
#    /healthz, the gateway's /readyz) and exits 0 on SIGTERM.
# `docker build` is not run (no Docker engine here); SB_DOCKER_BUILD=1 runs it
# when a daemon answers.
# shellcheck source-path=SCRIPTDIR source=lib/common.sh
. "$(dirname "$0")/lib/common.sh"

DEPLOY=$SB_SOURCE_DIR/deploy
BINARIES=(sb-ingest sb-prompt sb-gateway sb-response sb-escalation sb-console sbctl)

# ---------------------------------------------------------------- tools
# The pinned npm tools of tests/schemas (shared with 0001-schemas), in var/.
npm_dir=$SB_SOURCE_DIR/var/npm-schemas
if [[ ! -d $npm_dir/node_modules/js-yaml || ! -d $npm_dir/node_modules/kubernetes-models ]] ||
	! cmp -s "$SB_SOURCE_DIR/tests/schemas/package-lock.json" "$npm_dir/package-lock.json"; then
	mkdir -p "$npm_dir"
	cp "$SB_SOURCE_DIR/tests/schemas/package.json" "$SB_SOURCE_DIR/tests/schemas/package-lock.json" "$npm_dir/"
	npm ci --prefix "$npm_dir" --no-audit --no-fund --loglevel=error >&2
fi

# ---------------------------------------------------------------- what the binaries know
# help.json: per binary, each variable its --help names (with the NAME_FILE
# forms it mentions) and whether --help calls it required / secret.
help_dir=$T_DIR/help
mkdir -p "$help_dir"
for b in "${BINARIES[@]}"; do
	"$SB_BIN_DIR/$b" --help >"$help_dir/$b.txt"
done
node "$SB_SOURCE_DIR/tests/integration/lib/deploy_help.js" "$help_dir" "${BINARIES[@]}" >"$T_DIR/help.json"
check "$(node -e 'const h=require(process.argv[1]); console.log(Object.values(h).every(v => Object.keys(v).length >= 4) ? "ok" : "too few")' "$T_DIR/help.json")" ok \
	"every binary's --help lists its variables"

# ---------------------------------------------------------------- YAML, compose, Kubernetes, systemd, env files
# lib/deploy_check.js prints "ok: ..." / "FAIL: ..." lines and writes, for the
# runs below, each deployment's environment and command (runs/).
mkdir -p "$T_DIR/runs"
rc=0
NODE_PATH=$npm_dir/node_modules node "$SB_SOURCE_DIR/tests/integration/lib/deploy_check.js" "$SB_SOURCE_DIR" "$T_DIR/help.json" "$T_DIR/runs" \
	>"$T_DIR/deploy-check.log" 2>&1 || rc=$?
sed "s/^/  /" "$T_DIR/deploy-check.log" >&2
check "$rc" 0 "deploy_check.js: YAML, compose, Kubernetes, systemd, env files"

# ---------------------------------------------------------------- kustomize
if command -v kubectl >/dev/null 2>&1 && kubectl kustomize --help >/dev/null 2>&1; then
	rc=0
	kubectl kustomize "$DEPLOY/k8s" >"$T_DIR/kustomized.yaml" 2>"$T_DIR/kustomize.err" || rc=$?
	check "$rc" 0 "kubectl kustomize deploy/k8s builds ($(grep -c '^kind:' "$T_DIR/kustomized.yaml") objects)"
	((rc == 0)) || cat "$T_DIR/kustomize.err" >&2
	want=$(sed -n 's/^ *newName: //p' "$DEPLOY/k8s/kustomization.yaml"):$(sed -n 's/^ *newTag: "\{0,1\}\([^"]*\)"\{0,1\}$/\1/p' "$DEPLOY/k8s/kustomization.yaml")
	# (but the Kafka ACL Job's: Kafka's own image, the compose broker's)
	kafka_image=$(sed -n 's/^    image: \(apache\/kafka:.*\)$/\1/p' "$DEPLOY/docker-compose.yml" | sort -u)
	check "$(sed -n 's/^ *image: //p' "$T_DIR/kustomized.yaml" | grep -vxF "$kafka_image" | sort -u | tr '\n' ' ')" "$want " \
		"kustomize gives every container the kustomization's image"
	check "$(grep -c "^ *image: $kafka_image\$" "$T_DIR/kustomized.yaml")" 1 \
		"kustomize: the Kafka ACL Job runs $kafka_image, the compose broker's image"
else
	log "skipped: kubectl is not installed, so the kustomization was not built"
fi

# ---------------------------------------------------------------- docker compose config
compose_dir=$T_DIR/compose
mkdir -p "$compose_dir/deploy/secrets"
cp "$DEPLOY/docker-compose.yml" "$DEPLOY/Dockerfile" "$compose_dir/deploy/"
cp "$DEPLOY/compose.env.example" "$compose_dir/deploy/compose.env"
for s in postgres-password database-url slack-signing-secret slack-bot-token secret-key; do
	echo placeholder >"$compose_dir/deploy/secrets/$s"
done
compose=()
if docker compose version >/dev/null 2>&1; then
	compose=(docker compose)
elif command -v docker-compose >/dev/null 2>&1; then
	compose=(docker-compose)
fi
if ((${#compose[@]})); then
	out=$(cd "$compose_dir/deploy" && "${compose[@]}" -f docker-compose.yml config -q 2>&1) && rc=0 || rc=$?
	[[ -z $out ]] || log "${compose[*]} config: $out"
	check "$rc" 0 "${compose[*]} config -q accepts docker-compose.yml ($("${compose[@]}" version --short 2>/dev/null || true))"
else
	log "skipped: neither 'docker compose' nor 'docker-compose' is installed, so docker-compose.yml was not checked by Compose itself"
fi

# ---------------------------------------------------------------- systemd-analyze
if command -v systemd-analyze >/dev/null 2>&1; then
	units=$T_DIR/units
	mkdir -p "$units"
	cp "$DEPLOY"/systemd/*.service "$DEPLOY"/systemd/*.target "$units/"
	# verify needs ExecStart's binary to exist: point it at the built ones.
	sed -i "s|^ExecStart=/usr/local/bin/|ExecStart=$SB_BIN_DIR/|" "$units"/*.service
	out=$(cd "$units" && systemd-analyze verify --man=no ./*.service ./*.target 2>&1) && rc=0 || rc=$?
	[[ -z $out ]] || log "systemd-analyze verify: $out"
	# verify exits 0 on unknown keys and bad values (it only warns): any output fails.
	check "$rc/${out:+output}" "0/" "systemd-analyze verify: every unit, no warning"
	for u in "$units"/*.service; do
		score=$(systemd-analyze security --offline=yes "$u" 2>&1 | sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\).*/\1/p')
		rc=0
		systemd-analyze security --offline=yes --threshold=20 "$u" >/dev/null 2>&1 || rc=$?
		check "$rc" 0 "systemd-analyze security: $(basename "$u") exposure ${score:-?} (at most 2.0)"
	done
else
	log "skipped: systemd-analyze is not installed (Debian package systemd), so the units were not verified"
fi

# ---------------------------------------------------------------- Dockerfile
dockerfile=$DEPLOY/Dockerfile
# The Dockerfile with continuation lines joined, one instruction per line.
instructions=$(sed -e ':a' -e '/\\$/{N;s/\\\n//;ba' -e '}' "$dockerfile" | grep -v '^\s*#' | sed 's/\s\+/ /g')
stage_of() { awk -v n="$1" '/^FROM /{s++} s==n' <<<"$instructions"; }
build_stage=$(stage_of 1)
runtime_stage=$(stage_of 2)
check "$(grep -c '^FROM ' <<<"$instructions")" 2 "Dockerfile: two stages"
base=$(sed -n 's/^ARG DEBIAN_IMAGE=//p' <<<"$instructions")
# shellcheck disable=SC2016 # the Dockerfile's own ${DEBIAN_IMAGE}
check "$([[ $base == debian:bookworm* ]] && grep '^FROM ' <<<"$instructions" | grep -vcF 'FROM ${DEBIAN_IMAGE}')" 0 \
	"Dockerfile: both stages on Debian 12 ($base)"
# apt packages of a stage's RUN apt-get install
apt_pkgs() { grep -o 'apt-get install [^&]*' <<<"$1" | tr ' ' '\n' | grep -v -e '^-' -e '^apt-get$' -e '^install$' -e '^$' | sort -u; }
mapfile -t build_pkgs < <(apt_pkgs "$build_stage")
mapfile -t runtime_pkgs < <(apt_pkgs "$runtime_stage")
# The build stage installs the toolchain and, for each pkg-config module
# CMakeLists.txt requires, the package that ships its .pc file here.
mapfile -t modules < <(sed -n 's/^pkg_check_modules([A-Z_]* REQUIRED IMPORTED_TARGET \([a-z0-9_-]*\)).*/\1/p' "$SB_SOURCE_DIR/CMakeLists.txt")
dev_pkgs=(build-essential cmake pkg-config)
for m in "${modules[@]}"; do
	pc=$(pkg-config --path "$m" 2>/dev/null) || { dev_pkgs+=("?$m"); continue; }
	dev_pkgs+=("$(dpkg -S "$(readlink -f "$pc")" 2>/dev/null | head -1 | cut -d: -f1 | grep . || echo "?$m")")
done
missing=$(comm -23 <(printf '%s\n' "${dev_pkgs[@]}" | sort -u) <(printf '%s\n' "${build_pkgs[@]}"))
check "$((${#modules[@]} > 0))/${missing:-none}" "1/none" "Dockerfile build stage installs the toolchain and the -dev package of each pkg-config module"
check "$(grep -c '^USER [1-9][0-9]*:[0-9]*$' <<<"$runtime_stage")" 1 "Dockerfile: the runtime runs as a numeric non-root user"
check "$(grep -c '^COPY deploy/messages.json ' <<<"$runtime_stage")" 1 "Dockerfile: deploy/messages.json copied into the image"
check "$(grep -c '^COPY --from=build /src/build/bin/ /usr/local/bin/$' <<<"$runtime_stage")" 1 "Dockerfile: the binaries in /usr/local/bin"
# the --target list is every binary workers/CMakeLists.txt defines
targets=$(grep -o -- '--target [a-z -]*' <<<"$build_stage" | cut -d' ' -f2- | tr ' ' '\n' | grep . | sort | tr '\n' ' ')
defined=$(sed -n 's/^sb_worker(\([a-z-]*\) .*/\1/p' "$SB_SOURCE_DIR/workers/CMakeLists.txt" | sort | tr '\n' ' ')
check "$targets" "$defined" "Dockerfile builds every binary of workers/CMakeLists.txt"

# The build stage, replayed: its COPY lines into an empty directory, then its
# RUN lines that do not install packages (this machine has them), there.
ctx=$T_DIR/docker-build/src
mkdir -p "$ctx"
copy_failed=0
while read -r _ args; do
	read -ra parts <<<"$args"
	dest=${parts[-1]}
	for src in "${parts[@]:0:${#parts[@]}-1}"; do
		if [[ -d $SB_SOURCE_DIR/$src ]]; then
			mkdir -p "$ctx/$dest" && cp -a "$SB_SOURCE_DIR/$src/." "$ctx/$dest/"
		elif [[ -f $SB_SOURCE_DIR/$src ]]; then
			mkdir -p "$ctx/$dest" && cp -a "$SB_SOURCE_DIR/$src" "$ctx/$dest/"
		else
			log "Dockerfile COPY source $src does not exist"
			copy_failed=1
		fi
	done
done < <(grep '^COPY ' <<<"$build_stage")
check "$copy_failed" 0 "Dockerfile build stage: every COPY source exists"
# No COPY source (of either stage) is left out of the context by .dockerignore
# (a pattern matching the path or one of its parent directories).
mapfile -t ignored < <(grep -v -e '^\s*#' -e '^\s*$' -e '^!' "$SB_SOURCE_DIR/.dockerignore" | sed 's|/$||')
excluded=()
while read -r src; do
	[[ -e $SB_SOURCE_DIR/$src ]] || excluded+=("$src (missing)")
	prefix=
	IFS=/ read -ra comps <<<"${src%/}"
	for c in "${comps[@]}"; do
		prefix=${prefix:+$prefix/}$c
		for pat in "${ignored[@]}"; do
			# shellcheck disable=SC2053 # $pat is a glob on purpose
			[[ $prefix == $pat ]] && excluded+=("$src ($pat)")
		done
	done
done < <(grep '^COPY ' <<<"$instructions" | grep -v -- '--from=' | awk '{for (i = 2; i < NF; i++) print $i}')
check "${excluded[*]:-none}" none "Dockerfile: every COPY source is in the build context (.dockerignore)"
while read -r _ cmd; do
	(cd "$ctx" && bash -euo pipefail -c "$cmd") </dev/null >"$T_DIR/docker-build/run.log" 2>&1 && rc=0 || rc=$?
	check "$rc" 0 "Dockerfile build stage RUN (on its COPY'd files only): ${cmd:0:60}..."
	((rc == 0)) || tail -20 "$T_DIR/docker-build/run.log" >&2
done < <(grep '^RUN ' <<<"$build_stage" | grep -v 'apt-get')
for b in "${BINARIES[@]}"; do
	[[ -x $ctx/build/bin/$b ]] || log "the replayed build did not produce $b"
done
check "$(find "$ctx/build/bin" -mindepth 1 -maxdepth 1 -printf '%f\n' 2>/dev/null | sort | tr '\n' ' ')" "$(printf '%s\n' "${BINARIES[@]}" | sort | tr '\n' ' ')" \
	"Dockerfile build stage produces every binary in build/bin/"
# Every shared library the binaries link comes from a runtime package (or libc6).
pkg_of_lib() { # a library's soname -> its Debian package, as installed here
	local p f
	p=$(ldconfig -p | awk -v l="$1" '$1 == l {print $NF; exit}')
	[[ -n $p ]] || { echo "?$1"; return; }
	for f in "$(readlink -f "$p")" "$p" "${p#/usr}" "/usr${p#/usr}"; do
		dpkg -S "$f" 2>/dev/null | head -1 | cut -d: -f1 | grep . && return
	done
	echo "?$1"
}
needed_pkgs=$(for b in "$ctx"/build/bin/*; do
	readelf -d "$b" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p'
done | sort -u | while read -r lib; do pkg_of_lib "$lib"; done | sort -u)
log "runtime libraries come from: $(tr '\n' ' ' <<<"$needed_pkgs")"
uncovered=$(comm -23 <(grep -vx 'libc6' <<<"$needed_pkgs") <(printf '%s\n' "${runtime_pkgs[@]}" | sed 's/:.*//' | sort -u))
check "${uncovered:-none}" none "Dockerfile runtime stage installs every linked library's package"
check "$(bash -n "$DEPLOY/docker/sb-healthcheck" && echo ok)" ok "sb-healthcheck is valid bash"

if [[ ${SB_DOCKER_BUILD:-} == 1 ]] && docker info >/dev/null 2>&1; then
	rc=0
	docker build -f "$dockerfile" -t "securitybot:test-$T_ID" "$SB_SOURCE_DIR" >"$T_DIR/docker-build.log" 2>&1 || rc=$?
	check "$rc" 0 "docker build (SB_DOCKER_BUILD=1)"
	docker image rm "securitybot:test-$T_ID" >/dev/null 2>&1 || true
elif docker info >/dev/null 2>&1; then
	log "a Docker daemon answers; SB_DOCKER_BUILD=1 would also build the image"
else
	log "skipped: docker build (no Docker daemon here); the build stage was replayed instead"
fi

# ---------------------------------------------------------------- the deployments' configuration, run
# Each deployment's environment as written, except what points at its own
# cluster: brokers, topic prefix, groups, addresses, secret files and the chat
# platform (console, so that nothing talks to Slack).
setup_env 2
secrets=$T_DIR/secrets
mkdir -p "$secrets"
printf '%s\n' "$SECURITYBOT_DATABASE_URL" >"$secrets/database-url"
# each worker's own role (the stack lets it in from loopback without a
# password), and the password compose's init gives it
for w in ingest prompt response escalation console; do
	sb_url_with_user "$SECURITYBOT_DATABASE_URL" "sb_$w" >"$secrets/database-url-$w"
	python3 -c 'import os; print(os.urandom(16).hex())' >"$secrets/pg-password-$w"
done
echo xoxb-test >"$secrets/slack-bot-token"
echo test-signing-secret >"$secrets/slack-signing-secret"
echo test-routing-key >"$secrets/pagerduty-routing-key"
python3 -c 'import os; print(os.urandom(32).hex())' >"$secrets/secret-key"
chmod 600 "$secrets"/*
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
supports() { grep -q "^  $2 " "$help_dir/$1.txt"; } # BINARY VARIABLE: --help lists it

# run_env ID PLATFORM: the run's environment (NAME=VALUE per line in the array RUN_ENV)
run_env() {
	local id=$1 platform=$2 kv name
	RUN_ENV=(PATH="$SB_BIN_DIR:/usr/bin:/bin")
	for name in ASAN_OPTIONS UBSAN_OPTIONS LSAN_OPTIONS; do
		[[ -n ${!name:-} ]] && RUN_ENV+=("$name=${!name}")
	done
	RUN_PORTS=()
	while IFS= read -r -d '' kv; do
		name=${kv%%=*}
		case $name in
		SECURITYBOT_KAFKA_BROKERS) kv="$name=$SECURITYBOT_KAFKA_BROKERS" ;;
		SECURITYBOT_KAFKA_*) log "$id: $name not exercised (the test broker is plain)"; continue ;;
		SECURITYBOT_TOPIC_PREFIX) kv="$name=$SECURITYBOT_TOPIC_PREFIX" ;;
		SECURITYBOT_*_GROUP) kv="$name=${name,,}-$T_ID-$platform" ;;
		SECURITYBOT_DATABASE_URL_FILE) kv="$name=$secrets/${kv##*/}" ;; # database-url or database-url-W
		SLACK_BOT_TOKEN_FILE) kv="$name=$secrets/slack-bot-token" ;;
		SLACK_SIGNING_SECRET_FILE) kv="$name=$secrets/slack-signing-secret" ;;
		SECURITYBOT_SECRET_KEY_FILE) kv="$name=$secrets/secret-key" ;;
		SECURITYBOT_PAGERDUTY_ROUTING_KEY_FILE) kv="$name=$secrets/pagerduty-routing-key" ;;
		SECURITYBOT_MESSAGES_FILE) kv="$name=$DEPLOY/messages.json" ;;
		*_FILE) log "$id: no test value for $name"; T_FAILED=$((T_FAILED + 1)); continue ;;
		SECURITYBOT_CHAT | SECURITYBOT_CONSOLE_LOG) continue ;;
		SECURITYBOT_HTTP_LISTEN | SECURITYBOT_CONSOLE_LISTEN | SECURITYBOT_METRICS_LISTEN)
			RUN_PORTS+=("$name=$(free_port)")
			kv="$name=127.0.0.1:${RUN_PORTS[-1]#*=}"
			;;
		esac
		RUN_ENV+=("$kv")
	done <"$T_DIR/runs/$id.env"
	RUN_ENV+=(SECURITYBOT_CHAT=console "SECURITYBOT_CONSOLE_LOG=$T_DIR/console.$platform.log")
}
port_of() { local p; for p in "${RUN_PORTS[@]}"; do [[ ${p%%=*} == "$1" ]] && echo "${p#*=}"; done; return 0; }
# waits until GET 127.0.0.1:PORT/PATH answers 200 (max 60 s) while PID lives
wait_healthy() {
	local pid=$1 port=$2 path=$3 i
	for ((i = 0; i < 600; i++)); do
		kill -0 "$pid" 2>/dev/null || return 1
		"$DEPLOY/docker/sb-healthcheck" "$port" "$path" 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}

for platform in compose k8s systemd; do
	mapfile -t runs < <(awk -v p="$platform." 'index($1, p) == 1' "$T_DIR/runs/list")
	((${#runs[@]} == 7)) || { check "${#runs[@]}" 7 "$platform: runs for the one-shot and 6 workers"; continue; }
	# the one-shot first: migrations and topics on the test's database and prefix
	for r in "${runs[@]}"; do
		read -r id kind <<<"$r"
		[[ $kind == oneshot ]] || continue
		run_env "$id" "$platform"
		rc=0
		# compose's "$$" is a "$"; its /run/secrets/ files are the test's
		env -i "${RUN_ENV[@]}" /bin/sh -c "$(sed -e 's/\$\$/$/g' -e "s|/run/secrets/|$secrets/|g" "$T_DIR/runs/$id.cmd")" \
			>"$T_DIR/run.$id.log" 2>&1 || rc=$?
		check "$rc" 0 "$id: '$(cat "$T_DIR/runs/$id.cmd")' with its configuration exits 0"
		((rc == 0)) || tail -5 "$T_DIR/run.$id.log" >&2
	done
	declare -A pid_of=() health_of=()
	for r in "${runs[@]}"; do
		read -r id kind <<<"$r"
		[[ $kind == worker ]] || continue
		run_env "$id" "$platform"
		bin=sb-${id#*.}
		env -i "${RUN_ENV[@]}" /bin/sh -c "$(cat "$T_DIR/runs/$id.cmd")" 2>"$T_DIR/run.$id.log" &
		T_PIDS+=($!)
		pid_of[$id]=$!
		if [[ $bin == sb-gateway ]]; then
			health_of[$id]="$(port_of SECURITYBOT_HTTP_LISTEN) /readyz"
		elif [[ $bin == sb-console ]]; then
			health_of[$id]="$(port_of SECURITYBOT_CONSOLE_LISTEN) /readyz"
		elif supports "$bin" SECURITYBOT_METRICS_LISTEN && [[ -n $(port_of SECURITYBOT_METRICS_LISTEN) ]]; then
			health_of[$id]="$(port_of SECURITYBOT_METRICS_LISTEN) /healthz"
		else
			health_of[$id]=""
		fi
	done
	for id in "${!pid_of[@]}"; do
		pid=${pid_of[$id]}
		if [[ -n ${health_of[$id]} ]]; then
			read -r port path <<<"${health_of[$id]}"
			wait_healthy "$pid" "$port" "$path" && rc=0 || rc=1
			check "$rc" 0 "$id: healthy with its configuration (GET $path)"
		else
			sleep 3
			kill -0 "$pid" 2>/dev/null && rc=0 || rc=1
			check "$rc" 0 "$id: still running after 3 s with its configuration (no metrics endpoint in this build)"
		fi
		((rc == 0)) || tail -5 "$T_DIR/run.$id.log" >&2
	done
	# SIGTERM to all, then each must exit 0 within 30 s
	for id in "${!pid_of[@]}"; do kill -TERM "${pid_of[$id]}" 2>/dev/null || true; done
	for id in "${!pid_of[@]}"; do
		pid=${pid_of[$id]}
		for ((i = 0; i < 300; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
		rc=0
		wait "$pid" || rc=$?
		check "$rc" 0 "$id: exit status after SIGTERM"
	done
	unset pid_of health_of
done

finish
