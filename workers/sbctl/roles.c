/* roles: `sbctl roles list|password`, the workers' database roles. */

/* sbctl migrate creates the roles (schemas/grants.sql) without a password;
 * `password` gives one, read from standard input and sent to the server
 * only as its SCRAM verifier (PQencryptPasswordConn), so the plain password
 * appears in no statement, server log or pg_stat_activity. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sb_crypto.h"
#include "sbctl.h"

#define ROLE_PASSWORD_MIN 12
#define ROLE_PASSWORD_MAX 256

static const char USAGE[] =
    "Usage: sbctl roles list\n"
    "       sbctl roles password ROLE < FILE\n\n"
    "The workers' database roles, which sbctl migrate creates (LOGIN, no\n"
    "password) and grants what each worker's SQL needs: sb_ingest, sb_prompt,\n"
    "sb_response, sb_escalation, sb_console (sb-gateway has none). list prints\n"
    "each with whether it may log in. password sets ROLE's password from the\n"
    "first line of standard input (12 to 256 bytes), sent as a SCRAM verifier.\n"
    "Run as the owner (the role sbctl migrate runs as; it needs CREATEROLE).\n"
    "Exit codes: 0 ok, 1 unknown role or refused, 2 usage, 3 unavailable.\n";

static const char *const ROLES[] = {"sb_ingest",     "sb_prompt",  "sb_response",
                                    "sb_escalation", "sb_console", NULL};

static int known_role(const char *s) {
    for (const char *const *r = ROLES; *r; r++)
        if (!strcmp(*r, s))
            return 1;
    return 0;
}

static int roles_list(sbctl_t *ctl) {
    static const char *const SQL = "SELECT r, coalesce(rolcanlogin::text, 'missing')"
                                   " FROM unnest($1::text[]) WITH ORDINALITY AS u(r, n)"
                                   " LEFT JOIN pg_roles ON rolname = r ORDER BY n";
    const char *params[] = {"{sb_ingest,sb_prompt,sb_response,sb_escalation,sb_console}"};
    char errstr[512];
    sb_db_t *db = sbctl_db(ctl);
    PGresult *res;

    if (!db)
        return SBCTL_UNAVAILABLE;
    if (!(res = sb_db_query(db, SQL, 1, params, errstr, sizeof(errstr))))
        return sbctl_db_failed(ctl, "roles list", errstr);
    for (int i = 0; i < PQntuples(res); i++) {
        const char *login = PQgetvalue(res, i, 1);
        printf("%-14s %s\n", PQgetvalue(res, i, 0),
               !strcmp(login, "true")    ? "login"
               : !strcmp(login, "false") ? "nologin"
                                         : "missing (run sbctl migrate)");
    }
    PQclear(res);
    return SBCTL_OK;
}

/* The password from stdin into pw (ROLE_PASSWORD_MAX + 2 bytes); 0 or -1. */
static int read_password(char *pw, size_t size) {
    size_t n;
    if (!fgets(pw, (int)size, stdin)) {
        fprintf(stderr, "sbctl roles password: no password on standard input\n");
        return -1;
    }
    n = strcspn(pw, "\r\n");
    pw[n] = '\0';
    if (n < ROLE_PASSWORD_MIN || n > ROLE_PASSWORD_MAX) {
        fprintf(stderr, "sbctl roles password: the password must be %d to %d bytes\n",
                ROLE_PASSWORD_MIN, ROLE_PASSWORD_MAX);
        return -1;
    }
    return 0;
}

static int roles_password(sbctl_t *ctl, const char *role) {
    char pw[ROLE_PASSWORD_MAX + 2], errstr[512];
    char *verifier = NULL, *ident = NULL, *literal = NULL, *sql = NULL;
    int rc = SBCTL_FAIL;
    sb_db_t *db;
    PGconn *conn;

    if (read_password(pw, sizeof(pw)) == -1)
        return SBCTL_USAGE;
    if (!(db = sbctl_db(ctl))) {
        rc = SBCTL_UNAVAILABLE;
        goto out;
    }
    conn = sb_db_conn(db);
    /* NULL: the server's password_encryption (scram-sha-256 by default) */
    if (!(verifier = PQencryptPasswordConn(conn, pw, role, NULL)) ||
        !(ident = PQescapeIdentifier(conn, role, strlen(role))) ||
        !(literal = PQescapeLiteral(conn, verifier, strlen(verifier)))) {
        fprintf(stderr, "sbctl roles password: %s", PQerrorMessage(conn));
        goto out;
    }
    size_t len = strlen(ident) + strlen(literal) + 32;
    if (!(sql = malloc(len))) {
        fprintf(stderr, "sbctl roles password: out of memory\n");
        goto out;
    }
    snprintf(sql, len, "ALTER ROLE %s PASSWORD %s", ident, literal);
    if (sb_db_exec(db, sql, 0, NULL, errstr, sizeof(errstr)) == -1) {
        rc = sbctl_db_failed(ctl, "roles password", errstr);
        goto out;
    }
    printf("password set for %s\n", role);
    rc = SBCTL_OK;
out:
    sb_crypto_wipe(pw, sizeof(pw));
    free(sql);
    PQfreemem(literal);
    PQfreemem(ident);
    PQfreemem(verifier);
    return rc;
}

int sbctl_cmd_roles(sbctl_t *ctl, int argc, char **argv) {
    if (sbctl_wants_help(argc, argv, USAGE))
        return SBCTL_OK;
    if (argc == 2 && !strcmp(argv[1], "list"))
        return roles_list(ctl);
    if (argc == 3 && !strcmp(argv[1], "password")) {
        if (!known_role(argv[2])) {
            fprintf(stderr,
                    "sbctl roles password: unknown role \"%s\" (sb_ingest, sb_prompt, "
                    "sb_response, sb_escalation or sb_console)\n",
                    argv[2]);
            return SBCTL_FAIL;
        }
        return roles_password(ctl, argv[2]);
    }
    fputs(USAGE, stderr);
    return SBCTL_USAGE;
}
