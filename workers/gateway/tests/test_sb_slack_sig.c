/* Unit tests for sb_slack_sig: Slack's documented example, the replay window and every refusal. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "sb_slack_sig.h"
#include "sb_test.h"

/* The example of Slack's "Verifying requests from Slack" page. The body is
 * the one its published signature was computed over: the test below
 * reproduces that signature exactly. */
#define DOC_SECRET "8f742231b10e8888abcd99yyyzzz85a5"
#define DOC_TS     "1531420618"
#define DOC_BODY                                                                                   \
    "token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id="         \
    "G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-"     \
    "collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%"             \
    "2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121."               \
    "803a0bc887a14d10d2c447fce8b6703c"
#define DOC_SIG "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503"
#define DOC_NOW INT64_C(1531420618)

static void test_documented_example(void) {
    char sig[SB_SLACK_SIG_LEN + 1], reason[64];
    SB_CHECK(sb_slack_sign(DOC_SECRET, DOC_TS, DOC_BODY, strlen(DOC_BODY), sig) == 0);
    SB_CHECK_STR(sig, DOC_SIG);
    SB_CHECK(sb_slack_verify(DOC_SECRET, DOC_TS, DOC_SIG, DOC_BODY, strlen(DOC_BODY), DOC_NOW,
                             reason, sizeof(reason)) == 0);
    SB_CHECK_STR(reason, "");
}

/* Signs body at timestamp ts with the documented secret. */
static void sign(const char *ts, const char *body, char out[SB_SLACK_SIG_LEN + 1]) {
    if (sb_slack_sign(DOC_SECRET, ts, body, strlen(body), out) != 0)
        out[0] = '\0';
}

