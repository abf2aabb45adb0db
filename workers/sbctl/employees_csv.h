/* employees_csv: the employee directory's CSV file for `sbctl employees import`. */
#ifndef EMPLOYEES_CSV_H
#define EMPLOYEES_CSV_H

#include <stddef.h>
#include <stdio.h>

#define EMPLOYEES_CSV_FIELDS 4

/* One checked row: its line number and its fields (owned). */
typedef struct {
    int line;
    char *field[EMPLOYEES_CSV_FIELDS]; /* username, email, chat_user_id, aliases */
} employee_row_t;

/* Reads and checks the whole file (header username,email,chat_user_id,aliases).
 * Returns rows (owned) or NULL with every problem printed to stderr, naming
 * path and the line; *bad counts the bad lines, *nrows the rows. */
employee_row_t *employees_csv_read(FILE *f, const char *path, size_t *nrows, int *bad);

void employees_rows_free(employee_row_t *rows, size_t n);

#endif
