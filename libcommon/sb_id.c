/* sb_id: deterministic ids: the alert id and the ids of messages derived from an alert. */

/* Both ids are SHA-256 over a length-prefixed serialisation, so no two
 * different field tuples produce the same bytes:
 *
 *   alert:   "sb-alert-v1|" tag "|" then "<len>:<field>|" per field, where
 *            tag "by-id"     fields: source, id
 *            tag "by-fields" fields: source, rule, user, occurred_at_utc, title
 *   message: "sb-" kind "-v1|" "<len>:<alert_id>|" ["<len>:<extra>|"]
 *
 * <len> is the field's length in bytes, in decimal without leading zeros.
 * These bytes are part of the message contract (schemas/README.md): any
 * change changes every id and needs a new version prefix. */
#include "sb_id.h"

#include <stdio.h>
#include <string.h>

/* Appends "<len>:<field>|" to the running hash. */
static void put_field(sb_sha256_t *h, const char *field) {
    char len[24];
    size_t n = strlen(field);
    int k = snprintf(len, sizeof(len), "%zu:", n);
    sb_sha256_update(h, len, (size_t)k);
    sb_sha256_update(h, field, n);
    sb_sha256_update(h, "|", 1);
}

/* Hashes prefix followed by the fields; 0, or -1 when libcrypto fails. */
static int hash_fields(const char *prefix, const char *const *fields, size_t n,
                       char out[SB_SHA256_HEX_LEN + 1]) {
    sb_sha256_t h;
    if (sb_sha256_init(&h) == -1) {
        out[0] = '\0';
        return -1;
    }
    sb_sha256_update(&h, prefix, strlen(prefix));
    for (size_t i = 0; i < n; i++)
        put_field(&h, fields[i]);
    sb_sha256_final_hex(&h, out);
    return out[0] ? 0 : -1;
}

int sb_id_alert(const char *source, const char *id, const char *rule, const char *user,
                const char *occurred_at_utc, const char *title, char out[SB_SHA256_HEX_LEN + 1]) {
    if (!out)
        return -1;
    out[0] = '\0';
    if (!source)
        return -1;
    if (id) {
        const char *fields[] = {source, id};
        return hash_fields("sb-alert-v1|by-id|", fields, 2, out);
    }
    if (!rule || !user || !occurred_at_utc || !title)
        return -1;
    const char *fields[] = {source, rule, user, occurred_at_utc, title};
    return hash_fields("sb-alert-v1|by-fields|", fields, 5, out);
}

int sb_id_message(const char *kind, const char *alert_id, const char *extra,
                  char out[SB_SHA256_HEX_LEN + 1]) {
    char prefix[96];
    const char *fields[2] = {alert_id, extra};

    if (!out)
        return -1;
    out[0] = '\0';
    /* kind is a code constant; one holding '|' would make the prefix ambiguous. */
    if (!kind || !*kind || strchr(kind, '|') || !alert_id)
        return -1;
    if ((size_t)snprintf(prefix, sizeof(prefix), "sb-%s-v1|", kind) >= sizeof(prefix))
        return -1;
    return hash_fields(prefix, fields, extra ? 2 : 1, out);
}
