/*
 * consentctl check: lints rule sources compiled together (see
 * cs_ops_check_sources() in cs_ops.h).
 */

#include "cs_ops_impl.h"
#include "cs_err.h"

#define PCRE2_CODE_UNIT_WIDTH 8

#include <errno.h>
#include <pcre2.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define CS_OPS_PATHO_LEN     (64u * 1024u)
#define CS_OPS_MATCH_LIMIT   2000000u      /* as cs_rules_sigs.c */
#define CS_OPS_DEPTH_LIMIT   100000u
#define CS_OPS_JIT_MIN       (32u * 1024u)
#define CS_OPS_JIT_MAX       (1024u * 1024u)

/* ---------------------------------------------------------------------- */
/* check */

/* the sources compiled together, their database and where findings go */
typedef struct {
    const cs_ops_db_t  *db;
    const char *const  *srcs;
    size_t              nsrcs;
    FILE               *out;
} cs_check_t;

/*
 * "FILE:LINE: SEV: MSG" at pos; without a position, the finding is named
 * after all the sources (as meta "source" lists them).
 */
static void
cs_finding(const cs_check_t *ck, const cs_pos_t *pos, const char *sev,
    const char *msg)
{
    if (pos != NULL && pos->line > 0 && pos->file < ck->nsrcs) {
        fprintf(ck->out, "%s:%d: %s: %s\n", ck->srcs[pos->file], pos->line,
                sev, msg);
        return;
    }
    for (size_t i = 0; i < ck->nsrcs; i++) {
        fprintf(ck->out, "%s%s", i ? " " : "", ck->srcs[i]);
    }
    fprintf(ck->out, ": %s: %s\n", sev, msg);
}

static size_t
cs_check_hosts(const cs_check_t *ck)
{
    const cs_ops_db_t *db = ck->db;
    size_t             n = 0;
    char               msg[1024], where[CS_OPS_PATH_MAX + 32];

    for (size_t i = 0; i < db->nrecs; i++) {
        const cs_rec_t *h = &db->recs[i];

        if (h->db != DB_HOSTS) {
            continue;
        }
        for (const char *d = strchr(h->key, '.'); d != NULL;
             d = strchr(d + 1, '.'))
        {
            const cs_rec_t *p = cs_rec_find(db, DB_HOSTS, d + 1);

            if (p == NULL || (p->vlen == h->vlen
                              && memcmp(p->val, h->val, h->vlen) == 0))
            {
                continue;
            }
            const cs_pos_t *hp = cs_pos_find(db, P_HOST, h->val, h->key, 0);
            const cs_pos_t *pp = cs_pos_find(db, P_HOST, p->val, p->key, 0);

            /* the other suffix's place, when it is in another file */
            where[0] = '\0';
            if (hp != NULL && pp != NULL && pp->line > 0
                && pp->file != hp->file && pp->file < ck->nsrcs)
            {
                (void) snprintf(where, sizeof(where), " at %s:%d",
                                ck->srcs[pp->file], pp->line);
            }
            (void) snprintf(msg, sizeof(msg), "host '%s' of recipient '%s' "
                            "lies under '%s' of recipient '%s'%s (the longer "
                            "suffix wins: such hosts are attributed to '%s')",
                            h->key, h->val, p->key, p->val, where, h->val);
            cs_finding(ck, hp, "warning", msg);
            n++;
            break;
        }
    }
    return n;
}

