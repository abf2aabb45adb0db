/* sb_severity: an alert's severity names (low, medium, high, critical) and their ranks. */
#ifndef SB_SEVERITY_H
#define SB_SEVERITY_H

/* Ranks, least urgent first: a higher rank is more urgent. */
#define SB_SEVERITY_LOW      0
#define SB_SEVERITY_MEDIUM   1 /* an alert without a severity has this one */
#define SB_SEVERITY_HIGH     2
#define SB_SEVERITY_CRITICAL 3
#define SB_SEVERITY_COUNT    4

/* The names by rank, then NULL (the contract's enum takes this list). */
extern const char *const sb_severity_names[SB_SEVERITY_COUNT + 1];

/* The rank of a name (exact, lower case), or -1 for NULL or anything else. */
int sb_severity_rank(const char *name);

/* The name of a rank (a static string), or NULL outside 0..SB_SEVERITY_COUNT-1. */
const char *sb_severity_name(int rank);

#endif
