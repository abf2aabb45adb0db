/* Unit tests for sb_duo_sign: fixed vectors for Duo's request signatures. */
#include <stdlib.h>
#include <string.h>

#include "sb_crypto.h"
#include "sb_duo_sign.h"
#include "sb_test.h"

/* Built by hand from the example in Duo's API documentation
 * ("Authentication" section): its canonical string, ikey and skey; the
 * expected signatures computed independently (Python's hmac module). The
 * SHA-1 header is the one the documentation prints. */
#define DOC_DATE "Tue, 21 Aug 2012 17:29:18 -0000"
#define DOC_IKEY "DIWJ8X6AEYOR5OMC6TQ1"
#define DOC_SKEY "Zh5eGmUq9zpfQnyUIu5OL9iWoMMv5ZNmk3zLJ4Ep"
#define DOC_CANON                                                                                  \
    DOC_DATE "\nPOST\napi-xxxxxxxx.duosecurity.com\n/accounts/v1/account/list\n"                   \
             "realname=First%20Last&username=root"
#define DOC_SHA1_AUTH                                                                              \
    "Basic RElXSjhYNkFFWU9SNU9NQzZUUTE6MmQ5N2Q2MTY2MzE5NzgxYjVhM2EwN2FmMzlkMzY2ZjQ5MTIzNGVkYw=="
#define DOC_SHA512_HEX                                                                             \
    "1bffb8924348f7db7da9e7d7d749ded93aafd02d8e904960da7b96c57510220185a64a2827ee8f24ac5d30802a9e" \
    "e97e59de44b304b18242f0d596d15a8122af"

static void test_documentation_vector(void) {
    const sb_duo_param_t params[] = {{"username", "root"}, {"realname", "First Last"}};
    char *canon_params = sb_duo_params_canon(params, 2);
    char *canon = sb_duo_canonical(DOC_DATE, "post", "API-xxxxxxxx.duosecurity.COM",
                                   "/accounts/v1/account/list", canon_params);
    char *sha1 = sb_duo_authorization(DOC_IKEY, DOC_SKEY, SB_DUO_HMAC_SHA1, canon);
    char *sha512 = sb_duo_authorization(DOC_IKEY, DOC_SKEY, SB_DUO_HMAC_SHA512, canon);
    char *want = sb_base64_encode(DOC_IKEY ":" DOC_SHA512_HEX, strlen(DOC_IKEY ":" DOC_SHA512_HEX));
    char want512[512];

    SB_CHECK_STR(canon_params, "realname=First%20Last&username=root");
    SB_CHECK_STR(canon, DOC_CANON);
    SB_CHECK_STR(sha1, DOC_SHA1_AUTH);
    snprintf(want512, sizeof(want512), "Basic %s", want ? want : "");
    SB_CHECK_STR(sha512, want512);
    free(canon_params);
    free(canon);
    free(sha1);
    free(sha512);
    free(want);
}

/* duo_client_python's tests/test_client.py (TestSign): non-ASCII keys and
 * values, given here out of order, a mixed-case host and method. */
static const sb_duo_param_t unicode_params[] = {
    {"\xec\x8b\x85\xe2\xb0\x9d\xe2\x98\xa0\xe3\x98\x97\xe9\x9a\xb3"
     "F\xe8\x98\x85\xe2\x83\xa8\xea\xb0\xa1\xe5\xa4\xb4",
     "\xef\xae\xa9\xe4\x86\xaa\xeb\xb6\x83\xe8\x90\x8b\xe2\x98\x95\xe3\xb9\xae\xe6\x94\xad\xea\xa2"
     "\xb5\xed\x95\xabU"},
    {"\xe4\x9a\x9a\xe2\xa1\xbb\xe3\x97\x90\xe8\xbb\xb3\xe6\x9c\xa7\xe5\x80\xaa\xe0\xa0\x90\xed\x82"
     "\x91\xc3\x88\xec\x85\xb0",
     "\xe0\xbd\x85\xe1\xa9\xb6\xe3\x90\x9a\xe6\x95\x8c\xec\x88\xbf\xe9\xac\x89\xea\xaf\xa2\xe8\x8d"
     "\x83\xe1\xac\xa7\xe6\x83\x90"},
    {"\xe7\x91\xb0\xe9\x8c\x94\xe9\x80\x9c\xe9\xba\xae\xe4\x83\x98\xe4\x88\x81\xe8\x8b\x98\xe8\xb1"
     "\xb0\xe1\xb4\xb1\xea\x81\x82",
     "\xe1\x9f\x99\xe0\xae\xa8\xe9\x8d\x98\xea\xab\x9f\xea\x90\xaa\xe4\xa2\xbe\xef\xae\x96\xe6\xbf"
     "\xa9\xeb\x9f\xbf\xe3\x8b\xb3"},
    {"\xe7\x91\x89\xe7\xb9\x8b\xec\xb3\xbb\xe5\xa7\xbf\xef\xb9\x9f\xe8\x8e\xb7\xea\xb7\x8c\xe9\x80"
     "\x8c\xec\xbf\x91\xe7\xa0\x93",
     "\xe8\xb6\xb7\xe5\x80\xa2\xe9\x8b\x93\xe4\x8b\xaf\xe2\x81\xbd\xe8\x9c\xb0\xea\xb3\xbe\xe5\x98"
     "\x97\xe0\xa5\x86\xe4\xb8\xb0"},
};

