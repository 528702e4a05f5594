/*
 * consentctl operations: check, diff, filter, disclosure. See cs_ops.h.
 */

#include "cs_ops.h"
#include "cs_compile.h"
#include "cs_err.h"

#define PCRE2_CODE_UNIT_WIDTH 8

#include <errno.h>
#include <libfyaml.h>
#include <lmdb.h>
#include <pcre2.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define CS_OPS_PATH_MAX      4096
#define CS_OPS_ERR_MAX       (16u * 1024u)
#define CS_OPS_PATHO_LEN     (64u * 1024u)
#define CS_OPS_MATCH_LIMIT   2000000u      /* as cs_rules.c */
#define CS_OPS_DEPTH_LIMIT   100000u
#define CS_OPS_JIT_MIN       (32u * 1024u)
#define CS_OPS_JIT_MAX       (1024u * 1024u)
#define CS_OPS_FIELDS_MAX    8
#define CS_OPS_HOST_MAX      255

/* ---------------------------------------------------------------------- */
/* records */

static const char *const cs_recipient_fields[] = {
    "name", "category", "sent", "purpose", "tcf_vendor_id", "tcf_purposes",
    NULL
};
static const char *const cs_site_fields[] = { "name", NULL };
static const char *const cs_declare_fields[] = {
    "service", "category", "sent", "purpose", "order", NULL
};

typedef struct {
    int      db;
    char    *key;
    size_t   klen;
    char    *val;
    size_t   vlen;
} cs_rec_t;

/* what only a YAML source knows */
enum { P_RECIPIENT = 0, P_HOST, P_SIG, P_SITE, P_DECL };

typedef struct {
    int      kind;
    char    *a;         /* recipient or site id */
    char    *b;         /* host (normalised) or declared recipient id */
    size_t   idx;       /* signature ordinal, declaration order */
    size_t   file;      /* which of the sources compiled together */
    int      line;
} cs_pos_t;

struct cs_ops_db {
    cs_rules_t *rules;  /* the same database, loaded as the module does */
    cs_rec_t  *recs;
    size_t     nrecs;
    size_t     caprecs;
    cs_pos_t  *pos;
    size_t     npos;
    size_t     cappos;
    bool       have_source;
};

static char *
cs_memdup(const char *p, size_t n)
{
    char *d = malloc(n + 1);

    if (d != NULL) {
        if (n) {
            memcpy(d, p, n);
        }
        d[n] = '\0';
    }
    return d;
}

static bool
cs_rec_add(cs_ops_db_t *db, int which, const MDB_val *k, const MDB_val *v)
{
    if (db->nrecs == db->caprecs) {
        size_t    cap = db->caprecs ? db->caprecs * 2 : 256;
        cs_rec_t *nr = realloc(db->recs, cap * sizeof(*nr));
        if (nr == NULL) {
            return false;
        }
        db->recs = nr;
        db->caprecs = cap;
    }
    cs_rec_t *r = &db->recs[db->nrecs];
    r->db = which;
    r->klen = k->mv_size;
    r->vlen = v->mv_size;
    r->key = cs_memdup(k->mv_data, k->mv_size);
    r->val = cs_memdup(v->mv_data, v->mv_size);
    if (r->key == NULL || r->val == NULL) {
        free(r->key);
        free(r->val);
        return false;
    }
    db->nrecs++;
    return true;
}

static bool
cs_pos_add(cs_ops_db_t *db, int kind, const char *a, size_t alen,
    const char *b, size_t blen, size_t idx, size_t file, int line)
{
    if (db->npos == db->cappos) {
        size_t    cap = db->cappos ? db->cappos * 2 : 128;
        cs_pos_t *np = realloc(db->pos, cap * sizeof(*np));
        if (np == NULL) {
            return false;
        }
        db->pos = np;
        db->cappos = cap;
    }
    cs_pos_t *p = &db->pos[db->npos];
    p->kind = kind;
    p->idx = idx;
    p->file = file;
    p->line = line;
    p->a = cs_memdup(a, alen);
    p->b = b ? cs_memdup(b, blen) : NULL;
    if (p->a == NULL || (b != NULL && p->b == NULL)) {
        free(p->a);
        free(p->b);
        return false;
    }
    db->npos++;
    return true;
}

void
cs_ops_db_free(cs_ops_db_t *db)
{
    if (db == NULL) {
        return;
    }
    for (size_t i = 0; i < db->nrecs; i++) {
        free(db->recs[i].key);
        free(db->recs[i].val);
    }
    for (size_t i = 0; i < db->npos; i++) {
        free(db->pos[i].a);
        free(db->pos[i].b);
    }
    cs_rules_free(db->rules);
    free(db->recs);
    free(db->pos);
    free(db);
}

