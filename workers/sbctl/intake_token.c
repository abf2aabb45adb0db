/* intake_token: `sbctl intake-token create SOURCE`, a new bearer token for sb-gateway's intake. */
#include <stdio.h>
#include <string.h>

#include "sb_crypto.h"
#include "sb_utf8.h"
#include "sbctl.h"

static const char USAGE[] =
    "Usage: sbctl intake-token create SOURCE\n\n"
    "Makes a new random bearer token for a detection system that sends alerts\n"
    "to sb-gateway (POST /v1/alerts) as SOURCE (the alerts' \"source\"). Prints\n"
    "the token, once (it is stored nowhere: give it to the sender), then the\n"
    "line to add to SECURITYBOT_INTAKE_TOKENS_FILE (SOURCE and the token's\n"
    "SHA-256); send sb-gateway SIGHUP to load it. Needs no database or Kafka.\n";

/* 32 random bytes: 256 bits, beyond guessing and brute force. */
#define TOKEN_BYTES 32
/* "sbi_": a token that leaked into a log or a repository is recognisable
 * (secret scanners match the prefix). */
#define TOKEN_PREFIX "sbi_"

/* Base64url without padding (RFC 4648 section 5): 43 characters for 32 bytes. */
static void base64url(const unsigned char *in, size_t n, char *out) {
    static const char abc[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    size_t o = 0;
    for (size_t i = 0; i < n; i += 3) {
        unsigned v = (unsigned)in[i] << 16 | (i + 1 < n ? (unsigned)in[i + 1] << 8 : 0) |
                     (i + 2 < n ? in[i + 2] : 0);
        out[o++] = abc[v >> 18 & 63];
        out[o++] = abc[v >> 12 & 63];
        if (i + 1 < n)
            out[o++] = abc[v >> 6 & 63];
        if (i + 2 < n)
            out[o++] = abc[v & 63];
    }
    out[o] = '\0';
}

/* The tokens file's rule for a source (workers/gateway/tokens.c): 1-128
 * bytes of UTF-8, no blank, no control character. */
static int source_ok(const char *s) {
    size_t n = strlen(s);
    if (n == 0 || n > 128 || !sb_utf8_valid(s, n))
        return 0;
    for (; *s; s++)
        if ((unsigned char)*s <= 0x20 || *s == 0x7f)
            return 0;
    return 1;
}

int sbctl_cmd_intake_token(sbctl_t *ctl, int argc, char **argv) {
    unsigned char raw[TOKEN_BYTES];
    char token[sizeof(TOKEN_PREFIX) + 44], hash[SB_SHA256_HEX_LEN + 1];
    int rc = SBCTL_FAIL;
    (void)ctl;

    if (sbctl_wants_help(argc, argv, USAGE))
        return SBCTL_OK;
    if (argc != 3 || strcmp(argv[1], "create") != 0) {
        fputs(USAGE, stderr);
        return SBCTL_USAGE;
    }
    if (!source_ok(argv[2])) {
        fprintf(stderr, "sbctl intake-token create: SOURCE must be 1-128 bytes of UTF-8 without "
                        "blanks or control characters\n");
        return SBCTL_USAGE;
    }
    if (sb_random_bytes(raw, sizeof(raw)) != 0) {
        fprintf(stderr, "sbctl intake-token create: no random bytes from libcrypto\n");
        goto out;
    }
    memcpy(token, TOKEN_PREFIX, sizeof(TOKEN_PREFIX) - 1);
    base64url(raw, sizeof(raw), token + sizeof(TOKEN_PREFIX) - 1);
    if (sb_sha256_hex(token, strlen(token), hash) != 0) {
        fprintf(stderr, "sbctl intake-token create: SHA-256 failed\n");
        goto out;
    }
    /* stdout: the token, then the file's line, for scripts; the words go to stderr */
    fprintf(stderr, "# the token, shown once (give it to the sender as \"Authorization: Bearer "
                    "<token>\"):\n");
    printf("%s\n", token);
    fprintf(stderr, "# the line to add to SECURITYBOT_INTAKE_TOKENS_FILE (then: kill -HUP "
                    "<sb-gateway>):\n");
    printf("%s %s\n", argv[2], hash);
    rc = fflush(stdout) == 0 ? SBCTL_OK : SBCTL_FAIL;
out:
    sb_crypto_wipe(raw, sizeof(raw));
    sb_crypto_wipe(token, sizeof(token));
    return rc;
}
