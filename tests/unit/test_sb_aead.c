/* Unit tests for sb_crypto's AES-256-GCM (McGrew-Viega vectors, tampering) and key files. */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sb_aead.h"
#include "sb_crypto.h"
#include "sb_test.h"

/* Decodes lowercase hex into out; returns the byte count. */
static size_t unhex(const char *hex, unsigned char *out) {
    size_t n = strlen(hex) / 2;
    for (size_t i = 0; i < n; i++) {
        unsigned v = 0;
        sscanf(hex + 2 * i, "%2x", &v);
        out[i] = (unsigned char)v;
    }
    return n;
}

static int all_zero(const unsigned char *p, size_t len) {
    unsigned char acc = 0;
    for (size_t i = 0; i < len; i++)
        acc |= p[i];
    return acc == 0;
}

/* "The Galois/Counter Mode of Operation", McGrew and Viega, test cases 13,
 * 14 and 16 (AES-256, 96-bit IV); the box is IV | C | T. */
static void test_known_answers(void) {
    static const struct {
        const char *key, *iv, *pt, *aad, *ct, *tag;
    } cases[] = {
        {"0000000000000000000000000000000000000000000000000000000000000000",
         "000000000000000000000000", "", "", "", "530f8afbc74536b9a963b4f1c4cb738b"},
        {"0000000000000000000000000000000000000000000000000000000000000000",
         "000000000000000000000000", "00000000000000000000000000000000", "",
         "cea7403d4d606b6e074ec5d3baf39d18", "d0d1c8a799996bf0265b98b5d48ab919"},
        {"feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308",
         "cafebabefacedbaddecaf888",
         "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72"
         "1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39",
         "feedfacedeadbeeffeedfacedeadbeefabaddad2",
         "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa"
         "8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662",
         "76fc6ece0f4e1768cddf8853bb2d551b"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        unsigned char key[32], iv[12], pt[64], aad[32], ct[64], tag[16];
        unsigned char box[64 + SB_AEAD_OVERHEAD], want[64 + SB_AEAD_OVERHEAD], back[64];
        size_t ptlen, aadlen, ctlen, boxlen = 0, backlen = 0;

        unhex(cases[i].key, key);
        unhex(cases[i].iv, iv);
        ptlen = unhex(cases[i].pt, pt);
        aadlen = unhex(cases[i].aad, aad);
        ctlen = unhex(cases[i].ct, ct);
        unhex(cases[i].tag, tag);
        memcpy(want, iv, 12);
        memcpy(want + 12, ct, ctlen);
        memcpy(want + 12 + ctlen, tag, 16);

        SB_CHECK_MSG(sb_aead_seal_with_nonce(key, iv, pt, ptlen, aad, aadlen, box, &boxlen) == 0,
                     "case %zu", i);
        SB_CHECK_MSG(boxlen == ptlen + SB_AEAD_OVERHEAD, "case %zu", i);
        SB_CHECK_MSG(memcmp(box, want, ctlen + SB_AEAD_OVERHEAD) == 0, "case %zu", i);
        SB_CHECK_MSG(
            sb_aead_open(key, want, ctlen + SB_AEAD_OVERHEAD, aad, aadlen, back, &backlen) == 0,
            "case %zu", i);
        SB_CHECK_MSG(backlen == ptlen && memcmp(back, pt, ptlen) == 0, "case %zu", i);
    }
}

static void test_round_trip(void) {
    static const size_t lens[] = {0, 1, 15, 16, 17, 1000};
    static const char aad[] = "totp_secret:employee=alice";
    unsigned char key[32], pt[1000], box[1000 + SB_AEAD_OVERHEAD], back[1000];

    SB_CHECK(sb_random_bytes(key, sizeof(key)) == 0);
    SB_CHECK(sb_random_bytes(pt, sizeof(pt)) == 0);
    for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
        for (int with_aad = 0; with_aad <= 1; with_aad++) {
            size_t alen = with_aad ? strlen(aad) : 0, boxlen = 0, backlen = 99;
            const char *a = with_aad ? aad : NULL;

            SB_CHECK(sb_aead_seal(key, pt, lens[i], a, alen, box, &boxlen) == 0);
            SB_CHECK(boxlen == lens[i] + SB_AEAD_OVERHEAD);
            SB_CHECK_MSG(sb_aead_open(key, box, boxlen, a, alen, back, &backlen) == 0,
                         "len %zu aad %d", lens[i], with_aad);
            SB_CHECK(backlen == lens[i] && memcmp(back, pt, lens[i]) == 0);
        }
    }
    SB_CHECK(SB_AEAD_OVERHEAD == 28);
}