/* Reads every record, sub-database by sub-database, in key order. */
static int
cs_read_lmdb(cs_ops_db_t *db, const char *path, char *err, size_t errlen)
{
    MDB_env    *env = NULL;
    MDB_txn    *txn = NULL;
    int         rc, ret = CS_OPS_IO;
    char        lerr[512];

    /* the reader's own checks first: only a valid rules file is read */
    cs_rules_free(db->rules);
    db->rules = cs_rules_load(path, lerr, sizeof(lerr));
    if (db->rules == NULL) {
        cs_set_err(err, errlen, "%s: %s", path, lerr);
        return CS_OPS_FINDINGS;
    }

    if ((rc = mdb_env_create(&env)) != 0
        || (rc = mdb_env_set_maxdbs(env, 16)) != 0
        || (rc = mdb_env_open(env, path, MDB_RDONLY | MDB_NOSUBDIR
                              | MDB_NOLOCK, 0644)) != 0
        || (rc = mdb_txn_begin(env, NULL, MDB_RDONLY, &txn)) != 0)
    {
        cs_set_err(err, errlen, "%s: %s", path, mdb_strerror(rc));
        goto done;
    }
    for (int i = 0; i < DB_COUNT; i++) {
        MDB_dbi     dbi;
        MDB_cursor *cur;
        MDB_val     k, v;

        rc = mdb_dbi_open(txn, cs_db_names[i], 0, &dbi);
        if (rc == MDB_NOTFOUND && i == DB_CMP_MAPS) {
            continue;                           /* optional: absent = empty */
        }
        if (rc != 0 || (rc = mdb_cursor_open(txn, dbi, &cur)) != 0) {
            cs_set_err(err, errlen, "%s: %s: %s", path, cs_db_names[i],
                       mdb_strerror(rc));
            goto done;
        }
        while ((rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) == 0) {
            if (!cs_rec_add(db, i, &k, &v)) {
                mdb_cursor_close(cur);
                cs_set_err(err, errlen, "%s: out of memory", path);
                goto done;
            }
        }
        mdb_cursor_close(cur);
        if (rc != MDB_NOTFOUND) {
            cs_set_err(err, errlen, "%s: %s", path, mdb_strerror(rc));
            goto done;
        }
    }
    ret = CS_OPS_OK;
done:
    if (txn) {
        mdb_txn_abort(txn);
    }
    if (env) {
        mdb_env_close(env);
    }
    return ret;
}

/* ---- YAML positions ---- */

static int
cs_yline(struct fy_node *n)
{
    struct fy_token      *tok;
    const struct fy_mark *m;

    if (n == NULL || !fy_node_is_scalar(n)) {
        return 0;
    }
    tok = fy_node_get_scalar_token(n);
    m = tok ? fy_token_start_mark(tok) : NULL;
    return m ? m->line + 1 : 0;
}

static const char *
cs_yscalar(struct fy_node *n, size_t *len)
{
    if (n == NULL || !fy_node_is_scalar(n)) {
        return NULL;
    }
    return fy_node_get_scalar(n, len);
}

/* Positions of the source "path", the file-th of those compiled. */
static bool
cs_yaml_positions(cs_ops_db_t *db, const char *path, size_t file)
{
    struct fy_parse_cfg  cfg;
    struct fy_document  *doc;
    struct fy_node      *root, *seq, *it_node;
    void                *it = NULL;
    bool                 ok = true;

    memset(&cfg, 0, sizeof(cfg));
    cfg.flags = FYPCF_QUIET | FYPCF_RESOLVE_DOCUMENT;
    doc = fy_document_build_from_file(&cfg, path);
    if (doc == NULL) {
        return true;                  /* positions are best effort */
    }
    root = fy_document_root(doc);
    seq = root && fy_node_is_mapping(root)
          ? fy_node_mapping_lookup_by_string(root, "recipients", -1) : NULL;
    while (ok && seq && fy_node_is_sequence(seq)
           && (it_node = fy_node_sequence_iterate(seq, &it)) != NULL)
    {
        struct fy_node *idn, *lst, *x;
        const char     *id;
        size_t          idlen, i;
        void           *it2;

        if (!fy_node_is_mapping(it_node)) {
            continue;
        }
        idn = fy_node_mapping_lookup_by_string(it_node, "id", -1);
        if ((id = cs_yscalar(idn, &idlen)) == NULL) {
            continue;
        }
        ok = cs_pos_add(db, P_RECIPIENT, id, idlen, NULL, 0, 0, file,
                        cs_yline(idn));
        lst = fy_node_mapping_lookup_by_string(it_node, "hosts", -1);
        it2 = NULL;
        while (ok && lst && fy_node_is_sequence(lst)
               && (x = fy_node_sequence_iterate(lst, &it2)) != NULL)
        {
            char        h[CS_HOST_MAX + 1];
            size_t      sl, hl;
            const char *s = cs_yscalar(x, &sl);

            /* stored normalised; one that is not a host is not stored */
            if (s != NULL && cs_normalize_host(s, sl, h, &hl) == NULL) {
                ok = cs_pos_add(db, P_HOST, id, idlen, h, hl, 0, file,
                                cs_yline(x));
            }
        }
        lst = fy_node_mapping_lookup_by_string(it_node, "signatures", -1);
        it2 = NULL;
        i = 0;
        while (ok && lst && fy_node_is_sequence(lst)
               && (x = fy_node_sequence_iterate(lst, &it2)) != NULL)
        {
            ok = cs_pos_add(db, P_SIG, id, idlen, NULL, 0, i++, file,
                            cs_yline(x));
        }
    }
    it = NULL;
    seq = root && fy_node_is_mapping(root)
          ? fy_node_mapping_lookup_by_string(root, "sites", -1) : NULL;
    while (ok && seq && fy_node_is_sequence(seq)
           && (it_node = fy_node_sequence_iterate(seq, &it)) != NULL)
    {
        struct fy_node *idn, *lst, *x;
        const char     *id;
        size_t          idlen, i = 0;
        void           *it2 = NULL;

        if (!fy_node_is_mapping(it_node)) {
            continue;
        }
        idn = fy_node_mapping_lookup_by_string(it_node, "id", -1);
        if ((id = cs_yscalar(idn, &idlen)) == NULL) {
            continue;
        }
        ok = cs_pos_add(db, P_SITE, id, idlen, NULL, 0, 0, file,
                        cs_yline(idn));
        lst = fy_node_mapping_lookup_by_string(it_node, "declares", -1);
        while (ok && lst && fy_node_is_sequence(lst)
               && (x = fy_node_sequence_iterate(lst, &it2)) != NULL)
        {
            struct fy_node *rn = fy_node_is_mapping(x)
                ? fy_node_mapping_lookup_by_string(x, "recipient", -1) : x;
            const char     *r;
            size_t          rl;

            if ((r = cs_yscalar(rn, &rl)) != NULL) {
                ok = cs_pos_add(db, P_DECL, id, idlen, r, rl, i++, file,
                                cs_yline(rn));
            }
        }
    }
    fy_document_destroy(doc);
    return ok;
}

