/* Unit tests for sb_db (offline): SQLSTATE classes, refused connections, binary arrays. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sb_db.h"
#include "sb_test.h"

#define SECRET "TopSecretPw"

static void test_classify(void) {
    static const struct {
        const char *state;
        int connection_ok;
        sb_db_class_t want;
    } cases[] = {
        {"08006", 1, SB_DB_RETRYABLE}, /* connection failure */
        {"08001", 1, SB_DB_RETRYABLE}, /* cannot establish connection */
        {"40001", 1, SB_DB_RETRYABLE}, /* serialization failure */
        {"40P01", 1, SB_DB_RETRYABLE}, /* deadlock */
        {"53300", 1, SB_DB_RETRYABLE}, /* too many connections */
        {"57P01", 1, SB_DB_RETRYABLE}, /* admin shutdown */
        {"57P03", 1, SB_DB_RETRYABLE}, /* cannot connect now */
        {"58030", 1, SB_DB_RETRYABLE}, /* io error */
        {"55P03", 1, SB_DB_RETRYABLE}, /* lock not available */
        {"23505", 1, SB_DB_PERMANENT}, /* unique violation */
        {"23503", 1, SB_DB_PERMANENT}, /* foreign key violation */
        {"42601", 1, SB_DB_PERMANENT}, /* syntax error */
        {"22P02", 1, SB_DB_PERMANENT}, /* invalid text representation */
        {"42P01", 1, SB_DB_PERMANENT}, /* undefined table */
        {"55000", 1, SB_DB_PERMANENT}, /* object not in prerequisite state: not 55P03 */
        {"57014", 1, SB_DB_PERMANENT}, /* query canceled: not 57P */
        {NULL, 1, SB_DB_RETRYABLE},    /* no server answer */
        {"", 1, SB_DB_RETRYABLE},
        {"23505", 0, SB_DB_RETRYABLE}, /* the connection broke: nothing is known */
        {"42601", 0, SB_DB_RETRYABLE},
        {NULL, 0, SB_DB_RETRYABLE},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        sb_db_class_t got = sb_db_classify(cases[i].state, cases[i].connection_ok);
        SB_CHECK_MSG(got == cases[i].want, "case %zu (%s, %d): %d", i,
                     cases[i].state ? cases[i].state : "NULL", cases[i].connection_ok, (int)got);
    }
}

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Port 1 refuses at once: NULL, quickly, one line, and never the password. */
static void test_connect_refused(void) {
    static const char *const conninfos[] = {
        "postgresql://u:" SECRET "@127.0.0.1:1/db",
        "host=127.0.0.1 port=1 user=u password=" SECRET " dbname=db",
    };
    for (size_t i = 0; i < sizeof(conninfos) / sizeof(conninfos[0]); i++) {
        char err[512] = "";
        double t0 = now_s();
        sb_db_t *db = sb_db_connect(conninfos[i], "sb-unit", err, sizeof(err));
        SB_CHECK_MSG(db == NULL, "case %zu connected", i);
        SB_CHECK_MSG(now_s() - t0 < 5.0, "case %zu took %.1f s", i, now_s() - t0);
        SB_CHECK_MSG(strncmp(err, "postgres", 8) == 0, "case %zu: \"%s\"", i, err);
        SB_CHECK_MSG(strstr(err, SECRET) == NULL, "case %zu leaks: %s", i, err);
        SB_CHECK_MSG(strchr(err, '\n') == NULL, "case %zu: not one line: %s", i, err);
        sb_db_destroy(db);
    }
    sb_db_destroy(NULL); /* a no-op */
}

/* A malformed conninfo: libpq's parse errors may quote the offending token,
 * which here is (part of) the password. */
