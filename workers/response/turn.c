/* turn: the state of one response event being handled, its reply and its audit lines. */
#include "turn.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sb_utf8.h"

static const char *const AUDIT_SQL =
    "INSERT INTO audit_log (actor, action, alert_id, employee_id, detail)"
    " VALUES ($1, $2, $3, $4::bigint, $5::jsonb)";

void sb_turn_reply(sb_turn_t *t, const char *fmt, ...) {
    va_list ap;
    char buf[2048];
    va_start(ap, fmt);
    vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    buf[sb_utf8_cut(buf, sizeof(buf) - 1)] = '\0'; /* a cut reply must stay UTF-8 */
    free(t->reply);
    t->reply = strdup(buf);
}

int sb_turn_audit(sb_turn_t *t, const char *action, const char *alert_id, cJSON *detail,
                  char *errstr, size_t errstr_size) {
    char *json = detail ? cJSON_PrintUnformatted(detail) : NULL;
    const char *params[] = {t->actor, action, alert_id, t->employee[0] ? t->employee : NULL, json};
    int rc;
    cJSON_Delete(detail);
    if (detail && !json) {
        snprintf(errstr, errstr_size, "out of memory");
        return -1;
    }
    rc = sb_db_exec(t->r->db, AUDIT_SQL, 5, params, errstr, errstr_size);
    free(json);
    return rc;
}

void sb_turn_free(sb_turn_t *t) {
    free(t->reply);
    free(t->update_text);
    free(t->notice);
    PQclear(t->update_row);
}
