/* sb_worker: a worker's start-up and teardown, in one fixed order. */
#include "sb_worker.h"

#include <stdio.h>
#include <string.h>

#include "sb_cli.h"
#include "sb_signal.h"

#ifndef SB_VERSION
#define SB_VERSION "unknown"
#endif

#define WARM_MS      5000 /* how long a produced topic's metadata may take at start */
#define MAX_PRODUCES 8    /* topics a worker writes (sb-ingest: 4) */

/* The exit code of a hook's answer. */
static int exit_code(int hook_rc) {
    return hook_rc == SB_WORKER_CONFIG_ERROR ? 2 : 1;
}

/* Everything that only reads the configuration: a problem here exits 2
 * before anything connects. */
static int configure(const sb_worker_spec_t *s, sb_worker_t *w, char *errstr, size_t errstr_size) {
    const sb_common_config_t *c = &s->settings->common;
    if (sb_config_load(s->config, s->nconfig, errstr, errstr_size) == -1 ||
        sb_log_init(s->name, c->log_level, errstr, errstr_size) == -1 ||
        sb_kafka_conf_check(c->kafka_brokers, errstr, errstr_size) == -1)
        return -1;
    w->name = s->name;
    w->prefix = c->topic_prefix;
    if (s->consumes && sb_kafka_topic(w->topic, sizeof(w->topic), w->prefix, s->consumes) == -1) {
        snprintf(errstr, errstr_size, "SECURITYBOT_TOPIC_PREFIX is too long");
        return -1;
    }
    if (s->consumes && s->settings->instance_id && *s->settings->instance_id &&
        sb_consumer_check_instance_id(s->settings->instance_id, errstr, errstr_size) == -1)
        return -1;
    /* the stage's own settings first: they are the likelier mistake */
    if (s->configure && s->configure(s->ctx, w, errstr, errstr_size) != 0)
        return -1;
    if (s->chat && !(w->chat = sb_worker_chat_new(&s->settings->chat, errstr, errstr_size)))
        return -1;
    return 0;
}

/* Creates the producer and looks up the topics it writes, so the first
 * message does not wait for their metadata. */
static int producer_new(const sb_worker_spec_t *s, sb_worker_t *w, char *errstr,
                        size_t errstr_size) {
    char names[MAX_PRODUCES][SB_TOPIC_MAX];
    const char *topics[MAX_PRODUCES];
    size_t n = 0;

    if (!(w->producer = sb_producer_new(s->settings->common.kafka_brokers, errstr, errstr_size)))
        return -1;
    for (; n < MAX_PRODUCES && s->produces[n]; n++) {
        if (sb_kafka_topic(names[n], SB_TOPIC_MAX, w->prefix, s->produces[n]) == -1)
            break;
        topics[n] = names[n];
    }
    sb_producer_warm(w->producer, topics, n, WARM_MS);
    return 0;
}

/* Metrics, database, producer, the stage's start hook, consumer. */
static int connect_clients(const sb_worker_spec_t *s, sb_worker_t *w, char *errstr,
                           size_t errstr_size) {
    const sb_common_config_t *c = &s->settings->common;
    int failed = 0, rc;

    w->metrics =
        sb_metrics_setup(s->name, s->settings->metrics_listen, &failed, errstr, errstr_size);
    if (failed)
        return -1;
    if (s->db && !(w->db = sb_db_connect_retry(c->database_url, s->name, 0, errstr, errstr_size)))
        return -1;
    if (s->produces && producer_new(s, w, errstr, errstr_size) == -1)
        return -1;
    if (s->start && (rc = s->start(s->ctx, w, errstr, errstr_size)) != 0)
        return rc;
    if (s->consumes) {
        const char *topics[] = {w->topic};
        w->consumer = sb_consumer_new(c->kafka_brokers, s->settings->group,
                                      s->settings->instance_id, topics, 1, errstr, errstr_size);
        if (!w->consumer)
            return -1;
        sb_metrics_lag_source(w->metrics, sb_metrics_consumer_lag, w->consumer);
    }
    return 0;
}

