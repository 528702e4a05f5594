/*
 * Operations on rule sources and databases behind the consentctl
 * subcommands check, diff, filter and disclosure.
 *
 * Pure C11 library code: never exits, prints only to a FILE or buffer it is
 * given; failures go to err/errlen (always NUL-terminated). Return values
 * double as consentctl exit codes: CS_OPS_OK (0), CS_OPS_FINDINGS (1:
 * findings, differences or invalid rules), CS_OPS_IO (2: usage or I/O).
 */

#ifndef CS_OPS_H
#define CS_OPS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "cs_gate.h"
#include "cs_disclosure.h"      /* cs_obuf_t, the disclosure renderer */

#define CS_OPS_OK        0
#define CS_OPS_FINDINGS  1
#define CS_OPS_IO        2

/*
 * Every record of a rules database (or of a YAML source compiled into a
 * private temporary database), plus, for a YAML source, the positions and
 * orders only the source has (declaration order, lines of hosts and
 * signatures).
 */
typedef struct cs_ops_db  cs_ops_db_t;

/*
 * Opens "path": a ".yaml"/".yml" file is compiled (into a temporary
 * directory, removed again); anything else is opened as an LMDB rules
 * file, and if that fails, compiled as YAML. Returns NULL with the reason
 * in err; *rc is then CS_OPS_FINDINGS (invalid rules: err holds the
 * compiler's FILE:LINE:COL findings) or CS_OPS_IO.
 */
cs_ops_db_t *cs_ops_db_open(const char *path, int *rc, char *err,
    size_t errlen);
void cs_ops_db_free(cs_ops_db_t *db);

/*
 * Lints YAML sources compiled together into one database (as
 * cs_compile_sources(): a site may declare a recipient of another file):
 * the compiler's validation (its findings are errors), then host suffixes of
 * one recipient lying under another recipient's suffix (naming the other's
 * FILE:LINE when it is in another file), signatures that fail to
 * JIT-compile or exceed the matcher's limits on pathological 64 KiB inputs,
 * and empty texts a disclosure needs. Writes one "FILE:LINE: error|warning:
 * message" line per finding to out, FILE being the source the finding
 * stands in. Returns CS_OPS_OK (no findings), CS_OPS_FINDINGS or CS_OPS_IO
 * (a source unreadable, nsrcs 0).
 */
int cs_ops_check_sources(const char *const *srcs, size_t nsrcs, FILE *out,
    char *err, size_t errlen);

/* cs_ops_check_sources() for one source. */
int cs_ops_check(const char *src, FILE *out, char *err, size_t errlen);

/*
 * Compares two databases record by record (meta source, compiled_at and
 * generation excluded: the generation is a hash of the rest) and writes "+ DB/KEY: value", "- DB/KEY: value" and
 * "~ DB/KEY FIELD: old -> new" lines in key order to out. Returns
 * CS_OPS_OK (identical) or CS_OPS_FINDINGS (different).
 */
int cs_ops_diff(const cs_ops_db_t *a, const cs_ops_db_t *b, FILE *out);

/*
 * Runs the gate on in[0..n) in one chunk (the gate's decisions do not
 * depend on chunking), as the module does: allowed from the plain consent
 * list "consent" (NULL: nothing), declared = the site's recipients when
 * neutralizing. Writes the gate's output, or with report a line per
 * element "OFFSET TAG RECIPIENTS DECISION" (see doc/consentctl.md for how
 * the report is derived), to out.
 */
int cs_ops_filter(const cs_rules_t *rules, const char *site,
    const char *consent, cs_action_t action, size_t max_element, bool report,
    const unsigned char *in, size_t n, cs_obuf_t *out, char *err,
    size_t errlen);

/* consentctl's names for the renderer's options */
typedef cs_disclosure_lang_t    cs_ops_lang_t;
typedef cs_disclosure_format_t  cs_ops_format_t;
#define CS_OPS_LANG_JA   CS_DISCLOSURE_JA
#define CS_OPS_LANG_EN   CS_DISCLOSURE_EN
#define CS_OPS_FMT_HTML  CS_DISCLOSURE_HTML
#define CS_OPS_FMT_MD    CS_DISCLOSURE_MD
#define CS_OPS_FMT_JSON  CS_DISCLOSURE_JSON

/*
 * Renders the site's external-transmission disclosure table into out with
 * cs_disclosure_render() (cs_disclosure.h), from the database loaded as the
 * module loads it: rows in declaration order, for a YAML source and a
 * database alike (a database compiled before the order was stored: in
 * recipient id order). Returns CS_OPS_OK, CS_OPS_FINDINGS (unknown site)
 * or CS_OPS_IO (out of memory, or more than out->max).
 */
int cs_ops_disclosure(const cs_ops_db_t *db, const char *site,
    cs_ops_lang_t lang, cs_ops_format_t fmt, cs_obuf_t *out, char *err,
    size_t errlen);

#endif /* CS_OPS_H */
