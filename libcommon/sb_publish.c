/* sb_publish: a transaction's messages acknowledged by Kafka before its COMMIT. */
#include "sb_publish.h"

int sb_publish_commit(sb_producer_t *p, int produced, sb_db_t *db, char *errstr,
                      size_t errstr_size) {
    if (produced && sb_producer_flush(p, SB_PUBLISH_FLUSH_MS, errstr, errstr_size) == -1)
        return -1;
    return sb_db_commit(db, errstr, errstr_size);
}

int sb_publish_rows(sb_db_t *db, sb_producer_t *p, const char *sql, int nparams,
                    const char *const *params, sb_publish_row_fn each, void *ctx, char *errstr,
                    size_t errstr_size) {
    PGresult *res = NULL;
    int n = 0, rc = -1;

    if (sb_db_begin(db, errstr, errstr_size) == -1)
        return -1;
    if (!(res = sb_db_query(db, sql, nparams, params, errstr, errstr_size)))
        goto out;
    n = PQntuples(res);
    for (int i = 0; i < n; i++)
        if (each(ctx, res, i, errstr, errstr_size) == -1)
            goto out;
    if (sb_publish_commit(p, n > 0, db, errstr, errstr_size) == -1)
        goto out;
    rc = n;
out:
    if (rc == -1)
        sb_db_rollback(db);
    PQclear(res);
    return rc;
}