/* Where a record stands in the sources; NULL if unknown. */
static const cs_pos_t *
cs_pos_find(const cs_ops_db_t *db, int kind, const char *a, const char *b,
    size_t idx)
{
    for (size_t i = 0; i < db->npos; i++) {
        const cs_pos_t *p = &db->pos[i];

        if (p->kind == kind && strcmp(p->a, a) == 0
            && (b == NULL || (p->b && strcmp(p->b, b) == 0))
            && (kind != P_SIG || p->idx == idx))
        {
            return p;
        }
    }
    return NULL;
}

static bool
cs_is_yaml_name(const char *path)
{
    size_t n = strlen(path);

    return (n > 5 && strcmp(path + n - 5, ".yaml") == 0)
           || (n > 4 && strcmp(path + n - 4, ".yml") == 0);
}

/*
 * Compiles the sources together into a private temporary directory and
 * reads the result. err receives the compiler's findings when the rules are
 * invalid (CS_OPS_FINDINGS).
 */
static int
cs_compile_read(cs_ops_db_t *db, const char *const *srcs, size_t nsrcs,
    char *err, size_t errlen)
{
    char path[CS_OPS_PATH_MAX + 16];
    int  rc;

    rc = cs_compile_tmp(srcs, nsrcs, "consentctl", "rules.mdb", path,
                        sizeof(path), err, errlen);
    if (rc == CS_COMPILE_OK) {
        rc = cs_read_lmdb(db, path, err, errlen);
        for (size_t i = 0; rc == CS_OPS_OK && i < nsrcs; i++) {
            if (!cs_yaml_positions(db, srcs[i], i)) {
                cs_set_err(err, errlen, "%s: out of memory", srcs[i]);
                rc = CS_OPS_IO;
            }
        }
        db->have_source = true;
        cs_compile_tmp_remove(path);
    }
    return rc == CS_COMPILE_INVALID ? CS_OPS_FINDINGS
           : rc == CS_COMPILE_OK ? CS_OPS_OK : CS_OPS_IO;
}

cs_ops_db_t *
cs_ops_db_open(const char *path, int *rc, char *err, size_t errlen)
{
    cs_ops_db_t *db = calloc(1, sizeof(*db));
    int          r;

    if (db == NULL) {
        cs_set_err(err, errlen, "out of memory");
        *rc = CS_OPS_IO;
        return NULL;
    }
    if (access(path, R_OK) != 0) {
        cs_set_err(err, errlen, "%s: %s", path, strerror(errno));
        r = CS_OPS_IO;
    } else if (cs_is_yaml_name(path)) {
        r = cs_compile_read(db, &path, 1, err, errlen);
    } else {
        r = cs_read_lmdb(db, path, err, errlen);
        if (r != CS_OPS_OK) {
            /* not a rules database: maybe a YAML source by another name */
            for (size_t i = 0; i < db->nrecs; i++) {
                free(db->recs[i].key);
                free(db->recs[i].val);
            }
            db->nrecs = 0;
            r = cs_compile_read(db, &path, 1, err, errlen);
        }
    }
    *rc = r;
    if (r != CS_OPS_OK) {
        cs_ops_db_free(db);
        return NULL;
    }
    return db;
}

