/* Unit tests for sb_totp: RFC 6238 appendix B, the window, replays, RFC 4648 base32, key URIs. */
#include <liboath/oath.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sb_crypto.h"
#include "sb_totp.h"
#include "sb_test.h"

/* The RFC 6238 appendix B SHA-1 secret. */
static const unsigned char rfc_secret[] = "12345678901234567890";
#define RFC_SECRET_LEN 20

static void test_rfc6238_vectors(void) {
    static const struct {
        int64_t time;
        const char *code8; /* the RFC's 8-digit value; ours is its last 6 digits */
    } cases[] = {
        {59, "94287082"},         {1111111109, "07081804"}, {1111111111, "14050471"},
        {1234567890, "89005924"}, {2000000000, "69279037"}, {20000000000, "65353130"},
    };
    char code[SB_TOTP_DIGITS + 1];

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        int64_t step = sb_totp_step(cases[i].time);
        SB_CHECK_MSG(sb_totp_code(rfc_secret, RFC_SECRET_LEN, step, code) == 0, "case %zu", i);
        SB_CHECK_STR(code, cases[i].code8 + 2);
        SB_CHECK(sb_totp_code_wellformed(code));
    }
    SB_CHECK(sb_totp_step(59) == 1);
    SB_CHECK(sb_totp_step(60) == 2);
    SB_CHECK(sb_totp_step(0) == 0);
    SB_CHECK(sb_totp_step(-1) == -1);

    /* refusals leave an empty string behind */
    SB_CHECK(sb_totp_code(rfc_secret, RFC_SECRET_LEN, -1, code) == -1);
    SB_CHECK_STR(code, "");
    SB_CHECK(sb_totp_code(NULL, RFC_SECRET_LEN, 1, code) == -1);
    SB_CHECK(sb_totp_code(rfc_secret, 0, 1, code) == -1);
}

/* Codes one and two steps either side of now = 1111111109 (step 37037036). */
static void test_window(void) {
    static const struct {
        int offset, accepted;
    } cases[] = {{-2, 0}, {-1, 1}, {0, 1}, {1, 1}, {2, 0}};
    const int64_t now = 1111111109, step = sb_totp_step(now);

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char code[SB_TOTP_DIGITS + 1];
        int64_t matched = 12345;
        int rc;

        SB_CHECK(sb_totp_code(rfc_secret, RFC_SECRET_LEN, step + cases[i].offset, code) == 0);
        rc = sb_totp_verify(rfc_secret, RFC_SECRET_LEN, code, now, -1, &matched);
        if (cases[i].accepted) {
            SB_CHECK_MSG(rc == 0, "offset %d", cases[i].offset);
            SB_CHECK_MSG(matched == step + cases[i].offset, "offset %d", cases[i].offset);
        } else {
            SB_CHECK_MSG(rc == -1, "offset %d", cases[i].offset);
            SB_CHECK_MSG(matched == 12345, "offset %d: matched_step written", cases[i].offset);
        }
    }

    /* the RFC's own vector verifies at its own time, even 29 s later */
    SB_CHECK(sb_totp_verify(rfc_secret, RFC_SECRET_LEN, "081804", 1111111109, -1, NULL) == 0);
    SB_CHECK(sb_totp_verify(rfc_secret, RFC_SECRET_LEN, "081804", 1111111109 + 29, -1, NULL) == 0);
    /* a wrong code, the wrong secret */
    SB_CHECK(sb_totp_verify(rfc_secret, RFC_SECRET_LEN, "081805", 1111111109, -1, NULL) == -1);
    SB_CHECK(sb_totp_verify((const unsigned char *)"12345678901234567891", RFC_SECRET_LEN, "081804",
                            1111111109, -1, NULL) == -1);
    /* at the epoch there is no step -1 to look at; bad arguments */
    {
        char code[SB_TOTP_DIGITS + 1];
        int64_t matched = -1;
        SB_CHECK(sb_totp_code(rfc_secret, RFC_SECRET_LEN, 0, code) == 0);
        SB_CHECK(sb_totp_verify(rfc_secret, RFC_SECRET_LEN, code, 10, -1, &matched) == 0);
        SB_CHECK(matched == 0);
        SB_CHECK(sb_totp_verify(rfc_secret, RFC_SECRET_LEN, code, -10, -1, &matched) == -1);
        SB_CHECK(sb_totp_verify(NULL, RFC_SECRET_LEN, code, 10, -1, &matched) == -1);
        SB_CHECK(sb_totp_verify(rfc_secret, 0, code, 10, -1, &matched) == -1);
    }
}

