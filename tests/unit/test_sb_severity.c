/* test_sb_severity: severity names and ranks, both ways. */
#include <stddef.h>

#include "sb_severity.h"
#include "sb_test.h"

static const struct {
    const char *name;
    int rank;
} ranks[] = {
    {"low", 0},       {"medium", 1}, {"high", 2},     {"critical", 3}, {"", -1},
    {"Critical", -1}, {"HIGH", -1},  {"medium ", -1}, {"urgent", -1},  {NULL, -1},
};

int main(void) {
    SB_CHECK(SB_SEVERITY_COUNT == 4);
    SB_CHECK(SB_SEVERITY_LOW == 0 && SB_SEVERITY_MEDIUM == 1 && SB_SEVERITY_HIGH == 2 &&
             SB_SEVERITY_CRITICAL == 3);
    for (size_t i = 0; i < sizeof(ranks) / sizeof(ranks[0]); i++)
        SB_CHECK_MSG(sb_severity_rank(ranks[i].name) == ranks[i].rank, "\"%s\"",
                     ranks[i].name ? ranks[i].name : "(null)");
    /* rank -> name -> rank, and the list ends in NULL for the contract */
    for (int r = 0; r < SB_SEVERITY_COUNT; r++) {
        SB_CHECK_STR(sb_severity_name(r), sb_severity_names[r]);
        SB_CHECK(sb_severity_rank(sb_severity_name(r)) == r);
    }
    SB_CHECK(sb_severity_names[SB_SEVERITY_COUNT] == NULL);
    SB_CHECK(sb_severity_name(-1) == NULL && sb_severity_name(SB_SEVERITY_COUNT) == NULL);
    SB_CHECK_STR(sb_severity_name(SB_SEVERITY_CRITICAL), "critical");
    return SB_TEST_DONE();
}
