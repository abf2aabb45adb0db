/* tokens: parse the intake tokens file, check its permissions, find a sender in constant time. */
#include "tokens.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sb_crypto.h"
#include "sb_log.h"
#include "sb_utf8.h"

typedef struct {
    char source[SB_TOKENS_SOURCE_MAX + 1];
    char hash[SB_SHA256_HEX_LEN + 1]; /* lowercase hex */
} entry_t;

struct sb_tokens_s {
    entry_t *e;
    size_t n;
};

static int blank(char c) {
    return c == ' ' || c == '\t';
}

/* One non-comment line: "SOURCE HASH", blanks around and between. 0 or -1. */
static int parse_line(const char *s, size_t len, entry_t *out, char *why, size_t why_size) {
    size_t i = 0, src0, srcn, h0, hn;

    while (i < len && blank(s[i]))
        i++;
    for (src0 = i; i < len && !blank(s[i]); i++)
        ;
    srcn = i - src0;
    while (i < len && blank(s[i]))
        i++;
    for (h0 = i; i < len && !blank(s[i]); i++)
        ;
    hn = i - h0;
    while (i < len && blank(s[i]))
        i++;
    if (hn == 0 || i != len) {
        snprintf(why, why_size, "expected \"SOURCE SHA256HEX\"");
        return -1;
    }
    if (srcn > SB_TOKENS_SOURCE_MAX || !sb_utf8_valid(s + src0, srcn)) {
        snprintf(why, why_size, "the source is not 1-%d bytes of UTF-8", SB_TOKENS_SOURCE_MAX);
        return -1;
    }
    for (size_t k = 0; k < srcn; k++) {
        if ((unsigned char)s[src0 + k] < 0x20 || s[src0 + k] == 0x7f) {
            snprintf(why, why_size, "the source holds a control character");
            return -1;
        }
    }
    if (hn != SB_SHA256_HEX_LEN) {
        snprintf(why, why_size, "the hash is not 64 hex digits (the SHA-256 of the token)");
        return -1;
    }
    for (size_t k = 0; k < hn; k++) {
        int v = sb_hex_value(s[h0 + k]);
        if (v < 0) {
            snprintf(why, why_size, "the hash is not 64 hex digits (the SHA-256 of the token)");
            return -1;
        }
        out->hash[k] = "0123456789abcdef"[v];
    }
    out->hash[hn] = '\0';
    memcpy(out->source, s + src0, srcn);
    out->source[srcn] = '\0';
    return 0;
}

/* 1 when an earlier entry has the same hash: one token cannot be two senders. */
static int duplicate(const sb_tokens_t *t, const entry_t *e) {
    for (size_t i = 0; i < t->n; i++)
        if (strcmp(t->e[i].hash, e->hash) == 0)
            return 1;
    return 0;
}

sb_tokens_t *sb_tokens_parse(const char *text, size_t len, char *errstr, size_t errstr_size) {
    sb_tokens_t *t = calloc(1, sizeof(*t));
    size_t cap = 0, lineno = 0, pos = 0;
    char why[128];

    if (!t)
        goto oom;
    while (pos < len) {
        const char *line = text + pos, *nl = memchr(line, '\n', len - pos);
        size_t n = nl ? (size_t)(nl - line) : len - pos, k = 0;
        entry_t e;

        pos += n + (nl ? 1 : 0);
        lineno++;
        if (n > 0 && line[n - 1] == '\r')
            n--;
        while (k < n && blank(line[k]))
            k++;
        if (k == n || line[k] == '#')
            continue;
        if (memchr(line, '\0', n) || parse_line(line, n, &e, why, sizeof(why)) != 0) {
            sb_seterr(errstr, errstr_size, "line %zu: %s", lineno,
                      memchr(line, '\0', n) ? "holds a NUL byte" : why);
            goto fail;
        }
        if (duplicate(t, &e)) {
            sb_seterr(errstr, errstr_size, "line %zu: the same token hash is on an earlier line",
                      lineno);
            goto fail;
        }
        if (t->n == SB_TOKENS_ENTRIES_MAX) {
            sb_seterr(errstr, errstr_size, "more than %d tokens", SB_TOKENS_ENTRIES_MAX);
            goto fail;
        }
        if (t->n == cap) {
            entry_t *grown = realloc(t->e, (cap ? cap * 2 : 16) * sizeof(*grown));
            if (!grown)
                goto oom;
            t->e = grown;
            cap = cap ? cap * 2 : 16;
        }
        t->e[t->n++] = e;
    }
    return t;
oom:
    sb_seterr(errstr, errstr_size, "out of memory");
fail:
    sb_tokens_destroy(t);
    return NULL;
}