/* The message-at-a-time loop the spec declares. */
static void consume(const sb_worker_spec_t *s, sb_worker_t *w) {
    sb_worker_loop_t loop = {
        .schema = s->schema,
        .what = s->what,
        .invalid_level = s->invalid_level,
        .handle = s->handle,
        .skip_permanent_of = s->skip_permanent ? w->db : NULL,
        .tick = s->tick,
        .tick_every_ms = s->tick_every_ms ? *s->tick_every_ms : 1000,
        .tick_what = s->tick_what ? s->tick_what : "tick",
        .ctx = s->ctx,
        .metrics = w->metrics,
        .producer = w->producer,
    };
    sb_worker_consume(&loop, w->consumer);
}

/* Runs the loop until shutdown; 0, -1 or SB_WORKER_CONFIG_ERROR. */
static int run(const sb_worker_spec_t *s, sb_worker_t *w, char *errstr, size_t errstr_size) {
    int rc = 0;
    const char *id = s->settings->instance_id && *s->settings->instance_id
                         ? s->settings->instance_id
                         : "dynamic";
    if (w->consumer && w->chat)
        sb_log_info("consuming %s in group %s (member %s), chat %s", w->topic, s->settings->group,
                    id, sb_chat_platform(w->chat));
    else if (w->consumer)
        sb_log_info("consuming %s in group %s (member %s)", w->topic, s->settings->group, id);
    for (;;) {
        if (s->run)
            rc = s->run(s->ctx, w, errstr, errstr_size);
        else
            consume(s, w);
        /* a fenced static member rejoins: the loop holds no message now */
        if (rc != 0 || !sb_running || !w->consumer || !sb_consumer_fenced(w->consumer))
            break;
        if (sb_consumer_rejoin(w->consumer, errstr, errstr_size) == -1)
            return -1;
    }
    if (rc == 0 && ((w->consumer && sb_consumer_fatal(w->consumer)) ||
                    (w->producer && sb_producer_fatal(w->producer)))) {
        snprintf(errstr, errstr_size, "fatal Kafka client error");
        rc = -1;
    }
    return rc;
}

/* Teardown in a fixed order: the stage's own resources, metrics (they
 * read the consumer), consumer close, producer flush, destroy, PQfinish. */
static void teardown(const sb_worker_spec_t *s, sb_worker_t *w) {
    if (s->stop)
        s->stop(s->ctx);
    sb_metrics_destroy(w->metrics);
    sb_consumer_destroy(w->consumer);
    sb_producer_destroy(w->producer);
    sb_db_destroy(w->db);
    sb_chat_destroy(w->chat);
    sb_config_free(s->config, s->nconfig);
}

int sb_worker_main(const sb_worker_spec_t *s, int argc, char **argv) {
    char errstr[512] = "", dump[4096];
    sb_worker_t w = {0};
    int rc, cli = sb_cli_standard(argc, argv, s->name, s->summary, s->config, s->nconfig);

    if (cli != 0)
        return cli > 0 ? 0 : 2;
    if (configure(s, &w, errstr, sizeof(errstr)) != 0) {
        fprintf(stderr, "%s: %s\n", s->name, errstr);
        teardown(s, &w);
        return 2;
    }
    sb_signal_install();
    sb_config_dump(s->config, s->nconfig, dump, sizeof(dump));
    sb_log_info("starting %s %s with %s", s->name, SB_VERSION, dump);
    if ((rc = connect_clients(s, &w, errstr, sizeof(errstr))) == 0)
        rc = run(s, &w, errstr, sizeof(errstr));
    if (rc == 0)
        sb_log_info("shutting down");
    else
        sb_log_error("%s", errstr);
    teardown(s, &w);
    return rc == 0 ? 0 : exit_code(rc);
}