static void test_refusals(void) {
    char good[SB_SLACK_SIG_LEN + 1], other_body[SB_SLACK_SIG_LEN + 1];
    char upper[SB_SLACK_SIG_LEN + 1], v1[SB_SLACK_SIG_LEN + 1], truncated[SB_SLACK_SIG_LEN];
    char longer[SB_SLACK_SIG_LEN + 2], flipped[SB_SLACK_SIG_LEN + 1];
    char ts_m300[24], ts_p300[24], ts_m301[24], ts_p301[24];
    char sig_m300[SB_SLACK_SIG_LEN + 1], sig_p300[SB_SLACK_SIG_LEN + 1];
    char sig_m301[SB_SLACK_SIG_LEN + 1], sig_p301[SB_SLACK_SIG_LEN + 1];

    sign(DOC_TS, DOC_BODY, good);
    sign(DOC_TS, "token=other", other_body);
    memcpy(upper, good, sizeof(good));
    for (char *p = upper + 3; *p; p++)
        if (*p >= 'a' && *p <= 'f')
            *p = (char)(*p - 'a' + 'A');
    memcpy(v1, good, sizeof(good));
    v1[1] = '1';
    snprintf(truncated, sizeof(truncated), "%.66s", good);
    snprintf(longer, sizeof(longer), "%s0", good);
    memcpy(flipped, good, sizeof(good));
    flipped[SB_SLACK_SIG_LEN - 1] = flipped[SB_SLACK_SIG_LEN - 1] == '0' ? '1' : '0';
    /* each timestamp is signed correctly: only the window may refuse it */
    snprintf(ts_m300, sizeof(ts_m300), "%lld", (long long)(DOC_NOW - 300));
    snprintf(ts_p300, sizeof(ts_p300), "%lld", (long long)(DOC_NOW + 300));
    snprintf(ts_m301, sizeof(ts_m301), "%lld", (long long)(DOC_NOW - 301));
    snprintf(ts_p301, sizeof(ts_p301), "%lld", (long long)(DOC_NOW + 301));
    sign(ts_m300, DOC_BODY, sig_m300);
    sign(ts_p300, DOC_BODY, sig_p300);
    sign(ts_m301, DOC_BODY, sig_m301);
    sign(ts_p301, DOC_BODY, sig_p301);

    const struct {
        const char *what, *secret, *ts, *sig, *body;
        const char *reason; /* NULL: accepted */
    } cases[] = {
        {"valid", DOC_SECRET, DOC_TS, good, DOC_BODY, NULL},
        {"300 s old", DOC_SECRET, ts_m300, sig_m300, DOC_BODY, NULL},
        {"300 s ahead", DOC_SECRET, ts_p300, sig_p300, DOC_BODY, NULL},
        {"301 s old", DOC_SECRET, ts_m301, sig_m301, DOC_BODY, "stale_timestamp"},
        {"301 s ahead", DOC_SECRET, ts_p301, sig_p301, DOC_BODY, "stale_timestamp"},
        {"zero timestamp", DOC_SECRET, "0", good, DOC_BODY, "stale_timestamp"},
        {"no timestamp", DOC_SECRET, NULL, good, DOC_BODY, "missing_timestamp"},
        {"empty timestamp", DOC_SECRET, "", good, DOC_BODY, "missing_timestamp"},
        {"signed timestamp", DOC_SECRET, "+1531420618", good, DOC_BODY, "bad_timestamp"},
        {"negative timestamp", DOC_SECRET, "-1531420618", good, DOC_BODY, "bad_timestamp"},
        {"fractional timestamp", DOC_SECRET, "1531420618.5", good, DOC_BODY, "bad_timestamp"},
        {"blank in timestamp", DOC_SECRET, " 1531420618", good, DOC_BODY, "bad_timestamp"},
        {"huge timestamp", DOC_SECRET, "99999999999999999999", good, DOC_BODY, "bad_timestamp"},
        {"no signature", DOC_SECRET, DOC_TS, NULL, DOC_BODY, "missing_signature"},
        {"empty signature", DOC_SECRET, DOC_TS, "", DOC_BODY, "missing_signature"},
        {"uppercase hex", DOC_SECRET, DOC_TS, upper, DOC_BODY, "bad_signature_format"},
        {"v1= prefix", DOC_SECRET, DOC_TS, v1, DOC_BODY, "bad_signature_format"},
        {"truncated", DOC_SECRET, DOC_TS, truncated, DOC_BODY, "bad_signature_format"},
        {"one digit more", DOC_SECRET, DOC_TS, longer, DOC_BODY, "bad_signature_format"},
        {"bare hex", DOC_SECRET, DOC_TS, good + 3, DOC_BODY, "bad_signature_format"},
        {"prefix only", DOC_SECRET, DOC_TS, "v0=", DOC_BODY, "bad_signature_format"},
        {"another body", DOC_SECRET, DOC_TS, other_body, DOC_BODY, "signature_mismatch"},
        {"body changed", DOC_SECRET, DOC_TS, good, DOC_BODY "&x=1", "signature_mismatch"},
        {"last digit", DOC_SECRET, DOC_TS, flipped, DOC_BODY, "signature_mismatch"},
        {"other timestamp", DOC_SECRET, "1531420619", good, DOC_BODY, "signature_mismatch"},
        {"other secret", "8f742231b10e8888abcd99yyyzzz85a6", DOC_TS, good, DOC_BODY,
         "signature_mismatch"},
        {"no secret", "", DOC_TS, good, DOC_BODY, "internal_error"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char reason[64] = "unset";
        int rc = sb_slack_verify(cases[i].secret, cases[i].ts, cases[i].sig, cases[i].body,
                                 strlen(cases[i].body), DOC_NOW, reason, sizeof(reason));
        SB_CHECK_MSG(rc == (cases[i].reason ? -1 : 0), "%s: rc %d (%s)", cases[i].what, rc, reason);
        SB_CHECK_STR(reason, cases[i].reason ? cases[i].reason : "");
        /* a reason names the failure, never the secret or the expected value */
        SB_CHECK(!strstr(reason, DOC_SECRET) && !strstr(reason, good + 3));
    }
}

static void test_edges(void) {
    char sig[SB_SLACK_SIG_LEN + 1], small[8];
    /* an empty body is signed as "v0:ts:" */
    SB_CHECK(sb_slack_sign(DOC_SECRET, DOC_TS, NULL, 0, sig) == 0);
    SB_CHECK(sb_slack_verify(DOC_SECRET, DOC_TS, sig, "", 0, DOC_NOW, NULL, 0) == 0);
    SB_CHECK(sb_slack_verify(DOC_SECRET, DOC_TS, sig, NULL, 0, DOC_NOW, NULL, 0) == 0);
    SB_CHECK(sb_slack_sign(NULL, DOC_TS, "", 0, sig) == -1 && sig[0] == '\0');
    /* the body length, not a terminator, is what is signed */
    SB_CHECK(sb_slack_sign(DOC_SECRET, DOC_TS, DOC_BODY "trailing", strlen(DOC_BODY), sig) == 0);
    SB_CHECK_STR(sig, DOC_SIG);
    /* a reason is cut to the buffer, never overflowed */
    SB_CHECK(sb_slack_verify(DOC_SECRET, NULL, DOC_SIG, "", 0, DOC_NOW, small, sizeof(small)) ==
             -1);
    SB_CHECK_STR(small, "missing");
}

int main(void) {
    test_documented_example();
    test_refusals();
    test_edges();
    return SB_TEST_DONE();
}
