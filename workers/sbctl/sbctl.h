/* sbctl: the operator's tool; shared context of its subcommands. */
#ifndef SBCTL_H
#define SBCTL_H

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "sb_config.h"
#include "sb_db.h"
#include "sb_hours.h"
#include "sb_report.h"

/* Exit codes scripts can rely on. */
#define SBCTL_OK          0
#define SBCTL_FAIL        1 /* the operation failed (bad input, refused) */
#define SBCTL_USAGE       2 /* wrong arguments or configuration */
#define SBCTL_UNAVAILABLE 3 /* Kafka or PostgreSQL unreachable */

typedef struct {
    sb_common_config_t cfg;
    char *secret_key_file;   /* SECURITYBOT_SECRET_KEY_FILE, for enroll */
    char *console_url;       /* SECURITYBOT_CONSOLE_URL, for report's links; may be NULL */
    sb_hours_config_t hours; /* the working-hours settings, for employees list */
    sb_db_t *db;             /* connected on first use by sbctl_db() */
} sbctl_t;

/* The database connection, connecting on first use; NULL (with the error
 * printed) when unreachable. */
sb_db_t *sbctl_db(sbctl_t *ctl);

/* 1 when argv[1..] asks for help; prints usage first. */
int sbctl_wants_help(int argc, char **argv, const char *usage);

/* One subcommand: argv[1]'s name and its handler (given the whole argv). */
typedef struct {
    const char *name;
    int (*run)(sbctl_t *ctl, int argc, char **argv);
} sbctl_sub_t;

/* A command of subcommands: usage on stdout for --help (SBCTL_OK), else
 * the handler named by argv[1]; none named: usage on stderr, SBCTL_USAGE. */
int sbctl_dispatch(sbctl_t *ctl, int argc, char **argv, const char *usage, const sbctl_sub_t *subs,
                   size_t n);

/* In SQL text: a timestamptz column as RFC 3339 UTC with microseconds. */
#define SBCTL_TS(col) "to_char(" col " AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')"

/* ---- options.c: what several subcommands share ---- */

/* One option of a subcommand: "--name VALUE" stored in *value, or a bare
 * "--name" flag setting *flag to 1 (exactly one of the two is set). */
typedef struct {
    const char *name;
    const char **value;
    int *flag;
} sbctl_opt_t;

/* Parses argv[first..argc): the options in opts (n of them) and at most
 * maxpos positional arguments into pos (*npos of them). An unknown option,
 * a missing value or one positional too many is printed as "sbctl CMD: ..."
 * and returns -1 (the caller exits SBCTL_USAGE); else 0. */
int sbctl_parse_opts(const char *cmd, int argc, char **argv, int first, const sbctl_opt_t *opts,
                     size_t n, const char **pos, int maxpos, int *npos);

/* --format: "text" or "json" (and "csv" when csv_ok); 0 or -1 (printed). */
int sbctl_parse_format(const char *cmd, const char *s, int csv_ok, sb_report_format_t *fmt);

/* --since/--until: a duration back from now_us ("24h", "7d"), an RFC 3339
 * timestamp or "now", formatted for SQL into buf (>= 32); 0 or -1 (printed). */
int sbctl_parse_time(const char *cmd, const char *opt, const char *s, int64_t now_us, int64_t *us,
                     char *buf, size_t size);

/* --limit: 1..max; 0 or -1 (printed). */
int sbctl_parse_limit(const char *cmd, const char *s, long max, long *out);

/* The exit status for a failed statement, the error printed: SBCTL_UNAVAILABLE
 * when the connection was lost, else SBCTL_FAIL. */
int sbctl_db_failed(sbctl_t *ctl, const char *cmd, const char *errstr);

/* The employee a name (username, e-mail or alias, any case) belongs to:
 * SBCTL_OK with id (>= 24 bytes) and username (may be NULL) copied, else
 * SBCTL_FAIL (unknown) or SBCTL_UNAVAILABLE, printed. */
int sbctl_find_employee(sbctl_t *ctl, const char *cmd, const char *name, char *id, size_t id_size,
                        char *username, size_t username_size);

/* The alert a full id or a unique prefix of at least 8 hex characters
 * names: SBCTL_OK with id[65], SBCTL_USAGE (not an id), SBCTL_FAIL
 * (unknown or ambiguous) or SBCTL_UNAVAILABLE, printed. */
int sbctl_find_alert(sbctl_t *ctl, const char *cmd, const char *prefix, char id[65]);

/* Prints s on one line (control characters as spaces), at most max
 * characters ("…" when cut); width > 0 pads with spaces to width bytes. */
void sbctl_print_clean(const char *s, size_t max, int width);

/* Prints a JSON document (indented) and deletes it; SBCTL_OK or SBCTL_FAIL. */
int sbctl_print_json(cJSON *root);

/* Adds key: s, or null when s is NULL. */
void sbctl_json_string(cJSON *o, const char *key, const char *s);

/* The operator's login name, for audit details ("unknown" when none). */
const char *sbctl_operator(void);

/* Publishes one message to <prefix>suffix (its full name into topic, of
 * SB_TOPIC_MAX bytes) and waits for Kafka's acknowledgement. SBCTL_OK, or
 * SBCTL_UNAVAILABLE after "sbctl <what>: <why>" on stderr. */
int sbctl_publish(const sbctl_t *ctl, const char *suffix, const char *key, const char *value,
                  size_t len, char *topic, const char *what);

int sbctl_cmd_migrate(sbctl_t *ctl, int argc, char **argv);
int sbctl_cmd_topics(sbctl_t *ctl, int argc, char **argv);
int sbctl_cmd_employees(sbctl_t *ctl, int argc, char **argv);
int sbctl_cmd_alert(sbctl_t *ctl, int argc, char **argv);
int sbctl_cmd_enroll(sbctl_t *ctl, int argc, char **argv);
int sbctl_cmd_respond(sbctl_t *ctl, int argc, char **argv);
int sbctl_cmd_alerts(sbctl_t *ctl, int argc, char **argv);
int sbctl_cmd_ignore(sbctl_t *ctl, int argc, char **argv);
int sbctl_cmd_dlq(sbctl_t *ctl, int argc, char **argv);
int sbctl_cmd_report(sbctl_t *ctl, int argc, char **argv);
int sbctl_cmd_intake_token(sbctl_t *ctl, int argc, char **argv);
int sbctl_cmd_users(sbctl_t *ctl, int argc, char **argv);
int sbctl_cmd_tokens(sbctl_t *ctl, int argc, char **argv);
int sbctl_cmd_audit(sbctl_t *ctl, int argc, char **argv);
int sbctl_cmd_roles(sbctl_t *ctl, int argc, char **argv);

/* 1 when s is a console user's or token's name: 1-64 of [A-Za-z0-9._@+-],
 * starting with a letter or digit (users.c). */
int sbctl_console_name_ok(const char *s);

#endif
