/* titles: moves queued alert titles into the console's search table. */

/* Every insert into alerts appends its titles to an unindexed queue (a
 * trigger, migration 0018), so the trigram index's cost, which grows with
 * the history, is not paid while an alert waits to be recorded. The move
 * itself is alert_titles_index() in the database (SECURITY DEFINER: this
 * worker needs no privilege on either table); replicas share the queue
 * (SKIP LOCKED). The console searches both tables, so the move's timing
 * changes how fast a search is, never what it finds. */
#include <stdio.h>
#include <stdlib.h>

#include "titles.h"

static const char *const INDEX_SQL = "SELECT alert_titles_index($1::int)";

long sb_ingest_titles_index(sb_db_t *db, char *errstr, size_t errstr_size) {
    char batch[16];
    const char *params[] = {batch};
    PGresult *res;
    long n;
    snprintf(batch, sizeof(batch), "%d", SB_INGEST_TITLES_BATCH);
    if (!(res = sb_db_query(db, INDEX_SQL, 1, params, errstr, errstr_size)))
        return -1;
    n = atol(PQgetvalue(res, 0, 0));
    PQclear(res);
    return n;
}
