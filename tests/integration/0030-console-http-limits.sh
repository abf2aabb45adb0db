#!/usr/bin/env bash
# sb-console's own HTTP limits: the gateway's SECURITYBOT_HTTP_* variables
# (threads, connections, per address, request timeout) read by sb-console
# from its own environment, listed by --help, checked at start (exit 2
# naming the variable), and applied: with SECURITYBOT_HTTP_MAX_CONNECTIONS_PER_IP=3,
# of 6 connections from one address 3 are answered and 3 refused, while
# another address is still served. (Before, the console ignored them: 6 of 6.)
. "$(dirname "$0")/lib/common.sh"
. "$SB_SOURCE_DIR/tests/integration/lib/console.sh"

"$SB_BIN_DIR/sb-console" --help >"$T_DIR/help"
check "$(grep -c -E '^ *SECURITYBOT_HTTP_(THREADS|MAX_CONNECTIONS|MAX_CONNECTIONS_PER_IP|REQUEST_TIMEOUT) ' "$T_DIR/help")" 4 \
	"--help lists the four SECURITYBOT_HTTP_* variables"
check "$(grep -E '^ *SECURITYBOT_HTTP_THREADS ' "$T_DIR/help" | grep -c 'default: 16)')" 1 "16 threads by default"
rc=0
SECURITYBOT_HTTP_THREADS=0 "$SB_BIN_DIR/sb-console" 2>"$T_DIR/bad" || rc=$?
check "$rc:$(grep -c SECURITYBOT_HTTP_THREADS "$T_DIR/bad")" "2:1" "0 threads refused, named"
rc=0
SECURITYBOT_HTTP_REQUEST_TIMEOUT=soon "$SB_BIN_DIR/sb-console" 2>"$T_DIR/bad" || rc=$?
check "$rc:$(grep -c SECURITYBOT_HTTP_REQUEST_TIMEOUT "$T_DIR/bad")" "2:1" "a malformed timeout refused, named"

setup_env 1
start_console "$T_DIR/console.log" SECURITYBOT_HTTP_MAX_CONNECTIONS_PER_IP=3 SECURITYBOT_HTTP_THREADS=2
port=${CONSOLE_URL##*:}

# 6 connections from 127.0.0.77 held open at once, then each sends a whole
# request: the answered ones stay open (keep-alive), the others were
# closed by the server on accept.
python3 - "$port" >"$T_DIR/per-ip.out" <<'PY'
import socket, sys
port, socks = int(sys.argv[1]), []
for _ in range(6):
    s = socket.socket()
    s.settimeout(30)
    s.bind(("127.0.0.77", 0))
    s.connect(("127.0.0.1", port))
    s.send(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")  # not finished yet
    socks.append(s)
answered = refused = 0
for s in socks:
    try:
        s.send(b"\r\n")
        head = s.recv(64)
    except OSError:
        head = b""
    if head.startswith(b"HTTP/1.1 200"):
        answered += 1
    else:
        refused += 1
print(answered, refused)
PY
check "$(<"$T_DIR/per-ip.out")" "3 3" "one address: 3 of 6 connections answered (SECURITYBOT_HTTP_MAX_CONNECTIONS_PER_IP=3)"
check "$(req GET "$CONSOLE_URL/healthz")" 200 "another address is still served"

stop_worker "$CONSOLE_PID"
finish
