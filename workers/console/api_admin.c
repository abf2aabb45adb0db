/* api_admin: what only admins see: the console users (never a password hash). */
#include <stdio.h>

#include "api.h"
#include "sb_log.h"

int api_users_list(console_t *c, api_call_t *call, sb_http_response_t *resp) {
    char errstr[512];
    cJSON *doc;
    PGresult *r = sb_db_query(
        call->db,
        "SELECT coalesce(json_agg(u ORDER BY u.name), '[]') FROM (SELECT name, role, disabled, "
        "locked_until > now() AS locked, created_at FROM console_users) u",
        0, NULL, errstr, sizeof(errstr));
    (void)c;
    if (!r) {
        sb_log_error("users list: %s", errstr);
        return -1;
    }
    doc = cJSON_CreateObject();
    cJSON_AddItemToObject(doc, "users", cJSON_Parse(PQgetvalue(r, 0, 0)));
    PQclear(r);
    return console_json(resp, 200, doc);
}
