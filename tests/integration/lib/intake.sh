# shellcheck shell=bash
# intake.sh: talking to sb-gateway's alert intake in a test: tokens, a
# request and its answer. Source after common.sh and gateway.sh (GW_PORT).
#
#   intake_token SOURCE FILE   a new token (sbctl intake-token create): its
#                              line appended to FILE (chmod 600), the token
#                              printed
#   post TOKEN CT BODY-FILE [CURL ARGS...]
#                              POSTs to $INTAKE_PATH (default /v1/alerts)
#                              with Content-Type CT and, unless TOKEN is "",
#                              the bearer token; prints the status; the
#                              answer's body is in $T_DIR/resp, its headers in
#                              $T_DIR/headers; QUERY is appended to the URL
#   field EXPR                 the Python expression EXPR over d = the last
#                              answer's JSON

intake_token() {
	local out
	out=$("$SB_BIN_DIR/sbctl" intake-token create "$1" 2>/dev/null) || return 1
	sed -n 2p <<<"$out" >>"$2"
	chmod 600 "$2"
	sed -n 1p <<<"$out"
}

post() {
	local tok=$1 ct=$2 file=$3 auth=()
	shift 3
	[[ -z $tok ]] || auth=(-H "Authorization: Bearer $tok")
	curl -s -o "$T_DIR/resp" -D "$T_DIR/headers" -w '%{http_code}' "${auth[@]}" \
		-H "Content-Type: $ct" --data-binary "@$file" "$@" \
		"http://127.0.0.1:$GW_PORT${INTAKE_PATH:-/v1/alerts}${QUERY:-}"
}

field() { python3 -c 'import json,sys; print(eval(sys.argv[1], {"d": json.load(open(sys.argv[2]))}))' "$1" "$T_DIR/resp"; }
