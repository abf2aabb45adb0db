/* fuzz_command: libFuzzer target for the chat command parser, as
 * sb-response runs it on every text an employee sends. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sb_command.h"
#include "sb_utf8.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    char *copy = malloc(size ? size : 1);
    sb_command_t c;
    if (!copy)
        return 0;
    memcpy(copy, data, size);
    sb_command_parse(copy, size, &c);

    if ((unsigned)c.kind > SB_CMD_LAST || !sb_command_name(c.kind))
        abort();
    /* a comment points into the first SB_COMMAND_TEXT_MAX bytes of the input */
    if (c.kind == SB_CMD_YES || c.kind == SB_CMD_NO || c.kind == SB_CMD_NOT_ME) {
        if (!c.comment || c.comment < copy || c.comment_len > size ||
            c.comment + c.comment_len >
                copy + (size < SB_COMMAND_TEXT_MAX ? size : SB_COMMAND_TEXT_MAX))
            abort();
    } else if (c.comment || c.comment_len) {
        abort();
    }
    /* a code is six digits, found in the input */
    if (c.kind == SB_CMD_CODE) {
        if (strlen(c.code) != 6 || strspn(c.code, "0123456789") != 6)
            abort();
    } else if (c.code[0]) {
        abort();
    }
    if (c.kind == SB_CMD_IGNORE && (c.ignore_ms < SB_COMMAND_IGNORE_MIN_MS ||
                                    c.ignore_ms > SB_COMMAND_IGNORE_MAX_MS || c.error))
        abort();
    if ((c.kind == SB_CMD_IGNORE_BAD) != (c.error != NULL))
        abort();
    /* valid UTF-8 in, valid UTF-8 comment out (the window never cuts a character) */
    if (c.comment_len && sb_utf8_valid(copy, size) && !sb_utf8_valid(c.comment, c.comment_len))
        abort();
    /* the bytes after the window change nothing when it ends between characters */
    if (size > SB_COMMAND_TEXT_MAX && ((unsigned char)copy[SB_COMMAND_TEXT_MAX] & 0xC0) != 0x80) {
        sb_command_t d;
        sb_command_parse(copy, SB_COMMAND_TEXT_MAX, &d);
        if (d.kind != c.kind || d.comment != c.comment || d.comment_len != c.comment_len ||
            memcmp(d.code, c.code, sizeof(c.code)) || d.ignore_ms != c.ignore_ms)
            abort();
    }
    free(copy);
    return 0;
}
