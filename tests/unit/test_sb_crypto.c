/* Unit tests for sb_crypto: published vectors (FIPS 180-2, RFC 4231, RFC 4648). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sb_crypto.h"
#include "sb_test.h"

static void test_sha256(void) {
    static const struct {
        const char *in, *hex;
    } cases[] = {
        {"", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
        {"abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"},
        {"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
         "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"},
    };
    char hex[SB_SHA256_HEX_LEN + 1];

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        size_t len = strlen(cases[i].in);
        sb_sha256_t h;

        SB_CHECK(sb_sha256_hex(cases[i].in, len, hex) == 0);
        SB_CHECK_STR(hex, cases[i].hex);

        /* incremental, one byte at a time, gives the same digest */
        SB_CHECK(sb_sha256_init(&h) == 0);
        for (size_t k = 0; k < len; k++)
            sb_sha256_update(&h, cases[i].in + k, 1);
        sb_sha256_final_hex(&h, hex);
        SB_CHECK_STR(hex, cases[i].hex);
        SB_CHECK(h.md == NULL);
    }
}

static void test_hmac(void) {
    static const unsigned char key1[20] = {0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b,
                                           0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b,
                                           0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b};
    static const struct {
        const void *key;
        size_t keylen;
        const char *data, *hex;
    } cases[] = {
        /* RFC 4231 test case 1 */
        {key1, sizeof(key1), "Hi There",
         "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"},
        /* RFC 4231 test case 2 */
        {"Jefe", 4, "what do ya want for nothing?",
         "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"},
        /* empty key and message (Python hmac agrees) */
        {"", 0, "", "b613679a0814d9ec772f95d778c35fc5ff1697c493715653c6c712144292c5ad"},
        {NULL, 0, "", "b613679a0814d9ec772f95d778c35fc5ff1697c493715653c6c712144292c5ad"},
    };
    char hex[SB_SHA256_HEX_LEN + 1];

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        SB_CHECK_MSG(sb_hmac_sha256_hex(cases[i].key, cases[i].keylen, cases[i].data,
                                        strlen(cases[i].data), hex) == 0,
                     "case %zu", i);
        SB_CHECK_STR(hex, cases[i].hex);
    }
}

static void test_equal(void) {
    static const struct {
        const char *a;
        size_t alen;
        const char *b;
        size_t blen;
        int expect;
    } cases[] = {
        {"abc", 3, "abc", 3, 1}, {"abc", 3, "abd", 3, 0},   {"abc", 3, "xbc", 3, 0},
        {"abc", 3, "ab", 2, 0},  {"ab", 2, "abc", 3, 0},    {"", 0, "", 0, 1},
        {NULL, 0, NULL, 0, 1},   {NULL, 0, "a", 1, 0},      {"a", 1, NULL, 0, 0},
        {NULL, 3, "abc", 3, 0},  {"a\0b", 3, "a\0c", 3, 0}, {"a\0b", 3, "a\0b", 3, 1},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        SB_CHECK_MSG(sb_crypto_equal(cases[i].a, cases[i].alen, cases[i].b, cases[i].blen) ==
                         cases[i].expect,
                     "case %zu", i);
}

static void test_base64(void) {
    static const struct {
        const char *in;
        size_t len;
        const char *out;
    } cases[] = {
        /* RFC 4648 section 10 */
        {"", 0, ""},
        {"f", 1, "Zg=="},
        {"fo", 2, "Zm8="},
        {"foo", 3, "Zm9v"},
        {"foob", 4, "Zm9vYg=="},
        {"fooba", 5, "Zm9vYmE="},
        {"foobar", 6, "Zm9vYmFy"},
        /* the two non-alphanumeric symbols of the standard alphabet, and a NUL */
        {"\xfb\xff", 2, "+/8="},
        {"\0\0\0", 3, "AAAA"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char *s = sb_base64_encode(cases[i].in, cases[i].len);
        SB_CHECK_STR(s, cases[i].out);
        free(s);
    }
}

static void test_random(void) {
    unsigned char a[32], b[32];
    memset(a, 0, sizeof(a));
    memset(b, 0, sizeof(b));
    SB_CHECK(sb_random_bytes(a, sizeof(a)) == 0);
    SB_CHECK(sb_random_bytes(b, sizeof(b)) == 0);
    SB_CHECK(memcmp(a, b, sizeof(a)) != 0); /* fails with probability 2^-256 */
    SB_CHECK(sb_random_bytes(a, 0) == 0);
}

/* Tokens: the prefix, then 43 characters of base64url, each one new. */
static void test_token(void) {
    char t1[SB_TOKEN_MAX], t2[SB_TOKEN_MAX];
    SB_CHECK(sb_random_token("sbi_", t1) == 0 && sb_random_token("sbi_", t2) == 0);
    SB_CHECK(strlen(t1) == 47 && strncmp(t1, "sbi_", 4) == 0);
    SB_CHECK(strspn(t1 + 4, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") ==
             43);
    SB_CHECK(strcmp(t1, t2) != 0);
    SB_CHECK(sb_random_token("", t1) == 0 && strlen(t1) == 43);
    SB_CHECK(sb_random_token("12345678", t1) == -1);
}

int main(void) {
    test_sha256();
    test_hmac();
    test_equal();
    test_base64();
    test_random();
    test_token();
    return SB_TEST_DONE();
}