/* ---- record lookups ---- */

static const cs_rec_t *
cs_rec_find(const cs_ops_db_t *db, int which, const char *key)
{
    size_t klen = strlen(key);

    for (size_t i = 0; i < db->nrecs; i++) {
        const cs_rec_t *r = &db->recs[i];

        if (r->db == which && r->klen == klen
            && memcmp(r->key, key, klen) == 0)
        {
            return r;
        }
    }
    return NULL;
}

/* Splits a "fields" value; returns how many fields (at most max). */
static size_t
cs_fields(const cs_rec_t *r, const char **f, size_t *fl, size_t max)
{
    size_t n = 0, start = 0;

    for (size_t i = 0; i < r->vlen && n < max; i++) {
        if (r->val[i] == '\0') {
            f[n] = r->val + start;
            fl[n++] = i - start;
            start = i + 1;
        }
    }
    return n;
}

static const char *const *
cs_field_names(int which)
{
    switch (which) {
    case DB_RECIPIENTS: return cs_recipient_fields;
    case DB_SITES:      return cs_site_fields;
    case DB_DECLARES:   return cs_declare_fields;
    default:            return NULL;
    }
}

static bool
cs_is_list(const cs_rec_t *r)
{
    return r->db == DB_CMP_MAPS
           || (r->db == DB_META && strcmp(r->key, "gpc_categories") == 0);
}

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
    n += cs_check_texts(&ck);
    cs_ops_db_free(db);
    return n ? CS_OPS_FINDINGS : CS_OPS_OK;
}

/* ---------------------------------------------------------------------- */
/* diff */

static void
cs_put_value(FILE *out, const cs_rec_t *r)
{
    const char         *f[CS_OPS_FIELDS_MAX];
    size_t              fl[CS_OPS_FIELDS_MAX], nf;
    const char *const  *names = cs_field_names(r->db);

    if (names != NULL) {
        nf = cs_fields(r, f, fl, CS_OPS_FIELDS_MAX);
        fputc('{', out);
        for (size_t i = 0; i < nf && names[i] != NULL; i++) {
            fprintf(out, "%s%s: ", i ? ", " : "", names[i]);
            cs_put_escaped(out, f[i], fl[i], CS_PUT_QUOTED | CS_PUT_NEWLINE);
        }
        fputc('}', out);
    } else if (cs_is_list(r)) {
        nf = cs_fields(r, f, fl, CS_OPS_FIELDS_MAX);
        fputc('[', out);
        for (size_t i = 0; i < nf; i++) {
            fputs(i ? ", " : "", out);
            cs_put_escaped(out, f[i], fl[i], CS_PUT_QUOTED | CS_PUT_NEWLINE);
        }
        fputc(']', out);
    } else {
        cs_put_escaped(out, r->val, r->vlen, CS_PUT_QUOTED | CS_PUT_NEWLINE);
    }
}

static bool
cs_diff_skip(const cs_rec_t *r)
{
    /* the generation is a hash of the records compared here */
    return r->db == DB_META && (strcmp(r->key, "source") == 0
                                || strcmp(r->key, "compiled_at") == 0
                                || strcmp(r->key, "generation") == 0);
}

static int
cs_rec_cmp(const cs_rec_t *a, const cs_rec_t *b)
{
    size_t m;
    int    c;

    if (a->db != b->db) {
        return a->db < b->db ? -1 : 1;
    }
    m = a->klen < b->klen ? a->klen : b->klen;
    c = memcmp(a->key, b->key, m);
    if (c != 0) {
        return c;
    }
    return a->klen < b->klen ? -1 : a->klen > b->klen ? 1 : 0;
}

static void
cs_diff_changed(FILE *out, const cs_rec_t *a, const cs_rec_t *b)
{
    const char *const *names = cs_field_names(a->db);
    const char        *fa[CS_OPS_FIELDS_MAX], *fb[CS_OPS_FIELDS_MAX];
    size_t             la[CS_OPS_FIELDS_MAX], lb[CS_OPS_FIELDS_MAX], na, nb;

    if (names == NULL) {
        fprintf(out, "~ %s/%s: ", cs_db_names[a->db], a->key);
        cs_put_value(out, a);
        fputs(" -> ", out);
        cs_put_value(out, b);
        fputc('\n', out);
        return;
    }
    na = cs_fields(a, fa, la, CS_OPS_FIELDS_MAX);
    nb = cs_fields(b, fb, lb, CS_OPS_FIELDS_MAX);
    for (size_t i = 0; names[i] != NULL; i++) {
        const char *x = i < na ? fa[i] : "", *y = i < nb ? fb[i] : "";
        size_t      xl = i < na ? la[i] : 0, yl = i < nb ? lb[i] : 0;

        if (xl == yl && memcmp(x, y, xl) == 0) {
            continue;
        }
        fprintf(out, "~ %s/%s %s: ", cs_db_names[a->db], a->key, names[i]);
        cs_put_escaped(out, x, xl, CS_PUT_QUOTED | CS_PUT_NEWLINE);
        fputs(" -> ", out);
        cs_put_escaped(out, y, yl, CS_PUT_QUOTED | CS_PUT_NEWLINE);
        fputc('\n', out);
    }
}

