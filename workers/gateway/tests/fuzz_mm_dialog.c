/* fuzz_mm_dialog: libFuzzer target for Mattermost dialog submissions, as sb-gateway reads
 * POST /mattermost/dialogs. */
#include "fuzz_mm.h"

/* the seeds' contexts are made with this secret and expire in 2027 */
static void read_dialog(const char *body, size_t len, sb_mm_action_t *out) {
    sb_mm_read_dialog(body, len, "fuzz-secret", 1790000000, "2026-11-29T12:00:00Z", out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    return fuzz_mm_run(data, size, read_dialog);
}
