/* report: `sbctl report`, the rollup of a window's alerts. */

/* libcommon's sb_report, which sb-escalation's digest posts too. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sb_time.h"
#include "sbctl.h"

static const char USAGE[] =
    "Usage: sbctl report [--since T] [--until T] [--format text|json|csv]\n\n"
    "Sums up the alerts received in [since, until): per rule and per outcome (open:\n"
    "not decided yet) the alerts, how many were prompted and answered, the\n"
    "response rate (answered / prompted) and the median time from prompt to\n"
    "answer; then every alert that was denied, went unanswered (no_response) or\n"
    "failed the second factor, with the employee's comment, what the security\n"
    "team made of its escalation (acknowledged by, verdict, resolved by, note; set\n"
    "in sb-console) and, with SECURITYBOT_CONSOLE_URL, a link to its page there;\n"
    "the escalations of these alerts: open, acknowledged, or resolved by verdict;\n"
    "and the alerts whose employee answered \"not me, wrong person\" (outcome\n"
    "wrong_employee) per rule and per source: the identity mappings to fix.\n"
    "T: a duration back from now (24h, 7d, 90m), an RFC 3339 time, or now.\n"
    "Defaults: --since 24h, --until now. CSV is one table with a section column.\n"
    "Exit codes: 0 ok, 1 failed, 2 usage, 3 unavailable.\n";

int sbctl_cmd_report(sbctl_t *ctl, int argc, char **argv) {
    const char *since = "24h", *until = "now", *format = NULL, *pos[1];
    const sbctl_opt_t opts[] = {
        {"--since", &since, NULL}, {"--until", &until, NULL}, {"--format", &format, NULL}};
    char since_buf[32], until_buf[32], errstr[512], *out;
    sb_report_format_t fmt;
    int64_t now_us = sb_time_now_us(), since_us, until_us;
    sb_db_t *db;
    int npos;

    if (sbctl_wants_help(argc, argv, USAGE))
        return SBCTL_OK;
    if (sbctl_parse_opts("report", argc, argv, 1, opts, 3, pos, 0, &npos) == -1 ||
        sbctl_parse_format("report", format, 1, &fmt) == -1 ||
        sbctl_parse_time("report", "--since", since, now_us, &since_us, since_buf,
                         sizeof(since_buf)) == -1 ||
        sbctl_parse_time("report", "--until", until, now_us, &until_us, until_buf,
                         sizeof(until_buf)) == -1)
        return SBCTL_USAGE;
    if (until_us <= since_us) {
        fprintf(stderr, "sbctl report: --until (%s) must be after --since (%s)\n", until_buf,
                since_buf);
        return SBCTL_USAGE;
    }
    if (!(db = sbctl_db(ctl)))
        return SBCTL_UNAVAILABLE;
    if (!(out = sb_report_build(db, since_us, until_us, fmt, ctl->console_url, errstr,
                                sizeof(errstr))))
        return sbctl_db_failed(ctl, "report", errstr);
    fputs(out, stdout);
    if (fmt == SB_REPORT_JSON)
        fputc('\n', stdout);
    free(out);
    return SBCTL_OK;
}
