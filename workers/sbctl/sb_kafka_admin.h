/* sb_kafka_admin: topic creation for `sbctl topics` (librdkafka admin API). */
#ifndef SB_KAFKA_ADMIN_H
#define SB_KAFKA_ADMIN_H

#include <stddef.h>

/* Creates every topic in names (n), ignoring those that exist. replication
 * 0: 3 when the cluster has three brokers or more, else its broker count.
 * Topics with 3 copies or more get min.insync.replicas=2. 0 or -1. */
int sb_kafka_create_topics(const char *brokers, const char *const *names, size_t n, int partitions,
                           int replication, int timeout_ms, char *errstr, size_t errstr_size);

#endif
