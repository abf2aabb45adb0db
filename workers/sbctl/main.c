/* sbctl: the operator's tool: dispatches to one subcommand. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sb_cli.h"
#include "sb_log.h"
#include "sb_signal.h"
#include "sbctl.h"

typedef struct {
    const char *name;
    int (*run)(sbctl_t *ctl, int argc, char **argv);
    const char *summary;
} sbctl_command_t;

static const sbctl_command_t commands[] = {
    {"migrate", sbctl_cmd_migrate, "apply the SQL migrations (idempotent)"},
    {"topics", sbctl_cmd_topics, "create every securitybot topic (idempotent)"},
    {"employees", sbctl_cmd_employees, "import, list, opt out or opt in employees"},
    {"enroll", sbctl_cmd_enroll, "give an employee a new TOTP secret, or switch them to Duo push"},
    {"alert", sbctl_cmd_alert, "publish a test alert"},
    {"alerts", sbctl_cmd_alerts, "list alerts, or show one with its conversation and audit trail"},
    {"ignore", sbctl_cmd_ignore, "list, add or remove ignore rules"},
    {"respond", sbctl_cmd_respond, "answer a prompt as an employee (console chat platform)"},
    {"report", sbctl_cmd_report, "alerts of a window by rule and outcome, and those to look at"},
    {"dlq", sbctl_cmd_dlq, "list dead letters, or replay them after a fix"},
    {"intake-token", sbctl_cmd_intake_token, "make a bearer token for sb-gateway's alert intake"},
    {"users", sbctl_cmd_users, "add, list, disable, enable or reset sb-console's users"},
    {"tokens", sbctl_cmd_tokens, "create, list or revoke bearer tokens for sb-console's API"},
    {"audit", sbctl_cmd_audit, "verify the audit log's hash chain, or export it"},
    {"roles", sbctl_cmd_roles, "list the workers' database roles, or set one's password"},
    {NULL, NULL, NULL},
};

static void usage(FILE *out, const sb_cfg_entry_t *table, size_t n) {
    fprintf(out, "Usage: sbctl COMMAND [ARGS] (sbctl COMMAND --help for more)\n\n"
                 "The securitybot operator's tool. Exit codes: 0 ok, 1 failed, 2 usage or\n"
                 "configuration error, 3 Kafka or PostgreSQL unavailable.\n\nCommands:\n");
    for (const sbctl_command_t *c = commands; c->name; c++)
        fprintf(out, "  %-13s %s\n", c->name, c->summary);
    fputc('\n', out);
    sb_config_help(out, table, n);
}

sb_db_t *sbctl_db(sbctl_t *ctl) {
    char errstr[512];
    if (ctl->db)
        return ctl->db;
    if (!ctl->cfg.database_url) {
        fprintf(stderr, "sbctl: SECURITYBOT_DATABASE_URL is required for this command\n");
        return NULL;
    }
    ctl->db = sb_db_connect(ctl->cfg.database_url, "sbctl", errstr, sizeof(errstr));
    /* times the server formats itself (row_to_json) read as UTC, like the rest */
    if (ctl->db && sb_db_exec(ctl->db, "SET TIME ZONE 'UTC'", 0, NULL, errstr, sizeof(errstr))) {
        sb_db_destroy(ctl->db);
        ctl->db = NULL;
    }
    if (!ctl->db)
        fprintf(stderr, "sbctl: %s\n", errstr);
    return ctl->db;
}

int sbctl_wants_help(int argc, char **argv, const char *text) {
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            fputs(text, stdout);
            return 1;
        }
    }
    return 0;
}

int sbctl_dispatch(sbctl_t *ctl, int argc, char **argv, const char *usage, const sbctl_sub_t *subs,
                   size_t n) {
    if (sbctl_wants_help(argc, argv, usage))
        return SBCTL_OK;
    for (size_t i = 0; argc >= 2 && i < n; i++)
        if (!strcmp(argv[1], subs[i].name))
            return subs[i].run(ctl, argc, argv);
    fputs(usage, stderr);
    return SBCTL_USAGE;
}

int main(int argc, char **argv) {
    sbctl_t ctl = {0};
    /* The database is optional for sbctl as a whole: only some commands
     * need it, and they say so. */
    const sb_cfg_entry_t table[] = {
        SB_COMMON_CONFIG_ENTRIES_DB_OPTIONAL(
            &ctl.cfg, "PostgreSQL conninfo or URI (may hold a password: treated as secret)"),
        SB_CFG_STR("SECURITYBOT_SECRET_KEY_FILE", &ctl.secret_key_file, NULL,
                   "file with the 32-byte key that encrypts second-factor secrets at rest"),
        SB_CFG_STR("SECURITYBOT_CONSOLE_URL", &ctl.console_url, NULL,
                   "sb-console's base URL: `report` links each flagged alert to its page there"),
        SB_HOURS_CONFIG_ENTRIES(&ctl.hours),
    };
    size_t n = SB_CFG_COUNT(table);
    const sbctl_command_t *cmd = NULL;
    char errstr[512];
    int rc;

    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") ||
        !strcmp(argv[1], "help")) {
        usage(stdout, table, n);
        return argc < 2 ? SBCTL_USAGE : SBCTL_OK;
    }
    if (!strcmp(argv[1], "--version")) {
        printf("sbctl %s\n", SB_VERSION);
        return SBCTL_OK;
    }
    for (const sbctl_command_t *c = commands; c->name; c++)
        if (!strcmp(argv[1], c->name))
            cmd = c;
    if (!cmd) {
        fprintf(stderr, "sbctl: unknown command \"%s\" (see sbctl --help)\n", argv[1]);
        return SBCTL_USAGE;
    }
    if (sb_config_load(table, n, errstr, sizeof(errstr)) == -1 ||
        sb_log_init("sbctl", ctl.cfg.log_level, errstr, sizeof(errstr)) == -1) {
        fprintf(stderr, "sbctl: %s\n", errstr);
        sb_config_free(table, n);
        return SBCTL_USAGE;
    }
    sb_signal_install();
    rc = cmd->run(&ctl, argc - 1, argv + 1);
    sb_db_destroy(ctl.db);
    sb_config_free(table, n);
    return rc;
}