/* Reads at most SB_TOKENS_FILE_MAX bytes of an owner-only regular file:
 * the same checks as the second-factor key file (libcommon/sb_aead.c). */
static char *read_private(const char *path, size_t *len, char *errstr, size_t errstr_size) {
    struct stat st;
    char *buf = NULL;
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK), rc = -1;

    *len = 0;
    if (fd == -1) {
        sb_seterr(errstr, errstr_size, "cannot open: %s", strerror(errno));
        return NULL;
    }
    if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode)) {
        sb_seterr(errstr, errstr_size, "not a regular file");
        goto out;
    }
    if (st.st_mode & 077) {
        sb_seterr(errstr, errstr_size,
                  "accessible by group or others (mode %04o); allow only its owner (chmod 600)",
                  (unsigned)(st.st_mode & 07777));
        goto out;
    }
    if (!(buf = malloc(SB_TOKENS_FILE_MAX + 1))) {
        sb_seterr(errstr, errstr_size, "out of memory");
        goto out;
    }
    for (;;) {
        ssize_t n = read(fd, buf + *len, SB_TOKENS_FILE_MAX + 1 - *len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            sb_seterr(errstr, errstr_size, "cannot read: %s", strerror(errno));
            goto out;
        }
        if (n == 0)
            break;
        *len += (size_t)n;
        if (*len > SB_TOKENS_FILE_MAX) {
            sb_seterr(errstr, errstr_size, "larger than %d bytes", SB_TOKENS_FILE_MAX);
            goto out;
        }
    }
    rc = 0;
out:
    close(fd);
    if (rc != 0) {
        free(buf);
        buf = NULL;
    }
    return buf;
}

sb_tokens_t *sb_tokens_load(const char *path, char *errstr, size_t errstr_size) {
    char why[400] = "";
    size_t len;
    char *text = read_private(path, &len, why, sizeof(why));
    sb_tokens_t *t = NULL;

    if (text)
        t = sb_tokens_parse(text, len, why, sizeof(why)); /* NULL: why names the line */
    if (!t)
        sb_seterr(errstr, errstr_size, "intake tokens file %s: %s", path, why);
    if (text) {
        sb_crypto_wipe(text, len); /* hashes only, but no copy lingers */
        free(text);
    }
    return t;
}

size_t sb_tokens_count(const sb_tokens_t *t) {
    return t ? t->n : 0;
}

long sb_tokens_lookup(const sb_tokens_t *t, const char *token, size_t len) {
    char hash[SB_SHA256_HEX_LEN + 1];
    long found = -1;

    if (!t || !token || len == 0 || len > SB_TOKENS_TOKEN_MAX ||
        sb_sha256_hex(token, len, hash) != 0)
        return -1;
    /* every entry, no early exit: the time says nothing about which
     * entry, or how much of a hash, matched */
    for (size_t i = 0; i < t->n; i++) {
        long eq = sb_crypto_equal(hash, SB_SHA256_HEX_LEN, t->e[i].hash, SB_SHA256_HEX_LEN);
        long mask = -eq; /* all ones on a match */
        found = (found & ~mask) | ((long)i & mask);
    }
    sb_crypto_wipe(hash, sizeof(hash));
    return found;
}

const char *sb_tokens_source(const sb_tokens_t *t, size_t i) {
    return t && i < t->n ? t->e[i].source : NULL;
}

const char *sb_tokens_hash(const sb_tokens_t *t, size_t i) {
    return t && i < t->n ? t->e[i].hash : NULL;
}

void sb_tokens_destroy(sb_tokens_t *t) {
    if (!t)
        return;
    free(t->e);
    free(t);
}