static void test_connect_malformed(void) {
    static const char *const conninfos[] = {
        "postgresql://u:" SECRET "%zz@127.0.0.1:1/db",
        "host=127.0.0.1 port=1 user=u password=Top " SECRET " dbname=db",
    };
    for (size_t i = 0; i < sizeof(conninfos) / sizeof(conninfos[0]); i++) {
        char err[512] = "";
        sb_db_t *db = sb_db_connect(conninfos[i], "sb-unit", err, sizeof(err));
        SB_CHECK_MSG(db == NULL, "case %zu connected", i);
        SB_CHECK_MSG(err[0] != '\0', "case %zu: no message", i);
        SB_CHECK_MSG(strstr(err, SECRET) == NULL, "case %zu leaks: %s", i, err);
        sb_db_destroy(db);
    }
}

/* Expected array bytes: the 20-byte header, then elements. */
#define BE32(v)                                                                                    \
    (char)(((uint32_t)(v) >> 24) & 0xff), (char)(((uint32_t)(v) >> 16) & 0xff),                    \
        (char)(((uint32_t)(v) >> 8) & 0xff), (char)((uint32_t)(v)&0xff)
#define HEADER(has_null, oid, count) BE32(1), BE32(has_null), BE32(oid), BE32(count), BE32(1)

static void check_bytes(const char *what, const char *got, int len, const char *want,
                        size_t want_len) {
    SB_CHECK_MSG(got != NULL, "%s: NULL", what);
    SB_CHECK_MSG(len >= 0 && (size_t)len == want_len, "%s: len %d, want %zu", what, len, want_len);
    if (!got || len < 0 || (size_t)len != want_len)
        return;
    for (size_t i = 0; i < want_len; i++)
        if (got[i] != want[i]) {
            SB_CHECK_MSG(0, "%s: byte %zu is 0x%02x, want 0x%02x", what, i, (unsigned char)got[i],
                         (unsigned char)want[i]);
            return;
        }
}

static void test_array_int4(void) {
    static const char want[] = {HEADER(0, 23, 2), BE32(4), BE32(1), BE32(4), BE32(0xfffffffe)};
    sb_db_array_t a;
    int len = -1;
    const char *p;
    sb_db_array_init(&a, SB_DB_OID_INT4);
    sb_db_array_add_int4(&a, 1);
    sb_db_array_add_int4(&a, -2);
    p = sb_db_array_finish(&a, &len);
    check_bytes("int4 [1,-2]", p, len, want, sizeof(want));
    SB_CHECK(a.count == 2 && a.has_null == 0);
    sb_db_array_free(&a);
    SB_CHECK(a.bytes.s == NULL && a.bytes.len == 0);
}

static void test_array_int8(void) {
    /* 5000000000 = 0x12a05f200; INT64_MIN = 0x8000000000000000 */
    static const char want[] = {
        HEADER(0, 20, 3), BE32(8),          BE32(1), BE32(0x2a05f200), BE32(8),
        BE32(0xffffffff), BE32(0xffffffff), BE32(8), BE32(0x80000000), BE32(0)};
    sb_db_array_t a;
    int len = -1;
    const char *p;
    sb_db_array_init(&a, SB_DB_OID_INT8);
    sb_db_array_add_int8(&a, INT64_C(5000000000));
    sb_db_array_add_int8(&a, -1);
    sb_db_array_add_int8(&a, INT64_MIN);
    p = sb_db_array_finish(&a, &len);
    check_bytes("int8", p, len, want, sizeof(want));
    sb_db_array_free(&a);
}

static void test_array_text(void) {
    static const char want[] = {
        HEADER(1, 25, 4), BE32(1), 'a', BE32(0xffffffff), BE32(3), 'x', 'y', 'z', BE32(0)};
    sb_db_array_t a;
    int len = -1;
    const char *p;
    sb_db_array_init(&a, SB_DB_OID_TEXT);
    sb_db_array_add(&a, "a", 1);
    sb_db_array_add(&a, NULL, 0);
    sb_db_array_add(&a, "xyz", 3);
    sb_db_array_add(&a, "", 0); /* empty, not NULL */
    p = sb_db_array_finish(&a, &len);
    check_bytes("text [a,NULL,xyz,'']", p, len, want, sizeof(want));
    sb_db_array_free(&a);
}

