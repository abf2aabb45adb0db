/* Unit tests for sb_chat's console platform: one intact JSON line per message, even from threads.
 */
#include <cjson/cJSON.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sb_chat.h"
#include "sb_test.h"

#define THREADS    4
#define PER_THREAD 300
#define BIG        6000 /* a line longer than PIPE_BUF: O_APPEND still keeps it whole */

static char dir[64];

/* The lines of path, parsed; *n gets their number, -1 if one is not JSON. */
static cJSON **read_lines(const char *path, int *n) {
    FILE *f = fopen(path, "r");
    static char line[1 << 16];
    cJSON **out = NULL;
    int count = 0, bad = 0;
    while (f && fgets(line, sizeof(line), f)) {
        size_t len = strlen(line);
        if (len == 0 || line[len - 1] != '\n')
            bad = 1;
        cJSON *j = cJSON_Parse(line);
        if (!j || !cJSON_IsObject(j))
            bad = 1;
        out = realloc(out, sizeof(*out) * (size_t)(count + 1));
        out[count++] = j;
    }
    if (f)
        fclose(f);
    *n = bad ? -1 : count;
    return out;
}

static void free_lines(cJSON **lines, int n) {
    for (int i = 0; i < n; i++)
        cJSON_Delete(lines[i]);
    free(lines);
}

static const char *str(const cJSON *j, const char *key) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(j, key);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

static int count_lines(const char *path) {
    int n;
    cJSON **l = read_lines(path, &n);
    free_lines(l, n < 0 ? 0 : n);
    return n;
}

