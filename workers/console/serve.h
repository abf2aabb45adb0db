/* serve: sb-console's HTTP server: its routes, the security headers of every answer, the loop. */
#ifndef SERVE_H
#define SERVE_H

#include <stddef.h>

#include "console.h"

/* Serves until shutdown; 0, -1, or SB_WORKER_CONFIG_ERROR for a
 * malformed listen address. */
int serve_run(console_t *c, char *errstr, size_t errstr_size);

/* The headers every answer carries (name, value pairs, NULL-terminated). */
extern const char *const serve_security_headers[];

#endif
