/* tokens: `sbctl tokens create|list|revoke`, bearer tokens for scripts that use sb-console's API.
 */
#include <stdio.h>
#include <string.h>

#include "sb_crypto.h"
#include "sbctl.h"

static const char USAGE[] =
    "Usage: sbctl tokens create NAME --role viewer|responder|admin\n"
    "       sbctl tokens list [--format text|json]\n"
    "       sbctl tokens revoke NAME\n\n"
    "A bearer token for a script that calls sb-console's API (Authorization:\n"
    "Bearer TOKEN) with a role. create prints the token once, alone on the last\n"
    "line of standard output; only its SHA-256 is stored. Requests with a token\n"
    "need no CSRF token. NAME: 1-64 characters of letters, digits and ._@+-.\n"
    "Exit codes: 0 ok, 1 duplicate or unknown name, 2 usage, 3 unavailable.\n";

/* "sbc_": a leaked console token is recognisable to secret scanners. */
#define TOKEN_PREFIX "sbc_"

/* $1 name, $2 role, $3 hash, $4 operator. */
static const char CREATE_SQL[] =
    "WITH ins AS (INSERT INTO console_tokens (name, role, token_hash, created_by)"
    "   VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING RETURNING name, role),"
    " audit AS (INSERT INTO audit_log (actor, action, detail) SELECT 'sbctl',"
    "   'console_token_created', jsonb_build_object('token', name, 'role', role,"
    "   'operator', $4::text) FROM ins)"
    " SELECT name FROM ins";

static int cmd_create(sbctl_t *ctl, int argc, char **argv) {
    const char *role = NULL, *pos[1], *p[4];
    const sbctl_opt_t opts[] = {{"--role", &role, NULL}};
    char token[SB_TOKEN_MAX], hash[SB_SHA256_HEX_LEN + 1], errstr[512];
    int npos, rc = SBCTL_FAIL;
    PGresult *r;
    sb_db_t *db;

    if (sbctl_parse_opts("tokens create", argc, argv, 2, opts, 1, pos, 1, &npos) == -1 ||
        npos != 1 || !role) {
        fputs(USAGE, stderr);
        return SBCTL_USAGE;
    }
    if (!sbctl_console_name_ok(pos[0]) ||
        (strcmp(role, "viewer") && strcmp(role, "responder") && strcmp(role, "admin"))) {
        fprintf(stderr, "sbctl tokens create: bad NAME or --role (viewer, responder or admin)\n");
        return SBCTL_USAGE;
    }
    if (!(db = sbctl_db(ctl)))
        return SBCTL_UNAVAILABLE;
    if (sb_random_token(TOKEN_PREFIX, token) != 0 ||
        sb_sha256_hex(token, strlen(token), hash) != 0) {
        fprintf(stderr, "sbctl tokens create: no random bytes from libcrypto\n");
        goto out;
    }
    p[0] = pos[0], p[1] = role, p[2] = hash, p[3] = sbctl_operator();
    if (!(r = sb_db_query(db, CREATE_SQL, 4, p, errstr, sizeof(errstr)))) {
        rc = sbctl_db_failed(ctl, "tokens create", errstr);
        goto out;
    }
    if (PQntuples(r) == 0) {
        fprintf(stderr, "sbctl tokens create: a token named %s exists already\n", pos[0]);
    } else {
        fprintf(stderr, "# token %s (%s), shown once (\"Authorization: Bearer <token>\"):\n",
                pos[0], role);
        printf("%s\n", token);
        rc = fflush(stdout) == 0 ? SBCTL_OK : SBCTL_FAIL;
    }
    PQclear(r);
out:
    sb_crypto_wipe(token, sizeof(token));
    return rc;
}

static int cmd_revoke(sbctl_t *ctl, int argc, char **argv) {
    const char *pos[1], *p[2];
    char errstr[512];
    int npos, rows;
    PGresult *r;
    sb_db_t *db;
    if (sbctl_parse_opts("tokens revoke", argc, argv, 2, NULL, 0, pos, 1, &npos) == -1 ||
        npos != 1) {
        fputs(USAGE, stderr);
        return SBCTL_USAGE;
    }
    if (!(db = sbctl_db(ctl)))
        return SBCTL_UNAVAILABLE;
    p[0] = pos[0], p[1] = sbctl_operator();
    if (!(r = sb_db_query(db,
                          "WITH upd AS (UPDATE console_tokens SET revoked_at = now() WHERE "
                          "lower(name) = lower($1) AND revoked_at IS NULL RETURNING name),"
                          " audit AS (INSERT INTO audit_log (actor, action, detail) SELECT 'sbctl',"
                          " 'console_token_revoked', jsonb_build_object('token', name, "
                          "'operator', $2::text) FROM upd) SELECT name FROM upd",
                          2, p, errstr, sizeof(errstr))))
        return sbctl_db_failed(ctl, "tokens revoke", errstr);
    rows = PQntuples(r);
    PQclear(r);
    if (rows == 0) {
        fprintf(stderr, "sbctl tokens revoke: no active token %s\n", pos[0]);
        return SBCTL_FAIL;
    }
    printf("%s revoked\n", pos[0]);
    return SBCTL_OK;
}

static int cmd_list(sbctl_t *ctl, int argc, char **argv) {
    const char *format = NULL, *pos[1];
    const sbctl_opt_t opts[] = {{"--format", &format, NULL}};
    int npos, rc = SBCTL_OK;
    sb_report_format_t fmt;
    char errstr[512];
    PGresult *r;
    sb_db_t *db;
    cJSON *arr, *t;
    if (sbctl_parse_opts("tokens list", argc, argv, 2, opts, 1, pos, 0, &npos) == -1 ||
        sbctl_parse_format("tokens list", format, 0, &fmt) == -1)
        return SBCTL_USAGE;
    if (!(db = sbctl_db(ctl)))
        return SBCTL_UNAVAILABLE;
    if (!(r = sb_db_query(db,
                          "SELECT coalesce(json_agg(t ORDER BY t.id), '[]') FROM (SELECT id, name, "
                          "role, created_by, " SBCTL_TS("created_at") " AS created_at, " SBCTL_TS(
                              "last_used_at") " AS last_used_at, revoked_at IS NOT NULL AS "
                                              "revoked FROM console_tokens) t",
                          0, NULL, errstr, sizeof(errstr))))
        return sbctl_db_failed(ctl, "tokens list", errstr);
    arr = cJSON_Parse(PQgetvalue(r, 0, 0));
    PQclear(r);
    if (fmt == SB_REPORT_JSON)
        return sbctl_print_json(arr);
    printf("%-32s %-10s %-8s %s\n", "NAME", "ROLE", "STATE", "CREATED BY");
    cJSON_ArrayForEach(t, arr) {
        printf("%-32s %-10s %-8s %s\n", cJSON_GetObjectItem(t, "name")->valuestring,
               cJSON_GetObjectItem(t, "role")->valuestring,
               cJSON_IsTrue(cJSON_GetObjectItem(t, "revoked")) ? "revoked" : "active",
               cJSON_GetObjectItem(t, "created_by")->valuestring);
    }
    cJSON_Delete(arr);
    return rc;
}

int sbctl_cmd_tokens(sbctl_t *ctl, int argc, char **argv) {
    static const sbctl_sub_t subs[] = {
        {"create", cmd_create},
        {"list", cmd_list},
        {"revoke", cmd_revoke},
    };
    return sbctl_dispatch(ctl, argc, argv, USAGE, subs, sizeof(subs) / sizeof(subs[0]));
}
