/* sb_db: PostgreSQL access over libpq, parameterised statements only. */
#include "sb_db.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sb_log.h"
#include "sb_signal.h"
#include "sb_time.h"

#define SB_DB_MAX_PREPARED 64
#define SB_DB_MAX_AUTO     48 /* statements sb_db_set_autoprepare prepares */

struct sb_db_s {
    PGconn *conn;
    /* statements prepared on the current connection (names are static
     * strings of the callers); forgotten when the connection is reset */
    const char *prepared[SB_DB_MAX_PREPARED];
    int nprepared;
    /* sb_db_set_autoprepare: each parameterised text seen, and its name */
    int autoprepare;
    struct {
        char *sql;
        char name[16];
    } autos[SB_DB_MAX_AUTO];
    int nauto;
    char sqlstate[6];
    sb_db_class_t last_class;
};

/* Keeps error text to one line: libpq's messages end in newlines. */
static void copy_error(char *errstr, size_t errstr_size, const char *prefix, const char *msg) {
    size_t n;
    snprintf(errstr, errstr_size, "%s%s", prefix, msg ? msg : "");
    n = strlen(errstr);
    while (n > 0 && (errstr[n - 1] == '\n' || errstr[n - 1] == ' '))
        errstr[--n] = '\0';
    for (size_t i = 0; i < n; i++)
        if (errstr[i] == '\n')
            errstr[i] = ' ';
}

/* Server notices (e.g. "already exists, skipping") are routine: debug. */
static void notice_cb(void *arg, const char *message) {
    (void)arg;
    sb_log_debug("postgres notice: %.*s", (int)strcspn(message, "\n"), message);
}

static PGconn *open_conn(const char *conninfo, const char *appname, char *errstr,
                         size_t errstr_size) {
    /* libpq's parse errors quote the offending token, which may be the
     * password: check the string first and say only that it is malformed. */
    char *perr = NULL;
    PQconninfoOption *opts = PQconninfoParse(conninfo, &perr);
    if (!opts) {
        PQfreemem(perr);
        snprintf(errstr, errstr_size,
                 "postgres: malformed connection string (not shown: it may hold a password)");
        return NULL;
    }
    PQconninfoFree(opts);
    const char *keys[] = {"dbname", "application_name", "connect_timeout", NULL};
    const char *vals[] = {conninfo, appname ? appname : "securitybot", "10", NULL};
    /* expand_dbname=1: conninfo may be a URI or key=value string. */
    PGconn *conn = PQconnectdbParams(keys, vals, 1);
    if (!conn) {
        snprintf(errstr, errstr_size, "postgres: out of memory");
        return NULL;
    }
    if (PQstatus(conn) != CONNECTION_OK) {
        copy_error(errstr, errstr_size, "postgres: connect failed: ", PQerrorMessage(conn));
        PQfinish(conn);
        return NULL;
    }
    PQsetNoticeProcessor(conn, notice_cb, NULL);
    return conn;
}

sb_db_t *sb_db_connect(const char *conninfo, const char *application_name, char *errstr,
                       size_t errstr_size) {
    sb_db_t *db;
    PGconn *conn = open_conn(conninfo, application_name, errstr, errstr_size);
    if (!conn)
        return NULL;
    db = calloc(1, sizeof(*db));
    if (!db) {
        PQfinish(conn);
        snprintf(errstr, errstr_size, "out of memory");
        return NULL;
    }
    db->conn = conn;
    return db;
}

sb_db_t *sb_db_connect_retry(const char *conninfo, const char *application_name, int max_wait_ms,
                             char *errstr, size_t errstr_size) {
    long backoff = 100, waited = 0;
    for (;;) {
        sb_db_t *db = sb_db_connect(conninfo, application_name, errstr, errstr_size);
        if (db || !sb_running || (max_wait_ms > 0 && waited >= max_wait_ms))
            return db;
        sb_log_warn("%s; retrying in %ld ms", errstr, backoff);
        sb_time_sleep_ms(backoff);
        waited += backoff;
        backoff = backoff * 2 > 5000 ? 5000 : backoff * 2;
    }
}

