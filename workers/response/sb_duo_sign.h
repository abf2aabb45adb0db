/* sb_duo_sign: signs Duo Auth API v2 requests as Duo's own client libraries do. */

/* Signs Duo Auth API v2 requests (signature version 2) as Duo's client
 * libraries do: the canonical string is the Date header, the method in
 * upper case, the API host in lower case, the path and the parameters
 * (each key and value percent-encoded per RFC 3986, sorted by key then
 * value, joined by '&'), one per line; its HMAC under the secret key, in
 * hex, goes into "Authorization: Basic base64(ikey:hex)". The same
 * encoded parameters are the POST body (form-encoded) or the GET query.
 * Pure apart from allocation: no I/O, no clock (the caller passes the
 * Date). */
#ifndef SB_DUO_SIGN_H
#define SB_DUO_SIGN_H

#include <stddef.h>
#include <time.h>

#define SB_DUO_DATE_SIZE  40   /* "Tue, 21 Aug 2012 17:29:18 -0000" + NUL, with room */
#define SB_DUO_MAX_PARAMS 16   /* parameters of one request */
#define SB_DUO_MAX_VALUE  4096 /* bytes of one key or value before encoding */

typedef enum {
    SB_DUO_HMAC_SHA512, /* what libduo and current clients send */
    SB_DUO_HMAC_SHA1,   /* older clients and documentation; accepted by Duo */
} sb_duo_hmac_t;

typedef struct {
    const char *key;   /* UTF-8, not encoded */
    const char *value; /* UTF-8, not encoded */
} sb_duo_param_t;

/* The RFC 2822 date Duo expects, in UTC ("Tue, 21 Aug 2012 17:29:18 -0000").
 * 0 or -1. */
int sb_duo_date(time_t t, char out[SB_DUO_DATE_SIZE]);

/* The canonical parameter string of params[0..n), sorted: a malloc'd
 * string owned by the caller ("" for none), or NULL (allocation, n >
 * SB_DUO_MAX_PARAMS, a NULL or too long key or value). */
char *sb_duo_params_canon(const sb_duo_param_t *params, size_t n);

/* The canonical string to sign, malloc'd (caller frees), or NULL. method
 * is upper-cased and host lower-cased; canon_params comes from
 * sb_duo_params_canon. */
char *sb_duo_canonical(const char *date, const char *method, const char *host, const char *path,
                       const char *canon_params);

/* The Authorization header's value "Basic base64(ikey:hex)" for the
 * canonical string under skey, malloc'd (caller frees; it carries a
 * credential: never log it), or NULL. */
char *sb_duo_authorization(const char *ikey, const char *skey, sb_duo_hmac_t hmac,
                           const char *canonical);

#endif
