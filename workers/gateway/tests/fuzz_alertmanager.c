/* fuzz_alertmanager: libFuzzer target for the Alertmanager webhook mapping, as
 * POST /v1/alerts/alertmanager runs it on every authorised body. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "alertmanager.h"
#include "sb_message.h"
#include "sb_schema.h"

/* What every result promises, whatever the input: each accepted alert is
 * one sb-ingest accepts, each dead letter (through libcommon's builder, as
 * the intake publishes it) is a valid alert-dlq.v1. */
static void check(const sb_am_result_t *r) {
    char detail[256];
    for (size_t i = 0; i < r->accepted; i++) {
        sb_alert_t again;
        const sb_am_alert_t *a = &r->alerts[i];
        if (!a->json || strlen(a->json) != a->json_len || !a->alert.root ||
            sb_alert_parse(a->json, a->json_len, &again, detail, sizeof(detail)) != SB_REJECT_NONE)
            abort();
        sb_alert_clear(&again);
        if (i && a->index <= r->alerts[i - 1].index)
            abort();
    }
    for (size_t i = 0; i < r->dead_lettered; i++) {
        const sb_am_dead_t *d = &r->dead[i];
        if (d->reason == SB_REJECT_NONE || !d->original || !d->detail[0])
            abort();
        if (d->original_len != strlen(d->original))
            abort();
        cJSON *o = sb_message_dead_letter("http:/v1/alerts/alertmanager", 0, (int64_t)d->index,
                                          d->original, d->original_len, sb_reject_code(d->reason),
                                          d->detail, "2026-11-29T12:00:00Z");
        if (!o || sb_schema_validate("alert-dlq", o, detail, sizeof(detail)))
            abort();
        cJSON_Delete(o);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    /* an exact-size copy, so a read past the end is an ASan error */
    char *copy = malloc(size ? size : 1), err[256];
    sb_am_result_t r;
    if (!copy)
        return 0;
    memcpy(copy, data, size);
    if (sb_am_map(copy, size, "fuzz", NULL, &r, err, sizeof(err)) == 0)
        check(&r);
    else if (r.alerts || r.dead || r.accepted || r.dead_lettered || !err[0])
        abort();
    sb_am_result_clear(&r);
    free(copy);
    return 0;
}