static void test_array_bytea(void) {
    static const char data[] = {'\x00', '\x01', '\xff', '\x00'};
    static const char want[] = {HEADER(0, 17, 1), BE32(4), '\x00', '\x01', '\xff', '\x00'};
    sb_db_array_t a;
    int len = -1;
    const char *p;
    sb_db_array_init(&a, SB_DB_OID_BYTEA);
    sb_db_array_add(&a, data, sizeof(data));
    p = sb_db_array_finish(&a, &len);
    check_bytes("bytea with NUL", p, len, want, sizeof(want));
    sb_db_array_free(&a);
}

static void test_array_edges(void) {
    static const char empty[] = {HEADER(0, 25, 0)};
    sb_db_array_t a;
    int len = -1;
    const char *p;

    /* empty: a one-dimensional array of length 0 */
    sb_db_array_init(&a, SB_DB_OID_TEXT);
    p = sb_db_array_finish(&a, &len);
    check_bytes("empty", p, len, empty, sizeof(empty));
    sb_db_array_free(&a);

    /* a failure anywhere makes finish refuse */
    sb_db_array_init(&a, SB_DB_OID_INT4);
    sb_db_array_add_int4(&a, 7);
    a.failed = 1;
    sb_db_array_add_int4(&a, 8);
    len = -1;
    SB_CHECK(sb_db_array_finish(&a, &len) == NULL);
    SB_CHECK(len == -1);
    SB_CHECK(a.count == 1); /* nothing added after the failure */
    sb_db_array_free(&a);

    /* growth past the first allocation keeps every element */
    sb_db_array_init(&a, SB_DB_OID_INT4);
    for (int32_t i = 0; i < 3000; i++)
        sb_db_array_add_int4(&a, i * 7 - 1000);
    p = sb_db_array_finish(&a, &len);
    SB_CHECK(p != NULL && len == 20 + 3000 * 8);
    if (p && len == 20 + 3000 * 8) {
        int32_t bad = -1;
        const unsigned char *u = (const unsigned char *)p;
        SB_CHECK(u[12] == 0 && u[13] == 0 && u[14] == 0x0b && u[15] == 0xb8); /* count 3000 */
        for (int32_t i = 0; i < 3000 && bad == -1; i++) {
            const unsigned char *e = u + 20 + 8 * i;
            uint32_t l = (uint32_t)e[0] << 24 | (uint32_t)e[1] << 16 | (uint32_t)e[2] << 8 | e[3];
            uint32_t v = (uint32_t)e[4] << 24 | (uint32_t)e[5] << 16 | (uint32_t)e[6] << 8 | e[7];
            if (l != 4 || (int32_t)v != i * 7 - 1000)
                bad = i;
        }
        SB_CHECK_MSG(bad == -1, "element %d is wrong", (int)bad);
    }
    sb_db_array_free(&a);

    /* a large text element forces a bigger reallocation */
    {
        static char big[10000];
        memset(big, 'q', sizeof(big));
        sb_db_array_init(&a, SB_DB_OID_TEXT);
        sb_db_array_add(&a, "s", 1);
        sb_db_array_add(&a, big, sizeof(big));
        p = sb_db_array_finish(&a, &len);
        SB_CHECK(p != NULL && len == 20 + 5 + 4 + (int)sizeof(big));
        if (p && len == 20 + 5 + 4 + (int)sizeof(big)) {
            SB_CHECK(p[24] == 's');
            SB_CHECK(memcmp(p + 29, big, sizeof(big)) == 0);
        }
        sb_db_array_free(&a);
    }
}

int main(void) {
    test_classify();
    test_connect_refused();
    test_connect_malformed();
    test_array_int4();
    test_array_int8();
    test_array_text();
    test_array_bytea();
    test_array_edges();
    return SB_TEST_DONE();
}