int sb_db_ensure_once(sb_db_t *db, char *errstr, size_t errstr_size) {
    if (PQstatus(db->conn) == CONNECTION_OK)
        return 0;
    PQreset(db->conn);
    db->nprepared = 0; /* a new session knows none of them */
    if (PQstatus(db->conn) == CONNECTION_OK) {
        sb_log_info("postgres: reconnected");
        return 0;
    }
    copy_error(errstr, errstr_size, "postgres: reconnect failed: ", PQerrorMessage(db->conn));
    return -1;
}

int sb_db_ensure(sb_db_t *db, char *errstr, size_t errstr_size) {
    long backoff = 100;
    while (PQstatus(db->conn) != CONNECTION_OK) {
        if (!sb_running) {
            snprintf(errstr, errstr_size, "postgres: not connected (shutting down)");
            return -1;
        }
        if (sb_db_ensure_once(db, errstr, errstr_size) == 0)
            break;
        sb_log_warn("%s; retrying in %ld ms", errstr, backoff);
        sb_time_sleep_ms(backoff);
        backoff = backoff * 2 > 5000 ? 5000 : backoff * 2;
    }
    return 0;
}

sb_db_class_t sb_db_classify(const char *sqlstate, int connection_ok) {
    if (!connection_ok)
        return SB_DB_RETRYABLE;
    if (!sqlstate || !*sqlstate)
        return SB_DB_RETRYABLE;             /* no server answer: the connection broke */
    if (strncmp(sqlstate, "08", 2) == 0 ||  /* connection exception */
        strncmp(sqlstate, "40", 2) == 0 ||  /* serialization failure, deadlock */
        strncmp(sqlstate, "53", 2) == 0 ||  /* insufficient resources */
        strncmp(sqlstate, "57P", 3) == 0 || /* admin/crash shutdown, cannot connect now */
        strncmp(sqlstate, "58", 2) == 0 ||  /* system error */
        strcmp(sqlstate, "55P03") == 0)     /* lock not available */
        return SB_DB_RETRYABLE;
    return SB_DB_PERMANENT;
}

/* Records the failure of res (may be NULL) in db and errstr. */
static void fail_result(sb_db_t *db, PGresult *res, char *errstr, size_t errstr_size) {
    const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
    snprintf(db->sqlstate, sizeof(db->sqlstate), "%s", state ? state : "");
    db->last_class = sb_db_classify(db->sqlstate, PQstatus(db->conn) == CONNECTION_OK);
    copy_error(errstr, errstr_size,
               "postgres: ", res ? PQresultErrorMessage(res) : PQerrorMessage(db->conn));
}

/* Returns res when it holds a success, else records why, frees it and
 * returns NULL. */
static PGresult *take_result(sb_db_t *db, PGresult *res, char *errstr, size_t errstr_size) {
    ExecStatusType st = res ? PQresultStatus(res) : PGRES_FATAL_ERROR;
    if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK)
        return res;
    fail_result(db, res, errstr, errstr_size);
    PQclear(res);
    return NULL;
}

static void reset_error(sb_db_t *db) {
    db->sqlstate[0] = '\0';
    db->last_class = SB_DB_OK;
}

/* The name sql is prepared under when autoprepare is on; NULL: run it
 * unprepared (off, no parameters, or the table is full). */
static const char *auto_name(sb_db_t *db, const char *sql, int nparams) {
    if (!db->autoprepare || nparams == 0)
        return NULL;
    for (int i = 0; i < db->nauto; i++)
        if (!strcmp(db->autos[i].sql, sql)) /* a caller's buffer may be reused */
            return db->autos[i].name;
    if (db->nauto == SB_DB_MAX_AUTO || !(db->autos[db->nauto].sql = strdup(sql)))
        return NULL;
    snprintf(db->autos[db->nauto].name, sizeof(db->autos[0].name), "sb_auto_%d", db->nauto);
    return db->autos[db->nauto++].name;
}

void sb_db_set_autoprepare(sb_db_t *db, int on) {
    db->autoprepare = on;
}

