/* seal: the audit rows committed since the last tick, chained into the audit log's hash chain. */

/* The chaining itself is audit_seal() in the database (SECURITY DEFINER:
 * this worker needs no privilege on the chain's tables); a replica that
 * finds another one sealing gets 0 at once. */
#include <stdio.h>
#include <stdlib.h>

#include "escalation.h"
#include "sb_log.h"

#define SEAL_BATCH  5000 /* rows a call; the chain's head is locked meanwhile */
#define SEAL_ROUNDS 20   /* calls a tick at most: 100,000 rows */

static const char *const SEAL_SQL = "SELECT audit_seal($1::int)";

long sb_esc_seal(sb_esc_t *e, char *errstr, size_t errstr_size) {
    char batch[16];
    const char *params[] = {batch};
    long total = 0, n;
    snprintf(batch, sizeof(batch), "%d", SEAL_BATCH);
    for (int i = 0; i < SEAL_ROUNDS; i++) {
        PGresult *res = sb_db_query(e->db, SEAL_SQL, 1, params, errstr, errstr_size);
        if (!res)
            return -1;
        n = atol(PQgetvalue(res, 0, 0));
        PQclear(res);
        total += n;
        if (n < SEAL_BATCH)
            break;
    }
    if (total >= SEAL_BATCH)
        sb_log_info("audit chain: %ld rows sealed", total);
    return total;
}