int
cs_ops_diff(const cs_ops_db_t *a, const cs_ops_db_t *b, FILE *out)
{
    size_t i = 0, j = 0;
    bool   differ = false;

    for (;;) {
        while (i < a->nrecs && cs_diff_skip(&a->recs[i])) {
            i++;
        }
        while (j < b->nrecs && cs_diff_skip(&b->recs[j])) {
            j++;
        }
        if (i >= a->nrecs && j >= b->nrecs) {
            break;
        }
        int c = i >= a->nrecs ? 1 : j >= b->nrecs ? -1
                : cs_rec_cmp(&a->recs[i], &b->recs[j]);
        const cs_rec_t *r;

        if (c < 0) {
            r = &a->recs[i++];
            fprintf(out, "- %s/%s: ", cs_db_names[r->db], r->key);
            cs_put_value(out, r);
            fputc('\n', out);
            differ = true;
        } else if (c > 0) {
            r = &b->recs[j++];
            fprintf(out, "+ %s/%s: ", cs_db_names[r->db], r->key);
            cs_put_value(out, r);
            fputc('\n', out);
            differ = true;
        } else {
            const cs_rec_t *x = &a->recs[i++], *y = &b->recs[j++];

            if (x->vlen != y->vlen || memcmp(x->val, y->val, x->vlen) != 0) {
                cs_diff_changed(out, x, y);
                differ = true;
            }
        }
    }
    return differ ? CS_OPS_FINDINGS : CS_OPS_OK;
}

/* ---------------------------------------------------------------------- */
/* filter */

typedef struct {
    size_t  off;         /* input offset */
    size_t  len;
    bool    inserted;    /* bytes the gate added (neutralize) */
    size_t  ins_off;     /* into the insertion text */
} cs_span_t;

typedef struct {
    const unsigned char *in;
    size_t               n;
    size_t               cursor;    /* end of the last kept input span */
    cs_obuf_t           *out;       /* plain output */
    bool                 report;
    cs_span_t           *spans;
    size_t               nspans, capspans;
    cs_obuf_t            ins;       /* inserted bytes, concatenated */
    bool                 oom;
} cs_filter_t;

static void *
cs_std_alloc(void *ctx, size_t size)
{
    (void) ctx;
    return malloc(size);
}

static void
cs_std_free(void *ctx, void *p)
{
    (void) ctx;
    free(p);
}

static int
cs_filter_emit(void *ud, const unsigned char *p, size_t n, bool held)
{
    cs_filter_t *f = ud;
    cs_span_t    sp;

    if (!f->report) {
        return cs_obuf_add(f->out, (const char *) p, n) ? 0 : -1;
    }
    memset(&sp, 0, sizeof(sp));
    sp.len = n;
    if (!held && p >= f->in && p + n <= f->in + f->n) {
        sp.off = (size_t) (p - f->in);
    } else if (f->cursor + n <= f->n && memcmp(f->in + f->cursor, p, n) == 0) {
        sp.off = f->cursor;                /* held input bytes, replayed */
    } else {
        sp.inserted = true;
        sp.off = f->cursor;
        sp.ins_off = f->ins.len;
        if (!cs_obuf_add(&f->ins, (const char *) p, n)) {
            return -1;
        }
    }
    if (!sp.inserted) {
        f->cursor = sp.off + n;
    }
    if (f->nspans == f->capspans) {
        size_t     cap = f->capspans ? f->capspans * 2 : 256;
        cs_span_t *ns = realloc(f->spans, cap * sizeof(*ns));
        if (ns == NULL) {
            return -1;
        }
        f->spans = ns;
        f->capspans = cap;
    }
    f->spans[f->nspans++] = sp;
    return 0;
}

static const void *
cs_memmem(const void *hay, size_t hn, const void *needle, size_t nn)
{
    const char *h = hay;

    for (size_t i = 0; nn <= hn && i + nn <= hn; i++) {
        if (memcmp(h + i, needle, nn) == 0) {
            return h + i;
        }
    }
    return NULL;
}

/* The element kinds the gate decides on. */
static const char *const cs_gate_tags[] = {
    "script", "img", "image", "iframe", "link", "noscript", NULL
};

static int
cs_lower(int c)
{
    return (c >= 'A' && c <= 'Z') ? c - 'A' + 'a' : c;
}

