/* users: `sbctl users add|list|disable|enable|reset`, who may use sb-console. */

/* Passwords are stored only as Argon2id hashes (sb_password); a new or
 * reset password is generated and printed once, or read from standard
 * input. Every change is recorded in audit_log. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sb_crypto.h"
#include "sb_password.h"
#include "sbctl.h"

static const char USAGE[] =
    "Usage: sbctl users add NAME --role viewer|responder|admin [--password-stdin | --sso]\n"
    "       sbctl users list [--format text|json]\n"
    "       sbctl users disable NAME | enable NAME\n"
    "       sbctl users reset NAME [--password-stdin]\n\n"
    "Console users are the security team (sb-console), not employees. add and\n"
    "reset print a new random password once, alone on the last line of standard\n"
    "output, or read one (12 to 256 bytes) from standard input with\n"
    "--password-stdin; --sso: no password (single sign-on through a trusted\n"
    "header only). reset also unlocks the account and ends its sessions;\n"
    "disable ends its sessions and refuses its logins. NAME: 1-64 characters of\n"
    "letters, digits and ._@+- (an e-mail address fits).\n"
    "Exit codes: 0 ok, 1 unknown or duplicate user, 2 usage, 3 unavailable.\n";

int sbctl_console_name_ok(const char *s) {
    size_t n = strlen(s);
    if (n == 0 || n > 64 ||
        !strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", s[0]))
        return 0;
    return strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._@+-") == n;
}

/* The password: read from stdin (with_stdin) or generated into pw
 * (SB_PASSWORD_MAX + 2 bytes); 0, or -1 after a message. */
static int new_password(const char *cmd, int with_stdin, char *pw, size_t size) {
    size_t n;
    if (!with_stdin) {
        if (sb_password_generate(pw, size) == 0)
            return 0;
        fprintf(stderr, "sbctl %s: no random bytes from libcrypto\n", cmd);
        return -1;
    }
    if (!fgets(pw, (int)size, stdin)) {
        fprintf(stderr, "sbctl %s: no password on standard input\n", cmd);
        return -1;
    }
    n = strcspn(pw, "\r\n");
    pw[n] = '\0';
    if (n < SB_PASSWORD_MIN || n > SB_PASSWORD_MAX) {
        fprintf(stderr, "sbctl %s: the password must be %d to %d bytes\n", cmd, SB_PASSWORD_MIN,
                SB_PASSWORD_MAX);
        return -1;
    }
    return 0;
}

/* Runs a statement that changes one user and writes its audit row; the
 * number of rows it changed, or -1 (printed). */
static int change(sbctl_t *ctl, const char *cmd, const char *sql, int n, const char *const *p) {
    char errstr[512];
    PGresult *r;
    sb_db_t *db = sbctl_db(ctl);
    int rows;
    if (!db)
        return -SBCTL_UNAVAILABLE;
    if (!(r = sb_db_query(db, sql, n, p, errstr, sizeof(errstr))))
        return -sbctl_db_failed(ctl, cmd, errstr);
    rows = PQntuples(r);
    PQclear(r);
    return rows;
}

/* $1 name, $2 role, $3 hash (NULL: SSO only), $4 operator. */
static const char ADD_SQL[] =
    "WITH ins AS (INSERT INTO console_users (name, role, password_hash) VALUES ($1, $2, $3)"
    "   ON CONFLICT DO NOTHING RETURNING name, role),"
    " audit AS (INSERT INTO audit_log (actor, action, detail) SELECT 'sbctl',"
    "   'console_user_added', jsonb_build_object('user', name, 'role', role, 'operator', $4::text)"
    "   FROM ins)"
    " SELECT name FROM ins";

