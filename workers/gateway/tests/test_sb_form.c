/* Unit tests for sb_form: decoding, absence, duplicates and every malformed input. */
#include <stdlib.h>
#include <string.h>

#include "sb_form.h"
#include "sb_test.h"

static void test_table(void) {
    static const struct {
        const char *body;
        const char *name;
        int rc;
        const char *value;
    } cases[] = {
        /* found */
        {"payload=abc", "payload", 1, "abc"},
        {"a=1&payload=x%20y+z&b=2", "payload", 1, "x y z"},
        {"payload=%7B%22type%22%3A%22block_actions%22%7D", "payload", 1,
         "{\"type\":\"block_actions\"}"},
        {"payload=%c3%a9%C3%A9", "payload", 1, "\xc3\xa9\xc3\xa9"},
        {"payload=", "payload", 1, ""},
        {"flag&x=1", "flag", 1, ""},
        {"a+b=c", "a b", 1, "c"},
        {"a%3Db=c", "a=b", 1, "c"},
        {"x=1&&payload=2&", "payload", 1, "2"},
        {"payload=a=b", "payload", 1, "a=b"},
        {"payload=%2B", "payload", 1, "+"},
        /* absent */
        {"", "payload", 0, NULL},
        {"a=1&b=2", "payload", 0, NULL},
        {"payloadx=1&xpayload=2", "payload", 0, NULL},
        {"Payload=1", "payload", 0, NULL},
        {"&&&", "payload", 0, NULL},
        /* malformed or ambiguous */
        {"payload=%G1", "payload", -1, NULL},
        {"payload=%4", "payload", -1, NULL},
        {"payload=%", "payload", -1, NULL},
        {"payload=%1G", "payload", -1, NULL},
        {"payload=a%00b", "payload", -1, NULL},
        {"payload=1&payload=2", "payload", -1, NULL},
        {"payload=1&payload=1", "payload", -1, NULL},
        {"payload=1&pay%6Coad=2", "payload", -1, NULL},
        {"payload=1&other=%ZZ", "payload", -1, NULL},
        {"other=%4&payload=1", "payload", -1, NULL},
        {"pay%GGload=1", "payload", -1, NULL},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char *v = (char *)"sentinel";
        int rc = sb_form_get(cases[i].body, strlen(cases[i].body), cases[i].name, &v);
        SB_CHECK_MSG(rc == cases[i].rc, "case %zu \"%s\": rc %d, want %d", i, cases[i].body, rc,
                     cases[i].rc);
        if (cases[i].value)
            SB_CHECK_STR(v, cases[i].value);
        else
            SB_CHECK_MSG(v == NULL, "case %zu: value not NULL", i);
        free(v);
    }
}

/* The length, not a terminator, bounds the body; a raw NUL is malformed. */
static void test_lengths(void) {
    char *v = NULL;
    SB_CHECK(sb_form_get("payload=abc&payload=def", 11, "payload", &v) == 1);
    SB_CHECK_STR(v, "abc");
    free(v);
    SB_CHECK(sb_form_get("payload=%41", 10, "payload", &v) == -1); /* cut escape */
    SB_CHECK(v == NULL);
    SB_CHECK(sb_form_get("payload=a\0b", 11, "payload", &v) == -1);
    SB_CHECK(sb_form_get("x=a\0b&payload=1", 15, "payload", &v) == -1);
    SB_CHECK(sb_form_get(NULL, 0, "payload", &v) == 0);
    SB_CHECK(sb_form_get("a=1", 3, NULL, &v) == -1);
}

int main(void) {
    test_table();
    test_lengths();
    return SB_TEST_DONE();
}
