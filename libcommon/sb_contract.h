/* sb_contract: the field tables of every message type in schemas/, for sb_schema's checks. */
#ifndef SB_CONTRACT_H
#define SB_CONTRACT_H

#include <stddef.h>

typedef enum { SB_T_STRING, SB_T_NUMBER, SB_T_INTEGER, SB_T_OBJECT } sb_ftype_t;
typedef enum { SB_FMT_NONE, SB_FMT_HEX64, SB_FMT_RFC3339, SB_FMT_DIGITS, SB_FMT_DETAILS } sb_ffmt_t;

#define SB_F_REQ 1 /* the key must be present */
#define SB_F_NUL 2 /* null is allowed in place of the type */

typedef struct sb_contract sb_contract_t;
typedef struct {
    const char *name;
    sb_ftype_t type;
    int flags; /* SB_F_REQ | SB_F_NUL */
    sb_ffmt_t fmt;
    long min, max;            /* strings: code points (max 0 = none); integers: minimum */
    const char *const *enums; /* NULL-terminated; the value must be one of these */
    const sb_contract_t *sub; /* SB_T_OBJECT: fields of the nested object, or NULL */
} sb_field_t;

struct sb_contract {
    const char *name;
    const sb_field_t *fields;
    size_t count;
    size_t max_bytes; /* for sb_schema_parse() */
};

/* Limits of alert `details` (schemas/README.md). */
#define SB_DETAILS_MAX_KEYS        50
#define SB_DETAILS_MAX_KEY_CHARS   64
#define SB_DETAILS_MAX_VALUE_CHARS 1000

/* The alert's fields, in this order, so sb_alert_parse() can fill sb_alert_t. */
/* Alert fields, indexed so sb_alert_parse() can fill sb_alert_t. */
enum {
    SB_A_SOURCE,
    SB_A_RULE,
    SB_A_TITLE,
    SB_A_USER,
    SB_A_OCCURRED_AT,
    SB_A_ID,
    SB_A_DESCRIPTION,
    SB_A_SEVERITY,
    SB_A_URL,
    SB_A_DETAILS,
    SB_A_COUNT
};

/* The contract of message type name ("alert", "alert-dlq", ...), or NULL. */
const sb_contract_t *sb_contract_find(const char *name);

/* The dead-letter reasons, in sb_reject_t order from SB_REJECT_INVALID_JSON. */
extern const char *const sb_contract_reject_codes[];

#endif
