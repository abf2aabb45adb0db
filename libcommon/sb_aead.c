/* sb_aead: AES-256-GCM sealed boxes and the key files they are opened with. */
#include "sb_aead.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sb_crypto.h"
#include "sb_log.h"

/* libcrypto takes int lengths; larger inputs are fed in pieces of this size. */
#define CHUNK ((size_t)3 << 28)

/* AES-256-GCM. GCM encrypts at most 2^36 - 32 bytes under one nonce. */
#define GCM_MAX_LEN (((uint64_t)1 << 36) - 32)

/* Feeds `in` to the cipher in int-sized pieces; out NULL means AAD. */
static int cipher_update(EVP_CIPHER_CTX *ctx, unsigned char *out, const void *in, size_t len) {
    for (size_t off = 0; off < len; off += CHUNK) {
        size_t n = len - off < CHUNK ? len - off : CHUNK;
        int outl = 0;
        if (EVP_CipherUpdate(ctx, out ? out + off : NULL, &outl, (const unsigned char *)in + off,
                             (int)n) != 1)
            return -1;
        if (out && (size_t)outl != n)
            return -1;
    }
    return 0;
}

/* A context for AES-256-GCM with a 12-byte nonce; enc 1 encrypts, 0 decrypts. */
static EVP_CIPHER_CTX *gcm_new(const unsigned char *key, const unsigned char *nonce, int enc) {
    EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
    if (!ctx)
        return NULL;
    if (EVP_CipherInit_ex(ctx, EVP_aes_256_gcm(), NULL, NULL, NULL, enc) != 1 ||
        EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_IVLEN, SB_AEAD_NONCE_LEN, NULL) != 1 ||
        EVP_CipherInit_ex(ctx, NULL, NULL, key, nonce, enc) != 1) {
        EVP_CIPHER_CTX_free(ctx);
        return NULL;
    }
    return ctx;
}

int sb_aead_seal_with_nonce(const unsigned char key[SB_AEAD_KEY_LEN],
                            const unsigned char nonce[SB_AEAD_NONCE_LEN], const void *pt,
                            size_t len, const void *aad, size_t aadlen, unsigned char *out,
                            size_t *outlen) {
    EVP_CIPHER_CTX *ctx = NULL;
    unsigned char *ct;
    int finl = 0, rc = -1;

    if (outlen)
        *outlen = 0;
    if (!key || !nonce || !out || !outlen || (len && !pt) || (aadlen && !aad) ||
        (uint64_t)len > GCM_MAX_LEN || len > SIZE_MAX - SB_AEAD_OVERHEAD)
        return -1;
    ct = out + SB_AEAD_NONCE_LEN;
    memcpy(out, nonce, SB_AEAD_NONCE_LEN);
    ctx = gcm_new(key, nonce, 1);
    if (!ctx || cipher_update(ctx, NULL, aad, aadlen) == -1 ||
        cipher_update(ctx, ct, pt, len) == -1)
        goto out;
    /* GCM is a stream mode: Final produces no bytes, only the tag. */
    if (EVP_EncryptFinal_ex(ctx, ct + len, &finl) != 1 || finl != 0 ||
        EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, SB_AEAD_TAG_LEN, ct + len) != 1)
        goto out;
    *outlen = len + SB_AEAD_OVERHEAD;
    rc = 0;
out:
    if (rc == -1)
        OPENSSL_cleanse(out, len + SB_AEAD_OVERHEAD);
    EVP_CIPHER_CTX_free(ctx);
    return rc;
}

int sb_aead_seal(const unsigned char key[SB_AEAD_KEY_LEN], const void *pt, size_t len,
                 const void *aad, size_t aadlen, unsigned char *out, size_t *outlen) {
    unsigned char nonce[SB_AEAD_NONCE_LEN];

    if (outlen)
        *outlen = 0;
    /* 96-bit random nonces: safe for far more than 2^32 seals per key. */
    if (sb_random_bytes(nonce, sizeof(nonce)) == -1)
        return -1;
    return sb_aead_seal_with_nonce(key, nonce, pt, len, aad, aadlen, out, outlen);
}

int sb_aead_open(const unsigned char key[SB_AEAD_KEY_LEN], const unsigned char *in, size_t inlen,
                 const void *aad, size_t aadlen, unsigned char *pt, size_t *ptlen) {
    EVP_CIPHER_CTX *ctx = NULL;
    unsigned char tag[SB_AEAD_TAG_LEN], fin[SB_AEAD_TAG_LEN];
    const unsigned char *ct;
    size_t len;
    int finl = 0, rc = -1;

    if (ptlen)
        *ptlen = 0;
    if (!key || !in || !ptlen || inlen < SB_AEAD_OVERHEAD || (aadlen && !aad))
        return -1;
    len = inlen - SB_AEAD_OVERHEAD;
    if ((len && !pt) || (uint64_t)len > GCM_MAX_LEN)
        return -1;
    ct = in + SB_AEAD_NONCE_LEN;
    memcpy(tag, ct + len, SB_AEAD_TAG_LEN); /* the ctrl wants a mutable buffer */
    ctx = gcm_new(key, in, 0);
    if (!ctx || cipher_update(ctx, NULL, aad, aadlen) == -1 ||
        cipher_update(ctx, pt, ct, len) == -1 ||
        EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, SB_AEAD_TAG_LEN, tag) != 1)
        goto out;
    /* The tag is checked here, in constant time; on mismatch nothing decrypted is kept. */
    if (EVP_DecryptFinal_ex(ctx, fin, &finl) != 1 || finl != 0)
        goto out;
    *ptlen = len;
    rc = 0;
