/* assets: the console's pages and their files, served from one folder without escaping it. */
#ifndef ASSETS_H
#define ASSETS_H

#include <stddef.h>

#include "sb_http.h"

/* Largest file served (the pages are small; Chart.js is ~200 KiB). */
#define ASSETS_MAX_FILE (4 * 1024 * 1024)

/* The media type of a file name by its extension among those the console
 * ships (html, js, css, svg, png, ico, json, txt), or NULL: not served. */
const char *assets_media_type(const char *name);

/* 1 when rel (the part of the URL path after the assets prefix) is a safe
 * relative file name: 1-200 bytes of [A-Za-z0-9._-] in segments separated
 * by single '/', no segment empty or starting with '.', so no "..", no
 * hidden file, no absolute path, no backslash, no percent-encoding left. */
int assets_name_ok(const char *rel);

/* Answers GET for the file rel under dir: 200 with its bytes, or 404 when
 * the name is not safe, not a regular file (symbolic links are not
 * followed), too large, or of an unknown type. 0 or -1. */
int assets_serve(const char *dir, const char *rel, sb_http_response_t *resp);

/* Answers the file at path (a fixed, configured path: Chart.js) as type. */
int assets_serve_file(const char *path, const char *type, sb_http_response_t *resp);

#endif
