/* fuzz_envelope: libFuzzer target for Socket Mode frames, as sb-gateway reads each one it receives.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sb_schema.h"
#include "socket_envelope.h"

/* What every reading promises, whatever the frame. */
static void check(const sb_envelope_t *e) {
    char err[256], ack[SB_ENVELOPE_ID_MAX + 32];
    if (e->kind != SB_ENVELOPE_PAYLOAD && (e->payload.event || e->payload.challenge))
        abort();
    if (e->kind == SB_ENVELOPE_PAYLOAD && e->payload.verdict == SB_PAYLOAD_PUBLISH &&
        (!e->payload.event || sb_schema_validate("response", e->payload.event, err, sizeof(err))))
        abort();
    if ((e->kind == SB_ENVELOPE_PAYLOAD || e->kind == SB_ENVELOPE_OTHER) &&
        sb_envelope_ack(e->envelope_id, ack, sizeof(ack)) < 0)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    /* an exact-size copy, so a read past the end is an ASan error */
    char *copy = malloc(size ? size : 1);
    sb_envelope_t e;
    if (!copy)
        return 0;
    memcpy(copy, data, size);
    sb_envelope_read(copy, size, "2026-11-29T12:00:00Z", &e);
    check(&e);
    sb_envelope_clear(&e);
    free(copy);
    return 0;
}
