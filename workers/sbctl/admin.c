/* admin: `sbctl migrate` and `sbctl topics`, the set-up commands. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "migrations.h"
#include "sb_kafka.h"
#include "sb_kafka_admin.h"
#include "sbctl.h"

static const char MIGRATE_USAGE[] =
    "Usage: sbctl migrate\n\n"
    "Applies the SQL migrations built into sbctl (schemas/sql) that the database\n"
    "has not seen, each in its own transaction, recorded in schema_migrations.\n"
    "Then creates the workers' database roles that are missing (sb_ingest,\n"
    "sb_prompt, sb_response, sb_escalation, sb_console: LOGIN, no password; see\n"
    "sbctl roles) and grants each what its SQL needs, revoking anything else, so\n"
    "the grants always match this sbctl. Run it as the role that owns the tables\n"
    "(with CREATEROLE, or create the roles beforehand). Running it again changes\n"
    "nothing. Needs SECURITYBOT_DATABASE_URL.\n";

static const char TOPICS_USAGE[] =
    "Usage: sbctl topics [--partitions N] [--replication R]\n\n"
    "Creates every securitybot topic under SECURITYBOT_TOPIC_PREFIX; topics that\n"
    "exist are left as they are. Defaults: 6 partitions; replication 3 when the\n"
    "cluster has three brokers or more (with min.insync.replicas=2), else one copy\n"
    "per broker.\n";

int sbctl_cmd_migrate(sbctl_t *ctl, int argc, char **argv) {
    char errstr[1024];
    int applied;
    sb_db_t *db;

    if (sbctl_wants_help(argc, argv, MIGRATE_USAGE))
        return SBCTL_OK;
    if (argc > 1) {
        fprintf(stderr, "sbctl migrate: unexpected argument \"%s\"\n", argv[1]);
        return SBCTL_USAGE;
    }
    if (!(db = sbctl_db(ctl)))
        return SBCTL_UNAVAILABLE;
    if (sb_migrate(db, &applied, errstr, sizeof(errstr)) == -1) {
        fprintf(stderr, "sbctl migrate: %s\n", errstr);
        return SBCTL_FAIL;
    }
    printf("%d migration(s) applied; schema is up to date\n", applied);
    return SBCTL_OK;
}

static int parse_count(const char *s, long min, long max, long *out) {
    char *end;
    long v = strtol(s, &end, 10);
    if (!*s || *end || v < min || v > max)
        return -1;
    *out = v;
    return 0;
}

int sbctl_cmd_topics(sbctl_t *ctl, int argc, char **argv) {
    const char *names[16];
    char bufs[16][SB_TOPIC_MAX], errstr[512];
    long partitions = 6, replication = 0; /* 0: from the cluster's size */
    size_t n = 0;

    if (sbctl_wants_help(argc, argv, TOPICS_USAGE))
        return SBCTL_OK;
    /* options come in pairs: NAME VALUE */
    for (int i = 1; i < argc; i += 2) {
        long *target = !strcmp(argv[i], "--partitions")    ? &partitions
                       : !strcmp(argv[i], "--replication") ? &replication
                                                           : NULL;
        if (!target || i + 1 >= argc || parse_count(argv[i + 1], 1, 10000, target) == -1) {
            fprintf(stderr, "sbctl topics: bad argument \"%s\" (see --help)\n", argv[i]);
            return SBCTL_USAGE;
        }
    }
    if (sb_kafka_conf_check(ctl->cfg.kafka_brokers, errstr, sizeof(errstr)) == -1) {
        fprintf(stderr, "sbctl topics: %s\n", errstr);
        return SBCTL_USAGE;
    }
    for (const char *const *s = sb_kafka_topic_suffixes; *s; s++) {
        if (sb_kafka_topic(bufs[n], SB_TOPIC_MAX, ctl->cfg.topic_prefix, *s) == -1) {
            fprintf(stderr, "sbctl topics: SECURITYBOT_TOPIC_PREFIX is too long\n");
            return SBCTL_USAGE;
        }
        names[n] = bufs[n];
        n++;
    }
    if (sb_kafka_create_topics(ctl->cfg.kafka_brokers, names, n, (int)partitions, (int)replication,
                               15000, errstr, sizeof(errstr)) == -1) {
        fprintf(stderr, "sbctl topics: %s\n", errstr);
        return SBCTL_UNAVAILABLE;
    }
    for (size_t i = 0; i < n; i++)
        printf("%s\n", names[i]);
    return SBCTL_OK;
}