static int verify_step(int64_t now, int64_t code_step, int64_t last, int64_t *matched) {
    char code[SB_TOTP_DIGITS + 1];
    if (sb_totp_code(rfc_secret, RFC_SECRET_LEN, code_step, code) == -1)
        return -2;
    return sb_totp_verify(rfc_secret, RFC_SECRET_LEN, code, now, last, matched);
}

static void test_replay(void) {
    const int64_t now = 1234567890, s = sb_totp_step(now);
    int64_t last = -1, matched = -1;

    /* the same code twice: refused once last_step is stored */
    SB_CHECK(verify_step(now, s, last, &matched) == 0);
    SB_CHECK(matched == s);
    last = matched;
    SB_CHECK(verify_step(now, s, last, &matched) == -1);
    SB_CHECK(verify_step(now + 5, s, last, &matched) == -1);

    /* earlier codes, still inside the window, are refused after a later one */
    SB_CHECK(verify_step(now, s - 1, last, &matched) == -1);
    SB_CHECK(verify_step(now, s + 1, last, &matched) == 0);
    SB_CHECK(matched == s + 1);
    last = matched;
    SB_CHECK(verify_step(now, s, last, &matched) == -1);
    SB_CHECK(verify_step(now, s - 1, last, &matched) == -1);
    SB_CHECK(verify_step(now + 30, s + 1, last, &matched) == -1);

    /* the next step's code is accepted when its time comes */
    SB_CHECK(verify_step(now + 30, s + 2, last, &matched) == 0);
    SB_CHECK(matched == s + 2);

    /* an older code first, a newer one after it: both fine */
    last = -1;
    SB_CHECK(verify_step(now, s - 1, last, &matched) == 0);
    SB_CHECK(matched == s - 1);
    last = matched;
    SB_CHECK(verify_step(now, s, last, &matched) == 0);
    SB_CHECK(matched == s);
}

static void test_malformed(void) {
    char good[SB_TOTP_DIGITS + 1], longer[16], shorter[16], spaced[16];
    const int64_t now = 1111111111;
    int64_t matched = 777;

    /* variants of the right code must fail too */
    SB_CHECK(sb_totp_code(rfc_secret, RFC_SECRET_LEN, sb_totp_step(now), good) == 0);
    snprintf(longer, sizeof(longer), "%s0", good);
    snprintf(shorter, sizeof(shorter), "%.5s", good);
    snprintf(spaced, sizeof(spaced), " %s", good);
    {
        const char *cases[] = {"12345",
                               "1234567",
                               "12 345",
                               "abcdef",
                               "",
                               NULL,
                               "12345a",
                               "123456\n",
                               "+12345",
                               "-12345",
                               "12345 ",
                               "0x1234",
                               "\xd9\xa1\xd9\xa2" /* Arabic-Indic 1 2 */,
                               longer,
                               shorter,
                               spaced};
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
            SB_CHECK_MSG(!sb_totp_code_wellformed(cases[i]), "case %zu", i);
            SB_CHECK_MSG(sb_totp_verify(rfc_secret, RFC_SECRET_LEN, cases[i], now, -1, &matched) ==
                             -1,
                         "case %zu", i);
        }
    }
    SB_CHECK(matched == 777);
    SB_CHECK(sb_totp_code_wellformed("000000"));
    SB_CHECK(sb_totp_code_wellformed("999999"));
    SB_CHECK(sb_totp_verify(rfc_secret, RFC_SECRET_LEN, good, now, -1, &matched) == 0);
}

static void test_base32(void) {
    static const struct {
        const char *in, *out;
    } cases[] = {
        /* RFC 4648 section 10, without the padding */
        {"", ""},
        {"f", "MY"},
        {"fo", "MZXQ"},
        {"foo", "MZXW6"},
        {"foob", "MZXW6YQ"},
        {"fooba", "MZXW6YTB"},
        {"foobar", "MZXW6YTBOI"},
        /* the RFC 6238 secret as authenticator apps know it */
        {"12345678901234567890", "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"},
        {"\xff\xff\xff\xff\xff", "77777777"},
    };
    unsigned char buf[64];

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char *s = sb_base32_encode((const unsigned char *)cases[i].in, strlen(cases[i].in));
        SB_CHECK_STR(s, cases[i].out);
        free(s);
    }
    {
        char *s = sb_base32_encode(NULL, 0);
        SB_CHECK_STR(s, "");
        free(s);
    }

    /* agrees with liboath's (padded) encoder on random input of every length */
    SB_CHECK(oath_init() == OATH_OK);
    for (size_t len = 0; len <= sizeof(buf); len++) {
        char *ours, *theirs = NULL;
        size_t theirs_len = 0;

        SB_CHECK(sb_random_bytes(buf, len) == 0);
        ours = sb_base32_encode(buf, len);
        SB_CHECK(oath_base32_encode((const char *)buf, len, &theirs, &theirs_len) == OATH_OK);
        if (ours && theirs) {
            size_t n = strlen(ours);
            SB_CHECK_MSG(n <= theirs_len && strncmp(ours, theirs, n) == 0 &&
                             strspn(theirs + n, "=") == theirs_len - n,
                         "len %zu: %s vs %s", len, ours, theirs);
        }
        free(ours);
        free(theirs);
    }
    oath_done();
}

