/* fuzz_payload: libFuzzer target for the Slack payload parser, as sb-gateway
 * runs it on every verified request body (events and interactivity). */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sb_payload.h"
#include "sb_schema.h"

/* What every verdict promises, whatever the input. */
static void check(const sb_payload_t *p) {
    char err[256];
    if (!p->reason)
        abort();
    if (p->verdict == SB_PAYLOAD_PUBLISH &&
        (!p->event || !p->chat_user_id ||
         sb_schema_validate("response", p->event, err, sizeof(err))))
        abort();
    if (p->verdict != SB_PAYLOAD_PUBLISH && (p->event || p->chat_user_id))
        abort();
    if ((p->verdict == SB_PAYLOAD_CHALLENGE) != (p->challenge != NULL))
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    /* an exact-size copy, so a read past the end is an ASan error */
    char *copy = malloc(size ? size : 1);
    sb_payload_t p;
    if (!copy)
        return 0;
    memcpy(copy, data, size);
    sb_payload_read_event(copy, size, "2026-11-29T12:00:00Z", &p);
    check(&p);
    sb_payload_clear(&p);
    sb_payload_read_interaction(copy, size, "2026-11-29T12:00:00Z", &p);
    check(&p);
    sb_payload_clear(&p);
    free(copy);
    return 0;
}
