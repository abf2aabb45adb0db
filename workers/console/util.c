/* util: roles, JSON answers, audit rows and the trusted proxies of sb-console. */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "console.h"
#include "sb_log.h"

static const char *const role_names[] = {"none", "viewer", "responder", "admin"};

console_role_t console_role_parse(const char *s) {
    for (int r = CONSOLE_ROLE_VIEWER; s && r <= CONSOLE_ROLE_ADMIN; r++)
        if (strcmp(s, role_names[r]) == 0)
            return (console_role_t)r;
    return CONSOLE_ROLE_NONE;
}

const char *console_role_name(console_role_t r) {
    return r >= CONSOLE_ROLE_NONE && r <= CONSOLE_ROLE_ADMIN ? role_names[r] : "none";
}

int console_json(sb_http_response_t *resp, int status, cJSON *doc) {
    char *text = doc ? cJSON_PrintUnformatted(doc) : NULL;
    int rc = -1;
    if (text)
        rc = sb_http_respond(resp, status, "application/json", text, strlen(text));
    free(text);
    cJSON_Delete(doc);
    return rc;
}

int console_error(sb_http_response_t *resp, int status, const char *code, const char *detail) {
    cJSON *doc = cJSON_CreateObject();
    if (!doc || !cJSON_AddStringToObject(doc, "error", code) ||
        !cJSON_AddStringToObject(doc, "detail", detail)) {
        cJSON_Delete(doc);
        return -1;
    }
    return console_json(resp, status, doc);
}

int console_audit(sb_db_t *db, const char *actor, const char *action, const char *alert_id,
                  const char *detail, char *errstr, size_t errstr_size) {
    const char *p[] = {actor, action, alert_id, detail};
    return sb_db_exec(db,
                      "INSERT INTO audit_log (actor, action, alert_id, detail) "
                      "VALUES ($1, $2, $3, $4::jsonb)",
                      4, p, errstr, errstr_size);
}

int console_trusted_parse(console_t *c, const char *list, char *errstr, size_t errstr_size) {
    const char *p = list;
    c->ntrusted = 0;
    while (p && *p) {
        size_t n = strcspn(p, ",");
        const char *s = p;
        while (n > 0 && *s == ' ')
            s++, n--;
        while (n > 0 && s[n - 1] == ' ')
            n--;
        if (n == 0 || n >= sizeof(c->trusted[0]) || c->ntrusted == CONSOLE_TRUSTED_MAX) {
            snprintf(errstr, errstr_size,
                     "SECURITYBOT_CONSOLE_TRUSTED_PROXIES: at most %d comma-separated addresses",
                     CONSOLE_TRUSTED_MAX);
            return -1;
        }
        unsigned char bin[16];
        memcpy(c->trusted[c->ntrusted], s, n);
        c->trusted[c->ntrusted][n] = '\0';
        /* numeric only: compared with the peer's address as text */
        if (inet_pton(AF_INET, c->trusted[c->ntrusted], bin) != 1 &&
            inet_pton(AF_INET6, c->trusted[c->ntrusted], bin) != 1) {
            snprintf(errstr, errstr_size,
                     "SECURITYBOT_CONSOLE_TRUSTED_PROXIES: \"%.47s\" is not a numeric address",
                     c->trusted[c->ntrusted]);
            return -1;
        }
        c->ntrusted++;
        p = strchr(p, ',');
        if (p)
            p++;
    }
    return 0;
}

int console_trusted_peer(const console_t *c, const char *addr) {
    for (size_t i = 0; addr && i < c->ntrusted; i++)
        if (strcmp(c->trusted[i], addr) == 0)
            return 1;
    return 0;
}