PGresult *sb_db_query(sb_db_t *db, const char *sql, int nparams, const char *const *params,
                      char *errstr, size_t errstr_size) {
    const char *name = auto_name(db, sql, nparams);
    if (name)
        return sb_db_query_prepared(db, name, sql, nparams, params, NULL, NULL, errstr,
                                    errstr_size);
    reset_error(db);
    return take_result(db, PQexecParams(db->conn, sql, nparams, NULL, params, NULL, NULL, 0),
                       errstr, errstr_size);
}

static int ensure_prepared(sb_db_t *db, const char *name, const char *sql, int nparams,
                           char *errstr, size_t errstr_size) {
    PGresult *res;
    for (int i = 0; i < db->nprepared; i++)
        if (db->prepared[i] == name || !strcmp(db->prepared[i], name))
            return 0;
    if (db->nprepared == SB_DB_MAX_PREPARED) {
        snprintf(errstr, errstr_size, "postgres: too many prepared statements");
        db->last_class = SB_DB_PERMANENT;
        return -1;
    }
    res = PQprepare(db->conn, name, sql, nparams, NULL);
    if (!res || PQresultStatus(res) != PGRES_COMMAND_OK) {
        fail_result(db, res, errstr, errstr_size);
        PQclear(res);
        return -1;
    }
    PQclear(res);
    db->prepared[db->nprepared++] = name;
    return 0;
}

PGresult *sb_db_query_prepared(sb_db_t *db, const char *name, const char *sql, int nparams,
                               const char *const *values, const int *lengths, const int *formats,
                               char *errstr, size_t errstr_size) {
    reset_error(db);
    if (ensure_prepared(db, name, sql, nparams, errstr, errstr_size) == -1)
        return NULL;
    return take_result(db, PQexecPrepared(db->conn, name, nparams, values, lengths, formats, 0),
                       errstr, errstr_size);
}

int sb_db_send_prepared(sb_db_t *db, const char *name, const char *sql, int nparams,
                        const char *const *values, const int *lengths, const int *formats,
                        char *errstr, size_t errstr_size) {
    reset_error(db);
    if (ensure_prepared(db, name, sql, nparams, errstr, errstr_size) == -1)
        return -1;
    if (!PQsendQueryPrepared(db->conn, name, nparams, values, lengths, formats, 0)) {
        fail_result(db, NULL, errstr, errstr_size);
        return -1;
    }
    return 0;
}

PGresult *sb_db_wait(sb_db_t *db, char *errstr, size_t errstr_size) {
    PGresult *res, *first = NULL;
    /* drain every result so the connection is ready for the next query */
    while ((res = PQgetResult(db->conn))) {
        if (first)
            PQclear(res);
        else
            first = res;
    }
    return take_result(db, first, errstr, errstr_size);
}

/* Reads what is left of a failed statement. A copy still open (its end
 * could not be sent) answers COPY_IN again and again while the connection
 * stands: stop there rather than loop. */
static void drain(sb_db_t *db) {
    PGresult *res;
    while ((res = PQgetResult(db->conn))) {
        ExecStatusType st = PQresultStatus(res);
        PQclear(res);
        if (st == PGRES_COPY_IN || st == PGRES_COPY_OUT)
            break;
    }
}

int sb_db_copy_send(sb_db_t *db, const char *sql, const char *data, size_t len, char *errstr,
                    size_t errstr_size) {
    PGresult *res;
    reset_error(db);
    if (len > SB_BUF_MAX) {
        snprintf(errstr, errstr_size, "postgres: COPY data over 2 GiB");
        db->last_class = SB_DB_PERMANENT;
        return -1;
    }
    res = PQexec(db->conn, sql);
    if (!res || PQresultStatus(res) != PGRES_COPY_IN) {
        /* an error (or, were sql not a COPY FROM STDIN, a plain result):
         * either way nothing is in flight once it is read */
        fail_result(db, res, errstr, errstr_size);
        PQclear(res);
        drain(db);
        return -1;
    }
    PQclear(res);
    if (PQputCopyData(db->conn, data, (int)len) == 1 && PQputCopyEnd(db->conn, NULL) == 1)
        return 0;
    /* the connection failed while sending: end the copy if it still can,
     * and read what is left, so that nothing stays in flight */
    fail_result(db, NULL, errstr, errstr_size);
    PQputCopyEnd(db->conn, "sb_db: sending the data failed");
    drain(db);
    return -1;
}

