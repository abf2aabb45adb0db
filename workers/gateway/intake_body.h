/* intake_body: splits a POST /v1/alerts body into its alerts' bytes (one object, an array, NDJSON).
 */
#ifndef SB_GATEWAY_INTAKE_BODY_H
#define SB_GATEWAY_INTAKE_BODY_H

#include <stddef.h>

/* The most alerts one request may carry. */
#define SB_INTAKE_MAX_ALERTS 1000

typedef enum {
    SB_INTAKE_JSON,   /* application/json: one value, or an array of them */
    SB_INTAKE_NDJSON, /* application/x-ndjson: one value a line, blank lines skipped */
} sb_intake_format_t;

typedef enum {
    SB_INTAKE_BODY_OK,
    SB_INTAKE_BODY_EMPTY,     /* no alert at all (400) */
    SB_INTAKE_BODY_MALFORMED, /* not an array of values (400) */
    SB_INTAKE_BODY_TOO_MANY,  /* more than max alerts (413) */
} sb_intake_body_t;

/* One alert's bytes, pointing into the body. */
typedef struct {
    const char *p;
    size_t len;
} sb_intake_item_t;

/* Splits body (len bytes) into at most max items, in input order, without
 * judging them: each item's bytes then go through the same validator as a
 * Kafka message (sb_alert_parse), so an element that is not an alert is
 * that alert's error (422), not the body's. Only the array's own structure
 * is checked here (brackets, commas, strings), in one pass with a depth
 * counter (no recursion, so any nesting is safe). On anything but OK,
 * detail says what (never the body's bytes). */
sb_intake_body_t sb_intake_body_split(const char *body, size_t len, sb_intake_format_t format,
                                      sb_intake_item_t *items, size_t max, size_t *n, char *detail,
                                      size_t detail_size);

#endif
