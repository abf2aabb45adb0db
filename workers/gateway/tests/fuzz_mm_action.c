/* fuzz_mm_action: libFuzzer target for Mattermost click requests, as sb-gateway reads POST
 * /mattermost/actions. */
#include "fuzz_mm.h"

/* the seeds' contexts are made with this secret and expire in 2027 */
static void read_action(const char *body, size_t len, sb_mm_action_t *out) {
    sb_mm_read_action(body, len, "fuzz-secret", 1790000000, "2026-11-29T12:00:00Z", out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    return fuzz_mm_run(data, size, read_action);
}
