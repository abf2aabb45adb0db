/* duo: sb-response's Duo pushes in flight, driven by threads of their own. */

/* Duo pushes in flight (the duo_pushes rows an employee's "yes" creates):
 * preauth, the push, then auth_status until Duo's answer is final, which
 * is applied to the alert as the employee's answers are (answer.c). They
 * run in threads of their own, each with its own PostgreSQL connection,
 * chat client and HTTP client, so a push that takes a minute never holds
 * up other employees' answers. A thread takes a row by lease (FOR UPDATE
 * SKIP LOCKED, then lease_until), so one replica at a time talks to Duo
 * about a txid, and a crashed replica's rows are taken over when their
 * lease runs out. Duo unavailable: retried with backoff from 1 s to 32 s
 * plus jitter; after SB_CONV_DUO_GIVE_UP_MS the alert is escalated
 * second_factor_unavailable (never confirmed). */
#ifndef SB_RESPONSE_DUO_H
#define SB_RESPONSE_DUO_H

#include <stddef.h>

#include "response.h"
#include "sb_duo.h"
#include "sb_worker.h"

#define SB_DUO_MAX_THREADS   16
#define SB_DUO_PASSCODE_MAX  16 /* Duo passcodes: 6 to 8 digits (hardware tokens) */
#define SB_DUO_LEASE_SLACK_S 15 /* a lease outlasts one call (duo.timeout_ms) by this much */

typedef struct {
    sb_duo_config_t duo;            /* borrowed strings */
    const char *database_url;       /* borrowed */
    const sb_chat_settings_t *chat; /* borrowed */
    const sb_response_t *base;      /* copied per thread: topics, producer, metrics... */
    int threads;                    /* 1 to SB_DUO_MAX_THREADS */
    long long give_up_ms;           /* Duo silent this long: escalate (SB_CONV_DUO_GIVE_UP_MS) */
} sb_duo_poll_config_t;

typedef struct sb_duo_poll_s sb_duo_poll_t;

/* Starts the threads. The configuration must outlive the poller. Returns
 * the poller, or NULL with errstr. */
sb_duo_poll_t *sb_duo_poll_start(const sb_duo_poll_config_t *cfg, char *errstr, size_t errstr_size);

/* Asks the threads to stop, waits for them (a call in flight ends within
 * its timeout; its lease then lets another replica resume), frees all.
 * NULL is a no-op. */
void sb_duo_poll_stop(sb_duo_poll_t *p);

/* Inside the caller's transaction: a push to send for alert_id (the
 * employee said yes). 0 or -1. */
int sb_duo_push_request(sb_db_t *db, const char *alert_id, const char *employee_id,
                        const char *duo_username, char *errstr, size_t errstr_size);

/* Inside the caller's transaction: a Duo passcode the employee typed, for
 * their push that is waiting (timed out, or no device takes pushes),
 * sealed with key. 1 queued, 0 no push waits for one, -1 failure. */
int sb_duo_passcode_request(sb_db_t *db, const unsigned char *key, const char *employee_id,
                            const char *passcode, char *errstr, size_t errstr_size);

/* Inside the caller's transaction: the employee asked for another push.
 * 1 when one was waiting to be resent, 0 when none was, -1 failure. */
int sb_duo_push_again(sb_db_t *db, const char *employee_id, char *errstr, size_t errstr_size);

#endif