static int cmd_add(sbctl_t *ctl, int argc, char **argv) {
    const char *role = NULL, *pos[1];
    int with_stdin = 0, sso = 0, npos, rows, rc = SBCTL_FAIL;
    const sbctl_opt_t opts[] = {
        {"--role", &role, NULL}, {"--password-stdin", NULL, &with_stdin}, {"--sso", NULL, &sso}};
    char pw[SB_PASSWORD_MAX + 2], hash[SB_PASSWORD_HASH_MAX], errstr[256];
    const char *p[4];

    if (sbctl_parse_opts("users add", argc, argv, 2, opts, 3, pos, 1, &npos) == -1 || npos != 1 ||
        !role || (with_stdin && sso)) {
        fputs(USAGE, stderr);
        return SBCTL_USAGE;
    }
    if (!sbctl_console_name_ok(pos[0]) ||
        (strcmp(role, "viewer") && strcmp(role, "responder") && strcmp(role, "admin"))) {
        fprintf(stderr, "sbctl users add: bad NAME or --role (viewer, responder or admin)\n");
        return SBCTL_USAGE;
    }
    if (!sso && (new_password("users add", with_stdin, pw, sizeof(pw)) != 0 ||
                 sb_password_hash(pw, hash, errstr, sizeof(errstr)) != 0))
        goto out;
    p[0] = pos[0], p[1] = role, p[2] = sso ? NULL : hash, p[3] = sbctl_operator();
    if ((rows = change(ctl, "users add", ADD_SQL, 4, p)) < 0) {
        rc = -rows;
        goto out;
    }
    if (rows == 0) {
        fprintf(stderr, "sbctl users add: %s exists already\n", pos[0]);
        goto out;
    }
    fprintf(stderr, "# console user %s added as %s\n", pos[0], role);
    if (!sso && !with_stdin) {
        fprintf(stderr, "# the password, shown once:\n");
        printf("%s\n", pw);
    }
    rc = fflush(stdout) == 0 ? SBCTL_OK : SBCTL_FAIL;
out:
    sb_crypto_wipe(pw, sizeof(pw));
    return rc;
}

/* $1 name, $2 hash, $3 operator. */
static const char RESET_SQL[] =
    "WITH upd AS (UPDATE console_users SET password_hash = $2, locked_until = NULL,"
    "   updated_at = now() WHERE lower(name) = lower($1) RETURNING id, name),"
    " s AS (DELETE FROM console_sessions WHERE user_id IN (SELECT id FROM upd)),"
    " f AS (DELETE FROM console_login_failures WHERE user_id IN (SELECT id FROM upd)),"
    " audit AS (INSERT INTO audit_log (actor, action, detail) SELECT 'sbctl',"
    "   'console_user_reset', jsonb_build_object('user', name, 'operator', $3::text) FROM upd)"
    " SELECT name FROM upd";

static int cmd_reset(sbctl_t *ctl, int argc, char **argv) {
    const char *pos[1];
    int with_stdin = 0, npos, rows, rc = SBCTL_FAIL;
    const sbctl_opt_t opts[] = {{"--password-stdin", NULL, &with_stdin}};
    char pw[SB_PASSWORD_MAX + 2], hash[SB_PASSWORD_HASH_MAX], errstr[256];
    const char *p[3];

    if (sbctl_parse_opts("users reset", argc, argv, 2, opts, 1, pos, 1, &npos) == -1 || npos != 1) {
        fputs(USAGE, stderr);
        return SBCTL_USAGE;
    }
    if (new_password("users reset", with_stdin, pw, sizeof(pw)) != 0 ||
        sb_password_hash(pw, hash, errstr, sizeof(errstr)) != 0)
        goto out;
    p[0] = pos[0], p[1] = hash, p[2] = sbctl_operator();
    if ((rows = change(ctl, "users reset", RESET_SQL, 3, p)) <= 0) {
        if (rows == 0)
            fprintf(stderr, "sbctl users reset: no console user %s\n", pos[0]);
        rc = rows < 0 ? -rows : SBCTL_FAIL;
        goto out;
    }
    fprintf(stderr, "# %s reset: unlocked, sessions ended\n", pos[0]);
    if (!with_stdin) {
        fprintf(stderr, "# the new password, shown once:\n");
        printf("%s\n", pw);
    }
    rc = fflush(stdout) == 0 ? SBCTL_OK : SBCTL_FAIL;
out:
    sb_crypto_wipe(pw, sizeof(pw));
    return rc;
}