/* Every operation, then what the log says. */
static void test_ops(void) {
    char path[128], errstr[512], channel[SB_CHAT_CHANNEL_SIZE], id[64];
    sb_chat_error_t err;
    sb_chat_ref_t ref, ref2;
    snprintf(path, sizeof(path), "%s/sub/console.log", dir); /* sub/ is created */
    sb_chat_config_t cfg = {.console_log_path = path};
    sb_chat_t *chat = sb_chat_new("console", &cfg, errstr, sizeof(errstr));
    SB_CHECK_MSG(chat != NULL, "%s", errstr);
    if (!chat)
        return;
    SB_CHECK_STR(sb_chat_platform(chat), "console");

    SB_CHECK(sb_chat_lookup_email(chat, "alice@example.com", id, sizeof(id), &err) == 0);
    SB_CHECK_STR(id, "alice");
    SB_CHECK(sb_chat_lookup_email(chat, "no-at-sign", id, sizeof(id), &err) == 1);
    SB_CHECK(sb_chat_lookup_email(chat, "@example.com", id, sizeof(id), &err) == 1);
    SB_CHECK(sb_chat_open_dm(chat, "alice", channel, sizeof(channel), &err) == 0);
    SB_CHECK_STR(channel, "console:alice");
    SB_CHECK(count_lines(path) == 0); /* look-ups show nothing */

    cJSON *details = cJSON_CreateObject();
    cJSON_AddStringToObject(details, "source_ip", "203.0.113.9");
    cJSON_AddNumberToObject(details, "files", 1240);
    sb_chat_prompt_t p = {channel,
                          "alert-1",
                          "SSH login <b>",
                          "From Lisbon\nat night",
                          details,
                          "2026-11-29T12:00:00Z",
                          "Hi!",
                          NULL,
                          0};
    SB_CHECK_MSG(sb_chat_send_prompt(chat, &p, &ref, &err) == 0, "%s", err.msg);
    SB_CHECK_STR(ref.channel, channel);
    SB_CHECK_MSG(sb_chat_send_text(chat, channel, "line 1\nline 2\x01", &ref2, &err) == 0, "%s",
                 err.msg);
    SB_CHECK(strcmp(ref.ts, ref2.ts) < 0); /* later messages, later ts */
    SB_CHECK(sb_chat_update(chat, &ref, "Thanks, confirmed.", &err) == 0);
    SB_CHECK(sb_chat_update_prompt(chat, &ref, &p, "Thanks.", &err) == 0);
    SB_CHECK(sb_chat_post_channel(chat, "security", "Escalated alert-1", &err) == 0);
    SB_CHECK(sb_chat_send_text(chat, channel, "", NULL, &err) == -1); /* refused, not written */
    SB_CHECK_STR(err.code, "invalid_arguments");

    int n;
    cJSON **l = read_lines(path, &n);
    SB_CHECK_MSG(n == 5, "%d lines", n);
    if (n == 5) {
        static const char *const ops[] = {"prompt", "text", "update", "update", "channel"};
        for (int i = 0; i < 5; i++) {
            SB_CHECK_STR(str(l[i], "op"), ops[i]);
            SB_CHECK(str(l[i], "time") && str(l[i], "ts") && str(l[i], "text"));
        }
        SB_CHECK_STR(str(l[0], "channel"), "console:alice");
        SB_CHECK_STR(str(l[0], "alert_id"), "alert-1");
        SB_CHECK_STR(str(l[0], "ts"), ref.ts);
        SB_CHECK_STR(str(l[0], "text"), "Hi!\n\nSSH login <b>\nFrom Lisbon\nat night\n"
                                        "source_ip: 203.0.113.9\nfiles: 1240\n"
                                        "When: 2026-11-29T12:00:00Z");
        const cJSON *buttons = cJSON_GetObjectItem(l[0], "buttons");
        SB_CHECK(cJSON_GetArraySize(buttons) == 3);
        const cJSON *yes = cJSON_GetArrayItem(buttons, 0), *no = cJSON_GetArrayItem(buttons, 1);
        SB_CHECK_STR(str(yes, "text"), "Yes, this was me");
        SB_CHECK_STR(str(yes, "action_id"), "sb_confirm");
        SB_CHECK_STR(str(yes, "value"), "alert-1");
        SB_CHECK_STR(str(no, "text"), "No, this wasn't me");
        SB_CHECK_STR(str(no, "action_id"), "sb_deny");
        SB_CHECK_STR(str(no, "value"), "alert-1");
        const cJSON *not_me = cJSON_GetArrayItem(buttons, 2);
        SB_CHECK_STR(str(not_me, "text"), SB_CHAT_NOT_ME_LABEL);
        SB_CHECK_STR(str(not_me, "action_id"), "sb_not_me");
        SB_CHECK_STR(str(not_me, "value"), "alert-1");
        SB_CHECK_STR(str(l[1], "text"), "line 1\nline 2 "); /* control character: a space */
        SB_CHECK_STR(str(l[1], "ts"), ref2.ts);
        SB_CHECK(cJSON_GetObjectItem(l[1], "alert_id") == NULL);
        SB_CHECK_STR(str(l[2], "ts"), ref.ts); /* the update names the prompt */
        SB_CHECK_STR(str(l[2], "text"), "Thanks, confirmed.");
        SB_CHECK(cJSON_GetArraySize(cJSON_GetObjectItem(l[2], "buttons")) == 0);
        SB_CHECK_STR(str(l[3], "alert_id"), "alert-1");
        SB_CHECK(str(l[3], "text") && strstr(str(l[3], "text"), "SSH login <b>") &&
                 strstr(str(l[3], "text"), "\n\nThanks."));
        SB_CHECK_STR(str(l[4], "channel"), "security");
        SB_CHECK_STR(str(l[4], "text"), "Escalated alert-1");
    }
    free_lines(l, n < 0 ? 0 : n);
    cJSON_Delete(details);
    sb_chat_destroy(chat);
}

typedef struct {
    sb_chat_t *chat;
    int id, failures;
} worker_t;

static void *worker(void *arg) {
    worker_t *w = arg;
    char channel[32], *text = malloc(BIG + 1);
    sb_chat_error_t err;
    sb_chat_ref_t ref;
    memset(text, 'a' + w->id, BIG);
    text[BIG] = '\0';
    snprintf(channel, sizeof(channel), "console:t%d", w->id);
    for (int i = 0; i < PER_THREAD; i++) {
        sb_chat_prompt_t p = {channel, "alert-x", "title", text, NULL, NULL, NULL, NULL, 0};
        int rc = i % 2 ? sb_chat_send_text(w->chat, channel, text, &ref, &err)
                       : sb_chat_send_prompt(w->chat, &p, &ref, &err);
        w->failures += rc != 0;
    }
    free(text);
    return NULL;
}

