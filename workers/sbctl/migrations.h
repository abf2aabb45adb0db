/* migrations: the SQL migrations embedded at build time, and their runner. */
#ifndef SBCTL_MIGRATIONS_H
#define SBCTL_MIGRATIONS_H

#include <stddef.h>

#include "sb_db.h"

typedef struct {
    const char *version; /* file name without .sql, e.g. "0001_init" */
    const char *sql;
} sb_migration_t;

/* Terminated by {NULL, NULL}; generated from schemas/sql. */
extern const sb_migration_t sb_migrations[];

/* schemas/grants.sql: the worker roles and their privileges; generated. */
extern const char sb_grants_sql[];

/* Applies every migration not yet recorded in schema_migrations, each in
 * its own transaction under an advisory lock (concurrent runs serialise).
 * Refuses to go on when an applied migration's text changed. Then
 * (re)applies the grants, so they match schemas/grants.sql. Sets
 * *applied to the number applied. 0 or -1. */
int sb_migrate(sb_db_t *db, int *applied, char *errstr, size_t errstr_size);

#endif
