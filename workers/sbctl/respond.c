/* respond: `sbctl respond`, an employee's answer on the console platform. */

/* A response event published to <prefix>responses, as sb-gateway would for
 * a Slack click or message. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "sb_crypto.h"
#include "sb_kafka.h"
#include "sb_schema.h"
#include "sb_time.h"
#include "sbctl.h"

static const char USAGE[] =
    "Usage: sbctl respond USER yes|no|not-me ALERT  (a click on a prompt's button)\n"
    "       sbctl respond USER TEXT...           (a message, e.g. a code, \"no, not me\",\n"
    "                                             help, status, ignore 2h, test)\n\n"
    "Answers as USER on the console platform (SECURITYBOT_CHAT=console): publishes\n"
    "a response event to <prefix>responses for sb-response. USER is an employee's\n"
    "chat user id, username or e-mail; ALERT is an alert id or a unique prefix of\n"
    "at least 8 characters (shown in the console chat log). Prints the event id.\n"
    "Exit codes: 0 sent, 1 unknown user or alert, 2 usage, 3 unavailable.\n";

/* Exactly one row, whatever matched first (the chat user id). */
static const char *const USER_SQL =
    "SELECT chat_user_id FROM employees WHERE chat_user_id IS NOT NULL AND"
    " (chat_user_id = $1 OR lower(username) = lower($1) OR lower(email) = lower($1))"
    " ORDER BY chat_user_id = $1 DESC LIMIT 2";
static const char *const ALERT_SQL =
    "SELECT id FROM alerts WHERE id >= $1 AND id < $1 || 'g' ORDER BY id LIMIT 2";

/* The single value a lookup found, copied into out; 0, 1 none or several, 3 unavailable. */
static int lookup(sbctl_t *ctl, const char *sql, const char *arg, const char *what, char *out,
                  size_t size) {
    const char *params[] = {arg};
    char errstr[512];
    sb_db_t *db = sbctl_db(ctl);
    PGresult *res;
    int n;
    if (!db)
        return SBCTL_UNAVAILABLE;
    if (!(res = sb_db_query(db, sql, 1, params, errstr, sizeof(errstr)))) {
        fprintf(stderr, "sbctl respond: %s\n", errstr);
        return SBCTL_UNAVAILABLE;
    }
    n = PQntuples(res);
    /* an exact chat user id wins over a username that happens to be equal */
    int ok = n == 1 || (n == 2 && sql == USER_SQL && !strcmp(PQgetvalue(res, 0, 0), arg));
    if (ok)
        snprintf(out, size, "%s", PQgetvalue(res, 0, 0));
    else
        fprintf(stderr, "sbctl respond: %s \"%.80s\" %s\n", what, arg,
                n ? "is ambiguous" : "is unknown (or has no chat user id)");
    PQclear(res);
    return ok ? SBCTL_OK : SBCTL_FAIL;
}

static int is_hex(const char *s) {
    for (; *s; s++)
        if (!((*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'f')))
            return 0;
    return 1;
}

/* The event: kind confirm/deny/not_me with an alert, or text. Owned string or NULL. */
static char *event(const char *user, const char *kind, const char *alert, const char *text,
                   char event_id[64]) {
    unsigned char rnd[16];
    char now[40];
    cJSON *o = cJSON_CreateObject();
    char *out = NULL;
    if (sb_random_bytes(rnd, sizeof(rnd)) == -1)
        goto out;
    strcpy(event_id, "console-");
    for (size_t i = 0; i < sizeof(rnd); i++)
        snprintf(event_id + 8 + 2 * i, 3, "%02x", rnd[i]);
    sb_time_format_us(sb_time_now_us(), now, sizeof(now));
    cJSON_AddStringToObject(o, "schema", "response.v1");
    cJSON_AddStringToObject(o, "event_id", event_id);
    cJSON_AddStringToObject(o, "platform", "console");
    cJSON_AddStringToObject(o, "chat_user_id", user);
    if (alert)
        cJSON_AddStringToObject(o, "alert_id", alert);
    else
        cJSON_AddNullToObject(o, "alert_id");
    cJSON_AddStringToObject(o, "kind", kind);
    cJSON_AddStringToObject(o, "text", text);
    cJSON_AddStringToObject(o, "received_at", now);
    out = cJSON_PrintUnformatted(o);
out:
    cJSON_Delete(o);
    return out;
}

int sbctl_cmd_respond(sbctl_t *ctl, int argc, char **argv) {
    char user[128], alert[SB_SHA256_HEX_LEN + 1], event_id[64], errstr[512], topic[SB_TOPIC_MAX],
        text[4001] = "";
    const char *kind = "text";
    char *msg = NULL;
    cJSON *parsed = NULL;
    int rc, button;

    if (sbctl_wants_help(argc, argv, USAGE))
        return SBCTL_OK;
    if (argc < 3) {
        fputs(USAGE, stderr);
        return SBCTL_USAGE;
    }
    button = argc == 4 &&
             (!strcmp(argv[2], "yes") || !strcmp(argv[2], "no") || !strcmp(argv[2], "not-me")) &&
             strlen(argv[3]) >= 8 && strlen(argv[3]) <= SB_SHA256_HEX_LEN && is_hex(argv[3]);
    if ((rc = lookup(ctl, USER_SQL, argv[1], "user", user, sizeof(user))) != SBCTL_OK)
        return rc;
    if (button) {
        if ((rc = lookup(ctl, ALERT_SQL, argv[3], "alert", alert, sizeof(alert))) != SBCTL_OK)
            return rc;
        kind = !strcmp(argv[2], "yes") ? "confirm" : !strcmp(argv[2], "no") ? "deny" : "not_me";
    } else {
        for (int i = 2; i < argc; i++) {
            size_t used = strlen(text);
            snprintf(text + used, sizeof(text) - used, "%s%s", i > 2 ? " " : "", argv[i]);
        }
    }
    if (!(msg = event(user, kind, button ? alert : NULL, text, event_id))) {
        fprintf(stderr, "sbctl respond: out of memory\n");
        return SBCTL_FAIL;
    }
    /* the same check sb-response makes: a text over 4000 characters, say */
    if (sb_schema_parse("response", msg, strlen(msg), &parsed, errstr, sizeof(errstr)) == -1) {
        fprintf(stderr, "sbctl respond: %s\n", errstr);
        rc = SBCTL_USAGE;
        goto out;
    }
    if ((rc = sbctl_publish(ctl, SB_TOPIC_RESPONSES, user, msg, strlen(msg), topic, "respond")) !=
        SBCTL_OK)
        goto out;
    printf("%s\n", event_id);
    rc = SBCTL_OK;
out:
    cJSON_Delete(parsed);
    free(msg);
    return rc;
}