/* Opening must fail, leave *ptlen 0 and wipe pt. */
static int open_fails(const unsigned char *key, const unsigned char *box, size_t boxlen,
                      const void *aad, size_t aadlen) {
    unsigned char back[256];
    size_t backlen = 99;
    int rc;

    memset(back, 0xaa, sizeof(back));
    rc = sb_aead_open(key, box, boxlen, aad, aadlen, back, &backlen);
    return rc == -1 && backlen == 0 &&
           all_zero(back, boxlen >= SB_AEAD_OVERHEAD ? boxlen - SB_AEAD_OVERHEAD : 0);
}

static void test_tampering(void) {
    static const char pt[] = "JBSWY3DPEHPK3PXP", aad[] = "row 42";
    unsigned char key[32], other[32], box[64], bad[64];
    size_t boxlen = 0, alen = strlen(aad);
    int all_refused = 1;

    SB_CHECK(sb_random_bytes(key, sizeof(key)) == 0);
    memcpy(other, key, sizeof(other));
    other[31] ^= 1;
    SB_CHECK(sb_aead_seal(key, pt, strlen(pt), aad, alen, box, &boxlen) == 0);

    /* AAD: different, missing, extra */
    SB_CHECK(open_fails(key, box, boxlen, "row 43", alen));
    SB_CHECK(open_fails(key, box, boxlen, NULL, 0));
    SB_CHECK(open_fails(key, box, boxlen, "row 42 ", alen + 1));
    /* wrong key (one bit off) */
    SB_CHECK(open_fails(other, box, boxlen, aad, alen));
    /* every single bit flipped: nonce (0-11), ciphertext, tag (last 16) */
    for (size_t i = 0; i < boxlen * 8; i++) {
        memcpy(bad, box, boxlen);
        bad[i / 8] ^= (unsigned char)(1u << (i % 8));
        if (!open_fails(key, bad, boxlen, aad, alen)) {
            all_refused = 0;
            fprintf(stderr, "bit %zu flipped was accepted\n", i);
        }
    }
    SB_CHECK(all_refused);
    /* truncated, extended, shorter than the overhead, NULL */
    memcpy(bad, box, boxlen);
    bad[boxlen] = 0;
    SB_CHECK(open_fails(key, box, boxlen - 1, aad, alen));
    SB_CHECK(open_fails(key, bad, boxlen + 1, aad, alen));
    SB_CHECK(open_fails(key, box, SB_AEAD_OVERHEAD - 1, aad, alen));
    SB_CHECK(open_fails(key, box, 0, aad, alen));
    {
        size_t backlen = 99;
        unsigned char back[64];
        SB_CHECK(sb_aead_open(key, NULL, boxlen, aad, alen, back, &backlen) == -1);
        SB_CHECK(backlen == 0);
    }
    /* the untouched box still opens */
    SB_CHECK(!open_fails(key, box, boxlen, aad, alen));
}

static void test_random_nonce(void) {
    unsigned char key[32], a[16 + SB_AEAD_OVERHEAD], b[16 + SB_AEAD_OVERHEAD];
    size_t alen = 0, blen = 0;

    SB_CHECK(sb_random_bytes(key, sizeof(key)) == 0);
    SB_CHECK(sb_aead_seal(key, "same plaintext!!", 16, NULL, 0, a, &alen) == 0);
    SB_CHECK(sb_aead_seal(key, "same plaintext!!", 16, NULL, 0, b, &blen) == 0);
    SB_CHECK(alen == blen);
    SB_CHECK(memcmp(a, b, SB_AEAD_NONCE_LEN) != 0);
    SB_CHECK(memcmp(a + SB_AEAD_NONCE_LEN, b + SB_AEAD_NONCE_LEN, 16) != 0);
}

/* Writes content to dir/name with exactly `mode`; returns the path (static). */
static const char *key_file(const char *dir, const char *name, const char *content, size_t len,
                            mode_t mode) {
    static char path[512];
    int fd;

    snprintf(path, sizeof(path), "%s/%s", dir, name);
    unlink(path);
    fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (fd == -1)
        return path;
    if (write(fd, content, len) != (ssize_t)len)
        fprintf(stderr, "short write to %s\n", path);
    fchmod(fd, mode); /* not subject to the umask */
    close(fd);
    return path;
}

#define HEX_KEY "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
#define B64_KEY "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="

