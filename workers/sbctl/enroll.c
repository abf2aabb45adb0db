/* enroll: `sbctl enroll USER [--duo]`, the employee's second factor. */

/* An employee has one second factor. TOTP: a fresh secret, stored sealed
 * (AES-256-GCM, bound to the employee), and the otpauth:// URI for the
 * employee's authenticator app. Duo: their Duo username (Duo holds the
 * devices); the TOTP secret, if any, is dropped. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sb_aead.h"
#include "sb_crypto.h"
#include "sb_totp.h"
#include "sbctl.h"

static const char USAGE[] =
    "Usage: sbctl enroll USER [--issuer NAME]\n"
    "       sbctl enroll USER --duo [--duo-username NAME]\n\n"
    "Gives the employee (username, e-mail or alias) a new TOTP secret and prints\n"
    "the otpauth:// URI to load into their authenticator app (and a QR code when\n"
    "`qrencode` is installed). The URI holds the secret: hand it to the employee\n"
    "only. Any earlier secret stops working. The secret is stored encrypted with\n"
    "the key in SECURITYBOT_SECRET_KEY_FILE (32 bytes as 64 hex characters or\n"
    "base64, readable by its owner only). Default issuer: securitybot.\n\n"
    "--duo switches the employee to Duo push instead (their TOTP secret is\n"
    "dropped); their Duo username is NAME, by default their username.\n";

static const char *const FIND_SQL =
    "SELECT e.id, e.username FROM employee_identities ei"
    " JOIN employees e ON e.id = ei.employee_id WHERE ei.identity = lower($1)";

static const char *const STORE_SQL =
    "WITH upd AS (UPDATE employees SET totp_secret_enc = $2, totp_last_step = NULL,"
    "   duo_username = NULL,"
    "   updated_at = now() WHERE id = $1::bigint RETURNING id)"
    " INSERT INTO audit_log (actor, action, employee_id, detail)"
    " SELECT 'sbctl', 'totp_enrolled', id, '{}'::jsonb FROM upd";

/* $1 employee id, $2 Duo username. */
static const char *const DUO_SQL =
    "WITH upd AS (UPDATE employees SET duo_username = $2, totp_secret_enc = NULL,"
    "   updated_at = now() WHERE id = $1::bigint RETURNING id)"
    " INSERT INTO audit_log (actor, action, employee_id, detail)"
    " SELECT 'sbctl', 'duo_enrolled', id, jsonb_build_object('duo_username', $2::text) FROM upd";

/* Shows the URI as a QR code when qrencode is there (fed on stdin, so the
 * secret is never on a command line). Best effort. */
static void print_qr(const char *uri) {
    FILE *p;
    if (system("command -v qrencode >/dev/null 2>&1") != 0)
        return;
    if ((p = popen("qrencode -t ANSIUTF8 -o -", "w"))) {
        fputs(uri, p);
        pclose(p);
    }
}

/* Seals a new secret for employee id and stores it; prints the URI. */
static int enroll(sb_db_t *db, const unsigned char key[SB_AEAD_KEY_LEN], const char *id,
                  const char *username, const char *issuer) {
    unsigned char secret[SB_TOTP_SECRET_LEN], box[SB_TOTP_SEALED_LEN];
    char errstr[512], *uri = NULL;
    int rc = SBCTL_FAIL;

    if (sb_totp_secret_new(secret) == -1 || sb_totp_seal(key, id, secret, box) == -1 ||
        !(uri = sb_totp_uri(issuer, username, secret, sizeof(secret)))) {
        fprintf(stderr, "sbctl enroll: cannot make a secret\n");
        goto out;
    }
    {
        const char *values[] = {id, (const char *)box};
        const int lengths[] = {0, (int)sizeof(box)}, formats[] = {0, 1};
        PGresult *res = sb_db_query_prepared(db, "sbctl_enroll", STORE_SQL, 2, values, lengths,
                                             formats, errstr, sizeof(errstr));
        if (!res) {
            fprintf(stderr, "sbctl enroll: %s\n", errstr);
            goto out;
        }
        PQclear(res);
    }
    printf("%s\n", uri);
    print_qr(uri);
    rc = SBCTL_OK;
out:
    sb_crypto_wipe(secret, sizeof(secret));
    if (uri) {
        sb_crypto_wipe(uri, strlen(uri));
        free(uri);
    }
    return rc;
}

