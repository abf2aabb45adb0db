/* settings: sb-escalation's timer, paging and digest settings, checked once at start. */
#include <stdio.h>

#include "escalation.h"

int sb_esc_settle(sb_esc_t *e, const sb_esc_settings_t *s, char *errstr, size_t errstr_size) {
    for (int i = 0; i < SB_SEVERITY_COUNT; i++) {
        /* a per-severity value wins over the general one */
        e->remind_after_ms[i] = s->remind_sev[i] ? s->remind_sev[i] : s->remind_ms;
        e->escalate_after_ms[i] = s->escalate_sev[i] ? s->escalate_sev[i] : s->escalate_ms;
        if (e->escalate_after_ms[i] <= 0) {
            snprintf(errstr, errstr_size, "SECURITYBOT_ESCALATE_AFTER must be more than 0");
            return -1;
        }
        if (e->remind_after_ms[i] >= e->escalate_after_ms[i])
            e->remind_after_ms[i] = 0; /* the escalation comes first: no reminder */
    }
    if ((e->page_rank = sb_severity_rank(s->page_severity)) < 0) {
        snprintf(errstr, errstr_size,
                 "SECURITYBOT_PAGE_SEVERITY must be low, medium, high or critical");
        return -1;
    }
    if (s->digest_ms != 0 && s->digest_ms < 60000) {
        snprintf(errstr, errstr_size, "SECURITYBOT_DIGEST_EVERY must be 0 (off) or at least 1m");
        return -1;
    }
    if (s->tick_ms < 100 || s->tick_ms > 60000) {
        snprintf(errstr, errstr_size, "SECURITYBOT_TIMER_EVERY must be between 100ms and 1m");
        return -1;
    }
    e->digest_every_ms = s->digest_ms;
    return 0;
}
