/* fuzz_duo: libFuzzer target for the reading of Duo's answers, as
 * sb-response's Duo threads read every answer: "<HTTP status>\n<body>". */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sb_duo.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    const char *nl = memchr(data, '\n', size);
    char msg[SB_DUO_MSG_SIZE], txid[SB_DUO_TXID_SIZE], err[256];
    cJSON *resp = NULL;
    long status = 0;
    sb_duo_preauth_t pre;
    sb_duo_status_t st;

    if (!nl)
        return 0;
    for (const uint8_t *p = data; p < (const uint8_t *)nl && status < 1000; p++)
        status = status * 10 + (*p >= '0' && *p <= '9' ? *p - '0' : 0);
    sb_duo_result_t rc = sb_duo_read(status, nl + 1, size - (size_t)(nl + 1 - (const char *)data),
                                     &resp, err, sizeof(err));
    if ((rc == SB_DUO_ANSWERED) != (resp != NULL))
        abort();
    if (resp) {
        if (sb_duo_read_preauth(resp, &pre, msg) == 0 && (unsigned)pre > SB_DUO_PREAUTH_ENROLL)
            abort();
        if (sb_duo_read_status(resp, &st, msg) == 0 && (unsigned)st > SB_DUO_TIMEOUT)
            abort();
        if (sb_duo_read_txid(resp, txid) == 0 && (!txid[0] || strlen(txid) >= SB_DUO_TXID_SIZE))
            abort();
        if (strlen(msg) >= SB_DUO_MSG_SIZE)
            abort();
    }
    cJSON_Delete(resp);
    return 0;
}
