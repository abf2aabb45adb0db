/* fuzz_intake_body: libFuzzer target for the intake's body splitter and alert checks, as
 * POST /v1/alerts runs them on an authenticated body (JSON and NDJSON alike). */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "intake_alerts.h"
#include "intake_body.h"

/* What a split promises, whatever the input: items inside the body, in
 * order, not overlapping, none empty, at most max of them. */
static void check_split(const char *body, size_t size, const sb_intake_item_t *items, size_t n,
                        size_t max) {
    const char *prev_end = body;
    if (n > max)
        abort();
    for (size_t i = 0; i < n; i++) {
        if (items[i].len == 0 || items[i].p < prev_end || items[i].p + items[i].len > body + size)
            abort();
        prev_end = items[i].p + items[i].len;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    /* an exact-size copy, so a read past the end is an ASan error */
    char *copy = malloc(size ? size : 1), detail[128];
    sb_intake_item_t items[16];
    size_t n;
    if (!copy)
        return 0;
    memcpy(copy, data, size);
    for (int f = SB_INTAKE_JSON; f <= SB_INTAKE_NDJSON; f++) {
        sb_intake_checked_t c;
        sb_intake_body_t rc = sb_intake_body_split(copy, size, (sb_intake_format_t)f, items, 16, &n,
                                                   detail, sizeof(detail));
        check_split(copy, size, items, n, 16);
        if (rc != SB_INTAKE_BODY_OK)
            continue;
        if (sb_intake_alerts_check(items, n, "okta", &c) == 0 &&
            (c.other_source >= (long)n || (size_t)cJSON_GetArraySize(c.errors) > n))
            abort();
        sb_intake_checked_clear(&c);
    }
    free(copy);
    return 0;
}
