/* fuzz_mm: what the three Mattermost fuzz targets share: a reading's promise and the run. */
#ifndef SB_FUZZ_MM_H
#define SB_FUZZ_MM_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mattermost.h"
#include "sb_schema.h"

/* One of sb_mm_read_action/_command/_dialog with the seeds' secret or token. */
typedef void (*fuzz_mm_reader_t)(const char *body, size_t len, sb_mm_action_t *out);

/* What every reading promises: a reason always, an event exactly when it
 * publishes, and only for an accepted context (or token), valid against
 * response.v1. Aborts otherwise. */
static void fuzz_mm_check(const sb_mm_action_t *a) {
    char err[256];
    if (!a->p.reason)
        abort();
    if ((a->p.verdict == SB_PAYLOAD_PUBLISH) != (a->p.event != NULL))
        abort();
    if (a->p.event &&
        (a->refused != SB_MMCTX_OK || sb_schema_validate("response", a->p.event, err, sizeof(err))))
        abort();
}

/* Reads data with read and checks the result. */
static int fuzz_mm_run(const uint8_t *data, size_t size, fuzz_mm_reader_t read) {
    /* an exact-size copy, so a read past the end is an ASan error */
    char *copy = malloc(size ? size : 1);
    sb_mm_action_t a;
    if (!copy)
        return 0;
    memcpy(copy, data, size);
    read(copy, size, &a);
    fuzz_mm_check(&a);
    sb_payload_clear(&a.p);
    free(copy);
    return 0;
}

#endif
