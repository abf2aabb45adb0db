/* test_employees_csv: the directory's CSV with and without its optional timezone and working_hours
 * columns. */
#include <stdio.h>
#include <string.h>

#include "employees_csv.h"
#include "sb_test.h"

/* Reads text as a CSV file: the rows (freed here), *bad and has[]. */
static size_t read_csv(const char *text, int *bad, int has[EMPLOYEES_CSV_FIELDS], char tz[64],
                       char hours[64]) {
    FILE *f = fmemopen((void *)text, strlen(text), "r");
    size_t n = 0;
    employee_row_t *rows = employees_csv_read(f, "t.csv", &n, bad, has);
    tz[0] = hours[0] = '\0';
    if (n > 0) {
        snprintf(tz, 64, "%s", rows[0].field[EMPLOYEES_CSV_TZ]);
        snprintf(hours, 64, "%s", rows[0].field[EMPLOYEES_CSV_HOURS]);
    }
    employees_rows_free(rows, n);
    fclose(f);
    return n;
}

static const struct {
    const char *text;
    int bad, has_tz, has_hours;
    const char *tz, *hours;
} cases[] = {
    {"username,email,chat_user_id,aliases\nann,ann@example.com,U1,\n", 0, 0, 0, "", ""},
    {"username,email,chat_user_id,aliases,timezone\nann,ann@example.com,U1,,Asia/Tokyo\n", 0, 1, 0,
     "Asia/Tokyo", ""},
    {"username,email,chat_user_id,aliases,working_hours,timezone\n"
     "ann,ann@example.com,U1,,22:00-06:00 Mon-Fri,Europe/Berlin\n",
     0, 1, 1, "Europe/Berlin", "22:00-06:00 Mon-Fri"},
    {"username,email,chat_user_id,aliases,timezone,working_hours\nann,ann@example.com,U1,,,\n", 0,
     1, 1, "", ""},
    /* an unknown zone, bad hours, a missing field: each a bad line */
    {"username,email,chat_user_id,aliases,timezone\nann,ann@example.com,U1,,Mars/Base\n", 1, 1, 0,
     "Mars/Base", ""},
    {"username,email,chat_user_id,aliases,working_hours\nann,ann@example.com,U1,,9-5\n", 1, 0, 1,
     "", "9-5"},
    {"username,email,chat_user_id,aliases,timezone\nann,ann@example.com,U1,\n", 1, 1, 0, "", ""},
    /* headers: a column twice, an unknown one */
    {"username,email,chat_user_id,aliases,timezone,timezone\n", 1, 1, 0, "", ""},
    {"username,email,chat_user_id,aliases,tz\n", 1, 0, 0, "", ""},
    {"username,email,chat_user_id,aliases,\n", 1, 0, 0, "", ""},
};

int main(void) {
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        int bad = -1, has[EMPLOYEES_CSV_FIELDS];
        char tz[64], hours[64];
        read_csv(cases[i].text, &bad, has, tz, hours);
        SB_CHECK_MSG((bad > 0) == cases[i].bad, "case %zu: bad %d", i, bad);
        if (!cases[i].bad || strchr(cases[i].text, '\n') != strrchr(cases[i].text, '\n')) {
            SB_CHECK_MSG(has[EMPLOYEES_CSV_TZ] == cases[i].has_tz, "case %zu: timezone column", i);
            SB_CHECK_MSG(has[EMPLOYEES_CSV_HOURS] == cases[i].has_hours, "case %zu: hours", i);
        }
        if (!cases[i].bad) {
            SB_CHECK_STR(tz, cases[i].tz);
            SB_CHECK_STR(hours, cases[i].hours);
        }
    }
    return SB_TEST_DONE();
}
