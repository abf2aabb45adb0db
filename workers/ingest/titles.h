/* titles: the console's title search, filled off the insert path (see titles.c). */
#ifndef SB_INGEST_TITLES_H
#define SB_INGEST_TITLES_H

#include <stddef.h>

#include "sb_db.h"

/* Titles moved per call: one statement's worth of trigram index work
 * (about a tenth of a second in a table of 10 million alerts). */
#define SB_INGEST_TITLES_BATCH 5000

/* Moves up to SB_INGEST_TITLES_BATCH queued titles into the indexed search
 * table (alert_titles_index(), migration 0018) on db, which must be idle.
 * How many it moved, or -1 with errstr set. */
long sb_ingest_titles_index(sb_db_t *db, char *errstr, size_t errstr_size);

#endif
