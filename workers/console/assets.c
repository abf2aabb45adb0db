/* assets: safe names, media types and reading of the console's static files. */
#include "assets.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "console.h"

#define NAME_MAX_LEN 200

static const struct {
    const char *ext, *type;
} types[] = {
    {".html", "text/html; charset=utf-8"},
    {".js", "text/javascript; charset=utf-8"},
    {".css", "text/css; charset=utf-8"},
    {".svg", "image/svg+xml"},
    {".png", "image/png"},
    {".ico", "image/x-icon"},
    {".json", "application/json"},
    {".txt", "text/plain; charset=utf-8"},
};

const char *assets_media_type(const char *name) {
    size_t n = strlen(name);
    for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
        size_t e = strlen(types[i].ext);
        if (n > e && strcasecmp(name + n - e, types[i].ext) == 0)
            return types[i].type;
    }
    return NULL;
}

static int name_char(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
           c == '_' || c == '-';
}

int assets_name_ok(const char *rel) {
    size_t n = strlen(rel);
    int seg_start = 1;
    if (n == 0 || n > NAME_MAX_LEN)
        return 0;
    for (const char *p = rel; *p; p++) {
        if (*p == '/') {
            if (seg_start) /* leading '/' or "//" */
                return 0;
            seg_start = 1;
            continue;
        }
        if (!name_char(*p) || (seg_start && *p == '.'))
            return 0;
        seg_start = 0;
    }
    return !seg_start; /* no trailing '/' */
}

/* Reads a regular file opened as fd (at most ASSETS_MAX_FILE bytes) into
 * a malloc'd buffer; NULL when it is not one or cannot be read. */
static char *read_regular(int fd, size_t *len) {
    struct stat st;
    char *buf = NULL;
    size_t got = 0;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size > ASSETS_MAX_FILE)
        return NULL;
    if (!(buf = malloc((size_t)st.st_size + 1)))
        return NULL;
    while (got < (size_t)st.st_size) {
        ssize_t r = read(fd, buf + got, (size_t)st.st_size - got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        got += (size_t)r;
    }
    *len = got;
    return buf;
}

int assets_serve_file(const char *path, const char *type, sb_http_response_t *resp) {
    int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    size_t len = 0;
    char *buf = fd >= 0 ? read_regular(fd, &len) : NULL;
    int rc;
    if (fd >= 0)
        close(fd);
    if (!buf)
        return console_error(resp, 404, "not_found", "no such file");
    rc = sb_http_respond(resp, 200, type, buf, len);
    free(buf);
    return rc;
}

int assets_serve(const char *dir, const char *rel, sb_http_response_t *resp) {
    char path[4096];
    const char *type = assets_media_type(rel);
    if (!assets_name_ok(rel) || !type ||
        (size_t)snprintf(path, sizeof(path), "%s/%s", dir, rel) >= sizeof(path))
        return console_error(resp, 404, "not_found", "no such file");
    return assets_serve_file(path, type, resp);
}
