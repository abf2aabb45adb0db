/* texts: the words of a prompt, from an operator's template file (deploy/messages.json). */
#ifndef SB_PROMPT_TEXTS_H
#define SB_PROMPT_TEXTS_H

#include <stddef.h>

#define SB_TEXTS_MAX 1000 /* characters of one template, and of what it expands to */

typedef struct {
    char *intro; /* the first prompt of a conversation */
    char *next;  /* a prompt after another one in the last hour ("One more thing…") */
} sb_texts_t;

/* The values a template may name: {name}, {rule}, {severity}, {title}.
 * NULL values expand to nothing. */
typedef struct {
    const char *name;
    const char *rule;
    const char *severity;
    const char *title;
} sb_texts_vars_t;

/* Loads path (NULL or "": the built-in defaults). The file is a JSON
 * object; "intro" and "next" are optional strings (a missing one keeps its
 * default), other keys belong to other workers and are ignored. A file
 * that does not parse, a template over SB_TEXTS_MAX characters or naming
 * an unknown placeholder is refused: 0, or -1 with errstr. */
int sb_texts_load(sb_texts_t *t, const char *path, char *errstr, size_t errstr_size);
void sb_texts_free(sb_texts_t *t);

/* Expands tmpl into an owned string: each {placeholder} replaced by its
 * value, once (a value is never expanded again, so an employee's name
 * cannot inject a placeholder), "{{" and "}}" as literal braces. NULL when
 * out of memory. */
char *sb_texts_expand(const char *tmpl, const sb_texts_vars_t *v);

#endif
