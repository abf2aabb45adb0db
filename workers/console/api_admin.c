/* api_admin: what only admins see: the console users (never a password hash). */
#include <stdio.h>

#include "api.h"
#include "sb_log.h"

int api_users_list(console_t *c, api_call_t *call, sb_http_response_t *resp) {
    (void)c;
    return api_list(call, resp, "users",
                    "SELECT coalesce(json_agg(u ORDER BY u.name), '[]') FROM (SELECT name, role, "
                    "disabled, locked_until > now() AS locked, created_at FROM console_users) u",
                    0, NULL);
}
