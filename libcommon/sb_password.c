/* sb_password: Argon2id hashing and verification of console users' passwords. */
#include "sb_password.h"

#include <argon2.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "sb_crypto.h"

/* RFC 9106's second recommended option scaled to OWASP's minimum for
 * Argon2id (19 MiB, 2 passes, 1 lane): a few tens of milliseconds a login. */
#define T_COST      2
#define M_COST_KIB  19456
#define PARALLELISM 1
#define SALT_LEN    16
#define HASH_LEN    32
#define GEN_LEN     20

int sb_password_hash(const char *password, char out[SB_PASSWORD_HASH_MAX], char *errstr,
                     size_t errstr_size) {
    unsigned char salt[SALT_LEN];
    size_t n = strlen(password);
    int rc;

    if (n > SB_PASSWORD_MAX) {
        snprintf(errstr, errstr_size, "password longer than %d bytes", SB_PASSWORD_MAX);
        return -1;
    }
    if (sb_random_bytes(salt, sizeof(salt)) != 0) {
        snprintf(errstr, errstr_size, "no random bytes for the salt");
        return -1;
    }
    rc = argon2id_hash_encoded(T_COST, M_COST_KIB, PARALLELISM, password, n, salt, sizeof(salt),
                               HASH_LEN, out, SB_PASSWORD_HASH_MAX);
    if (rc != ARGON2_OK) {
        snprintf(errstr, errstr_size, "argon2id: %s", argon2_error_message(rc));
        return -1;
    }
    return 0;
}

int sb_password_verify(const char *encoded, const char *password) {
    /* the hash of a password nobody has, for users that do not exist */
    static const char dummy[] = "$argon2id$v=19$m=19456,t=2,p=1$c2VjdXJpdHlib3QtZG15AA"
                                "$uinJHQv9c5ueLWVxgVKPUanZ/e2fDr1ODTbXGbTt3cQ";
    size_t n = strlen(password);
    if (n > SB_PASSWORD_MAX)
        return 0;
    if (!encoded) {
        (void)argon2id_verify(dummy, password, n);
        return 0;
    }
    if (strncmp(encoded, "$argon2id$", 10) != 0)
        return 0;
    return argon2id_verify(encoded, password, n) == ARGON2_OK;
}

int sb_password_generate(char *out, size_t size) {
    /* no 0/O, 1/l/I: read aloud or typed from a screen */
    static const char abc[] = "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    unsigned char raw[GEN_LEN];
    if (size < GEN_LEN + 1 || sb_random_bytes(raw, sizeof(raw)) != 0)
        return -1;
    for (size_t i = 0; i < GEN_LEN; i++)
        out[i] = abc[raw[i] % (sizeof(abc) - 1)]; /* 56 symbols: a bias under 1% per char */
    out[GEN_LEN] = '\0';
    sb_crypto_wipe(raw, sizeof(raw));
    return 0;
}
