/* sb_duo: one signed call to Duo's Auth API v2, and its answers read. */
#include "sb_duo.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sb_crypto.h"
#include "sb_utf8.h"

static const char *str(const cJSON *o, const char *name) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

static void copy_msg(const cJSON *o, char msg[SB_DUO_MSG_SIZE]) {
    const char *m = str(o, "status_msg");
    snprintf(msg, SB_DUO_MSG_SIZE, "%s", m ? m : "");
}

sb_duo_result_t sb_duo_read(long status, const char *body, size_t len, cJSON **response,
                            char *errstr, size_t errstr_size) {
    cJSON *root = body && len ? cJSON_ParseWithLength(body, len) : NULL;
    const char *stat = str(root, "stat");
    cJSON *resp = cJSON_GetObjectItemCaseSensitive(root, "response");
    sb_duo_result_t rc = SB_DUO_UNAVAILABLE;

    *response = NULL;
    if (status == 200 && stat && !strcmp(stat, "OK") && cJSON_IsObject(resp)) {
        *response = cJSON_DetachItemViaPointer(root, resp);
        rc = SB_DUO_ANSWERED;
    } else if (status == 429 || status >= 500 || status == 0) {
        snprintf(errstr, errstr_size, "Duo answered HTTP %ld", status);
    } else if (stat && !strcmp(stat, "FAIL")) {
        const cJSON *code = cJSON_GetObjectItemCaseSensitive(root, "code");
        const char *m = str(root, "message"), *d = str(root, "message_detail");
        snprintf(errstr, errstr_size, "Duo refused the request (HTTP %ld, code %d): %.*s%s%.*s",
                 status, cJSON_IsNumber(code) ? code->valueint : 0, SB_UTF8_CUT(m ? m : "", 120),
                 d ? ": " : "", SB_UTF8_CUT(d ? d : "", 60));
        rc = status >= 400 && status < 500 ? SB_DUO_REFUSED : SB_DUO_UNAVAILABLE;
    } else {
        snprintf(errstr, errstr_size, "Duo's answer is not an envelope (HTTP %ld)", status);
    }
    cJSON_Delete(root);
    return rc;
}

/* The URL: base + path, and the query for GET. Owned, or NULL. */
static char *url_of(const sb_duo_config_t *cfg, const char *method, const char *path,
                    const char *query) {
    int get = !strcmp(method, "GET") && *query;
    size_t len = strlen(cfg->base_url) + strlen(path) + strlen(query) + 2;
    char *url = malloc(len);
    if (url)
        snprintf(url, len, "%s%s%s%s", cfg->base_url, path, get ? "?" : "", get ? query : "");
    return url;
}

sb_duo_result_t sb_duo_call(sb_curl_t *c, const sb_duo_config_t *cfg, const char *method,
                            const char *path, const sb_duo_param_t *params, size_t n, time_t now,
                            cJSON **response, char *errstr, size_t errstr_size) {
    char date[SB_DUO_DATE_SIZE], date_h[SB_DUO_DATE_SIZE + 8], *auth_h = NULL;
    char *canon_params = sb_duo_params_canon(params, n), *canon = NULL, *auth = NULL, *url = NULL;
    sb_curl_resp_t resp = {0};
    sb_duo_result_t rc = SB_DUO_UNAVAILABLE;
    int post = !strcmp(method, "POST");

    *response = NULL;
    if (!canon_params || sb_duo_date(now, date) == -1 ||
        !(canon = sb_duo_canonical(date, method, cfg->api_host, path, canon_params)) ||
        !(auth = sb_duo_authorization(cfg->ikey, cfg->skey, SB_DUO_HMAC_SHA512, canon)) ||
        !(url = url_of(cfg, method, path, canon_params)) ||
        !(auth_h = malloc(strlen(auth) + sizeof("Authorization: ")))) {
        snprintf(errstr, errstr_size, "cannot build the Duo request (out of memory)");
        goto out;
    }
    sprintf(auth_h, "Authorization: %s", auth);
    snprintf(date_h, sizeof(date_h), "Date: %s", date);
    const char *headers[] = {date_h, auth_h, NULL};
    sb_curl_req_t req = {
        .method = method,
        .url = url,
        .content_type = post ? "application/x-www-form-urlencoded" : NULL,
        .body = post ? canon_params : NULL,
        .body_len = post ? strlen(canon_params) : 0,
        .timeout_ms = cfg->timeout_ms,
        .max_attempts = 1,
        .headers = headers,
    };
    if (sb_curl_request(c, &req, &resp, errstr, errstr_size) == -1)
        goto out;
    rc = sb_duo_read(resp.status, resp.body, resp.body_len, response, errstr, errstr_size);
out:
    if (auth_h) {
        sb_crypto_wipe(auth_h, strlen(auth_h));
        free(auth_h);
    }
    free(auth);
    free(canon);
    free(canon_params);
    free(url);
    sb_curl_resp_clear(&resp);
    return rc;
}

/* 1 when one of the devices lists "push" among its capabilities. */
static int can_push(const cJSON *devices) {
    const cJSON *d, *cap;
    cJSON_ArrayForEach(d, devices) {
        cJSON_ArrayForEach(cap, cJSON_GetObjectItemCaseSensitive(d, "capabilities")) {
            if (cJSON_IsString(cap) && !strcmp(cap->valuestring, "push"))
                return 1;
        }
    }
    return 0;
}

int sb_duo_read_preauth(const cJSON *response, sb_duo_preauth_t *out, char msg[SB_DUO_MSG_SIZE]) {
    const char *result = str(response, "result");
    const cJSON *devices = cJSON_GetObjectItemCaseSensitive(response, "devices");

    copy_msg(response, msg);
    if (!result)
        return -1;
    if (!strcmp(result, "auth"))
        *out = cJSON_IsArray(devices) && can_push(devices) ? SB_DUO_PREAUTH_PUSH
                                                           : SB_DUO_PREAUTH_NO_PUSH;
    else if (!strcmp(result, "allow"))
        *out = SB_DUO_PREAUTH_ALLOW;
    else if (!strcmp(result, "deny"))
        *out = SB_DUO_PREAUTH_DENY;
    else if (!strcmp(result, "enroll"))
        *out = SB_DUO_PREAUTH_ENROLL;
    else
        return -1;
    return 0;
}

int sb_duo_read_txid(const cJSON *response, char txid[SB_DUO_TXID_SIZE]) {
    const char *t = str(response, "txid");
    size_t len = t ? strlen(t) : 0;
    if (len == 0 || len >= SB_DUO_TXID_SIZE)
        return -1;
    for (size_t i = 0; i < len; i++)
        if (t[i] <= 0x20 || t[i] >= 0x7f)
            return -1;
    memcpy(txid, t, len + 1);
    return 0;
}

int sb_duo_read_status(const cJSON *response, sb_duo_status_t *out, char msg[SB_DUO_MSG_SIZE]) {
    const char *result = str(response, "result"), *status = str(response, "status");

    copy_msg(response, msg);
    if (!result)
        return -1;
    if (!strcmp(result, "waiting"))
        *out = SB_DUO_WAITING;
    else if (!strcmp(result, "allow"))
        *out = SB_DUO_ALLOW;
    else if (!strcmp(result, "deny"))
        *out = status && !strcmp(status, "fraud")     ? SB_DUO_FRAUD
               : status && !strcmp(status, "timeout") ? SB_DUO_TIMEOUT
                                                      : SB_DUO_DENY;
    else
        return -1;
    return 0;
}
