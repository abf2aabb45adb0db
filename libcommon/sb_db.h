/* sb_db: PostgreSQL access. */

/* PostgreSQL access: connect with retry, parameterised statements,
 * transactions, and SQLSTATE classification (retryable or permanent). */
#ifndef SB_DB_H
#define SB_DB_H

#include <stddef.h>
#include <stdint.h>

#include <libpq-fe.h>

#include "sb_buf.h"

typedef enum {
    SB_DB_OK = 0,
    SB_DB_RETRYABLE, /* connection lost, deadlock, serialization, shutdown: retry */
    SB_DB_PERMANENT, /* constraint, syntax, data: retrying will not help */
} sb_db_class_t;

typedef struct sb_db_s sb_db_t;

/* Connects once. Returns an owned handle or NULL with errstr filled (the
 * conninfo itself is never copied into errstr: it may hold a password). */
sb_db_t *sb_db_connect(const char *conninfo, const char *application_name, char *errstr,
                       size_t errstr_size);

/* Connects, retrying with capped exponential backoff while sb_running, for at
 * most max_wait_ms (0 = forever). */
sb_db_t *sb_db_connect_retry(const char *conninfo, const char *application_name, int max_wait_ms,
                             char *errstr, size_t errstr_size);

/* Makes sure the connection is usable, resetting it (with backoff, while
 * sb_running) when the server went away. 0 or -1. */
int sb_db_ensure(sb_db_t *db, char *errstr, size_t errstr_size);

/* One attempt of sb_db_ensure, without waiting: 0 when the connection is
 * usable (reset once if it was broken), else -1 with errstr set. For a
 * thread that must see its own stop flag between attempts. */
int sb_db_ensure_once(sb_db_t *db, char *errstr, size_t errstr_size);

/* Runs a statement with text parameters (NULL = SQL NULL). Returns the
 * result (owned by the caller: PQclear) on COMMAND_OK/TUPLES_OK, else NULL
 * with errstr filled and sb_db_last_class() set. */
PGresult *sb_db_query(sb_db_t *db, const char *sql, int nparams, const char *const *params,
                      char *errstr, size_t errstr_size);

/* on: from now on sb_db_query and sb_db_exec prepare each statement with
 * parameters on first use (per connection) and run it prepared after
 * (no parse and plan each time), for up to 48 distinct texts (the rest
 * run unprepared). For a connection that runs the same few statements
 * many times (sb-response's lanes). */
void sb_db_set_autoprepare(sb_db_t *db, int on);

/* Like sb_db_query for statements whose result is not needed. 0 or -1. */
int sb_db_exec(sb_db_t *db, const char *sql, int nparams, const char *const *params, char *errstr,
               size_t errstr_size);

/* Runs the statement `sql` as the prepared statement `name` (prepared on
 * first use on each connection: a batch statement is planned once, not per
 * batch). lengths/formats as in PQexecPreparedParams (formats[i] 1 =
 * binary); either may be NULL for all-text. Result as sb_db_query. */
PGresult *sb_db_query_prepared(sb_db_t *db, const char *name, const char *sql, int nparams,
                               const char *const *values, const int *lengths, const int *formats,
                               char *errstr, size_t errstr_size);

/* The same, in two halves, so that several connections can work at once:
 * send returns as soon as the statement is on its way (0 or -1), wait
 * blocks for its result (as sb_db_query_prepared returns it). Every
 * successful send must be followed by exactly one wait. */
int sb_db_send_prepared(sb_db_t *db, const char *name, const char *sql, int nparams,
                        const char *const *values, const int *lengths, const int *formats,
                        char *errstr, size_t errstr_size);
PGresult *sb_db_wait(sb_db_t *db, char *errstr, size_t errstr_size);

/* Starts `sql` (a COPY ... FROM STDIN), sends data[0..len) (COPY's text
 * format) and ends the copy: like send, its outcome is sb_db_wait's. The
 * start is one round trip (the server must answer before data may
 * follow). 0, or -1 with nothing left in flight: the connection is ready
 * for the next statement unless it is gone. */
int sb_db_copy_send(sb_db_t *db, const char *sql, const char *data, size_t len, char *errstr,
                    size_t errstr_size);

/* A one-dimensional array parameter in PostgreSQL's binary format, built
 * without any quoting or escaping. Elements are text (oid 25), bytea (17),
 * int4 (23) or int8 (20). */
#define SB_DB_OID_BYTEA 17
#define SB_DB_OID_INT8  20
#define SB_DB_OID_INT4  23
#define SB_DB_OID_TEXT  25

typedef struct {
    sb_buf_t bytes; /* owned; header reserved at the front; err: out of memory or over 2 GiB */
    unsigned oid;
    int count;
    int has_null;
    int failed; /* set by the caller (or an element over 2 GiB): finish returns NULL */
} sb_db_array_t;

void sb_db_array_init(sb_db_array_t *a, unsigned elem_oid);
/* data NULL = SQL NULL. For text/bytea. */
void sb_db_array_add(sb_db_array_t *a, const void *data, size_t len);
void sb_db_array_add_int4(sb_db_array_t *a, int32_t v);
void sb_db_array_add_int8(sb_db_array_t *a, int64_t v);
/* Completes the header; returns the bytes (still owned by a) and their
 * length, or NULL after an allocation failure. */
const char *sb_db_array_finish(sb_db_array_t *a, int *len);
void sb_db_array_free(sb_db_array_t *a);

int sb_db_begin(sb_db_t *db, char *errstr, size_t errstr_size);
int sb_db_commit(sb_db_t *db, char *errstr, size_t errstr_size);
/* Rolls back if a transaction is open; never fails loudly (the connection
 * may already be gone). */
void sb_db_rollback(sb_db_t *db);

sb_db_class_t sb_db_last_class(const sb_db_t *db);
const char *sb_db_last_sqlstate(const sb_db_t *db); /* "" when none */
sb_db_class_t sb_db_classify(const char *sqlstate, int connection_ok);

PGconn *sb_db_conn(sb_db_t *db);
void sb_db_destroy(sb_db_t *db); /* NULL is a no-op */

#endif
