/* fuzz_mm_command: libFuzzer target for Mattermost slash command requests, as sb-gateway reads
 * POST /mattermost/commands. */
#include "fuzz_mm.h"

/* the seeds carry this token */
static void read_command(const char *body, size_t len, sb_mm_action_t *out) {
    sb_mm_read_command(body, len, "fuzztoken", "2026-11-29T12:00:00Z", out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    return fuzz_mm_run(data, size, read_command);
}
