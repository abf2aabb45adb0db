# lib.sh: helpers shared by deploy/local scripts (messages on stderr, port probes).
# shellcheck shell=bash
# Sourced, not run. SB_PROG names the script in messages.

SB_PROG=${SB_PROG:-$(basename "$0")}

say() { printf '%s: %s\n' "$SB_PROG" "$*" >&2; }
die() {
	printf '%s: error: %s\n' "$SB_PROG" "$*" >&2
	exit 1
}

# port_in_use PORT: true if something listens on TCP PORT (any address).
# Only listeners: a restart must find its own port free while the old
# process's connections on it drain. An outgoing connection whose ephemeral
# port happens to be PORT also makes a bind() fail; `stack` retries the next
# port when that happens (see pg_start_on).
port_in_use() {
	if command -v ss >/dev/null 2>&1; then
		[[ -n $(ss -Hltn "sport = :$1" 2>/dev/null) ]]
	else
		(exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
	fi
}

# as_root CMD...: run CMD as root, through sudo when we are not root.
as_root() {
	if ((EUID == 0)); then
		"$@"
	elif command -v sudo >/dev/null 2>&1; then
		sudo "$@"
	else
		die "need root to run: $*"
	fi
}