/* If a gated start tag begins at p[i], returns its tag name (else NULL). */
static const char *
cs_tag_at(const unsigned char *p, size_t n, size_t i)
{
    if (i >= n || p[i] != '<') {
        return NULL;
    }
    for (int t = 0; cs_gate_tags[t] != NULL; t++) {
        size_t l = strlen(cs_gate_tags[t]), k;

        if (i + 1 + l >= n) {
            continue;
        }
        for (k = 0; k < l && cs_lower(p[i + 1 + k]) == cs_gate_tags[t][k]; k++) {
        }
        unsigned char c = p[i + 1 + l];
        if (k == l && (c == ' ' || c == '>' || c == '/' || c == '\t'
                       || c == '\n' || c == '\r' || c == '\f'))
        {
            return cs_gate_tags[t];
        }
    }
    return NULL;
}

static bool
cs_is_container(const char *tag)
{
    return strcmp(tag, "script") == 0 || strcmp(tag, "iframe") == 0
           || strcmp(tag, "noscript") == 0;
}

/*
 * A simple element extent: the start tag to its '>' (quotes respected),
 * and for script/iframe/noscript on to the matching end tag.
 */
static size_t
cs_elem_end(const unsigned char *p, size_t n, size_t i, const char *tag,
    size_t *tag_end)
{
    char   q = 0;
    size_t j, l = strlen(tag);

    for (j = i + 1; j < n; j++) {
        if (q) {
            if (p[j] == q) {
                q = 0;
            }
        } else if (p[j] == '"' || p[j] == '\'') {
            q = (char) p[j];
        } else if (p[j] == '>') {
            break;
        }
    }
    j = j < n ? j + 1 : n;
    *tag_end = j;
    if (!cs_is_container(tag)) {
        return j;
    }
    for (; j + 2 + l <= n; j++) {
        size_t k;

        if (p[j] != '<' || p[j + 1] != '/') {
            continue;
        }
        for (k = 0; k < l && cs_lower(p[j + 2 + k]) == tag[k]; k++) {
        }
        if (k == l) {
            while (j < n && p[j] != '>') {
                j++;
            }
            return j < n ? j + 1 : n;
        }
    }
    return n;
}

typedef struct {
    uint64_t *set;
    uint32_t  count;
} cs_attr_t;

static void
cs_attr_cb(void *ud, uint32_t recipient)
{
    cs_attr_t *a = ud;

    if (recipient < a->count) {
        cs_bitset_set(a->set, recipient);
    }
}

/* Recipients of an element: src/href hosts, and an inline body's text. */
static void
cs_attribute(const cs_rules_t *rules, const unsigned char *p, size_t tag_end,
    size_t end, cs_attr_t *a)
{
    static const char *const names[] = { "src=", "href=", NULL };

    for (int k = 0; names[k] != NULL; k++) {
        size_t l = strlen(names[k]);

        for (size_t i = 1; i + l < tag_end; i++) {
            size_t j, s, e;
            char   url[2048], host[CS_OPS_HOST_MAX + 1];

            for (j = 0; j < l && cs_lower(p[i + j]) == names[k][j]; j++) {
            }
            if (j < l || (p[i - 1] != ' ' && p[i - 1] != '\t'
                          && p[i - 1] != '\n'))
            {
                continue;
            }
            s = i + l;
            if (p[s] == '"' || p[s] == '\'') {
                unsigned char q = p[s++];
                for (e = s; e < tag_end && p[e] != q; e++) {
                }
            } else {
                for (e = s; e < tag_end && p[e] != ' ' && p[e] != '>'; e++) {
                }
            }
            size_t ul = cs_decode_entities((const char *) p + s,
                                           e - s < sizeof(url) ? e - s
                                           : sizeof(url), url, sizeof(url));
            size_t hl = cs_url_host(url, ul, host, sizeof(host));
            if (hl) {
                int32_t r = cs_rules_match_host(rules, host, hl);
                if (r >= 0) {
                    cs_attr_cb(a, (uint32_t) r);
                }
            }
        }
    }
    if (end > tag_end) {
        (void) cs_rules_match_signatures(rules, (const char *) p + tag_end,
                                         end - tag_end, CS_SIMD_BEST,
                                         cs_attr_cb, a);
        cs_scan_text_hosts(rules, (const char *) p + tag_end, end - tag_end,
                           cs_attr_cb, a);
    }
}

static bool
cs_report_line(cs_obuf_t *out, const cs_rules_t *rules, size_t off,
    const char *tag, const uint64_t *set, const char *ids, const char *what)
{
    bool any = false;

    cs_obuf_fmt(out, "%zu %s ", off, tag);
    if (ids != NULL) {
        cs_obuf_str(out, ids);
        any = ids[0] != '\0';
    } else {
        for (uint32_t i = 0; i < cs_rules_recipient_count(rules); i++) {
            if (cs_bitset_test(set, i)) {
                cs_obuf_fmt(out, "%s%s", any ? "," : "",
                            cs_rules_recipient(rules, i)->id);
                any = true;
            }
        }
    }
    if (!any) {
        cs_obuf_str(out, "-");
    }
    return cs_obuf_fmt(out, " %s\n", what);
}