static size_t
cs_check_signatures(const cs_check_t *ck)
{
    const cs_ops_db_t   *db = ck->db;
    uint32_t             jit_ok = 0;
    size_t               n = 0;
    char                 msg[1024];
    unsigned char       *patho;
    pcre2_match_context *mctx;
    pcre2_jit_stack     *js = NULL;
    static const struct {
        const char *what;
        char        fill;
        char        last;
    } inputs[] = {
        { "'a' x 65536", 'a', 'a' },
        { "'a' x 65535 . 'b'", 'a', 'b' },
        { "' ' x 65536", ' ', ' ' },
        { "'0' x 65535 . '!'", '0', '!' },
        { "'<' x 65536", '<', '<' },
    };

    (void) pcre2_config(PCRE2_CONFIG_JIT, &jit_ok);
    patho = malloc(CS_OPS_PATHO_LEN);
    mctx = pcre2_match_context_create(NULL);
    if (patho == NULL || mctx == NULL) {
        free(patho);
        pcre2_match_context_free(mctx);
        cs_finding(ck, NULL, "error", "out of memory checking signatures");
        return 1;
    }
    pcre2_set_match_limit(mctx, CS_OPS_MATCH_LIMIT);
    pcre2_set_depth_limit(mctx, CS_OPS_DEPTH_LIMIT);
    if (jit_ok) {
        js = pcre2_jit_stack_create(CS_OPS_JIT_MIN, CS_OPS_JIT_MAX, NULL);
        if (js) {
            pcre2_jit_stack_assign(mctx, NULL, js);
        }
    }

    for (size_t i = 0; i < db->nrecs; i++) {
        const cs_rec_t    *s = &db->recs[i];
        char               rid[CS_ID_MAX + 1];
        const char        *colon;
        size_t             ord;
        int                ec;
        const cs_pos_t    *line;
        PCRE2_SIZE         eo;
        pcre2_code        *code;
        pcre2_match_data  *md;

        if (s->db != DB_SIGNATURES
            || (colon = strrchr(s->key, ':')) == NULL
            || (size_t) (colon - s->key) > CS_ID_MAX)
        {
            continue;
        }
        memcpy(rid, s->key, (size_t) (colon - s->key));
        rid[colon - s->key] = '\0';
        ord = (size_t) strtoul(colon + 1, NULL, 10);
        line = cs_pos_find(db, P_SIG, rid, NULL, ord);

        code = pcre2_compile((PCRE2_SPTR) s->val, s->vlen, PCRE2_NEVER_UTF,
                             &ec, &eo, NULL);
        if (code == NULL) {
            PCRE2_UCHAR em[160];
            pcre2_get_error_message(ec, em, sizeof(em));
            (void) snprintf(msg, sizeof(msg), "signature %s does not "
                            "compile: %s", s->key, (const char *) em);
            cs_finding(ck, line, "error", msg);
            n++;
            continue;
        }
        if (jit_ok && (ec = pcre2_jit_compile(code, PCRE2_JIT_COMPLETE)) != 0)
        {
            PCRE2_UCHAR em[160];
            pcre2_get_error_message(ec, em, sizeof(em));
            (void) snprintf(msg, sizeof(msg), "signature %s does not JIT "
                            "compile: %s", s->key, (const char *) em);
            cs_finding(ck, line, "error", msg);
            n++;
        }
        md = pcre2_match_data_create_from_pattern(code, NULL);
        for (size_t k = 0; md && k < sizeof(inputs) / sizeof(inputs[0]); k++) {
            int mr;

            memset(patho, inputs[k].fill, CS_OPS_PATHO_LEN);
            patho[CS_OPS_PATHO_LEN - 1] = (unsigned char) inputs[k].last;
            mr = pcre2_match(code, patho, CS_OPS_PATHO_LEN, 0, 0, md, mctx);
            if (mr < 0 && mr != PCRE2_ERROR_NOMATCH) {
                PCRE2_UCHAR em[160];
                pcre2_get_error_message(mr, em, sizeof(em));
                (void) snprintf(msg, sizeof(msg), "signature %s is "
                                "catastrophic: on %s it fails with '%s' (match "
                                "limit %u, depth limit %u, as at run time)",
                                s->key, inputs[k].what, (const char *) em,
                                CS_OPS_MATCH_LIMIT, CS_OPS_DEPTH_LIMIT);
                cs_finding(ck, line, "error", msg);
                n++;
                break;
            }
        }
        pcre2_match_data_free(md);
        pcre2_code_free(code);
    }
    pcre2_jit_stack_free(js);
    pcre2_match_context_free(mctx);
    free(patho);
    return n;
}

