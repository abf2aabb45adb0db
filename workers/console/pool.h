/* pool: a few PostgreSQL connections shared by sb-console's request threads. */
#ifndef POOL_H
#define POOL_H

#include <stddef.h>

#include "sb_db.h"

typedef struct console_pool_s console_pool_t;

/* n connections to conninfo, each retried while the process runs; owned
 * by the caller. NULL with errstr. */
console_pool_t *console_pool_new(const char *conninfo, const char *app, size_t n, char *errstr,
                                 size_t errstr_size);

/* A connection for this thread alone, waiting while all are taken; it is
 * checked (and reconnected) first. NULL with errstr when PostgreSQL is
 * gone. Give it back with console_pool_release. */
sb_db_t *console_pool_acquire(console_pool_t *p, char *errstr, size_t errstr_size);
void console_pool_release(console_pool_t *p, sb_db_t *db);

/* NULL is a no-op. */
void console_pool_destroy(console_pool_t *p);

#endif
