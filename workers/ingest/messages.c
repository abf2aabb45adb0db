/* messages: the JSON of the messages sb-ingest sends. */

/* Prompt requests, escalation requests, suppressed and
 * confirmed_recently outcomes and dead letters (the contract in schemas/README.md; ids from sb_id).
 */
#include "messages.h"
#include "sb_message.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "sb_crypto.h"
#include "sb_id.h"
#include "sb_schema.h"
#include "sb_utf8.h"

char *sb_ingest_dead_letter_json(const char *topic, const rd_kafka_message_t *m, const char *reason,
                                 const char *detail, const char *now) {
    cJSON *o = sb_message_dead_letter(topic, m->partition, (int64_t)m->offset, m->payload, m->len,
                                      reason, detail, now);
    char *out = o ? cJSON_PrintUnformatted(o) : NULL;
    cJSON_Delete(o);
    return out;
}

char *sb_ingest_downstream_json(PGresult *res, int row, const char *now, sb_ingest_target_t *target,
                                const char **key) {
    const char *id = PQgetvalue(res, row, 0), *status = PQgetvalue(res, row, 2),
               *reason = PQgetvalue(res, row, 3), *severity = PQgetvalue(res, row, 4);
    const char *employee = PQgetisnull(res, row, 1) ? NULL : PQgetvalue(res, row, 1);
    cJSON *o = cJSON_CreateObject();
    char *out = NULL;

    if (!o)
        return NULL;
    if (!strcmp(status, "queued")) {
        sb_message_start(o, "prompt", id, NULL);
        cJSON_AddStringToObject(o, "employee_id", employee);
        cJSON_AddStringToObject(o, "severity", severity);
        cJSON_AddStringToObject(o, "rule", PQgetvalue(res, row, 5));
        cJSON_AddStringToObject(o, "title", PQgetvalue(res, row, 6));
        cJSON_AddStringToObject(o, "occurred_at", PQgetvalue(res, row, 7));
        cJSON_AddStringToObject(o, "requested_at", now);
        *target = SB_INGEST_TO_PROMPTS;
        *key = employee;
    } else if (!strcmp(status, "escalation_requested")) {
        cJSON_Delete(o);
        *target = SB_INGEST_TO_ESCALATION_REQUESTS;
        *key = id;
        return sb_message_escalation_request(id, employee, reason, severity, NULL, "sb-ingest",
                                             now);
    } else if (!strcmp(status, "suppressed") || !strcmp(reason, "confirmed_recently")) {
        int recent = !strcmp(status, "confirmed");
        sb_message_start(o, "outcome", id, NULL);
        cJSON_AddStringToObject(o, "outcome", recent ? "confirmed_recently" : "suppressed");
        cJSON_AddStringToObject(o, "employee_id", employee);
        cJSON_AddStringToObject(o, "answer", "none");
        cJSON_AddNullToObject(o, "comment");
        cJSON_AddStringToObject(o, "second_factor", "not_attempted");
        cJSON_AddStringToObject(o, "second_factor_method", "none");
        cJSON_AddStringToObject(o, "rule", PQgetvalue(res, row, 5));
        cJSON_AddStringToObject(o, "severity", severity);
        cJSON_AddStringToObject(o, "decided_at", now);
        /* the confirmation this one leans on (schemas/README.md) */
        if (recent)
            cJSON_AddStringToObject(o, "recent_confirmation", PQgetvalue(res, row, 8));
        *target = SB_INGEST_TO_OUTCOMES;
        *key = id;
    } else {
        /* Already moved on by a later stage: nothing left to dispatch. */
        cJSON_Delete(o);
        return NULL;
    }
    out = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    return out;
}