/*
 * A path pattern that matches a file name sites commonly use for their own
 * code, styles or pages would have the gate remove the site's own file.
 */
static size_t
cs_check_paths(const cs_check_t *ck)
{
    static const char *const common[] = {
        "/index.html", "/index.htm", "/index.php", "/index.js", "/main.js",
        "/app.js", "/bundle.js", "/script.js", "/scripts.js", "/common.js",
        "/site.js", "/vendor.js", "/runtime.js", "/polyfills.js",
        "/jquery.js", "/jquery.min.js", "/js/app.js", "/js/main.js",
        "/js/common.js", "/assets/app.js", "/style.css", "/main.css",
        "/css/style.css", "/favicon.ico", "/images/logo.png", "/img/logo.png",
    };
    const cs_ops_db_t *db = ck->db;
    size_t             n = 0;
    char               msg[512], rid[CS_ID_MAX + 1];

    for (size_t i = 0; i < db->nrecs; i++) {
        const cs_rec_t *r = &db->recs[i];
        const char     *colon;

        if (r->db != DB_PATHS || (colon = strrchr(r->key, ':')) == NULL
            || (size_t) (colon - r->key) > CS_ID_MAX)
        {
            continue;
        }
        memcpy(rid, r->key, (size_t) (colon - r->key));
        rid[colon - r->key] = '\0';
        for (size_t k = 0; k < sizeof(common) / sizeof(common[0]); k++) {
            if (!cs_rules_path_pattern_match(r->val, r->vlen, common[k],
                                             strlen(common[k])))
            {
                continue;
            }
            (void) snprintf(msg, sizeof(msg), "path '%.*s' of recipient '%s' "
                            "matches '%s', a name sites use for their own "
                            "files: the gate would remove such a file of "
                            "the site (name the library's own file)",
                            (int) r->vlen, r->val, rid, common[k]);
            cs_finding(ck, cs_pos_find(db, P_PATH, rid, NULL,
                                       (size_t) strtoul(colon + 1, NULL, 10)),
                       "warning", msg);
            n++;
            break;
        }
    }
    return n;
}

/*
 * A site's tagging host that lies under a recipient's host suffix is
 * already that recipient's everywhere: naming it for the site changes
 * nothing (same recipient) or contradicts the rules (another one).
 */
static size_t
cs_check_tagging_hosts(const cs_check_t *ck)
{
    const cs_ops_db_t *db = ck->db;
    size_t             n = 0;
    char               msg[1024], site[CS_ID_MAX + 1];

    for (size_t i = 0; i < db->nrecs; i++) {
        const cs_rec_t *t = &db->recs[i];
        const char     *slash = strchr(t->key, '/');

        if (t->db != DB_TAGGING_HOSTS || slash == NULL
            || (size_t) (slash - t->key) > CS_ID_MAX)
        {
            continue;
        }
        memcpy(site, t->key, (size_t) (slash - t->key));
        site[slash - t->key] = '\0';
        for (const char *d = slash + 1; d != NULL;
             d = strchr(d, '.') ? strchr(d, '.') + 1 : NULL)
        {
            const cs_rec_t *h = cs_rec_find(db, DB_HOSTS, d);

            if (h == NULL) {
                continue;
            }
            (void) snprintf(msg, sizeof(msg), "tagging host '%s' of site "
                            "'%s' (for '%.*s') lies under '%s' of recipient "
                            "'%.*s'%s", slash + 1, site, (int) t->vlen,
                            t->val, h->key, (int) h->vlen, h->val,
                            h->vlen == t->vlen
                            && memcmp(h->val, t->val, t->vlen) == 0
                            ? ": it is that recipient's already"
                            : ": the site's name wins there, on that site "
                              "only");
            cs_finding(ck, cs_pos_find(db, P_SITE, site, NULL, 0), "warning",
                       msg);
            n++;
            break;
        }
    }
    return n;
}

