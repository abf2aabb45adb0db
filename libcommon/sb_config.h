/* sb_config: configuration from the environment, one declarative table per binary. */
#ifndef SB_CONFIG_H
#define SB_CONFIG_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

typedef enum {
    SB_CFG_TYPE_STRING,   /* target: char ** (malloc'd, freed by sb_config_free) */
    SB_CFG_TYPE_INT,      /* target: long *, bounded by min/max */
    SB_CFG_TYPE_BOOL,     /* target: int *; true/false/1/0/yes/no/on/off */
    SB_CFG_TYPE_DURATION, /* target: int64_t * milliseconds; "30s", "2h", ... */
} sb_cfg_type_t;

typedef struct {
    const char *name; /* environment variable, e.g. "SECURITYBOT_KAFKA_BROKERS" */
    sb_cfg_type_t type;
    void *target;
    int required;       /* missing and no default -> error naming the variable */
    const char *defval; /* textual default, parsed like the env value; may be NULL */
    int secret;         /* never logged; may also come from NAME_FILE */
    long min, max;      /* SB_CFG_TYPE_INT bounds (ignored when min == max == 0) */
    const char *help;   /* one line for --help */
    int empty_is_zero;  /* set but empty means 0 (off), not "unset, take the default" */
} sb_cfg_entry_t;

/* One table row each, so an entry reads on its own (like pgbouncer's
 * CF_ABS rows): the kind in the macro's name, then the variable, where it
 * goes, its default and its --help line. */
#define SB_CFG_STR(name_, target_, def_, help_)                                                    \
    {                                                                                              \
        .name = (name_), .type = SB_CFG_TYPE_STRING, .target = (target_), .defval = (def_),        \
        .help = (help_)                                                                            \
    }
/* required: exits 2 naming the variable when it is unset and has no default */
#define SB_CFG_STR_REQUIRED(name_, target_, def_, help_)                                           \
    {                                                                                              \
        .name = (name_), .type = SB_CFG_TYPE_STRING, .target = (target_), .required = 1,           \
        .defval = (def_), .help = (help_)                                                          \
    }
/* never logged or echoed; NAME_FILE may hold it instead */
#define SB_CFG_SECRET(name_, target_, help_)                                                       \
    {                                                                                              \
        .name = (name_), .type = SB_CFG_TYPE_STRING, .target = (target_), .secret = 1,             \
        .help = (help_)                                                                            \
    }
#define SB_CFG_SECRET_REQUIRED(name_, target_, help_)                                              \
    {                                                                                              \
        .name = (name_), .type = SB_CFG_TYPE_STRING, .target = (target_), .required = 1,           \
        .secret = 1, .help = (help_)                                                               \
    }
#define SB_CFG_INT(name_, target_, def_, min_, max_, help_)                                        \
    {                                                                                              \
        .name = (name_), .type = SB_CFG_TYPE_INT, .target = (target_), .defval = (def_),           \
        .min = (min_), .max = (max_), .help = (help_)                                              \
    }
#define SB_CFG_BOOL(name_, target_, def_, help_)                                                   \
    {                                                                                              \
        .name = (name_), .type = SB_CFG_TYPE_BOOL, .target = (target_), .defval = (def_),          \
        .help = (help_)                                                                            \
    }
#define SB_CFG_DURATION(name_, target_, def_, help_)                                               \
    {                                                                                              \
        .name = (name_), .type = SB_CFG_TYPE_DURATION, .target = (target_), .defval = (def_),      \
        .help = (help_)                                                                            \
    }
/* a duration that an explicitly empty value turns off (0), default aside */
#define SB_CFG_DURATION_OR_OFF(name_, target_, def_, help_)                                        \
    {                                                                                              \
        .name = (name_), .type = SB_CFG_TYPE_DURATION, .target = (target_), .defval = (def_),      \
        .help = (help_), .empty_is_zero = 1                                                        \
    }

/* The number of entries of a table array. */
#define SB_CFG_COUNT(table) (sizeof(table) / sizeof((table)[0]))

/* Reads every entry from the environment (or NAME_FILE for secrets, whose
 * content is read with one trailing newline stripped, max 64 KiB).
 * Returns 0, or -1 with the first problem in errstr, naming the variable
 * and never quoting a secret value. */
int sb_config_load(const sb_cfg_entry_t *table, size_t n, char *errstr, size_t errstr_size);

/* Writes the current values into buf as a JSON object for the "started"
 * log line, secrets as "(set)"/"(unset)". */
void sb_config_dump(const sb_cfg_entry_t *table, size_t n, char *buf, size_t size);

/* Prints an "Environment:" section (name, default, help) for --help. */
void sb_config_help(FILE *out, const sb_cfg_entry_t *table, size_t n);

/* Frees the strings that sb_config_load allocated; safe to call twice. */
void sb_config_free(const sb_cfg_entry_t *table, size_t n);

/* The variables every binary reads. */
typedef struct {
    char *kafka_brokers;
    char *database_url;
    char *topic_prefix;
    char *log_level;
} sb_common_config_t;

#define SB_COMMON_CONFIG_ENTRIES(c)                                                                \
    SB_CFG_STR_REQUIRED("SECURITYBOT_KAFKA_BROKERS", &(c)->kafka_brokers, "127.0.0.1:9092",        \
                        "Kafka bootstrap servers"),                                                \
        SB_CFG_SECRET_REQUIRED(                                                                    \
            "SECURITYBOT_DATABASE_URL", &(c)->database_url,                                        \
            "PostgreSQL conninfo or URI (may hold a password: treated as secret)"),                \
        SB_COMMON_CONFIG_TAIL(c)

/* The common variables of a binary that may run without PostgreSQL
 * (db_help says when it is used). */
#define SB_COMMON_CONFIG_ENTRIES_DB_OPTIONAL(c, db_help)                                           \
    SB_CFG_STR_REQUIRED("SECURITYBOT_KAFKA_BROKERS", &(c)->kafka_brokers, "127.0.0.1:9092",        \
                        "Kafka bootstrap servers"),                                                \
        SB_CFG_SECRET("SECURITYBOT_DATABASE_URL", &(c)->database_url, db_help),                    \
        SB_COMMON_CONFIG_TAIL(c)

#define SB_COMMON_CONFIG_TAIL(c)                                                                   \
    SB_CFG_STR("SECURITYBOT_TOPIC_PREFIX", &(c)->topic_prefix, "securitybot.",                     \
               "prefix of every topic name"),                                                      \
        SB_CFG_STR("SECURITYBOT_LOG_LEVEL", &(c)->log_level, "info", "debug, info, warn or error")

#endif