static bool
cs_in_range(const size_t *r, size_t nr, size_t off)
{
    for (size_t i = 0; i < nr; i++) {
        if (off >= r[2 * i] && off < r[2 * i + 1]) {
            return true;
        }
    }
    return false;
}

static int
cs_filter_report(const cs_rules_t *rules, cs_filter_t *f, cs_obuf_t *out)
{
    const unsigned char *p = f->in;
    size_t               n = f->n, cur = 0, nr = 0, nneu = 0;
    size_t              *removed = calloc(2 * (f->nspans + 1), sizeof(size_t));
    size_t              *neu = calloc(f->nspans + 1, sizeof(size_t));
    uint32_t             count = cs_rules_recipient_count(rules);
    size_t               words = cs_bitset_words(count) + 1;
    uint64_t            *set = calloc(words, sizeof(uint64_t));
    cs_attr_t            a = { set, count };

    if (removed == NULL || neu == NULL || set == NULL) {
        free(removed);
        free(neu);
        free(set);
        return CS_OPS_IO;
    }
    /* gaps between kept spans, and the neutralized elements' starts */
    for (size_t s = 0; s <= f->nspans; s++) {
        size_t start = s < f->nspans ? f->spans[s].off : n;

        if (s < f->nspans && f->spans[s].inserted) {
            size_t lt = f->spans[s].off;
            while (lt > 0 && p[lt] != '<') {
                lt--;
            }
            const char *ins = f->ins.data + f->spans[s].ins_off;
            if (cs_memmem(ins, f->spans[s].len, "data-consent=\"", 14) != NULL
                && (nneu == 0 || neu[nneu - 1] != lt))
            {
                char        ids[1024];
                const char *q = (const char *) cs_memmem(ins,
                                   f->spans[s].len, "data-consent=\"", 14)
                                + 14;
                size_t      k = 0;
                while (q < ins + f->spans[s].len && *q != '"'
                       && k + 1 < sizeof(ids))
                {
                    ids[k++] = *q == ' ' ? ',' : *q;
                    q++;
                }
                ids[k] = '\0';
                neu[nneu++] = lt;
                const char *tag = cs_tag_at(p, n, lt);
                cs_report_line(out, rules, lt, tag ? tag : "?", NULL, ids,
                               "neutralized");
            }
            continue;
        }
        if (start > cur) {
            /* removed [cur, start): split into elements */
            removed[2 * nr] = cur;
            removed[2 * nr + 1] = start;
            nr++;
            for (size_t i = cur; i < start; ) {
                const char *tag = cs_tag_at(p, start, i);
                size_t      te, e;

                if (tag == NULL) {
                    i++;
                    continue;
                }
                e = cs_elem_end(p, start, i, tag, &te);
                memset(set, 0, words * sizeof(uint64_t));
                cs_attribute(rules, p + i, te - i, e - i, &a);
                cs_report_line(out, rules, i, tag, set, NULL, "removed");
                i = e > i ? e : i + 1;
            }
        }
        if (s < f->nspans && f->spans[s].off + f->spans[s].len > cur) {
            cur = f->spans[s].off + f->spans[s].len;
        }
    }
    /* kept: gated tags found by a simple scan outside the removed ranges */
    for (size_t i = 0; i < n; ) {
        const char *tag;
        size_t      te, e;

        if (n - i >= 4 && memcmp(p + i, "<!--", 4) == 0) {
            const unsigned char *c = cs_memmem(p + i + 4, n - i - 4, "-->", 3);
            i = c ? (size_t) (c - p) + 3 : n;
            continue;
        }
        if ((tag = cs_tag_at(p, n, i)) == NULL) {
            i++;
            continue;
        }
        e = cs_elem_end(p, n, i, tag, &te);
        bool was_neu = false;
        for (size_t k = 0; k < nneu; k++) {
            was_neu = was_neu || neu[k] == i;
        }
        if (!cs_in_range(removed, nr, i) && !was_neu) {
            memset(set, 0, words * sizeof(uint64_t));
            cs_attribute(rules, p + i, te - i, e - i, &a);
            cs_report_line(out, rules, i, tag, set, NULL, "kept");
        }
        /* noscript content is scanned too: the gate looks inside it */
        i = strcmp(tag, "noscript") == 0 ? te : (e > i ? e : i + 1);
    }
    free(removed);
    free(neu);
    free(set);
    return out->oom ? CS_OPS_IO : CS_OPS_OK;
}

