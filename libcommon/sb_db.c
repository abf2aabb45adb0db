/* sb_db: PostgreSQL access over libpq, parameterised statements only. */
#include "sb_db.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sb_log.h"
#include "sb_signal.h"

struct sb_db_s {
    PGconn *conn;
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

static void sleep_ms(long ms) {
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* Server notices (e.g. "already exists, skipping") are routine: debug. */
static void notice_cb(void *arg, const char *message) {
    (void)arg;
    sb_log_debug("postgres notice: %.*s", (int)strcspn(message, "\n"), message);
}

static PGconn *open_conn(const char *conninfo, const char *appname, char *errstr,
                         size_t errstr_size) {
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

sb_db_t *sb_db_connect_retry(const char *conninfo, const char *application_name,
                             int max_wait_ms, char *errstr, size_t errstr_size) {
    long backoff = 100, waited = 0;
    for (;;) {
        sb_db_t *db = sb_db_connect(conninfo, application_name, errstr, errstr_size);
        if (db || !sb_running || (max_wait_ms > 0 && waited >= max_wait_ms))
            return db;
        sb_log_warn("%s; retrying in %ld ms", errstr, backoff);
        sleep_ms(backoff);
        waited += backoff;
        backoff = backoff * 2 > 5000 ? 5000 : backoff * 2;
    }
}

int sb_db_ensure(sb_db_t *db, char *errstr, size_t errstr_size) {
    long backoff = 100;
    while (PQstatus(db->conn) != CONNECTION_OK) {
        if (!sb_running) {
            snprintf(errstr, errstr_size, "postgres: not connected (shutting down)");
            return -1;
        }
        PQreset(db->conn);
        if (PQstatus(db->conn) == CONNECTION_OK) {
            sb_log_info("postgres: reconnected");
            break;
        }
        copy_error(errstr, errstr_size, "postgres: reconnect failed: ", PQerrorMessage(db->conn));
        sb_log_warn("%s; retrying in %ld ms", errstr, backoff);
        sleep_ms(backoff);
        backoff = backoff * 2 > 5000 ? 5000 : backoff * 2;
    }
    return 0;
}

sb_db_class_t sb_db_classify(const char *sqlstate, int connection_ok) {
    if (!connection_ok)
        return SB_DB_RETRYABLE;
    if (!sqlstate || !*sqlstate)
        return SB_DB_RETRYABLE; /* no server answer: the connection broke */
    if (strncmp(sqlstate, "08", 2) == 0 || /* connection exception */
        strncmp(sqlstate, "40", 2) == 0 || /* serialization failure, deadlock */
        strncmp(sqlstate, "53", 2) == 0 || /* insufficient resources */
        strncmp(sqlstate, "57P", 3) == 0 || /* admin/crash shutdown, cannot connect now */
        strncmp(sqlstate, "58", 2) == 0 || /* system error */
        strcmp(sqlstate, "55P03") == 0)     /* lock not available */
        return SB_DB_RETRYABLE;
    return SB_DB_PERMANENT;
}

PGresult *sb_db_query(sb_db_t *db, const char *sql, int nparams, const char *const *params,
                      char *errstr, size_t errstr_size) {
    PGresult *res;
    ExecStatusType st;
    const char *state;

    db->sqlstate[0] = '\0';
    db->last_class = SB_DB_OK;
    res = PQexecParams(db->conn, sql, nparams, NULL, params, NULL, NULL, 0);
    st = res ? PQresultStatus(res) : PGRES_FATAL_ERROR;
    if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK)
        return res;

    state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
    snprintf(db->sqlstate, sizeof(db->sqlstate), "%s", state ? state : "");
    db->last_class = sb_db_classify(db->sqlstate, PQstatus(db->conn) == CONNECTION_OK);
    copy_error(errstr, errstr_size, "postgres: ",
               res ? PQresultErrorMessage(res) : PQerrorMessage(db->conn));
    PQclear(res);
    return NULL;
}

int sb_db_exec(sb_db_t *db, const char *sql, int nparams, const char *const *params,
               char *errstr, size_t errstr_size) {
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
    if (PQstatus(db->conn) != CONNECTION_OK ||
        PQtransactionStatus(db->conn) == PQTRANS_IDLE)
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
    PQfinish(db->conn);
    free(db);
}
