/* sb_config: configuration from the environment, one declarative table per binary. */
#ifndef SB_CONFIG_H
#define SB_CONFIG_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

typedef enum {
    SB_CFG_STRING,   /* target: char ** (malloc'd, freed by sb_config_free) */
    SB_CFG_INT,      /* target: long *, bounded by min/max */
    SB_CFG_BOOL,     /* target: int *; true/false/1/0/yes/no/on/off */
    SB_CFG_DURATION, /* target: int64_t * milliseconds; "30s", "2h", ... */
} sb_cfg_type_t;

typedef struct {
    const char *name; /* environment variable, e.g. "SECURITYBOT_KAFKA_BROKERS" */
    sb_cfg_type_t type;
    void *target;
    int required;       /* missing and no default -> error naming the variable */
    const char *defval; /* textual default, parsed like the env value; may be NULL */
    int secret;         /* never logged; may also come from NAME_FILE */
    long min, max;      /* SB_CFG_INT bounds (ignored when min == max == 0) */
    const char *help;   /* one line for --help */
} sb_cfg_entry_t;

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

#define SB_COMMON_CONFIG_ENTRIES(c)                                                                  \
    {                                                                                                \
        "SECURITYBOT_KAFKA_BROKERS",                                                                 \
        SB_CFG_STRING,                                                                               \
        &(c)->kafka_brokers,                                                                         \
        1,                                                                                           \
        "127.0.0.1:9092",                                                                            \
        0,                                                                                           \
        0,                                                                                           \
        0,                                                                                           \
        "Kafka bootstrap servers"},                                                                  \
        {"SECURITYBOT_DATABASE_URL",                                                                 \
         SB_CFG_STRING,                                                                              \
         &(c)->database_url,                                                                         \
         1,                                                                                          \
         NULL,                                                                                       \
         1,                                                                                          \
         0,                                                                                          \
         0,                                                                                          \
         "PostgreSQL conninfo or URI (may hold a password: treated as secret)"},                     \
        {"SECURITYBOT_TOPIC_PREFIX",  SB_CFG_STRING, &(c)->topic_prefix, 0, "securitybot.", 0, 0, 0, \
         "prefix of every topic name"},                                                              \
    {                                                                                                \
        "SECURITYBOT_LOG_LEVEL", SB_CFG_STRING, &(c)->log_level, 0, "info", 0, 0, 0,                 \
            "debug, info, warn or error"                                                             \
    }

#endif
