/* producer_check: sb_producer's handles against the real broker (0048). */

/* Usage: producer_check TOPIC MISSING_TOPIC. TOPIC exists; MISSING_TOPIC
 * does not and the broker does not create topics, so a message to it is
 * refused once librdkafka gives up waiting for it
 * (SECURITYBOT_KAFKA_TOPIC_METADATA_PROPAGATION_MAX_MS, set by the test).
 * Checks, each printed:
 * 1. A share's failed message fails the share's flush only: the handle it
 *    was shared from, flushed while that report is served, succeeds. One
 *    counter for the whole producer (as before) gave the failure to
 *    whichever flush served it, and let the other transaction commit.
 * 2. Four threads, each with its own share, send and flush at once: every
 *    flush succeeds, and the topic gets every message (the script counts).
 * 3. After a fatal producer error a flush fails even with nothing queued:
 *    no transaction may commit on a producer whose deliveries are unknown.
 * Prints "sent N" for the script to count TOPIC against. */
#include <librdkafka/rdkafka.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sb_producer.h"

#define THREADS    4
#define PER_THREAD 200

static int failures = 0;

static void check(int ok, const char *what, const char *detail) {
    detail = ok ? NULL : detail; /* an error buffer says something only on a failure */
    printf("%s: %s%s%s\n", ok ? "ok" : "FAIL", what, detail ? ": " : "", detail ? detail : "");
    failures += !ok;
}

static int send_one(sb_producer_t *p, const char *topic, const char *value, char *errstr,
                    size_t size) {
    return sb_producer_send(p, topic, "k", 1, value, strlen(value), errstr, size);
}

typedef struct {
    sb_producer_t *share;
    const char *topic;
    int rc;
    char errstr[512];
} worker_t;

static void *worker(void *arg) {
    worker_t *w = arg;
    char value[64];
    w->rc = 0;
    for (int round = 0; round < PER_THREAD / 20 && w->rc == 0; round++) {
        for (int i = 0; i < 20 && w->rc == 0; i++) {
            snprintf(value, sizeof(value), "thread message %d", round * 20 + i);
            w->rc = send_one(w->share, w->topic, value, w->errstr, sizeof(w->errstr));
        }
        if (w->rc == 0)
            w->rc = sb_producer_flush(w->share, 10000, w->errstr, sizeof(w->errstr));
    }
    return NULL;
}

/* 1: the share's failure is the share's. */
static int separate_failures(sb_producer_t *p, const char *topic, const char *missing) {
    char errstr[512] = "", why[512] = "";
    sb_producer_t *q = sb_producer_share(p, errstr, sizeof(errstr));
    int rc_p, rc_q;
    if (!q || send_one(q, missing, "to a missing topic", errstr, sizeof(errstr)) == -1 ||
        send_one(p, topic, "separate", errstr, sizeof(errstr)) == -1) {
        check(0, "send", errstr);
        sb_producer_destroy(q);
        return 1;
    }
    /* the missing topic's report is due after the propagation wait (1 s):
     * p's flush, started later, is the one that serves it */
    sleep(3);
    rc_p = sb_producer_flush(p, 10000, errstr, sizeof(errstr));
    check(rc_p == 0, "the handle's flush succeeds while its share's message fails", errstr);
    rc_q = sb_producer_flush(q, 10000, why, sizeof(why));
    check(rc_q == -1 && strstr(why, "not delivered") != NULL,
          "the share's flush fails with its own message's error", rc_q ? why : "it succeeded");
    printf("  (%s)\n", why);
    rc_q = sb_producer_flush(q, 1000, why, sizeof(why));
    check(rc_q == 0, "the share's next flush starts afresh", why);
    sb_producer_destroy(q);
    return 1;
}

/* 2: shares flushing at once on threads of their own. */
static int threads(sb_producer_t *p, const char *topic) {
    worker_t w[THREADS];
    pthread_t tid[THREADS];
    char errstr[512];
    int sent = 0;
    for (int i = 0; i < THREADS; i++) {
        w[i] = (worker_t){.topic = topic};
        if (!(w[i].share = sb_producer_share(p, errstr, sizeof(errstr))) ||
            pthread_create(&tid[i], NULL, worker, &w[i]) != 0) {
            check(0, "start a thread", errstr);
            exit(1);
        }
    }
    for (int i = 0; i < THREADS; i++) {
        pthread_join(tid[i], NULL);
        check(w[i].rc == 0, "a thread's flushes all succeed", w[i].rc ? w[i].errstr : NULL);
        sent += w[i].rc == 0 ? PER_THREAD : 0;
        sb_producer_destroy(w[i].share);
    }
    return sent;
}

/* 3: nothing commits after a fatal error. */
static void fatal(sb_producer_t *p, const char *topic) {
    char errstr[512] = "";
    int rc = send_one(p, topic, "before the fatal error", errstr, sizeof(errstr)) == 0
                 ? sb_producer_flush(p, 10000, errstr, sizeof(errstr))
                 : -1;
    check(rc == 0, "a flush before the fatal error succeeds", errstr);
    sb_producer_test_fatal(p);
    rc = sb_producer_flush(p, 2000, errstr, sizeof(errstr));
    check(rc == -1 && strstr(errstr, "fatal") != NULL, "after a fatal error an empty flush fails",
          errstr);
    check(sb_producer_fatal(p) == 1, "the producer says it is fatal", NULL);
}

int main(int argc, char **argv) {
    char errstr[512];
    sb_producer_t *p;
    int sent;
    if (argc != 3) {
        fprintf(stderr, "usage: producer_check TOPIC MISSING_TOPIC\n");
        return 2;
    }
    if (!(p = sb_producer_new(getenv("SECURITYBOT_KAFKA_BROKERS"), errstr, sizeof(errstr)))) {
        fprintf(stderr, "producer: %s\n", errstr);
        return 1;
    }
    sent = separate_failures(p, argv[1], argv[2]);
    sent += threads(p, argv[1]);
    fatal(p, argv[1]);
    sent += 1;
    sb_producer_destroy(p);
    printf("sent %d\n", sent);
    return failures ? 1 : 0;
}
