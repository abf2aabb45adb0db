/* fuzz_form: libFuzzer target for the form parser and the Slack signature
 * check, as sb-gateway runs them on every request body. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sb_form.h"
#include "sb_slack_sig.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    char *copy = malloc(size + 1), *value = NULL, reason[64];
    if (!copy)
        return 0;
    memcpy(copy, data, size);
    copy[size] = '\0';
    if (sb_form_get(copy, size, "payload", &value) == 1)
        free(value);
    /* the first line as the timestamp header, the rest as the signature */
    sb_slack_verify("secret", copy, copy + strlen(copy) / 2, copy, size, 1531420618, reason,
                    sizeof(reason));
    free(copy);
    return 0;
}
