# lib.sh: helpers shared by deploy/local scripts (messages on stderr, port probes).
# shellcheck shell=bash
# Sourced, not run. SB_PROG names the script in messages.

SB_PROG=${SB_PROG:-$(basename "$0")}

say() { printf '%s: %s\n' "$SB_PROG" "$*" >&2; }
die() {
	printf '%s: error: %s\n' "$SB_PROG" "$*" >&2
	exit 1
}

# port_in_use PORT: true if any TCP socket holds PORT (any address, any state
# but TIME-WAIT). Not only listeners: a client connection whose ephemeral port
# happens to be PORT also makes a server's bind() fail, SO_REUSEADDR or not
# (CI lost a run to that); TIME-WAIT does not, as servers set SO_REUSEADDR.
port_in_use() {
	if command -v ss >/dev/null 2>&1; then
		[[ -n $(ss -Htan exclude time-wait "sport = :$1" 2>/dev/null) ]]
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