/* $1 name, $2 disabled, $3 operator. */
static const char ABLE_SQL[] =
    "WITH upd AS (UPDATE console_users SET disabled = $2::boolean, updated_at = now()"
    "   WHERE lower(name) = lower($1) RETURNING id, name),"
    " s AS (DELETE FROM console_sessions WHERE $2::boolean AND user_id IN (SELECT id FROM upd)),"
    " audit AS (INSERT INTO audit_log (actor, action, detail) SELECT 'sbctl',"
    "   CASE WHEN $2::boolean THEN 'console_user_disabled' ELSE 'console_user_enabled' END,"
    "   jsonb_build_object('user', name, 'operator', $3::text) FROM upd)"
    " SELECT name FROM upd";

static int cmd_able(sbctl_t *ctl, int argc, char **argv, int disable) {
    const char *cmd = disable ? "users disable" : "users enable", *pos[1], *p[3];
    int npos, rows;
    if (sbctl_parse_opts(cmd, argc, argv, 2, NULL, 0, pos, 1, &npos) == -1 || npos != 1) {
        fputs(USAGE, stderr);
        return SBCTL_USAGE;
    }
    p[0] = pos[0], p[1] = disable ? "true" : "false", p[2] = sbctl_operator();
    if ((rows = change(ctl, cmd, ABLE_SQL, 3, p)) < 0)
        return -rows;
    if (rows == 0) {
        fprintf(stderr, "sbctl %s: no console user %s\n", cmd, pos[0]);
        return SBCTL_FAIL;
    }
    printf("%s %s\n", pos[0], disable ? "disabled" : "enabled");
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
    if (sbctl_parse_opts("users list", argc, argv, 2, opts, 1, pos, 0, &npos) == -1 ||
        sbctl_parse_format("users list", format, 0, &fmt) == -1)
        return SBCTL_USAGE;
    if (!(db = sbctl_db(ctl)))
        return SBCTL_UNAVAILABLE;
    if (!(r = sb_db_query(db,
                          "SELECT coalesce(json_agg(u ORDER BY lower(u.name)), '[]') FROM (SELECT "
                          "name, role, password_hash IS NOT NULL AS password, disabled, "
                          "coalesce(locked_until > now(), false) AS locked, " SBCTL_TS(
                              "created_at") " AS created_at FROM console_users) u",
                          0, NULL, errstr, sizeof(errstr))))
        return sbctl_db_failed(ctl, "users list", errstr);
    if (fmt == SB_REPORT_JSON) {
        rc = sbctl_print_json(cJSON_Parse(PQgetvalue(r, 0, 0)));
    } else {
        cJSON *arr = cJSON_Parse(PQgetvalue(r, 0, 0)), *u;
        printf("%-32s %-10s %-8s %s\n", "NAME", "ROLE", "STATE", "CREATED");
        cJSON_ArrayForEach(u, arr) {
            const char *st = cJSON_IsTrue(cJSON_GetObjectItem(u, "disabled")) ? "disabled"
                             : cJSON_IsTrue(cJSON_GetObjectItem(u, "locked")) ? "locked"
                                                                              : "active";
            printf("%-32s %-10s %-8s %s\n", cJSON_GetObjectItem(u, "name")->valuestring,
                   cJSON_GetObjectItem(u, "role")->valuestring, st,
                   cJSON_GetObjectItem(u, "created_at")->valuestring);
        }
        cJSON_Delete(arr);
    }
    PQclear(r);
    return rc;
}

static int cmd_disable(sbctl_t *ctl, int argc, char **argv) {
    return cmd_able(ctl, argc, argv, 1);
}

static int cmd_enable(sbctl_t *ctl, int argc, char **argv) {
    return cmd_able(ctl, argc, argv, 0);
}

int sbctl_cmd_users(sbctl_t *ctl, int argc, char **argv) {
    static const sbctl_sub_t subs[] = {
        {"add", cmd_add},         {"list", cmd_list},     {"reset", cmd_reset},
        {"disable", cmd_disable}, {"enable", cmd_enable},
    };
    return sbctl_dispatch(ctl, argc, argv, USAGE, subs, sizeof(subs) / sizeof(subs[0]));
}