static void test_client_vectors(void) {
    static const char *sha1_hex = "f01811cbbf9561623ab45b893096267fd46a5178";
    static const char *sha512_hex =
        "0508065035a03b2a1de2f453e629e791d180329e157f65df6b3e0f08299d4321e1c5c7a7c7ee6b9e5fc80d1fb"
        "6fbf3ad5eb7c44dd3b3985a02c37aca53ec3698";
    static const char head[] = "Fri, 07 Dec 2012 17:18:00 -0000\nPOST\nfoo.bar52.com\n"
                               "/Foo/BaR2/qux\n%E4%9A%9A";
    const char *hexes[] = {sha1_hex, sha512_hex};
    const sb_duo_hmac_t kinds[] = {SB_DUO_HMAC_SHA1, SB_DUO_HMAC_SHA512};
    char *cp = sb_duo_params_canon(unicode_params, 4);
    char *canon = sb_duo_canonical("Fri, 07 Dec 2012 17:18:00 -0000", "PoSt", "foO.BAr52.cOm",
                                   "/Foo/BaR2/qux", cp);

    SB_CHECK(cp && !strncmp(cp, "%E4%9A%9A%E2%A1%BB", 18));
    SB_CHECK(cp && strstr(cp, "%A2%B5%ED%95%ABU") && cp[strlen(cp) - 1] == 'U');
    SB_CHECK(canon && !strncmp(canon, head, strlen(head)));
    for (int i = 0; i < 2; i++) {
        char plain[256], want[512];
        char *b64, *got = sb_duo_authorization(
                       "test_ikey", "gtdfxv9YgVBYcF6dl2Eq17KUQJN2PLM2ODVTkvoT", kinds[i], canon);
        snprintf(plain, sizeof(plain), "test_ikey:%s", hexes[i]);
        b64 = sb_base64_encode(plain, strlen(plain));
        snprintf(want, sizeof(want), "Basic %s", b64 ? b64 : "");
        SB_CHECK_STR(got, want);
        free(b64);
        free(got);
    }
    free(cp);
    free(canon);
}

typedef struct {
    sb_duo_param_t params[4];
    size_t n;
    const char *want;
} canon_case_t;

static const canon_case_t canon_cases[] = {
    {{{0}}, 0, ""},
    {{{"realname", "First Last"}}, 1, "realname=First%20Last"},
    /* sorted by key, not by "key=value": '=' sorts after '_' would differ */
    {{{"foo_bar", "2"}, {"foo", "1"}}, 2, "foo=1&foo_bar=2"},
    /* the same key twice: sorted by value */
    {{{"a", "z"}, {"a", "b"}}, 2, "a=b&a=z"},
    {{{"digits", "0123456789"},
      {"letters", "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"},
      {"punctuation", "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~"},
      {"whitespace", "\t\n\x0b\x0c\r "}},
     4,
     "digits=0123456789&letters=abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ&punctuation="
     "%21%22%23%24%25%26%27%28%29%2A%2B%2C-.%2F%3A%3B%3C%3D%3E%3F%40%5B%5C%5D%5E_%60%7B%7C%7D~&"
     "whitespace=%09%0A%0B%0C%0D%20"},
    /* the parameters sb-response sends */
    {{{"username", "alice"}, {"txid", "45f7c92b-f45f-4862-8545-e0f58e78075a"}},
     2,
     "txid=45f7c92b-f45f-4862-8545-e0f58e78075a&username=alice"},
};

static void test_params_canon(void) {
    sb_duo_param_t many[SB_DUO_MAX_PARAMS + 1];
    for (size_t i = 0; i < sizeof(canon_cases) / sizeof(canon_cases[0]); i++) {
        char *got = sb_duo_params_canon(canon_cases[i].params, canon_cases[i].n);
        SB_CHECK_STR(got, canon_cases[i].want);
        free(got);
    }
    for (size_t i = 0; i <= SB_DUO_MAX_PARAMS; i++)
        many[i] = (sb_duo_param_t){"k", "v"};
    SB_CHECK(sb_duo_params_canon(many, SB_DUO_MAX_PARAMS + 1) == NULL);
    many[0].value = NULL;
    SB_CHECK(sb_duo_params_canon(many, 1) == NULL);
}

static void test_date(void) {
    char out[SB_DUO_DATE_SIZE];
    SB_CHECK(sb_duo_date(1345570158, out) == 0);
    SB_CHECK_STR(out, DOC_DATE);
    SB_CHECK(sb_duo_date(1354900680, out) == 0);
    SB_CHECK_STR(out, "Fri, 07 Dec 2012 17:18:00 -0000");
    SB_CHECK(sb_duo_date(0, out) == 0);
    SB_CHECK_STR(out, "Thu, 01 Jan 1970 00:00:00 -0000");
}

int main(void) {
    test_documentation_vector();
    test_client_vectors();
    test_params_canon();
    test_date();
    return SB_TEST_DONE();
}