static size_t
cs_check_texts(const cs_check_t *ck)
{
    const cs_ops_db_t *db = ck->db;
    size_t             n = 0;
    char               msg[512];

    for (size_t i = 0; i < db->nrecs; i++) {
        const cs_rec_t *r = &db->recs[i];
        const char     *f[CS_OPS_FIELDS_MAX], *rf[CS_OPS_FIELDS_MAX];
        size_t          fl[CS_OPS_FIELDS_MAX], rfl[CS_OPS_FIELDS_MAX];
        const char     *slash;
        char            site[CS_ID_MAX + 1];

        if (r->db == DB_SITES) {
            if (cs_fields(r, f, fl, 1) < 1 || fl[0] == 0) {
                (void) snprintf(msg, sizeof(msg), "site '%s' has an empty "
                                "name (the disclosure title needs it)", r->key);
                cs_finding(ck, cs_pos_find(db, P_SITE, r->key, NULL, 0),
                           "warning", msg);
                n++;
            }
            continue;
        }
        if (r->db != DB_DECLARES || (slash = strchr(r->key, '/')) == NULL
            || (size_t) (slash - r->key) > CS_ID_MAX)
        {
            continue;
        }
        memcpy(site, r->key, (size_t) (slash - r->key));
        site[slash - r->key] = '\0';
        const cs_rec_t *rec = cs_rec_find(db, DB_RECIPIENTS, slash + 1);
        if (rec == NULL || cs_fields(r, f, fl, 4) < 4
            || cs_fields(rec, rf, rfl, 4) < 4)
        {
            continue;
        }
        static const char *const what[] = { "name", NULL, "information sent",
                                             "purpose" };
        for (int k = 0; k < 4; k++) {
            size_t len = (k == 0) ? rfl[0] : (fl[k] ? fl[k] : rfl[k]);
            if (what[k] == NULL || len > 0) {
                continue;
            }
            (void) snprintf(msg, sizeof(msg), "site '%s' declares '%s' with "
                            "an empty %s (its disclosure row would be empty)",
                            site, slash + 1, what[k]);
            cs_finding(ck, cs_pos_find(db, P_DECL, site, slash + 1, 0),
                       "warning", msg);
            n++;
        }
    }
    return n;
}

int
cs_ops_check(const char *src, FILE *out, char *err, size_t errlen)
{
    return cs_ops_check_sources(&src, 1, out, err, errlen);
}

int
cs_ops_check_sources(const char *const *srcs, size_t nsrcs, FILE *out,
    char *err, size_t errlen)
{
    cs_ops_db_t *db;
    cs_check_t   ck;
    int          rc;
    size_t       n;

    if (nsrcs == 0) {
        cs_set_err(err, errlen, "no rule file to check");
        return CS_OPS_IO;
    }
    for (size_t i = 0; i < nsrcs; i++) {
        if (access(srcs[i], R_OK) != 0) {
            cs_set_err(err, errlen, "%s: %s", srcs[i], strerror(errno));
            return CS_OPS_IO;
        }
    }
    db = calloc(1, sizeof(*db));
    if (db == NULL) {
        cs_set_err(err, errlen, "out of memory");
        return CS_OPS_IO;
    }
    rc = cs_compile_read(db, srcs, nsrcs, err, errlen);
    if (rc == CS_OPS_FINDINGS) {
        /* the compiler's findings, one "SRC:LINE:COL: message" per line */
        fprintf(out, "%s\n", err);
        err[0] = '\0';
    }
    if (rc != CS_OPS_OK) {
        cs_ops_db_free(db);
        return rc;
    }
    ck.db = db;
    ck.srcs = srcs;
    ck.nsrcs = nsrcs;
    ck.out = out;
    n = cs_check_hosts(&ck);
    n += cs_check_signatures(&ck);
    n += cs_check_paths(&ck);
    n += cs_check_tagging_hosts(&ck);
    n += cs_check_texts(&ck);
    cs_ops_db_free(db);
    return n ? CS_OPS_FINDINGS : CS_OPS_OK;
}
