/* titles: the console's title search, filled off the insert path (see titles.c). */
#ifndef SB_INGEST_TITLES_H
#define SB_INGEST_TITLES_H

#include <stddef.h>

/* Titles moved per call: one statement's worth of trigram index work
 * (about a tenth of a second in a table of 10 million alerts). */
#define SB_INGEST_TITLES_BATCH 5000

/* The mover: a thread with a PostgreSQL connection of its own. */
typedef struct sb_ingest_titles_s sb_ingest_titles_t;

/* Connects (waiting for the server like the worker's other connections)
 * and starts the thread. The caller owns the result: stop it with
 * sb_ingest_titles_stop. NULL with errstr set. */
sb_ingest_titles_t *sb_ingest_titles_start(const char *database_url, char *errstr,
                                           size_t errstr_size);

/* Tells the mover that the consume loop recorded a batch just now, so it
 * paces itself as under load. Safe from any thread; t may be NULL. */
void sb_ingest_titles_busy(sb_ingest_titles_t *t);

/* Stops the thread (within 100 ms), waits for it and closes its
 * connection. NULL is a no-op. */
void sb_ingest_titles_stop(sb_ingest_titles_t *t);

#endif