/* Switches employee id to Duo under duo_user (NULL: their username). */
static int enroll_duo(sb_db_t *db, const char *id, const char *username, const char *duo_user) {
    char errstr[512];
    const char *params[] = {id, duo_user ? duo_user : username};
    PGresult *res = sb_db_query(db, DUO_SQL, 2, params, errstr, sizeof(errstr));
    if (!res) {
        fprintf(stderr, "sbctl enroll: %s\n", errstr);
        return SBCTL_FAIL;
    }
    PQclear(res);
    printf("%s now answers with Duo push (Duo username %s)\n", username, params[1]);
    return SBCTL_OK;
}

/* A Duo username: 1 to 320 printable characters. */
static int duo_username_ok(const char *s) {
    size_t n = strlen(s);
    if (n == 0 || n > 320)
        return 0;
    for (; *s; s++)
        if ((unsigned char)*s < 0x20 || *s == 0x7f)
            return 0;
    return 1;
}

typedef struct {
    const char *user, *issuer, *duo_user;
    int duo;
} enroll_args_t;

/* 0, or -1 after printing the usage. */
static int parse_args(int argc, char **argv, enroll_args_t *a) {
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--issuer") && i + 1 < argc && *argv[i + 1])
            a->issuer = argv[++i];
        else if (!strcmp(argv[i], "--duo"))
            a->duo = 1;
        else if (!strcmp(argv[i], "--duo-username") && i + 1 < argc && duo_username_ok(argv[i + 1]))
            a->duo_user = argv[++i];
        else if (!a->user && argv[i][0] != '-')
            a->user = argv[i];
        else
            goto usage;
    }
    if (a->user && (a->duo || !a->duo_user))
        return 0;
usage:
    fputs(USAGE, stderr);
    return -1;
}

int sbctl_cmd_enroll(sbctl_t *ctl, int argc, char **argv) {
    enroll_args_t a = {.issuer = "securitybot"};
    unsigned char key[SB_AEAD_KEY_LEN];
    char errstr[512];
    PGresult *res = NULL;
    sb_db_t *db;
    int rc;

    if (sbctl_wants_help(argc, argv, USAGE))
        return SBCTL_OK;
    if (parse_args(argc, argv, &a) == -1)
        return SBCTL_USAGE;
    if (!a.duo && !ctl->secret_key_file) {
        fprintf(stderr, "sbctl enroll: SECURITYBOT_SECRET_KEY_FILE is required\n");
        return SBCTL_USAGE;
    }
    if (!a.duo && sb_crypto_key_load(ctl->secret_key_file, key, errstr, sizeof(errstr)) == -1) {
        fprintf(stderr, "sbctl enroll: SECURITYBOT_SECRET_KEY_FILE: %s\n", errstr);
        return SBCTL_USAGE;
    }
    if (!(db = sbctl_db(ctl))) {
        rc = SBCTL_UNAVAILABLE;
        goto out;
    }
    {
        const char *params[] = {a.user};
        res = sb_db_query(db, FIND_SQL, 1, params, errstr, sizeof(errstr));
    }
    if (!res) {
        fprintf(stderr, "sbctl enroll: %s\n", errstr);
        rc = SBCTL_FAIL;
    } else if (PQntuples(res) != 1) {
        fprintf(stderr, "sbctl enroll: no employee is called \"%.64s\"\n", a.user);
        rc = SBCTL_FAIL;
    } else if (a.duo) {
        rc = enroll_duo(db, PQgetvalue(res, 0, 0), PQgetvalue(res, 0, 1), a.duo_user);
    } else {
        rc = enroll(db, key, PQgetvalue(res, 0, 0), PQgetvalue(res, 0, 1), a.issuer);
    }
out:
    PQclear(res);
    sb_crypto_wipe(key, sizeof(key));
    return rc;
}