static int cmp_str(const void *a, const void *b) {
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Threads 0 and 1 share a client, 2 and 3 have their own (as processes
 * would): every line is whole, and the shared client's ts are unique. */
static void test_concurrent(void) {
    char path[128], errstr[512];
    snprintf(path, sizeof(path), "%s/concurrent.log", dir);
    sb_chat_config_t cfg = {.console_log_path = path};
    sb_chat_t *clients[3];
    pthread_t tid[THREADS];
    worker_t w[THREADS];
    for (int i = 0; i < 3; i++) {
        clients[i] = sb_chat_new("console", &cfg, errstr, sizeof(errstr));
        SB_CHECK_MSG(clients[i] != NULL, "%s", errstr);
        if (!clients[i])
            return;
    }
    for (int i = 0; i < THREADS; i++) {
        w[i] = (worker_t){clients[i < 2 ? 0 : i - 1], i, 0};
        pthread_create(&tid[i], NULL, worker, &w[i]);
    }
    for (int i = 0; i < THREADS; i++) {
        pthread_join(tid[i], NULL);
        SB_CHECK_MSG(w[i].failures == 0, "thread %d: %d failures", i, w[i].failures);
    }
    int n, per[THREADS] = {0}, shared = 0, garbled = 0;
    cJSON **l = read_lines(path, &n);
    const char **ts = calloc(2 * PER_THREAD, sizeof(*ts));
    SB_CHECK_MSG(n == THREADS * PER_THREAD, "%d lines (-1: one is not whole JSON)", n);
    for (int i = 0; i < n; i++) {
        const char *ch = str(l[i], "channel"), *text = str(l[i], "text");
        int t = ch && strncmp(ch, "console:t", 9) == 0 ? atoi(ch + 9) : -1;
        SB_CHECK_MSG(t >= 0 && t < THREADS, "line %d", i);
        if (t < 0 || t >= THREADS)
            continue;
        per[t]++;
        if (t < 2 && shared < 2 * PER_THREAD)
            ts[shared++] = str(l[i], "ts");
        /* the thread's letter, BIG times (a prompt's description is cut at
         * the section limit), nothing from another thread */
        const char *body = text ? strchr(text, 'a' + t) : NULL, *op = str(l[i], "op");
        size_t want = op && strcmp(op, "prompt") == 0 ? SB_CHAT_SECTION_MAX - 1 : BIG;
        if (!body || strspn(body, (char[]){(char)('a' + t), 0}) != want)
            garbled++;
    }
    SB_CHECK_MSG(garbled == 0, "%d lines garbled", garbled);
    for (int i = 0; i < THREADS; i++)
        SB_CHECK_MSG(per[i] == PER_THREAD, "thread %d: %d lines", i, per[i]);
    qsort(ts, (size_t)shared, sizeof(*ts), cmp_str);
    for (int i = 1; i < shared; i++)
        SB_CHECK_MSG(ts[i] && strcmp(ts[i - 1], ts[i]) != 0, "duplicate ts %s", ts[i]);
    free(ts);
    free_lines(l, n < 0 ? 0 : n);
    for (int i = 0; i < 3; i++)
        sb_chat_destroy(clients[i]);
}

/* The default path is var/console-chat.log under the working directory;
 * an unusable path fails at creation. */
static void test_paths(void) {
    char errstr[512], cwd[PATH_MAX], path[128];
    sb_chat_config_t none = {0};
    sb_chat_error_t err;
    SB_CHECK(getcwd(cwd, sizeof(cwd)) != NULL);
    SB_CHECK(chdir(dir) == 0);
    sb_chat_t *chat = sb_chat_new("console", NULL, errstr, sizeof(errstr));
    SB_CHECK_MSG(chat != NULL, "%s", errstr);
    SB_CHECK(chat && sb_chat_post_channel(chat, "security", "hello", &err) == 0);
    sb_chat_destroy(chat);
    SB_CHECK(chdir(cwd) == 0);
    snprintf(path, sizeof(path), "%s/var/console-chat.log", dir);
    SB_CHECK(count_lines(path) == 1);

    none.console_log_path = "/nonexistent-sb/deeper/console.log";
    SB_CHECK(sb_chat_new("console", &none, errstr, sizeof(errstr)) == NULL);
    SB_CHECK_MSG(strstr(errstr, "/nonexistent-sb/deeper/console.log") != NULL, "%s", errstr);
}

int main(void) {
    snprintf(dir, sizeof(dir), "/tmp/sb-chat-console-XXXXXX");
    if (!mkdtemp(dir)) {
        SB_CHECK_MSG(0, "mkdtemp");
        return SB_TEST_DONE();
    }
    test_ops();
    test_concurrent();
    test_paths();
    if (sb_test_failures == 0) { /* keep the logs of a failed run */
        char cmd[128];
        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
        if (system(cmd) != 0)
            fprintf(stderr, "could not remove %s\n", dir);
    } else {
        fprintf(stderr, "logs kept in %s\n", dir);
    }
    return SB_TEST_DONE();
}
