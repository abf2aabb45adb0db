/* fuzz_slack_sig: libFuzzer target for the Slack signature check. The input
 * is split at its first two newlines into a timestamp header, a signature
 * header and a body. Beside "no crash", it checks the properties the
 * gateway relies on: arbitrary headers never verify unless they are the
 * real signature; a body signed the documented way always verifies at its
 * own time; and the same signature on a body one byte longer never does. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sb_slack_sig.h"

#define SECRET "8f742231b10e8888abcd99yyyzzz85a5"
#define NOW    INT64_C(1531420618)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    char *copy = malloc(size + 2), *ts, *sig, *body, *nl, reason[64], good[SB_SLACK_SIG_LEN + 1];
    size_t body_len;
    if (!copy)
        return 0;
    memcpy(copy, data, size);
    copy[size] = '\0';
    ts = copy;
    sig = (nl = memchr(ts, '\n', size)) ? (*nl = '\0', nl + 1) : copy + size;
    body = (nl = strchr(sig, '\n')) ? (*nl = '\0', nl + 1) : copy + size;
    body_len = size - (size_t)(body - copy);

    int ok = sb_slack_verify(SECRET, ts, sig, body, body_len, NOW, reason, sizeof(reason)) == 0;
    if (ok) {
        /* the only way in: the headers are the real signature of this body */
        if (sb_slack_sign(SECRET, ts, body, body_len, good) != 0 || strcmp(good, sig) != 0)
            abort();
    }
    /* a correctly signed body verifies at "now" = its own timestamp */
    if (sb_slack_sign(SECRET, "1531420618", body, body_len, good) == 0) {
        if (sb_slack_verify(SECRET, "1531420618", good, body, body_len, NOW, reason,
                            sizeof(reason)) != 0)
            abort();
        /* one more byte (the NUL after the body) breaks it */
        body[body_len] = '\0';
        if (sb_slack_verify(SECRET, "1531420618", good, body, body_len + 1, NOW, reason,
                            sizeof(reason)) == 0)
            abort();
    }
    free(copy);
    return 0;
}