/* Sorts report lines by their leading offset (stable). */
static int
cs_sort_report(cs_obuf_t *out)
{
    size_t  nl = 0, k = 0;
    char  **lines;
    cs_obuf_t sorted = { 0 };

    for (size_t i = 0; i < out->len; i++) {
        nl += out->data[i] == '\n';
    }
    if (nl < 2) {
        return CS_OPS_OK;
    }
    lines = malloc(nl * sizeof(*lines));
    if (lines == NULL) {
        return CS_OPS_IO;
    }
    for (char *s = out->data; k < nl; k++) {
        lines[k] = s;
        s = strchr(s, '\n') + 1;
    }
    for (size_t i = 1; i < nl; i++) {         /* insertion sort: stable */
        for (size_t j = i; j > 0
             && strtoull(lines[j], NULL, 10) < strtoull(lines[j - 1], NULL, 10);
             j--)
        {
            char *t = lines[j];
            lines[j] = lines[j - 1];
            lines[j - 1] = t;
        }
    }
    for (size_t i = 0; i < nl; i++) {
        cs_obuf_add(&sorted, lines[i], (size_t) (strchr(lines[i], '\n')
                                                 - lines[i]) + 1);
    }
    free(lines);
    if (sorted.oom) {
        cs_obuf_free(&sorted);
        return CS_OPS_IO;
    }
    cs_obuf_free(out);
    *out = sorted;
    return CS_OPS_OK;
}

int
cs_ops_filter(const cs_rules_t *rules, const char *site, const char *consent,
    cs_action_t action, size_t max_element, bool report,
    const unsigned char *in, size_t n, cs_obuf_t *out, char *err,
    size_t errlen)
{
    int32_t         s = cs_rules_site_find(rules, site, strlen(site));
    uint32_t        count = cs_rules_recipient_count(rules);
    size_t          words = cs_bitset_words(count) + 1;
    uint64_t       *allowed, *declared, *blocked;
    cs_gate_t      *gate;
    cs_gate_conf_t  conf;
    cs_filter_t     f;
    int             rc = CS_OPS_IO;

    if (s < 0) {
        cs_set_err(err, errlen, "unknown site '%s'", site);
        return CS_OPS_FINDINGS;
    }
    allowed = calloc(words, sizeof(uint64_t));
    declared = calloc(words, sizeof(uint64_t));
    blocked = calloc(words, sizeof(uint64_t));
    gate = malloc(cs_gate_size());
    memset(&f, 0, sizeof(f));
    if (allowed == NULL || declared == NULL || blocked == NULL || gate == NULL)
    {
        cs_set_err(err, errlen, "out of memory");
        goto done;
    }
    if (consent != NULL
        && cs_consent_parse_list(rules, (uint32_t) s, consent,
                                 strlen(consent), allowed) < 0)
    {
        cs_set_err(err, errlen, "malformed consent value '%s'", consent);
        rc = CS_OPS_FINDINGS;
        goto done;
    }
    if (action == CS_ACTION_NEUTRALIZE) {          /* as the module does */
        cs_consent_declared(rules, (uint32_t) s, declared);
    }
    f.in = in;
    f.n = n;
    f.out = out;
    f.report = report;
    memset(&conf, 0, sizeof(conf));
    conf.rules = rules;
    conf.action = action;
    conf.allowed = allowed;
    conf.declared = declared;
    conf.blocked = blocked;
    conf.max_element = max_element;
    conf.allocator.alloc = cs_std_alloc;
    conf.allocator.free = cs_std_free;
    conf.emit = cs_filter_emit;
    conf.emit_ud = &f;
    cs_gate_init(gate, &conf);
    if (cs_gate_feed(gate, in, n) != 0 || cs_gate_finish(gate) != 0) {
        cs_gate_cleanup(gate);
        cs_set_err(err, errlen, "gate failed (out of memory)");
        goto done;
    }
    cs_gate_cleanup(gate);
    rc = CS_OPS_OK;
    if (report) {
        rc = cs_filter_report(rules, &f, out);
        if (rc == CS_OPS_OK) {
            rc = cs_sort_report(out);
        }
        if (rc != CS_OPS_OK) {
            cs_set_err(err, errlen, "out of memory");
        }
    }
done:
    free(f.spans);
    cs_obuf_free(&f.ins);
    free(allowed);
    free(declared);
    free(blocked);
    free(gate);
    return rc;
}

/* ---------------------------------------------------------------------- */
/* disclosure */

int
cs_ops_disclosure(const cs_ops_db_t *db, const char *site,
    cs_ops_lang_t lang, cs_ops_format_t fmt, cs_obuf_t *out, char *err,
    size_t errlen)
{
    int32_t s = cs_rules_site_find(db->rules, site, strlen(site));

    if (s < 0) {
        cs_set_err(err, errlen, "unknown site '%s'", site);
        return CS_OPS_FINDINGS;
    }
    if (cs_disclosure_render(db->rules, (uint32_t) s, lang, fmt, out) != 0) {
        cs_set_err(err, errlen, "out of memory");
        return CS_OPS_IO;
    }
    return CS_OPS_OK;
}
