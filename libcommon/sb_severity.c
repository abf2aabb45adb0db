/* sb_severity: the one list of severity names, and name <-> rank. */
#include "sb_severity.h"

#include <string.h>

const char *const sb_severity_names[SB_SEVERITY_COUNT + 1] = {"low", "medium", "high", "critical",
                                                              NULL};

int sb_severity_rank(const char *name) {
    for (int i = 0; name && i < SB_SEVERITY_COUNT; i++)
        if (!strcmp(name, sb_severity_names[i]))
            return i;
    return -1;
}

const char *sb_severity_name(int rank) {
    return rank >= 0 && rank < SB_SEVERITY_COUNT ? sb_severity_names[rank] : NULL;
}
