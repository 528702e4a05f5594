/*
 * consentctl: command-line front end of the rules compiler.
 *
 *   consentctl compile SRC -o DB   YAML rules -> LMDB database (atomic)
 *   consentctl dump DB             print a database as sorted text
 *   consentctl --help
 *
 * Exit status: 0 ok, 1 invalid rules/database (findings on stderr as
 * FILE:LINE:COL: message), 2 usage or I/O error.
 */

#include "cs_compile.h"

#include <stdio.h>
#include <string.h>

#define CONSENTCTL_EXIT_USAGE  2
#define CONSENTCTL_ERR_MAX     (16u * 1024u)

static void
usage(FILE *out)
{
    fputs("usage: consentctl compile SRC.yaml -o DB   compile rules into an "
          "LMDB file\n"
          "       consentctl dump DB                  print a rules database "
          "as text\n"
          "       consentctl --help                   show this help\n"
          "\n"
          "compile writes DB.tmp.<pid>, verifies it and renames it over DB;\n"
          "an existing DB is never modified when the rules are invalid.\n"
          "Exit status: 0 ok, 1 invalid rules, 2 usage or I/O error.\n",
          out);
}

static int
report(int rc, const char *err)
{
    if (rc != CS_COMPILE_OK && err[0] != '\0') {
        fprintf(stderr, "%s\n", err);
    }
    return rc;
}

static int
cmd_compile(int argc, char **argv)
{
    const char  *src = NULL, *db = NULL;
    static char  err[CONSENTCTL_ERR_MAX];

    for (int i = 0; i < argc; i++) {
        if (strcmp(argv[i], "-o") == 0) {
            if (i + 1 >= argc || db != NULL) {
                usage(stderr);
                return CONSENTCTL_EXIT_USAGE;
            }
            db = argv[++i];
        } else if (argv[i][0] == '-' && argv[i][1] != '\0') {
            fprintf(stderr, "consentctl: unknown option '%s'\n", argv[i]);
            usage(stderr);
            return CONSENTCTL_EXIT_USAGE;
        } else if (src == NULL) {
            src = argv[i];
        } else {
            usage(stderr);
            return CONSENTCTL_EXIT_USAGE;
        }
    }
    if (src == NULL || db == NULL) {
        usage(stderr);
        return CONSENTCTL_EXIT_USAGE;
    }
    return report(cs_compile(src, db, err, sizeof(err)), err);
}

static int
cmd_dump(int argc, char **argv)
{
    static char err[CONSENTCTL_ERR_MAX];

    if (argc != 1 || (argv[0][0] == '-' && argv[0][1] != '\0')) {
        usage(stderr);
        return CONSENTCTL_EXIT_USAGE;
    }
    return report(cs_dump(argv[0], stdout, err, sizeof(err)), err);
}

int
main(int argc, char **argv)
{
    if (argc >= 2 && (strcmp(argv[1], "--help") == 0
                      || strcmp(argv[1], "-h") == 0
                      || strcmp(argv[1], "help") == 0))
    {
        usage(stdout);
        return 0;
    }
    if (argc >= 2 && strcmp(argv[1], "compile") == 0) {
        return cmd_compile(argc - 2, argv + 2);
    }
    if (argc >= 2 && strcmp(argv[1], "dump") == 0) {
        return cmd_dump(argc - 2, argv + 2);
    }
    if (argc >= 2) {
        fprintf(stderr, "consentctl: unknown command '%s'\n", argv[1]);
    }
    usage(stderr);
    return CONSENTCTL_EXIT_USAGE;
}