out:
    if (rc == -1 && pt)
        OPENSSL_cleanse(pt, len);
    EVP_CIPHER_CTX_free(ctx);
    return rc;
}

/* Key files. */
#define KEY_FILE_MAX 128 /* bytes read at most; a valid file has at most 64 + 2 */

static int base64_value(char c) {
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '+')
        return 62;
    if (c == '/')
        return 63;
    return -1;
}

/* 64 hex digits, either case, into 32 bytes; 0 or -1. */
static int decode_hex_key(const char *s, unsigned char key[SB_AEAD_KEY_LEN]) {
    for (size_t i = 0; i < SB_AEAD_KEY_LEN; i++) {
        int hi = sb_hex_value(s[2 * i]), lo = sb_hex_value(s[2 * i + 1]);
        if (hi < 0 || lo < 0)
            return -1;
        key[i] = (unsigned char)(hi << 4 | lo);
    }
    return 0;
}

/* 44 characters of canonical padded base64 (43 symbols, then '=') into
 * 32 bytes; the 2 bits left over must be zero. 0 or -1. */
static int decode_base64_key(const char *s, unsigned char key[SB_AEAD_KEY_LEN]) {
    uint32_t acc = 0;
    int bits = 0;
    size_t o = 0;

    if (s[43] != '=')
        return -1;
    for (size_t i = 0; i < 43; i++) {
        int v = base64_value(s[i]);
        if (v < 0)
            return -1;
        acc = (acc << 6 | (uint32_t)v) & 0x3fff; /* at most 7 + 6 bits are pending */
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            key[o++] = (unsigned char)(acc >> bits);
        }
    }
    return o == SB_AEAD_KEY_LEN && (acc & ((1u << bits) - 1)) == 0 ? 0 : -1;
}

/* Reads at most KEY_FILE_MAX + 1 bytes of an owner-only regular file. */
static int read_key_file(const char *path, char *buf, size_t *len, char *errstr,
                         size_t errstr_size) {
    struct stat st;
    int fd, rc = -1;

    *len = 0;
    /* O_NONBLOCK: a FIFO must not hang the start; it is refused below. */
    fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    if (fd == -1) {
        sb_seterr(errstr, errstr_size, "key file %s: cannot open: %s", path, strerror(errno));
        return -1;
    }
    if (fstat(fd, &st) == -1) {
        sb_seterr(errstr, errstr_size, "key file %s: cannot stat: %s", path, strerror(errno));
        goto out;
    }
    if (!S_ISREG(st.st_mode)) {
        sb_seterr(errstr, errstr_size, "key file %s: not a regular file", path);
        goto out;
    }
    if (st.st_mode & 077) {
        sb_seterr(errstr, errstr_size,
                  "key file %s: accessible by group or others (mode %04o); "
                  "allow only its owner (chmod 600)",
                  path, (unsigned)(st.st_mode & 07777));
        goto out;
    }
    while (*len < KEY_FILE_MAX + 1) {
        ssize_t n = read(fd, buf + *len, KEY_FILE_MAX + 1 - *len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            sb_seterr(errstr, errstr_size, "key file %s: cannot read: %s", path, strerror(errno));
            goto out;
        }
        if (n == 0)
            break;
        *len += (size_t)n;
    }
    rc = 0;
out:
    close(fd);
    return rc;
}

int sb_crypto_key_load(const char *path, unsigned char key[SB_AEAD_KEY_LEN], char *errstr,
                       size_t errstr_size) {
    char buf[KEY_FILE_MAX + 1];
    size_t len = 0;
    int rc = -1;

    OPENSSL_cleanse(key, SB_AEAD_KEY_LEN);
    if (!path || !*path) {
        sb_seterr(errstr, errstr_size, "key file: no path given");
        return -1;
    }
    if (read_key_file(path, buf, &len, errstr, errstr_size) == -1)
        goto out;
    if (len > 0 && buf[len - 1] == '\n') {
        len--;
        if (len > 0 && buf[len - 1] == '\r')
            len--;
    }
    /* The messages give lengths and formats only, never the content. */
    if (len == 2 * SB_AEAD_KEY_LEN) {
        if (decode_hex_key(buf, key) == -1) {
            sb_seterr(errstr, errstr_size, "key file %s: 64 characters but not all hex digits",
                      path);
            goto out;
        }
    } else if (len == 44) {
        if (decode_base64_key(buf, key) == -1) {
            sb_seterr(errstr, errstr_size,
                      "key file %s: 44 characters but not the base64 of 32 bytes", path);
            goto out;
        }
    } else {
        sb_seterr(errstr, errstr_size,
                  "key file %s: expected 64 hex digits or 44 base64 characters (a 32-byte key), "
                  "found %s%zu bytes",
                  path, len > KEY_FILE_MAX ? "more than " : "",
                  len > KEY_FILE_MAX ? (size_t)KEY_FILE_MAX : len);
        goto out;
    }
    rc = 0;
out:
    OPENSSL_cleanse(buf, sizeof(buf));
    if (rc == -1)
        OPENSSL_cleanse(key, SB_AEAD_KEY_LEN);
    return rc;
}