/* ---- binary array parameters ---- */

#define ARRAY_HEADER 20 /* ndim, has_null, oid, dim size, lower bound */

static void put32(char *p, uint32_t v) {
    p[0] = (char)(v >> 24);
    p[1] = (char)(v >> 16);
    p[2] = (char)(v >> 8);
    p[3] = (char)v;
}

/* Whether more can go in: nothing is added after a failure. */
static int array_ok(const sb_db_array_t *a) {
    return !a->failed && !a->bytes.err;
}

/* Appends v as a big-endian 32-bit word. */
static void add32(sb_db_array_t *a, uint32_t v) {
    char p[4];
    put32(p, v);
    sb_buf_add(&a->bytes, p, sizeof(p));
}

void sb_db_array_init(sb_db_array_t *a, unsigned elem_oid) {
    static const char header[ARRAY_HEADER] = {0}; /* filled in by finish */
    memset(a, 0, sizeof(*a));
    a->oid = elem_oid;
    sb_buf_add(&a->bytes, header, sizeof(header));
}

void sb_db_array_add(sb_db_array_t *a, const void *data, size_t len) {
    if (!array_ok(a))
        return;
    if (!data) {
        add32(a, 0xffffffffu);
        a->has_null = 1;
    } else if (len > (size_t)INT32_MAX - 4) {
        a->failed = 1;
        return;
    } else {
        add32(a, (uint32_t)len);
        sb_buf_add(&a->bytes, data, len);
    }
    a->count++;
}

void sb_db_array_add_int4(sb_db_array_t *a, int32_t v) {
    if (!array_ok(a))
        return;
    add32(a, 4);
    add32(a, (uint32_t)v);
    a->count++;
}

void sb_db_array_add_int8(sb_db_array_t *a, int64_t v) {
    if (!array_ok(a))
        return;
    add32(a, 8);
    add32(a, (uint32_t)((uint64_t)v >> 32));
    add32(a, (uint32_t)v);
    a->count++;
}

const char *sb_db_array_finish(sb_db_array_t *a, int *len) {
    char *h = a->bytes.s;
    if (!array_ok(a) || !h)
        return NULL;
    put32(h, 1);
    put32(h + 4, (uint32_t)a->has_null);
    put32(h + 8, a->oid);
    put32(h + 12, (uint32_t)a->count);
    put32(h + 16, 1);
    *len = (int)a->bytes.len; /* under SB_BUF_MAX, so an int */
    return h;
}

void sb_db_array_free(sb_db_array_t *a) {
    sb_buf_free(&a->bytes);
    memset(a, 0, sizeof(*a));
}

int sb_db_exec(sb_db_t *db, const char *sql, int nparams, const char *const *params, char *errstr,
               size_t errstr_size) {
    PGresult *res = sb_db_query(db, sql, nparams, params, errstr, errstr_size);
    if (!res)
        return -1;
    PQclear(res);
    return 0;
}

int sb_db_begin(sb_db_t *db, char *errstr, size_t errstr_size) {
    return sb_db_exec(db, "BEGIN", 0, NULL, errstr, errstr_size);
}

int sb_db_commit(sb_db_t *db, char *errstr, size_t errstr_size) {
    return sb_db_exec(db, "COMMIT", 0, NULL, errstr, errstr_size);
}

void sb_db_rollback(sb_db_t *db) {
    PGresult *res;
    if (PQstatus(db->conn) != CONNECTION_OK || PQtransactionStatus(db->conn) == PQTRANS_IDLE)
        return;
    res = PQexec(db->conn, "ROLLBACK");
    PQclear(res);
}

sb_db_class_t sb_db_last_class(const sb_db_t *db) {
    return db->last_class;
}

const char *sb_db_last_sqlstate(const sb_db_t *db) {
    return db->sqlstate;
}

PGconn *sb_db_conn(sb_db_t *db) {
    return db->conn;
}

void sb_db_destroy(sb_db_t *db) {
    if (!db)
        return;
    for (int i = 0; i < db->nauto; i++)
        free(db->autos[i].sql);
    PQfinish(db->conn);
    free(db);
}
