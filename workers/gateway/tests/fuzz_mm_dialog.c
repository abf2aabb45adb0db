/* fuzz_mm_dialog: libFuzzer target for Mattermost dialog submissions, as sb-gateway reads
 * POST /mattermost/dialogs. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mattermost.h"
#include "sb_schema.h"

/* What every reading promises: an event only for an accepted context. */
static void check(const sb_mm_action_t *a) {
    char err[256];
    if (!a->p.reason)
        abort();
    if ((a->p.verdict == SB_PAYLOAD_PUBLISH) != (a->p.event != NULL))
        abort();
    if (a->p.event &&
        (a->refused != SB_MMCTX_OK || sb_schema_validate("response", a->p.event, err, sizeof(err))))
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    /* an exact-size copy, so a read past the end is an ASan error */
    char *copy = malloc(size ? size : 1);
    sb_mm_action_t a;
    if (!copy)
        return 0;
    memcpy(copy, data, size);
    /* the seeds' contexts are made with this secret and expire in 2027 */
    sb_mm_read_dialog(copy, size, "fuzz-secret", 1790000000, "2026-11-29T12:00:00Z", &a);
    check(&a);
    sb_payload_clear(&a.p);
    free(copy);
    return 0;
}
