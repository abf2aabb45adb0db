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

/* "sbi_": a token that leaked into a log or a repository is recognisable
 * (secret scanners match the prefix). */
#define TOKEN_PREFIX "sbi_"

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
    char token[SB_TOKEN_MAX], hash[SB_SHA256_HEX_LEN + 1];
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
    if (sb_random_token(TOKEN_PREFIX, token) != 0) {
        fprintf(stderr, "sbctl intake-token create: no random bytes from libcrypto\n");
        goto out;
    }
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
    sb_crypto_wipe(token, sizeof(token));
    return rc;
}
