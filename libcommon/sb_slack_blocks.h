/* sb_slack_blocks: the Block Kit (JSON) of Slack prompts and updates, for sb_chat_slack.c. */
#ifndef SB_SLACK_BLOCKS_H
#define SB_SLACK_BLOCKS_H

#include <cjson/cJSON.h>

#include "sb_buf.h"
#include "sb_chat.h"

/* The prompt's blocks; answer_text NULL: with the buttons, else the answer
 * in their place. Returns NULL when out of memory. */
cJSON *sb_slack_prompt_blocks(const sb_chat_prompt_t *p, const char *answer_text);

/* One section of text (escaped here), as the blocks of an update. */
cJSON *sb_slack_text_blocks(const char *text);

/* The notification text: "intro title: description", within SB_CHAT_NOTIFY_MAX. */
void sb_slack_fallback_text(sb_buf_t *b, const sb_chat_prompt_t *p);

#endif