static void test_key_load(void) {
    static const struct {
        const char *content;
        mode_t mode;
        int ok;
        const char *err; /* a substring of the message on failure */
    } cases[] = {
        {HEX_KEY "\n", 0600, 1, NULL},
        {HEX_KEY, 0400, 1, NULL},
        {"000102030405060708090A0B0C0D0E0F101112131415161718191A1B1C1D1E1F", 0600, 1, NULL},
        {B64_KEY "\n", 0600, 1, NULL},
        {B64_KEY "\r\n", 0600, 1, NULL},
        {B64_KEY, 0700, 1, NULL},
        /* permissions: any group or other bit */
        {HEX_KEY "\n", 0640, 0, "group or others (mode 0640)"},
        {HEX_KEY "\n", 0604, 0, "group or others"},
        {HEX_KEY "\n", 0620, 0, "group or others"},
        {HEX_KEY "\n", 0601, 0, "group or others"},
        /* lengths and formats */
        {"", 0600, 0, "found 0 bytes"},
        {"\n", 0600, 0, "expected 64 hex digits"},
        {HEX_KEY "\n\n", 0600, 0, "expected 64 hex digits"},
        {" " HEX_KEY, 0600, 0, "expected 64 hex digits"},
        {"000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e", 0600, 0, "found 62"},
        {HEX_KEY "20", 0600, 0, "found 66"},
        {"000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1g", 0600, 0,
         "not all hex"},
        {"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8", 0600, 0, "found 43"},
        {"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", 0600, 0, "not the base64"}, /* 33 bytes */
        {"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh9=", 0600, 0,
         "not the base64"}, /* stray bits */
        {"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh-=", 0600, 0, "not the base64"}, /* base64url */
    };
    char tmpl[] = "/tmp/test_sb_aead_XXXXXX", err[512];
    unsigned char key[32], want[32];
    char *dir = mkdtemp(tmpl);
    const char *path;

    SB_CHECK(dir != NULL);
    if (!dir)
        return;
    unhex(HEX_KEY, want);
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        int rc;
        memset(key, 0xaa, sizeof(key));
        err[0] = '\0';
        path = key_file(dir, "key", cases[i].content, strlen(cases[i].content), cases[i].mode);
        rc = sb_crypto_key_load(path, key, err, sizeof(err));
        if (cases[i].ok) {
            SB_CHECK_MSG(rc == 0, "case %zu: %s", i, err);
            SB_CHECK_MSG(memcmp(key, want, 32) == 0, "case %zu", i);
            continue;
        }
        SB_CHECK_MSG(rc == -1, "case %zu", i);
        SB_CHECK_MSG(all_zero(key, sizeof(key)), "case %zu: key not wiped", i);
        SB_CHECK_MSG(strstr(err, path) != NULL, "case %zu: path not named: %s", i, err);
        SB_CHECK_MSG(strstr(err, cases[i].err) != NULL, "case %zu: %s", i, err);
        /* no key material: not even a fragment of the content */
        SB_CHECK_MSG(!strstr(err, "0102030405") && !strstr(err, "AAECAwQF") &&
                         !strstr(err, "AAAAAAAA") && !strstr(err, "aaaaaaaa"),
                     "case %zu: %s", i, err);
    }

    /* a large file, a directory, a missing file, no path */
    {
        char big[4096];
        memset(big, 'a', sizeof(big));
        path = key_file(dir, "big", big, sizeof(big), 0600);
        SB_CHECK(sb_crypto_key_load(path, key, err, sizeof(err)) == -1);
        SB_CHECK_MSG(strstr(err, "more than 128 bytes") != NULL, "%s", err);
        SB_CHECK_MSG(strstr(err, "aaaaaaaa") == NULL, "%s", err);
        unlink(path);
    }
    SB_CHECK(sb_crypto_key_load(dir, key, err, sizeof(err)) == -1);
    SB_CHECK_MSG(strstr(err, dir) && strstr(err, "not a regular file"), "%s", err);
    unlink(key_file(dir, "key", "", 0, 0600));
    SB_CHECK(sb_crypto_key_load(path, key, err, sizeof(err)) == -1);
    SB_CHECK_MSG(strstr(err, path) && strstr(err, "cannot open"), "%s", err);
    SB_CHECK(sb_crypto_key_load(NULL, key, err, sizeof(err)) == -1);
    SB_CHECK(sb_crypto_key_load("", key, err, sizeof(err)) == -1);
    /* a NULL error buffer is allowed */
    SB_CHECK(sb_crypto_key_load(path, key, NULL, 0) == -1);
    rmdir(dir);
}

int main(void) {
    test_known_answers();
    test_round_trip();
    test_tampering();
    test_random_nonce();
    test_key_load();
    return SB_TEST_DONE();
}
