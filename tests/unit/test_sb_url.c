/* test_sb_url: RFC 3986 percent-encoding. */
#include <string.h>

#include "sb_test.h"
#include "sb_url.h"

int main(void) {
    char out[64];
    SB_CHECK(sb_url_encode(out, sizeof(out), "aZ09-._~", NULL) == 8);
    SB_CHECK_STR(out, "aZ09-._~");
    SB_CHECK(sb_url_encode(out, sizeof(out), "a b/c@d+e", NULL) == 17);
    SB_CHECK_STR(out, "a%20b%2Fc%40d%2Be");
    sb_url_encode(out, sizeof(out), "a b@d+e", "@+");
    SB_CHECK_STR(out, "a%20b@d+e");
    sb_url_encode(out, sizeof(out), "caf\xc3\xa9", "");
    SB_CHECK_STR(out, "caf%C3%A9");
    /* a %XX is never cut: 5 bytes hold "ab" and nothing of "%20" */
    SB_CHECK(sb_url_encode(out, 5, "ab c", NULL) == 2);
    SB_CHECK_STR(out, "ab");
    SB_CHECK(sb_url_encode(out, 6, "ab c", NULL) == 5);
    SB_CHECK_STR(out, "ab%20");
    SB_CHECK(sb_url_encode(out, 0, "x", NULL) == 0);
    return SB_TEST_DONE();
}
