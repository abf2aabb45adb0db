/* fuzz_alert: libFuzzer target for the alert validator (sb_alert_parse) and
 * the alert id, as sb-ingest runs them on every message. */
#include <stddef.h>
#include <stdint.h>

#include "sb_id.h"
#include "sb_schema.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    sb_alert_t a;
    char detail[256], id[SB_SHA256_HEX_LEN + 1];
    if (sb_alert_parse(data, size, &a, detail, sizeof(detail)) == SB_REJECT_NONE) {
        sb_id_alert(a.source, a.id, a.rule, a.user, a.occurred_at_utc, a.title, id);
        sb_alert_clear(&a);
    }
    return 0;
}
