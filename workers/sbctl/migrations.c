/* migrations: applies the embedded schemas/sql migrations, once each. */
#include "migrations.h"

#include <stdio.h>
#include <string.h>

#include "sb_crypto.h"

/* Any constant works; it only has to be the same for every sbctl. */
#define MIGRATE_LOCK_KEY "7426000101"

static const char *const CREATE_TABLE_SQL = "CREATE TABLE IF NOT EXISTS schema_migrations ("
                                            " version text PRIMARY KEY,"
                                            " checksum text NOT NULL,"
                                            " applied_at timestamptz NOT NULL DEFAULT now())";

/* Applies one migration in its own transaction. Returns 1 when applied,
 * 0 when it already was, -1 on error. */
static int apply_one(sb_db_t *db, const sb_migration_t *m, char *errstr, size_t errstr_size) {
    char sum[SB_SHA256_HEX_LEN + 1];
    const char *params[2];
    PGresult *res = NULL;
    int rc = -1;

    if (sb_sha256_hex(m->sql, strlen(m->sql), sum) == -1) {
        snprintf(errstr, errstr_size, "sha256 failed");
        return -1;
    }
    if (sb_db_begin(db, errstr, errstr_size) == -1)
        return -1;
    if (sb_db_exec(db, "SELECT pg_advisory_xact_lock(" MIGRATE_LOCK_KEY ")", 0, NULL, errstr,
                   errstr_size) == -1 ||
        sb_db_exec(db, CREATE_TABLE_SQL, 0, NULL, errstr, errstr_size) == -1)
        goto out;
    params[0] = m->version;
    res = sb_db_query(db, "SELECT checksum FROM schema_migrations WHERE version = $1", 1, params,
                      errstr, errstr_size);
    if (!res)
        goto out;
    if (PQntuples(res) == 1) {
        if (strcmp(PQgetvalue(res, 0, 0), sum) != 0) {
            snprintf(errstr, errstr_size,
                     "migration %s was applied with different text; a migration must never "
                     "change once released: add a new one instead",
                     m->version);
            goto out;
        }
        rc = 0;
        goto out;
    }
    {
        /* Our own migration text (not user input) may hold many statements,
         * which only the simple query protocol runs. */
        PGresult *r = PQexec(sb_db_conn(db), m->sql);
        if (PQresultStatus(r) != PGRES_COMMAND_OK && PQresultStatus(r) != PGRES_TUPLES_OK) {
            snprintf(errstr, errstr_size, "migration %s failed: %s", m->version,
                     PQresultErrorMessage(r));
            PQclear(r);
            goto out;
        }
        PQclear(r);
    }
    params[1] = sum;
    if (sb_db_exec(db, "INSERT INTO schema_migrations (version, checksum) VALUES ($1, $2)", 2,
                   params, errstr, errstr_size) == -1 ||
        sb_db_commit(db, errstr, errstr_size) == -1)
        goto out;
    rc = 1;
out:
    PQclear(res);
    if (rc != 1)
        sb_db_rollback(db);
    return rc;
}

/* Runs schemas/grants.sql in one transaction, under the migrations' lock
 * (two runs granting on one database at once could fail with "tuple
 * concurrently updated"). */
static int apply_grants(sb_db_t *db, char *errstr, size_t errstr_size) {
    PGresult *r;

    if (sb_db_begin(db, errstr, errstr_size) == -1)
        return -1;
    if (sb_db_exec(db, "SELECT pg_advisory_xact_lock(" MIGRATE_LOCK_KEY ")", 0, NULL, errstr,
                   errstr_size) == -1)
        goto fail;
    /* our own text of many statements: the simple query protocol */
    r = PQexec(sb_db_conn(db), sb_grants_sql);
    if (PQresultStatus(r) != PGRES_COMMAND_OK && PQresultStatus(r) != PGRES_TUPLES_OK) {
        snprintf(errstr, errstr_size,
                 "the worker roles' grants failed: %s(the owner needs CREATEROLE, or the roles "
                 "sb_ingest, sb_prompt, sb_response, sb_escalation and sb_console created "
                 "beforehand)",
                 PQresultErrorMessage(r));
        PQclear(r);
        goto fail;
    }
    PQclear(r);
    return sb_db_commit(db, errstr, errstr_size);
fail:
    sb_db_rollback(db);
    return -1;
}

int sb_migrate(sb_db_t *db, int *applied, char *errstr, size_t errstr_size) {
    *applied = 0;
    for (const sb_migration_t *m = sb_migrations; m->version; m++) {
        int rc = apply_one(db, m, errstr, errstr_size);
        if (rc == -1)
            return -1;
        if (rc == 1) {
            printf("applied %s\n", m->version);
            (*applied)++;
        }
    }
    return apply_grants(db, errstr, errstr_size);
}
