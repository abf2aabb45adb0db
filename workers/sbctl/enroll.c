/* enroll: `sbctl enroll USER`, the employee's second factor. */

/* A fresh TOTP secret, stored sealed (AES-256-GCM, bound to the employee),
 * and the otpauth:// URI for the employee's authenticator app. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sb_aead.h"
#include "sb_crypto.h"
#include "sb_totp.h"
#include "sbctl.h"

static const char USAGE[] =
    "Usage: sbctl enroll USER [--issuer NAME]\n\n"
    "Gives the employee (username, e-mail or alias) a new TOTP secret and prints\n"
    "the otpauth:// URI to load into their authenticator app (and a QR code when\n"
    "`qrencode` is installed). The URI holds the secret: hand it to the employee\n"
    "only. Any earlier secret stops working. The secret is stored encrypted with\n"
    "the key in SECURITYBOT_SECRET_KEY_FILE (32 bytes as 64 hex characters or\n"
    "base64, readable by its owner only). Default issuer: securitybot.\n";

static const char *const FIND_SQL =
    "SELECT e.id, e.username FROM employee_identities ei"
    " JOIN employees e ON e.id = ei.employee_id WHERE ei.identity = lower($1)";

static const char *const STORE_SQL =
    "WITH upd AS (UPDATE employees SET totp_secret_enc = $2, totp_last_step = NULL,"
    "   updated_at = now() WHERE id = $1::bigint RETURNING id)"
    " INSERT INTO audit_log (actor, action, employee_id, detail)"
    " SELECT 'sbctl', 'totp_enrolled', id, '{}'::jsonb FROM upd";

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

int sbctl_cmd_enroll(sbctl_t *ctl, int argc, char **argv) {
    const char *user = NULL, *issuer = "securitybot";
    unsigned char key[SB_AEAD_KEY_LEN];
    char errstr[512];
    PGresult *res = NULL;
    sb_db_t *db;
    int rc;

    if (sbctl_wants_help(argc, argv, USAGE))
        return SBCTL_OK;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--issuer") && i + 1 < argc && *argv[i + 1])
            issuer = argv[++i];
        else if (!user && argv[i][0] != '-')
            user = argv[i];
        else {
            fputs(USAGE, stderr);
            return SBCTL_USAGE;
        }
    }
    if (!user) {
        fputs(USAGE, stderr);
        return SBCTL_USAGE;
    }
    if (!ctl->secret_key_file) {
        fprintf(stderr, "sbctl enroll: SECURITYBOT_SECRET_KEY_FILE is required\n");
        return SBCTL_USAGE;
    }
    if (sb_crypto_key_load(ctl->secret_key_file, key, errstr, sizeof(errstr)) == -1) {
        fprintf(stderr, "sbctl enroll: SECURITYBOT_SECRET_KEY_FILE: %s\n", errstr);
        return SBCTL_USAGE;
    }
    if (!(db = sbctl_db(ctl))) {
        rc = SBCTL_UNAVAILABLE;
        goto out;
    }
    {
        const char *params[] = {user};
        res = sb_db_query(db, FIND_SQL, 1, params, errstr, sizeof(errstr));
    }
    if (!res) {
        fprintf(stderr, "sbctl enroll: %s\n", errstr);
        rc = SBCTL_FAIL;
    } else if (PQntuples(res) != 1) {
        fprintf(stderr, "sbctl enroll: no employee is called \"%.64s\"\n", user);
        rc = SBCTL_FAIL;
    } else {
        rc = enroll(db, key, PQgetvalue(res, 0, 0), PQgetvalue(res, 0, 1), issuer);
    }
out:
    PQclear(res);
    sb_crypto_wipe(key, sizeof(key));
    return rc;
}
