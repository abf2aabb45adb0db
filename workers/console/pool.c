/* pool: hands sb-console's request threads one PostgreSQL connection each. */
#include "pool.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#include "sb_signal.h"

struct console_pool_s {
    pthread_mutex_t mu;
    pthread_cond_t freed;
    sb_db_t **conns;
    int *busy;
    size_t n;
};

console_pool_t *console_pool_new(const char *conninfo, const char *app, size_t n, char *errstr,
                                 size_t errstr_size) {
    console_pool_t *p = calloc(1, sizeof(*p));
    if (!p) {
        snprintf(errstr, errstr_size, "out of memory");
        return NULL;
    }
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->freed, NULL);
    if (!(p->conns = calloc(n, sizeof(*p->conns))) || !(p->busy = calloc(n, sizeof(int)))) {
        snprintf(errstr, errstr_size, "out of memory");
        goto fail;
    }
    p->n = n;
    for (size_t i = 0; i < n; i++) {
        p->conns[i] = sb_db_connect_retry(conninfo, app, 0, errstr, errstr_size);
        if (!p->conns[i] ||
            sb_db_exec(p->conns[i], "SET TIME ZONE 'UTC'", 0, NULL, errstr, errstr_size) != 0)
            goto fail;
    }
    return p;
fail:
    console_pool_destroy(p);
    return NULL;
}

sb_db_t *console_pool_acquire(console_pool_t *p, char *errstr, size_t errstr_size) {
    sb_db_t *db = NULL;
    size_t i = 0;
    pthread_mutex_lock(&p->mu);
    for (;;) {
        for (i = 0; i < p->n && p->busy[i]; i++)
            ;
        if (i < p->n)
            break;
        pthread_cond_wait(&p->freed, &p->mu);
    }
    p->busy[i] = 1;
    db = p->conns[i];
    pthread_mutex_unlock(&p->mu);
    if (sb_db_ensure(db, errstr, errstr_size) != 0) {
        console_pool_release(p, db);
        return NULL;
    }
    return db;
}

void console_pool_release(console_pool_t *p, sb_db_t *db) {
    if (!db)
        return;
    sb_db_rollback(db); /* a handler that failed mid-transaction leaves nothing open */
    pthread_mutex_lock(&p->mu);
    for (size_t i = 0; i < p->n; i++)
        if (p->conns[i] == db)
            p->busy[i] = 0;
    pthread_cond_signal(&p->freed);
    pthread_mutex_unlock(&p->mu);
}

void console_pool_destroy(console_pool_t *p) {
    if (!p)
        return;
    for (size_t i = 0; p->conns && i < p->n; i++)
        sb_db_destroy(p->conns[i]);
    pthread_mutex_destroy(&p->mu);
    pthread_cond_destroy(&p->freed);
    free(p->conns);
    free(p->busy);
    free(p);
}
