/* sbctl: the operator's tool; shared context of its subcommands. */
#ifndef SBCTL_H
#define SBCTL_H

#include <stddef.h>

#include "sb_config.h"
#include "sb_db.h"

/* Exit codes scripts can rely on. */
#define SBCTL_OK          0
#define SBCTL_FAIL        1 /* the operation failed (bad input, refused) */
#define SBCTL_USAGE       2 /* wrong arguments or configuration */
#define SBCTL_UNAVAILABLE 3 /* Kafka or PostgreSQL unreachable */

typedef struct {
    sb_common_config_t cfg;
    char *secret_key_file; /* SECURITYBOT_SECRET_KEY_FILE, for enroll */
    sb_db_t *db;           /* connected on first use by sbctl_db() */
} sbctl_t;

/* The database connection, connecting on first use; NULL (with the error
 * printed) when unreachable. */
sb_db_t *sbctl_db(sbctl_t *ctl);

/* 1 when argv[1..] asks for help; prints usage first. */
int sbctl_wants_help(int argc, char **argv, const char *usage);

int sbctl_cmd_migrate(sbctl_t *ctl, int argc, char **argv);
int sbctl_cmd_topics(sbctl_t *ctl, int argc, char **argv);
int sbctl_cmd_employees(sbctl_t *ctl, int argc, char **argv);
int sbctl_cmd_alert(sbctl_t *ctl, int argc, char **argv);
int sbctl_cmd_enroll(sbctl_t *ctl, int argc, char **argv);
int sbctl_cmd_respond(sbctl_t *ctl, int argc, char **argv);

#endif
