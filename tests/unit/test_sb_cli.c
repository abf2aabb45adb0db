/* Unit tests for sb_cli: --help, --version, unknown arguments, what goes to stdout and stderr. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sb_cli.h"
#include "sb_test.h"

static char *brokers;
static const sb_cfg_entry_t table[] = {
    SB_CFG_STR("SB_TEST_BROKERS", &brokers, "localhost:9092", "brokers"),
};

/* Runs sb_cli_standard with stdout and stderr captured into out/err. */
static int run(const char *const *args, char *out, size_t outsz, char *err, size_t errsz) {
    char *argv[8];
    int argc = 0, rc, saved_out, saved_err;
    FILE *fo = tmpfile(), *fe = tmpfile();
    size_t n;

    argv[argc++] = "sb-test";
    for (; *args && argc < 7; args++)
        argv[argc++] = (char *)*args;
    argv[argc] = NULL;

    fflush(stdout);
    fflush(stderr);
    saved_out = dup(STDOUT_FILENO);
    saved_err = dup(STDERR_FILENO);
    dup2(fileno(fo), STDOUT_FILENO);
    dup2(fileno(fe), STDERR_FILENO);
    rc = sb_cli_standard(argc, argv, "sb-test", "Tests the command line.", table, 1);
    fflush(stdout);
    fflush(stderr);
    dup2(saved_out, STDOUT_FILENO);
    dup2(saved_err, STDERR_FILENO);
    close(saved_out);
    close(saved_err);

    rewind(fo);
    n = fread(out, 1, outsz - 1, fo);
    out[n] = '\0';
    rewind(fe);
    n = fread(err, 1, errsz - 1, fe);
    err[n] = '\0';
    fclose(fo);
    fclose(fe);
    return rc;
}

static void test_cli(void) {
    static const struct {
        const char *args[4];
        int rc;
        const char *out; /* exact stdout, or NULL to skip */
        const char *out_has;
        const char *err_has;
    } cases[] = {
        {{NULL}, 0, "", NULL, NULL},
        {{"--version"}, 1, "sb-test " SB_VERSION "\n", NULL, NULL},
        {{"--help"},
         1,
         "Usage: sb-test [--help] [--version]\n\nTests the command line.\n\nEnvironment:\n"
         "  SB_TEST_BROKERS  brokers (default: localhost:9092)\n",
         NULL,
         NULL},
        {{"-h"}, 1, NULL, "Usage: sb-test [--help] [--version]\n", NULL},
        {{"--bogus"}, -1, "", NULL, "unknown argument '--bogus'"},
        {{"--bogus"}, -1, "", NULL, "Try 'sb-test --help'"},
        {{"extra"}, -1, "", NULL, "unknown argument 'extra'"},
        {{"-V"}, -1, "", NULL, "unknown argument '-V'"},
        /* left to right: the first argument decides */
        {{"--help", "--bogus"}, 1, NULL, "Usage:", NULL},
        {{"--bogus", "--help"}, -1, "", NULL, "unknown argument '--bogus'"},
        {{"--version", "--help"}, 1, "sb-test " SB_VERSION "\n", NULL, NULL},
    };
    char out[2048], err[2048];

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        int rc = run(cases[i].args, out, sizeof(out), err, sizeof(err));
        SB_CHECK_MSG(rc == cases[i].rc, "case %zu: rc %d", i, rc);
        if (cases[i].out)
            SB_CHECK_STR(out, cases[i].out);
        if (cases[i].out_has)
            SB_CHECK_MSG(strstr(out, cases[i].out_has) != NULL, "case %zu: %s", i, out);
        if (cases[i].err_has)
            SB_CHECK_MSG(strstr(err, cases[i].err_has) != NULL, "case %zu: %s", i, err);
        else
            SB_CHECK_MSG(err[0] == '\0', "case %zu: stderr %s", i, err);
    }
}

int main(void) {
    test_cli();
    return SB_TEST_DONE();
}
