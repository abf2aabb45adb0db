/* sb_test: a minimal table-friendly assertion harness for the unit tests. */
#ifndef SB_TEST_H
#define SB_TEST_H

#include <stdio.h>
#include <string.h>

static int sb_test_failures = 0;
static int sb_test_checks = 0;

#define SB_CHECK(cond)                                                                             \
    do {                                                                                           \
        sb_test_checks++;                                                                          \
        if (!(cond)) {                                                                             \
            sb_test_failures++;                                                                    \
            fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond);               \
        }                                                                                          \
    } while (0)

#define SB_CHECK_MSG(cond, ...)                                                                    \
    do {                                                                                           \
        sb_test_checks++;                                                                          \
        if (!(cond)) {                                                                             \
            sb_test_failures++;                                                                    \
            fprintf(stderr, "%s:%d: check failed: %s: ", __FILE__, __LINE__, #cond);               \
            fprintf(stderr, __VA_ARGS__);                                                          \
            fputc('\n', stderr);                                                                   \
        }                                                                                          \
    } while (0)

#define SB_CHECK_STR(a, b)                                                                         \
    do {                                                                                           \
        const char *sb_a_ = (a), *sb_b_ = (b);                                                     \
        sb_test_checks++;                                                                          \
        if (!sb_a_ || !sb_b_ || strcmp(sb_a_, sb_b_) != 0) {                                       \
            sb_test_failures++;                                                                    \
            fprintf(stderr, "%s:%d: \"%s\" != \"%s\"\n", __FILE__, __LINE__,                       \
                    sb_a_ ? sb_a_ : "(null)", sb_b_ ? sb_b_ : "(null)");                           \
        }                                                                                          \
    } while (0)

/* Ends main(): prints a summary and returns the process status. */
#define SB_TEST_DONE()                                                                             \
    (fprintf(stderr, "%d checks, %d failed\n", sb_test_checks, sb_test_failures),                  \
     sb_test_failures ? 1 : 0)

#endif
