/* socket_envelope: one Slack Socket Mode frame, read into what the gateway must do with it. */
#ifndef SB_SOCKET_ENVELOPE_H
#define SB_SOCKET_ENVELOPE_H

#include <stddef.h>

#include "sb_payload.h"

/* The longest envelope id accepted (Slack's are UUIDs). */
#define SB_ENVELOPE_ID_MAX 128
/* The largest frame accepted: Slack's payloads are well under it. */
#define SB_ENVELOPE_MAX_FRAME (512 * 1024)

typedef enum {
    SB_ENVELOPE_BAD,        /* not an envelope we can read: log, nothing else */
    SB_ENVELOPE_HELLO,      /* the connection is ready */
    SB_ENVELOPE_DISCONNECT, /* Slack asks for a new connection (`reason`) */
    SB_ENVELOPE_PAYLOAD,    /* events_api or interactive: `payload` says what to do */
    SB_ENVELOPE_OTHER,      /* another type with an envelope id (slash_commands...):
                               acknowledge, publish nothing */
} sb_envelope_kind_t;

/* What a frame asks for. Nothing in it holds message text except
 * payload.event (never logged). */
typedef struct {
    sb_envelope_kind_t kind;
    char type[32];                            /* the envelope's type, cut */
    char envelope_id[SB_ENVELOPE_ID_MAX + 1]; /* "" when none */
    int retry_attempt;                        /* 0 on a first delivery */
    char retry_reason[64];                    /* "" when none */
    char reason[64];                          /* DISCONNECT: Slack's reason */
    int num_connections;                      /* HELLO: -1 when absent */
    char detail[160];                         /* BAD: why (no message text) */
    sb_payload_t payload; /* PAYLOAD: the HTTP callback's verdict (sb_payload.h) */
} sb_envelope_t;

/* Reads one text frame. An events_api envelope's payload is read as the
 * Events API body, an interactive one's as the interactivity payload, with
 * the same code as the HTTP callbacks (same events, same event ids).
 * received_at is RFC 3339. Free with sb_envelope_clear. */
void sb_envelope_read(const char *frame, size_t len, const char *received_at, sb_envelope_t *out);

/* The acknowledgement of envelope_id, {"envelope_id":"..."}, into buf;
 * its length, or -1 when buf is too small or the id cannot be written. */
int sb_envelope_ack(const char *envelope_id, char *buf, size_t size);

/* Frees what a read left in out. */
void sb_envelope_clear(sb_envelope_t *out);

#endif
