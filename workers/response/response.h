/* response: sb-response's decisions. */

/* Sb-response's decisions: one response event read, recorded
 * once (responses.event_id), attributed to its employee, and applied to the
 * alert it answers in one PostgreSQL transaction, with the escalation
 * request and outcome it causes published before COMMIT; and the sweep
 * that publishes outcomes whose comment window has passed. */
#ifndef SB_RESPONSE_H
#define SB_RESPONSE_H

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "sb_chat.h"
#include "sb_command.h"
#include "sb_conversation.h"
#include "sb_aead.h"
#include "sb_crypto.h"
#include "sb_db.h"
#include "sb_kafka.h"
#include "sb_metrics.h"

typedef struct {
    sb_db_t *db;                  /* borrowed */
    sb_producer_t *producer;      /* borrowed */
    sb_metrics_t *metrics;        /* borrowed; may be NULL */
    sb_chat_t *chat;              /* borrowed */
    const char *worker;           /* requested_by, and the actor of the sweep's audit lines */
    const char *platform;         /* the deployment's chat platform; others are refused */
    const char *security_channel; /* guarded changes are posted here; NULL: logged only */
    int require_2fa;              /* SECURITYBOT_REQUIRE_2FA */
    int duo_enabled;              /* Duo is configured (SECURITYBOT_DUO_API_HOST) */
    int64_t reuse_window_ms;      /* SECURITYBOT_2FA_REUSE_WINDOW; 0: off */
    int reuse_max_rank;           /* SECURITYBOT_2FA_REUSE_MAX_SEVERITY's rank */
    int max_failures;             /* SECURITYBOT_2FA_MAX_FAILURES per employee per hour */
    int test_per_hour;            /* SECURITYBOT_TEST_PER_HOUR per employee */
    int64_t comment_window_ms;
    int has_key; /* key holds SECURITYBOT_SECRET_KEY_FILE's key */
    unsigned char key[SB_AEAD_KEY_LEN];
    int sweep_limit;
    char topic_alerts[SB_TOPIC_MAX];
    char topic_prompts[SB_TOPIC_MAX];
    char topic_escalation_requests[SB_TOPIC_MAX];
    char topic_outcomes[SB_TOPIC_MAX];
} sb_response_t;

/* Fills the topic names from the prefix. 0 or -1. */
int sb_response_init(sb_response_t *r, const char *prefix, char *errstr, size_t errstr_size);

/* Publishes the outcomes that are due (a "no" whose comment window has
 * passed), at most sweep_limit. How many, or -1. */
int sb_response_sweep(sb_response_t *r, char *errstr, size_t errstr_size);

#endif
