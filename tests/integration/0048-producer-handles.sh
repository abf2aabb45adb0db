#!/usr/bin/env bash
# sb_producer's handles on the real broker (producer_check.c says what each
# check means): a share's failed delivery fails only the share's flush;
# four threads with a share each flush at once, all succeed and every
# message reaches the topic; after a fatal producer error no flush
# succeeds. sb-response's lanes and Duo threads each publish through a
# share: before, one counter for the whole producer let a lane's COMMIT go
# through when another lane's flush had served its failed delivery (the
# chaos run's escalations that never came).
. "$(dirname "$0")/lib/common.sh"

setup_env 1
check_bin=$SB_BIN_DIR/../tests/producer_check
topic=${SECURITYBOT_TOPIC_PREFIX}outcomes
# the broker creates no topics: a message to this one is refused once the
# producer stops waiting for it to appear (1 s here, 30 s by default)
missing=${SECURITYBOT_TOPIC_PREFIX}no-such-topic
out=$(SECURITYBOT_KAFKA_TOPIC_METADATA_PROPAGATION_MAX_MS=1000 "$check_bin" "$topic" "$missing" 2>"$T_DIR/check.err") ||
	true
printf '%s\n' "$out" | sed 's/^/  /'
while IFS= read -r line; do
	case $line in
	ok:*) check ok ok "${line#ok: }" ;;
	FAIL:*) check FAIL ok "${line#FAIL: }" ;;
	esac
done <<<"$out"
check "$(grep -c '^ok:' <<<"$out")" 10 "checks the program passed"
sent=$(sed -n 's/^sent //p' <<<"$out")
check "$(topic_dump outcomes | wc -l)" "${sent:-none}" "messages on $topic"
check "$(grep -c 'kafka producer fatal error' "$T_DIR/check.err")" 1 "the fatal error logged once"
finish
