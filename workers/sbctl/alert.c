/* alert: `sbctl alert send`, publishes a test alert as a detector would. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "sb_id.h"
#include "sb_kafka.h"
#include "sb_schema.h"
#include "sb_time.h"
#include "sbctl.h"

static const char USAGE[] =
    "Usage: sbctl alert send --user U --rule R --title T [--source S]\n"
    "                        [--severity low|medium|high|critical] [--description D]\n"
    "                        [--id ID] [--url URL] [--occurred-at RFC3339] [--key K]\n"
    "       sbctl alert send --file FILE.json [--key K]   (FILE '-' reads stdin)\n\n"
    "Publishes one alert to <prefix>alerts, as a detection system would, and waits\n"
    "until the broker has it. Built alerts are checked first; a --file is sent as\n"
    "is (to exercise the dead-letter path too). Prints the alert id when valid.\n";

#define FILE_MAX (1024 * 1024)

static char *read_all(const char *path, size_t *len) {
    FILE *f = strcmp(path, "-") ? fopen(path, "rb") : stdin;
    char *buf;
    if (!f)
        return NULL;
    buf = malloc(FILE_MAX + 1);
    if (buf) {
        *len = fread(buf, 1, FILE_MAX + 1, f);
        if (*len > FILE_MAX) {
            free(buf);
            buf = NULL;
            errno = EFBIG;
        }
    }
    if (f != stdin)
        fclose(f);
    return buf;
}

/* Builds the alert JSON from flags; returns it (owned) or NULL. */
static char *build(int argc, char **argv, const char **key, const char **file) {
    static const char *const fields[][2] = {
        {"--source", "source"}, {"--rule", "rule"},         {"--title", "title"},
        {"--user", "user"},     {"--severity", "severity"}, {"--description", "description"},
        {"--id", "id"},         {"--url", "url"},           {"--occurred-at", "occurred_at"},
    };
    cJSON *o = cJSON_CreateObject();
    char *out = NULL, now[32];

    for (int i = 2; i < argc; i += 2) {
        int known = 0;
        if (i + 1 >= argc) {
            fprintf(stderr, "sbctl alert send: %s needs a value\n", argv[i]);
            goto out;
        }
        if (!strcmp(argv[i], "--key")) {
            *key = argv[i + 1];
            continue;
        }
        if (!strcmp(argv[i], "--file")) {
            *file = argv[i + 1];
            continue;
        }
        for (size_t f = 0; f < sizeof(fields) / sizeof(fields[0]); f++) {
            if (!strcmp(argv[i], fields[f][0])) {
                cJSON_DeleteItemFromObject(o, fields[f][1]);
                cJSON_AddStringToObject(o, fields[f][1], argv[i + 1]);
                known = 1;
            }
        }
        if (!known) {
            fprintf(stderr, "sbctl alert send: unknown option %s (see --help)\n", argv[i]);
            goto out;
        }
    }
    if (!cJSON_GetObjectItem(o, "source"))
        cJSON_AddStringToObject(o, "source", "sbctl");
    if (!cJSON_GetObjectItem(o, "occurred_at")) {
        sb_time_format_us(sb_time_now_us(), now, sizeof(now));
        cJSON_AddStringToObject(o, "occurred_at", now);
    }
    out = cJSON_PrintUnformatted(o);
out:
    cJSON_Delete(o);
    return out;
}

int sbctl_cmd_alert(sbctl_t *ctl, int argc, char **argv) {
    const char *key = NULL, *file = NULL;
    char topic[SB_TOPIC_MAX], *body = NULL, id[SB_SHA256_HEX_LEN + 1] = "";
    size_t len = 0;
    int rc = SBCTL_USAGE;

    if (sbctl_wants_help(argc, argv, USAGE))
        return SBCTL_OK;
    if (argc < 2 || strcmp(argv[1], "send")) {
        fputs(USAGE, stderr);
        return SBCTL_USAGE;
    }
    if (!(body = build(argc, argv, &key, &file)))
        return SBCTL_USAGE;
    if (file) {
        free(body);
        if (!(body = read_all(file, &len))) {
            fprintf(stderr, "sbctl alert send: cannot read %s: %s\n", file, strerror(errno));
            return SBCTL_FAIL;
        }
    } else {
        sb_alert_t a;
        char detail[256];
        sb_reject_t r;
        len = strlen(body);
        r = sb_alert_parse(body, len, &a, detail, sizeof(detail));
        if (r != SB_REJECT_NONE) {
            fprintf(stderr, "sbctl alert send: not a valid alert (%s): %s\n", sb_reject_code(r),
                    detail);
            goto out;
        }
        sb_id_alert(a.source, a.id, a.rule, a.user, a.occurred_at_utc, a.title, id);
        sb_alert_clear(&a);
    }
    if ((rc = sbctl_publish(ctl, SB_TOPIC_ALERTS, key, body, len, topic, "alert send")) != SBCTL_OK)
        goto out;
    if (*id)
        printf("%s\n", id);
    else
        printf("sent %zu bytes to %s\n", len, topic);
    rc = SBCTL_OK;
out:
    free(body);
    return rc;
}
