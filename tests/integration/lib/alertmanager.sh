# shellcheck shell=bash
# alertmanager.sh: a private Prometheus Alertmanager (Debian's
# prometheus-alertmanager, 0.25 in Debian 12) as a real webhook sender for
# a test. Source after tests/lib/sandbox.sh (it uses SB_DIR, sb_spawn,
# sb_wait_http, sb_fail): the process is stopped at exit with the rest.
#
#   am_start URL TOKEN    config + start + ready; sets AM_PID, AM_PORT, AM_URL
#   am_post_alerts JSON   POST /api/v2/alerts (an array of postable alerts)
#   am_alerts             GET /api/v2/alerts: what it holds, as JSON
#   am_sample_alerts NOW  the tests' four alerts of one name (one group),
#                         NOW being the epoch seconds: instance bastion-1
#                         (user alice, critical, summary and description),
#                         bastion-2 (user zoë@example.com, warning, non-ASCII
#                         summary), db-1 (firing without a user label) and
#                         web-1 (user carol, already resolved); startsAt with
#                         a nanosecond, a short or no fraction and an offset,
#                         as Prometheus may send it
#
# Its own everything: storage in $SB_DIR/alertmanager, a free port on
# 127.0.0.1, clustering off (--cluster.listen-address=), one route to one
# webhook receiver at URL whose bearer token is TOKEN
# (http_config.authorization.credentials). Alerts are grouped by alertname,
# so alerts of one name posted together reach URL in one POST; group_wait
# 0s sends a new group at once, group_interval 1s sends its changes a
# second later (an alert posted just after the first send arrives then),
# repeat_interval is long so an unchanged group is not sent again.
# Knobs: AM_GROUP_BY (YAML list, default [alertname]), AM_GROUP_WAIT (0s),
# AM_GROUP_INTERVAL (1s), AM_REPEAT_INTERVAL (24h), AM_MAX_ALERTS (0: all).

AM_BIN=${AM_BIN:-$(command -v prometheus-alertmanager || command -v alertmanager || true)}
AM_TOOL=${AM_TOOL:-$(command -v amtool || true)}
AM_PID='' AM_PORT='' AM_URL=''

# A free TCP port on 127.0.0.1: the kernel's pick for a socket bound and
# closed at once (Alertmanager cannot listen on port 0 and tell us which).
am_free_port() {
	python3 -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])'
}

# A YAML single-quoted scalar: ' doubled, nothing else is special.
am_yaml_quote() { printf "'%s'" "${1//\'/\'\'}"; }

# am_config FILE URL TOKEN: the configuration, checked with amtool.
am_config() {
	local file=$1 url=$2 token=$3
	cat >"$file" <<EOF
route:
  receiver: securitybot
  group_by: ${AM_GROUP_BY:-[alertname]}
  group_wait: ${AM_GROUP_WAIT:-0s}
  group_interval: ${AM_GROUP_INTERVAL:-1s}
  repeat_interval: ${AM_REPEAT_INTERVAL:-24h}
receivers:
  - name: securitybot
    webhook_configs:
      - url: $(am_yaml_quote "$url")
        send_resolved: true
        max_alerts: ${AM_MAX_ALERTS:-0}
        http_config:
          authorization:
            type: Bearer
            credentials: $(am_yaml_quote "$token")
EOF
	if [[ -n $AM_TOOL ]] && ! "$AM_TOOL" check-config "$file" >"$file.check" 2>&1; then
		cat "$file.check" >&2
		sb_fail "amtool refused the generated $file"
	fi
}

# am_start URL TOKEN: a private Alertmanager sending to URL with TOKEN,
# ready (/-/ready answers 200). Sets AM_PID, AM_PORT, AM_URL.
am_start() {
	local url=$1 token=$2 dir=$SB_DIR/alertmanager
	[[ -n $AM_BIN ]] || sb_fail "prometheus-alertmanager is not installed (deploy/local/install-deps)"
	mkdir -p "$dir/data"
	am_config "$dir/alertmanager.yml" "$url" "$token"
	AM_PORT=$(am_free_port)
	AM_URL="http://127.0.0.1:$AM_PORT"
	sb_spawn "$dir/alertmanager.log" "$AM_BIN" \
		--config.file="$dir/alertmanager.yml" \
		--storage.path="$dir/data" \
		--web.listen-address="127.0.0.1:$AM_PORT" \
		--cluster.listen-address= \
		--log.level=debug
	AM_PID=$SB_PID
	if ! sb_wait_http "$AM_URL/-/ready" 30 "$AM_PID"; then
		tail -n 20 "$dir/alertmanager.log" >&2
		sb_fail "alertmanager did not become ready on $AM_URL"
	fi
}

# am_post_alerts JSON: gives Alertmanager alerts through its own API.
am_post_alerts() {
	curl -fsS -X POST -H 'Content-Type: application/json' --data-binary "$1" \
		"$AM_URL/api/v2/alerts" >/dev/null
}

am_alerts() { curl -fsS "$AM_URL/api/v2/alerts"; }

am_sample_alerts() {
	python3 - "$1" <<'EOF'
import json, sys, datetime as dt
now = int(sys.argv[1])
def t(s, frac=".123456789"):
    return dt.datetime.fromtimestamp(s, dt.timezone(dt.timedelta(hours=2))).strftime("%Y-%m-%dT%H:%M:%S") + frac + "+02:00"
def alert(user, fp_label, ann, starts, ends=None, **labels):
    a = {"labels": dict(alertname="SecurityTest", instance=fp_label, **labels),
         "annotations": ann, "startsAt": starts,
         "generatorURL": "http://prometheus.example:9090/graph?g0.expr=up&g0.tab=1"}
    if user:
        a["labels"]["user"] = user
    if ends:
        a["endsAt"] = ends
    return a
print(json.dumps([
    alert("alice", "bastion-1", {"summary": "SSH login from a new country", "description": "alice from NZ"},
          t(now - 60), severity="critical"),
    alert("zoë@example.com", "bastion-2", {"summary": "Überwachung 🚨"}, t(now - 30, ".5"), severity="warning"),
    alert(None, "db-1", {"summary": "no user here"}, t(now - 20, "")),
    alert("carol", "web-1", {}, t(now - 600), ends=t(now - 300)),
]))
EOF
}