static void test_uri(void) {
    static const struct {
        const char *issuer, *account, *uri;
    } cases[] = {
        {"securitybot", "alice",
         "otpauth://totp/securitybot:alice?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"
         "&issuer=securitybot&algorithm=SHA1&digits=6&period=30"},
        {"Example Corp", "alice@example.com",
         "otpauth://totp/Example%20Corp:alice%40example.com?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"
         "&issuer=Example%20Corp&algorithm=SHA1&digits=6&period=30"},
        /* reserved and non-ASCII characters are encoded, unreserved kept */
        {"A&B:C", "j.doe-x_y~z/\xc3\xa9?#",
         "otpauth://totp/A%26B%3AC:j.doe-x_y~z%2F%C3%A9%3F%23?"
         "secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"
         "&issuer=A%26B%3AC&algorithm=SHA1&digits=6&period=30"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char *uri = sb_totp_uri(cases[i].issuer, cases[i].account, rfc_secret, RFC_SECRET_LEN);
        SB_CHECK_STR(uri, cases[i].uri);
        free(uri);
    }
    SB_CHECK(sb_totp_uri(NULL, "alice", rfc_secret, RFC_SECRET_LEN) == NULL);
    SB_CHECK(sb_totp_uri("", "alice", rfc_secret, RFC_SECRET_LEN) == NULL);
    SB_CHECK(sb_totp_uri("securitybot", NULL, rfc_secret, RFC_SECRET_LEN) == NULL);
    SB_CHECK(sb_totp_uri("securitybot", "", rfc_secret, RFC_SECRET_LEN) == NULL);
    SB_CHECK(sb_totp_uri("securitybot", "alice", NULL, RFC_SECRET_LEN) == NULL);
    SB_CHECK(sb_totp_uri("securitybot", "alice", rfc_secret, 0) == NULL);
}

static void test_secret_new(void) {
    unsigned char a[SB_TOTP_SECRET_LEN], b[SB_TOTP_SECRET_LEN];
    char code[SB_TOTP_DIGITS + 1];
    int64_t matched = -1;

    memset(a, 0, sizeof(a));
    memset(b, 0, sizeof(b));
    SB_CHECK(sb_totp_secret_new(a) == 0);
    SB_CHECK(sb_totp_secret_new(b) == 0);
    SB_CHECK(memcmp(a, b, sizeof(a)) != 0); /* fails with probability 2^-160 */

    /* a fresh secret works end to end */
    SB_CHECK(sb_totp_code(a, sizeof(a), sb_totp_step(1700000000), code) == 0);
    SB_CHECK(sb_totp_verify(a, sizeof(a), code, 1700000000, -1, &matched) == 0);
    SB_CHECK(matched == sb_totp_step(1700000000));
}

static void test_seal(void) {
    unsigned char key[SB_AEAD_KEY_LEN], other[SB_AEAD_KEY_LEN], secret[SB_TOTP_SECRET_LEN];
    unsigned char box[SB_TOTP_SEALED_LEN], back[SB_TOTP_SECRET_LEN];
    memset(key, 7, sizeof(key));
    memset(other, 8, sizeof(other));
    SB_CHECK(sb_totp_secret_new(secret) == 0);
    SB_CHECK(sb_totp_seal(key, "42", secret, box) == 0);
    SB_CHECK(sb_totp_open(key, "42", box, sizeof(box), back) == 0);
    SB_CHECK(memcmp(secret, back, sizeof(secret)) == 0);
    /* bound to the employee: another row's id does not open it */
    SB_CHECK(sb_totp_open(key, "43", box, sizeof(box), back) == -1);
    SB_CHECK(sb_totp_open(other, "42", box, sizeof(box), back) == -1);
    SB_CHECK(sb_totp_open(key, "42", box, sizeof(box) - 1, back) == -1);
    box[SB_AEAD_NONCE_LEN] ^= 1;
    SB_CHECK(sb_totp_open(key, "42", box, sizeof(box), back) == -1);
    SB_CHECK(sb_totp_seal(key, NULL, secret, box) == -1);
}

int main(void) {
    test_rfc6238_vectors();
    test_window();
    test_replay();
    test_malformed();
    test_base32();
    test_uri();
    test_secret_new();
    test_seal();
    return SB_TEST_DONE();
}
