/*
 * consentctl: command-line front end of the rules compiler.
 *
 *   consentctl compile SRC... -o DB   YAML rules -> LMDB database (atomic)
 *   consentctl dump DB             print a database as sorted text
 *   consentctl check SRC...        lint rule files together (no database written)
 *   consentctl diff A B            compare two databases / rule files
 *   consentctl filter ...          run the gate on a file
 *   consentctl disclosure ...      a site's external-transmission table
 *   consentctl import-entities ... services.json-shaped list -> YAML rules
 *   consentctl audit ...           replay HAR captures, report (cs_audit.h)
 *   consentctl --help
 *   consentctl --version   (CS_VERSION, from debian/changelog via the Makefile)
 *
 * Exit status: 0 ok, 1 invalid rules/database (findings on stderr as
 * FILE:LINE:COL: message), 2 usage or I/O error.
 */

#include "cs_audit.h"
#include "cs_compile.h"
#include "cs_import.h"
#include "cs_ops.h"

#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

#include <stdio.h>
#include <string.h>

#define CONSENTCTL_EXIT_USAGE  2
#define CONSENTCTL_ERR_MAX     (16u * 1024u)

static void
usage(FILE *out)
{
    fputs("usage: consentctl compile SRC.yaml... -o DB compile rules into an "
          "LMDB file\n"
          "       consentctl dump DB                  print a rules database "
          "as text\n"
          "       consentctl check SRC.yaml...        lint rules, write nothing\n"
          "       consentctl diff A B                 compare DBs/rule files\n"
          "       consentctl filter --db DB --site S [--consent V]\n"
          "                  [--action strip|neutralize] [--report] FILE|-\n"
          "       consentctl disclosure --db DB --site S [--lang ja|en]\n"
          "                  [--format html|md|json]\n"
          "       consentctl import-entities FILE.json [--exclude RULES.yaml]...\n"
          "                  [-o OUT.yaml]        entity list -> recipients\n"
          "       consentctl audit --rules DB --site S [--consent V]...\n"
          "                  [--cookie [FMT:]NAME=VALUE]... [--first-party H]...\n"
          "                  [--format text|md|html|json] FILE.har...\n"
          "       consentctl --help                   show this help\n"
          "       consentctl --version                print the version\n"
          "\n"
          "compile writes DB.tmp.<pid>, verifies it and renames it over DB;\n"
          "an existing DB is never modified when the rules are invalid.\n"
          "Exit status: 0 ok, 1 invalid rules / findings / differences,\n"
          "2 usage or I/O error.\n",
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
    const char   *db = NULL;
    const char  **srcs;
    size_t        nsrcs = 0;
    int           rc;
    static char   err[CONSENTCTL_ERR_MAX];

    if ((srcs = calloc((size_t) argc + 1, sizeof(*srcs))) == NULL) {
        fprintf(stderr, "consentctl: out of memory\n");
        return CONSENTCTL_EXIT_USAGE;
    }
    for (int i = 0; i < argc; i++) {
        if (strcmp(argv[i], "-o") == 0) {
            if (i + 1 >= argc || db != NULL) {
                free(srcs);
                usage(stderr);
                return CONSENTCTL_EXIT_USAGE;
            }
            db = argv[++i];
        } else if (argv[i][0] == '-' && argv[i][1] != '\0') {
            fprintf(stderr, "consentctl: unknown option '%s'\n", argv[i]);
            free(srcs);
            usage(stderr);
            return CONSENTCTL_EXIT_USAGE;
        } else {
            srcs[nsrcs++] = argv[i];
        }
    }
    if (nsrcs == 0 || db == NULL) {
        free(srcs);
        usage(stderr);
        return CONSENTCTL_EXIT_USAGE;
    }
    rc = report(cs_compile_sources(srcs, nsrcs, db, err, sizeof(err)), err);
    free(srcs);
    return rc;
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

static int
cmd_check(int argc, char **argv)
{
    static char err[CONSENTCTL_ERR_MAX];
    int         rc;

    if (argc < 1) {
        usage(stderr);
        return CONSENTCTL_EXIT_USAGE;
    }
    for (int i = 0; i < argc; i++) {
        if (argv[i][0] == '-' && argv[i][1] != '\0') {
            usage(stderr);
            return CONSENTCTL_EXIT_USAGE;
        }
    }
    err[0] = '\0';
    rc = cs_ops_check_sources((const char *const *) argv, (size_t) argc,
                              stdout, err, sizeof(err));
    if (rc == CS_OPS_IO && err[0] != '\0') {
        fprintf(stderr, "%s\n", err);
    }
    return rc;
}

static int
cmd_diff(int argc, char **argv)
{
    static char   err[CONSENTCTL_ERR_MAX];
    cs_ops_db_t  *a, *b;
    int           rc;

    if (argc != 2) {
        usage(stderr);
        return CONSENTCTL_EXIT_USAGE;
    }
    if ((a = cs_ops_db_open(argv[0], &rc, err, sizeof(err))) == NULL) {
        fprintf(stderr, "%s\n", err);
        return CONSENTCTL_EXIT_USAGE;
    }
    if ((b = cs_ops_db_open(argv[1], &rc, err, sizeof(err))) == NULL) {
        fprintf(stderr, "%s\n", err);
        cs_ops_db_free(a);
        return CONSENTCTL_EXIT_USAGE;
    }
    rc = cs_ops_diff(a, b, stdout);
    cs_ops_db_free(a);
    cs_ops_db_free(b);
    return rc;
}

/* Reads a whole file (or stdin for "-"); NULL on error. */
static unsigned char *
read_all(const char *path, size_t *len)
{
    FILE          *fp = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
    unsigned char *buf = NULL;
    size_t         cap = 0, n = 0, r;

    if (fp == NULL) {
        return NULL;
    }
    for (;;) {
        if (n == cap) {
            unsigned char *nb;
            cap = cap ? cap * 2 : 65536;
            if (cap > CS_COMPILE_MAX_SOURCE * 4u
                || (nb = realloc(buf, cap)) == NULL)
            {
                free(buf);
                buf = NULL;
                break;
            }
            buf = nb;
        }
        r = fread(buf + n, 1, cap - n, fp);
        n += r;
        if (r == 0) {
            if (ferror(fp)) {
                free(buf);
                buf = NULL;
            }
            break;
        }
    }
    if (fp != stdin) {
        fclose(fp);
    }
    *len = n;
    return buf;
}

static int
opt_value(int argc, char **argv, int *i, const char **val)
{
    if (*i + 1 >= argc || *val != NULL) {
        return -1;
    }
    *val = argv[++*i];
    return 0;
}

static int
cmd_filter(int argc, char **argv)
{
    static char    err[CONSENTCTL_ERR_MAX];
    const char    *db = NULL, *site = NULL, *consent = NULL, *action = NULL;
    const char    *file = NULL;
    bool           report = false;
    cs_action_t    act = CS_ACTION_STRIP;
    cs_rules_t    *rules;
    unsigned char *in;
    size_t         n = 0;
    cs_obuf_t      out = { 0 };
    int            rc;

    for (int i = 0; i < argc; i++) {
        int bad = 0;
        if (strcmp(argv[i], "--db") == 0) {
            bad = opt_value(argc, argv, &i, &db);
        } else if (strcmp(argv[i], "--site") == 0) {
            bad = opt_value(argc, argv, &i, &site);
        } else if (strcmp(argv[i], "--consent") == 0) {
            bad = opt_value(argc, argv, &i, &consent);
        } else if (strcmp(argv[i], "--action") == 0) {
            bad = opt_value(argc, argv, &i, &action);
        } else if (strcmp(argv[i], "--report") == 0) {
            report = true;
        } else if (argv[i][0] == '-' && argv[i][1] != '\0') {
            bad = 1;
        } else if (file == NULL) {
            file = argv[i];
        } else {
            bad = 1;
        }
        if (bad) {
            usage(stderr);
            return CONSENTCTL_EXIT_USAGE;
        }
    }
    if (db == NULL || site == NULL || file == NULL) {
        usage(stderr);
        return CONSENTCTL_EXIT_USAGE;
    }
    if (action != NULL && strcmp(action, "neutralize") == 0) {
        act = CS_ACTION_NEUTRALIZE;
    } else if (action != NULL && strcmp(action, "strip") != 0) {
        fprintf(stderr, "consentctl: --action is strip or neutralize\n");
        return CONSENTCTL_EXIT_USAGE;
    }
    if ((rules = cs_rules_load(db, err, sizeof(err))) == NULL) {
        fprintf(stderr, "%s: %s\n", db, err);
        return CONSENTCTL_EXIT_USAGE;
    }
    if ((in = read_all(file, &n)) == NULL && n == 0 && ferror(stdin) == 0
        && strcmp(file, "-") != 0)
    {
        fprintf(stderr, "%s: cannot read\n", file);
        cs_rules_free(rules);
        return CONSENTCTL_EXIT_USAGE;
    }
    /* same default as consent_max_element_size */
    rc = cs_ops_filter(rules, site, consent, act, 256u * 1024u, report,
                       in ? in : (const unsigned char *) "", in ? n : 0, &out,
                       err, sizeof(err));
    if (rc == CS_OPS_OK) {
        if (out.len && fwrite(out.data, 1, out.len, stdout) != out.len) {
            rc = CONSENTCTL_EXIT_USAGE;
        }
    } else {
        fprintf(stderr, "consentctl: %s\n", err);
        rc = CONSENTCTL_EXIT_USAGE;
    }
    cs_obuf_free(&out);
    free(in);
    cs_rules_free(rules);
    return rc;
}

static int
cmd_disclosure(int argc, char **argv)
{
    static char      err[CONSENTCTL_ERR_MAX];
    const char      *db = NULL, *site = NULL, *lang = NULL, *format = NULL;
    cs_ops_lang_t    l = CS_OPS_LANG_JA;
    cs_ops_format_t  f = CS_OPS_FMT_HTML;
    cs_ops_db_t     *d;
    cs_obuf_t        out = { 0 };
    int              rc;

    for (int i = 0; i < argc; i++) {
        int bad = 0;
        if (strcmp(argv[i], "--db") == 0) {
            bad = opt_value(argc, argv, &i, &db);
        } else if (strcmp(argv[i], "--site") == 0) {
            bad = opt_value(argc, argv, &i, &site);
        } else if (strcmp(argv[i], "--lang") == 0) {
            bad = opt_value(argc, argv, &i, &lang);
        } else if (strcmp(argv[i], "--format") == 0) {
            bad = opt_value(argc, argv, &i, &format);
        } else {
            bad = 1;
        }
        if (bad) {
            usage(stderr);
            return CONSENTCTL_EXIT_USAGE;
        }
    }
    if (db == NULL || site == NULL) {
        usage(stderr);
        return CONSENTCTL_EXIT_USAGE;
    }
    if (lang != NULL && strcmp(lang, "en") == 0) {
        l = CS_OPS_LANG_EN;
    } else if (lang != NULL && strcmp(lang, "ja") != 0) {
        fprintf(stderr, "consentctl: --lang is ja or en\n");
        return CONSENTCTL_EXIT_USAGE;
    }
    if (format != NULL && strcmp(format, "md") == 0) {
        f = CS_OPS_FMT_MD;
    } else if (format != NULL && strcmp(format, "json") == 0) {
        f = CS_OPS_FMT_JSON;
    } else if (format != NULL && strcmp(format, "html") != 0) {
        fprintf(stderr, "consentctl: --format is html, md or json\n");
        return CONSENTCTL_EXIT_USAGE;
    }
    if ((d = cs_ops_db_open(db, &rc, err, sizeof(err))) == NULL) {
        fprintf(stderr, "%s\n", err);
        return CONSENTCTL_EXIT_USAGE;
    }
    rc = cs_ops_disclosure(d, site, l, f, &out, err, sizeof(err));
    if (rc == CS_OPS_OK) {
        if (fwrite(out.data, 1, out.len, stdout) != out.len) {
            rc = CONSENTCTL_EXIT_USAGE;
        }
    } else {
        fprintf(stderr, "consentctl: %s\n", err);
    }
    cs_obuf_free(&out);
    cs_ops_db_free(d);
    return rc;
}

/*
 * import-entities FILE [--exclude RULES.yaml]... [-o OUT]: the YAML goes
 * to OUT.tmp.<pid>, renamed over OUT once complete (or to stdout).
 */
static int
cmd_import(int argc, char **argv)
{
    static char   err[CONSENTCTL_ERR_MAX];
    const char   *src = NULL, *out = NULL;
    const char  **excludes;
    size_t        nexcludes = 0;
    char          tmp[4096];
    FILE         *fp = stdout;
    int           rc;

    if ((excludes = calloc((size_t) argc + 1, sizeof(*excludes))) == NULL) {
        fprintf(stderr, "consentctl: out of memory\n");
        return CONSENTCTL_EXIT_USAGE;
    }
    for (int i = 0; i < argc; i++) {
        int bad = 0;

        if (strcmp(argv[i], "--exclude") == 0) {
            bad = i + 1 >= argc;
            if (!bad) {
                excludes[nexcludes++] = argv[++i];
            }
        } else if (strcmp(argv[i], "-o") == 0) {
            bad = opt_value(argc, argv, &i, &out);
        } else if (argv[i][0] == '-' && argv[i][1] != '\0') {
            bad = 1;
        } else if (src == NULL) {
            src = argv[i];
        } else {
            bad = 1;
        }
        if (bad) {
            free(excludes);
            usage(stderr);
            return CONSENTCTL_EXIT_USAGE;
        }
    }
    if (src == NULL) {
        free(excludes);
        usage(stderr);
        return CONSENTCTL_EXIT_USAGE;
    }
    if (out != NULL) {
        if (snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", out, (long) getpid())
            >= (int) sizeof(tmp) || (fp = fopen(tmp, "w")) == NULL)
        {
            fprintf(stderr, "%s: cannot write: %s\n", out, strerror(errno));
            free(excludes);
            return CONSENTCTL_EXIT_USAGE;
        }
    }

    rc = cs_import_entities(src, excludes, nexcludes, fp, err, sizeof(err));
    free(excludes);
    if (out != NULL) {
        if (fclose(fp) != 0 && rc == CS_COMPILE_OK) {
            snprintf(err, sizeof(err), "%s: write error: %s", tmp,
                     strerror(errno));
            rc = CS_COMPILE_IO;
        }
        if (rc == CS_COMPILE_OK && rename(tmp, out) != 0) {
            snprintf(err, sizeof(err), "%s: cannot rename %s into place: %s",
                     out, tmp, strerror(errno));
            rc = CS_COMPILE_IO;
        }
        if (rc != CS_COMPILE_OK) {
            (void) unlink(tmp);
        }
    }
    return report(rc, err);
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
    if (argc >= 2 && strcmp(argv[1], "--version") == 0) {
        puts("consentctl " CS_VERSION);
        return 0;
    }
    if (argc >= 2 && strcmp(argv[1], "compile") == 0) {
        return cmd_compile(argc - 2, argv + 2);
    }
    if (argc >= 2 && strcmp(argv[1], "dump") == 0) {
        return cmd_dump(argc - 2, argv + 2);
    }
    if (argc >= 2 && strcmp(argv[1], "check") == 0) {
        return cmd_check(argc - 2, argv + 2);
    }
    if (argc >= 2 && strcmp(argv[1], "diff") == 0) {
        return cmd_diff(argc - 2, argv + 2);
    }
    if (argc >= 2 && strcmp(argv[1], "filter") == 0) {
        return cmd_filter(argc - 2, argv + 2);
    }
    if (argc >= 2 && strcmp(argv[1], "disclosure") == 0) {
        return cmd_disclosure(argc - 2, argv + 2);
    }
    if (argc >= 2 && strcmp(argv[1], "audit") == 0) {
        return cs_audit_main(argc - 2, argv + 2);
    }
    if (argc >= 2 && strcmp(argv[1], "import-entities") == 0) {
        return cmd_import(argc - 2, argv + 2);
    }
    if (argc >= 2) {
        fprintf(stderr, "consentctl: unknown command '%s'\n", argv[1]);
    }
    usage(stderr);
    return CONSENTCTL_EXIT_USAGE;
}
