#!/usr/bin/env bash
# The short fault-injection run (tests/chaos/run --short --brokers 3), on
# three Kafka brokers, one SIGKILLed mid-run: every worker as
# two processes, SIGKILLs every few seconds, one Kafka restart, one
# PostgreSQL restart and a Slack 429/500 window, on a private stack of its
# own (its own directory and ports: the run restarts its broker and its
# database, so it never uses the shared stack this harness points at);
# then the run's own assertions. Passes when the run exits 0.
set -euo pipefail
SB_SOURCE_DIR=${SB_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd -P)}
export SB_BIN_DIR=${SB_BIN_DIR:-$SB_SOURCE_DIR/build/bin}
rc=0
"$SB_SOURCE_DIR/tests/chaos/run" --short --brokers 3 || rc=$?
echo "[0015_chaos_short] tests/chaos/run --short --brokers 3 exited $rc" >&2
exit "$rc"
