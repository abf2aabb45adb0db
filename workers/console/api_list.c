/* api_list: a list endpoint's answer: one statement's JSON array under one key. */
#include "api.h"
#include "sb_log.h"

int api_list(api_call_t *call, sb_http_response_t *resp, const char *key, const char *sql, int n,
             const char *const *params) {
    char errstr[512];
    cJSON *doc;
    PGresult *r = sb_db_query(call->db, sql, n, params, errstr, sizeof(errstr));
    if (!r) {
        sb_log_error("%s: %s", key, errstr);
        return -1;
    }
    doc = cJSON_CreateObject();
    cJSON_AddItemToObject(doc, key, cJSON_Parse(PQgetvalue(r, 0, 0)));
    PQclear(r);
    return console_json(resp, 200, doc);
}
