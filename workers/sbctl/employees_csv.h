/* employees_csv: the employee directory's CSV file for `sbctl employees import`. */
#ifndef EMPLOYEES_CSV_H
#define EMPLOYEES_CSV_H

#include <stddef.h>
#include <stdio.h>

#define EMPLOYEES_CSV_FIELDS 6 /* the four required columns, then the two optional ones */
#define EMPLOYEES_CSV_TZ     4
#define EMPLOYEES_CSV_HOURS  5

/* One checked row: its line number and its fields (owned; an optional
 * column the file lacks is ""). */
typedef struct {
    int line;
    char *field[EMPLOYEES_CSV_FIELDS]; /* username, email, chat_user_id, aliases, timezone,
                                          working_hours */
} employee_row_t;

/* Reads and checks the whole file (header username,email,chat_user_id,aliases,
 * then optionally timezone and working_hours, in either order).
 * Returns rows (owned) or NULL with every problem printed to stderr, naming
 * path and the line; *bad counts the bad lines, *nrows the rows. has[f] says
 * whether the file has optional column f (EMPLOYEES_CSV_TZ, _HOURS). */
employee_row_t *employees_csv_read(FILE *f, const char *path, size_t *nrows, int *bad,
                                   int has[EMPLOYEES_CSV_FIELDS]);

void employees_rows_free(employee_row_t *rows, size_t n);

#endif
